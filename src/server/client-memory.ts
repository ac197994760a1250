/**
 * What the clients hold (query buffers, replies owed, transactions, their
 * entries in the server's maps), as used_memory, INFO's mem_clients_normal
 * and maxmemory-clients count it.
 *
 * Each client's last measured memory (its tot-mem) is in the totals, and a
 * client is measured again only when its buffers may have changed (after
 * its reads and writes, as its socket drains, as pushes are queued for it),
 * so no total is ever found by walking the clients.
 *
 * maxmemory-clients: when the memory of all normal and pub/sub clients
 * together passes the limit, the clients using most are closed, largest
 * first, until the rest fit (clients with CLIENT NO-EVICT on still count).
 */
import type { Client } from './client.js';

/**
 * Where a client's memory is counted: normal and pub/sub clients that
 * maxmemory-clients may close; our master and clients already closing
 * (normal clients all the same); replicas (apart, as their output is the
 * replication buffer's).
 */
export type MemoryClass = 'evictable' | 'normal' | 'replica';

export interface ClientMemoryHost {
  readonly clients: Map<number, Client>;
  log(level: 'notice' | 'warning', message: string): void;
  /** maxmemory, for a limit given as a percentage of it. */
  readonly maxmemory: number;
}

export class ClientMemory {
  /** The maxmemory-clients limit in bytes; 0: no client eviction. */
  limit = 0;
  /** Clients closed by it (INFO evicted_clients). */
  evicted = 0;
  /** Normal, pub/sub and master clients (INFO mem_clients_normal). */
  normal = 0;
  /** Replicas without their share of the replication buffer: the connection and its query buffer. */
  replicas = 0;
  /** The part of `normal` that maxmemory-clients compares with its limit. */
  private evictable = 0;

  constructor(private readonly host: ClientMemoryHost) {}

  /** Every client's memory (the replication buffer apart). */
  get total(): number {
    return this.normal + this.replicas;
  }

  /** maxmemory-clients as configured: bytes, or (negative) a percentage of maxmemory. */
  configure(setting: number): void {
    this.limit = setting >= 0 ? setting : Math.floor((this.host.maxmemory * -setting) / 100);
    this.enforce();
  }

  /** Measures a client again; with maxmemory-clients set, evicts if the normal clients are now over it. */
  update(client: Client): void {
    this.subtract(client);
    const bytes = client.ownMemory();
    const kind = client.memoryClass;
    client.countedMemory = bytes;
    client.countedClass = kind;
    if (kind === 'replica') {
      this.replicas += bytes;
    } else {
      this.normal += bytes;
      if (kind === 'evictable') this.evictable += bytes;
    }
    if (this.limit > 0 && this.evictable > this.limit) this.enforce();
  }

  /** A closed client no longer counts. */
  forget(client: Client): void {
    this.subtract(client);
    client.countedMemory = 0;
  }

  private subtract(client: Client): void {
    const bytes = client.countedMemory;
    if (client.countedClass === 'replica') {
      this.replicas -= bytes;
    } else {
      this.normal -= bytes;
      if (client.countedClass === 'evictable') this.evictable -= bytes;
    }
  }

  private enforce(): void {
    while (this.limit > 0 && this.evictable > this.limit) {
      let biggest: Client | undefined;
      for (const client of this.host.clients.values()) {
        if (client.noEvict || client.countedClass !== 'evictable' || client.countedMemory === 0) continue;
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
