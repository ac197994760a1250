/**
 * Clients waiting in blocking commands. Each waits on keys of one database;
 * any change to such a key marks it ready, and after the command that made
 * the change, waiters on ready keys are retried first come, first served,
 * key by key in the order the keys became ready.
 */
import type { BlockRequest } from '../commands/types.js';
import type { Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import type { Client } from './client.js';

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  client: Client;
  /** The blocking command, for the append-only file once it is served. */
  args: string[];
  db: Database;
  request: BlockRequest;
  timer: NodeJS.Timeout | undefined;
}

export class BlockedClients {
  /** Per database, per key, the waiters in arrival order. */
  private readonly byKey = new Map<Database, Map<string, Waiter[]>>();
  private readonly byClient = new Map<Client, Waiter>();
  private readonly ready = new Map<Database, Set<string>>();

  constructor(
    /** Runs `work` on behalf of `client`'s blocked command `args`, as the command itself would run; `work` gives the reply it was served, if any. */
    private readonly runAs: (client: Client, args: string[], work: () => Reply | undefined) => void,
  ) {}

  get count(): number {
    return this.byClient.size;
  }

  isBlocked(client: Client): boolean {
    return this.byClient.has(client);
  }

  /** Parks `client` until its request can be served, times out, or is cancelled. */
  block(client: Client, request: BlockRequest, args: string[]): void {
    const waiter: Waiter = { client, args, db: client.db, request, timer: undefined };
    if (request.deadline > 0) this.armTimer(waiter);
    let keys = this.byKey.get(waiter.db);
    if (!keys) this.byKey.set(waiter.db, (keys = new Map()));
    for (const key of new Set(request.keys)) {
      const list = keys.get(key);
      if (list) list.push(waiter);
      else keys.set(key, [waiter]);
    }
    this.byClient.set(client, waiter);
  }

  /** Called for every key change: cheap unless someone waits on that very key. */
  keyModified(db: Database, key: string): void {
    if (this.byClient.size === 0 || !this.byKey.get(db)?.has(key)) return;
    let keys = this.ready.get(db);
    if (!keys) this.ready.set(db, (keys = new Set()));
    keys.add(key);
  }

  /** `db` is about to be flushed or swapped: every key waited on there must be looked at again. */
  databaseReplaced(db: Database): void {
    const waited = this.byKey.get(db);
    if (!waited) return;
    let keys = this.ready.get(db);
    if (!keys) this.ready.set(db, (keys = new Set()));
    for (const key of waited.keys()) keys.add(key);
  }

  /** Retries the waiters of every ready key; serving one may make further keys ready. */
  serveReady(): void {
    while (this.ready.size > 0) {
      const [db, keys] = this.ready.entries().next().value as [Database, Set<string>];
      const key = keys.values().next().value as string;
      keys.delete(key);
      if (keys.size === 0) this.ready.delete(db);
      for (const waiter of this.byKey.get(db)?.get(key)?.slice() ?? []) {
        if (this.byClient.get(waiter.client) !== waiter) continue;
        this.runAs(waiter.client, waiter.args, () => {
          const reply = waiter.request.attempt(key);
          if (reply !== undefined) this.release(waiter, reply);
          return reply;
        });
      }
    }
  }

  /** CLIENT UNBLOCK: ends the wait with the timeout reply, or with `error`; false when not blocked in a blocking command. */
  cancel(client: Client, reply?: Reply): boolean {
    const waiter = this.byClient.get(client);
    if (!waiter || waiter.request.deferred) return false;
    this.release(waiter, reply ?? waiter.request.timeoutReply);
    return true;
  }

  /** The reply of a deferred command has come: the wait ends with it (nothing happens for a client that went away). */
  finish(client: Client, reply: Reply): void {
    const waiter = this.byClient.get(client);
    if (waiter) this.release(waiter, reply);
  }

  /** Ends every wait with `reply`; returns the clients that waited. */
  releaseAll(reply: Reply): Client[] {
    const waiters = [...this.byClient.values()];
    for (const waiter of waiters) this.release(waiter, reply);
    return waiters.map((w) => w.client);
  }

  /** Forgets a client that went away while blocked. */
  drop(client: Client): void {
    const waiter = this.byClient.get(client);
    if (waiter) this.remove(waiter);
  }

  /** Times the waiter out at its deadline, in steps setTimeout can take. */
  private armTimer(waiter: Waiter): void {
    const remaining = waiter.request.deadline - Date.now();
    waiter.timer =
      remaining > MAX_TIMER_MS
        ? setTimeout(() => this.armTimer(waiter), MAX_TIMER_MS)
        : setTimeout(() => this.release(waiter, waiter.request.timeoutReply), Math.max(0, remaining));
  }

  private release(waiter: Waiter, reply: Reply): void {
    this.remove(waiter);
    waiter.client.unblocked(reply);
  }

  private remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.byClient.delete(waiter.client);
    const keys = this.byKey.get(waiter.db);
    if (!keys) return;
    for (const key of new Set(waiter.request.keys)) {
      const list = keys.get(key);
      if (!list) continue;
      const index = list.indexOf(waiter);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) keys.delete(key);
    }
    if (keys.size === 0) this.byKey.delete(waiter.db);
  }
}
