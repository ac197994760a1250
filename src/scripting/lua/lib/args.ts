/**
 * Argument checks for library functions, as lauxlib's luaL_check* and
 * luaL_opt* do them: numbers accept numeric strings, strings accept numbers,
 * and failures raise Lua's "bad argument" errors at the caller's line.
 */
import { numberToString, stringToNumber } from '../number.js';
import { LuaTable } from '../table.js';
import { argError, typeError, type LuaValue } from '../value.js';

/** The value as a number if Lua would coerce it (lua_tonumber), else undefined. */
export function toNumber(v: LuaValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return stringToNumber(v);
  return undefined;
}

/** The value as a string if Lua would coerce it (lua_tolstring), else undefined. */
export function toStringCoerce(v: LuaValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  return undefined;
}

/** lua_Integer cast of a checked number: truncation toward zero, as (ptrdiff_t)d on x86-64. */
export function toInteger(n: number): number {
  if (n !== n) return -(2 ** 63);
  const t = Math.trunc(n);
  if (t >= 2 ** 63 || t < -(2 ** 63)) return -(2 ** 63);
  return t;
}

export function checkNumber(args: ArrayLike<LuaValue>, n: number, fname: string): number {
  const v = toNumber(args[n - 1]);
  if (v === undefined) typeError(n, fname, 'number', args);
  return v;
}

export function checkInteger(args: ArrayLike<LuaValue>, n: number, fname: string): number {
  return toInteger(checkNumber(args, n, fname));
}

export function optNumber(args: ArrayLike<LuaValue>, n: number, fname: string, def: number): number {
  return args[n - 1] === undefined ? def : checkNumber(args, n, fname);
}

export function optInteger(args: ArrayLike<LuaValue>, n: number, fname: string, def: number): number {
  return args[n - 1] === undefined ? def : checkInteger(args, n, fname);
}

export function checkString(args: ArrayLike<LuaValue>, n: number, fname: string): string {
  const v = toStringCoerce(args[n - 1]);
  if (v === undefined) typeError(n, fname, 'string', args);
  return v;
}

export function optString(args: ArrayLike<LuaValue>, n: number, fname: string, def: string): string {
  return args[n - 1] === undefined ? def : checkString(args, n, fname);
}

export function checkTable(args: ArrayLike<LuaValue>, n: number, fname: string): LuaTable {
  const v = args[n - 1];
  if (!(v instanceof LuaTable)) typeError(n, fname, 'table', args);
  return v;
}

/** luaL_checkany: "bad argument #n to 'f' (value expected)". */
export function checkAny(args: ArrayLike<LuaValue>, n: number, fname: string): void {
  if (n > args.length) argError(n, fname, 'value expected');
}

/** A library table from a record of functions. */
export function libraryTable(functions: Record<string, LuaValue>): LuaTable {
  const t = new LuaTable();
  for (const name of Object.keys(functions)) t.set(name, functions[name]);
  return t;
}
