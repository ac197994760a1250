/**
 * The `cmsgpack` library as Redis bundles it (deps/lua/src/lua_cmsgpack.c,
 * lua-cmsgpack 0.4.0), byte for byte.
 *
 * Encoding: a number that an int64 holds exactly is an integer in its
 * smallest msgpack form, any other number a float 32 when it converts to
 * float and back unchanged (infinities do), else a float 64; strings are
 * fixstr / str8 (0xd9) / str16 / str32; a table whose keys are exactly the
 * integers 1..n (n < 2^31) is an array (an empty table too), any other a map
 * in next() order; tables nested 16 deep are encoded as nil, as are
 * functions and cjson.null (a lightuserdata in Redis).
 *
 * Decoding: every type but bin, ext and 0xc1 (those are "Bad data format");
 * 64-bit integers become the nearest double, and uint 64 goes through a
 * signed lua_Integer (so values from 2^63 come back negative), as in Redis.
 */
import { LuaTable } from '../table.js';
import { argError, raise, LuaError, type LuaFunction, type LuaValue } from '../value.js';
import { checkInteger, checkString, optInteger } from './args.js';

const MAX_NESTING = 16;
const LUAI_MAXCSTACK = 8000;
const INT_MAX = 2147483647;

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

class Writer {
  parts: string[] = [];
  byte(b: number): void {
    this.parts.push(String.fromCharCode(b));
  }
  bytes(...b: number[]): void {
    this.parts.push(String.fromCharCode(...b));
  }
  str(s: string): void {
    this.parts.push(s);
  }
  toString(): string {
    return this.parts.join('');
  }
}

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function be64(n: bigint): number[] {
  const u = BigInt.asUintN(64, n);
  const out = new Array<number>(8);
  for (let i = 0; i < 8; i++) out[i] = Number((u >> BigInt(56 - 8 * i)) & 0xffn);
  return out;
}

function encodeInt(w: Writer, n: number): void {
  if (n >= 0) {
    if (n <= 127) w.byte(n);
    else if (n <= 0xff) w.bytes(0xcc, n);
    else if (n <= 0xffff) w.bytes(0xcd, n >>> 8, n & 0xff);
    else if (n <= 0xffffffff) w.bytes(0xce, ...be32(n));
    else w.bytes(0xcf, ...be64(BigInt(n)));
  } else {
    if (n >= -32) w.byte(n & 0xff);
    else if (n >= -128) w.bytes(0xd0, n & 0xff);
    else if (n >= -32768) w.bytes(0xd1, (n >> 8) & 0xff, n & 0xff);
    else if (n >= -2147483648) w.bytes(0xd2, ...be32(n));
    else w.bytes(0xd3, ...be64(BigInt(n)));
  }
}

function encodeDouble(w: Writer, d: number): void {
  if (d !== d) {
    // float f = NaN never compares equal: a double, with x86's default NaN (what 0/0 gives in Redis's Lua).
    w.bytes(0xcb, 0xff, 0xf8, 0, 0, 0, 0, 0, 0);
    return;
  }
  const f = Math.fround(d);
  if (f === d) {
    f32[0] = f;
    w.bytes(0xca, f32Bytes[3], f32Bytes[2], f32Bytes[1], f32Bytes[0]);
  } else {
    f64[0] = d;
    w.bytes(0xcb, f64Bytes[7], f64Bytes[6], f64Bytes[5], f64Bytes[4], f64Bytes[3], f64Bytes[2], f64Bytes[1], f64Bytes[0]);
  }
}

function encodeNumber(w: Writer, n: number): void {
  // IS_INT64_EQUIVALENT: (int64_t)n == n, where out-of-range conversions give -2^63.
  if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63) encodeInt(w, n === 0 ? 0 : n);
  else encodeDouble(w, n);
}

function encodeString(w: Writer, s: string): void {
  const len = s.length;
  if (len < 32) w.byte(0xa0 | len);
  else if (len <= 0xff) w.bytes(0xd9, len);
  else if (len <= 0xffff) w.bytes(0xda, len >>> 8, len & 0xff);
  else w.bytes(0xdb, ...be32(len));
  w.str(s);
}

/** table_is_an_array: only keys that are integers 1..INT_MAX, as many as the largest. */
function tableIsArray(t: LuaTable): boolean {
  let count = 0;
  let max = 0;
  let entry = t.next(undefined);
  while (entry !== undefined) {
    const k = entry[0];
    if (typeof k !== 'number' || !(k > 0) || !Number.isInteger(k) || k > INT_MAX) return false;
    if (k > max) max = k;
    count++;
    entry = t.next(k);
  }
  return max === count;
}

function encodeValue(w: Writer, v: LuaValue, level: number): void {
  switch (typeof v) {
    case 'string':
      encodeString(w, v);
      return;
    case 'boolean':
      w.byte(v ? 0xc3 : 0xc2);
      return;
    case 'number':
      encodeNumber(w, v);
      return;
    case 'object':
      if (v instanceof LuaTable && level !== MAX_NESTING) {
        encodeTable(w, v, level);
        return;
      }
      break;
  }
  w.byte(0xc0);
}

function encodeTable(w: Writer, t: LuaTable, level: number): void {
  if (tableIsArray(t)) {
    const len = t.length();
    if (len <= 15) w.byte(0x90 | len);
    else if (len <= 0xffff) w.bytes(0xdc, len >>> 8, len & 0xff);
    else w.bytes(0xdd, ...be32(len));
    for (let j = 1; j <= len; j++) encodeValue(w, t.getInt(j), level + 1);
    return;
  }
  let len = 0;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) len++;
  if (len <= 15) w.byte(0x80 | len);
  else if (len <= 0xffff) w.bytes(0xde, len >>> 8, len & 0xff);
  else w.bytes(0xdf, ...be32(len));
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    encodeValue(w, e[0], level + 1);
    encodeValue(w, e[1], level + 1);
  }
}

function pack(...args: LuaValue[]): LuaValue[] {
  const nargs = args.length;
  if (nargs === 0) argError(0, 'pack', 'MessagePack pack needs input.');
  // lua_checkstack(L, nargs) with the nargs arguments already on the stack.
  if (2 * nargs > LUAI_MAXCSTACK) argError(0, 'pack', 'Too many arguments for MessagePack pack.');
  const w = new Writer();
  for (let i = 0; i < nargs; i++) encodeValue(w, args[i], 0);
  return [w.toString()];
}

const EOF = 1;
const BADFMT = 2;

/** The decoding cursor; `top` counts the Lua stack slots the C decoder would be using (for its luaL_checkstack). */
class Cursor {
  err = 0;
  constructor(
    readonly s: string,
    public p: number,
    public top: number,
  ) {}
  get left(): number {
    return this.s.length - this.p;
  }
  u8(i: number): number {
    return this.s.charCodeAt(this.p + i);
  }
  u16(i: number): number {
    return (this.u8(i) << 8) | this.u8(i + 1);
  }
  u32(i: number): number {
    return ((this.u8(i) << 24) | (this.u8(i + 1) << 16) | (this.u8(i + 2) << 8) | this.u8(i + 3)) >>> 0;
  }
  /**
   * The 8 bytes at i as a signed 64-bit integer, rounded to a double: the
   * high word times 2^32 is exact, so the one rounding is the sum's, the same
   * as converting the exact integer (and no BigInt is made).
   */
  i64(i: number): number {
    return (this.u32(i) | 0) * 4294967296 + this.u32(i + 4);
  }
}

function checkStack(c: Cursor, n: number, message: string): void {
  if (c.top + n > LUAI_MAXCSTACK) raise(`stack overflow (${message})`);
}

const TOO_MANY = 'too many return values at once; use unpack_one or unpack_limit instead.';

/** A table being filled: what mp_decode_to_lua_array / _hash hold while their elements decode. */
class Frame {
  index = 1;
  key: LuaValue = undefined;
  haveKey = false;
  readonly t = new LuaTable(0, 0);
  constructor(
    public remaining: number,
    readonly isMap: boolean,
  ) {}
}

/**
 * The start of mp_decode_to_lua_type: a scalar (pushing one stack slot), or
 * the Frame of an array or map whose header was read (its table pushed), or
 * undefined with c.err set.
 */
function decodeItem(c: Cursor): LuaValue | Frame {
  if (c.left < 1) {
    c.err = EOF;
    return undefined;
  }
  checkStack(c, 1, TOO_MANY);
  const b = c.u8(0);
  let v: LuaValue;
  let need = 1;
  switch (b) {
    case 0xcc:
      need = 2;
      if (c.left < need) break;
      v = c.u8(1);
      break;
    case 0xd0:
      need = 2;
      if (c.left < need) break;
      v = (c.u8(1) << 24) >> 24;
      break;
    case 0xcd:
      need = 3;
      if (c.left < need) break;
      v = c.u16(1);
      break;
    case 0xd1:
      need = 3;
      if (c.left < need) break;
      v = (c.u16(1) << 16) >> 16;
      break;
    case 0xce:
      need = 5;
      if (c.left < need) break;
      v = c.u32(1);
      break;
    case 0xd2:
      need = 5;
      if (c.left < need) break;
      v = c.u32(1) | 0;
      break;
    case 0xcf:
    case 0xd3:
      // uint 64 is pushed as a (signed) lua_Integer, int 64 as a number: both end up as the signed value's double.
      need = 9;
      if (c.left < need) break;
      v = c.i64(1);
      break;
    case 0xc0:
      v = undefined;
      break;
    case 0xc3:
      v = true;
      break;
    case 0xc2:
      v = false;
      break;
    case 0xca:
      need = 5;
      if (c.left < need) break;
      for (let i = 0; i < 4; i++) f32Bytes[i] = c.u8(4 - i);
      v = f32[0];
      break;
    case 0xcb:
      need = 9;
      if (c.left < need) break;
      for (let i = 0; i < 8; i++) f64Bytes[i] = c.u8(8 - i);
      v = f64[0];
      break;
    case 0xd9:
      if (c.left < 2) {
        c.err = EOF;
        return undefined;
      }
      return decodeString(c, 2, c.u8(1));
    case 0xda:
      if (c.left < 3) {
        c.err = EOF;
        return undefined;
      }
      return decodeString(c, 3, c.u16(1));
    case 0xdb:
      if (c.left < 5) {
        c.err = EOF;
        return undefined;
      }
      return decodeString(c, 5, c.u32(1));
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
      const hdr = b === 0xdc || b === 0xde ? 3 : 5;
      if (c.left < hdr) {
        c.err = EOF;
        return undefined;
      }
      const len = hdr === 3 ? c.u16(1) : c.u32(1);
      c.p += hdr;
      return openTable(c, len, b <= 0xdd);
    }
    default:
      if ((b & 0x80) === 0) {
        v = b;
      } else if ((b & 0xe0) === 0xe0) {
        v = b - 256;
      } else if ((b & 0xe0) === 0xa0) {
        return decodeString(c, 1, b & 0x1f);
      } else if ((b & 0xf0) === 0x90) {
        c.p += 1;
        return openTable(c, b & 0xf, true);
      } else if ((b & 0xf0) === 0x80) {
        c.p += 1;
        return openTable(c, b & 0xf, false);
      } else {
        c.err = BADFMT;
        return undefined;
      }
  }
  if (c.left < need) {
    c.err = EOF;
    return undefined;
  }
  c.p += need;
  c.top++;
  return v;
}

function decodeString(c: Cursor, hdr: number, len: number): LuaValue {
  if (hdr === 5) {
    // raw 32 consumes its header before checking for the body.
    c.p += 5;
    if (c.left < len) {
      c.err = EOF;
      return undefined;
    }
    const s = c.s.slice(c.p, c.p + len);
    c.p += len;
    c.top++;
    return s;
  }
  if (c.left < hdr + len) {
    c.err = EOF;
    return undefined;
  }
  const s = c.s.slice(c.p + hdr, c.p + hdr + len);
  c.p += hdr + len;
  c.top++;
  return s;
}

/** lua_settable on a fresh table: a nil value stores nothing, a nil or NaN key is an error (raised without position, from the C function). */
function settable(t: LuaTable, k: LuaValue, v: LuaValue): void {
  if (k === undefined) throw new LuaError('table index is nil');
  if (typeof k === 'number' && k !== k) throw new LuaError('table index is NaN');
  if (v !== undefined) t.set(k, v);
}

function openTable(c: Cursor, len: number, isArray: boolean): Frame {
  c.top++; // lua_newtable
  if (isArray) checkStack(c, 1, 'in function mp_decode_to_lua_array');
  return new Frame(len, !isArray);
}

/**
 * mp_decode_to_lua_type for one whole value, with an explicit stack instead
 * of the C recursion; undefined with c.err set on failure. The Lua stack use
 * of the C decoder is tracked: each array level holds its table and the
 * pending index, each map level its table and, while a value decodes, its key.
 */
function decodeValue(c: Cursor): LuaValue {
  const stack: Frame[] = [];
  for (;;) {
    const parent = stack[stack.length - 1];
    if (parent !== undefined && !parent.isMap) c.top++; // lua_pushnumber(L, index)
    const item = decodeItem(c);
    if (c.err) return undefined;
    let v: LuaValue;
    if (item instanceof Frame) {
      if (item.remaining > 0) {
        stack.push(item);
        continue;
      }
      v = item.t;
    } else {
      v = item;
    }
    for (;;) {
      const f = stack[stack.length - 1];
      if (f === undefined) return v;
      if (f.isMap && !f.haveKey) {
        f.key = v;
        f.haveKey = true;
        break;
      }
      if (f.isMap) {
        settable(f.t, f.key, v);
        f.haveKey = false;
      } else {
        settable(f.t, f.index++, v);
      }
      c.top -= 2;
      if (--f.remaining > 0) break;
      stack.pop();
      v = f.t;
    }
  }
}

function int32(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(n)));
}

/** mp_unpack_full; `top` is how many arguments are on the stack. */
function unpackFull(s: string, limit: number, offset: number, top: number): LuaValue[] {
  const len = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    raise(`Invalid request to unpack with offset of ${int32(offset)} and limit of ${int32(len)}.`);
  } else if (offset > len) {
    raise(`Start offset ${int32(offset)} greater than input length ${int32(len)}.`);
  }
  if (decodeAll) limit = INT_MAX;
  const c = new Cursor(s, offset, top);
  const out: LuaValue[] = [];
  for (let cnt = 0; c.left > 0 && cnt < limit; cnt++) {
    const v = decodeValue(c);
    if (c.err === EOF) raise('Missing bytes in input.');
    if (c.err === BADFMT) raise('Bad data format in input.');
    out.push(v);
  }
  if (!decodeAll) {
    checkStack(c, 1, 'in function mp_unpack_full');
    out.unshift(c.left === 0 ? -1 : len - c.left);
  }
  return out;
}

function unpack(...args: LuaValue[]): LuaValue[] {
  return unpackFull(checkString(args, 1, 'unpack'), 0, 0, args.length);
}

function unpackOne(...args: LuaValue[]): LuaValue[] {
  const offset = optInteger(args, 2, 'unpack_one', 0);
  return unpackFull(checkString(args, 1, 'unpack_one'), 1, offset, 1);
}

function unpackLimit(...args: LuaValue[]): LuaValue[] {
  const limit = checkInteger(args, 2, 'unpack_limit');
  const offset = optInteger(args, 3, 'unpack_limit', 0);
  return unpackFull(checkString(args, 1, 'unpack_limit'), limit, offset, 1);
}

/** The `cmsgpack` table, built as luaopen_cmsgpack builds it (lua_newtable, then the fields in its order). */
export function createCmsgpackLib(): LuaTable {
  const t = new LuaTable(0, 0);
  const funcs: [string, LuaFunction][] = [
    ['pack', pack],
    ['unpack', unpack],
    ['unpack_one', unpackOne],
    ['unpack_limit', unpackLimit],
  ];
  for (const [name, f] of funcs) t.setStr(name, f);
  t.setStr('_NAME', 'cmsgpack');
  t.setStr('_VERSION', 'lua-cmsgpack 0.4.0');
  t.setStr('_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo');
  t.setStr('_DESCRIPTION', 'MessagePack C implementation for Lua');
  return t;
}
