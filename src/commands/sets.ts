/**
 * Set commands: membership, random members, moving, the algebra
 * (intersection, union, difference, each optionally stored) and SSCAN.
 *
 * Missing keys are empty sets and another type is WRONGTYPE. A set emptied
 * by a command is deleted, and a store command with an empty result deletes
 * its destination, so no key ever holds an empty set.
 */
import { ReplyError, notInteger, syntaxError, notPositive, outOfLongRange, numkeysNotPositive, replyTooLarge } from '../errors.js';
import { SetReply, type Reply } from '../protocol/reply.js';
import { CursorTable } from '../store/cursors.js';
import type { Database } from '../store/database.js';
import { NOTIFY } from '../store/notify.js';
import { SetValue, compareIntegers } from '../store/set.js';
import { globMatch } from '../util/glob.js';
import { parseInt64 } from '../util/numbers.js';
import { cursorArg, scanOptions } from './keys.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { keysAfterCount } from './keyspecs.js';
import { asSrem } from '../persistence/propagation.js';

const ALL_KEYS = { first: 1, last: -1, step: 1 };
/** Store commands: the destination, then the source keys. */
const STORE_KEYS = { first: 1, last: -1, step: 1 };

const tooManyNumkeys = (): ReplyError => new ReplyError("ERR Number of keys can't be greater than number of args");
const negativeLimit = (): ReplyError => new ReplyError("ERR LIMIT can't be negative");
/** Redis would build the reply regardless; here a reply must fit one JS string. */

/** Replies are encoded into one JS string, which V8 caps just under 2^29 characters. */
const MAX_REPLY_BYTES = 2 ** 29 - 2 ** 24;

const maxIntset = (ctx: CommandContext): number => ctx.server.config.getNumber('set-max-intset-entries');

/** The set at `key` for a read (counts a keyspace hit or miss). */
const readSet = (db: Database, key: string): SetValue | undefined => db.readCollection<SetValue>(key, 'set');
/** The set at `key` for a write. */
const writeSet = (db: Database, key: string): SetValue | undefined => db.getCollection<SetValue>(key, 'set');

/**
 * After members left `set`: the command's event, then an emptied set is
 * deleted (with a `del` event); otherwise the change is recorded.
 */
function afterRemoval(db: Database, key: string, set: SetValue, event: string): void {
  db.removedFrom(key, set.size === 0, NOTIFY.SET, event);
}

/**
 * A store command's result: stored when not empty (with the command's
 * event), otherwise the destination is deleted (a `del` event if it existed).
 */
function store(db: Database, key: string, result: SetValue, event: string): number {
  db.storeResult(key, result.size === 0 ? undefined : result, NOTIFY.SET, event);
  return result.size;
}

/** Numeric order for the members Redis would list from an intset. */
const sortIntegers = (members: string[]): string[] => members.sort(compareIntegers);

function sadd(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[1];
  const max = maxIntset(ctx);
  const existing = writeSet(db, key);
  const set = existing ?? new SetValue();
  let added = 0;
  for (let i = 2; i < args.length; i++) if (set.add(args[i], max)) added++;
  if (existing === undefined) db.set(key, set);
  else if (added > 0) db.modified(key);
  if (added > 0) db.notify(NOTIFY.SET, 'sadd', key);
  return added;
}

function srem(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const set = writeSet(db, args[1]);
  if (set === undefined) return 0;
  let removed = 0;
  for (let i = 2; i < args.length && set.size > 0; i++) if (set.remove(args[i])) removed++;
  if (removed > 0) afterRemoval(db, args[1], set, 'srem');
  return removed;
}

function smove(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const [, srcKey, dstKey, member] = args;
  // A missing source answers 0 before the destination's type is looked at, as in Redis.
  const src = writeSet(db, srcKey);
  if (src === undefined) return 0;
  const dst = writeSet(db, dstKey);
  if (src === dst) return src.has(member) ? 1 : 0;
  if (!src.remove(member)) return 0;
  // As in Redis: srem (and del) on the source, then sadd on the destination if it gained the member.
  afterRemoval(db, srcKey, src, 'srem');
  const max = maxIntset(ctx);
  let gained = true;
  if (dst === undefined) db.set(dstKey, SetValue.of([member], max));
  else if (dst.add(member, max)) db.modified(dstKey);
  else gained = false;
  if (gained) db.notify(NOTIFY.SET, 'sadd', dstKey);
  return 1;
}

/** SPOP key count: a RESP3 set of up to `count` distinct members, removed. */
function spopCount(ctx: CommandContext, key: string, countArg: string): Reply {
  const value = parseInt64(countArg);
  if (value === null || value < 0) throw notPositive();
  const db = ctx.client.db;
  const set = writeSet(db, key);
  if (set === undefined || value === 0) return new SetReply([]);
  const size = set.size;
  const max = maxIntset(ctx);
  if (value >= size) {
    const all = set.freshOrder(max);
    db.removedFrom(key, true, NOTIFY.SET, 'spop');
    return new SetReply(all);
  }
  const count = Number(value);
  const wasIntset = set.isIntset;
  const popped = new Array<string>(count);
  for (let i = 0; i < count; i++) popped[i] = set.pop();
  // Redis pops a few members one by one, but for most of the set it rebuilds
  // the set from the survivors (which may turn it back into an intset) and
  // replies with the rest in the old set's order.
  if ((size - count) * 5 <= count) {
    if (wasIntset) sortIntegers(popped);
    set.reencode(max);
  }
  db.removedFrom(key, false, NOTIFY.SET, 'spop');
  return new SetReply(popped);
}

function spop(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw syntaxError();
  if (args.length === 3) return spopCount(ctx, args[1], args[2]);
  const db = ctx.client.db;
  const set = writeSet(db, args[1]);
  if (set === undefined) return null;
  const member = set.pop();
  afterRemoval(db, args[1], set, 'spop');
  return member;
}

/** SRANDMEMBER key count: distinct members for a positive count, possibly repeated for a negative one. */
function srandmemberCount(ctx: CommandContext, key: string, countArg: string): Reply {
  const value = parseInt64(countArg);
  if (value === null) throw notInteger();
  if (value === -9223372036854775808n) throw outOfLongRange();
  const set = readSet(ctx.client.db, key);
  if (set === undefined || value === 0) return [];
  const size = set.size;
  if (value < 0 || value === 1) {
    // Repeats allowed: the count is not bounded by the set, only by what a reply can hold.
    const count = value === 1 ? 1 : -Number(value);
    // Even empty members take 6 bytes each ($0 and two line ends).
    if (count * 6 > MAX_REPLY_BYTES) throw replyTooLarge();
    const out: string[] = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const member = set.random();
      bytes += member.length + 16;
      if (bytes > MAX_REPLY_BYTES) throw replyTooLarge();
      out.push(member);
    }
    return out;
  }
  if (value >= size) return set.members().slice();
  return set.sample(Number(value));
}

function srandmember(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw syntaxError();
  if (args.length === 3) return srandmemberCount(ctx, args[1], args[2]);
  const set = readSet(ctx.client.db, args[1]);
  return set === undefined ? null : set.random();
}

type InterOutput = { kind: 'reply' } | { kind: 'card'; limit: number } | { kind: 'store'; key: string };

/**
 * SINTER, SMEMBERS, SINTERCARD and SINTERSTORE: walks the smallest set and
 * keeps the members every other set has.
 */
function intersect(ctx: CommandContext, keys: string[], output: InterOutput): Reply {
  const db = ctx.client.db;
  const sets: SetValue[] = [];
  let anyMissing = false;
  // Every key is looked up (and type checked) before a missing one short-cuts the answer.
  for (const key of keys) {
    const set = readSet(db, key);
    if (set === undefined) anyMissing = true;
    else sets.push(set);
  }
  if (anyMissing) {
    if (output.kind === 'store') return store(db, output.key, new SetValue(), 'sinterstore');
    return output.kind === 'card' ? 0 : new SetReply([]);
  }
  sets.sort((a, b) => a.size - b.size);
  const [smallest] = sets;
  const others = sets.filter((set) => set !== smallest);
  const found: string[] = [];
  let cardinality = 0;
  for (const member of smallest.members()) {
    let everywhere = true;
    for (const other of others) {
      if (!other.has(member)) {
        everywhere = false;
        break;
      }
    }
    if (!everywhere) continue;
    if (output.kind === 'card') {
      if (++cardinality === output.limit) break;
    } else {
      found.push(member);
    }
  }
  if (output.kind === 'card') return cardinality;
  if (output.kind === 'store') return store(db, output.key, SetValue.of(found, maxIntset(ctx)), 'sinterstore');
  return new SetReply(found);
}

function sintercard(ctx: CommandContext, args: string[]): Reply {
  const numkeys = parseInt64(args[1]);
  if (numkeys === null || numkeys < 1) throw numkeysNotPositive();
  if (numkeys > args.length - 2) throw tooManyNumkeys();
  const keyEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let i = keyEnd; i < args.length; i++) {
    if (args[i].toUpperCase() === 'LIMIT' && i + 1 < args.length) {
      const value = parseInt64(args[++i]);
      if (value === null || value < 0) throw negativeLimit();
      limit = Number(value);
    } else {
      throw syntaxError();
    }
  }
  return intersect(ctx, args.slice(2, keyEnd), { kind: 'card', limit });
}

/** SUNION and SDIFF, replying with the result or storing it at `dstKey`. */
function unionOrDiff(ctx: CommandContext, keys: string[], op: 'union' | 'diff', dstKey?: string): Reply {
  const db = ctx.client.db;
  const max = maxIntset(ctx);
  const sets = keys.map((key) => readSet(db, key));
  const result = new SetValue();
  const [first] = sets;
  if (op === 'union') {
    for (const set of sets) if (set !== undefined) for (const member of set.members()) result.add(member, max);
  } else if (first !== undefined && !sets.some((set, i) => i > 0 && set === first)) {
    const rest = sets.slice(1).filter((set): set is SetValue => set !== undefined);
    // As Redis: test each member of the first set against the others when
    // that is cheaper (counting it at half price), else copy the first set
    // and remove the others' members. The choice shows in the result's encoding.
    const perMember = Math.floor((first.size * (rest.length + 1)) / 2);
    const copying = rest.reduce((sum, set) => sum + set.size, first.size);
    if (perMember <= copying) {
      rest.sort((a, b) => b.size - a.size);
      for (const member of first.members()) {
        if (!rest.some((set) => set.has(member))) result.add(member, max);
      }
    } else {
      for (const member of first.members()) result.add(member, max);
      for (const set of rest) {
        if (result.size === 0) break;
        for (const member of set.members()) result.remove(member);
      }
    }
  }
  if (dstKey !== undefined) return store(db, dstKey, result, op === 'union' ? 'sunionstore' : 'sdiffstore');
  return new SetReply(result.members().slice());
}

function sscan(ctx: CommandContext, args: string[]): Reply {
  const cursor = cursorArg(args[2]);
  const set = readSet(ctx.client.db, args[1]);
  // Redis answers a missing key before it reads the options.
  if (set === undefined) return ['0', []];
  const { count, pattern } = scanOptions(args, 3, false);
  const keep = pattern === undefined ? () => true : (member: string) => globMatch(pattern, member, false);
  // An intset is small: Redis returns all of it in one call.
  if (set.isIntset) return ['0', set.members().filter(keep)];
  const [next, found] = scanCursors.take(cursor, set, () => set.scan(), count, keep);
  return [String(next), found];
}

const scanCursors = new CursorTable<string>();

export const setsCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'sadd', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Adds members to a set, creating it if needed; returns how many were new.', syntax: 'key member [member ...]',
    run: sadd,
  }),
  defineCommand({
    name: 'srem', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the number of members to be removed.',
    summary: 'Removes members from a set; returns how many were there. An emptied set is deleted.', syntax: 'key member [member ...]',
    run: srem,
  }),
  defineCommand({
    name: 'scard', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'O(1)', summary: 'Counts the members of a set (0 for a missing key).', syntax: 'key',
    run: (ctx, args) => readSet(ctx.client.db, args[1])?.size ?? 0,
  }),
  defineCommand({
    name: 'sismember', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'O(1)', summary: 'Tells whether a value is a member of a set: 1 or 0.', syntax: 'key member',
    run: (ctx, args) => (readSet(ctx.client.db, args[1])?.has(args[2]) ? 1 : 0),
  }),
  defineCommand({
    name: 'smismember', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'set', since: '6.2.0',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    summary: 'Tells for each of several values whether it is a member of a set: an array of 1 and 0.', syntax: 'key member [member ...]',
    run: (ctx, args) => {
      const set = readSet(ctx.client.db, args[1]);
      const out = new Array<number>(args.length - 2);
      for (let i = 2; i < args.length; i++) out[i - 2] = set?.has(args[i]) ? 1 : 0;
      return out;
    },
  }),
  defineCommand({
    name: 'smembers', arity: 2, flags: ['readonly'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the set cardinality.', summary: 'Lists every member of a set.', syntax: 'key',
    run: (ctx, args) => intersect(ctx, [args[1]], { kind: 'reply' }),
  }),
  defineCommand({
    name: 'srandmember', arity: -2, flags: ['readonly'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    summary: 'Returns a random member, or with a count that many distinct members (repeats allowed when negative).',
    syntax: 'key [count]', run: srandmember,
  }),
  defineCommand({
    name: 'spop', propagate: asSrem, arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'set', since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    summary: 'Removes and returns a random member, or with a count up to that many distinct members.',
    syntax: 'key [count]', run: spop,
  }),
  defineCommand({
    name: 'smove', arity: 4, flags: ['write', 'fast'], keys: { first: 1, last: 2, step: 1 }, group: 'set', since: '1.0.0',
    complexity: 'O(1)', summary: 'Moves a member from one set to another; 1 if the source had it.',
    syntax: 'source destination member', run: smove,
  }),
  defineCommand({
    name: 'sinter', arity: -2, flags: ['readonly'], keys: ALL_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Lists the members common to all the given sets.', syntax: 'key [key ...]',
    run: (ctx, args) => intersect(ctx, args.slice(1), { kind: 'reply' }),
  }),
  defineCommand({
    // The keys follow a count, so COMMAND INFO shows no (first, last, step) range.
    name: 'sintercard', arity: -3, flags: ['readonly', 'movablekeys'], keysOf: keysAfterCount(1), group: 'set', since: '7.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Counts the members common to all the given sets, stopping early at an optional limit.',
    syntax: 'numkeys key [key ...] [LIMIT limit]', run: sintercard,
  }),
  defineCommand({
    name: 'sinterstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Stores the intersection of sets at a key (deleting it when empty); returns its size.',
    syntax: 'destination key [key ...]',
    run: (ctx, args) => intersect(ctx, args.slice(2), { kind: 'store', key: args[1] }),
  }),
  defineCommand({
    name: 'sunion', arity: -2, flags: ['readonly'], keys: ALL_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Lists the members found in any of the given sets.', syntax: 'key [key ...]',
    run: (ctx, args) => unionOrDiff(ctx, args.slice(1), 'union'),
  }),
  defineCommand({
    name: 'sunionstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Stores the union of sets at a key (deleting it when empty); returns its size.',
    syntax: 'destination key [key ...]',
    run: (ctx, args) => unionOrDiff(ctx, args.slice(2), 'union', args[1]),
  }),
  defineCommand({
    name: 'sdiff', arity: -2, flags: ['readonly'], keys: ALL_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Lists the members of the first set that none of the other sets has.', syntax: 'key [key ...]',
    run: (ctx, args) => unionOrDiff(ctx, args.slice(1), 'diff'),
  }),
  defineCommand({
    name: 'sdiffstore', arity: -3, flags: ['write', 'denyoom'], keys: STORE_KEYS, group: 'set', since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Stores the difference of the first set and the others at a key (deleting it when empty); returns its size.',
    syntax: 'destination key [key ...]',
    run: (ctx, args) => unionOrDiff(ctx, args.slice(2), 'diff', args[1]),
  }),
  defineCommand({
    name: 'sscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, group: 'set', since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    summary: 'Iterates over the members of a set with a cursor, optionally filtered by a pattern.',
    syntax: 'key cursor [MATCH pattern] [COUNT count]', run: sscan,
  }),
];
