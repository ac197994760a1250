/**
 * All databases, the statistics over them, and the background expiry cycle.
 */
import { Database, type KeyspaceHooks } from './database.js';
import { NOTIFY, type NotifyClass } from './notify.js';
import { AccessRecord, type AccessMode, type LfuSettings } from './access.js';
import { BASELINE_BYTES } from './memory.js';
import { Evictor } from './eviction.js';
import { now } from './clock.js';

/** Keys sampled per round of the active expiry cycle (Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
const EXPIRE_SAMPLE = 20;
/** Another round follows while more than this share of a sample had expired. */
const EXPIRE_STALE_SHARE = 0.1;

/** Listener for every key change (WATCH, keyspace notifications and the like hook in here). */
export type KeyListener = (db: Database, key: string) => void;
/** Listener called before a database is emptied or swapped with `other` (WATCH must see it). */
export type DatabaseListener = (db: Database, other?: Database) => void;
/** Receives the keyspace events of the enabled classes. */
export type EventListener = (db: Database, event: string, key: string) => void;

export class Keyspace implements KeyspaceHooks {
  readonly dbs: Database[];
  readonly stats = { hits: 0, misses: 0, expiredKeys: 0, expiredStalePerc: 0, expireCycleTimeMs: 0, expireTimeCapReached: 0 };
  /** Changes since the last save, as INFO's rdb_changes_since_last_save. */
  dirty = 0;
  activeExpireEnabled = true;
  expiryPaused = false;
  /** A start-up load is under way: no active expiry meanwhile, as Redis's cron does not run then. */
  loading = false;
  expiryIgnored = false;
  touchSuppressed = false;
  private accessMode: AccessMode = 'none';
  readonly evictor = new Evictor(this);
  /** Told how long each expiry or eviction cycle took (the latency monitor's expire-cycle and eviction-cycle events). */
  cycleListener: ((event: 'expire-cycle' | 'eviction-cycle', ms: number) => void) | undefined = undefined;
  /** notify-keyspace-events as NOTIFY bits; events of other classes stop here, at the cost of one test. */
  notifyFlags = 0;
  /** Where enabled events go (the server publishes them). */
  eventListener: EventListener | undefined = undefined;
  private readonly modifiedListeners: KeyListener[] = [];
  private readonly replacedListeners: DatabaseListener[] = [];
  private readonly flushListeners: (() => void)[] = [];
  private readonly droppedListeners: KeyListener[] = [];
  /** Per database, where the expiry cycle left off, so each cycle resumes instead of resampling the head. */
  private readonly expireCursors = new Map<Database, { map: Map<string, number>; it: Iterator<[string, number]> }>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * Whether a command given this absolute time deletes the key at once
   * (Redis's checkAlreadyExpired): not while an AOF is replayed or a
   * master's stream applied, where the time is stored as it is.
   */
  alreadyExpired(ms: number): boolean {
    return ms <= now() && !this.expiryIgnored;
  }

  constructor(
    databases: number,
    private readonly lfuSettings: LfuSettings,
  ) {
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(i, this, new AccessRecord('none', new Map(), lfuSettings)));
  }

  /** The keyspace's part of used_memory: a fixed base plus every database's keys (the server adds its buffers). */
  get usedMemory(): number {
    let total = BASELINE_BYTES;
    for (const db of this.dbs) total += db.usedBytes;
    return total;
  }

  /** Starts keeping what a new maxmemory-policy needs (recency, frequency or nothing) about every key. */
  setAccessMode(mode: AccessMode): void {
    if (mode === this.accessMode) return;
    this.accessMode = mode;
    for (const db of this.dbs) db.access = new AccessRecord(mode, db.data, this.lfuSettings);
  }

  cycleTook(event: 'expire-cycle' | 'eviction-cycle', ms: number): void {
    this.cycleListener?.(event, ms);
  }

  keyModified(db: Database, key: string): void {
    this.dirty++;
    for (const listener of this.modifiedListeners) listener(db, key);
  }

  keyExpired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    this.keyModified(db, key);
    this.keyEvent(db, NOTIFY.EXPIRED, 'expired', key);
  }

  keyEvent(db: Database, cls: NotifyClass, event: string, key: string): void {
    if ((this.notifyFlags & cls) === 0) return;
    this.eventListener?.(db, event, key);
  }

  onKeyModified(listener: KeyListener): void {
    this.modifiedListeners.push(listener);
  }

  onDatabaseReplaced(listener: DatabaseListener): void {
    this.replacedListeners.push(listener);
  }

  /** Told of each key the server removes by itself (expiry, eviction). */
  onKeyDropped(listener: KeyListener): void {
    this.droppedListeners.push(listener);
  }

  keyDropped(db: Database, key: string): void {
    for (const listener of this.droppedListeners) listener(db, key);
  }

  /** Called once per FLUSHDB or FLUSHALL, after the databases were emptied. */
  onFlush(listener: () => void): void {
    this.flushListeners.push(listener);
  }

  /** FLUSHDB: returns how many keys were removed. */
  flush(db: Database): number {
    const removed = this.empty(db);
    for (const listener of this.flushListeners) listener();
    return removed;
  }

  /** FLUSHALL: returns how many keys were removed. */
  flushAll(): number {
    let removed = 0;
    for (const db of this.dbs) removed += this.empty(db);
    for (const listener of this.flushListeners) listener();
    return removed;
  }

  private empty(db: Database): number {
    for (const listener of this.replacedListeners) listener(db);
    const removed = db.clear();
    this.dirty += removed;
    return removed;
  }

  swap(a: number, b: number): void {
    if (a === b) return;
    for (const listener of this.replacedListeners) {
      listener(this.dbs[a], this.dbs[b]);
      listener(this.dbs[b], this.dbs[a]);
    }
    this.dbs[a].swapWith(this.dbs[b]);
  }

  /** Runs the active expiry cycle `hz` times a second until stopped. */
  startExpiryCycle(hz: () => number): void {
    const tick = (): void => {
      if (this.activeExpireEnabled && !this.expiryPaused && !this.loading) this.expireCycle(Math.max(1, Math.floor(250 / hz())));
      this.timer = setTimeout(tick, Math.max(1, Math.floor(1000 / hz())));
      this.timer.unref();
    };
    tick();
  }

  stopExpiryCycle(): void {
    clearTimeout(this.timer);
  }

  /**
   * Samples keys with a TTL and deletes the expired ones, round after round
   * while many are stale, but never for longer than `budgetMs` so the event
   * loop keeps serving clients (Redis spends at most 25% of each cron tick).
   */
  expireCycle(budgetMs: number): void {
    const started = performance.now();
    const now = Date.now();
    let sampled = 0;
    let expired = 0;
    for (const db of this.dbs) {
      while (db.expires.size > 0) {
        let cursor = this.expireCursors.get(db);
        if (!cursor || cursor.map !== db.expires) {
          cursor = { map: db.expires, it: db.expires.entries() };
          this.expireCursors.set(db, cursor);
        }
        let roundSampled = 0;
        let roundExpired = 0;
        while (roundSampled < EXPIRE_SAMPLE) {
          const next = cursor.it.next();
          if (next.done) {
            cursor.it = db.expires.entries();
            break;
          }
          roundSampled++;
          if (next.value[1] <= now && db.expireIfDue(next.value[0], now)) roundExpired++;
        }
        sampled += roundSampled;
        expired += roundExpired;
        if (performance.now() - started > budgetMs) {
          this.stats.expireTimeCapReached++;
          this.recordCycle(started, sampled, expired);
          return;
        }
        if (roundSampled === 0 || roundExpired <= roundSampled * EXPIRE_STALE_SHARE) break;
      }
    }
    this.recordCycle(started, sampled, expired);
  }

  private recordCycle(started: number, sampled: number, expired: number): void {
    const elapsed = performance.now() - started;
    this.stats.expireCycleTimeMs += elapsed;
    this.cycleTook('expire-cycle', elapsed);
    if (sampled > 0) this.stats.expiredStalePerc = (expired / sampled) * 100;
  }
}
