/**
 * Sorted set commands: ZADD and friends, ranks and ranges by rank, score and
 * lex, pops (blocking too), random members, set algebra, ZSCAN.
 *
 * Replies with scores differ by protocol, as in Redis: RESP2 flattens
 * member/score pairs into one array, RESP3 nests each pair and sends scores
 * as doubles.
 */
import { ReplyError, notInteger, syntaxError, wrongType, notPositive, numkeysNotPositive, valueOutOfRange } from '../errors.js';
import { DoubleReply, NIL_ARRAY, type Reply } from '../protocol/reply.js';
import { CursorTable } from '../store/cursors.js';
import { readable, type CollectionValue, type Database } from '../store/database.js';
import { NOTIFY } from '../store/notify.js';
import {
  MAX_ZSET_SIZE,
  ZSetValue,
  aboveMin,
  belowMax,
  lexAboveMin,
  lexBelowMax,
  type LexBound,
  type LexRange,
  type ScoreRange,
  type ZCursor,
  type ZSetLimits,
} from '../store/zset.js';
import { globMatch } from '../util/glob.js';
import { parseFloat64, parseInt64 } from '../util/numbers.js';
import { deadlineArg } from './blocking.js';
import { cursorArg, scanOptions } from './keys.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { keysAfterCount } from './keyspecs.js';
import { asSingleKeyPop, whereOfMultiPop } from '../persistence/propagation.js';

const LONG_MAX = 9223372036854775807n;

const notFloatRange = (): ReplyError => new ReplyError('ERR min or max is not a float');
const notLexRange = (): ReplyError => new ReplyError('ERR min or max not valid string range item');
const nanScore = (): ReplyError => new ReplyError('ERR resulting score is not a number (NaN)');

const limitsOf = (ctx: CommandContext): ZSetLimits => ctx.server.config.values;

// ------------------------------------------------------------------ numbers

/** A long argument (getLongFromObjectOrReply). */
function longArg(text: string): number {
  const value = parseInt64(text);
  if (value === null) throw notInteger();
  return Number(value);
}

/** A long in [min, max] (getRangeLongFromObjectOrReply); one message for both failures when given. */
function rangedLongArg(text: string, min: bigint, max: bigint, message?: string): number {
  const value = parseInt64(text);
  if (value === null) throw message === undefined ? notInteger() : new ReplyError(message);
  if (BigInt(value) < min || BigInt(value) > max) {
    throw new ReplyError(message ?? `ERR value is out of range, value must between ${min} and ${max}`);
  }
  return Number(value);
}

const NOT_POSITIVE = notPositive().message;
const positiveLongArg = (text: string, message?: string): number =>
  rangedLongArg(text, 0n, LONG_MAX, message ?? NOT_POSITIVE);

/**
 * A score or weight as Redis's string2d reads it: the whole text is a float
 * (decimal, exponent, hex, inf), without spaces, NaN, or a finite literal
 * that overflows to infinity or underflows to zero.
 */
function strictDouble(text: string): number | null {
  const value = parseFloat64(text);
  if (value === null) return null;
  if (!Number.isFinite(value)) return /^[+-]?inf(inity)?$/i.test(text) ? value : null;
  if (value === 0) {
    const hex = /^[+-]?0x/i.test(text);
    const mantissa = hex ? text.slice(text.search(/x/i) + 1).split(/p/i)[0] : text.split(/e/i)[0];
    if ((hex ? /[1-9a-f]/i : /[1-9]/).test(mantissa)) return null;
  }
  return value;
}

export function scoreArg(text: string, message = 'ERR value is not a valid float'): number {
  const value = strictDouble(text);
  if (value === null) throw new ReplyError(message);
  return value;
}

/** One end of a score range as strtod reads it: leading spaces allowed, an empty string is 0, overflow is ±inf. */
function rangeDouble(text: string): number | null {
  if (text === '') return 0;
  const body = text.replace(/^[ \t\n\v\f\r]+/, '');
  return body === '' ? null : parseFloat64(body);
}

/** `min max` of ZRANGEBYSCORE and friends; `(` makes an end exclusive. */
export function scoreRangeArgs(minText: string, maxText: string): ScoreRange {
  const minExclusive = minText.startsWith('(');
  const maxExclusive = maxText.startsWith('(');
  const min = rangeDouble(minExclusive ? minText.slice(1) : minText);
  const max = rangeDouble(maxExclusive ? maxText.slice(1) : maxText);
  if (min === null || max === null) throw notFloatRange();
  return { min, max, minExclusive, maxExclusive };
}

function lexBound(text: string): LexBound | null {
  switch (text[0]) {
    case '+': return text.length === 1 ? { kind: 'max' } : null;
    case '-': return text.length === 1 ? { kind: 'min' } : null;
    case '(': return { kind: 'value', value: text.slice(1), exclusive: true };
    case '[': return { kind: 'value', value: text.slice(1), exclusive: false };
    default: return null;
  }
}

/** `min max` of ZRANGEBYLEX and friends: `[a` inclusive, `(a` exclusive, `-` and `+` unbounded. */
export function lexRangeArgs(minText: string, maxText: string): LexRange {
  const min = lexBound(minText);
  const max = lexBound(maxText);
  if (min === null || max === null) throw notLexRange();
  return { min, max };
}

// ------------------------------------------------------------------ replies

type Entry = [string, number];

/** Members, or members and scores: flat pairs in RESP2, nested pairs in RESP3. */
function scoredReply(ctx: CommandContext, entries: readonly Entry[], withScores: boolean): Reply[] {
  if (!withScores) return entries.map((e) => e[0]);
  if (ctx.client.resp === 3) return entries.map(([member, score]) => [member, new DoubleReply(score)]);
  const out: Reply[] = [];
  for (const [member, score] of entries) out.push(member, new DoubleReply(score));
  return out;
}

// ------------------------------------------------------------------ ZADD / ZINCRBY

/** ZADD's options, as bits. */
export const enum ZaddFlags { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8, Ch = 16, Incr = 32 }

/** ZADD and ZINCRBY (which is ZADD with INCR, options and all, as in Redis). */
export function zadd(ctx: CommandContext, args: string[], incrCommand: boolean): Reply {
  let flags = incrCommand ? ZaddFlags.Incr : ZaddFlags.None;
  let at = 2;
  for (; at < args.length; at++) {
    const opt = args[at].toLowerCase();
    if (opt === 'nx') flags |= ZaddFlags.Nx;
    else if (opt === 'xx') flags |= ZaddFlags.Xx;
    else if (opt === 'ch') flags |= ZaddFlags.Ch;
    else if (opt === 'incr') flags |= ZaddFlags.Incr;
    else if (opt === 'gt') flags |= ZaddFlags.Gt;
    else if (opt === 'lt') flags |= ZaddFlags.Lt;
    else break;
  }
  const rest = args.length - at;
  if (rest === 0 || rest % 2 !== 0) throw syntaxError();
  const nx = (flags & ZaddFlags.Nx) !== 0;
  const gt = (flags & ZaddFlags.Gt) !== 0;
  const lt = (flags & ZaddFlags.Lt) !== 0;
  if (nx && (flags & ZaddFlags.Xx) !== 0) throw new ReplyError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw new ReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if ((flags & ZaddFlags.Incr) !== 0 && rest > 2) throw new ReplyError('ERR INCR option supports a single increment-element pair');
  // Every score is checked before anything changes: all or nothing.
  const scores: number[] = [];
  for (let i = at; i < args.length; i += 2) scores.push(scoreArg(args[i]));
  return zaddScores(ctx, args[1], flags, scores, args, at + 1, 2);
}

/**
 * ZADD with its options checked and its scores read: the member of
 * `scores[j]` is `args[first + j * stride]` (GEOADD computes the scores of
 * its longitude, latitude, member triples and comes here directly).
 */
export function zaddScores(ctx: CommandContext, key: string, flags: ZaddFlags, scores: readonly number[], args: readonly string[], first: number, stride: number): Reply {
  const nx = (flags & ZaddFlags.Nx) !== 0;
  const xx = (flags & ZaddFlags.Xx) !== 0;
  const gt = (flags & ZaddFlags.Gt) !== 0;
  const lt = (flags & ZaddFlags.Lt) !== 0;
  const incr = (flags & ZaddFlags.Incr) !== 0;
  const db = ctx.client.db;
  let z = db.getCollection<ZSetValue>(key, 'zset');
  if (z === undefined && xx) return incr ? null : 0;
  const created = z === undefined;
  z ??= new ZSetValue();
  const limits = limitsOf(ctx);

  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  for (let j = 0; j < scores.length; j++) {
    const member = args[first + j * stride];
    let score = scores[j];
    const current = z.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        // INCR takes a single pair, so nothing has changed yet when this throws.
        score += current;
        if (Number.isNaN(score)) throw nanScore();
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      processed++;
      lastScore = score;
      if (z.put(member, score, current, limits) === 'updated') updated++;
    } else if (!xx) {
      processed++;
      lastScore = score;
      z.put(member, score, undefined, limits);
      added++;
    }
  }
  if (created) db.set(key, z);
  else if (added + updated > 0) db.modified(key);
  // Only a real change is an event: zincr for INCR (and ZINCRBY), zadd otherwise.
  if (added + updated > 0) db.notify(NOTIFY.ZSET, incr ? 'zincr' : 'zadd', key);
  if (incr) return processed > 0 ? new DoubleReply(lastScore) : null;
  return (flags & ZaddFlags.Ch) !== 0 ? added + updated : added;
}

// ------------------------------------------------------------------ removal

function zrem(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[1];
  const z = db.getCollection<ZSetValue>(key, 'zset');
  if (z === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length; i++) {
    if (z.remove(args[i])) deleted++;
    if (z.size === 0) break;
  }
  afterRemoval(db, key, z, deleted, 'zrem');
  return deleted;
}

/**
 * After `removed` members left `z`: nothing when none did; otherwise the
 * command's event, then an emptied set is deleted (with a `del` event).
 */
function afterRemoval(db: Database, key: string, z: ZSetValue, removed: number, event: string): void {
  if (removed > 0) db.removedFrom(key, z.size === 0, NOTIFY.ZSET, event);
}

/** Members from `cursor` forward while `inRange` holds, at most `limit` (negative: no limit). */
function walk(cursor: ZCursor, reverse: boolean, limit: number, inRange: (score: number, member: string) => boolean): Entry[] {
  const out: Entry[] = [];
  while (cursor.valid && limit-- !== 0) {
    const score = cursor.score;
    const member = cursor.member;
    if (!inRange(score, member)) break;
    out.push([member, score]);
    if (reverse) cursor.prev();
    else cursor.next();
  }
  return out;
}

/** Inclusive ranks [start, end] of a `length`-long set after Redis's negative-index rules, or null when empty. */
function rankRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

type RangeKind = 'rank' | 'score' | 'lex';

function zremrange(kind: RangeKind) {
  return (ctx: CommandContext, args: string[]): Reply => {
    let scores: ScoreRange | undefined;
    let lex: LexRange | undefined;
    let start = 0;
    let end = 0;
    if (kind === 'rank') {
      start = longArg(args[2]);
      end = longArg(args[3]);
    } else if (kind === 'score') {
      scores = scoreRangeArgs(args[2], args[3]);
    } else {
      lex = lexRangeArgs(args[2], args[3]);
    }
    const db = ctx.client.db;
    const key = args[1];
    const z = db.getCollection<ZSetValue>(key, 'zset');
    if (z === undefined) return 0;
    let doomed: Entry[];
    if (kind === 'rank') {
      const ranks = rankRange(start, end, z.size);
      if (ranks === null) return 0;
      doomed = walk(z.at(ranks[0]), false, ranks[1] - ranks[0] + 1, () => true);
    } else if (scores !== undefined) {
      const range = scores;
      doomed = walk(z.firstInScoreRange(range), false, -1, (score) => belowMax(score, range));
    } else {
      const range = lex!;
      doomed = walk(z.firstInLexRange(range), false, -1, (_score, member) => lexBelowMax(member, range.max));
    }
    z.removeAll(doomed.map((e) => e[0]));
    afterRemoval(db, key, z, doomed.length, `zremrangeby${kind}`);
    return doomed.length;
  };
}

// ------------------------------------------------------------------ ranges

type Direction = 'auto' | 'forward' | 'reverse';

/**
 * ZRANGE and its older forms, and ZRANGESTORE: `src min max` at `srcAt`,
 * then options. `kind` and `direction` are fixed by the older commands and
 * 'auto' for ZRANGE, which then takes BYSCORE/BYLEX/REV.
 */
function rangeGeneric(
  ctx: CommandContext, args: string[], srcAt: number, store: boolean, fixedKind: RangeKind | 'auto', fixedDirection: Direction,
): Reply {
  let kind = fixedKind;
  let direction = fixedDirection;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = srcAt + 3; j < args.length; j++) {
    const opt = args[j].toLowerCase();
    const left = args.length - j - 1;
    if (!store && opt === 'withscores') {
      withScores = true;
    } else if (opt === 'limit' && left >= 2) {
      offset = longArg(args[j + 1]);
      limit = longArg(args[j + 2]);
      j += 2;
    } else if (direction === 'auto' && opt === 'rev') {
      direction = 'reverse';
    } else if (kind === 'auto' && opt === 'bylex') {
      kind = 'lex';
    } else if (kind === 'auto' && opt === 'byscore') {
      kind = 'score';
    } else {
      throw syntaxError();
    }
  }
  const reverse = direction === 'reverse';
  const rangeKind: RangeKind = kind === 'auto' ? 'rank' : kind;
  // As in Redis, "LIMIT given" means a count other than -1: LIMIT 0 -1 passes with a rank range.
  if (limit !== -1 && rangeKind === 'rank') {
    throw new ReplyError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && rangeKind === 'lex') {
    throw new ReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  // Reverse score and lex ranges are given as max, min.
  let minText = args[srcAt + 1];
  let maxText = args[srcAt + 2];
  if (reverse && rangeKind !== 'rank') [minText, maxText] = [maxText, minText];

  let start = 0;
  let end = 0;
  let scores: ScoreRange | undefined;
  let lex: LexRange | undefined;
  if (rangeKind === 'rank') {
    start = longArg(minText);
    end = longArg(maxText);
  } else if (rangeKind === 'score') {
    scores = scoreRangeArgs(minText, maxText);
  } else {
    lex = lexRangeArgs(minText, maxText);
  }

  const db = ctx.client.db;
  const z = db.readCollection<ZSetValue>(args[srcAt], 'zset');
  let entries: Entry[] = [];
  if (z !== undefined) {
    if (rangeKind === 'rank') {
      const ranks = rankRange(start, end, z.size);
      if (ranks !== null) {
        const cursor = z.at(reverse ? z.size - 1 - ranks[0] : ranks[0]);
        entries = walk(cursor, reverse, ranks[1] - ranks[0] + 1, () => true);
      }
    } else if (!(offset > 0 && offset >= z.size)) {
      let cursor: ZCursor;
      let inRange: (score: number, member: string) => boolean;
      if (scores !== undefined) {
        const range = scores;
        cursor = reverse ? z.lastInScoreRange(range) : z.firstInScoreRange(range);
        inRange = reverse ? (score) => aboveMin(score, range) : (score) => belowMax(score, range);
      } else {
        const range = lex!;
        cursor = reverse ? z.lastInLexRange(range) : z.firstInLexRange(range);
        inRange = reverse ? (_s, member) => lexAboveMin(member, range.min) : (_s, member) => lexBelowMax(member, range.max);
      }
      // The offset skips by rank (Redis steps through it one by one). A negative
      // offset walks off the end, as in Redis; a negative limit means no limit.
      if (offset !== 0 && cursor.valid) {
        const target = offset < 0 ? -1 : reverse ? cursor.rank - offset : cursor.rank + offset;
        cursor = z.at(target < 0 ? z.size : target);
      }
      entries = walk(cursor, reverse, limit, inRange);
    }
  }
  if (!store) return scoredReply(ctx, entries, withScores);
  const result = entries.length === 0 ? undefined : ZSetValue.fromEntries(limitsOf(ctx), entries);
  db.storeResult(args[1], result, NOTIFY.ZSET, 'zrangestore');
  return entries.length;
}

// ------------------------------------------------------------------ pops

type End = 'min' | 'max';

/**
 * Pops up to `count` members (-1: one, in the single-pop reply form) from
 * the first existing key; the reply shape follows Redis's genericZpopCommand.
 */
function popGeneric(
  ctx: CommandContext, keys: readonly string[], end: End, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean,
): Reply {
  const db = ctx.client.db;
  let key = '';
  let z: ZSetValue | undefined;
  for (const candidate of keys) {
    z = db.getCollection<ZSetValue>(candidate, 'zset');
    if (z !== undefined) {
      key = candidate;
      break;
    }
  }
  if (z === undefined) return nilWhenEmpty ? NIL_ARRAY : [];
  if (count === 0) return [];
  const popped = popFrom(z, end, count === -1 ? 1 : count);
  afterRemoval(db, key, z, popped.length, end === 'min' ? 'zpopmin' : 'zpopmax');
  const items: Reply[] = [];
  for (const [member, score] of popped) {
    if (nested) items.push([member, new DoubleReply(score)]);
    else items.push(member, new DoubleReply(score));
  }
  if (!emitKey) return items;
  return nested ? [key, items] : [key, ...items];
}

function popFrom(z: ZSetValue, end: End, count: number): Entry[] {
  const take = Math.min(count, z.size);
  const out = end === 'min' ? walk(z.at(0), false, take, () => true) : walk(z.at(z.size - 1), true, take, () => true);
  z.removeAll(out.map((e) => e[0]));
  return out;
}

function zpop(end: End) {
  return (ctx: CommandContext, args: string[]): Reply => {
    if (args.length > 3) throw syntaxError();
    const count = args.length === 3 ? positiveLongArg(args[2]) : -1;
    return popGeneric(ctx, [args[1]], end, false, count, ctx.client.resp === 3 && count !== -1, false);
  };
}

/**
 * The blocking pops: serve at once from the first non-empty set, else wait
 * for a change to one of the keys (first come, first served), and pop from
 * the key that changed.
 */
function blockingPop(
  ctx: CommandContext, keys: readonly string[], end: End, deadline: number, count: number, nested: boolean,
): Reply | BlockRequest {
  const db = ctx.client.db;
  for (const key of keys) {
    const z = db.getCollection<ZSetValue>(key, 'zset');
    if (z !== undefined && z.size > 0) return popGeneric(ctx, [key], end, true, count, nested, nested);
  }
  const attempt = (ready: string): Reply | undefined => {
    const value = db.get(ready);
    // A key of another type keeps the client waiting, as in Redis.
    return value instanceof ZSetValue && value.size > 0 ? popGeneric(ctx, [ready], end, true, count, nested, nested) : undefined;
  };
  return new BlockRequest(keys, deadline, attempt, NIL_ARRAY);
}

function bzpop(end: End) {
  return (ctx: CommandContext, args: string[]): Reply | BlockRequest => {
    const deadline = deadlineArg(args[args.length - 1]);
    return blockingPop(ctx, args.slice(1, -1), end, deadline, -1, false);
  };
}

/** ZMPOP/BZMPOP arguments from `numkeys` on. */
function multiPopArgs(args: string[], numkeysAt: number): { keys: string[]; end: End; count: number } {
  const numkeys = rangedLongArg(args[numkeysAt], 1n, LONG_MAX, numkeysNotPositive().message);
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= args.length) throw syntaxError();
  const where = args[whereAt].toLowerCase();
  if (where !== 'min' && where !== 'max') throw syntaxError();
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && args[j].toLowerCase() === 'count' && j + 1 < args.length) {
      count = rangedLongArg(args[++j], 1n, LONG_MAX, 'ERR count should be greater than 0');
    } else {
      throw syntaxError();
    }
  }
  return { keys: args.slice(numkeysAt + 1, whereAt), end: where, count: count === -1 ? 1 : count };
}

// ------------------------------------------------------------------ random members

function zrandmember(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  if (args.length === 2) {
    const z = db.readCollection<ZSetValue>(args[1], 'zset');
    return z === undefined ? null : z.random()[0];
  }
  const requested = rangedLongArg(args[2], -LONG_MAX, LONG_MAX);
  let withScores = false;
  if (args.length > 4 || (args.length === 4 && args[3].toLowerCase() !== 'withscores')) throw syntaxError();
  if (args.length === 4) {
    withScores = true;
    const big = BigInt(parseInt64(args[2])!);
    if (big < -(LONG_MAX / 2n) || big > LONG_MAX / 2n) throw valueOutOfRange();
  }
  const z = db.readCollection<ZSetValue>(args[1], 'zset');
  if (z === undefined || requested === 0) return [];
  const size = z.size;
  let picked: Entry[];
  if (requested < 0 || requested === 1) {
    // Repeats allowed: independent draws, each by a random rank. Redis streams
    // any number of them; a reply here is built whole, so the count is capped.
    const count = Math.abs(requested);
    if (count > MAX_ZSET_SIZE) throw valueOutOfRange();
    picked = new Array<Entry>(count);
    for (let i = 0; i < count; i++) picked[i] = z.random();
  } else if (requested >= size) {
    // The whole set, highest score first: Redis walks sorted sets from the tail here.
    picked = [...z.entries()].reverse();
  } else if (requested * 3 > size) {
    // Most of the set: drop random members from a copy until `requested` remain.
    const all = [...z.entries()];
    for (let left = size; left > requested; left--) {
      const i = Math.floor(Math.random() * left);
      all[i] = all[left - 1];
    }
    all.length = requested;
    picked = all;
  } else {
    const seen = new Set<string>();
    picked = [];
    while (picked.length < requested) {
      const entry = z.random();
      if (seen.has(entry[0])) continue;
      seen.add(entry[0]);
      picked.push(entry);
    }
  }
  return scoredReply(ctx, picked, withScores);
}

// ------------------------------------------------------------------ set algebra

/** What ZUNION and friends read from one input key: a sorted set, a plain set (every score 1), or nothing. */
interface Source {
  readonly value: object | undefined;
  readonly size: number;
  weight: number;
  entries(): Iterable<Entry>;
  score(member: string): number | undefined;
}

/** The parts of the set type (another family's module) that sorted-set algebra reads. */
interface SetLike {
  readonly size: number;
  has(member: string): boolean;
  members(): Iterable<string>;
}

function isSetLike(value: CollectionValue): value is CollectionValue & SetLike {
  const candidate = value as CollectionValue & Partial<Record<'size' | 'has' | 'members', unknown>>;
  return typeof candidate.size === 'number' && typeof candidate.has === 'function' && typeof candidate.members === 'function';
}

function sourceOf(value: CollectionValue | undefined): Source {
  if (value === undefined) {
    return { value: undefined, size: 0, weight: 1, entries: () => [], score: () => undefined };
  }
  if (value instanceof ZSetValue) {
    return { value, size: value.size, weight: 1, entries: () => value.entries(), score: (m) => value.score(m) };
  }
  if (value.type === 'set' && isSetLike(value)) {
    return {
      value,
      size: value.size,
      weight: 1,
      *entries() {
        for (const member of value.members()) yield [member, 1];
      },
      score: (m) => (value.has(m) ? 1 : undefined),
    };
  }
  throw wrongType();
}

type Operation = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const total = target + value;
    // inf + -inf: Redis settles on 0.
    return Number.isNaN(total) ? 0 : total;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD: `numkeys` at
 * `numkeysAt`, then the keys and options, as zunionInterDiffGenericCommand.
 */
function algebra(op: Operation, numkeysAt: number, store: boolean, cardinalityOnly: boolean) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const setCount = longArg(args[numkeysAt]);
    if (setCount < 1) {
      throw new ReplyError(`ERR at least 1 input key is needed for '${args[0].toLowerCase()}' command`);
    }
    if (setCount > args.length - (numkeysAt + 1)) throw syntaxError();
    const db = ctx.client.db;
    const sources: Source[] = [];
    let j = numkeysAt + 1;
    for (let i = 0; i < setCount; i++, j++) {
      const value = db.read(args[j]);
      if (typeof value === 'string') throw wrongType();
      if (value !== undefined && value.type !== 'zset' && value.type !== 'set') throw wrongType();
      readable(value);
      sources.push(sourceOf(value));
    }
    let how: Aggregate = 'sum';
    let withScores = false;
    let limit = 0;
    while (j < args.length) {
      const remaining = args.length - j;
      const opt = args[j].toLowerCase();
      if (op !== 'diff' && !cardinalityOnly && remaining >= setCount + 1 && opt === 'weights') {
        j++;
        for (const source of sources) source.weight = scoreArg(args[j++], 'ERR weight value is not a float');
      } else if (op !== 'diff' && !cardinalityOnly && remaining >= 2 && opt === 'aggregate') {
        const name = args[j + 1].toLowerCase();
        if (name !== 'sum' && name !== 'min' && name !== 'max') throw syntaxError();
        how = name;
        j += 2;
      } else if (!store && !cardinalityOnly && opt === 'withscores') {
        withScores = true;
        j++;
      } else if (cardinalityOnly && remaining >= 2 && opt === 'limit') {
        limit = positiveLongArg(args[j + 1], "ERR LIMIT can't be negative");
        j += 2;
      } else {
        throw syntaxError();
      }
    }
    // Smallest first: intersections then probe the fewest members.
    if (op !== 'diff') sources.sort((a, b) => a.size - b.size);

    const result = new Map<string, number>();
    let cardinality = 0;
    if (op === 'inter') {
      const [first, ...others] = sources;
      if (first.size > 0) {
        for (const [member, raw] of first.entries()) {
          let score = first.weight * raw;
          if (Number.isNaN(score)) score = 0;
          let everywhere = true;
          for (const other of others) {
            const found = other.value === first.value ? raw : other.score(member);
            if (found === undefined) {
              everywhere = false;
              break;
            }
            score = aggregate(score, found * other.weight, how);
          }
          if (!everywhere) continue;
          if (cardinalityOnly) {
            cardinality++;
            if (limit > 0 && cardinality >= limit) break;
          } else {
            result.set(member, score);
          }
        }
      }
    } else if (op === 'union') {
      for (const source of sources) {
        if (source.size === 0) continue;
        for (const [member, raw] of source.entries()) {
          let score = source.weight * raw;
          if (Number.isNaN(score)) score = 0;
          const existing = result.get(member);
          result.set(member, existing === undefined ? score : aggregate(existing, score, how));
        }
      }
    } else {
      const [first, ...others] = sources;
      for (const [member, score] of first.entries()) {
        if (!others.some((other) => other.size > 0 && other.score(member) !== undefined)) result.set(member, score);
      }
    }

    if (cardinalityOnly) return cardinality;
    if (store) {
      const stored = result.size === 0 ? undefined : ZSetValue.fromEntries(limitsOf(ctx), [...result]);
      db.storeResult(args[1], stored, NOTIFY.ZSET, `z${op}store`);
      return result.size;
    }
    const sorted = [...result].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return scoredReply(ctx, sorted, withScores);
  };
}

// ------------------------------------------------------------------ ZSCAN

const zscanCursors = new CursorTable<Entry>();

function zscan(ctx: CommandContext, args: string[]): Reply {
  const cursor = cursorArg(args[2]);
  const z = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset');
  if (z === undefined) return ['0', []];
  const { count, pattern } = scanOptions(args, 3, false);
  const keep = (entry: Entry): boolean => pattern === undefined || globMatch(pattern, entry[0], false);
  let next = 0;
  let found: Entry[];
  if (z.isCompact) {
    // Redis returns a listpack whole, in order, with cursor 0.
    found = [...z.entries()].filter(keep);
  } else {
    [next, found] = zscanCursors.take(cursor, z.dict, () => z.dict.entries(), count, keep);
  }
  const flat: string[] = [];
  for (const [member, score] of found) flat.push(member, z.scanScore(score));
  return [String(next), flat];
}

// ------------------------------------------------------------------ the table

const common = { group: 'sorted_set' } as const;

/** ZMPOP and BZMPOP travel as the ZPOPMIN/ZPOPMAX with COUNT of what they took, as in Redis. */
const zsetMultiPop = (numkeysAt: number) => asSingleKeyPop((args) => (whereOfMultiPop(args, numkeysAt) === 'MIN' ? 'ZPOPMIN' : 'ZPOPMAX'), true);

export const sortedsetsCommands: readonly CommandSpec[] = [
  defineCommand({
    ...common, name: 'zadd', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    summary: 'Adds members with scores, or updates their scores; returns how many were added (or changed, with CH).',
    syntax: 'key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]',
    run: (ctx, args) => zadd(ctx, args, false),
  }),
  defineCommand({
    ...common, name: 'zincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    summary: 'Adds to the score of a member (creating it at 0) and returns the new score.', syntax: 'key increment member',
    run: (ctx, args) => zadd(ctx, args, true),
  }),
  defineCommand({
    ...common, name: 'zscore', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '1.2.0', complexity: 'O(1)',
    summary: 'Returns the score of a member, or nil.', syntax: 'key member',
    run: (ctx, args) => {
      const score = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.score(args[2]);
      return score === undefined ? null : new DoubleReply(score);
    },
  }),
  defineCommand({
    ...common, name: 'zmscore', arity: -3, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '6.2.0',
    complexity: 'O(N) where N is the number of members being requested.',
    summary: 'Returns the scores of several members; nil for each that is missing.', syntax: 'key member [member ...]',
    run: (ctx, args) => {
      const z = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset');
      return args.slice(2).map((member) => {
        const score = z?.score(member);
        return score === undefined ? null : new DoubleReply(score);
      });
    },
  }),
  defineCommand({
    ...common, name: 'zcard', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '1.2.0', complexity: 'O(1)',
    summary: 'Counts the members of a sorted set.', syntax: 'key',
    run: (ctx, args) => ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.size ?? 0,
  }),
  defineCommand({
    ...common, name: 'zcount', arity: 4, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '2.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Counts the members with a score in a range.', syntax: 'key min max',
    run: (ctx, args) => {
      const range = scoreRangeArgs(args[2], args[3]);
      return ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.countInScoreRange(range) ?? 0;
    },
  }),
  defineCommand({
    ...common, name: 'zlexcount', arity: 4, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '2.8.9',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Counts the members in a lexicographical range (all scores being equal).', syntax: 'key min max',
    run: (ctx, args) => {
      const range = lexRangeArgs(args[2], args[3]);
      return ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.countInLexRange(range) ?? 0;
    },
  }),
  defineCommand({
    ...common, name: 'zrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    summary: 'Returns members by rank, score or lex range, optionally reversed, limited and with scores.',
    syntax: 'key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'auto', 'auto'),
  }),
  defineCommand({
    ...common, name: 'zrangestore', arity: -5, flags: ['write', 'denyoom'], keys: { first: 1, last: 2, step: 1 }, since: '6.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
    summary: 'Stores a range of a sorted set (as ZRANGE selects it) at another key; returns its size.',
    syntax: 'dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]',
    run: (ctx, args) => rangeGeneric(ctx, args, 2, true, 'auto', 'auto'),
  }),
  defineCommand({
    ...common, name: 'zrevrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    summary: 'Returns members by rank from the highest score down.', syntax: 'key start stop [WITHSCORES]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'rank', 'reverse'),
  }),
  defineCommand({
    ...common, name: 'zrangebyscore', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '1.0.5',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    summary: 'Returns members with a score in a range, lowest first.', syntax: 'key min max [WITHSCORES] [LIMIT offset count]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'score', 'forward'),
  }),
  defineCommand({
    ...common, name: 'zrevrangebyscore', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '2.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    summary: 'Returns members with a score in a range, highest first.', syntax: 'key max min [WITHSCORES] [LIMIT offset count]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'score', 'reverse'),
  }),
  defineCommand({
    ...common, name: 'zrangebylex', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    summary: 'Returns members in a lexicographical range (all scores being equal).', syntax: 'key min max [LIMIT offset count]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'lex', 'forward'),
  }),
  defineCommand({
    ...common, name: 'zrevrangebylex', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    summary: 'Returns members in a lexicographical range, highest first.', syntax: 'key max min [LIMIT offset count]',
    run: (ctx, args) => rangeGeneric(ctx, args, 1, false, 'lex', 'reverse'),
  }),
  defineCommand({
    ...common, name: 'zrank', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '2.0.0', complexity: 'O(log(N))',
    summary: 'Returns the rank of a member counting from the lowest score, or nil.', syntax: 'key member',
    run: (ctx, args) => ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.rank(args[2], false) ?? null,
  }),
  defineCommand({
    ...common, name: 'zrevrank', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, since: '2.0.0', complexity: 'O(log(N))',
    summary: 'Returns the rank of a member counting from the highest score, or nil.', syntax: 'key member',
    run: (ctx, args) => ctx.client.db.readCollection<ZSetValue>(args[1], 'zset')?.rank(args[2], true) ?? null,
  }),
  defineCommand({
    ...common, name: 'zrem', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    summary: 'Removes members; returns how many were there.', syntax: 'key member [member ...]', run: zrem,
  }),
  defineCommand({
    ...common, name: 'zremrangebyrank', arity: 4, flags: ['write'], keys: ONE_KEY, since: '2.0.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    summary: 'Removes the members in a rank range; returns how many.', syntax: 'key start stop', run: zremrange('rank'),
  }),
  defineCommand({
    ...common, name: 'zremrangebyscore', arity: 4, flags: ['write'], keys: ONE_KEY, since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    summary: 'Removes the members with a score in a range; returns how many.', syntax: 'key min max', run: zremrange('score'),
  }),
  defineCommand({
    ...common, name: 'zremrangebylex', arity: 4, flags: ['write'], keys: ONE_KEY, since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    summary: 'Removes the members in a lexicographical range; returns how many.', syntax: 'key min max', run: zremrange('lex'),
  }),
  defineCommand({
    ...common, name: 'zpopmin', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'Removes and returns the members with the lowest scores.', syntax: 'key [count]', run: zpop('min'),
  }),
  defineCommand({
    ...common, name: 'zpopmax', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'Removes and returns the members with the highest scores.', syntax: 'key [count]', run: zpop('max'),
  }),
  defineCommand({
    ...common, name: 'zmpop', arity: -4, flags: ['write', 'movablekeys'], keysOf: keysAfterCount(1), since: '7.0.0',
    complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'Pops the lowest or highest members of the first non-empty sorted set among the keys.',
    syntax: 'numkeys key [key ...] MIN|MAX [COUNT count]',
    propagate: zsetMultiPop(1),
    run: (ctx, args) => {
      const { keys, end, count } = multiPopArgs(args, 1);
      return popGeneric(ctx, keys, end, true, count, true, true);
    },
  }),
  defineCommand({
    ...common, name: 'bzpopmin', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: { first: 1, last: -2, step: 1 },
    since: '5.0.0', complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Pops the lowest-scored member of the first non-empty sorted set, waiting for one if needed.',
    syntax: 'key [key ...] timeout', propagate: asSingleKeyPop(() => 'ZPOPMIN', false), run: bzpop('min'),
  }),
  defineCommand({
    ...common, name: 'bzpopmax', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: { first: 1, last: -2, step: 1 },
    since: '5.0.0', complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Pops the highest-scored member of the first non-empty sorted set, waiting for one if needed.',
    syntax: 'key [key ...] timeout', propagate: asSingleKeyPop(() => 'ZPOPMAX', false), run: bzpop('max'),
  }),
  defineCommand({
    ...common, name: 'bzmpop', arity: -5, flags: ['write', 'blocking', 'movablekeys'], keysOf: keysAfterCount(2), since: '7.0.0',
    complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'ZMPOP that waits for a member when every sorted set is empty.',
    syntax: 'timeout numkeys key [key ...] MIN|MAX [COUNT count]',
    propagate: zsetMultiPop(2),
    run: (ctx, args) => {
      const { keys, end, count } = multiPopArgs(args, 2);
      const deadline = deadlineArg(args[1]);
      return blockingPop(ctx, keys, end, deadline, count, true);
    },
  }),
  defineCommand({
    ...common, name: 'zrandmember', arity: -2, flags: ['readonly'], keys: ONE_KEY, since: '6.2.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Returns random members; a negative count allows repeats.', syntax: 'key [count [WITHSCORES]]', run: zrandmember,
  }),
  defineCommand({
    ...common, name: 'zunion', arity: -3, flags: ['readonly', 'movablekeys'], keysOf: keysAfterCount(1), since: '6.2.0',
    complexity: 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    summary: 'Returns the union of sorted sets (and sets), scores weighted and aggregated.',
    syntax: 'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]',
    run: algebra('union', 1, false, false),
  }),
  defineCommand({
    ...common, name: 'zinter', arity: -3, flags: ['readonly', 'movablekeys'], keysOf: keysAfterCount(1), since: '6.2.0',
    complexity: 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    summary: 'Returns the intersection of sorted sets (and sets), scores weighted and aggregated.',
    syntax: 'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]',
    run: algebra('inter', 1, false, false),
  }),
  defineCommand({
    ...common, name: 'zdiff', arity: -3, flags: ['readonly', 'movablekeys'], keysOf: keysAfterCount(1), since: '6.2.0',
    complexity: 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    summary: 'Returns the members of the first sorted set that are in none of the others.',
    syntax: 'numkeys key [key ...] [WITHSCORES]', run: algebra('diff', 1, false, false),
  }),
  defineCommand({
    ...common, name: 'zunionstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keysOf: keysAfterCount(2, 1), keys: ONE_KEY, since: '2.0.0',
    complexity: 'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    summary: 'Stores the union of sorted sets (and sets) at a key; returns its size.',
    syntax: 'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]',
    run: algebra('union', 2, true, false),
  }),
  defineCommand({
    ...common, name: 'zinterstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keysOf: keysAfterCount(2, 1), keys: ONE_KEY, since: '2.0.0',
    complexity: 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    summary: 'Stores the intersection of sorted sets (and sets) at a key; returns its size.',
    syntax: 'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]',
    run: algebra('inter', 2, true, false),
  }),
  defineCommand({
    ...common, name: 'zdiffstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keysOf: keysAfterCount(2, 1), keys: ONE_KEY, since: '6.2.0',
    complexity: 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    summary: 'Stores the members of the first sorted set that are in none of the others; returns how many.',
    syntax: 'destination numkeys key [key ...]', run: algebra('diff', 2, true, false),
  }),
  defineCommand({
    ...common, name: 'zintercard', arity: -3, flags: ['readonly', 'movablekeys'], keysOf: keysAfterCount(1), since: '7.0.0',
    complexity: 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    summary: 'Counts the members of the intersection of sorted sets, stopping at an optional limit.',
    syntax: 'numkeys key [key ...] [LIMIT limit]', run: algebra('inter', 1, false, true),
  }),
  defineCommand({
    ...common, name: 'zscan', arity: -3, flags: ['readonly'], keys: ONE_KEY, since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    summary: 'Iterates over the members and scores of a sorted set with a cursor.',
    syntax: 'key cursor [MATCH pattern] [COUNT count]', run: zscan,
  }),
];
