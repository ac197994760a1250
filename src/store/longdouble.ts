/**
 * The x87 80-bit `long double` of Redis's x86-64 Linux builds (64-bit
 * significand, 15-bit exponent, subnormals), emulated exactly. INCRBYFLOAT
 * and HINCRBYFLOAT read both operands with strtold, add them in long double
 * and print the sum with "%.17Lf", so their replies show the binary rounding
 * of a 64-bit significand (1000.1 prints as 1000.09999999999999998): every
 * step here is exact integer arithmetic followed by the one rounding the
 * hardware or glibc does, to nearest with ties to even.
 *
 * Values that are small dyadic fractions (what integers and increments such
 * as 1.5 or 0.25 give) stay in a plain-number form: they and their sums are
 * exact in a double, hence in a long double too, and print without rounding.
 */

/** string2ld's buffer: a text this long or longer is not a float (MAX_LONG_DOUBLE_CHARS). */
const MAX_TEXT = 5 * 1024;
const PRECISION = 64;
/** The last bit's weight at the bottom of the range: the least subnormal is 2^-16445, the least normal 2^63 of those. */
const MIN_UNIT = -16445;
/** The unit of the largest finite value, (2^64 - 1) * 2^16320 (just under 2^16384). */
const MAX_UNIT = 16320;
/** Beyond these decimal magnitudes a literal overflows (max is 1.19e4932) or underflows (half the least subnormal is 1.8e-4951). */
const MAX_DECIMAL_EXP = 4932;
const MIN_DECIMAL_EXP = -4952;
/** An exponent's digits past this magnitude change nothing (the text is at most 5119 digits), so parsing stops growing it. */
const EXPONENT_CAP = 100_000;
/** A number form: at most this many decimals, and this many digits in all, so that n / 2^k and n * 5^k stay exact. */
const SMALL_DIGITS = 15;
/** "%.17Lf" */
const DECIMALS = 17;
const TEN_TO_DECIMALS = 10n ** BigInt(DECIMALS);

/**
 * A long double. `small` is the exact value n / 2^k for a safe integer n and
 * 0 <= k <= 15 (a -0 n is negative zero); `finite` is (-1)^negative *
 * significand * 2^exponent, canonical: significand < 2^64, and at least 2^63
 * unless the exponent is MIN_UNIT (zero and subnormals).
 */
export type LongDouble =
  | { readonly kind: 'small'; readonly n: number; readonly k: number }
  | { readonly kind: 'finite'; readonly negative: boolean; readonly significand: bigint; readonly exponent: number }
  | { readonly kind: 'infinite'; readonly negative: boolean }
  | { readonly kind: 'nan' };

type Small = Extract<LongDouble, { kind: 'small' }>;
type Finite = Extract<LongDouble, { kind: 'finite' }>;
type Infinite = Extract<LongDouble, { kind: 'infinite' }>;

const NAN: LongDouble = { kind: 'nan' };
/** A missing key or field counts as 0. */
export const ZERO: LongDouble = { kind: 'small', n: 0, k: 0 };
const zero = (negative: boolean): Finite => ({ kind: 'finite', negative, significand: 0n, exponent: MIN_UNIT });
const infinity = (negative: boolean): Infinite => ({ kind: 'infinite', negative });

/** False for infinity and NaN, which INCRBYFLOAT and HINCRBYFLOAT refuse to store. */
export const isFiniteLongDouble = (x: LongDouble): boolean => x.kind === 'small' || x.kind === 'finite';

const float64 = new Float64Array(1);
/** The sign and exponent half of `float64` (little-endian, as on x86-64 and ARM). */
const float64High = new Uint32Array(float64.buffer, 4, 1);

/** The number of bits of a positive bigint. */
function bitLength(n: bigint): number {
  const approx = Number(n);
  if (approx === Infinity) {
    const hex = n.toString(16);
    return hex.length * 4 - (Math.clz32(parseInt(hex[0], 16)) - 28);
  }
  float64[0] = approx;
  const bits = (float64High[0] >>> 20) - 1022;
  // Number() rounds to 53 bits and may have carried into the next power of two.
  return n >> BigInt(bits - 1) === 0n ? bits - 1 : bits;
}

/**
 * Rounds (-1)^negative * (n + sticky) * 2^exponent to a long double, where
 * `sticky` stands for a nonzero remainder below n's last bit; a caller that
 * passes it gives n at least PRECISION + 2 bits, so that some bits are dropped.
 */
function round(negative: boolean, n: bigint, exponent: number, sticky: boolean): Finite | Infinite {
  if (n === 0n) return zero(negative);
  let unit = Math.max(bitLength(n) + exponent - PRECISION, MIN_UNIT);
  const drop = unit - exponent;
  let significand: bigint;
  if (drop <= 0) {
    significand = n << BigInt(-drop);
  } else {
    const shift = BigInt(drop);
    significand = n >> shift;
    const rest = n - (significand << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (sticky || (significand & 1n) === 1n))) {
      significand += 1n;
      if (significand === 1n << BigInt(PRECISION)) {
        significand >>= 1n;
        unit++;
      }
    }
  }
  if (unit > MAX_UNIT) return infinity(negative);
  return significand === 0n ? zero(negative) : { kind: 'finite', negative, significand, exponent: unit };
}

/** The canonical form of a number-form value, which is exact: n has at most 53 bits. */
function toFinite(x: Small): Finite {
  const negative = x.n < 0 || Object.is(x.n, -0);
  if (x.n === 0) return zero(negative);
  const n = BigInt(Math.abs(x.n));
  const shift = PRECISION - bitLength(n);
  return { kind: 'finite', negative, significand: n << BigInt(shift), exponent: -x.k - shift };
}

/** The sum, rounded as the x87 FPU rounds it (x + -x is +0, -0 + -0 is -0, inf - inf is NaN). */
export function addLongDouble(x: LongDouble, y: LongDouble): LongDouble {
  if (x.kind === 'small' && y.kind === 'small') {
    const k = Math.max(x.k, y.k);
    const nx = x.n * 2 ** (k - x.k);
    const ny = y.n * 2 ** (k - y.k);
    const n = nx + ny;
    // A safe sum of safe integers was computed exactly.
    if (Number.isSafeInteger(nx) && Number.isSafeInteger(ny) && Number.isSafeInteger(n)) return { kind: 'small', n, k };
  }
  let a = x.kind === 'small' ? toFinite(x) : x;
  let b = y.kind === 'small' ? toFinite(y) : y;
  if (a.kind === 'nan' || b.kind === 'nan') return NAN;
  if (a.kind === 'infinite') return b.kind === 'infinite' && b.negative !== a.negative ? NAN : a;
  if (b.kind === 'infinite') return b;
  if (b.significand === 0n) return a.significand === 0n ? zero(a.negative && b.negative) : a;
  if (a.significand === 0n) return b;
  if (a.exponent < b.exponent) [a, b] = [b, a];
  const gap = a.exponent - b.exponent;
  // a is normal here (its exponent is above MIN_UNIT), and b is below a
  // quarter of a's smallest neighbouring gap, so a + b rounds to a.
  if (gap >= PRECISION + 2) return a;
  const sa = a.significand << BigInt(gap);
  const sum = a.negative === b.negative ? sa + b.significand : sa - b.significand;
  if (sum === 0n) return zero(false);
  return sum < 0n ? round(!a.negative, -sum, b.exponent, false) : round(a.negative, sum, b.exponent, false);
}

/**
 * What Redis's string2ld accepts, as a long double: the whole text (under
 * 5120 bytes, no leading space) is what strtold reads in the C locale — a
 * decimal with an optional exponent, a hex float, `inf` or `infinity` — and
 * is not NaN, nor a finite literal that overflows or underflows to zero.
 * Null otherwise.
 */
export function parseLongDouble(text: string): LongDouble | null {
  const length = text.length;
  if (length === 0 || length >= MAX_TEXT) return null;
  return parseSmall(text) ?? parseGeneral(text);
}

const POWERS_OF_FIVE = Array.from({ length: SMALL_DIGITS + 1 }, (_, i) => 5 ** i);

/** The number form of a short plain decimal whose value is a dyadic fraction (2, -7.5, 0.125); null for anything else. */
function parseSmall(text: string): LongDouble | null {
  const length = text.length;
  if (length > SMALL_DIGITS + 2) return null;
  let i = 0;
  let c = text.charCodeAt(0);
  const negative = c === 45;
  if (negative || c === 43) i++;
  let digits = 0;
  let decimals = -1;
  let d = 0;
  for (; i < length; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      d = d * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) {
      decimals = 0;
    } else {
      return null;
    }
  }
  if (digits === 0 || digits > SMALL_DIGITS) return null;
  const k = decimals < 0 ? 0 : decimals;
  const five = POWERS_OF_FIVE[k];
  if (d % five !== 0) return null;
  const n = d / five;
  return { kind: 'small', n: negative ? -n : n, k };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** An exponent's digits from `i` to the end (after an optional sign), capped; null unless they reach the end. */
function exponentAt(text: string, i: number): number | null {
  let negative = false;
  const c = text.charCodeAt(i);
  if (c === 43 || c === 45) {
    negative = c === 45;
    i++;
  }
  if (i >= text.length) return null;
  let value = 0;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (!isDigit(d)) return null;
    if (value < EXPONENT_CAP) value = value * 10 + (d - 48);
  }
  return negative ? -value : value;
}

function parseGeneral(text: string): LongDouble | null {
  let i = 0;
  const first = text.charCodeAt(0);
  const negative = first === 45;
  if (negative || first === 43) i++;
  const c = text.charCodeAt(i);
  if (isDigit(c) && !(c === 48 && (text.charCodeAt(i + 1) | 32) === 120)) return parseDecimal(text, i, negative);
  const rest = text.slice(i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return infinity(negative);
  if (rest.startsWith('0x')) return parseHex(rest, negative);
  return parseDecimal(rest, 0, negative);
}

/** A finite literal: overflow to infinity and underflow to zero make strtold set ERANGE, which string2ld refuses. */
function literal(value: LongDouble): LongDouble | null {
  return value.kind === 'finite' && value.significand !== 0n ? value : null;
}

/** 10^i for the exponents short decimals need, so that parsing them builds no power. */
const POWERS_OF_TEN = Array.from({ length: 48 }, (_, i) => 10n ** BigInt(i));
const POWER_OF_TEN_BITS = POWERS_OF_TEN.map((p) => p.toString(2).length);
const tenTo = (power: number): bigint => (power < POWERS_OF_TEN.length ? POWERS_OF_TEN[power] : 10n ** BigInt(power));

/** Digits with at most one point from `start`, then an optional exponent `e` (or `E`) reaching the end. */
function parseDecimal(text: string, start: number, negative: boolean): LongDouble | null {
  let i = start;
  let point = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && point < 0) point = i;
    else if (!isDigit(c)) break;
  }
  const end = i;
  if (end - start === (point < 0 ? 0 : 1)) return null;
  let exponent = 0;
  if (i < text.length) {
    if ((text.charCodeAt(i) | 32) !== 101) return null;
    const parsed = exponentAt(text, i + 1);
    if (parsed === null) return null;
    exponent = parsed;
  }
  const digits = point < 0 ? text.slice(start, end) : text.slice(start, point) + text.slice(point + 1, end);
  const decimals = point < 0 ? 0 : end - point - 1;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return zero(negative);
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === 48) last--;
  // value = digits[first, last) * 10^power
  const power = exponent - decimals + (digits.length - last);
  const magnitude = last - first - 1 + power;
  if (magnitude > MAX_DECIMAL_EXP || magnitude < MIN_DECIMAL_EXP) return null;
  const d = BigInt(first === 0 && last === digits.length ? digits : digits.slice(first, last));
  if (power >= 0) return literal(round(negative, d * tenTo(power), 0, false));
  const divisor = tenTo(-power);
  const divisorBits = -power < POWER_OF_TEN_BITS.length ? POWER_OF_TEN_BITS[-power] : bitLength(divisor);
  // Enough quotient bits for PRECISION + 2 and a remainder for the sticky bit.
  const shift = Math.max(0, divisorBits - bitLength(d) + PRECISION + 2);
  const scaled = d << BigInt(shift);
  const quotient = scaled / divisor;
  return literal(round(negative, quotient, -shift, quotient * divisor !== scaled));
}

/** After "0x": hex digits with an optional point, at least one digit, then an optional binary exponent `p`. */
function parseHex(text: string, negative: boolean): LongDouble | null {
  let i = 2;
  let digits = '';
  let fractionDigits = 0;
  let seenPoint = false;
  let anyDigit = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (hexValue(c) >= 0) {
      anyDigit = true;
      digits += text[i];
      if (seenPoint) fractionDigits++;
    } else if (c === 46 && !seenPoint) {
      seenPoint = true;
    } else {
      break;
    }
  }
  // strtold then reads just the "0" before the x, which leaves text over.
  if (!anyDigit) return null;
  let exponent = 0;
  if (i < text.length) {
    if (text.charCodeAt(i) !== 112) return null;
    const parsed = exponentAt(text, i + 1);
    if (parsed === null) return null;
    exponent = parsed;
  }
  const n = BigInt('0x' + digits);
  if (n === 0n) return zero(negative);
  return literal(round(negative, n, exponent - 4 * fractionDigits, false));
}

/**
 * Redis's human format (ld2string with LD_STR_HUMAN): "%.17Lf" — the exact
 * binary value rounded to 17 decimals, ties to even — with trailing zeros and
 * a bare point dropped and "-0" written "0". Infinity prints as `inf`/`-inf`.
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  switch (x.kind) {
    case 'small':
      return formatSmall(x.n, x.k);
    case 'infinite':
      return x.negative ? '-inf' : 'inf';
    case 'nan':
      return 'nan';
    case 'finite':
      break;
  }
  const { negative, significand, exponent } = x;
  let text: string;
  if (exponent >= 0) {
    text = (significand << BigInt(exponent)).toString();
  } else {
    const shift = BigInt(-exponent);
    const scaled = significand * TEN_TO_DECIMALS;
    let units = scaled >> shift;
    const rest = scaled - (units << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (units & 1n) === 1n)) units += 1n;
    const digits = units.toString().padStart(DECIMALS + 1, '0');
    const point = digits.length - DECIMALS;
    let end = digits.length;
    while (end > point && digits.charCodeAt(end - 1) === 48) end--;
    text = end === point ? digits.slice(0, point) : `${digits.slice(0, point)}.${digits.slice(point, end)}`;
  }
  return negative && text !== '0' ? '-' + text : text;
}

/** n / 2^k printed exactly: its decimals are F * 5^k over 10^k for the fraction's numerator F, at most 15 of them. */
function formatSmall(n: number, k: number): string {
  const abs = Math.abs(n);
  const scale = 2 ** k;
  const whole = Math.floor(abs / scale);
  const numerator = abs - whole * scale;
  let text = String(whole);
  if (numerator !== 0) {
    let end = k;
    const decimals = String(numerator * POWERS_OF_FIVE[k]).padStart(k, '0');
    while (decimals.charCodeAt(end - 1) === 48) end--;
    text += '.' + decimals.slice(0, end);
  }
  return n < 0 ? '-' + text : text;
}
