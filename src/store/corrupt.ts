/**
 * A value whose serialization passed the checks Redis makes without deep
 * sanitization (sanitize-dump-payload no, or clients for a master or an
 * AOF) but not the deep ones. Redis stores such bytes as they are and dies
 * of an assertion when a command walks them. This server decodes every
 * value as it loads it, so it finds the fault at once; the key is kept as
 * Redis keeps it (its type, TTL, and DUMP, SAVE and replication carry the
 * same bytes on), and a command that reads its contents gets an error
 * instead of a crash.
 */
import type { CollectionValue } from './database.js';

export class CorruptValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;

  constructor(
    readonly type: CollectionValue['type'],
    private readonly encodingName: string,
    /** The RDB type byte and the serialization after it, exactly as loaded. */
    readonly serialized: Buffer,
    /** What the deep check found, in Redis's words ("Stream listpack integrity check failed."). */
    readonly fault: string,
  ) {}

  encoding(): string {
    return this.encodingName;
  }

  freeEffort(): number {
    return 1;
  }

  clone(): CorruptValue {
    return new CorruptValue(this.type, this.encodingName, this.serialized, this.fault);
  }

  canonical(): string {
    return `corrupt:${this.serialized.toString('latin1')}`;
  }

  memory(): number {
    return this.serialized.length + 64;
  }
}
