/**
 * What eviction and OBJECT IDLETIME know about a database's keys: recency
 * for the LRU policies, kept exactly in an `lru-cache` list (Redis only
 * approximates LRU by sampling), or a logarithmic access counter for the LFU
 * policies, as Redis keeps it (lfu-log-factor, lfu-decay-time). With any
 * other policy nothing is evicted by recency, but Redis still reports each
 * key's idle time: a value that is an object (a collection, a BitString)
 * keeps the second of its last access in a field, as Redis keeps it in the
 * object's header, and only string values need an entry in a map by key
 * (a Map entry costs 37 bytes a key, the field 8).
 */
import { LRUCache } from 'lru-cache';

/** Which access record eviction needs. */
export type AccessMode = 'none' | 'lru' | 'lfu';

/** A new key's counter, as Redis's LFU_INIT_VAL: young keys are not evicted first. */
const LFU_INIT = 5;
const LFU_MAX = 255;

/**
 * Seconds (and minutes) since the server started: the clock of the LRU and LFU, small enough to stay
 * an unboxed integer. As Redis's lruclock it is read from a cached value the server's cron advances
 * every 100 ms, so that an access does not pay for a clock read.
 */
const started = Date.now();
let seconds = 0;
let minutes = 0;
export const clockSeconds = (): number => seconds;
const clockMinutes = (): number => minutes;

/** Brings the cached clock up to date (the server's cron, and whoever needs it exact). */
export function advanceClock(): void {
  const elapsed = Date.now() - started;
  seconds = Math.floor(elapsed / 1000);
  minutes = Math.floor(elapsed / 60000);
}

/** lfu-log-factor and lfu-decay-time, read on every access so CONFIG SET applies at once. */
export interface LfuSettings {
  readonly lfuLogFactor: number;
  readonly lfuDecayTime: number;
}

/** A stored value as the access record sees it: a string, or an object with room for its last access. */
export type Accessed = string | { lastAccess: number };

export class AccessRecord {
  /** key → second of last access, least recent first. */
  private lru: LRUCache<string, number> | undefined;
  /** key → second of last access of the keys holding strings, unordered (no eviction by recency). */
  private seen: Map<string, number> | undefined;
  /** key → minutes * 256 + counter: when the counter last decayed, and the counter. */
  private lfu: Map<string, number> | undefined;

  /** A record for `mode` in which every key of `keys` (a database's contents) was just accessed. */
  constructor(
    mode: AccessMode,
    keys: ReadonlyMap<string, Accessed>,
    private readonly settings: LfuSettings,
  ) {
    if (mode === 'lru') {
      // Unbounded: the keyspace, not the cache, decides what stays. maxSize with a size of
      // 1 per key avoids the arrays lru-cache preallocates for `max`.
      this.lru = new LRUCache<string, number>({ maxSize: Number.MAX_SAFE_INTEGER, sizeCalculation: () => 1 });
      const now = clockSeconds();
      for (const key of keys.keys()) this.lru.set(key, now);
    } else if (mode === 'lfu') {
      this.lfu = new Map();
      const fresh = clockMinutes() * 256 + LFU_INIT;
      for (const key of keys.keys()) this.lfu.set(key, fresh);
    } else {
      this.seen = new Map();
      for (const [key, value] of keys) this.touch(key, value);
    }
  }

  /**
   * The map `touch` writes, for Database.prefetch to look a batch's keys up
   * in ahead of their touches (undefined in LRU mode, whose list lru-cache owns).
   */
  get touchedMap(): ReadonlyMap<string, number> | undefined {
    return this.seen ?? this.lfu;
  }

  /** A new key holding `value`: recent, with the initial counter (creating is not an access that counts). */
  created(key: string, value: Accessed): void {
    if (this.seen !== undefined) this.stamp(key, value, clockSeconds());
    else if (this.lru !== undefined) this.lru.set(key, clockSeconds());
    else if (this.lfu !== undefined) this.lfu.set(key, clockMinutes() * 256 + LFU_INIT);
  }

  /** A read or write of `key`, which holds `value`. */
  touch(key: string, value: Accessed): void {
    if (this.seen !== undefined) this.stamp(key, value, clockSeconds());
    else if (this.lru !== undefined) this.lru.set(key, clockSeconds());
    else if (this.lfu !== undefined) this.lfu.set(key, clockMinutes() * 256 + this.increment(this.counter(key)));
  }

  /** `key`'s value `old` was replaced by `value`, a write: an access. */
  replaced(key: string, old: Accessed, value: Accessed): void {
    if (this.seen !== undefined && typeof old === 'string' && typeof value !== 'string') this.seen.delete(key);
    this.touch(key, value);
  }

  /** `key` holds the same value in another form (a string as a BitString, or back): not an access, the record moves along. */
  reformed(key: string, from: Accessed, to: Accessed): void {
    if (this.seen === undefined) return;
    const last = typeof from === 'string' ? this.seen.get(key) : from.lastAccess;
    if (typeof from === 'string') this.seen.delete(key);
    this.stamp(key, to, last ?? clockSeconds());
  }

  /** RESTORE ... IDLETIME / FREQ: what the dumping server knew of the key (each policy keeps its own). */
  restored(key: string, value: Accessed, idleSeconds: number | undefined, frequency: number | undefined): void {
    if (idleSeconds !== undefined) {
      if (this.seen !== undefined) this.stamp(key, value, clockSeconds() - idleSeconds);
      else this.lru?.set(key, clockSeconds() - idleSeconds);
    }
    if (this.lfu !== undefined && frequency !== undefined) this.lfu.set(key, clockMinutes() * 256 + frequency);
  }

  /** `key`, which held `value`, is gone. */
  forget(key: string, value: Accessed): void {
    if (typeof value === 'string') this.seen?.delete(key);
    this.lru?.delete(key);
    this.lfu?.delete(key);
  }

  clear(): void {
    this.seen?.clear();
    this.lru?.clear();
    this.lfu?.clear();
  }

  /** Seconds since the last access of `key`, which holds `value` (OBJECT IDLETIME); 0 under an LFU policy, which keeps no recency. */
  idleSeconds(key: string, value: Accessed): number {
    let last: number | undefined;
    if (this.seen !== undefined) last = typeof value === 'string' ? this.seen.get(key) : value.lastAccess;
    else last = this.lru?.peek(key);
    return last === undefined ? 0 : Math.max(0, clockSeconds() - last);
  }

  /** The access counter after decay (OBJECT FREQ, LFU eviction). */
  counter(key: string): number {
    const packed = this.lfu?.get(key);
    if (packed === undefined) return LFU_INIT;
    const counter = packed & 255;
    const decay = this.settings.lfuDecayTime;
    if (decay === 0) return counter;
    const periods = Math.floor((clockMinutes() - Math.floor(packed / 256)) / decay);
    return Math.max(0, counter - periods);
  }

  /** Least recently used keys first (LRU mode only). */
  *leastRecent(): IterableIterator<[string, number]> {
    if (this.lru === undefined) return;
    for (const key of this.lru.rkeys()) yield [key, this.lru.peek(key)!];
  }

  /** Without an eviction policy: where a key's last access is kept, by the kind of its value. */
  private stamp(key: string, value: Accessed, second: number): void {
    if (typeof value === 'string') this.seen!.set(key, second);
    else value.lastAccess = second;
  }

  /** Redis's logarithmic increment: the higher the counter, the less likely it grows. */
  private increment(counter: number): number {
    if (counter === LFU_MAX) return counter;
    const base = Math.max(0, counter - LFU_INIT);
    return Math.random() < 1 / (base * this.settings.lfuLogFactor + 1) ? counter + 1 : counter;
  }
}
