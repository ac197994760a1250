/**
 * The slow log: commands that took longer than `slowlog-log-slower-than`
 * microseconds, newest first, at most `slowlog-max-len` of them.
 */
import type { Config } from '../config/config.js';
import type { Client } from './client.js';
import { redactedArgs, type CredentialCheck } from './redaction.js';

/** Redis keeps at most 32 arguments of each entry, and 128 bytes of each argument. */
const MAX_ARGS = 32;
const MAX_ARG_LEN = 128;

export interface SlowLogEntry {
  id: number;
  time: number;
  durationUs: number;
  args: string[];
  peer: string;
  clientName: string;
}

export class SlowLog {
  private entries: SlowLogEntry[] = [];
  private nextId = 0;

  constructor(
    private readonly config: Config,
    private readonly accepts: CredentialCheck,
  ) {}

  record(client: Client, args: string[], durationUs: number): void {
    const threshold = this.config.values.slowlogLogSlowerThan;
    if (threshold < 0 || durationUs < threshold) return;
    const kept = redactedArgs(args, this.accepts).slice(0, args.length > MAX_ARGS ? MAX_ARGS - 1 : MAX_ARGS).map((a) =>
      a.length > MAX_ARG_LEN ? `${a.slice(0, MAX_ARG_LEN)}... (${a.length - MAX_ARG_LEN} more bytes)` : a,
    );
    if (args.length > MAX_ARGS) kept.push(`... (${args.length - MAX_ARGS + 1} more arguments)`);
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      durationUs,
      args: kept,
      peer: client.address,
      clientName: client.name,
    });
    this.trim();
  }

  /** The newest `count` entries (all when negative). */
  latest(count: number): SlowLogEntry[] {
    this.trim();
    return count < 0 ? this.entries.slice() : this.entries.slice(0, count);
  }

  get length(): number {
    this.trim();
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }

  private trim(): void {
    const max = this.config.values.slowlogMaxLen;
    if (this.entries.length > max) this.entries.length = max;
  }
}
