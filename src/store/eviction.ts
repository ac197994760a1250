/**
 * maxmemory: before a command runs, keys are evicted by the maxmemory-policy
 * until the estimated memory is under the limit again, as Redis does.
 *
 * The LRU policies take the least recently used key exactly (the access
 * record keeps a true recency order). The others look, like Redis, at a
 * sample of maxmemory-samples keys per database; a sample is the next keys of
 * a cursor that walks each database round and round from a random start, so
 * over time every key is looked at. As in Redis, the best candidates of the
 * samples so far wait in a small pool, so each eviction takes the best key
 * seen across many samples, not just the best of the last one.
 */
import type { Database } from './database.js';
import type { Keyspace } from './keyspace.js';

export type EvictionPolicy =
  | 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-lfu' | 'volatile-lfu'
  | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';

/** Longest a single eviction run may take; the next command continues it. */
const BUDGET_MS = 25;
/** Candidates kept between samples (Redis's EVPOOL_SIZE). */
const POOL_SIZE = 16;

interface Candidate {
  db: Database;
  key: string;
  /** Lower is evicted first: expiry time (volatile-ttl) or access counter (LFU). */
  score: number;
}

export class Evictor {
  /** Keys evicted so far (INFO evicted_keys). */
  evicted = 0;
  private readonly cursors = new WeakMap<Map<string, unknown>, Iterator<string>>();
  private pool: Candidate[] = [];
  private poolPolicy: EvictionPolicy | undefined;

  constructor(private readonly keyspace: Keyspace) {}

  /**
   * Evicts until the keyspace's memory is at most `limit` (maxmemory less
   * what the server holds beside the keys, so it may be below zero); false
   * when it is still over (nothing left that the policy may evict, or out of
   * time for this run).
   */
  freeMemory(limit: number, policy: EvictionPolicy, samples: number): boolean {
    const freed = this.evictTo(limit, policy, samples);
    // INFO total_eviction_exceeded_time and current_eviction_exceeded_time: how long memory stayed over the limit.
    if (freed && this.exceededSince !== 0) {
      this.exceededTotalMs += performance.now() - this.exceededSince;
      this.exceededSince = 0;
    } else if (!freed && this.exceededSince === 0) {
      this.exceededSince = performance.now();
    }
    return freed;
  }

  /** When memory last went over maxmemory without eviction bringing it back (0: it is under). */
  private exceededSince = 0;
  private exceededTotalMs = 0;

  /** Milliseconds memory has been over the limit: in all, and in the current stretch. */
  exceededTime(): { totalMs: number; currentMs: number } {
    const currentMs = this.exceededSince === 0 ? 0 : performance.now() - this.exceededSince;
    return { totalMs: Math.floor(this.exceededTotalMs + currentMs), currentMs: Math.floor(currentMs) };
  }

  /**
   * CONFIG RESETSTAT: evicted_keys and both times start again, the current
   * stretch with the next failed eviction (as Redis resets them).
   */
  resetStats(): void {
    this.evicted = 0;
    this.exceededTotalMs = 0;
    this.exceededSince = 0;
  }

  private evictTo(limit: number, policy: EvictionPolicy, samples: number): boolean {
    if (this.keyspace.usedMemory <= limit) return true;
    if (policy === 'noeviction') return false;
    const started = performance.now();
    try {
      while (this.keyspace.usedMemory > limit) {
        const victim = this.choose(policy, samples);
        if (victim === undefined) return false;
        victim[0].evict(victim[1]);
        this.evicted++;
        if (performance.now() - started > BUDGET_MS) return this.keyspace.usedMemory <= limit;
      }
      return true;
    } finally {
      this.keyspace.cycleTook('eviction-cycle', performance.now() - started);
    }
  }

  private choose(policy: EvictionPolicy, samples: number): [Database, string] | undefined {
    const volatile = policy.startsWith('volatile-');
    if (policy === 'volatile-ttl' || policy.endsWith('-lfu')) return this.fromPool(policy, volatile, samples);
    let best: [Database, string] | undefined;
    let bestScore = Infinity;
    for (const db of this.keyspace.dbs) {
      if ((volatile ? db.expires.size : db.size) === 0) continue;
      const candidate = this.candidateIn(db, policy, volatile, samples);
      if (candidate !== undefined && candidate[1] < bestScore) {
        best = [db, candidate[0]];
        bestScore = candidate[1];
      }
    }
    return best;
  }

  /** The best key of one database to evict, with a score (lower goes first). */
  private candidateIn(db: Database, policy: EvictionPolicy, volatile: boolean, samples: number): [string, number] | undefined {
    if (policy.endsWith('-lru')) {
      for (const [key, lastAccess] of db.access.leastRecent()) {
        if (!volatile || db.expires.has(key)) return [key, lastAccess];
      }
      return undefined;
    }
    const keys = this.sample(volatile ? db.expires : db.data, samples);
    const key = keys[Math.floor(Math.random() * keys.length)];
    return key === undefined ? undefined : [key, Math.random()];
  }

  /** volatile-ttl and LFU: refills the pool from fresh samples, then takes its best candidate that still exists. */
  private fromPool(policy: EvictionPolicy, volatile: boolean, samples: number): [Database, string] | undefined {
    if (this.poolPolicy !== policy) {
      this.pool = [];
      this.poolPolicy = policy;
    }
    // An empty pool is filled completely first, so that one early sample cannot decide alone.
    const count = Math.max(samples, POOL_SIZE - this.pool.length);
    for (const db of this.keyspace.dbs) {
      if ((volatile ? db.expires.size : db.size) === 0) continue;
      for (const key of this.sample(volatile ? db.expires : db.data, count)) {
        // volatile-ttl: the soonest expiry; LFU: the lowest access counter.
        const score = policy === 'volatile-ttl' ? db.expires.get(key)! : db.access.counter(key);
        this.offer({ db, key, score });
      }
    }
    while (this.pool.length > 0) {
      const { db, key } = this.pool.shift()!;
      if (volatile ? db.expires.has(key) : db.data.has(key)) return [db, key];
    }
    return undefined;
  }

  private offer(candidate: Candidate): void {
    const pool = this.pool;
    if (pool.some((c) => c.db === candidate.db && c.key === candidate.key)) return;
    if (pool.length === POOL_SIZE && candidate.score >= pool[POOL_SIZE - 1].score) return;
    let at = pool.length;
    while (at > 0 && pool[at - 1].score > candidate.score) at--;
    pool.splice(at, 0, candidate);
    if (pool.length > POOL_SIZE) pool.pop();
  }

  /**
   * `count` keys of a map from its walking cursor. In a map much larger than
   * the sample each key met is taken with probability one half (a random
   * stride), so that samples are not always runs of neighbours.
   */
  private sample(map: Map<string, unknown>, count: number): string[] {
    let cursor = this.cursors.get(map);
    if (cursor === undefined) {
      cursor = map.keys();
      // Start somewhere random, so the walk does not favour the oldest keys on every start.
      for (let skip = Math.floor(Math.random() * Math.min(map.size, 64)); skip > 0; skip--) cursor.next();
      this.cursors.set(map, cursor);
    }
    const keys: string[] = [];
    const stride = map.size > 4 * count;
    for (let restarts = 0; keys.length < count && restarts < 2; ) {
      const next = cursor.next();
      if (next.done) {
        cursor = map.keys();
        this.cursors.set(map, cursor);
        restarts++;
        continue;
      }
      if (stride && Math.random() < 0.5) continue;
      if (!keys.includes(next.value)) keys.push(next.value);
      if (keys.length >= map.size) break;
    }
    return keys;
  }
}
