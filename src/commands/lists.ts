/**
 * List commands: pushes and pops at both ends, index and range access,
 * LINSERT/LREM/LTRIM/LPOS, moves between lists, and the blocking pops.
 *
 * Every change goes through the database: a new list is stored with `set`,
 * an emptied one is deleted (Redis never keeps an empty list), and an
 * in-place change is reported with `modified`, which is also what wakes the
 * clients blocked on the key.
 */
import { NOTIFY } from '../store/notify.js';
import { ReplyError, noSuchKey, notInteger, syntaxError, wrongArity, wrongType, notPositive, numkeysNotPositive } from '../errors.js';
import { NIL_ARRAY, OK, type Reply } from '../protocol/reply.js';
import { readable, type Database } from '../store/database.js';
import { ListValue } from '../store/list.js';
import { parseInt64 } from '../util/numbers.js';
import { deadlineArg } from './blocking.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { keysAfterCount } from './keyspecs.js';
import { asSingleKeyPop, whereOfMultiPop } from '../persistence/propagation.js';

// The list family's own error texts, as Redis words them (candidates for errors.ts).
const INDEX_OUT_OF_RANGE = 'ERR index out of range';
const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
const COUNT_NOT_POSITIVE = 'ERR count should be greater than 0';

const TWO_KEYS = { first: 1, last: 2, step: 1 };

/** Which end of a list: LEFT is the head, RIGHT the tail. */
type End = 'left' | 'right';

/** A signed 64-bit integer argument as a JS number (Redis's `long`); beyond 2^53 only its magnitude matters here. */
function longArg(text: string): number {
  const value = parseInt64(text);
  if (value === null) throw notInteger();
  return Number(value);
}

/** A `long` that must lie in [min, ∞), with the command's own message for both a bad number and a small one. */
/** An integer of at least `min`; else `message`, or by default Redis's "must be positive". */
function atLeastArg(text: string, min: number, message?: string): number {
  const value = parseInt64(text);
  if (value === null || value < min) throw message === undefined ? notPositive() : new ReplyError(message);
  return Number(value);
}

export const positiveArg = (text: string, message?: string): number => atLeastArg(text, 0, message);

function endArg(text: string): End {
  const lower = text.toLowerCase();
  if (lower === 'left' || lower === 'right') return lower;
  throw syntaxError();
}

/** The list at `key` for a write, or undefined; WRONGTYPE for another type. */
const writeList = (db: Database, key: string): ListValue | undefined => db.getCollection<ListValue>(key, 'list');
/** The same for a read (counts a keyspace hit or miss). */
const readList = (db: Database, key: string): ListValue | undefined => db.readCollection<ListValue>(key, 'list');

/** After removing elements: the command's event, then an empty list goes away (with a `del` event). */
function afterRemoval(db: Database, key: string, list: ListValue, event: string): void {
  db.removedFrom(key, list.length === 0, NOTIFY.LIST, event);
}

const popEvent = (end: End): string => (end === 'left' ? 'lpop' : 'rpop');
const pushEvent = (end: End): string => (end === 'left' ? 'lpush' : 'rpush');

/** Removes up to `count` elements from one end and returns them in pop order. */
function popMany(db: Database, key: string, list: ListValue, end: End, count: number): string[] {
  const n = Math.min(count, list.length);
  let out: string[];
  if (end === 'left') {
    out = list.range(0, n - 1);
    list.removeHead(n);
  } else {
    out = list.range(list.length - n, list.length - 1).reverse();
    list.removeTail(n);
  }
  afterRemoval(db, key, list, popEvent(end));
  return out;
}

function popOne(db: Database, key: string, list: ListValue, end: End): string {
  const value = (end === 'left' ? list.popHead() : list.popTail()) as string;
  afterRemoval(db, key, list, popEvent(end));
  return value;
}

/** LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...] → the new length (0 for the X forms on a missing key). */
function push(end: End, onlyIfExists: boolean) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const db = ctx.client.db;
    const key = args[1];
    const existing = writeList(db, key);
    if (existing === undefined && onlyIfExists) return 0;
    const list = existing ?? new ListValue();
    for (let i = 2; i < args.length; i++) {
      if (end === 'left') list.pushHead(args[i]);
      else list.pushTail(args[i]);
    }
    if (existing === undefined) db.set(key, list);
    else db.modified(key);
    db.notify(NOTIFY.LIST, pushEvent(end), key);
    return list.length;
  };
}

/** LPOP/RPOP key [count]: one element (bulk), or with a count an array of up to count. */
function pop(end: End) {
  return (ctx: CommandContext, args: string[]): Reply => {
    if (args.length > 3) throw wrongArity(end === 'left' ? 'lpop' : 'rpop');
    const withCount = args.length === 3;
    const count = withCount ? positiveArg(args[2]) : 1;
    const db = ctx.client.db;
    const list = writeList(db, args[1]);
    if (list === undefined) return withCount ? NIL_ARRAY : null;
    if (!withCount) return popOne(db, args[1], list, end);
    if (count === 0) return [];
    return popMany(db, args[1], list, end, count);
  };
}

/** Redis's range normalisation: negative indexes from the tail, clamped; null when empty. */
function normalizeRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

function lrange(ctx: CommandContext, args: string[]): Reply {
  const start = longArg(args[2]);
  const end = longArg(args[3]);
  const list = readList(ctx.client.db, args[1]);
  if (list === undefined) return [];
  const range = normalizeRange(start, end, list.length);
  return range === null ? [] : list.range(range[0], range[1]);
}

function ltrim(ctx: CommandContext, args: string[]): Reply {
  const start = longArg(args[2]);
  const end = longArg(args[3]);
  const db = ctx.client.db;
  const list = writeList(db, args[1]);
  if (list === undefined) return OK;
  const length = list.length;
  const range = normalizeRange(start, end, length);
  if (range === null) {
    list.removeHead(length);
  } else {
    list.removeTail(length - range[1] - 1);
    list.removeHead(range[0]);
  }
  afterRemoval(db, args[1], list, 'ltrim');
  return OK;
}

function lindex(ctx: CommandContext, args: string[]): Reply {
  // As in Redis the key is looked at first: a missing key is nil whatever the index says.
  const list = readList(ctx.client.db, args[1]);
  if (list === undefined) return null;
  return list.at(longArg(args[2])) ?? null;
}

function lset(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const list = writeList(db, args[1]);
  if (list === undefined) throw noSuchKey();
  if (!list.set(longArg(args[2]), args[3])) throw new ReplyError(INDEX_OUT_OF_RANGE);
  db.modified(args[1]);
  db.notify(NOTIFY.LIST, 'lset', args[1]);
  return OK;
}

function linsert(ctx: CommandContext, args: string[]): Reply {
  const where = args[2].toLowerCase();
  if (where !== 'before' && where !== 'after') throw syntaxError();
  const db = ctx.client.db;
  const list = writeList(db, args[1]);
  if (list === undefined) return 0;
  const pivot = list.indexOf(args[3]);
  if (pivot < 0) return -1;
  list.insert(where === 'before' ? pivot : pivot + 1, args[4]);
  db.modified(args[1]);
  db.notify(NOTIFY.LIST, 'linsert', args[1]);
  return list.length;
}

function lrem(ctx: CommandContext, args: string[]): Reply {
  const count = longArg(args[2]);
  const db = ctx.client.db;
  const list = writeList(db, args[1]);
  if (list === undefined) return 0;
  const removed = list.removeMatching(args[3], Math.abs(count), count < 0);
  if (removed > 0) afterRemoval(db, args[1], list, 'lrem');
  return removed;
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: positions are always counted from the head. */
function lpos(ctx: CommandContext, args: string[]): Reply {
  let rank = 1;
  let count = -1; // -1: no COUNT option, reply with one position instead of an array
  let maxlen = 0;
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (option === 'RANK' && hasValue) {
      rank = longArg(args[++i]);
      if (rank === 0) throw new ReplyError(RANK_ZERO);
    } else if (option === 'COUNT' && hasValue) {
      count = positiveArg(args[++i], COUNT_NEGATIVE);
    } else if (option === 'MAXLEN' && hasValue) {
      maxlen = positiveArg(args[++i], MAXLEN_NEGATIVE);
    } else {
      throw syntaxError();
    }
  }
  const list = readList(ctx.client.db, args[1]);
  if (list === undefined) return count === -1 ? null : [];

  // RANK -2^63 has no positive counterpart; Redis 7.0 ends up taking the first match from the tail.
  const skip = rank <= -(2 ** 63) ? 0 : Math.abs(rank) - 1;
  const scan = maxlen === 0 ? list.length : maxlen;
  const found = list.positions(args[2], rank < 0, skip, count === -1 ? 1 : count, scan);
  if (count !== -1) return found;
  return found.length > 0 ? found[0] : null;
}

/**
 * Pops from `source` at `from` and pushes onto `destination` at `to`; the
 * element, or undefined when the source is missing. WRONGTYPE if either key
 * holds another type (the destination is checked only when there is
 * something to move, as in Redis).
 */
function move(db: Database, source: string, destination: string, from: End, to: End): string | undefined {
  const list = writeList(db, source);
  if (list === undefined) return undefined;
  const target = writeList(db, destination);
  const value = (from === 'left' ? list.popHead() : list.popTail()) as string;
  const receiver = target ?? new ListValue();
  if (to === 'left') receiver.pushHead(value);
  else receiver.pushTail(value);
  if (target === undefined) db.set(destination, receiver);
  else db.modified(destination);
  db.notify(NOTIFY.LIST, pushEvent(to), destination);
  // With source === destination the push refilled the list, so it stays.
  afterRemoval(db, source, list, popEvent(from));
  return value;
}

/** LMPOP/BLMPOP arguments from `numkeys` on: the keys, the end and the count. */
function parseMultiPop(args: string[], numkeysAt: number): { keys: string[]; end: End; count: number } {
  const numkeys = atLeastArg(args[numkeysAt], 1, numkeysNotPositive().message);
  const endAt = numkeysAt + numkeys + 1;
  if (endAt >= args.length) throw syntaxError();
  const end = endArg(args[endAt]);
  let count = -1;
  for (let i = endAt + 1; i < args.length; i++) {
    if (count === -1 && args[i].toUpperCase() === 'COUNT' && i + 1 < args.length) {
      count = atLeastArg(args[++i], 1, COUNT_NOT_POSITIVE);
    } else {
      throw syntaxError();
    }
  }
  return { keys: args.slice(numkeysAt + 1, endAt), end, count: count === -1 ? 1 : count };
}

/**
 * Pops from the first key in `keys` that holds a non-empty list; undefined
 * when none does. `strict`: a key of another type met on the way is
 * WRONGTYPE (when the command runs); otherwise it is passed over (a blocked
 * client retrying, which Redis 7.0 keeps waiting rather than failing).
 */
function popFirst(
  db: Database,
  keys: readonly string[],
  strict: boolean,
  shape: (key: string, list: ListValue) => Reply,
): Reply | undefined {
  for (const key of keys) {
    const value = readable(db.get(key));
    if (value === undefined) continue;
    if (typeof value === 'string' || value.type !== 'list') {
      if (strict) throw wrongType();
      continue;
    }
    return shape(key, value as ListValue);
  }
  return undefined;
}

/**
 * What a blocking command answers when nothing is there yet: inside MULTI
 * it must not wait and answers `inTransaction` at once; otherwise it waits
 * on `keys` until `attempt` produces a reply. Redis answers a timeout (and
 * CLIENT UNBLOCK ... TIMEOUT) of every blocking list command with the null
 * array, even BLMOVE, whose MULTI answer is the null bulk string.
 */
function waitFor(
  ctx: CommandContext,
  keys: readonly string[],
  deadline: number,
  attempt: (ready: string) => Reply | undefined,
  inTransaction: Reply,
): Reply | BlockRequest {
  if (ctx.client.inTransaction) return inTransaction;
  return new BlockRequest(keys, deadline, attempt, NIL_ARRAY);
}

/** BLPOP/BRPOP key [key ...] timeout → [key, element]. */
function blockingPop(end: End) {
  return (ctx: CommandContext, args: string[]): Reply | BlockRequest => {
    const deadline = deadlineArg(args[args.length - 1]);
    const keys = args.slice(1, -1);
    const db = ctx.client.db;
    const serve = (from: readonly string[], strict: boolean): Reply | undefined =>
      popFirst(db, from, strict, (key, list) => [key, popOne(db, key, list, end)]);
    return serve(keys, true) ?? waitFor(ctx, keys, deadline, (ready) => serve([ready], false), NIL_ARRAY);
  };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] → [key, [elements]] or the null array. */
function lmpop(ctx: CommandContext, args: string[]): Reply {
  const { keys, end, count } = parseMultiPop(args, 1);
  const db = ctx.client.db;
  return popFirst(db, keys, true, (key, list) => [key, popMany(db, key, list, end, count)]) ?? NIL_ARRAY;
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
function blmpop(ctx: CommandContext, args: string[]): Reply | BlockRequest {
  const { keys, end, count } = parseMultiPop(args, 2);
  const deadline = deadlineArg(args[1]);
  const db = ctx.client.db;
  const serve = (from: readonly string[], strict: boolean): Reply | undefined =>
    popFirst(db, from, strict, (key, list) => [key, popMany(db, key, list, end, count)]);
  return serve(keys, true) ?? waitFor(ctx, keys, deadline, (ready) => serve([ready], false), NIL_ARRAY);
}

/** BLMOVE/BRPOPLPUSH: waits on the source only; the destination's type is checked when there is an element. */
function blockingMove(ctx: CommandContext, source: string, destination: string, from: End, to: End, timeout: string): Reply | BlockRequest {
  const deadline = deadlineArg(timeout);
  const db = ctx.client.db;
  const moved = move(db, source, destination, from, to);
  if (moved !== undefined) return moved;
  const attempt = (): Reply | undefined => {
    const value = db.get(source);
    if (value === undefined || typeof value === 'string' || value.type !== 'list') return undefined;
    try {
      return move(db, source, destination, from, to);
    } catch (error) {
      // A destination of another type ends the wait with WRONGTYPE; the element stays where it was.
      if (error instanceof ReplyError) return error;
      throw error;
    }
  };
  return waitFor(ctx, [source], deadline, attempt, null);
}

/** LMPOP and BLMPOP travel as the LPOP/RPOP with COUNT of what they took, as in Redis. */
const listMultiPop = (numkeysAt: number) => asSingleKeyPop((args) => (whereOfMultiPop(args, numkeysAt) === 'LEFT' ? 'LPOP' : 'RPOP'), true);

export const listsCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'lpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Prepends elements to a list, creating it if needed; returns the new length.', syntax: 'key element [element ...]',
    run: push('left', false),
  }),
  defineCommand({
    name: 'rpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Appends elements to a list, creating it if needed; returns the new length.', syntax: 'key element [element ...]',
    run: push('right', false),
  }),
  defineCommand({
    name: 'lpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'list', since: '2.2.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Prepends elements to a list only if it exists; returns the new length or 0.', syntax: 'key element [element ...]',
    run: push('left', true),
  }),
  defineCommand({
    name: 'rpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'list', since: '2.2.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Appends elements to a list only if it exists; returns the new length or 0.', syntax: 'key element [element ...]',
    run: push('right', true),
  }),
  defineCommand({
    name: 'lpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Removes and returns the first element of a list, or with a count up to that many.', syntax: 'key [count]',
    run: pop('left'),
  }),
  defineCommand({
    name: 'rpop', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Removes and returns the last element of a list, or with a count up to that many.', syntax: 'key [count]',
    run: pop('right'),
  }),
  defineCommand({
    name: 'llen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'list', since: '1.0.0', complexity: 'O(1)',
    summary: 'Returns the number of elements of a list (0 when the key is missing).', syntax: 'key',
    run: (ctx, args) => readList(ctx.client.db, args[1])?.length ?? 0,
  }),
  defineCommand({
    name: 'lrange', arity: 4, flags: ['readonly'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    summary: 'Returns the elements between two inclusive indexes; negative indexes count from the tail.', syntax: 'key start stop',
    run: lrange,
  }),
  defineCommand({
    name: 'lindex', arity: 3, flags: ['readonly'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    summary: 'Returns the element at an index (negative from the tail), or nil.', syntax: 'key index',
    run: lindex,
  }),
  defineCommand({
    name: 'lset', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    summary: 'Replaces the element at an index of an existing list.', syntax: 'key index element',
    run: lset,
  }),
  defineCommand({
    name: 'linsert', arity: 5, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'list', since: '2.2.0',
    complexity: 'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    summary: 'Inserts an element before or after the first occurrence of a pivot; returns the new length, or -1 without the pivot.',
    syntax: 'key BEFORE|AFTER pivot element',
    run: linsert,
  }),
  defineCommand({
    name: 'lrem', arity: 4, flags: ['write'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    summary: 'Removes occurrences of an element: count > 0 from the head, < 0 from the tail, 0 all of them.', syntax: 'key count element',
    run: lrem,
  }),
  defineCommand({
    name: 'ltrim', arity: 4, flags: ['write'], keys: ONE_KEY, group: 'list', since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    summary: 'Keeps only the elements between two inclusive indexes.', syntax: 'key start stop',
    run: ltrim,
  }),
  defineCommand({
    name: 'lpos', arity: -3, flags: ['readonly'], keys: ONE_KEY, group: 'list', since: '6.0.6',
    complexity: 'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    summary: 'Returns the index of matching elements, optionally the Nth match, several matches, or within a scan limit.',
    syntax: 'key element [RANK rank] [COUNT num-matches] [MAXLEN len]',
    run: lpos,
  }),
  defineCommand({
    name: 'lmove', arity: 5, flags: ['write', 'denyoom'], keys: TWO_KEYS, group: 'list', since: '6.2.0', complexity: 'O(1)',
    summary: 'Pops an element from one end of a list and pushes it onto an end of another (or the same) list.',
    syntax: 'source destination LEFT|RIGHT LEFT|RIGHT',
    run: (ctx, args) => {
      const from = endArg(args[3]);
      const to = endArg(args[4]);
      return move(ctx.client.db, args[1], args[2], from, to) ?? null;
    },
  }),
  defineCommand({
    name: 'rpoplpush', arity: 3, flags: ['write', 'denyoom'], keys: TWO_KEYS, group: 'list', since: '1.2.0', complexity: 'O(1)',
    summary: 'Pops the last element of a list and pushes it onto the head of another; LMOVE source destination RIGHT LEFT.',
    syntax: 'source destination',
    run: (ctx, args) => move(ctx.client.db, args[1], args[2], 'right', 'left') ?? null,
  }),
  defineCommand({
    name: 'lmpop', arity: -4, flags: ['write', 'movablekeys'], keysOf: keysAfterCount(1), group: 'list', since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    summary: 'Pops one or more elements from the first non-empty list of several keys.',
    syntax: 'numkeys key [key ...] LEFT|RIGHT [COUNT count]',
    propagate: listMultiPop(1),
    run: lmpop,
  }),
  defineCommand({
    name: 'blpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: { first: 1, last: -2, step: 1 }, group: 'list',
    since: '2.0.0', complexity: 'O(N) where N is the number of provided keys.',
    summary: 'Pops the first element of the first non-empty list, waiting for one up to a timeout.', syntax: 'key [key ...] timeout',
    propagate: asSingleKeyPop(() => 'LPOP', false),
    run: blockingPop('left'),
  }),
  defineCommand({
    name: 'brpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: { first: 1, last: -2, step: 1 }, group: 'list',
    since: '2.0.0', complexity: 'O(N) where N is the number of provided keys.',
    summary: 'Pops the last element of the first non-empty list, waiting for one up to a timeout.', syntax: 'key [key ...] timeout',
    propagate: asSingleKeyPop(() => 'RPOP', false),
    run: blockingPop('right'),
  }),
  defineCommand({
    name: 'blmove', arity: 6, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: TWO_KEYS, group: 'list', since: '6.2.0',
    complexity: 'O(1)', summary: 'LMOVE that waits for the source list to have an element, up to a timeout.',
    syntax: 'source destination LEFT|RIGHT LEFT|RIGHT timeout',
    // As Redis: what moved is an LMOVE (replayed, it must not wait).
    propagate: (args) => [['LMOVE', args[1], args[2], args[3], args[4]]],
    run: (ctx, args) => {
      const from = endArg(args[3]);
      const to = endArg(args[4]);
      return blockingMove(ctx, args[1], args[2], from, to, args[5]);
    },
  }),
  defineCommand({
    name: 'brpoplpush', arity: 4, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: TWO_KEYS, group: 'list', since: '2.2.0',
    complexity: 'O(1)', summary: 'RPOPLPUSH that waits for the source list to have an element, up to a timeout.',
    syntax: 'source destination timeout',
    propagate: (args) => [['RPOPLPUSH', args[1], args[2]]],
    run: (ctx, args) => blockingMove(ctx, args[1], args[2], 'right', 'left', args[3]),
  }),
  defineCommand({
    name: 'blmpop', arity: -5, flags: ['write', 'blocking', 'movablekeys'], keysOf: keysAfterCount(2), group: 'list', since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    summary: 'LMPOP that waits for one of the lists to have an element, up to a timeout.',
    syntax: 'timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]',
    propagate: listMultiPop(2),
    run: blmpop,
  }),
];
