/**
 * What eviction and OBJECT IDLETIME know about a database's keys: recency
 * for the LRU policies, kept exactly in an `lru-cache` list (Redis only
 * approximates LRU by sampling), or a logarithmic access counter for the LFU
 * policies, as Redis keeps it (lfu-log-factor, lfu-decay-time). With any
 * other policy nothing is evicted by recency, but Redis still reports each
 * key's idle time, so a plain map keeps the second of the last access
 * without the ordering the LRU list pays for.
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

export class AccessRecord {
  /** key → second of last access, least recent first. */
  private lru: LRUCache<string, number> | undefined;
  /** key → second of last access, unordered (no eviction by recency). */
  private seen: Map<string, number> | undefined;
  /** key → minutes * 256 + counter: when the counter last decayed, and the counter. */
  private lfu: Map<string, number> | undefined;

  constructor(
    mode: AccessMode,
    keys: Iterable<string>,
    private readonly settings: LfuSettings,
  ) {
    if (mode === 'lru') {
      // Unbounded: the keyspace, not the cache, decides what stays. maxSize with a size of
      // 1 per key avoids the arrays lru-cache preallocates for `max`.
      this.lru = new LRUCache<string, number>({ maxSize: Number.MAX_SAFE_INTEGER, sizeCalculation: () => 1 });
      const now = clockSeconds();
      for (const key of keys) this.lru.set(key, now);
    } else if (mode === 'lfu') {
      this.lfu = new Map();
      const fresh = clockMinutes() * 256 + LFU_INIT;
      for (const key of keys) this.lfu.set(key, fresh);
    } else {
      this.seen = new Map();
      const now = clockSeconds();
      for (const key of keys) this.seen.set(key, now);
    }
  }

  /**
   * The map `touch` writes, for Database.prefetch to look a batch's keys up
   * in ahead of their touches (undefined in LRU mode, whose list lru-cache owns).
   */
  get touchedMap(): ReadonlyMap<string, number> | undefined {
    return this.seen ?? this.lfu;
  }

  /** A new key: recent, with the initial counter (creating is not an access that counts). */
  created(key: string): void {
    if (this.seen !== undefined) this.seen.set(key, clockSeconds());
    else if (this.lru !== undefined) this.lru.set(key, clockSeconds());
    else if (this.lfu !== undefined) this.lfu.set(key, clockMinutes() * 256 + LFU_INIT);
  }

  /** A read or write of `key`. */
  touch(key: string): void {
    if (this.seen !== undefined) this.seen.set(key, clockSeconds());
    else if (this.lru !== undefined) this.lru.set(key, clockSeconds());
    else if (this.lfu !== undefined) this.lfu.set(key, clockMinutes() * 256 + this.increment(this.counter(key)));
  }

  /** RESTORE ... IDLETIME / FREQ: what the dumping server knew of the key (each policy keeps its own). */
  restored(key: string, idleSeconds: number | undefined, frequency: number | undefined): void {
    if (idleSeconds !== undefined) (this.seen ?? this.lru)?.set(key, clockSeconds() - idleSeconds);
    if (this.lfu !== undefined && frequency !== undefined) this.lfu.set(key, clockMinutes() * 256 + frequency);
  }

  forget(key: string): void {
    this.seen?.delete(key);
    this.lru?.delete(key);
    this.lfu?.delete(key);
  }

  clear(): void {
    this.seen?.clear();
    this.lru?.clear();
    this.lfu?.clear();
  }

  /** Seconds since the last access (OBJECT IDLETIME); 0 under an LFU policy, which keeps no recency. */
  idleSeconds(key: string): number {
    const last = this.seen?.get(key) ?? this.lru?.peek(key);
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

  /** Redis's logarithmic increment: the higher the counter, the less likely it grows. */
  private increment(counter: number): number {
    if (counter === LFU_MAX) return counter;
    const base = Math.max(0, counter - LFU_INIT);
    return Math.random() < 1 / (base * this.settings.lfuLogFactor + 1) ? counter + 1 : counter;
  }
}
