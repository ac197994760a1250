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

export class ClientPause {
  type: PauseType = 'off';
  /** Absolute time in ms when the pause ends. */
  private end = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting: Client[] = [];

  constructor(
    /** Told whenever the pause starts or ends (the keyspace stops expiring keys meanwhile). */
    private readonly onChange: (paused: boolean) => void,
  ) {}

  /** Starts or strengthens a pause until `end` (ms since the epoch). */
  pause(type: PauseType, end: number): void {
    if (end <= Date.now()) return;
    if (STRENGTH[type] > STRENGTH[this.type]) this.type = type;
    if (end > this.end) {
      this.end = end;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.unpause(), end - Date.now());
      this.timer.unref();
    }
    this.onChange(true);
  }

  /** Ends the pause; every held command runs again (in the order it arrived). */
  unpause(): void {
    if (this.type === 'off') return;
    clearTimeout(this.timer);
    this.type = 'off';
    this.end = 0;
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
