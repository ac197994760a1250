/**
 * The `struct` library as Redis bundles it (deps/lua/src/lua_struct.c,
 * Roberto Ierusalimschy's struct 0.2 with Redis's offset check), built for
 * x86-64: native order little endian, short 2, int 4, long and size_t 8,
 * maximum alignment 8, integers packed through C's double -> long / unsigned
 * long conversions (as the x86-64 instructions do them) and unpacked through
 * a 64-bit unsigned accumulator.
 *
 * Formats: '>' big endian, '<' little endian, '![n]' alignment, ' ' ignored,
 * 'x' a zero byte, b/B h/H l/L T i[n]/I[n] integers, f d floats, c[n] a
 * fixed-size string (c0: the whole string, or on unpack the length read just
 * before), s a zero-terminated string.
 */
import { LuaTable } from '../table.js';
import { argError, raise, type LuaFunction, type LuaValue } from '../value.js';
import { checkNumber, checkString, optInteger, toNumber } from './args.js';

const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;
const LUAI_MAXCSTACK = 8000;
const MASK64 = (1n << 64n) - 1n;
const BIT63 = 1n << 63n;

interface Header {
  little: boolean;
  align: number;
}

/** A cursor over the format string; the C code stops at its first NUL. */
interface Fmt {
  s: string;
  i: number;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function peek(f: Fmt): number {
  return f.i < f.s.length ? f.s.charCodeAt(f.i) : 0;
}

function getnum(f: Fmt, df: number): number {
  if (!isDigit(peek(f))) return df;
  let a = 0;
  do {
    const d = peek(f) - 48;
    if (a > Math.trunc(INT_MAX / 10) || a * 10 > INT_MAX - d) raise('integral size overflow');
    a = a * 10 + d;
    f.i++;
  } while (isDigit(peek(f)));
  return a;
}

function optsize(opt: string, f: Fmt): number {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'x':
      return 1;
    case 'c':
      return getnum(f, 1);
    case 'i':
    case 'I': {
      const sz = getnum(f, 4);
      if (sz > MAXINTSIZE) raise(`integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

/** Padding before an item of `size` at offset `len` (only len's low bits matter: size <= 2^30). */
function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(opt: string, f: Fmt, h: Header, fname: string): void {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h.little = false;
      return;
    case '<':
      h.little = true;
      return;
    case '!': {
      const a = getnum(f, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) raise(`alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      argError(1, fname, `invalid format option '${opt}'`);
  }
}

/** (unsigned long)d as x86-64 code computes it (values from 2^63 go through a subtraction; NaN and overflow give 2^63 or 0). */
export function doubleToUint64(d: number): bigint {
  if (d !== d) return BIT63;
  if (d >= 2 ** 63) {
    const m = d - 2 ** 63;
    return m >= 2 ** 63 ? 0n : BigInt(m) ^ BIT63;
  }
  if (d < -(2 ** 63)) return BIT63;
  return BigInt.asUintN(64, BigInt(Math.trunc(d)));
}

/** (long)d: truncation, with the "integer indefinite" 2^63 bit pattern out of range. */
function doubleToInt64Bits(d: number): bigint {
  if (d !== d || d >= 2 ** 63 || d < -(2 ** 63)) return BIT63;
  return BigInt.asUintN(64, BigInt(Math.trunc(d)));
}

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** Little-endian bytes of a double; NaN as x86's default NaN (what 0/0 gives in Redis's Lua). */
function doubleBytes(d: number): number[] {
  if (d !== d) return [0, 0, 0, 0, 0, 0, 0xf8, 0xff];
  f64[0] = d;
  return Array.from(f64Bytes);
}

function floatBytes(d: number): number[] {
  if (d !== d) return [0, 0, 0xc0, 0xff];
  f32[0] = d;
  return Array.from(f32Bytes);
}

function bytesToString(bytes: number[]): string {
  return String.fromCharCode(...bytes);
}

function pack(...args: LuaValue[]): LuaValue[] {
  const f: Fmt = { s: checkString(args, 1, 'pack'), i: 0 };
  const h: Header = { little: true, align: 1 };
  let arg = 2;
  let total = 0;
  const out: string[] = [];
  while (peek(f) !== 0) {
    const opt = f.s[f.i++];
    let size = optsize(opt, f);
    const toalign = gettoalign(total % 2147483648, h, opt, size);
    total += toalign;
    if (toalign > 0) out.push('\0'.repeat(toalign));
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        const n = checkNumber(args, arg++, 'pack');
        let value = n < 0 ? doubleToInt64Bits(n) : doubleToUint64(n);
        const buff = new Array<number>(size);
        for (let k = 0; k < size; k++) {
          buff[h.little ? k : size - 1 - k] = Number(value & 0xffn);
          value >>= 8n;
        }
        out.push(bytesToString(buff));
        break;
      }
      case 'x':
        out.push('\0');
        break;
      case 'f': {
        const b = floatBytes(checkNumber(args, arg++, 'pack'));
        if (!h.little) b.reverse();
        out.push(bytesToString(b));
        break;
      }
      case 'd': {
        const b = doubleBytes(checkNumber(args, arg++, 'pack'));
        if (!h.little) b.reverse();
        out.push(bytesToString(b));
        break;
      }
      case 'c':
      case 's': {
        const s = checkString(args, arg++, 'pack');
        if (size === 0) size = s.length;
        // The C code reports the argument after the string (arg was already advanced).
        if (s.length < size) argError(arg, 'pack', 'string too short');
        out.push(size === s.length ? s : s.slice(0, size));
        if (opt === 's') {
          out.push('\0');
          size++;
        }
        break;
      }
      default:
        controloptions(opt, f, h, 'pack');
    }
    total += size;
  }
  return [out.join('')];
}

function readInteger(data: string, pos: number, little: boolean, signed: boolean, size: number): number {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const byte = data.charCodeAt(little ? pos + size - 1 - k : pos + k);
    l = ((l << 8n) | BigInt(byte)) & MASK64;
  }
  if (!signed) return Number(l);
  // (~0) << (size*8 - 1): x86 takes the shift count modulo 64.
  const mask = (MASK64 << BigInt((size * 8 - 1) & 63)) & MASK64;
  if ((l & mask) !== 0n) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function unpack(...args: LuaValue[]): LuaValue[] {
  const f: Fmt = { s: checkString(args, 1, 'unpack'), i: 0 };
  const data = checkString(args, 2, 'unpack');
  const ld = data.length;
  // size_t pos: a negative offset wraps to a huge one.
  let pos = BigInt.asUintN(64, BigInt(optInteger(args, 3, 'unpack', 1)));
  if (pos === 0n) argError(3, 'unpack', 'offset must be 1 or greater');
  pos -= 1n;
  const h: Header = { little: true, align: 1 };
  const results: LuaValue[] = [];
  while (peek(f) !== 0) {
    const opt = f.s[f.i++];
    let size = optsize(opt, f);
    pos = (pos + BigInt(gettoalign(Number(pos & 0x7fffffffn), h, opt, size))) & MASK64;
    if (!(size <= ld && pos <= BigInt(ld - size))) argError(2, 'unpack', 'data string too short');
    if (args.length + results.length + 2 > LUAI_MAXCSTACK) raise('stack overflow (too many results)');
    const p = Number(pos);
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        results.push(readInteger(data, p, h.little, opt >= 'a', size));
        break;
      case 'x':
        break;
      case 'f': {
        for (let k = 0; k < 4; k++) f32Bytes[k] = data.charCodeAt(h.little ? p + k : p + 3 - k);
        results.push(f32[0]);
        break;
      }
      case 'd': {
        for (let k = 0; k < 8; k++) f64Bytes[k] = data.charCodeAt(h.little ? p + k : p + 7 - k);
        results.push(f64[0]);
        break;
      }
      case 'c': {
        if (size === 0) {
          const prev = results.length === 0 ? undefined : toNumber(results[results.length - 1]);
          if (prev === undefined) raise("format 'c0' needs a previous size");
          results.pop();
          const want = doubleToUint64(prev);
          if (!(want <= BigInt(ld) && pos <= BigInt(ld) - want)) argError(2, 'unpack', 'data string too short');
          size = Number(want);
        }
        results.push(data.slice(p, p + size));
        break;
      }
      case 's': {
        const e = data.indexOf('\0', p);
        if (e < 0) raise('unfinished string in data');
        size = e - p + 1;
        results.push(data.slice(p, e));
        break;
      }
      default:
        controloptions(opt, f, h, 'unpack');
    }
    pos = (pos + BigInt(size)) & MASK64;
  }
  results.push(Number(BigInt.asIntN(64, (pos + 1n) & MASK64)));
  return results;
}

function isAlnum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}

function size(...args: LuaValue[]): LuaValue[] {
  const f: Fmt = { s: checkString(args, 1, 'size'), i: 0 };
  const h: Header = { little: true, align: 1 };
  let pos = 0;
  while (peek(f) !== 0) {
    const opt = f.s[f.i++];
    const sz = optsize(opt, f);
    pos += gettoalign(pos % 2147483648, h, opt, sz);
    if (opt === 's') argError(1, 'size', "option 's' has no fixed size");
    else if (opt === 'c' && sz === 0) argError(1, 'size', "option 'c0' has no fixed size");
    if (!isAlnum(opt)) controloptions(opt, f, h, 'size');
    pos += sz;
  }
  return [pos];
}

/** The `struct` table, created as luaL_register creates it: lua_createtable(0, 3). */
export function createStructLib(): LuaTable {
  const funcs: [string, LuaFunction][] = [
    ['pack', pack],
    ['unpack', unpack],
    ['size', size],
  ];
  const t = new LuaTable(0, funcs.length);
  for (const [name, fn] of funcs) t.setStr(name, fn);
  return t;
}
