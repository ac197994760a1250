/**
 * maxmemory-clients: when the memory of all normal and pub/sub clients
 * together passes the limit, the clients using most are closed, largest
 * first, until the rest fit (clients with CLIENT NO-EVICT on still count).
 *
 * The total is kept as the sum of each client's last measured memory, and a
 * client is measured again only when its buffers may have changed (after its
 * reads and writes), so nothing of this runs while the limit is off.
 */
import type { Client } from './client.js';

export interface EvictionHost {
  readonly clients: Map<number, Client>;
  log(level: 'notice' | 'warning', message: string): void;
  /** maxmemory, for a limit given as a percentage of it. */
  readonly maxmemory: number;
}

export class ClientEviction {
  /** The limit in bytes; 0: no client eviction. */
  limit = 0;
  /** Clients closed by it (INFO evicted_clients). */
  evicted = 0;
  private total = 0;

  constructor(private readonly host: EvictionHost) {}

  /** maxmemory-clients as configured: bytes, or (negative) a percentage of maxmemory. */
  configure(setting: number): void {
    this.limit = setting >= 0 ? setting : Math.floor((this.host.maxmemory * -setting) / 100);
    this.total = 0;
    for (const client of this.host.clients.values()) {
      client.countedMemory = this.limit > 0 ? client.evictableMemory() : 0;
      this.total += client.countedMemory;
    }
    this.enforce();
  }

  /** Measures a client again, and evicts if the total is now over the limit. */
  update(client: Client): void {
    const bytes = client.evictableMemory();
    this.total += bytes - client.countedMemory;
    client.countedMemory = bytes;
    if (this.total > this.limit) this.enforce();
  }

  /** A closed client no longer counts. */
  forget(client: Client): void {
    this.total -= client.countedMemory;
    client.countedMemory = 0;
  }

  private enforce(): void {
    while (this.limit > 0 && this.total > this.limit) {
      let biggest: Client | undefined;
      for (const client of this.host.clients.values()) {
        if (client.noEvict || client.countedMemory === 0) continue;
        if (biggest === undefined || client.countedMemory > biggest.countedMemory) biggest = client;
      }
      if (biggest === undefined) {
        this.host.log('warning', 'Over client maxmemory after evicting all evictable clients');
        return;
      }
      this.host.log('notice', `Evicting client: ${biggest.describe()}`);
      this.evicted++;
      this.forget(biggest);
      biggest.closeNow();
    }
  }
}
