/**
 * Hash commands: fields and values under one key (HSET, HGET, counters,
 * whole-hash reads, HRANDFIELD, HSCAN). The data structure is store/hash.ts.
 */
import { ReplyError, notFloat, overflow, syntaxError, wrongArity, notFinite, outOfLongRange, valueOutOfRange, replyTooLarge } from '../errors.js';
import { MapReply, OK, type Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import { NOTIFY } from '../store/notify.js';
import { HashValue, MAX_HASH_FIELDS, type ListpackLimits } from '../store/hash.js';
import { CursorTable } from '../store/cursors.js';
import { globMatch } from '../util/glob.js';
import { addInt64, parseInt64, type Int64 } from '../util/numbers.js';
import { ZERO, addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, parseLongDouble } from '../store/longdouble.js';
import { cursorArg, scanOptions } from './keys.js';
import { integerArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { asHset } from '../persistence/propagation.js';


// Errors only the hash commands give (candidates for errors.ts).
const hashNotInteger = (): ReplyError => new ReplyError('ERR hash value is not an integer');
const hashNotFloat = (): ReplyError => new ReplyError('ERR hash value is not a float');
const incrementNotFinite = (): ReplyError => new ReplyError('ERR value is NaN or Infinity');
/** Not in Redis: a JS Map cannot hold more entries. */
const hashFull = (): ReplyError => new ReplyError(`ERR hash cannot hold more than ${MAX_HASH_FIELDS} fields`);
/** Not in Redis, which would buffer the reply until memory runs out: ours is built as one string. */

/** HRANDFIELD with a negative count refuses replies estimated above this many bytes. */
const MAX_RANDOM_REPLY_BYTES = 256 * 1024 * 1024;
const LONG_MAX = 9223372036854775807n;

/** The listpack limits in force now (CONFIG SET may change them between commands). */
function limitsOf(ctx: CommandContext): ListpackLimits {
  const values = ctx.server.config.values;
  return { maxEntries: values.hashMaxListpackEntries, maxValue: values.hashMaxListpackValue };
}

const readHash = (db: Database, key: string): HashValue | undefined => db.readCollection<HashValue>(key, 'hash');
const writeHash = (db: Database, key: string): HashValue | undefined => db.getCollection<HashValue>(key, 'hash');

/** Refuses, before any change, a write that would grow `hash` past what a Map holds. */
function ensureRoom(hash: HashValue, args: string[], from: number): void {
  const pairs = (args.length - from) / 2;
  if (hash.size + pairs <= MAX_HASH_FIELDS) return;
  const added = new Set<string>();
  for (let i = from; i < args.length; i += 2) if (!hash.has(args[i])) added.add(args[i]);
  if (hash.size + added.size > MAX_HASH_FIELDS) throw hashFull();
}

/** Records a write: a new hash is stored, an existing one is marked modified; then the command's event. */
function commit(db: Database, key: string, hash: HashValue, existed: boolean, event: string): void {
  if (existed) db.modified(key);
  else db.set(key, hash);
  db.notify(NOTIFY.HASH, event, key);
}

/** HSET and HMSET: the same write, replying with the count of new fields or OK. */
function hset(ctx: CommandContext, args: string[], name: 'hset' | 'hmset'): Reply {
  if (args.length % 2 === 1) throw wrongArity(name);
  const db = ctx.client.db;
  const key = args[1];
  const existing = writeHash(db, key);
  const hash = existing ?? new HashValue();
  ensureRoom(hash, args, 2);
  const limits = limitsOf(ctx);
  let created = 0;
  for (let i = 2; i < args.length; i += 2) if (hash.set(args[i], args[i + 1], limits)) created++;
  commit(db, key, hash, existing !== undefined, 'hset');
  return name === 'hset' ? created : OK;
}

function hsetnx(ctx: CommandContext, args: string[]): Reply {
  const [, key, field, value] = args;
  const db = ctx.client.db;
  const existing = writeHash(db, key);
  if (existing?.has(field)) return 0;
  const hash = existing ?? new HashValue();
  ensureRoom(hash, args, 2);
  hash.set(field, value, limitsOf(ctx));
  commit(db, key, hash, existing !== undefined, 'hset');
  return 1;
}

/** Stores the result of a counter command in a hash that may not exist yet. */
function storeCounter(
  ctx: CommandContext, key: string, existing: HashValue | undefined, field: string, value: string, event: string,
): void {
  const hash = existing ?? new HashValue();
  if (!hash.has(field) && hash.size >= MAX_HASH_FIELDS) throw hashFull();
  hash.set(field, value, limitsOf(ctx));
  commit(ctx.client.db, key, hash, existing !== undefined, event);
}

function hincrby(ctx: CommandContext, args: string[]): Reply {
  const [, key, field] = args;
  const delta = integerArg(args[3]);
  const existing = writeHash(ctx.client.db, key);
  const current = existing?.get(field);
  let base: Int64 = 0;
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === null) throw hashNotInteger();
    base = parsed;
  }
  const result = addInt64(base, delta);
  if (result === null) throw overflow();
  storeCounter(ctx, key, existing, field, String(result), 'hincrby');
  return result;
}

function hincrbyfloat(ctx: CommandContext, args: string[]): Reply {
  const [, key, field, increment] = args;
  const delta = parseLongDouble(increment);
  if (delta === null) throw notFloat();
  if (!isFiniteLongDouble(delta)) throw incrementNotFinite();
  const existing = writeHash(ctx.client.db, key);
  const current = existing?.get(field);
  const base = current === undefined ? ZERO : parseLongDouble(current);
  if (base === null) throw hashNotFloat();
  const sum = addLongDouble(base, delta);
  if (!isFiniteLongDouble(sum)) throw notFinite();
  const text = formatLongDoubleHuman(sum);
  storeCounter(ctx, key, existing, field, text, 'hincrbyfloat');
  return text;
}

function hdel(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[1];
  const hash = writeHash(db, key);
  if (hash === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length && hash.size > 0; i++) if (hash.delete(args[i])) deleted++;
  if (deleted === 0) return 0;
  db.removedFrom(key, hash.size === 0, NOTIFY.HASH, 'hdel');
  return deleted;
}

/** HKEYS, HVALS, HGETALL: the whole hash, oldest field first. */
function hashKeys(ctx: CommandContext, args: string[]): Reply {
  const hash = readHash(ctx.client.db, args[1]);
  if (hash === undefined) return [];
  const out = new Array<Reply>(hash.size);
  let i = 0;
  hash.forEach((field) => (out[i++] = field));
  return out;
}

function hashValues(ctx: CommandContext, args: string[]): Reply {
  const hash = readHash(ctx.client.db, args[1]);
  if (hash === undefined) return [];
  const out = new Array<Reply>(hash.size);
  let i = 0;
  hash.forEach((_field, value) => (out[i++] = value));
  return out;
}

function hgetall(ctx: CommandContext, args: string[]): Reply {
  const hash = readHash(ctx.client.db, args[1]);
  if (hash === undefined) return new MapReply([]);
  const flat = new Array<Reply>(hash.size * 2);
  let i = 0;
  hash.forEach((field, value) => {
    flat[i++] = field;
    flat[i++] = value;
  });
  return new MapReply(flat);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]. A positive count gives distinct
 * fields (at most the whole hash), a negative one that many picks that may
 * repeat. With values, RESP2 gets a flat array and RESP3 an array of pairs.
 */
function hrandfield(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  if (args.length === 2) {
    const hash = readHash(db, args[1]);
    return hash === undefined ? null : hash.fieldAt(hash.randomSlot());
  }
  // The count and options are checked before the key, as Redis does.
  const count = integerArg(args[2]);
  if (count < -LONG_MAX) throw outOfLongRange();
  if (args.length > 4 || (args.length === 4 && args[3].toLowerCase() !== 'withvalues')) throw syntaxError();
  const withValues = args.length === 4;
  if (withValues && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) throw valueOutOfRange();
  const hash = readHash(db, args[1]);
  if (hash === undefined || count === 0) return [];

  const pairs = ctx.client.resp === 3;
  const out: Reply[] = [];
  const emit = (slot: number): void => {
    if (!withValues) out.push(hash.fieldAt(slot));
    else if (pairs) out.push([hash.fieldAt(slot), hash.valueAt(slot)]);
    else out.push(hash.fieldAt(slot), hash.valueAt(slot));
  };
  const size = hash.size;
  if (count < 0) {
    const picks = Number(-BigInt(count));
    // Each pick costs about its share of the hash's bytes plus the RESP framing.
    if (picks * (hash.bytes / size + 24) > MAX_RANDOM_REPLY_BYTES) throw replyTooLarge();
    for (let i = 0; i < picks; i++) emit(hash.randomSlot());
    return out;
  }
  if (count >= size) {
    hash.forEach((field, value) => {
      if (!withValues) out.push(field);
      else if (pairs) out.push([field, value]);
      else out.push(field, value);
    });
    return out;
  }
  for (const slot of hash.distinctSlots(Number(count))) emit(slot);
  return out;
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. A small (listpack) hash
 * comes back whole with cursor 0, as in Redis; a larger one is walked by a
 * parked iterator (HashValue.scan, cursors.ts).
 */
function hscan(ctx: CommandContext, args: string[]): Reply {
  const cursor = cursorArg(args[2]);
  const hash = readHash(ctx.client.db, args[1]);
  if (hash === undefined) return ['0', []];
  const { count, pattern } = scanOptions(args, 3, false);
  const flat: Reply[] = [];
  const matches = (field: string): boolean => pattern === undefined || globMatch(pattern, field, false);
  if (hash.encoding() === 'listpack') {
    hash.forEach((field, value) => {
      if (matches(field)) flat.push(field, value);
    });
    return ['0', flat];
  }
  const [next, found] = scanCursors.take(cursor, hash, () => hash.scan(), count, (pair) => matches(pair[0]));
  for (const [field, value] of found) flat.push(field, value);
  return [String(next), flat];
}

const scanCursors = new CursorTable<[string, string]>();

export const hashesCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'hset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    summary: 'Sets one or more fields of a hash, creating it if needed; returns how many fields are new.',
    syntax: 'key field value [field value ...]', run: (ctx, args) => hset(ctx, args, 'hset'),
  }),
  defineCommand({
    name: 'hsetnx', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1)', summary: 'Sets a hash field only when it does not exist yet; 1 if it was set.',
    syntax: 'key field value', run: hsetnx,
  }),
  defineCommand({
    name: 'hmset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being set.',
    summary: 'Sets several hash fields and replies OK (deprecated: HSET does the same).',
    syntax: 'key field value [field value ...]', run: (ctx, args) => hset(ctx, args, 'hmset'),
  }),
  defineCommand({
    name: 'hget', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1)', summary: 'Returns the value of a hash field, or nil.', syntax: 'key field',
    run: (ctx, args) => readHash(ctx.client.db, args[1])?.get(args[2]) ?? null,
  }),
  defineCommand({
    name: 'hmget', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being requested.',
    summary: 'Returns the values of several hash fields, nil for each missing one.', syntax: 'key field [field ...]',
    run: (ctx, args) => {
      const hash = readHash(ctx.client.db, args[1]);
      const out = new Array<Reply>(args.length - 2);
      for (let i = 2; i < args.length; i++) out[i - 2] = hash?.get(args[i]) ?? null;
      return out;
    },
  }),
  defineCommand({
    name: 'hdel', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the number of fields to be removed.',
    summary: 'Removes fields from a hash (the key goes once it is empty); returns how many existed.',
    syntax: 'key field [field ...]', run: hdel,
  }),
  defineCommand({
    name: 'hlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1)', summary: 'Counts the fields of a hash.', syntax: 'key',
    run: (ctx, args) => readHash(ctx.client.db, args[1])?.size ?? 0,
  }),
  defineCommand({
    name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'hash', since: '3.2.0',
    complexity: 'O(1)', summary: 'Length in bytes of the value of a hash field, 0 when missing.', syntax: 'key field',
    run: (ctx, args) => readHash(ctx.client.db, args[1])?.get(args[2])?.length ?? 0,
  }),
  defineCommand({
    name: 'hexists', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1)', summary: 'Whether a hash has a field: 1 or 0.', syntax: 'key field',
    run: (ctx, args) => (readHash(ctx.client.db, args[1])?.has(args[2]) ? 1 : 0),
  }),
  defineCommand({
    name: 'hkeys', arity: 2, flags: ['readonly'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.', summary: 'Lists the fields of a hash.', syntax: 'key',
    run: hashKeys,
  }),
  defineCommand({
    name: 'hvals', arity: 2, flags: ['readonly'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.', summary: 'Lists the values of a hash.', syntax: 'key',
    run: hashValues,
  }),
  defineCommand({
    name: 'hgetall', arity: 2, flags: ['readonly'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Returns every field and value of a hash (a map in RESP3).', syntax: 'key', run: hgetall,
  }),
  defineCommand({
    name: 'hincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.0.0',
    complexity: 'O(1)', summary: 'Adds an integer to the integer in a hash field (missing counts as 0).',
    syntax: 'key field increment', run: hincrby,
  }),
  defineCommand({
    name: 'hincrbyfloat', propagate: asHset, arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'hash', since: '2.6.0',
    complexity: 'O(1)', summary: 'Adds a floating point number to the number in a hash field (missing counts as 0).',
    syntax: 'key field increment', run: hincrbyfloat,
  }),
  defineCommand({
    name: 'hrandfield', arity: -2, flags: ['readonly'], keys: ONE_KEY, group: 'hash', since: '6.2.0',
    complexity: 'O(N) where N is the number of fields returned',
    summary: 'Returns random fields of a hash: distinct for a positive count, possibly repeated for a negative one.',
    syntax: 'key [count [WITHVALUES]]', run: hrandfield,
  }),
  defineCommand({
    name: 'hscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, group: 'hash', since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    summary: 'Iterates over the fields and values of a hash with a cursor, optionally filtered by a pattern.',
    syntax: 'key cursor [MATCH pattern] [COUNT count]', run: hscan,
  }),
];
