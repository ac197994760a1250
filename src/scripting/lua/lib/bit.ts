/**
 * The `bit` library: LuaBitOp 1.0.2 as Redis bundles it (deps/lua/src/lua_bit.c).
 *
 * Every argument goes through the library's normalisation: the number plus
 * 2^52+2^51, in double arithmetic, whose low 32 bits of the IEEE encoding are
 * the operand (so fractions round half to even and any number wraps modulo
 * 2^32); results are those 32 bits read as a signed integer. A value that is
 * not a number (nor a numeric string) becomes 0 under lua_tonumber, and only
 * then does the library notice it and raise "number expected".
 */
import { LuaTable } from '../table.js';
import { typeError, type LuaFunction, type LuaValue } from '../value.js';
import { toNumber } from './args.js';

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** barg(): the operand as an unsigned 32-bit integer (a JS number in 0..2^32-1). */
function barg(args: ArrayLike<LuaValue>, n: number, fname: string): number {
  const num = toNumber(args[n - 1]);
  scratch[0] = (num === undefined ? 0 : num) + 6755399441055744.0;
  const b = scratchBits[0];
  if (b === 0 && num === undefined) typeError(n, fname, 'number', args);
  return b;
}

/** BRET: the 32 bits as a signed integer. */
function ret(b: number): LuaValue[] {
  return [b | 0];
}

function bitOp(fname: string, op: (a: number, b: number) => number): LuaFunction {
  return (...args) => {
    let b = barg(args, 1, fname);
    // The C loop goes from the last argument down to the second.
    for (let i = args.length; i > 1; i--) b = op(b, barg(args, i, fname));
    return ret(b);
  };
}

function shiftOp(fname: string, op: (b: number, n: number) => number): LuaFunction {
  return (...args) => {
    const b = barg(args, 1, fname);
    const n = barg(args, 2, fname) & 31;
    return ret(op(b, n));
  };
}

const LOWER = '0123456789abcdef';
const UPPER = '0123456789ABCDEF';

function tohex(...args: LuaValue[]): LuaValue[] {
  let b = barg(args, 1, 'tohex');
  let n = args.length < 2 ? 8 : barg(args, 2, 'tohex') | 0;
  let digits = LOWER;
  if (n < 0) {
    // -(-2^31) overflows in C (undefined behaviour); we print 8 uppercase digits.
    n = n === -2147483648 ? 8 : -n;
    digits = UPPER;
  }
  if (n > 8) n = 8;
  let s = '';
  for (let i = 0; i < n; i++) {
    s = digits[b & 15] + s;
    b >>>= 4;
  }
  return [s];
}

/** The `bit` table, created as luaL_register creates it: lua_createtable(0, 12), functions in the C order. */
export function createBitLib(): LuaTable {
  const funcs: [string, LuaFunction][] = [
    ['tobit', (...args) => ret(barg(args, 1, 'tobit'))],
    ['bnot', (...args) => ret(~barg(args, 1, 'bnot'))],
    ['band', bitOp('band', (a, b) => a & b)],
    ['bor', bitOp('bor', (a, b) => a | b)],
    ['bxor', bitOp('bxor', (a, b) => a ^ b)],
    ['lshift', shiftOp('lshift', (b, n) => b << n)],
    ['rshift', shiftOp('rshift', (b, n) => b >>> n)],
    ['arshift', shiftOp('arshift', (b, n) => (b | 0) >> n)],
    // x86 masks 32-bit shift counts to 5 bits, so a rotation by 0 shifts by 0 twice, as JS does.
    ['rol', shiftOp('rol', (b, n) => (b << n) | (b >>> (32 - n)))],
    ['ror', shiftOp('ror', (b, n) => (b << (32 - n)) | (b >>> n))],
    [
      'bswap',
      (...args) => {
        const b = barg(args, 1, 'bswap');
        return ret((b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
      },
    ],
    ['tohex', tohex],
  ];
  const t = new LuaTable(0, funcs.length);
  for (const [name, f] of funcs) t.setStr(name, f);
  return t;
}
