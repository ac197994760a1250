/**
 * String commands: GET/SET and their variants, counters, ranges, LCS.
 */
import { ReplyError, invalidExpireTime, notFloat, notInteger, overflow, stringTooLong, syntaxError, wrongArity, notFinite } from '../errors.js';
import { MapReply, OK, type Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import { now } from '../store/clock.js';
import { NOTIFY } from '../store/notify.js';
import { addInt64, toInt64, parseInt64, type Int64 } from '../util/numbers.js';
import { ZERO, addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, parseLongDouble } from '../store/longdouble.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { asDeletion, asExpiry, asSet, asSetKeepTtl } from '../persistence/propagation.js';


/** Parses an integer argument or fails with Redis's "not an integer" error. */
export function integerArg(text: string): Int64 {
  const value = parseInt64(text);
  if (value === null) throw notInteger();
  return value;
}

/** An integer argument that must fit a JS number (counts, offsets, indexes). */
export function numberArg(text: string): number {
  const value = integerArg(text);
  return typeof value === 'number' ? value : Number(value);
}

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

/** Turns an EX/PX/EXAT/PXAT argument into an absolute time in ms, as SET and GETEX check it. */
function absoluteExpiry(unit: ExpireUnit, text: string, cmd: string): number {
  const value = integerArg(text);
  const seconds = unit === 'EX' || unit === 'EXAT';
  if (value <= 0 || (seconds && value > 9223372036854775n)) throw invalidExpireTime(cmd);
  let ms = BigInt(value) * (seconds ? 1000n : 1n);
  if (unit === 'EX' || unit === 'PX') ms += BigInt(now());
  if (ms > 9223372036854775807n) throw invalidExpireTime(cmd);
  return Number(ms);
}

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expireUnit?: ExpireUnit;
  expireArg?: string;
}

/** Options shared by SET and GETEX; each may appear once and conflicting ones are a syntax error. */
function parseStringOptions(args: string[], from: number, forSet: boolean): StringOptions {
  const o: StringOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false };
  const hasTtlOption = (): boolean => o.keepTtl || o.persist || o.expireUnit !== undefined;
  for (let i = from; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    const hasNext = i + 1 < args.length;
    if (forSet && opt === 'NX' && !o.xx) o.nx = true;
    else if (forSet && opt === 'XX' && !o.nx) o.xx = true;
    else if (forSet && opt === 'GET') o.get = true;
    else if (forSet && opt === 'KEEPTTL' && !o.persist && o.expireUnit === undefined) o.keepTtl = true;
    else if (!forSet && opt === 'PERSIST' && !o.keepTtl && o.expireUnit === undefined) o.persist = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && hasNext && (!hasTtlOption() || o.expireUnit === opt)) {
      o.expireUnit = opt;
      o.expireArg = args[++i];
    } else throw syntaxError();
  }
  return o;
}

function set(ctx: CommandContext, args: string[]): Reply {
  const [, key, value] = args;
  const o = parseStringOptions(args, 3, true);
  const when = o.expireUnit ? absoluteExpiry(o.expireUnit, o.expireArg!, 'set') : undefined;
  const db = ctx.client.db;
  const previous = o.get ? db.getString(key) ?? null : undefined;
  if ((o.nx || o.xx) && db.has(key) === o.nx) return o.get ? previous! : null;
  storeString(db, key, value, when, o.keepTtl);
  return o.get ? previous! : OK;
}

/** Stores a string as SET does, with its `set` event and, given a time, `expire`. */
function storeString(db: Database, key: string, value: string, when?: number, keepTtl = false): void {
  db.set(key, value, keepTtl);
  db.notify(NOTIFY.STRING, 'set', key);
  if (when === undefined) return;
  db.setExpire(key, when);
  db.notify(NOTIFY.GENERIC, 'expire', key);
}

/** Stores a string with a relative TTL (SETEX, PSETEX). */
function setWithTtl(unit: 'EX' | 'PX', cmd: string) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const when = absoluteExpiry(unit, args[2], cmd);
    storeString(ctx.client.db, args[1], args[3], when);
    return OK;
  };
}

function getex(ctx: CommandContext, args: string[]): Reply {
  const o = parseStringOptions(args, 2, false);
  const db = ctx.client.db;
  const value = db.readString(args[1]);
  if (value === undefined) return null;
  if (o.expireUnit) {
    const when = absoluteExpiry(o.expireUnit, o.expireArg!, 'getex');
    if (ctx.server.keyspace.alreadyExpired(when)) {
      db.deleteNotify(args[1]);
    } else {
      db.setExpire(args[1], when);
      db.notify(NOTIFY.GENERIC, 'expire', args[1]);
    }
  } else if (o.persist && db.persist(args[1])) {
    db.notify(NOTIFY.GENERIC, 'persist', args[1]);
  }
  return value;
}

/** The stored integer at `key` (0 when missing), or Redis's error when it holds anything else. */
function storedInteger(db: Database, key: string): Int64 {
  const current = db.getString(key);
  if (current === undefined) return 0;
  const value = parseInt64(current);
  if (value === null) throw notInteger();
  return value;
}

function incrementBy(db: Database, key: string, delta: Int64): Reply {
  const result = addInt64(storedInteger(db, key), delta);
  if (result === null) throw overflow();
  db.set(key, String(result), true);
  db.notify(NOTIFY.STRING, 'incrby', key);
  return result;
}

function incrByFloat(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const current = db.getString(args[1]);
  const base = current === undefined ? ZERO : parseLongDouble(current);
  const delta = parseLongDouble(args[2]);
  if (base === null || delta === null) throw notFloat();
  const sum = addLongDouble(base, delta);
  if (!isFiniteLongDouble(sum)) throw notFinite();
  const text = formatLongDoubleHuman(sum);
  db.set(args[1], text, true);
  // Redis makes the result a plain string, never an integer one.
  db.madeAs(args[1], 'embstr');
  db.notify(NOTIFY.STRING, 'incrbyfloat', args[1]);
  return text;
}

/** Converts Redis's inclusive, possibly negative [start, end] into a slice of a `length`-long string. */
function clampRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0 && end < 0 && start > end) return null;
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return null;
  return [start, end + 1];
}

function getrange(ctx: CommandContext, args: string[]): Reply {
  const start = numberArg(args[2]);
  const end = numberArg(args[3]);
  const value = ctx.client.db.readString(args[1]) ?? '';
  const range = clampRange(start, end, value.length);
  return range === null ? '' : value.slice(range[0], range[1]);
}

function setrange(ctx: CommandContext, args: string[], maxLength: number): Reply {
  const [, key, offsetArg, patch] = args;
  const offset = numberArg(offsetArg);
  if (offset < 0) throw new ReplyError('ERR offset is out of range');
  const db = ctx.client.db;
  const current = db.getString(key);
  if (current === undefined && patch.length === 0) return 0;
  const base = current ?? '';
  if (patch.length === 0) return base.length;
  if (offset + patch.length > maxLength) throw stringTooLong();
  const padded = base.length < offset ? base + '\0'.repeat(offset - base.length) : base;
  const updated = padded.slice(0, offset) + patch + padded.slice(offset + patch.length);
  db.set(key, updated, true);
  db.madeAs(key, 'raw');
  db.notify(NOTIFY.STRING, 'setrange', key);
  return updated.length;
}

function append(ctx: CommandContext, args: string[], maxLength: number): Reply {
  const db = ctx.client.db;
  const current = db.getString(args[1]);
  if (current !== undefined && current.length + args[2].length > maxLength) throw stringTooLong();
  const updated = current === undefined ? args[2] : current + args[2];
  db.set(args[1], updated, true);
  // A new key is stored as SET stores it; an existing one is appended to in place.
  if (current !== undefined) db.madeAs(args[1], 'raw');
  db.notify(NOTIFY.STRING, 'append', args[1]);
  return updated.length;
}

function mset(ctx: CommandContext, args: string[], onlyIfNoneExist: boolean): Reply {
  if (args.length % 2 === 0) throw wrongArity(args[0].toLowerCase());
  const db = ctx.client.db;
  if (onlyIfNoneExist) {
    for (let i = 1; i < args.length; i += 2) if (db.has(args[i])) return 0;
  }
  for (let i = 1; i < args.length; i += 2) storeString(db, args[i], args[i + 1]);
  return onlyIfNoneExist ? 1 : OK;
}

function lcs(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const rawA = db.read(args[1]);
  const rawB = db.read(args[2]);
  if ((rawA !== undefined && typeof rawA !== 'string') || (rawB !== undefined && typeof rawB !== 'string')) {
    throw new ReplyError('ERR The specified keys must contain string values');
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (opt === 'IDX') getIdx = true;
    else if (opt === 'LEN') getLen = true;
    else if (opt === 'WITHMATCHLEN') withMatchLen = true;
    else if (opt === 'MINMATCHLEN' && i + 1 < args.length) minMatchLen = Math.max(0, numberArg(args[++i]));
    else throw syntaxError();
  }
  if (getLen && getIdx) throw new ReplyError('ERR If you want both the length and indexes, please just use IDX.');
  const a = rawA ?? '';
  const b = rawB ?? '';
  const width = b.length + 1;
  if ((a.length + 1) * width * 4 > ctx.server.config.values.protoMaxBulkLen) {
    throw new ReplyError('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  // table[i * width + j] is the LCS length of a[0, i) and b[0, j).
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      table[i * width + j] =
        a.charCodeAt(i - 1) === b.charCodeAt(j - 1)
          ? table[(i - 1) * width + j - 1] + 1
          : Math.max(table[(i - 1) * width + j], table[i * width + j - 1]);
    }
  }
  const total = table[a.length * width + b.length];
  if (getLen) return total;

  // Walk back from the end, collecting the common subsequence and its contiguous ranges.
  const chars: string[] = [];
  const matches: Reply[] = [];
  let i = a.length;
  let j = b.length;
  let aStart = -1;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars.push(a[i - 1]);
      if (aStart < 0) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (aStart >= 0) emit = true;
    }
    if (emit) {
      const length = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || length >= minMatchLen)) {
        const match: Reply[] = [[aStart, aEnd], [bStart, bEnd]];
        if (withMatchLen) match.push(length);
        matches.push(match);
      }
      aStart = -1;
    }
  }
  if (getIdx) return new MapReply(['matches', matches, 'len', total]);
  return chars.reverse().join('');
}

const maxBulk = (ctx: CommandContext): number => ctx.server.config.values.protoMaxBulkLen;

export const stringCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Returns the string value of a key, or nil when the key does not exist.', syntax: 'key',
    run: (ctx, args) => ctx.client.db.readString(args[1]) ?? null,
  }),
  defineCommand({
    name: 'set', propagate: asSet, arity: -3, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Stores a string at a key, optionally only if it exists or not, with a time to live.',
    syntax: 'key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]',
    run: set,
  }),
  defineCommand({
    name: 'setnx', propagate: asSet, arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Stores a string only when the key does not exist yet; 1 if it did.', syntax: 'key value',
    run: (ctx, args) => {
      if (ctx.client.db.has(args[1])) return 0;
      storeString(ctx.client.db, args[1], args[2]);
      return 1;
    },
  }),
  defineCommand({
    name: 'setex', propagate: asSet, arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'string', since: '2.0.0',
    complexity: 'O(1)', summary: 'Stores a string with a time to live in seconds.', syntax: 'key seconds value',
    run: setWithTtl('EX', 'setex'),
  }),
  defineCommand({
    name: 'psetex', propagate: asSet, arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'string', since: '2.6.0',
    complexity: 'O(1)', summary: 'Stores a string with a time to live in milliseconds.', syntax: 'key milliseconds value',
    run: setWithTtl('PX', 'psetex'),
  }),
  defineCommand({
    name: 'getset', propagate: asSet, arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Stores a string and returns the one it replaced.', syntax: 'key value',
    run: (ctx, args) => {
      const previous = ctx.client.db.getString(args[1]) ?? null;
      storeString(ctx.client.db, args[1], args[2]);
      return previous;
    },
  }),
  defineCommand({
    name: 'getdel', propagate: asDeletion, arity: 2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'string', since: '6.2.0',
    complexity: 'O(1)', summary: 'Returns the string at a key and deletes the key.', syntax: 'key',
    run: (ctx, args) => {
      const value = ctx.client.db.readString(args[1]);
      if (value === undefined) return null;
      ctx.client.db.deleteNotify(args[1]);
      return value;
    },
  }),
  defineCommand({
    name: 'getex', propagate: asExpiry, arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, group: 'string', since: '6.2.0',
    complexity: 'O(1)', summary: 'Returns the string at a key and changes or removes its time to live.',
    syntax: 'key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]',
    run: getex,
  }),
  defineCommand({
    name: 'mget', arity: -2, flags: ['readonly', 'fast'], keys: { first: 1, last: -1, step: 1 }, group: 'string',
    since: '1.0.0', complexity: 'O(N) where N is the number of keys', summary: 'Returns the strings of several keys; nil for missing or non-string keys.',
    syntax: 'key [key ...]',
    run: (ctx, args) => {
      const db = ctx.client.db;
      const out = new Array<Reply>(args.length - 1);
      for (let i = 1; i < args.length; i++) {
        const value = db.read(args[i]);
        out[i - 1] = typeof value === 'string' ? value : null;
      }
      return out;
    },
  }),
  defineCommand({
    name: 'mset', arity: -3, flags: ['write', 'denyoom'], keys: { first: 1, last: -1, step: 2 }, group: 'string',
    since: '1.0.1', complexity: 'O(N) where N is the number of keys', summary: 'Stores several key-value pairs at once.',
    syntax: 'key value [key value ...]', run: (ctx, args) => mset(ctx, args, false),
  }),
  defineCommand({
    name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], keys: { first: 1, last: -1, step: 2 }, group: 'string',
    since: '1.0.1', complexity: 'O(N) where N is the number of keys', summary: 'Stores several key-value pairs only if none of the keys exists.',
    syntax: 'key value [key value ...]', run: (ctx, args) => mset(ctx, args, true),
  }),
  defineCommand({
    name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '2.0.0',
    complexity: 'O(1)', summary: 'Appends to the string at a key (creating it) and returns the new length.', syntax: 'key value',
    run: (ctx, args) => append(ctx, args, maxBulk(ctx)),
  }),
  defineCommand({
    name: 'strlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'string', since: '2.2.0',
    complexity: 'O(1)', summary: 'Returns the length in bytes of the string at a key.', syntax: 'key',
    run: (ctx, args) => (ctx.client.db.readString(args[1]) ?? '').length,
  }),
  defineCommand({
    name: 'getrange', arity: 4, flags: ['readonly'], keys: ONE_KEY, group: 'string', since: '2.4.0',
    complexity: 'O(N) where N is the length of the returned string', summary: 'Returns a substring by inclusive byte offsets; negative offsets count from the end.',
    syntax: 'key start end', run: getrange,
  }),
  defineCommand({
    name: 'substr', arity: 4, flags: ['readonly'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(N) where N is the length of the returned string', summary: 'Old name of GETRANGE.',
    syntax: 'key start end', run: getrange,
  }),
  defineCommand({
    name: 'setrange', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'string', since: '2.2.0',
    complexity: 'O(1), not counting the time taken to copy the new string in place', summary: 'Overwrites part of a string from an offset, padding with zero bytes; returns the new length.',
    syntax: 'key offset value', run: (ctx, args) => setrange(ctx, args, maxBulk(ctx)),
  }),
  defineCommand({
    name: 'incr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Adds one to the integer at a key.', syntax: 'key',
    run: (ctx, args) => incrementBy(ctx.client.db, args[1], 1),
  }),
  defineCommand({
    name: 'decr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Subtracts one from the integer at a key.', syntax: 'key',
    run: (ctx, args) => incrementBy(ctx.client.db, args[1], -1),
  }),
  defineCommand({
    name: 'incrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Adds an integer to the integer at a key.', syntax: 'key increment',
    run: (ctx, args) => incrementBy(ctx.client.db, args[1], integerArg(args[2])),
  }),
  defineCommand({
    name: 'decrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '1.0.0',
    complexity: 'O(1)', summary: 'Subtracts an integer from the integer at a key.', syntax: 'key decrement',
    run: (ctx, args) => {
      const delta = integerArg(args[2]);
      if (delta === -9223372036854775808n) throw new ReplyError('ERR decrement would overflow');
      return incrementBy(ctx.client.db, args[1], typeof delta === 'number' ? -delta : toInt64(-delta));
    },
  }),
  defineCommand({
    name: 'incrbyfloat', propagate: asSetKeepTtl, arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'string', since: '2.6.0',
    complexity: 'O(1)', summary: 'Adds a floating point number to the number at a key.', syntax: 'key increment',
    run: incrByFloat,
  }),
  defineCommand({
    name: 'lcs', arity: -3, flags: ['readonly'], keys: { first: 1, last: 2, step: 1 }, group: 'string', since: '7.0.0',
    complexity: 'O(N*M) where N and M are the lengths of the two strings', summary: 'Finds the longest common subsequence of two strings, its length or its matching ranges.',
    syntax: 'key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]', run: lcs,
  }),
];
