/**
 * Numbers as Redis reads and writes them: strict 64-bit integers (string2ll),
 * C-style floats (strtold), and INCRBYFLOAT's human formatting.
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
  if (text.length === 0 || text.length > 20) return null;
  if (text === '0') return 0;
  if (!INTEGER_SYNTAX.test(text)) return null;
  if (text.length < 16) return Number(text);
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
 * Parses a float as C's strtold would accept the whole string: decimal or
 * exponent notation, `inf`/`infinity`, hex floats; null for anything else,
 * including leading or trailing spaces, an empty string and NaN.
 */
export function parseFloat64(text: string): number | null {
  if (text.length === 0 || text.length > 5000) return null;
  const first = text.charCodeAt(0);
  if (first === 32 || (first >= 9 && first <= 13)) return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
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
 * Formats as Redis's human long-double output (`%.17Lf`, trailing zeros
 * trimmed): never exponent notation, `0` rather than `-0`.
 */
export function formatHumanFloat(value: number): string {
  if (value === 0) return '0';
  if (Number.isInteger(value)) return BigInt(value).toString();
  const text = String(value);
  if (!text.includes('e')) return text;
  // Tiny magnitudes: fixed notation with 17 decimals, as %.17Lf prints them.
  const fixed = value.toFixed(17).replace(/\.?0+$/, '');
  return fixed === '-0' || fixed === '' ? '0' : fixed;
}

const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
/** Redis prints INCRBYFLOAT results with at most 17 decimals. */
const MAX_DECIMALS = 17;

/**
 * Adds two plain decimal strings exactly. Redis does INCRBYFLOAT in long
 * double, whose extra precision hides binary rounding for ordinary inputs
 * (0.1 + 0.2 prints as 0.3); exact decimal arithmetic gives those same
 * answers. Null when either is not a plain decimal (exponents, inf) or has
 * more decimals than Redis prints: the caller then adds doubles.
 */
export function addDecimals(a: string, b: string): string | null {
  const ma = PLAIN_DECIMAL.exec(a);
  const mb = PLAIN_DECIMAL.exec(b);
  if (!ma || !mb || (ma[2] === '' && !ma[3]) || (mb[2] === '' && !mb[3])) return null;
  const scale = Math.max(ma[3]?.length ?? 0, mb[3]?.length ?? 0);
  if (scale > MAX_DECIMALS) return null;
  const scaled = (m: RegExpExecArray): bigint => {
    const digits = BigInt((m[2] || '0') + (m[3] ?? '').padEnd(scale, '0'));
    return m[1] === '-' ? -digits : digits;
  };
  const sum = scaled(ma) + scaled(mb);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}
