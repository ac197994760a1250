/**
 * Lua 5.1's math library, with math.random and math.randomseed on Redis's
 * own generator (its redisLrand48, a 48-bit linear congruential generator),
 * whose state carries on from server start across scripts, as in Redis 7.0.
 */
import { argError, raise } from '../value.js';
import type { LuaValue } from '../value.js';
import { checkInteger, checkNumber, libraryTable } from './args.js';
import type { LuaTable } from '../table.js';

const MULTIPLIER = 0x5deece66dn;
const INCREMENT = 0xbn;
const MASK48 = (1n << 48n) - 1n;
/** Redis's REDIS_LRAND48_MAX: INT32_MAX. */
const LRAND48_MAX = 2147483647;

/** lrand48's state; Redis never seeds it at start, so it begins at lrand48's default. */
let state = 0x1234abcd330en;

function lrand48(): number {
  state = (state * MULTIPLIER + INCREMENT) & MASK48;
  return Number(state >> 17n);
}

/** redisSrand48: the seed's 32 bits above lrand48's fixed low word. */
function srand48(seed: number): void {
  state = ((BigInt(seed) & 0xffffffffn) << 16n) | 0x330en;
}

/** frexp: mantissa in [0.5, 1) and exponent, exact. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * 2 ** -e;
  while (Math.abs(m) < 0.5) {
    m *= 2;
    e--;
  }
  while (Math.abs(m) >= 1) {
    m /= 2;
    e++;
  }
  return [m, e];
}

function ldexp(m: number, e: number): number {
  // Two steps keep 2^e finite when e is beyond the double range but the product is not.
  const half = Math.trunc(e / 2);
  return m * 2 ** half * 2 ** (e - half);
}

const one = (f: (x: number) => number, name: string) => (...args: LuaValue[]) => [f(checkNumber(args, 1, name))];

function fmod(...args: LuaValue[]): LuaValue[] {
  return [checkNumber(args, 1, 'fmod') % checkNumber(args, 2, 'fmod')];
}

export function createMathLib(): LuaTable {
  return libraryTable({
    abs: one(Math.abs, 'abs'),
    ceil: one(Math.ceil, 'ceil'),
    floor: one(Math.floor, 'floor'),
    sqrt: one(Math.sqrt, 'sqrt'),
    sin: one(Math.sin, 'sin'),
    cos: one(Math.cos, 'cos'),
    tan: one(Math.tan, 'tan'),
    asin: one(Math.asin, 'asin'),
    acos: one(Math.acos, 'acos'),
    atan: one(Math.atan, 'atan'),
    exp: one(Math.exp, 'exp'),
    log: one(Math.log, 'log'),
    log10: one(Math.log10, 'log10'),
    cosh: one(Math.cosh, 'cosh'),
    sinh: one(Math.sinh, 'sinh'),
    tanh: one(Math.tanh, 'tanh'),
    deg: one((x) => x * (180 / Math.PI), 'deg'),
    rad: one((x) => x * (Math.PI / 180), 'rad'),
    atan2: (...args) => [Math.atan2(checkNumber(args, 1, 'atan2'), checkNumber(args, 2, 'atan2'))],
    pow: (...args) => [Math.pow(checkNumber(args, 1, 'pow'), checkNumber(args, 2, 'pow'))],
    fmod,
    mod: fmod,
    modf: (...args) => {
      const x = checkNumber(args, 1, 'modf');
      const ip = x >= 0 ? Math.floor(x) : Math.ceil(x);
      return [ip, Number.isFinite(x) ? x - ip : 0];
    },
    frexp: (...args) => frexp(checkNumber(args, 1, 'frexp')),
    ldexp: (...args) => [ldexp(checkNumber(args, 1, 'ldexp'), checkInteger(args, 2, 'ldexp'))],
    min: (...args) => {
      let m = checkNumber(args, 1, 'min');
      for (let i = 2; i <= args.length; i++) {
        const v = checkNumber(args, i, 'min');
        if (v < m) m = v;
      }
      return [m];
    },
    max: (...args) => {
      let m = checkNumber(args, 1, 'max');
      for (let i = 2; i <= args.length; i++) {
        const v = checkNumber(args, i, 'max');
        if (v > m) m = v;
      }
      return [m];
    },
    huge: Infinity,
    pi: Math.PI,
    random: (...args) => {
      const r = (lrand48() % LRAND48_MAX) / LRAND48_MAX;
      switch (args.length) {
        case 0:
          return [r];
        case 1: {
          const u = checkInteger(args, 1, 'random');
          if (u < 1) argError(1, 'random', 'interval is empty');
          return [Math.floor(r * u) + 1];
        }
        case 2: {
          const l = checkInteger(args, 1, 'random');
          const u = checkInteger(args, 2, 'random');
          if (l > u) argError(2, 'random', 'interval is empty');
          return [Math.floor(r * (u - l + 1)) + l];
        }
        default:
          raise('wrong number of arguments');
      }
    },
    randomseed: (...args) => {
      srand48(checkInteger(args, 1, 'randomseed'));
      return [];
    },
  });
}
