/**
 * Conversions between command replies and Lua values, by Redis's rules:
 * status and error replies become {ok=...} and {err=...} tables, a null
 * becomes false (RESP2) or nil (RESP3), and RESP3's maps, sets, doubles,
 * big numbers and verbatim strings become single-field tables.
 */
import { ReplyError } from '../errors.js';
import {
  AttributeReply,
  BigNumberReply,
  BooleanReply,
  DoubleReply,
  MapReply,
  NullArray,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  formatDouble,
  type Reply,
} from '../protocol/reply.js';
import { LuaTable } from './lua/table.js';
import type { LuaValue } from './lua/value.js';

function field(name: string, value: LuaValue): LuaTable {
  // One node, as PUC's first insert into an empty table rehashes it to: the same table without the rehash.
  const t = new LuaTable(0, 1);
  t.setStr(name, value);
  return t;
}

/**
 * A table for the values of 1..n, inserted in order and none of them nil:
 * PUC's rehashes while they go in end with an array part of the next power
 * of two and no hash part, so made that size at once, the table comes out
 * the same without the rehashes.
 */
const sequenceTable = (n: number): LuaTable => new LuaTable(n === 0 ? 0 : 2 ** Math.ceil(Math.log2(n)), 0);

function sequence(items: readonly Reply[], resp: 2 | 3): LuaTable {
  // RESP3 nulls are nils, which would leave holes the rehashes size differently.
  const t = resp === 2 ? sequenceTable(items.length) : new LuaTable();
  for (let i = 0; i < items.length; i++) t.setInt(i + 1, replyToLua(items[i], resp));
  return t;
}

/** A command's reply as the script sees it, in the RESP version the script speaks. */
export function replyToLua(reply: Reply, resp: 2 | 3): LuaValue {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  if (reply === null || reply instanceof NullArray) return resp === 2 ? false : undefined;
  if (Array.isArray(reply)) return sequence(reply, resp);
  if (reply instanceof ReplyError) return field('err', errorText(reply));
  if (reply instanceof SimpleString) return field('ok', reply.text);
  if (reply instanceof MapReply) {
    if (resp === 2) return sequence(reply.flat, resp);
    const map = new LuaTable();
    for (let i = 0; i + 1 < reply.flat.length; i += 2) {
      const k = replyToLua(reply.flat[i], resp);
      if (k !== undefined) map.set(k, replyToLua(reply.flat[i + 1], resp));
    }
    return field('map', map);
  }
  if (reply instanceof SetReply) {
    if (resp === 2) return sequence(reply.items, resp);
    const set = new LuaTable();
    for (const item of reply.items) {
      const k = replyToLua(item, resp);
      if (k !== undefined) set.set(k, true);
    }
    return field('set', set);
  }
  if (reply instanceof DoubleReply) return resp === 2 ? formatDouble(reply.value) : field('double', reply.value);
  if (reply instanceof BooleanReply) return resp === 2 ? (reply.value ? 1 : 0) : reply.value;
  if (reply instanceof BigNumberReply) return resp === 2 ? reply.digits : field('big_number', reply.digits);
  if (reply instanceof VerbatimReply) {
    if (resp === 2) return reply.text;
    const v = new LuaTable();
    v.setStr('format', reply.format);
    v.setStr('string', reply.text);
    return field('verbatim_string', v);
  }
  if (reply instanceof AttributeReply) return replyToLua(reply.value, resp);
  if (reply instanceof PushReply) return sequence(reply.items, resp);
  if (reply instanceof RawReply) return reply.resp;
  return undefined;
}

/** An error reply's text as Redis hands it to Lua: without the leading '-', with a code, without the line ending. */
function errorText(error: ReplyError): string {
  const text = error.message.replace(/[\r\n]+$/, '');
  return text.startsWith('-') ? text.slice(1) : text;
}

const INT64_MIN = -(2n ** 63n);

/** (long long)d on x86-64: truncation, and the "integer indefinite" value for NaN and out-of-range doubles. */
function toLongLong(n: number): number | bigint {
  if (Number.isSafeInteger(Math.trunc(n))) return Math.trunc(n);
  if (n !== n || n >= 2 ** 63 || n < -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(n));
}

/** Newlines would break a status line, so Redis turns them into spaces. */
const oneLine = (s: string): string => s.replace(/[\r\n]/g, ' ');

/**
 * Redis converts a script's result on the Lua stack, one C call per value,
 * each first making room for 4 more slots: a value met with more than this
 * many slots in use becomes a "reached lua stack limit" error element. So a
 * table that contains itself still gets a finite reply, the same one.
 */
const MAX_SLOTS = 8000 - 4;
/** Slots in use when the result itself is converted (the error handler and the result). */
const RESULT_SLOTS = 2;
const stackLimit = (): ReplyError => new ReplyError('ERR reached lua stack limit');

/** A script's return value as a reply; `resp` is the version the script set with redis.setresp. */
export function luaToReply(v: LuaValue, resp: 2 | 3, slots = RESULT_SLOTS): Reply {
  if (slots > MAX_SLOTS) return stackLimit();
  if (!(v instanceof LuaTable)) return scalarToReply(v, resp);
  const special = specialTableReply(v, resp, slots);
  if (special !== undefined) return special;
  // Arrays of arrays go by an explicit stack: {{{...}}} thousands deep would overflow JS's.
  // An array element is converted with one more slot in use: the element itself.
  const root: Reply[] = [];
  const stack: { table: LuaTable; items: Reply[]; next: number; slots: number }[] = [{ table: v, items: root, next: 1, slots }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const item = top.table.getInt(top.next++);
    const itemSlots = top.slots + 1;
    if (item === undefined) {
      stack.pop();
    } else if (itemSlots > MAX_SLOTS) {
      top.items.push(stackLimit());
    } else if (!(item instanceof LuaTable)) {
      top.items.push(scalarToReply(item, resp));
    } else {
      const converted = specialTableReply(item, resp, itemSlots);
      if (converted !== undefined) {
        top.items.push(converted);
      } else {
        const items: Reply[] = [];
        top.items.push(items);
        stack.push({ table: item, items, next: 1, slots: itemSlots });
      }
    }
  }
  return root;
}

function scalarToReply(v: Exclude<LuaValue, LuaTable>, resp: 2 | 3): Reply {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return toLongLong(v);
    case 'boolean':
      if (resp === 2) return v ? 1 : null;
      return new BooleanReply(v);
    default:
      return null;
  }
}

/** The reply of a table with a special field (err, ok, double, map, ...); undefined for a plain array. */
function specialTableReply(t: LuaTable, resp: 2 | 3, slots: number): Reply | undefined {
  const err = t.getStr('err');
  if (typeof err === 'string') return scriptError(oneLine(err), t);
  const ok = t.getStr('ok');
  if (typeof ok === 'string') return new SimpleString(oneLine(ok));
  const double = t.getStr('double');
  if (typeof double === 'number') return new DoubleReply(double);
  const big = t.getStr('big_number');
  if (typeof big === 'string') return new BigNumberReply(oneLine(big));
  const verbatim = t.getStr('verbatim_string');
  if (verbatim instanceof LuaTable) {
    const format = verbatim.getStr('format');
    const text = verbatim.getStr('string');
    if (typeof format === 'string' && typeof text === 'string') return new VerbatimReply(format, text);
  }
  // Redis walks a map with the map, the key and the value on the stack, and converts a copy of the key.
  const map = t.getStr('map');
  if (map instanceof LuaTable) {
    const flat: Reply[] = [];
    for (let e = map.next(undefined); e !== undefined; e = map.next(e[0])) flat.push(luaToReply(e[0], resp, slots + 4), luaToReply(e[1], resp, slots + 3));
    return new MapReply(flat);
  }
  // A set's walk drops each value before it converts a copy of the key.
  const set = t.getStr('set');
  if (set instanceof LuaTable) {
    const items: Reply[] = [];
    for (let e = set.next(undefined); e !== undefined; e = set.next(e[0])) items.push(luaToReply(e[0], resp, slots + 3));
    return new SetReply(items);
  }
  return undefined;
}

/** KEYS or ARGV as Redis builds them: a fresh table of args[from..to), filled from index 1. */
export function argumentTable(args: readonly string[], from: number, to: number): LuaTable {
  const t = sequenceTable(to - from);
  for (let i = from; i < to; i++) t.setInt(i - from + 1, args[i]);
  return t;
}

/** The error a script ends with; one that redis.call or pcall produced was counted in INFO errorstats then. */
export function scriptError(message: string, t: LuaTable): ReplyError {
  const error = new ReplyError(message);
  error.counted = t.getStr('ignore_error_stats_update') === true;
  return error;
}
