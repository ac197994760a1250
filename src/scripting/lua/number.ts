/**
 * Number <-> string conversions with Lua 5.1's (that is, C's) rules:
 * numbers print as printf's "%.14g" and strings convert as strtod does,
 * including hexadecimal and trailing whitespace.
 */

/** C's isspace in the "C" locale. */
export function isCSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** glibc prints the sign of a NaN: x86's arithmetic makes negative ones ("-nan"), negating one gives "nan". */
export function nanText(n: number): string {
  bits[0] = n;
  return words[1] >>> 31 ? '-nan' : 'nan';
}

/** Whether the sign bit of n is set (negative numbers, -0 and negative NaNs). */
export function signBit(n: number): boolean {
  bits[0] = n;
  return words[1] >>> 31 === 1;
}

// v = oddM * 2^oddE with oddM odd, for a finite v > 0 (set by oddParts).
let oddM = 0;
let oddE = 0;

function oddParts(v: number): void {
  bits[0] = v;
  const hi = words[1];
  const biased = (hi >>> 20) & 0x7ff;
  let m = (hi & 0xfffff) * 4294967296 + words[0];
  let e: number;
  if (biased === 0) e = -1074;
  else {
    m += 4503599627370496;
    e = biased - 1075;
  }
  while (m % 2 === 0) {
    m /= 2;
    e++;
  }
  oddM = m;
  oddE = e;
}

/**
 * printf("%.<p>f", v) for a finite v >= 0, as glibc prints it: the exact
 * binary value rounded to p decimals, ties to even. JS's toFixed is exact too
 * but breaks ties upward and switches to exponent form from 1e21, so those
 * cases are done with BigInt arithmetic. A tie needs the exact expansion to
 * end in its 5 just past the cut: v = m * 2^e (m odd, e < 0) has exactly -e
 * decimals, so only -e === p + 1 can tie.
 */
export function fixedText(v: number, p: number): string {
  if (v === 0) return p === 0 ? '0' : '0.' + '0'.repeat(p);
  oddParts(v);
  if (v < 1e21 && -oddE !== p + 1) return v.toFixed(p);
  const m = BigInt(oddM);
  let q: bigint;
  if (oddE >= 0) q = (m << BigInt(oddE)) * 10n ** BigInt(p);
  else {
    const num = m * 10n ** BigInt(p);
    const sh = BigInt(-oddE);
    q = num >> sh;
    const r = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (p === 0) return s;
  if (s.length <= p) s = '0'.repeat(p + 1 - s.length) + s;
  return s.slice(0, s.length - p) + '.' + s.slice(s.length - p);
}

/**
 * printf("%.<p>e", v) for a finite v >= 0 in JS's toExponential form
 * ("d.ddde+X"), rounded as glibc does (exactly, ties to even). Ties are
 * possible only where the exact expansion's last digit (a 5 at 10^e for
 * v = m * 2^e, e < 0) falls just past the cut, or for large integers; those
 * go through BigInt arithmetic.
 */
export function expText(v: number, p: number): string {
  const t = v.toExponential(p);
  if (v === 0) return t;
  oddParts(v);
  let slow: boolean;
  if (oddE < 0) {
    const x = Number(t.slice(t.indexOf('e') + 1));
    const cut = oddE + p + 1;
    slow = x === cut || x - 1 === cut;
  } else slow = v >= Math.min(10 ** (p + 1), 1e21);
  if (!slow) return t;
  const m = BigInt(oddM);
  let num: bigint;
  let den: bigint;
  if (oddE >= 0) {
    num = m << BigInt(oddE);
    den = 1n;
  } else {
    num = m;
    den = 1n << BigInt(-oddE);
  }
  // k = floor(log10(v)) exactly.
  let k = Math.floor(Math.log10(v));
  const atLeast = (j: number): boolean => (j >= 0 ? num >= den * 10n ** BigInt(j) : num * 10n ** BigInt(-j) >= den);
  while (!atLeast(k)) k--;
  while (atLeast(k + 1)) k++;
  const shift = p - k;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  let q = num / den;
  const r2 = (num - q * den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  let digits = q.toString();
  if (digits.length > p + 1) {
    digits = digits.slice(0, p + 1);
    k++;
  }
  return `${digits[0]}${p > 0 ? '.' + digits.slice(1) : ''}e${k < 0 ? '-' : '+'}${Math.abs(k)}`;
}

/**
 * printf("%.<precision>g", n) as glibc prints it (exact rounding, ties to
 * even); `alternate` is the '#' flag (keep trailing zeros and the point).
 */
export function formatG(n: number, precision: number, alternate = false): string {
  if (n !== n) return nanText(n);
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const p = precision === 0 ? 1 : precision;
  const neg = n < 0 || (n === 0 && 1 / n < 0);
  const a = neg ? -n : n;
  const exp = expText(a, p - 1);
  const ePos = exp.indexOf('e');
  const x = Number(exp.slice(ePos + 1));
  let out: string;
  if (x < -4 || x >= p) {
    let mantissa = exp.slice(0, ePos);
    if (!alternate) mantissa = stripZeros(mantissa);
    else if (p === 1) mantissa += '.';
    const ax = x < 0 ? -x : x;
    out = `${mantissa}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else {
    // The precision %f gets is the one that cuts at the same digit.
    const digits = p - 1 - x;
    const fixed = fixedText(a, digits);
    out = alternate ? (digits === 0 ? fixed + '.' : fixed) : stripZeros(fixed);
  }
  return neg ? '-' + out : out;
}

function stripZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
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
