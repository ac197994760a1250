/**
 * CLIENT PAUSE: for a while, commands of every client (ALL) or only those
 * that may change data (WRITE) wait instead of running. A waiting command is
 * held with its connection, and everything the client sends after it queues
 * behind it, as with a blocking command. While paused, keys also do not
 * expire (an expired key reads as missing but stays), as in Redis.
 */
import type { Client } from './client.js';

/** Ordered by strength: a later pause can only make an ongoing one stronger. */
export type PauseType = 'off' | 'write' | 'all';
const STRENGTH: Readonly<Record<PauseType, number>> = { off: 0, write: 1, all: 2 };

/**
 * Who paused: CLIENT PAUSE, a FAILOVER waiting for its replica, or a
 * SHUTDOWN waiting for its replicas or its final save. Each ends
 * on its own (CLIENT UNPAUSE does not end a failover's pause), and the
 * strongest of those in force applies, as in Redis.
 */
export type PausePurpose = 'client' | 'failover' | 'shutdown';

export class ClientPause {
  type: PauseType = 'off';
  private readonly purposes = new Map<PausePurpose, PauseType>();
  /** Absolute time in ms when CLIENT PAUSE ends (a failover's pause ends only when it does). */
  private end = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting: Client[] = [];

  constructor(
    /** Told whenever the pause starts or ends (the keyspace stops expiring keys meanwhile). */
    private readonly onChange: (paused: boolean) => void,
  ) {}

  /** Starts or strengthens CLIENT PAUSE until `end` (ms since the epoch). */
  pause(type: PauseType, end: number): void {
    if (end <= Date.now()) return;
    const current = this.purposes.get('client') ?? 'off';
    if (STRENGTH[type] > STRENGTH[current]) this.purposes.set('client', type);
    if (end > this.end) {
      this.end = end;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.unpause(), end - Date.now());
      this.timer.unref();
    }
    this.update();
  }

  /** A pause with no end of its own, until `unpause(purpose)`. */
  hold(purpose: PausePurpose, type: PauseType): void {
    this.purposes.set(purpose, type);
    this.update();
  }

  /** Ends one purpose's pause; when none is left, every held command runs again (in the order it arrived). */
  unpause(purpose: PausePurpose = 'client'): void {
    if (!this.purposes.delete(purpose)) return;
    if (purpose === 'client') {
      clearTimeout(this.timer);
      this.end = 0;
    }
    this.update();
  }

  private update(): void {
    const before = this.type;
    let type: PauseType = 'off';
    for (const t of this.purposes.values()) if (STRENGTH[t] > STRENGTH[type]) type = t;
    this.type = type;
    if (type !== 'off') {
      this.onChange(true);
      return;
    }
    if (before === 'off') return;
    this.onChange(false);
    const waiting = this.waiting;
    this.waiting = [];
    for (const client of waiting) client.retryPostponed();
  }

  /** Whether a command must wait; `write` for commands that may change data. */
  holds(write: boolean): boolean {
    return this.type === 'all' || (this.type === 'write' && write);
  }

  /** Clients whose command is held; INFO counts them in blocked_clients, as Redis does. */
  get held(): number {
    return this.waiting.length;
  }

  /** Holds `client`'s current command until the pause ends. */
  postpone(client: Client): void {
    this.waiting.push(client);
  }

  /** Forgets a client that went away while held. */
  drop(client: Client): void {
    const at = this.waiting.indexOf(client);
    if (at >= 0) this.waiting.splice(at, 1);
  }
}
