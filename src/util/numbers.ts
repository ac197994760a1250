/**
 * Numbers as Redis reads and writes them: strict 64-bit integers (string2ll),
 * and C-style doubles (strtod); INCRBYFLOAT's long doubles are in store/longdouble.ts.
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** A 64-bit integer: a number while it is exactly representable, a bigint beyond. */
export type Int64 = number | bigint;

const INTEGER_SYNTAX = /^-?[1-9][0-9]*$/;

/**
 * Parses a string holding exactly a 64-bit signed integer, as Redis's
 * string2ll: no '+', no spaces, no leading zeros; null otherwise.
 */
export function parseInt64(text: string): Int64 | null {
  const length = text.length;
  if (length === 0 || length > 20) return null;
  if (text === '0') return 0;
  if (length < 16) {
    // Short enough to be exact as a number: digits added up, cheaper than a pattern and Number().
    const negative = text.charCodeAt(0) === 0x2d; // '-'
    let i = negative ? 1 : 0;
    let value = text.charCodeAt(i) - 0x30;
    if (!(value >= 1 && value <= 9)) return null;
    for (i++; i < length; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }
  if (!INTEGER_SYNTAX.test(text)) return null;
  const big = BigInt(text);
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

/** C's atoi: optional blanks and sign, then as many digits as there are; 0 when none. */
export function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return match ? Number.parseInt(match[1], 10) : 0;
}

/** Normalizes a bigint result back to a number when it fits exactly. */
export function toInt64(value: bigint): Int64 {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** `a + b` when it stays within 64 bits, null on overflow. */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  return sum > INT64_MAX || sum < INT64_MIN ? null : toInt64(sum);
}

/**
 * Whether `text` is a plain decimal float, `[+-]digits[.digits][e[+-]digits]`
 * or `[+-].digits[e...]`, which Number() reads as strtod does: checked a
 * character at a time, the commonest case of every score and coordinate.
 */
function isDecimal(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i); // '+', '-'
  let digits = 0;
  while (c >= 0x30 && c <= 0x39) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (c === 0x2e) { // '.'
    c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (i === n) return true;
  if (c !== 0x65 && c !== 0x45) return false; // 'e', 'E'
  c = text.charCodeAt(++i);
  if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
  const exponentStart = i;
  while (c >= 0x30 && c <= 0x39) c = text.charCodeAt(++i);
  return i > exponentStart && i === n;
}

/**
 * Parses a float as C's strtold would accept the whole string: decimal or
 * exponent notation, `inf`/`infinity`, hex floats; null for anything else,
 * including leading or trailing spaces, an empty string and NaN.
 */
export function parseFloat64(text: string): number | null {
  if (text.length === 0 || text.length > 5000) return null;
  const first = text.charCodeAt(0);
  if (first === 32 || (first >= 9 && first <= 13)) return null;
  if (isDecimal(text)) return Number(text);
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const hex = /^([+-]?)0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/i.exec(text);
  if (hex && (hex[2] || hex[3])) {
    const mantissa = parseInt(hex[2] || '0', 16) + (hex[3] ? parseInt(hex[3], 16) / 16 ** hex[3].length : 0);
    const value = mantissa * 2 ** Number(hex[4] ?? 0);
    return hex[1] === '-' ? -value : value;
  }
  return null;
}

/**
 * C's `%.<decimals>f` of a double: the exact binary value rounded to
 * `decimals` places, ties to even (toFixed breaks them upward), no exponent
 * form for large magnitudes, `inf` and `-inf`. Exact ties are rare: the
 * value must have exactly decimals+1 fractional bits.
 */
export function formatFixed(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (magnitude >= 1e21) return `${sign}${BigInt(magnitude)}${decimals > 0 ? '.' + '0'.repeat(decimals) : ''}`;
  const scaled = magnitude * 2 ** (decimals + 1);
  const tie = Number.isInteger(scaled) && !Number.isInteger(magnitude * 2 ** decimals);
  let text = magnitude.toFixed(decimals);
  if (tie) {
    // toFixed went up; keep the even neighbour instead when that made the last digit odd.
    const digits = text.replace('.', '');
    if (Number(digits[digits.length - 1]) % 2 === 1) {
      const lowered = (BigInt(digits) - 1n).toString().padStart(digits.length, '0');
      text = decimals > 0 ? `${lowered.slice(0, -decimals) || '0'}.${lowered.slice(-decimals)}` : lowered;
    }
  }
  return sign + text;
}
