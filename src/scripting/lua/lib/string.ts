/**
 * Lua 5.1.5's string library (lstrlib.c) as Redis 7 loads it: byte, char,
 * dump, find, format, gfind (LUA_COMPAT_GFIND: the same function as gmatch),
 * gmatch, gsub, len, lower, match, rep, reverse, sub and upper, with PUC's
 * error messages and its C quirks: patterns stop at their first NUL (they are
 * C strings there), %s and %c go through sprintf and strlen, numbers reach
 * %d/%x as C's (long)/(unsigned long) casts of doubles on x86-64, and the
 * double conversions print as glibc does (exact values, ties to even).
 *
 * Strings are byte strings: one char code 0..255 per byte. Character classes
 * are C's ctype in the "C" locale.
 */
import { expText, fixedText, numberToString, signBit } from '../number.js';
import { callValue, index } from '../runtime.js';
import { LuaTable } from '../table.js';
import { NO_VALUES, argError, raise, typeError, typeName, where, type LuaFunction, type LuaValue } from '../value.js';
import { checkInteger, checkNumber, checkString, optInteger } from './args.js';

/** Lua 5.1's LUA_MAXCAPTURES. */
const MAXCAPTURES = 32;
/** LUAI_MAXCSTACK: how many values a C function may push (string.byte's limit). */
const MAXCSTACK = 8000;
/** The largest string rep builds: Redis's proto-max-bulk-len default (512 MB). */
const MAX_STRING = 512 * 1024 * 1024;

const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;
const L_ESC = 37; // '%'

// ---------------------------------------------------------------- ctype ("C" locale)

const ALPHA = 1;
const CNTRL = 2;
const DIGIT = 4;
const LOWER = 8;
const PUNCT = 16;
const SPACE = 32;
const UPPER = 64;
const XDIGIT = 128;

const ctype = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let f = 0;
  if (c >= 65 && c <= 90) f |= ALPHA | UPPER;
  if (c >= 97 && c <= 122) f |= ALPHA | LOWER;
  if (c < 32 || c === 127) f |= CNTRL;
  if (c >= 48 && c <= 57) f |= DIGIT;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) f |= PUNCT;
  if (c === 32 || (c >= 9 && c <= 13)) f |= SPACE;
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)) f |= XDIGIT;
  ctype[c] = f;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// ---------------------------------------------------------------- helpers

/** A Lua string as C sees it through a char pointer: up to its first NUL. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** posrelat: a relative string position (negative counts from the end) made absolute, 0 if still negative. */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return pos >= 0 ? pos : 0;
}

/** luaL_checkint / luaL_optint: the lua_Integer truncated to a C int. */
function checkInt(args: ArrayLike<LuaValue>, n: number, fname: string): number {
  return checkInteger(args, n, fname) | 0;
}

// ---------------------------------------------------------------- pattern matching

class MatchState {
  level = 0;
  readonly capInit: number[] = [];
  readonly capLen: number[] = [];
  readonly srcEnd: number;
  readonly patEnd: number;
  constructor(
    readonly src: string,
    /** The pattern up to its first NUL, as PUC's NUL-terminated matcher sees it. */
    readonly pat: string,
  ) {
    this.srcEnd = src.length;
    this.patEnd = pat.length;
  }
}

/** Index just past the single-char class starting at p. */
function classEnd(ms: MatchState, p: number): number {
  const pat = ms.pat;
  const c = pat.charCodeAt(p++);
  if (c === L_ESC) {
    if (p >= ms.patEnd) raise("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (c === 91 /* [ */) {
    if (pat.charCodeAt(p) === 94 /* ^ */) p++;
    do {
      if (p >= ms.patEnd) raise("malformed pattern (missing ']')");
      const cc = pat.charCodeAt(p++);
      if (cc === L_ESC && p < ms.patEnd) p++;
    } while (pat.charCodeAt(p) !== 93 /* ] */);
    return p + 1;
  }
  return p;
}

function matchClass(c: number, cl: number): boolean {
  const lower = cl >= 65 && cl <= 90 ? cl + 32 : cl;
  let res: boolean;
  switch (lower) {
    case 97: // a
      res = (ctype[c] & ALPHA) !== 0;
      break;
    case 99: // c
      res = (ctype[c] & CNTRL) !== 0;
      break;
    case 100: // d
      res = (ctype[c] & DIGIT) !== 0;
      break;
    case 108: // l
      res = (ctype[c] & LOWER) !== 0;
      break;
    case 112: // p
      res = (ctype[c] & PUNCT) !== 0;
      break;
    case 115: // s
      res = (ctype[c] & SPACE) !== 0;
      break;
    case 117: // u
      res = (ctype[c] & UPPER) !== 0;
      break;
    case 119: // w
      res = (ctype[c] & (ALPHA | DIGIT)) !== 0;
      break;
    case 120: // x
      res = (ctype[c] & XDIGIT) !== 0;
      break;
    case 122: // z
      res = c === 0;
      break;
    default:
      return cl === c;
  }
  return lower !== cl ? !res : res;
}

/** [set] between p (its '[') and ec (its ']'). */
function matchBracketClass(pat: string, c: number, p: number, ec: number): boolean {
  let sig = true;
  if (pat.charCodeAt(p + 1) === 94 /* ^ */) {
    sig = false;
    p++;
  }
  while (++p < ec) {
    const pc = pat.charCodeAt(p);
    if (pc === L_ESC) {
      p++;
      if (matchClass(c, pat.charCodeAt(p))) return sig;
    } else if (pat.charCodeAt(p + 1) === 45 /* - */ && p + 2 < ec) {
      p += 2;
      if (pc <= c && c <= pat.charCodeAt(p)) return sig;
    } else if (pc === c) return sig;
  }
  return !sig;
}

function singleMatch(pat: string, c: number, p: number, ep: number): boolean {
  const pc = pat.charCodeAt(p);
  switch (pc) {
    case 46: // .
      return true;
    case L_ESC:
      return matchClass(c, pat.charCodeAt(p + 1));
    case 91: // [
      return matchBracketClass(pat, c, p, ep - 1);
    default:
      return pc === c;
  }
}

function matchBalance(ms: MatchState, s: number, p: number): number {
  if (p + 1 >= ms.patEnd) raise('unbalanced pattern');
  const src = ms.src;
  if (s >= ms.srcEnd || src.charCodeAt(s) !== ms.pat.charCodeAt(p)) return -1;
  const b = ms.pat.charCodeAt(p);
  const e = ms.pat.charCodeAt(p + 1);
  let cont = 1;
  while (++s < ms.srcEnd) {
    const c = src.charCodeAt(s);
    if (c === e) {
      if (--cont === 0) return s + 1;
    } else if (c === b) cont++;
  }
  return -1;
}

function maxExpand(ms: MatchState, s: number, p: number, ep: number): number {
  const src = ms.src;
  const pat = ms.pat;
  let i = 0;
  while (s + i < ms.srcEnd && singleMatch(pat, src.charCodeAt(s + i), p, ep)) i++;
  // Try the longest run first, giving back one char at a time.
  while (i >= 0) {
    const res = doMatch(ms, s + i, ep + 1);
    if (res !== -1) return res;
    i--;
  }
  return -1;
}

function minExpand(ms: MatchState, s: number, p: number, ep: number): number {
  for (;;) {
    const res = doMatch(ms, s, ep + 1);
    if (res !== -1) return res;
    if (s < ms.srcEnd && singleMatch(ms.pat, ms.src.charCodeAt(s), p, ep)) s++;
    else return -1;
  }
}

function startCapture(ms: MatchState, s: number, p: number, what: number): number {
  const level = ms.level;
  if (level >= MAXCAPTURES) raise('too many captures');
  ms.capInit[level] = s;
  ms.capLen[level] = what;
  ms.level = level + 1;
  const res = doMatch(ms, s, p);
  if (res === -1) ms.level--;
  return res;
}

function endCapture(ms: MatchState, s: number, p: number): number {
  let l = ms.level - 1;
  while (l >= 0 && ms.capLen[l] !== CAP_UNFINISHED) l--;
  if (l < 0) raise('invalid pattern capture');
  ms.capLen[l] = s - ms.capInit[l];
  const res = doMatch(ms, s, p);
  if (res === -1) ms.capLen[l] = CAP_UNFINISHED;
  return res;
}

function checkCapture(ms: MatchState, digit: number): number {
  const l = digit - 49; // '1'
  if (l < 0 || l >= ms.level || ms.capLen[l] === CAP_UNFINISHED) raise('invalid capture index');
  return l;
}

function matchCapture(ms: MatchState, s: number, digit: number): number {
  const l = checkCapture(ms, digit);
  const len = ms.capLen[l];
  // A position capture's length is negative: (size_t) makes it huge, so it never matches.
  if (len < 0 || ms.srcEnd - s < len) return -1;
  const src = ms.src;
  const init = ms.capInit[l];
  for (let i = 0; i < len; i++) if (src.charCodeAt(init + i) !== src.charCodeAt(s + i)) return -1;
  return s + len;
}

/**
 * PUC's match(): the end of the match of pat[p..] at src[s..], or -1. Tail
 * positions loop instead of recursing; every recursive call is for a later
 * pattern position, so the depth is bounded by the pattern's length.
 */
function doMatch(ms: MatchState, s: number, p: number): number {
  const pat = ms.pat;
  const pend = ms.patEnd;
  for (;;) {
    if (p >= pend) return s;
    const pc = pat.charCodeAt(p);
    switch (pc) {
      case 40: // (
        if (pat.charCodeAt(p + 1) === 41) return startCapture(ms, s, p + 2, CAP_POSITION);
        return startCapture(ms, s, p + 1, CAP_UNFINISHED);
      case 41: // )
        return endCapture(ms, s, p + 1);
      case 36: // $
        if (p + 1 === pend) return s === ms.srcEnd ? s : -1;
        break;
      case L_ESC: {
        const nc = pat.charCodeAt(p + 1);
        if (nc === 98 /* b */) {
          s = matchBalance(ms, s, p + 2);
          if (s === -1) return -1;
          p += 4;
          continue;
        }
        if (nc === 102 /* f */) {
          p += 2;
          if (pat.charCodeAt(p) !== 91) raise("missing '[' after '%f' in pattern");
          const ep = classEnd(ms, p);
          const prev = s === 0 ? 0 : ms.src.charCodeAt(s - 1);
          const cur = s < ms.srcEnd ? ms.src.charCodeAt(s) : 0;
          if (matchBracketClass(pat, prev, p, ep - 1) || !matchBracketClass(pat, cur, p, ep - 1)) return -1;
          p = ep;
          continue;
        }
        if (isDigit(nc)) {
          s = matchCapture(ms, s, nc);
          if (s === -1) return -1;
          p += 2;
          continue;
        }
        break;
      }
    }
    // A single-char class, possibly followed by a quantifier.
    const ep = classEnd(ms, p);
    const m = s < ms.srcEnd && singleMatch(pat, ms.src.charCodeAt(s), p, ep);
    switch (pat.charCodeAt(ep)) {
      case 63: {
        // ?
        if (m) {
          const res = doMatch(ms, s + 1, ep + 1);
          if (res !== -1) return res;
        }
        p = ep + 1;
        continue;
      }
      case 42: // *
        return maxExpand(ms, s, p, ep);
      case 43: // +
        return m ? maxExpand(ms, s + 1, p, ep) : -1;
      case 45: // -
        return minExpand(ms, s, p, ep);
      default:
        if (!m) return -1;
        s++;
        p = ep;
    }
  }
}

/** doMatch from a fresh capture state; a pattern too deep for the JS stack is a Lua error, not a crash. */
function matchAt(ms: MatchState, s: number, p: number): number {
  ms.level = 0;
  try {
    return doMatch(ms, s, p);
  } catch (e) {
    if (e instanceof RangeError) raise('pattern too complex');
    throw e;
  }
}

/** push_onecapture: capture i of the match src[s..e]. */
function getCapture(ms: MatchState, i: number, s: number, e: number): string | number {
  if (i >= ms.level) {
    if (i === 0) return ms.src.slice(s, e);
    raise('invalid capture index');
  }
  const l = ms.capLen[i];
  if (l === CAP_UNFINISHED) raise('unfinished capture');
  const init = ms.capInit[i];
  if (l === CAP_POSITION) return init + 1;
  return ms.src.slice(init, init + l);
}

/** push_captures: all captures, or the whole match when there are none and `whole`. */
function getCaptures(ms: MatchState, s: number, e: number, whole: boolean): LuaValue[] {
  const n = ms.level === 0 && whole ? 1 : ms.level;
  const out: LuaValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = getCapture(ms, i, s, e);
  return out;
}

/** strpbrk(p, SPECIALS) === NULL, over the pattern as a C string. */
function noSpecials(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    switch (p.charCodeAt(i)) {
      case 0:
        return true;
      case 94: // ^
      case 36: // $
      case 42: // *
      case 43: // +
      case 63: // ?
      case 46: // .
      case 40: // (
      case 91: // [
      case 37: // %
      case 45: // -
        return false;
    }
  }
  return true;
}

function strFindAux(args: LuaValue[], find: boolean): LuaValue[] {
  const fname = find ? 'find' : 'match';
  const s = checkString(args, 1, fname);
  const p = checkString(args, 2, fname);
  const l1 = s.length;
  let init = posrelat(optInteger(args, 3, fname, 1), l1) - 1;
  if (init < 0) init = 0;
  else if (init > l1) init = l1;
  if (find && ((args[3] !== undefined && args[3] !== false) || noSpecials(p))) {
    const at = s.indexOf(p, init);
    if (at >= 0) return [at + 1, at + p.length];
  } else {
    const pat = cString(p);
    const ms = new MatchState(s, pat);
    const anchor = pat.charCodeAt(0) === 94;
    const pStart = anchor ? 1 : 0;
    let s1 = init;
    do {
      const res = matchAt(ms, s1, pStart);
      if (res !== -1) {
        if (find) {
          const out: LuaValue[] = [s1 + 1, res];
          for (let i = 0; i < ms.level; i++) out.push(getCapture(ms, i, 0, 0));
          return out;
        }
        return getCaptures(ms, s1, res, true);
      }
    } while (s1++ < ms.srcEnd && !anchor);
  }
  return [undefined];
}

function find(...args: LuaValue[]): LuaValue[] {
  return strFindAux(args, true);
}

function match(...args: LuaValue[]): LuaValue[] {
  return strFindAux(args, false);
}

function gmatch(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'gmatch');
  const pat = cString(checkString(args, 2, 'gmatch'));
  const ms = new MatchState(s, pat);
  let start = 0;
  // In 5.1 gmatch does not treat '^' as an anchor: it matches a literal '^'.
  const iterator: LuaFunction = () => {
    for (let src = start; src <= ms.srcEnd; src++) {
      const e = matchAt(ms, src, 0);
      if (e !== -1) {
        start = e === src ? e + 1 : e;
        return getCaptures(ms, src, e, true);
      }
    }
    return NO_VALUES;
  };
  return [iterator];
}

/** add_s: a replacement string with %0-%9 and %x escapes. */
function addString(ms: MatchState, out: string[], s: number, e: number, news: string): void {
  const l = news.length;
  let lit = 0;
  let i = 0;
  while (i < l) {
    if (news.charCodeAt(i) !== L_ESC) {
      i++;
      continue;
    }
    if (i > lit) out.push(news.slice(lit, i));
    i++; // skip the escape
    // A final '%' escapes the C string's terminating NUL.
    const d = i < l ? news.charCodeAt(i) : 0;
    if (!isDigit(d)) out.push(i < l ? news[i] : '\0');
    else if (d === 48) out.push(ms.src.slice(s, e));
    else {
      const v = getCapture(ms, d - 49, s, e);
      out.push(typeof v === 'number' ? numberToString(v) : v);
    }
    i++;
    lit = i;
  }
  if (lit < l) out.push(lit === 0 ? news : news.slice(lit));
}

function gsub(...args: LuaValue[]): LuaValue[] {
  const pos = where.pos;
  const src = checkString(args, 1, 'gsub');
  const pat = cString(checkString(args, 2, 'gsub'));
  const repl = args[2];
  const tr = typeof repl;
  const maxS = optInteger(args, 4, 'gsub', src.length + 1) | 0;
  const anchor = pat.charCodeAt(0) === 94;
  const pStart = anchor ? 1 : 0;
  if (!(tr === 'number' || tr === 'string' || tr === 'function' || repl instanceof LuaTable)) {
    argError(3, 'gsub', 'string/function/table expected');
  }
  const news = tr === 'string' ? (repl as string) : tr === 'number' ? numberToString(repl as number) : '';
  const plainRepl = news.indexOf('%') < 0;
  const ms = new MatchState(src, pat);
  const out: string[] = [];
  const end = ms.srcEnd;
  let s = 0;
  let copied = 0;
  let n = 0;
  while (n < maxS) {
    const e = matchAt(ms, s, pStart);
    if (e !== -1) {
      n++;
      if (s > copied) out.push(src.slice(copied, s));
      copied = e;
      // add_value
      if (tr === 'string' || tr === 'number') {
        if (plainRepl) out.push(news);
        else addString(ms, out, s, e, news);
      } else {
        let v: LuaValue;
        if (tr === 'function') {
          v = callValue(repl, getCaptures(ms, s, e, true))[0];
          where.pos = pos;
        } else {
          v = index(repl, getCapture(ms, 0, s, e), pos, '');
          where.pos = pos;
        }
        if (v === undefined || v === false) out.push(src.slice(s, e));
        else if (typeof v === 'string') out.push(v);
        else if (typeof v === 'number') out.push(numberToString(v));
        else raise(`invalid replacement value (a ${typeName(v)})`);
      }
    }
    if (e !== -1 && e > s) s = e;
    else if (s < end) s++;
    else break;
    if (anchor) break;
  }
  if (copied === 0 && n === 0) return [src, 0];
  if (copied < end) out.push(src.slice(copied));
  return [out.join(''), n];
}

// ---------------------------------------------------------------- simple functions

function len(...args: LuaValue[]): LuaValue[] {
  return [checkString(args, 1, 'len').length];
}

function sub(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'sub');
  const l = s.length;
  let start = posrelat(checkInteger(args, 2, 'sub'), l);
  let end = posrelat(optInteger(args, 3, 'sub', -1), l);
  if (start < 1) start = 1;
  if (end > l) end = l;
  if (start > end) return [''];
  if (start === 1 && end === l) return [s];
  return [s.slice(start - 1, end)];
}

function reverse(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'reverse');
  return [s.length < 2 ? s : s.split('').reverse().join('')];
}

function lower(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'lower');
  return [s.replace(/[A-Z]+/g, (m) => m.toLowerCase())];
}

function upper(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'upper');
  return [s.replace(/[a-z]+/g, (m) => m.toUpperCase())];
}

function rep(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'rep');
  const n = checkInt(args, 2, 'rep');
  if (n <= 0 || s.length === 0) return [''];
  // PUC 5.1 would try to allocate any size; we stop at Redis's bulk limit as Lua 5.2+ does.
  if (s.length * n > MAX_STRING) raise('resulting string too large');
  try {
    return [s.repeat(n)];
  } catch (e) {
    if (e instanceof RangeError) raise('resulting string too large');
    throw e;
  }
}

function byte(...args: LuaValue[]): LuaValue[] {
  const s = checkString(args, 1, 'byte');
  const l = s.length;
  let posi = posrelat(optInteger(args, 2, 'byte', 1), l);
  let pose = posrelat(optInteger(args, 3, 'byte', posi), l);
  if (posi <= 0) posi = 1;
  if (pose > l) pose = l;
  if (posi > pose) return NO_VALUES;
  const n = pose - posi + 1;
  if (n >= 2 ** 31) raise('string slice too long');
  if (args.length + n > MAXCSTACK) raise('stack overflow (string slice too long)');
  const out: LuaValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = s.charCodeAt(posi - 1 + i);
  return out;
}

function char(...args: LuaValue[]): LuaValue[] {
  const n = args.length;
  const codes: number[] = new Array(n);
  for (let i = 1; i <= n; i++) {
    const c = checkInt(args, i, 'char');
    if ((c & 255) !== c) argError(i, 'char', 'invalid value');
    codes[i - 1] = c;
  }
  if (n <= 4096) return [String.fromCharCode(...codes)];
  let out = '';
  for (let i = 0; i < n; i += 4096) out += String.fromCharCode(...codes.slice(i, i + 4096));
  return [out];
}

/** Compiled Lua functions open with the budget check (compiler.ts); library functions are plain JS. */
function isLibraryFunction(f: LuaValue): boolean {
  return !String(f).includes('$C.budget');
}

const BYTECODE_HEADER = '\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00';

function dump(...args: LuaValue[]): LuaValue[] {
  if (typeof args[0] !== 'function') typeError(1, 'dump', 'function', args);
  // Our functions are compiled to JS, so there is no bytecode to dump. A Lua function gets 5.1's
  // bytecode header (x86-64 sizes) and nothing else: loadstring refuses it as redis-server's
  // refuses any binary chunk, parsing it as text; a library function cannot be dumped in PUC either.
  if (isLibraryFunction(args[0])) raise('unable to dump given function');
  return [BYTECODE_HEADER];
}

// ---------------------------------------------------------------- format

/** The flags, width and precision of one conversion. */
interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  /** -1 when absent. */
  precision: number;
}

/** Pads `body` (after `prefix`: a sign or 0x) to the width as printf does; zeros go between the two. */
function pad(spec: Spec, prefix: string, body: string, zeroOk: boolean): string {
  const total = prefix.length + body.length;
  if (total >= spec.width) return prefix + body;
  const fill = spec.width - total;
  if (spec.minus) return prefix + body + ' '.repeat(fill);
  if (spec.zero && zeroOk) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}

const TWO63 = 2 ** 63;

/** (long)d on x86-64: truncation, or LONG_MIN ("integer indefinite") out of range. */
function int64Text(d: number): [boolean, string] {
  if (d !== d || d >= TWO63 || d < -TWO63) return [true, '9223372036854775808'];
  const t = Math.trunc(d);
  const neg = t < 0;
  const a = neg ? -t : t;
  return [neg, a <= Number.MAX_SAFE_INTEGER ? String(a) : BigInt(a).toString()];
}

/** (unsigned long)d as x86-64 code computes it: from 2^63 through a subtraction; NaN and overflow give 2^63 or 0. */
function uint64(d: number): bigint | number {
  if (d >= 0 && d <= Number.MAX_SAFE_INTEGER) return Math.trunc(d);
  if (d !== d) return 1n << 63n;
  if (d >= TWO63) {
    const m = d - TWO63;
    return m >= TWO63 ? 0n : BigInt(m) ^ (1n << 63n);
  }
  if (d < -TWO63) return 1n << 63n;
  return BigInt.asUintN(64, BigInt(Math.trunc(d)));
}

function formatInteger(spec: Spec, d: number): string {
  const [neg, digitsAbs] = int64Text(d);
  let digits = digitsAbs;
  if (spec.precision >= 0) {
    if (spec.precision === 0 && digits === '0') digits = '';
    else if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(spec, sign, digits, spec.precision < 0);
}

function formatUnsigned(spec: Spec, d: number, conv: number): string {
  const u = uint64(d);
  const isZero = u === 0 || u === 0n;
  const base = conv === 111 ? 8 : conv === 117 ? 10 : 16;
  let digits = u.toString(base);
  if (conv === 88) digits = digits.toUpperCase();
  if (spec.precision >= 0) {
    if (spec.precision === 0 && isZero) digits = '';
    else if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  let prefix = '';
  if (spec.alt) {
    if (conv === 111) {
      if (digits.charCodeAt(0) !== 48) digits = '0' + digits;
    } else if (conv !== 117 && !isZero) prefix = conv === 88 ? '0X' : '0x';
  }
  return pad(spec, prefix, digits, spec.precision < 0);
}

function formatDouble(spec: Spec, d: number, conv: number): string {
  const upper = conv === 69 || conv === 71;
  const neg = signBit(d);
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (d !== d || d === Infinity || d === -Infinity) {
    let body = d !== d ? 'nan' : 'inf';
    if (upper) body = body.toUpperCase();
    return pad(spec, sign, body, false);
  }
  const a = neg ? -d : d;
  const prec = spec.precision < 0 ? 6 : spec.precision;
  let body: string;
  switch (conv) {
    case 102: // f
      body = fixedText(a, prec);
      if (spec.alt && prec === 0) body += '.';
      break;
    case 101: // e
    case 69: // E
      body = expForm(expText(a, prec), spec.alt && prec === 0);
      break;
    default: {
      // g, G
      const p = prec === 0 ? 1 : prec;
      const t = expText(a, p - 1);
      const x = Number(t.slice(t.indexOf('e') + 1));
      if (x < -4 || x >= p) {
        body = expForm(t, spec.alt && p === 1);
        if (!spec.alt) body = stripMantissaZeros(body);
      } else {
        const decimals = p - 1 - x;
        body = fixedText(a, decimals);
        if (spec.alt) {
          if (decimals === 0) body += '.';
        } else body = stripZeros(body);
      }
    }
  }
  if (upper) body = body.toUpperCase();
  return pad(spec, sign, body, true);
}

/** toExponential's "d.ddde+X" as printf's "d.ddde+XX" (with a forced point when `point`). */
function expForm(t: string, point: boolean): string {
  const e = t.indexOf('e');
  const x = t.slice(e + 2);
  return t.slice(0, e) + (point ? '.' : '') + 'e' + t[e + 1] + (x.length < 2 ? '0' + x : x);
}

function stripZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

function stripMantissaZeros(s: string): string {
  const e = s.indexOf('e');
  return stripZeros(s.slice(0, e)) + s.slice(e);
}

/** (int)d on x86-64 (cvttsd2si): INT_MIN out of range. */
function toCInt(d: number): number {
  if (!(d > -2147483649 && d < 2147483648)) return -2147483648;
  return Math.trunc(d);
}

function addQuoted(out: string[], s: string): void {
  out.push('"');
  let lit = 0;
  for (let i = 0; i < s.length; i++) {
    let esc: string;
    switch (s.charCodeAt(i)) {
      case 34:
        esc = '\\"';
        break;
      case 92:
        esc = '\\\\';
        break;
      case 10:
        esc = '\\\n';
        break;
      case 13:
        esc = '\\r';
        break;
      case 0:
        esc = '\\000';
        break;
      default:
        continue;
    }
    if (i > lit) out.push(s.slice(lit, i));
    out.push(esc);
    lit = i + 1;
  }
  if (lit < s.length) out.push(lit === 0 ? s : s.slice(lit));
  out.push('"');
}

function format(...args: LuaValue[]): LuaValue[] {
  const top = args.length;
  let arg = 1;
  const fmt = checkString(args, 1, 'format');
  const n = fmt.length;
  const out: string[] = [];
  let i = 0;
  while (i < n) {
    if (fmt.charCodeAt(i) !== L_ESC) {
      let j = fmt.indexOf('%', i);
      if (j < 0) j = n;
      out.push(fmt.slice(i, j));
      i = j;
      continue;
    }
    i++;
    if (fmt.charCodeAt(i) === L_ESC) {
      out.push('%');
      i++;
      continue;
    }
    if (++arg > top) argError(arg, 'format', 'no value');
    // scanformat
    const spec: Spec = { minus: false, plus: false, space: false, alt: false, zero: false, width: 0, precision: -1 };
    const flagsStart = i;
    for (;;) {
      const c = fmt.charCodeAt(i);
      if (c === 45) spec.minus = true;
      else if (c === 43) spec.plus = true;
      else if (c === 32) spec.space = true;
      else if (c === 35) spec.alt = true;
      else if (c === 48) spec.zero = true;
      else break;
      i++;
    }
    if (i - flagsStart >= 6) raise('invalid format (repeated flags)');
    if (isDigit(fmt.charCodeAt(i))) {
      spec.width = fmt.charCodeAt(i++) - 48;
      if (isDigit(fmt.charCodeAt(i))) spec.width = spec.width * 10 + fmt.charCodeAt(i++) - 48;
    }
    if (fmt.charCodeAt(i) === 46) {
      i++;
      spec.precision = 0;
      if (isDigit(fmt.charCodeAt(i))) {
        spec.precision = fmt.charCodeAt(i++) - 48;
        if (isDigit(fmt.charCodeAt(i))) spec.precision = spec.precision * 10 + fmt.charCodeAt(i++) - 48;
      }
    }
    if (isDigit(fmt.charCodeAt(i))) raise('invalid format (width or precision too long)');
    const conv = i < n ? fmt.charCodeAt(i) : 0;
    i++;
    switch (conv) {
      case 99: {
        // c: sprintf's output is cut at its first NUL (strlen)
        const ch = String.fromCharCode(toCInt(checkNumber(args, arg, 'format')) & 255);
        out.push(cString(pad(spec, '', ch, false)));
        break;
      }
      case 100: // d
      case 105: // i
        out.push(formatInteger(spec, checkNumber(args, arg, 'format')));
        break;
      case 111: // o
      case 117: // u
      case 120: // x
      case 88: // X
        out.push(formatUnsigned(spec, checkNumber(args, arg, 'format'), conv));
        break;
      case 101: // e
      case 69: // E
      case 102: // f
      case 103: // g
      case 71: // G
        out.push(formatDouble(spec, checkNumber(args, arg, 'format'), conv));
        break;
      case 113: // q
        addQuoted(out, checkString(args, arg, 'format'));
        break;
      case 115: {
        // s
        const s = checkString(args, arg, 'format');
        if (spec.precision < 0 && s.length >= 100) {
          // No precision and too long to format: kept whole.
          out.push(s);
          break;
        }
        let c = cString(s);
        if (spec.precision >= 0 && c.length > spec.precision) c = c.slice(0, spec.precision);
        out.push(pad(spec, '', c, false));
        break;
      }
      default:
        raise(`invalid option '%${conv === 0 ? '' : String.fromCharCode(conv)}' to 'format'`);
    }
  }
  return [out.length === 1 ? out[0] : out.join('')];
}

// ---------------------------------------------------------------- the library

export function createStringLib(): LuaTable {
  // luaL_register sizes the table for strlib's 15 entries and fills it in this order.
  const t = new LuaTable(0, 15);
  const functions: [string, LuaFunction][] = [
    ['byte', byte],
    ['char', char],
    ['dump', dump],
    ['find', find],
    ['format', format],
    ['gfind', gmatch],
    ['gmatch', gmatch],
    ['gsub', gsub],
    ['len', len],
    ['lower', lower],
    ['match', match],
    ['rep', rep],
    ['reverse', reverse],
    ['sub', sub],
    ['upper', upper],
  ];
  for (const [name, f] of functions) t.setStr(name, f);
  return t;
}
