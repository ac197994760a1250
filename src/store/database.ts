/**
 * One numbered database: its keys, their values and their expiry times.
 *
 * Keys and string values are latin1 JS strings, one char per byte: binary
 * safe, one byte per byte in memory, and cheap as Map keys. Expiry times live
 * in a second map, as in Redis, so keys without a TTL cost nothing extra.
 */
import { corruptValue, wrongType } from '../errors.js';
import { CorruptValue } from './corrupt.js';
import { now as clockNow } from './clock.js';
import { NOTIFY, type NotifyClass } from './notify.js';
import { BUFFER_OBJECT, EXPIRE_ENTRY, MAP_ENTRY, stringBytes } from './memory.js';
import { AccessRecord } from './access.js';
import { parseInt64 } from '../util/numbers.js';

/** Always empty: a lookup in it only computes and caches the key string's hash. */
const HASHING_ONLY = new Set<string>();
/** The collections and members of the batch being prefetched, reused from batch to batch. */
const batchCollections: (CollectionValue | undefined)[] = [];
const batchMembers: string[] = [];

/** Estimated bytes of a key's own entry in the keyspace (the key string and its Map entry). */
const keyBytes = (key: string): number => stringBytes(key.length) + MAP_ENTRY;

/** Estimated bytes of a value as the database last counted it. */
const countedBytes = (value: StoredValue): number => (typeof value === 'string' ? stringBytes(value.length) : value.accounted);

/** Counts a value's current estimate as its accounted size and returns it. */
function recount(value: StoredValue): number {
  if (typeof value === 'string') return stringBytes(value.length);
  return (value.accounted = value.memory());
}

/** A non-string value (list, hash, set, sorted set); each type's module implements it. */
export interface CollectionValue {
  readonly type: 'list' | 'hash' | 'set' | 'zset' | 'stream';
  /** OBJECT ENCODING's answer. */
  encoding(): string;
  /** How many allocations Redis would free for it (lazyfreeGetFreeEffort): above 64, UNLINK counts it as lazily freed. */
  freeEffort(): number;
  /** An independent copy, for COPY. */
  clone(): CollectionValue;
  /** The contents in a canonical text form, equal for equal values whatever their history (DEBUG DIGEST). */
  canonical(): string;
  /** Estimated bytes of the value (see memory.ts), from counters its writes keep: O(1). */
  memory(): number;
  /** The part of `memory()` the database has counted so far; it adds the difference after each change. */
  accounted: number;
  /** The access record's second of the last access, when no eviction policy keeps it by key (see access.ts). */
  lastAccess: number;
  /**
   * For Database.prefetch: the argument naming the member that a command on
   * this collection most likely looks up, while the collection is a hash
   * table (the compact forms are one string, in the cache with the value).
   */
  prefetchMember?(args: readonly string[]): string | undefined;
  /** Looks that member up, so that the command finds it in the cache; returns a figure that depends on the lookup. */
  probeMember?(member: string): number;
}

export type RedisValue = string | CollectionValue;

/**
 * A string as the bit commands (SETBIT, BITFIELD, ...) keep it: its bytes in
 * a buffer with room to grow, edited in place, where a JS string would be
 * copied whole by every write. Only the bit commands ever see one: any
 * other access to the key turns it back into a string (`Database.get`), so
 * a key switches form at most once per change between kinds of commands.
 */
export class BitString {
  accounted = 0;
  lastAccess = 0;

  constructor(
    /** The capacity; bytes past `length` are zero. */
    public bytes: Buffer,
    public length: number,
  ) {}

  static of(value: string): BitString {
    return new BitString(Buffer.from(value, 'latin1'), value.length);
  }

  /** Zero-pads to `length` bytes if shorter; true when it grew. Capacity doubles (up to 1 MB more) so growing bit by bit stays linear. */
  grow(length: number): boolean {
    if (length <= this.length) return false;
    if (length > this.bytes.length) {
      const bytes = Buffer.alloc(Math.max(length, Math.min(this.bytes.length * 2, length + 1024 * 1024)));
      this.bytes.copy(bytes, 0, 0, this.length);
      this.bytes = bytes;
    }
    this.length = length;
    return true;
  }

  toString(): string {
    return this.bytes.toString('latin1', 0, this.length);
  }

  memory(): number {
    return stringBytes(this.bytes.length) + BUFFER_OBJECT;
  }
}

/** What the keyspace holds: a value, or a string in the bit commands' form. */
export type StoredValue = RedisValue | BitString;

/** The value a stored one stands for (a BitString as its string), without changing what is stored. */
export const plainValue = (value: StoredValue): RedisValue => (value instanceof BitString ? value.toString() : value);

/** Type name as TYPE reports it. */
export function typeName(value: StoredValue): string {
  return typeof value === 'string' || value instanceof BitString ? 'string' : value.type;
}

/**
 * A value whose contents a command is about to read: a CorruptValue is an
 * error (see corrupt.ts). typed reads (readCollection, getCollection) check
 * it themselves; a command that checks types on its own calls this.
 */
export function readable<T extends RedisValue | undefined>(value: T): T {
  if (value instanceof CorruptValue) throw corruptValue(value.fault);
  return value;
}

/** What a database tells the keyspace: every change, for WATCH, notifications, dirty counters. */
export interface KeyspaceHooks {
  keyModified(db: Database, key: string): void;
  keyExpired(db: Database, key: string): void;
  /** A key removed by the server itself (expired or evicted), not by a command. */
  keyDropped(db: Database, key: string): void;
  /** A keyspace event (notify-keyspace-events decides whether it is published). */
  keyEvent(db: Database, cls: NotifyClass, event: string, key: string): void;
  /** Counts keyspace hits and misses for INFO stats. */
  readonly stats: { hits: number; misses: number };
  /** While true (CLIENT PAUSE) an expired key reads as missing but is not deleted. */
  readonly expiryPaused: boolean;
  /** While true (a replica runs its master's stream) keys live until the master deletes them. */
  readonly expiryIgnored: boolean;
  /** While true (CLIENT NO-TOUCH) reads leave the access record alone. */
  readonly touchSuppressed: boolean;
}

export class Database {
  data = new Map<string, StoredValue>();
  /** Absolute expiry time in ms since the epoch, for keys that have one. */
  expires = new Map<string, number>();
  /** Estimated bytes of every key, value and expiry here, kept up to date by each change. */
  usedBytes = 0;
  /** A snapshot being written (BGSAVE): it gets each value about to be replaced or deleted. */
  snapshot: { preserve(db: Database, key: string, old: StoredValue): void } | undefined = undefined;
  /**
   * Strings whose encoding is not the one their content gives (see
   * stringEncoding), until the key gets a new value; RENAME, MOVE and COPY
   * keep it. Redis holds a string changed in place (APPEND, SETRANGE, the bit
   * commands) as raw whatever its length, and INCRBYFLOAT's result as embstr
   * even when it reads as an integer.
   */
  private madeEncodings = new Map<string, 'raw' | 'embstr'>();

  constructor(
    public id: number,
    private readonly hooks: KeyspaceHooks,
    /** Recency or frequency of the keys, as the maxmemory-policy needs it (replaced when the policy changes). */
    public access: AccessRecord,
  ) {}

  get size(): number {
    return this.data.size;
  }

  /** The value, or undefined when the key is missing or has expired (and is then deleted). */
  get(key: string): RedisValue | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return undefined;
    return value instanceof BitString ? this.restring(key, value) : value;
  }

  /** Stores a BitString back as a plain string: the same value in another form, so no change. */
  private restring(key: string, bits: BitString): string {
    const value = bits.toString();
    this.data.set(key, value);
    this.access.reformed(key, bits, value);
    this.usedBytes += stringBytes(value.length) - bits.accounted;
    return value;
  }

  /** Stores the string at `key` as a BitString for the bit commands (no change either). */
  private asBits(key: string, value: string): BitString {
    // A snapshot being written reads the stored string, which is about to go.
    this.snapshot?.preserve(this, key, value);
    const bits = BitString.of(value);
    this.data.set(key, bits);
    this.access.reformed(key, value, bits);
    this.usedBytes += recount(bits) - stringBytes(value.length);
    return bits;
  }

  /**
   * The string at `key` in the bit commands' form, for reading: undefined
   * when missing, WRONGTYPE for any other type; counts a hit or miss.
   */
  readBits(key: string): BitString | undefined {
    let value = this.data.get(key);
    if (value !== undefined && this.expires.size !== 0 && this.expireIfDue(key)) value = undefined;
    this.counted(key, value);
    if (value === undefined || value instanceof BitString) return value;
    if (typeof value === 'string') return this.asBits(key, value);
    throw wrongType();
  }

  /**
   * The string at `key` in the bit commands' form, to edit in place: an
   * empty one is created when missing, WRONGTYPE for any other type. The
   * edit is the command's to report, with `modified` when the value
   * changed, or `resized` when it only grew (which Redis counts as no
   * change when it is all a BITFIELD did).
   */
  editBits(key: string): BitString {
    let value = this.data.get(key);
    if (value !== undefined && this.expires.size !== 0 && this.expireIfDue(key)) value = undefined;
    if (value === undefined) {
      const bits = new BitString(Buffer.alloc(0), 0);
      this.data.set(key, bits);
      this.usedBytes += keyBytes(key) + recount(bits);
      this.access.created(key, bits);
      this.madeEncodings.set(key, 'raw');
      this.hooks.keyEvent(this, NOTIFY.NEW, 'new', key);
      return bits;
    }
    this.access.touch(key, value);
    if (typeof value === 'string' || value instanceof BitString) this.madeEncodings.set(key, 'raw');
    if (typeof value === 'string') return this.asBits(key, value);
    if (!(value instanceof BitString)) throw wrongType();
    this.snapshot?.preserve(this, key, value);
    return value;
  }

  /** Counts the memory of a BitString grown in place. */
  resized(key: string): void {
    const value = this.data.get(key);
    if (value !== undefined) {
      const counted = countedBytes(value);
      this.usedBytes += recount(value) - counted;
    }
  }

  /**
   * Looks up the key of each of a batch of pipelined commands (the second
   * argument, where nearly every command has its key) before any of them
   * runs. Each lookup is a chain of cache misses; back to back, the CPU
   * overlaps the misses of several lookups, where spread between whole
   * commands they are paid one after another. The commands then find their
   * keys in the cache. (Redis 8 prefetches its dictionary the same way.)
   * The access record's entries for the same keys come along: the touches
   * that follow cost SET -P 16 a quarter of its CPU while their misses were
   * paid one by one, and half of that once prefetched.
   *
   * The keys' hashes are computed in a pass of their own first: V8 computes
   * a string's hash in a runtime call on its first lookup, and such a call
   * between two lookups keeps their misses from overlapping. Measured with
   * redis-benchmark -P 16 against the lookups alone: SET +20%, GET +14%.
   *
   * Returns a figure that depends on the lookups, so that they are not
   * optimised away; it means nothing.
   */
  prefetch(batch: readonly string[][]): number {
    const data = this.data;
    const accessed = this.access.touchedMap;
    let touched = 0;
    let members = 0;
    for (let i = 0; i < batch.length; i++) {
      const args = batch[i];
      if (args.length >= 2 && HASHING_ONLY.has(args[1])) touched++;
    }
    for (let i = 0; i < batch.length; i++) {
      const args = batch[i];
      if (args.length < 2) continue;
      const value = data.get(args[1]);
      if (typeof value === 'string') touched += value.length;
      else if (value !== undefined) {
        const member = (value as CollectionValue).prefetchMember?.(args);
        if (member !== undefined) {
          batchCollections[members] = value as CollectionValue;
          batchMembers[members++] = member;
        }
      }
      if (accessed !== undefined) touched += accessed.get(args[1]) ?? 0;
    }
    // The members of big collections the batch names (HSET field, SADD member, ZADD member...), in the same two passes.
    for (let i = 0; i < members; i++) if (HASHING_ONLY.has(batchMembers[i])) touched++;
    for (let i = 0; i < members; i++) {
      touched += batchCollections[i]!.probeMember!(batchMembers[i]);
      batchCollections[i] = undefined;
    }
    return touched;
  }

  /**
   * A read on behalf of a command: counts a keyspace hit or miss and, unless
   * `touch` is false (TYPE, TTL: introspection), records the access for eviction.
   */
  read(key: string, touch = true): RedisValue | undefined {
    const value = this.get(key);
    this.counted(key, value, touch);
    return value;
  }

  private counted(key: string, value: StoredValue | undefined, touch = true): void {
    if (value === undefined) {
      this.hooks.stats.misses++;
      this.hooks.keyEvent(this, NOTIFY.KEY_MISS, 'keymiss', key);
    } else {
      this.hooks.stats.hits++;
      if (touch && !this.hooks.touchSuppressed) this.access.touch(key, value);
    }
  }

  /** The string at `key`, undefined if missing; WRONGTYPE for any other type. */
  readString(key: string): string | undefined {
    const value = this.read(key);
    if (value === undefined || typeof value === 'string') return value;
    throw wrongType();
  }

  /** Same as readString, without counting a hit or miss (for writes that read first). */
  getString(key: string): string | undefined {
    const value = this.get(key);
    if (value !== undefined) this.access.touch(key, value);
    if (value === undefined || typeof value === 'string') return value;
    throw wrongType();
  }

  /**
   * The collection at `key` if it has type `type`, undefined when the key is
   * missing; WRONGTYPE for a value of another type. Counts a hit or miss.
   */
  readCollection<T extends CollectionValue>(key: string, type: T['type']): T | undefined {
    return this.typed(this.read(key), type);
  }

  /** Same as readCollection, without counting a hit or miss (for writes). */
  getCollection<T extends CollectionValue>(key: string, type: T['type']): T | undefined {
    const value = this.get(key);
    if (value !== undefined) this.access.touch(key, value);
    return this.typed(value, type);
  }

  private typed<T extends CollectionValue>(value: RedisValue | undefined, type: T['type']): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string' || value.type !== type) throw wrongType();
    return readable(value) as T;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores `value`; an existing TTL is dropped unless `keepTtl`. */
  set(key: string, value: RedisValue, keepTtl = false): void {
    const old = this.data.get(key);
    if (old !== undefined && this.snapshot !== undefined) this.snapshot.preserve(this, key, old);
    this.data.set(key, value);
    this.usedBytes += recount(value) - (old === undefined ? -keyBytes(key) : countedBytes(old));
    if (old === undefined) {
      this.access.created(key, value);
      this.hooks.keyEvent(this, NOTIFY.NEW, 'new', key);
    } else {
      this.access.replaced(key, old, value);
    }
    if (!keepTtl && this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY;
    if (this.madeEncodings.size !== 0) this.madeEncodings.delete(key);
    this.hooks.keyModified(this, key);
  }

  /** How the command that just stored the string at `key` made it, where that is not what its content gives. */
  madeAs(key: string, encoding: 'raw' | 'embstr' | undefined): void {
    if (encoding !== undefined) this.madeEncodings.set(key, encoding);
  }

  /** What madeAs recorded for `key`, for the commands that move or copy its value. */
  madeEncoding(key: string): 'raw' | 'embstr' | undefined {
    return this.madeEncodings.size === 0 ? undefined : this.madeEncodings.get(key);
  }

  /** OBJECT ENCODING of the string `value` at `key`: as madeAs recorded, else int, embstr up to 44 bytes, raw beyond. */
  stringEncoding(key: string, value: string): 'int' | 'embstr' | 'raw' {
    const made = this.madeEncoding(key);
    if (made === 'raw' || (made === 'embstr' && value.length <= 44)) return made;
    if (value.length <= 20 && parseInt64(value) !== null) return 'int';
    return value.length <= 44 ? 'embstr' : 'raw';
  }

  /** Reports what a command did to `key` as a keyspace event. */
  notify(cls: NotifyClass, event: string, key: string): void {
    this.hooks.keyEvent(this, cls, event, key);
  }

  /** Deletes a key on behalf of a command, reporting a `del` event. */
  deleteNotify(key: string): boolean {
    if (!this.delete(key)) return false;
    this.hooks.keyEvent(this, NOTIFY.GENERIC, 'del', key);
    return true;
  }

  /**
   * After a command removed elements from the collection at `key`: its event,
   * then, when that left it `emptied`, the key goes with a `del` event (Redis
   * never keeps an empty collection).
   */
  removedFrom(key: string, emptied: boolean, cls: NotifyClass, event: string): void {
    if (!emptied) this.modified(key);
    this.hooks.keyEvent(this, cls, event, key);
    if (emptied) this.deleteNotify(key);
  }

  /**
   * The result of a store command (SINTERSTORE, ZUNIONSTORE, SORT ... STORE):
   * stored with the command's event, or, when there is none (an empty
   * result), the destination is deleted, with a `del` event if it existed.
   */
  storeResult(key: string, result: CollectionValue | undefined, cls: NotifyClass, event: string): void {
    if (result === undefined) {
      this.deleteNotify(key);
      return;
    }
    this.set(key, result);
    this.hooks.keyEvent(this, cls, event, key);
  }

  /** Records an in-place change to a collection that is already stored. */
  modified(key: string): void {
    this.resized(key);
    this.hooks.keyModified(this, key);
  }

  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.remove(key);
    this.hooks.keyModified(this, key);
    return true;
  }

  /** The absolute expiry time in ms, or undefined when the key has none. */
  expireTime(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpire(key: string, whenMs: number): void {
    const before = this.expires.size;
    this.expires.set(key, whenMs);
    if (this.expires.size !== before) this.usedBytes += EXPIRE_ENTRY;
    this.hooks.keyModified(this, key);
  }

  persist(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.usedBytes -= EXPIRE_ENTRY;
    this.hooks.keyModified(this, key);
    return true;
  }

  /** True when the key has an expiry time that has passed (without deleting it). */
  isExpired(key: string, now = clockNow()): boolean {
    const when = this.expires.get(key);
    return when !== undefined && when <= now;
  }

  /** Deletes the key if its time has come; true when it did. `force`: even while expiry is paused (a writable replica's own keys). */
  expireIfDue(key: string, now = clockNow(), force = false): boolean {
    const when = this.expires.get(key);
    if (when === undefined || when > now) return false;
    if (this.hooks.expiryIgnored) return false;
    if (this.hooks.expiryPaused && !force) return true;
    this.remove(key);
    this.hooks.keyDropped(this, key);
    this.hooks.keyExpired(this, key);
    return true;
  }

  /** Removes a key to free memory (maxmemory), as a change with an `evicted` event. */
  evict(key: string): void {
    this.remove(key);
    this.hooks.keyDropped(this, key);
    this.hooks.keyModified(this, key);
    this.hooks.keyEvent(this, NOTIFY.EVICTED, 'evicted', key);
  }

  /** Estimated bytes of one key: its entry, its value and its expiry (MEMORY USAGE). */
  memoryOf(key: string): number | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    const valueBytes = typeof value === 'string' ? stringBytes(value.length) : value.memory();
    return keyBytes(key) + valueBytes + (this.expires.has(key) ? EXPIRE_ENTRY : 0);
  }

  /** Empties the database; returns how many keys it held. */
  clear(): number {
    const count = this.data.size;
    this.data.clear();
    this.expires.clear();
    this.access.clear();
    this.madeEncodings.clear();
    this.usedBytes = 0;
    return count;
  }

  /** Exchanges contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.usedBytes, other.usedBytes] = [other.usedBytes, this.usedBytes];
    [this.access, other.access] = [other.access, this.access];
    [this.madeEncodings, other.madeEncodings] = [other.madeEncodings, this.madeEncodings];
  }

  /** Any key that has not expired, or undefined when there is none. */
  randomKey(): string | undefined {
    // Sample random positions a few times; a database full of expired keys falls back to a walk.
    for (let attempt = 0; attempt < 16 && this.data.size > 0; attempt++) {
      const key = this.keyAt(Math.floor(Math.random() * this.data.size));
      if (key !== undefined && !this.expireIfDue(key)) return key;
    }
    for (const key of this.data.keys()) if (!this.expireIfDue(key)) return key;
    return undefined;
  }

  private keyAt(index: number): string | undefined {
    // Maps have no random access; skipping is O(n) but only RANDOMKEY pays for it.
    let i = 0;
    for (const key of this.data.keys()) if (i++ === index) return key;
    return undefined;
  }

  private remove(key: string): void {
    const old = this.data.get(key);
    if (old === undefined) return;
    this.snapshot?.preserve(this, key, old);
    this.data.delete(key);
    this.access.forget(key, old);
    if (this.madeEncodings.size !== 0) this.madeEncodings.delete(key);
    this.usedBytes -= keyBytes(key) + countedBytes(old);
    if (this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY;
  }
}
