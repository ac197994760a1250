/**
 * Number <-> string conversions with Lua 5.1's (that is, C's) rules:
 * numbers print as printf's "%.14g" and strings convert as strtod does,
 * including hexadecimal and trailing whitespace.
 */

/** C's isspace in the "C" locale. */
export function isCSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * printf("%.<precision>g", n). JS rounds a tie away from zero where glibc
 * rounds it to even; ties only arise for values whose exact decimal form ends
 * just past the precision, so integers are rounded by hand.
 */
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** glibc prints the sign of a NaN: x86's arithmetic makes negative ones ("-nan"), negating one gives "nan". */
export function nanText(n: number): string {
  bits[0] = n;
  return words[1] >>> 31 ? '-nan' : 'nan';
}

export function formatG(n: number, precision: number, alternate = false): string {
  if (n !== n) return nanText(n);
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const p = precision === 0 ? 1 : precision;
  let exp: string = n.toExponential(p - 1);
  if (Number.isInteger(n) && Math.abs(n) >= 10 ** p && Math.abs(n) < 2 ** 64) exp = roundIntegerHalfEven(n, p);
  const ePos = exp.indexOf('e');
  const x = Number(exp.slice(ePos + 1));
  if (x < -4 || x >= p) {
    let mantissa = exp.slice(0, ePos);
    if (!alternate) mantissa = stripZeros(mantissa);
    const ax = Math.abs(x);
    return `${mantissa}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  }
  // Re-round in fixed notation from the exponent form, so both forms agree on the digits.
  const digits = p - 1 - x;
  const fixed = Number(exp).toFixed(digits);
  if (alternate) return digits === 0 ? fixed + '.' : fixed;
  return stripZeros(fixed);
}

function stripZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

function roundIntegerHalfEven(n: number, p: number): string {
  const neg = n < 0;
  const digits = BigInt(Math.abs(n)).toString();
  const keep = digits.slice(0, p);
  const rest = digits.slice(p);
  let kept = BigInt(keep);
  const half = '5' + '0'.repeat(rest.length - 1);
  if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  let s = kept.toString();
  let x = digits.length - 1;
  if (s.length > p) {
    s = s.slice(0, p);
    x++;
  }
  const mantissa = s.length > 1 ? `${s[0]}.${s.slice(1)}` : s;
  return `${neg ? '-' : ''}${mantissa}e+${x}`;
}

/** Lua's tostring/concatenation form of a number: "%.14g". */
export function numberToString(n: number): string {
  if (Number.isInteger(n) && n > -1e14 && n < 1e14) return (n === 0 && 1 / n < 0) ? '-0' : String(n);
  return formatG(n, 14);
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/;
const SPECIAL = /^([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i;

/**
 * luaO_str2d: strtod over the whole string, allowing surrounding whitespace;
 * undefined when the string is not a number.
 */
export function stringToNumber(s: string): number | undefined {
  let start = 0;
  const len = s.length;
  while (start < len && isCSpace(s.charCodeAt(start))) start++;
  let end = len;
  while (end > start && isCSpace(s.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  const body = start === 0 && end === len ? s : s.slice(start, end);
  let m = HEX.exec(body);
  if (m !== null && (m[2].length > 0 || (m[3] !== undefined && m[3].length > 0))) {
    if (m[0].length !== body.length) return undefined;
    let value = m[2].length > 0 ? parseInt(m[2], 16) : 0;
    if (m[2].length > 13) value = Number(BigInt('0x' + m[2]));
    if (m[3] !== undefined) for (let i = 0; i < m[3].length; i++) value += parseInt(m[3][i], 16) / 16 ** (i + 1);
    if (m[4] !== undefined) value *= 2 ** Number(m[4]);
    return m[1] === '-' ? -value : value;
  }
  m = SPECIAL.exec(body);
  if (m !== null) {
    if (m[0].length !== body.length) return undefined;
    const value = m[2][0] === 'i' || m[2][0] === 'I' ? Infinity : NaN;
    return m[1] === '-' ? -value : value;
  }
  m = DECIMAL.exec(body);
  if (m === null || m[0].length !== body.length) return undefined;
  return Number(body);
}
