/**
 * The `cjson` library as Redis bundles it (deps/lua/src/lua_cjson.c, Lua
 * CJSON 2.1.0 with its default configuration), byte for byte.
 *
 * cjson.null: in C a NULL lightuserdata, here JSON_NULL, one LuaUserdata
 * shared by every cjson table (cjson.new() included), as the NULL pointer
 * is. It encodes as `null` and is what `null` decodes to.
 *
 * Encoding: a table whose keys are all integers >= 1 is an array up to its
 * largest key (holes are null) unless excessively sparse (largest key >
 * items * ratio and > safe: an error, or an object with
 * encode_sparse_array(true)); any other table is an object in next() order,
 * number keys written as quoted numbers; an empty table is `{}`. Numbers are
 * "%.<precision>g" (14 by default), NaN and infinities an error unless
 * encode_invalid_numbers says otherwise. Strings are escaped as cjson does:
 * `"`, `\`, `/` (as "\/"), \b \t \n \f \r, other control characters and
 * 0x7f as \u00XX; bytes >= 0x80 pass through.
 *
 * Decoding: the C parser reads a NUL-terminated string, so a NUL byte ends
 * the input; numbers go through strtod (with decode_invalid_numbers on, as
 * by default, hex, inf, nan, leading '+' and leading zeros are accepted);
 * \u escapes become UTF-8 (surrogate pairs joined, lone surrogates an
 * error); tables are lua_newtable() filled in document order.
 */
import { LuaTable } from '../table.js';
import { argError, LuaUserdata, raise, typeName, type LuaFunction, type LuaValue } from '../value.js';
import { checkInteger, checkString } from './args.js';

/** cjson.null: Redis's cjson makes it a NULL light userdata. */
export const JSON_NULL = new LuaUserdata('(nil)');


const INT_MAX = 2147483647;
const LUAI_MAXCSTACK = 8000;

interface Config {
  sparseConvert: number;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  encodeInvalidNumbers: number; // 0 off, 1 on, 2 "null"
  encodeNumberPrecision: number;
  encodeKeepBuffer: number;
  decodeInvalidNumbers: number;
  decodeMaxDepth: number;
}

function defaultConfig(): Config {
  return {
    sparseConvert: 0,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    encodeNumberPrecision: 14,
    encodeKeepBuffer: 1,
    decodeInvalidNumbers: 1,
    decodeMaxDepth: 1000,
  };
}

const cTypeName = typeName;

// ===== Configuration functions =====

function argInit(args: LuaValue[], n: number, fname: string): void {
  if (args.length > n) argError(n + 1, fname, 'found too many arguments');
}

/** (int) of luaL_checkinteger: the lua_Integer's low 32 bits. */
function toCInt(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(n)));
}

function integerOption(args: LuaValue[], i: number, fname: string, get: () => number, set: (v: number) => void, min: number, max: number): LuaValue {
  if (args[i - 1] !== undefined) {
    const value = toCInt(checkInteger(args, i, fname));
    if (!(min <= value && value <= max)) argError(1, fname, `expected integer between ${min} and ${max}`);
    set(value);
  }
  return get();
}

function enumOption(args: LuaValue[], i: number, fname: string, get: () => number, set: (v: number) => void, options: string[]): LuaValue {
  const v = args[i - 1];
  if (v !== undefined) {
    if (typeof v === 'boolean') set(v ? 1 : 0);
    else {
      const name = checkString(args, i, fname);
      const idx = options.indexOf(name);
      if (idx < 0) argError(i, fname, `invalid option '${name}'`);
      set(idx);
    }
  }
  const setting = get();
  return setting === 0 || setting === 1 ? setting === 1 : options[setting];
}

const BOOL_OPTIONS = ['off', 'on'];
const INVALID_NUMBER_OPTIONS = ['off', 'on', 'null'];

// ===== Encoding =====

const ESCAPES: string[] = [];
for (let c = 0; c < 32; c++) ESCAPES[c] = '\\u' + c.toString(16).padStart(4, '0');
ESCAPES[8] = '\\b';
ESCAPES[9] = '\\t';
ESCAPES[10] = '\\n';
ESCAPES[12] = '\\f';
ESCAPES[13] = '\\r';
ESCAPES[0x22] = '\\"';
ESCAPES[0x2f] = '\\/';
ESCAPES[0x5c] = '\\\\';
ESCAPES[0x7f] = '\\u007f';

const NEEDS_ESCAPE = /[\x00-\x1f"\/\\\x7f]/g;

function escapeChar(ch: string): string {
  return ESCAPES[ch.charCodeAt(0)];
}

function appendString(out: string[], s: string): void {
  NEEDS_ESCAPE.lastIndex = 0;
  out.push('"', NEEDS_ESCAPE.test(s) ? s.replace(NEEDS_ESCAPE, escapeChar) : s, '"');
}

function appendNumber(out: string[], cfg: Config, n: number): void {
  const invalid = n !== n || n === Infinity || n === -Infinity;
  if (cfg.encodeInvalidNumbers === 0) {
    if (invalid) raise('Cannot serialise number: must not be NaN or Inf');
  } else if (cfg.encodeInvalidNumbers === 1) {
    if (n !== n) {
      out.push('nan');
      return;
    }
  } else if (invalid) {
    out.push('null');
    return;
  }
  out.push(formatNumber(n, cfg.encodeNumberPrecision));
}

/** Whether the decimal `text` (as toExponential prints it) is exactly the double n. */
function isExactly(n: number, text: string): boolean {
  const e = text.indexOf('e');
  const mantissa = text.slice(0, e).replace('-', '').replace('.', '');
  const fracDigits = e - text.indexOf('.') - 1;
  const exp10 = Number(text.slice(e + 1)) - (text.indexOf('.') < 0 ? 0 : fracDigits);
  let num = BigInt(mantissa);
  let den = 1n;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den = 10n ** BigInt(-exp10);
  // n = m * 2^x exactly, from its bits.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(n));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let m = bits & ((1n << 52n) - 1n);
  let x: number;
  if (biased === 0) x = -1074;
  else {
    m |= 1n << 52n;
    x = biased - 1075;
  }
  return x >= 0 ? num === (m << BigInt(x)) * den : num << BigInt(-x) === m * den;
}

/**
 * printf("%.<p>g", n) for a number that is not NaN, as glibc prints it: the exactly
 * rounded value, ties to even (JS's toExponential breaks exact ties upward,
 * so a tie is detected and rounded here).
 */
function formatNumber(n: number, p: number): string {
  if (n === 0) return 1 / n < 0 ? '-0' : '0';
  // An integer of at most p digits prints as itself: the common case, without the digit work below.
  if (Number.isSafeInteger(n) && (n < 0 ? -n : n) < 10 ** p) return String(n);
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const neg = n < 0;
  const text = Math.abs(n).toExponential(p - 1);
  const e = text.indexOf('e');
  let digits = text.slice(0, e).replace('.', '');
  let x = Number(text.slice(e + 1));
  const longer = Math.abs(n).toExponential(p);
  const le = longer.indexOf('e');
  if (longer.charCodeAt(le - 1) === 53 /* 5 */ && isExactly(Math.abs(n), longer)) {
    // An exact tie: round the p + 1 digits to even by hand.
    const all = longer.slice(0, le).replace('.', '');
    let kept = all.slice(0, p);
    x = Number(longer.slice(le + 1));
    if ((kept.charCodeAt(p - 1) - 48) % 2 === 1) {
      const up = (BigInt(kept) + 1n).toString();
      if (up.length > p) {
        kept = up.slice(0, p);
        x++;
      } else kept = up;
    }
    digits = kept;
  }
  let out: string;
  if (x < -4 || x >= p) {
    let mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    if (mantissa.indexOf('.') >= 0) mantissa = mantissa.replace(/\.?0+$/, '');
    const ax = Math.abs(x);
    out = `${mantissa}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else if (x < 0) {
    out = ('0.' + '0'.repeat(-x - 1) + digits).replace(/\.?0+$/, '');
  } else {
    const intPart = digits.slice(0, x + 1);
    const frac = digits.slice(x + 1).replace(/0+$/, '');
    out = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  }
  return neg ? '-' + out : out;
}

/** (int)k for a double k >= 1, as x86-64's 32-bit conversion does it: out of range gives INT_MIN. */
function doubleToCInt(k: number): number {
  return k <= INT_MAX ? Math.trunc(k) : -2147483648;
}

/** lua_array_length: the array size, or -1 for an object. */
function arrayLength(t: LuaTable, cfg: Config): number {
  let max = 0;
  let items = 0;
  for (let p = t.nextIndex(-1); p >= 0; p = t.nextIndex(p)) {
    const k = t.keyAt(p);
    if (typeof k === 'number' && k !== 0 && Math.floor(k) === k && k >= 1) {
      if (k > max) max = doubleToCInt(k);
      items++;
      continue;
    }
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > Math.imul(items, cfg.sparseRatio) && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) raise('Cannot serialise table: excessively sparse array');
    return -1;
  }
  return max;
}

interface EncodeFrame {
  t: LuaTable;
  /** The array length, or -1 for an object. */
  len: number;
  /** Arrays: the last index written. */
  i: number;
  /** Objects: the position of the last member written (-1 before the first); no Lua code runs and no key is added while encoding, so positions stay valid. */
  at: number;
  first: boolean;
  depth: number;
  /** The C encoder's Lua stack use with this table on top, for its lua_checkstack(l, 3) next to the depth check. */
  top: number;
}

function appendScalar(out: string[], cfg: Config, v: LuaValue): void {
  switch (typeof v) {
    case 'string':
      appendString(out, v);
      return;
    case 'number':
      appendNumber(out, cfg, v);
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'undefined':
      out.push('null');
      return;
    default:
      if (v === JSON_NULL) {
        out.push('null');
        return;
      }
      raise(`Cannot serialise ${cTypeName(v)}: type not supported`);
  }
}

/**
 * json_append_data over the whole value, with an explicit stack instead of
 * the C recursion (nesting may go as deep as the settings allow). The Lua
 * stack use of the C encoder is tracked: an array element adds one slot
 * (lua_rawgeti), an object member two (lua_next's key and value).
 */
function appendData(out: string[], cfg: Config, root: LuaValue): void {
  const stack: EncodeFrame[] = [];
  let v = root;
  let depth = 0;
  let top = 1;
  for (;;) {
    if (v instanceof LuaTable) {
      const d = depth + 1;
      if (d > cfg.encodeMaxDepth || top + 3 > LUAI_MAXCSTACK) raise(`Cannot serialise, excessive nesting (${d})`);
      const len = arrayLength(v, cfg);
      out.push(len > 0 ? '[' : '{');
      stack.push({ t: v, len: len > 0 ? len : -1, i: 0, at: -1, first: true, depth: d, top });
    } else {
      appendScalar(out, cfg, v);
    }
    // The next value to write, closing finished tables.
    for (;;) {
      const f = stack[stack.length - 1];
      if (f === undefined) return;
      if (f.len > 0) {
        if (f.i < f.len) {
          if (f.i > 0) out.push(',');
          f.i++;
          v = f.t.getInt(f.i);
          top = f.top + 1;
          break;
        }
        out.push(']');
        stack.pop();
        continue;
      }
      const at = f.t.nextIndex(f.at);
      if (at < 0) {
        out.push('}');
        stack.pop();
        continue;
      }
      if (f.first) f.first = false;
      else out.push(',');
      const k = f.t.keyAt(at);
      f.at = at;
      if (typeof k === 'number') {
        out.push('"');
        appendNumber(out, cfg, k);
        out.push('":');
      } else if (typeof k === 'string') {
        appendString(out, k);
        out.push(':');
      } else {
        raise(`Cannot serialise ${cTypeName(k)}: table key must be a number or string`);
      }
      v = f.t.valueAt(at);
      top = f.top + 2;
      break;
    }
    depth = stack[stack.length - 1].depth;
  }
}

// ===== Decoding =====

const enum T {
  OBJ_BEGIN,
  OBJ_END,
  ARR_BEGIN,
  ARR_END,
  STRING,
  NUMBER,
  BOOLEAN,
  NULL,
  COLON,
  COMMA,
  END,
  WHITESPACE,
  ERROR,
  UNKNOWN,
}

const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
];

const CH2TOKEN: T[] = new Array<T>(256).fill(T.ERROR);
CH2TOKEN[0x7b] = T.OBJ_BEGIN;
CH2TOKEN[0x7d] = T.OBJ_END;
CH2TOKEN[0x5b] = T.ARR_BEGIN;
CH2TOKEN[0x5d] = T.ARR_END;
CH2TOKEN[0x2c] = T.COMMA;
CH2TOKEN[0x3a] = T.COLON;
CH2TOKEN[0] = T.END;
CH2TOKEN[0x20] = T.WHITESPACE;
CH2TOKEN[0x09] = T.WHITESPACE;
CH2TOKEN[0x0a] = T.WHITESPACE;
CH2TOKEN[0x0d] = T.WHITESPACE;
for (const ch of 'fiInNt"+-0123456789') CH2TOKEN[ch.charCodeAt(0)] = T.UNKNOWN;

const ESCAPE2CHAR: string[] = [];
ESCAPE2CHAR[0x22] = '"';
ESCAPE2CHAR[0x5c] = '\\';
ESCAPE2CHAR[0x2f] = '/';
ESCAPE2CHAR[0x62] = '\b';
ESCAPE2CHAR[0x74] = '\t';
ESCAPE2CHAR[0x6e] = '\n';
ESCAPE2CHAR[0x66] = '\f';
ESCAPE2CHAR[0x72] = '\r';

interface Token {
  type: T;
  index: number;
  value: LuaValue;
  /** The message of an error token. */
  error: string;
}

class Parser {
  p = 0;
  depth = 0;
  readonly len: number;
  constructor(
    readonly s: string,
    readonly cfg: Config,
  ) {
    this.len = s.length;
  }
  /** The byte at i, 0 past the end (the C string's terminator). */
  at(i: number): number {
    return i < this.len ? this.s.charCodeAt(i) : 0;
  }
}

function setTokenError(token: Token, json: Parser, message: string): void {
  token.type = T.ERROR;
  token.index = json.p;
  token.error = message;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function decodeHex4(json: Parser, i: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const d = hexDigit(json.at(i + k));
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

function codepointToUtf8(cp: number): string {
  if (cp <= 0x7f) return String.fromCharCode(cp);
  if (cp <= 0x7ff) return String.fromCharCode((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
  if (cp <= 0xffff) return String.fromCharCode((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
  return String.fromCharCode((cp >> 18) | 0xf0, ((cp >> 12) & 0x3f) | 0x80, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
}

/** A \u escape at json.p: its UTF-8, advancing past it; undefined when invalid. */
function unicodeEscape(json: Parser): string | undefined {
  let cp = decodeHex4(json, json.p + 2);
  if (cp < 0) return undefined;
  let escapeLen = 6;
  if ((cp & 0xf800) === 0xd800) {
    if (cp & 0x400) return undefined;
    if (json.at(json.p + 6) !== 0x5c || json.at(json.p + 7) !== 0x75) return undefined;
    const low = decodeHex4(json, json.p + 8);
    if (low < 0 || (low & 0xfc00) !== 0xdc00) return undefined;
    cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
    escapeLen = 12;
  }
  json.p += escapeLen;
  return codepointToUtf8(cp);
}

function nextStringToken(json: Parser, token: Token): void {
  json.p++; // the opening quote
  const parts: string[] = [];
  let runStart = json.p;
  for (;;) {
    const ch = json.at(json.p);
    if (ch === 0x22) break;
    if (ch === 0) {
      setTokenError(token, json, 'unexpected end of string');
      return;
    }
    if (ch !== 0x5c) {
      json.p++;
      continue;
    }
    if (json.p > runStart) parts.push(json.s.slice(runStart, json.p));
    const esc = json.at(json.p + 1);
    if (esc === 0x75) {
      const u = unicodeEscape(json);
      if (u === undefined) {
        setTokenError(token, json, 'invalid unicode escape code');
        return;
      }
      parts.push(u);
    } else {
      const c = ESCAPE2CHAR[esc];
      if (c === undefined) {
        setTokenError(token, json, 'invalid escape code');
        return;
      }
      parts.push(c);
      json.p += 2;
    }
    runStart = json.p;
  }
  if (json.p > runStart) parts.push(json.s.slice(runStart, json.p));
  json.p++; // the closing quote
  token.type = T.STRING;
  token.value = parts.length === 1 ? parts[0] : parts.join('');
}

const DECIMAL = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const HEX = /([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/y;
const INF_NAN = /([+-]?)(?:(inf(?:inity)?)|nan(?:\([0-9A-Za-z_]*\))?)/iy;

/** x * 2^e without overflowing the intermediate power. */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
    if (x === Infinity || x === -Infinity) return x;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
    if (x === 0) return x;
  }
  return x * 2 ** e;
}

/** glibc strtod on a prefix of s at i (no leading whitespace here): [value, characters used], 0 used when nothing converts. */
export function strtodPrefix(s: string, i: number): [number, number] {
  HEX.lastIndex = i;
  let m = HEX.exec(s);
  if (m !== null) {
    const intDigits = m[2] ?? '';
    const fracDigits = m[3] ?? m[4] ?? '';
    let mant = BigInt('0x0' + intDigits + fracDigits);
    let exp = -4 * fracDigits.length + (m[5] !== undefined ? Number(m[5]) : 0);
    const bits = mant.toString(2).length;
    if (bits > 64) {
      const shift = BigInt(bits - 64);
      const sticky = (mant & ((1n << shift) - 1n)) !== 0n;
      mant >>= shift;
      if (sticky) mant |= 1n;
      exp += bits - 64;
    }
    // Beyond these, a mantissa of at most 64 bits overflows or underflows whatever it is.
    if (exp > 5000) exp = 5000;
    if (exp < -5000) exp = -5000;
    const v = ldexp(Number(mant), exp);
    return [m[1] === '-' ? -v : v, m[0].length];
  }
  INF_NAN.lastIndex = i;
  m = INF_NAN.exec(s);
  if (m !== null) {
    const v = m[2] !== undefined ? Infinity : NaN;
    return [m[1] === '-' ? -v : v, m[0].length];
  }
  DECIMAL.lastIndex = i;
  m = DECIMAL.exec(s);
  if (m !== null) return [Number(m[0]), m[0].length];
  return [0, 0];
}

/** json_is_invalid_number: forms strtod takes that strict JSON does not. */
function isInvalidNumber(json: Parser): boolean {
  let p = json.p;
  const c = json.at(p);
  if (c === 0x2b) return true;
  if (c === 0x2d) p++;
  const d = json.at(p);
  if (d === 0x30) {
    const d2 = json.at(p + 1);
    return (d2 | 0x20) === 0x78 || (d2 >= 48 && d2 <= 57);
  }
  if (d <= 0x39) return false;
  const word = json.s.slice(p, p + 3).toLowerCase();
  return word === 'inf' || word === 'nan';
}

function nextNumberToken(json: Parser, token: Token): void {
  const [value, used] = strtodPrefix(json.s, json.p);
  token.type = T.NUMBER;
  token.value = value;
  if (used === 0) setTokenError(token, json, 'invalid number');
  else json.p += used;
}

function nextToken(json: Parser, token: Token): T {
  lex(json, token);
  return token.type;
}

function lex(json: Parser, token: Token): void {
  let ch: number;
  for (;;) {
    ch = json.at(json.p);
    token.type = ch < 256 ? CH2TOKEN[ch] : T.ERROR;
    if (token.type !== T.WHITESPACE) break;
    json.p++;
  }
  token.index = json.p;
  if (token.type === T.ERROR) {
    setTokenError(token, json, 'invalid token');
    return;
  }
  if (token.type === T.END) return;
  if (token.type !== T.UNKNOWN) {
    json.p++;
    return;
  }
  const s = json.s;
  if (ch === 0x22) {
    nextStringToken(json, token);
  } else if (ch === 0x2d || (ch >= 48 && ch <= 57)) {
    if (!json.cfg.decodeInvalidNumbers && isInvalidNumber(json)) setTokenError(token, json, 'invalid number');
    else nextNumberToken(json, token);
  } else if (s.startsWith('true', json.p)) {
    token.type = T.BOOLEAN;
    token.value = true;
    json.p += 4;
  } else if (s.startsWith('false', json.p)) {
    token.type = T.BOOLEAN;
    token.value = false;
    json.p += 5;
  } else if (s.startsWith('null', json.p)) {
    token.type = T.NULL;
    json.p += 4;
  } else if (json.cfg.decodeInvalidNumbers && isInvalidNumber(json)) {
    nextNumberToken(json, token);
  } else {
    setTokenError(token, json, 'invalid token');
  }
}

function throwParseError(expected: string, token: Token): never {
  const found = token.type === T.ERROR ? token.error : TOKEN_NAMES[token.type];
  raise(`Expected ${expected} but found ${found} at character ${token.index + 1}`);
}

/** json_decode_descend; `top` is the C decoder's Lua stack use at that point. */
function descend(json: Parser, slots: number, top: number): void {
  json.depth++;
  if (json.depth <= json.cfg.decodeMaxDepth && top + slots <= LUAI_MAXCSTACK) return;
  raise(`Found too many nested data structures (${json.depth}) at character ${json.p}`);
}

interface DecodeFrame {
  t: LuaTable;
  isObject: boolean;
  /** Objects: the key of the member being read. */
  key: string;
  /** Arrays: the index of the element being read. */
  i: number;
  /** The C decoder's Lua stack use below this table. */
  top: number;
}

/** An object member's key and colon, leaving the value's first token in `token`. */
function objectKey(json: Parser, token: Token, f: DecodeFrame): void {
  if (token.type !== T.STRING) throwParseError('object key string', token);
  f.key = token.value as string;
  if (nextToken(json, token) !== T.COLON) throwParseError('colon', token);
  nextToken(json, token);
}

/**
 * json_process_value for the value whose first token is in `token`, with an
 * explicit stack instead of the C recursion. Each object level holds two Lua
 * stack slots (table, key) and each array level one, as in the C decoder.
 */
function processValue(json: Parser, token: Token): LuaValue {
  const stack: DecodeFrame[] = [];
  let top = 1;
  for (;;) {
    let v: LuaValue;
    switch (token.type) {
      case T.STRING:
      case T.NUMBER:
      case T.BOOLEAN:
        v = token.value;
        break;
      case T.NULL:
        v = JSON_NULL;
        break;
      case T.OBJ_BEGIN: {
        descend(json, 3, top);
        const t = new LuaTable(0, 0);
        if (nextToken(json, token) === T.OBJ_END) {
          json.depth--;
          v = t;
          break;
        }
        const f: DecodeFrame = { t, isObject: true, key: '', i: 0, top };
        objectKey(json, token, f);
        stack.push(f);
        top = f.top + 2;
        continue;
      }
      case T.ARR_BEGIN: {
        descend(json, 2, top);
        const t = new LuaTable(0, 0);
        if (nextToken(json, token) === T.ARR_END) {
          json.depth--;
          v = t;
          break;
        }
        stack.push({ t, isObject: false, key: '', i: 1, top });
        top = top + 1;
        continue;
      }
      default:
        throwParseError('value', token);
    }
    // Store the finished value in its table; close the tables it finishes.
    for (;;) {
      const f = stack[stack.length - 1];
      if (f === undefined) return v;
      if (f.isObject) {
        f.t.setStr(f.key, v);
        const type = nextToken(json, token);
        if (type === T.OBJ_END) {
          json.depth--;
          stack.pop();
          v = f.t;
          continue;
        }
        if (type !== T.COMMA) throwParseError('comma or object end', token);
        nextToken(json, token);
        objectKey(json, token, f);
        top = f.top + 2;
        break;
      }
      f.t.setInt(f.i++, v);
      const type = nextToken(json, token);
      if (type === T.ARR_END) {
        json.depth--;
        stack.pop();
        v = f.t;
        continue;
      }
      if (type !== T.COMMA) throwParseError('comma or array end', token);
      nextToken(json, token);
      top = f.top + 1;
      break;
    }
  }
}

function decode(cfg: Config, args: LuaValue[]): LuaValue[] {
  if (args.length !== 1) argError(1, 'decode', 'expected 1 argument');
  const s = checkString(args, 1, 'decode');
  if (s.length >= 2 && (s.charCodeAt(0) === 0 || s.charCodeAt(1) === 0)) raise('JSON parser does not support UTF-16 or UTF-32');
  // The C parser reads a NUL-terminated string: nothing past the first NUL byte counts.
  const nul = s.indexOf('\0');
  const json = new Parser(nul < 0 ? s : s.slice(0, nul), cfg);
  const token: Token = { type: T.END, index: 0, value: undefined, error: '' };
  nextToken(json, token);
  const value = processValue(json, token);
  if (nextToken(json, token) !== T.END) throwParseError('the end', token);
  return [value];
}

function encode(cfg: Config, args: LuaValue[]): LuaValue[] {
  if (args.length !== 1) argError(1, 'encode', 'expected 1 argument');
  const out: string[] = [];
  appendData(out, cfg, args[0]);
  return [out.join('')];
}

/** The `cjson` table with a fresh configuration, as lua_cjson_new builds it. */
export function createCjsonLib(): LuaTable {
  const cfg = defaultConfig();
  const funcs: [string, LuaFunction][] = [
    ['encode', (...args) => encode(cfg, args)],
    ['decode', (...args) => decode(cfg, args)],
    [
      'encode_sparse_array',
      (...args) => {
        const f = 'encode_sparse_array';
        argInit(args, 3, f);
        return [
          enumOption(args, 1, f, () => cfg.sparseConvert, (v) => (cfg.sparseConvert = v), BOOL_OPTIONS),
          integerOption(args, 2, f, () => cfg.sparseRatio, (v) => (cfg.sparseRatio = v), 0, INT_MAX),
          integerOption(args, 3, f, () => cfg.sparseSafe, (v) => (cfg.sparseSafe = v), 0, INT_MAX),
        ];
      },
    ],
    [
      'encode_max_depth',
      (...args) => {
        argInit(args, 1, 'encode_max_depth');
        return [integerOption(args, 1, 'encode_max_depth', () => cfg.encodeMaxDepth, (v) => (cfg.encodeMaxDepth = v), 1, INT_MAX)];
      },
    ],
    [
      'decode_max_depth',
      (...args) => {
        argInit(args, 1, 'decode_max_depth');
        return [integerOption(args, 1, 'decode_max_depth', () => cfg.decodeMaxDepth, (v) => (cfg.decodeMaxDepth = v), 1, INT_MAX)];
      },
    ],
    [
      'encode_number_precision',
      (...args) => {
        const f = 'encode_number_precision';
        argInit(args, 1, f);
        return [integerOption(args, 1, f, () => cfg.encodeNumberPrecision, (v) => (cfg.encodeNumberPrecision = v), 1, 14)];
      },
    ],
    [
      'encode_keep_buffer',
      (...args) => {
        const f = 'encode_keep_buffer';
        argInit(args, 1, f);
        return [enumOption(args, 1, f, () => cfg.encodeKeepBuffer, (v) => (cfg.encodeKeepBuffer = v), BOOL_OPTIONS)];
      },
    ],
    [
      'encode_invalid_numbers',
      (...args) => {
        const f = 'encode_invalid_numbers';
        argInit(args, 1, f);
        return [enumOption(args, 1, f, () => cfg.encodeInvalidNumbers, (v) => (cfg.encodeInvalidNumbers = v), INVALID_NUMBER_OPTIONS)];
      },
    ],
    [
      'decode_invalid_numbers',
      (...args) => {
        const f = 'decode_invalid_numbers';
        argInit(args, 1, f);
        return [enumOption(args, 1, f, () => cfg.decodeInvalidNumbers, (v) => (cfg.decodeInvalidNumbers = v), BOOL_OPTIONS)];
      },
    ],
    ['new', () => [createCjsonLib()]],
  ];
  const t = new LuaTable(0, 0);
  for (const [name, f] of funcs) t.setStr(name, f);
  t.setStr('null', JSON_NULL);
  t.setStr('_NAME', 'cjson');
  t.setStr('_VERSION', '2.1.0');
  return t;
}
