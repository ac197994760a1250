/**
 * Generic key commands: existence, deletion, renaming, copying, expiry,
 * iteration (KEYS, SCAN, RANDOMKEY), OBJECT and database selection.
 */
import { ReplyError, dbIndexOutOfRange, invalidExpireTime, noSuchKey, syntaxError } from '../errors.js';
import { OK, SimpleString, type Reply } from '../protocol/reply.js';
import { CursorTable } from '../store/cursors.js';
import { typeName, type Database, type RedisValue } from '../store/database.js';
import { globMatch } from '../util/glob.js';
import { parseInt64 } from '../util/numbers.js';
import { now } from '../store/clock.js';
import { NOTIFY } from '../store/notify.js';
import { integerArg, numberArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { asExpiry } from '../persistence/propagation.js';

const ALL_KEYS = { first: 1, last: -1, step: 1 };
const statusOf = (text: string): SimpleString => new SimpleString(text);
const sameObject = (): ReplyError => new ReplyError('ERR source and destination objects are the same');

/** The database with index `text`, or Redis's errors for a bad or out-of-range index. */
export function databaseArg(ctx: CommandContext, text: string, notIntegerMessage?: string): Database {
  const index = parseInt64(text);
  if (index === null) {
    throw new ReplyError(notIntegerMessage ? `ERR ${notIntegerMessage}` : 'ERR value is not an integer or out of range');
  }
  if (index > 2147483647 || index < -2147483648) {
    throw new ReplyError(notIntegerMessage ? `ERR ${notIntegerMessage}` : 'ERR value is out of range, value must between -2147483648 and 2147483647');
  }
  const db = ctx.server.keyspace.dbs[Number(index)];
  if (db === undefined) throw dbIndexOutOfRange();
  return db;
}

function countExisting(ctx: CommandContext, args: string[], remove: boolean): number {
  const db = ctx.client.db;
  let count = 0;
  for (let i = 1; i < args.length; i++) {
    if (remove ? db.deleteNotify(args[i]) : db.read(args[i], false) !== undefined) count++;
  }
  return count;
}

/** Above this many allocations Redis frees a value in its background thread rather than at once (LAZYFREE_THRESHOLD). */
const LAZYFREE_THRESHOLD = 64;

/**
 * UNLINK, and DEL under lazyfree-lazy-user-del: V8's collector frees everything
 * lazily, so what differs from DEL is only that Redis counts the big values.
 */
function unlinkKeys(ctx: CommandContext, args: string[]): number {
  const db = ctx.client.db;
  for (let i = 1; i < args.length; i++) {
    const value = db.read(args[i], false);
    if (value !== undefined && typeof value !== 'string' && value.freeEffort() > LAZYFREE_THRESHOLD) ctx.server.stats.lazyfreedObjects++;
  }
  return countExisting(ctx, args, true);
}

const lazyUserDel = (ctx: CommandContext): boolean => ctx.server.config.get('lazyfree-lazy-user-del') === 'yes';

function rename(ctx: CommandContext, args: string[], onlyIfNew: boolean): Reply {
  const db = ctx.client.db;
  const [, from, to] = args;
  const value = db.get(from);
  if (value === undefined) throw noSuchKey();
  if (from === to) return onlyIfNew ? 0 : OK;
  if (onlyIfNew && db.has(to)) return 0;
  const when = db.expireTime(from);
  // The target is replaced, not overwritten: it counts as a new key, as in Redis.
  const made = db.madeEncoding(from);
  db.delete(to);
  db.delete(from);
  db.set(to, value);
  db.madeAs(to, made);
  if (when !== undefined) db.setExpire(to, when);
  db.notify(NOTIFY.GENERIC, 'rename_from', from);
  db.notify(NOTIFY.GENERIC, 'rename_to', to);
  return onlyIfNew ? 1 : OK;
}

/** A value that can be stored under a second key without sharing state. */
function duplicate(value: RedisValue): RedisValue {
  return typeof value === 'string' ? value : value.clone();
}

function copy(ctx: CommandContext, args: string[]): Reply {
  const src = ctx.client.db;
  let dst = src;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (opt === 'REPLACE') replace = true;
    else if (opt === 'DB' && i + 1 < args.length) dst = databaseArg(ctx, args[++i]);
    else throw syntaxError();
  }
  const [, from, to] = args;
  if (src === dst && from === to) throw sameObject();
  const value = src.read(from);
  if (value === undefined) return 0;
  if (dst.has(to)) {
    if (!replace) return 0;
    dst.delete(to);
  }
  const when = src.expireTime(from);
  dst.set(to, duplicate(value));
  dst.madeAs(to, src.madeEncoding(from));
  if (when !== undefined) dst.setExpire(to, when);
  dst.notify(NOTIFY.GENERIC, 'copy_to', to);
  return 1;
}

function move(ctx: CommandContext, args: string[]): Reply {
  const src = ctx.client.db;
  const dst = databaseArg(ctx, args[2]);
  if (src === dst) throw sameObject();
  const key = args[1];
  const value = src.get(key);
  if (value === undefined || dst.has(key)) return 0;
  const when = src.expireTime(key);
  dst.set(key, value);
  dst.madeAs(key, src.madeEncoding(key));
  if (when !== undefined) dst.setExpire(key, when);
  src.delete(key);
  src.notify(NOTIFY.GENERIC, 'move_from', key);
  dst.notify(NOTIFY.GENERIC, 'move_to', key);
  return 1;
}

/** The NX/XX/GT/LT options of the EXPIRE family, with Redis's compatibility rules. */
function expireConditions(args: string[]): Set<string> {
  const seen = new Set<string>();
  for (let i = 3; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (opt !== 'NX' && opt !== 'XX' && opt !== 'GT' && opt !== 'LT') throw new ReplyError(`ERR Unsupported option ${args[i]}`);
    seen.add(opt);
  }
  if (seen.has('NX') && seen.size > 1) throw new ReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (seen.has('GT') && seen.has('LT')) throw new ReplyError('ERR GT and LT options at the same time are not compatible');
  return seen;
}

/** EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: `relative` adds the current time, `seconds` scales by 1000. */
function expire(relative: boolean, seconds: boolean) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const conditions = expireConditions(args);
    let when = BigInt(integerArg(args[2]));
    if (seconds) {
      if (when > 9223372036854775n || when < -9223372036854775n) throw invalidExpireTime(args[0].toLowerCase());
      when *= 1000n;
    }
    const base = relative ? BigInt(now()) : 0n;
    if (when > 9223372036854775807n - base) throw invalidExpireTime(args[0].toLowerCase());
    when += base;
    const db = ctx.client.db;
    const key = args[1];
    if (!db.has(key)) return 0;
    const current = db.expireTime(key);
    if (conditions.size > 0) {
      // A key without a TTL counts as living forever: never "greater", always "less".
      if (conditions.has('NX') && current !== undefined) return 0;
      if (conditions.has('XX') && current === undefined) return 0;
      if (conditions.has('GT') && (current === undefined || when <= BigInt(current))) return 0;
      if (conditions.has('LT') && current !== undefined && when >= BigInt(current)) return 0;
    }
    const ms = Number(when);
    if (ctx.server.keyspace.alreadyExpired(ms)) {
      db.deleteNotify(key);
    } else {
      db.setExpire(key, ms);
      db.notify(NOTIFY.GENERIC, 'expire', key);
    }
    return 1;
  };
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for no TTL. */
function ttl(ms: boolean, absolute: boolean) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const db = ctx.client.db;
    if (db.read(args[1], false) === undefined) return -2;
    const when = db.expireTime(args[1]);
    if (when === undefined) return -1;
    const value = absolute ? when : Math.max(0, when - now());
    return ms ? value : Math.floor((value + 500) / 1000);
  };
}

function keys(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const pattern = args[1];
  const all = pattern === '*';
  const at = now();
  const out: string[] = [];
  for (const key of db.data.keys()) {
    if ((all || globMatch(pattern, key, false)) && !db.isExpired(key, at)) out.push(key);
  }
  return out;
}

const scanCursors = new CursorTable<string>();

/**
 * Parses a SCAN cursor as Redis's strtoul does: decimal, empty meaning 0, a
 * minus sign wrapping around (any cursor we never issued restarts the walk).
 */
export function cursorArg(text: string): number {
  if (!/^-?\d*$/.test(text) || text.length > 21 || (text !== '' && text !== '-' && BigInt(text) > 18446744073709551615n)) {
    throw new ReplyError('ERR invalid cursor');
  }
  return text === '' || text === '-' ? 0 : Math.abs(Number(text));
}

interface ScanOptions {
  count: number;
  pattern?: string;
  type?: string;
}

/** MATCH and COUNT (and TYPE when `allowType`) after the cursor, for every SCAN-family command. */
export function scanOptions(args: string[], from: number, allowType: boolean): ScanOptions {
  const options: ScanOptions = { count: 10 };
  for (let i = from; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (opt === 'COUNT' && hasValue) {
      options.count = numberArg(args[++i]);
      if (options.count < 1) throw syntaxError();
    } else if (opt === 'MATCH' && hasValue) {
      const pattern = args[++i];
      options.pattern = pattern === '*' ? undefined : pattern;
    } else if (opt === 'TYPE' && allowType && hasValue) {
      options.type = args[++i].toLowerCase();
    } else {
      throw syntaxError();
    }
  }
  return options;
}

function scan(ctx: CommandContext, args: string[]): Reply {
  const cursor = cursorArg(args[1]);
  const { count, pattern, type } = scanOptions(args, 2, true);
  const db = ctx.client.db;
  const at = now();
  const [next, found] = scanCursors.take(cursor, db.data, () => db.data.keys(), count, (key) => {
    if (db.expireIfDue(key, at)) return false;
    if (pattern !== undefined && !globMatch(pattern, key, false)) return false;
    if (type !== undefined) {
      const value = db.data.get(key);
      if (value === undefined || typeName(value) !== type) return false;
    }
    return true;
  });
  return [String(next), found];
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** OBJECT subcommands share the lookup: nil for a missing key, as Redis replies. */
function objectSub(name: string, summary: string, answer: (value: RedisValue, ctx: CommandContext, key: string) => Reply): CommandSpec {
  return defineCommand({
    name, arity: 3, flags: ['readonly'], keys: { first: 2, last: 2, step: 1 }, group: 'generic', since: '2.2.3',
    complexity: 'O(1)', summary, syntax: 'key',
    run: (ctx, args) => {
      const value = ctx.client.db.get(args[2]);
      return value === undefined ? null : answer(value, ctx, args[2]);
    },
  });
}

function integersUnshared(ctx: CommandContext): boolean {
  const policy = ctx.server.config.get('maxmemory-policy') ?? '';
  return ctx.server.config.values.maxmemory > 0 && (policy.includes('lru') || policy.includes('lfu'));
}

function maxmemoryPolicyIsLfu(ctx: CommandContext): boolean {
  return (ctx.server.config.get('maxmemory-policy') ?? '').includes('lfu');
}

export const keyCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'del', arity: -2, flags: ['write'], keys: ALL_KEYS, group: 'generic', since: '1.0.0',
    complexity: 'O(N) where N is the number of keys', summary: 'Deletes keys; returns how many existed.', syntax: 'key [key ...]',
    run: (ctx, args) => (lazyUserDel(ctx) ? unlinkKeys(ctx, args) : countExisting(ctx, args, true)),
  }),
  defineCommand({
    name: 'unlink', arity: -2, flags: ['write', 'fast'], keys: ALL_KEYS, group: 'generic', since: '4.0.0',
    complexity: 'O(1) for each key removed', summary: 'Deletes keys, reclaiming their memory in the background; returns how many existed.',
    syntax: 'key [key ...]', run: unlinkKeys,
  }),
  defineCommand({
    name: 'exists', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS, group: 'generic', since: '1.0.0',
    complexity: 'O(N) where N is the number of keys', summary: 'Counts how many of the given keys exist (repeats count again).',
    syntax: 'key [key ...]', run: (ctx, args) => countExisting(ctx, args, false),
  }),
  defineCommand({
    name: 'type', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Names the type of the value at a key, or none.', syntax: 'key',
    run: (ctx, args) => {
      const value = ctx.client.db.read(args[1], false);
      return statusOf(value === undefined ? 'none' : typeName(value));
    },
  }),
  defineCommand({
    name: 'keys', arity: 2, flags: ['readonly'], group: 'generic', since: '1.0.0',
    complexity: 'O(N) with N being the number of keys in the database', summary: 'Lists every key matching a glob pattern.',
    syntax: 'pattern', run: keys,
  }),
  defineCommand({
    name: 'scan', arity: -2, flags: ['readonly'], group: 'generic', since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration', summary: 'Iterates over the keys with a cursor, optionally filtered by pattern and type.',
    syntax: 'cursor [MATCH pattern] [COUNT count] [TYPE type]', run: scan,
  }),
  defineCommand({
    name: 'randomkey', arity: 1, flags: ['readonly'], group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Returns a random key, or nil when the database is empty.',
    run: (ctx) => ctx.client.db.randomKey() ?? null,
  }),
  defineCommand({
    name: 'rename', arity: 3, flags: ['write'], keys: { first: 1, last: 2, step: 1 }, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Renames a key, replacing any key of the new name.', syntax: 'key newkey',
    run: (ctx, args) => rename(ctx, args, false),
  }),
  defineCommand({
    name: 'renamenx', arity: 3, flags: ['write', 'fast'], keys: { first: 1, last: 2, step: 1 }, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Renames a key only when the new name is free.', syntax: 'key newkey',
    run: (ctx, args) => rename(ctx, args, true),
  }),
  defineCommand({
    name: 'copy', arity: -3, flags: ['write', 'denyoom'], keys: { first: 1, last: 2, step: 1 }, group: 'generic', since: '6.2.0',
    complexity: 'O(N) worst case for collections, where N is the number of nested items', summary: 'Copies a value to another key, possibly in another database.',
    syntax: 'source destination [DB destination-db] [REPLACE]', run: copy,
  }),
  defineCommand({
    name: 'move', arity: 3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Moves a key to another database unless it exists there.', syntax: 'key db', run: move,
  }),
  defineCommand({
    name: 'swapdb', alwaysPropagated: true, arity: 3, flags: ['write', 'fast'], group: 'server', since: '4.0.0',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases', summary: 'Exchanges the contents of two databases.',
    syntax: 'index1 index2',
    run: (ctx, args) => {
      const a = databaseArg(ctx, args[1], 'invalid first DB index');
      const b = databaseArg(ctx, args[2], 'invalid second DB index');
      ctx.server.keyspace.swap(a.id, b.id);
      return OK;
    },
  }),
  defineCommand({
    name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], group: 'server', since: '1.0.0',
    complexity: 'O(1)', summary: 'Counts the keys of the selected database.', run: (ctx) => ctx.client.db.size,
  }),
  defineCommand({
    name: 'touch', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS, group: 'generic', since: '3.2.1',
    complexity: 'O(N) where N is the number of keys that will be touched', summary: 'Marks keys as accessed; returns how many exist.',
    syntax: 'key [key ...]', run: (ctx, args) => args.slice(1).filter((key) => ctx.client.db.read(key) !== undefined).length,
  }),
  defineCommand({
    name: 'expire', propagate: asExpiry, arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Sets a time to live in seconds.', syntax: 'key seconds [NX|XX|GT|LT]', run: expire(true, true),
  }),
  defineCommand({
    name: 'pexpire', propagate: asExpiry, arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '2.6.0',
    complexity: 'O(1)', summary: 'Sets a time to live in milliseconds.', syntax: 'key milliseconds [NX|XX|GT|LT]', run: expire(true, false),
  }),
  defineCommand({
    name: 'expireat', propagate: asExpiry, arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '1.2.0',
    complexity: 'O(1)', summary: 'Sets the expiry as a Unix time in seconds.', syntax: 'key unix-time-seconds [NX|XX|GT|LT]', run: expire(false, true),
  }),
  defineCommand({
    name: 'pexpireat', propagate: asExpiry, arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '2.6.0',
    complexity: 'O(1)', summary: 'Sets the expiry as a Unix time in milliseconds.', syntax: 'key unix-time-milliseconds [NX|XX|GT|LT]', run: expire(false, false),
  }),
  defineCommand({
    name: 'ttl', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'generic', since: '1.0.0',
    complexity: 'O(1)', summary: 'Seconds left to live; -1 without expiry, -2 for a missing key.', syntax: 'key', run: ttl(false, false),
  }),
  defineCommand({
    name: 'pttl', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'generic', since: '2.6.0',
    complexity: 'O(1)', summary: 'Milliseconds left to live; -1 without expiry, -2 for a missing key.', syntax: 'key', run: ttl(true, false),
  }),
  defineCommand({
    name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'generic', since: '7.0.0',
    complexity: 'O(1)', summary: 'The expiry as a Unix time in seconds; -1 without expiry, -2 for a missing key.', syntax: 'key', run: ttl(false, true),
  }),
  defineCommand({
    name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'generic', since: '7.0.0',
    complexity: 'O(1)', summary: 'The expiry as a Unix time in milliseconds; -1 without expiry, -2 for a missing key.', syntax: 'key', run: ttl(true, true),
  }),
  defineCommand({
    name: 'persist', arity: 2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'generic', since: '2.2.0',
    complexity: 'O(1)', summary: 'Removes the time to live of a key; 1 if it had one.', syntax: 'key',
    run: (ctx, args) => {
      const db = ctx.client.db;
      if (!db.has(args[1]) || !db.persist(args[1])) return 0;
      db.notify(NOTIFY.GENERIC, 'persist', args[1]);
      return 1;
    },
  }),
  defineCommand({
    name: 'object', arity: -2, flags: [], group: 'generic', since: '2.2.3', complexity: 'Depends on subcommand.',
    summary: 'Inspects how a value is stored.',
    subcommands: [
      objectSub('encoding', 'Names the internal representation of a value.', (value, ctx, key) =>
        typeof value === 'string' ? ctx.client.db.stringEncoding(key, value) : value.encoding(),
      ),
      objectSub('freq', 'Logarithmic access frequency of a key (needs an LFU maxmemory-policy).', (_value, ctx, key) => {
        if (!maxmemoryPolicyIsLfu(ctx)) {
          throw new ReplyError('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
        }
        return ctx.client.db.access.counter(key);
      }),
      objectSub('idletime', 'Seconds since the key was last accessed (kept with an LRU maxmemory-policy).', (value, ctx, key) => {
        if (maxmemoryPolicyIsLfu(ctx)) {
          throw new ReplyError('ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
        }
        return ctx.client.db.access.idleSeconds(key, value);
      }),
      // Redis shares the integers 0..9999 and reports them with the maximal refcount, except under
      // maxmemory with an LRU or LFU policy, where each key needs its own object for its access time.
      // (Redis decides when the value is stored; this looks at the settings now.)
      objectSub('refcount', 'Reference count of a value.', (value, ctx) =>
        typeof value === 'string' && /^(0|[1-9]\d{0,3})$/.test(value) && !integersUnshared(ctx) ? 2147483647 : 1,
      ),
      defineCommand({
        name: 'help', arity: 2, flags: ['loading', 'stale'], group: 'generic', since: '6.2.0', complexity: 'O(1)',
        summary: 'Lists the OBJECT subcommands.', run: () => OBJECT_HELP.map(statusOf),
      }),
    ],
  }),
  defineCommand({
    name: 'flushdb', alwaysPropagated: true, arity: -1, flags: ['write'], group: 'server', since: '1.0.0',
    complexity: 'O(N) where N is the number of keys in the selected database', summary: 'Deletes every key of the selected database.',
    syntax: '[ASYNC|SYNC]',
    run: (ctx, args) => {
      const lazily = flushIsAsync(ctx, args);
      const removed = ctx.server.keyspace.flush(ctx.client.db);
      if (lazily) ctx.server.stats.lazyfreedObjects += removed;
      return OK;
    },
  }),
  defineCommand({
    name: 'flushall', alwaysPropagated: true, arity: -1, flags: ['write'], group: 'server', since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases', summary: 'Deletes every key of every database.',
    syntax: '[ASYNC|SYNC]',
    run: (ctx, args) => {
      const lazily = flushIsAsync(ctx, args);
      // As Redis: a snapshot being written is of data about to go, so it stops (first: emptying
      // the databases would complete it), and with save points the empty dataset is saved at once
      // (which zeroes the change count).
      const persistence = ctx.server.persistence;
      persistence.cancelBackgroundSave();
      const removed = ctx.server.keyspace.flushAll();
      if (lazily) ctx.server.stats.lazyfreedObjects += removed;
      if (persistence.savePointsConfigured) {
        try {
          persistence.save();
        } catch {
          // Redis ignores a failed save here too; the failure is logged and in INFO.
        }
      }
      return OK;
    },
  }),
  defineCommand({
    name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], group: 'connection', since: '1.0.0',
    complexity: 'O(1)', summary: 'Switches the connection to another numbered database.', syntax: 'index',
    run: (ctx, args) => {
      ctx.client.db = databaseArg(ctx, args[1]);
      return OK;
    },
  }),
];

/** FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both free at once here. */
/** True when the flush is asynchronous: ASYNC given, or nothing given and lazyfree-lazy-user-flush on. */
function flushIsAsync(ctx: CommandContext, args: string[]): boolean {
  if (args.length === 1) return ctx.server.config.get('lazyfree-lazy-user-flush') === 'yes';
  const mode = args[1].toUpperCase();
  if (args.length > 2 || (mode !== 'ASYNC' && mode !== 'SYNC')) throw syntaxError();
  return mode === 'ASYNC';
}
