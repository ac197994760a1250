/**
 * WATCH: which clients watch which keys. A change to a watched key, from any
 * client or by expiry, marks the watchers' transactions as doomed: their
 * next EXEC answers a null array.
 */
import type { Database } from '../store/database.js';
import type { Client } from './client.js';

interface Watch {
  client: Client;
  db: Database;
  key: string;
  /** The key had already expired when watched: deleting it later is no change. */
  expiredWhenWatched: boolean;
}

export class WatchedKeys {
  private readonly byKey = new Map<Database, Map<string, Watch[]>>();
  private readonly byClient = new Map<Client, Watch[]>();

  watch(client: Client, db: Database, key: string): void {
    const mine = this.byClient.get(client) ?? [];
    if (mine.some((w) => w.db === db && w.key === key)) return;
    const watch: Watch = { client, db, key, expiredWhenWatched: db.isExpired(key) };
    mine.push(watch);
    this.byClient.set(client, mine);
    let keys = this.byKey.get(db);
    if (!keys) this.byKey.set(db, (keys = new Map()));
    const list = keys.get(key);
    if (list) list.push(watch);
    else keys.set(key, [watch]);
  }

  /** How many keys a client watches. */
  count(client: Client): number {
    return this.byClient.get(client)?.length ?? 0;
  }

  unwatchAll(client: Client): void {
    for (const watch of this.byClient.get(client) ?? []) {
      const keys = this.byKey.get(watch.db);
      const list = keys?.get(watch.key);
      if (!keys || !list) continue;
      list.splice(list.indexOf(watch), 1);
      if (list.length === 0) keys.delete(watch.key);
      if (keys.size === 0) this.byKey.delete(watch.db);
    }
    this.byClient.delete(client);
    // With no watches left there is nothing for EXEC to fail on (RESET, UNWATCH, end of a transaction).
    client.watchedKeyChanged = false;
  }

  /** A key changed: its watchers' transactions fail, unless it only lost a key already expired when watched. */
  touch(db: Database, key: string): void {
    if (this.byKey.size === 0) return;
    for (const watch of this.byKey.get(db)?.get(key) ?? []) {
      if (watch.expiredWhenWatched && !db.data.has(key)) {
        watch.expiredWhenWatched = false;
        continue;
      }
      watch.client.watchedKeyChanged = true;
    }
  }

  /**
   * `db` is about to be emptied (FLUSHDB/FLUSHALL), or to take the contents of
   * `other` (SWAPDB). A watched key changes when it exists on either side,
   * except that a stale (expired, not yet deleted) key going away, or staying
   * stale, or a missing key turning into a stale one, is no logical change.
   */
  touchAll(db: Database, other?: Database): void {
    const watched = this.byKey.get(db);
    // SWAPDB of a database with itself changes nothing.
    if (!watched || other === db) return;
    for (const [key, watches] of watched) {
      const inDb = db.data.has(key);
      const inOther = other !== undefined && other.data.has(key);
      if (!inDb && !inOther) continue;
      const staleInOther = inOther && other.isExpired(key);
      for (const watch of watches) {
        if (watch.expiredWhenWatched) {
          if (!inOther) {
            // The stale key is simply gone: from now on it is a missing key.
            watch.expiredWhenWatched = false;
            continue;
          }
          if (staleInOther) continue;
        } else if (!inDb && staleInOther) {
          // A missing key replaced by a stale one: still logically missing.
          watch.expiredWhenWatched = true;
          continue;
        }
        watch.client.watchedKeyChanged = true;
      }
    }
  }

  /** EXEC also fails when a watched key has expired since WATCH, even if nobody deleted it yet. */
  anyExpiredSinceWatch(client: Client): boolean {
    return (this.byClient.get(client) ?? []).some((w) => !w.expiredWhenWatched && w.db.isExpired(w.key));
  }
}
