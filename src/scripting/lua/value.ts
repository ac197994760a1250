/**
 * Lua 5.1 values as JS values. nil is `undefined`, booleans and numbers are
 * JS booleans and doubles (Lua 5.1's numbers are doubles too), strings are JS
 * strings holding one byte per UTF-16 unit (latin1, the server's key and value
 * form, so scripts and the keyspace exchange strings without conversion),
 * tables are LuaTable, functions are JS functions, and the one userdata a
 * script can meet (cjson.null) is a LuaUserdata.
 *
 * Calling convention: a Lua function takes its arguments as JS arguments
 * (missing ones are undefined, i.e. nil) and returns an array of its results.
 * The array returned belongs to the caller only for reading: callers never
 * mutate it, so a function may return the shared NO_VALUES.
 */
import type { LuaTable } from './table.js';

export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction | LuaUserdata;

/** A light userdata: a C pointer to Lua 5.1, with no metatable. Redis's scripts see one, cjson.null (NULL). */
export class LuaUserdata {
  /** How tostring prints it after "userdata: " (glibc's %p: "(nil)" for NULL). */
  constructor(readonly address: string) {}
}
export type LuaFunction = (...args: LuaValue[]) => LuaValue[];

export const NO_VALUES: LuaValue[] = [];

/**
 * A raised Lua error: `value` is what `error()` was given (any Lua value), or
 * the message a runtime error built, already prefixed with its position.
 * It does not extend Error: pcall-heavy scripts would pay for a JS stack
 * trace on every raise.
 */
export class LuaError {
  constructor(readonly value: LuaValue) {}
}

/**
 * Where the running code is, for the "chunk:line:" prefix of errors raised by
 * library functions (Lua's luaL_where at level 1). Compiled code stores the
 * prefix of the calling line here just before each call.
 */
export const where = { pos: '' };

/** Raise an error from a library function, positioned at the calling line, as luaL_error does. */
export function raise(message: string): never {
  throw new LuaError(where.pos + message);
}

/** luaL_argerror: "bad argument #n to 'fname' (message)". */
export function argError(n: number, fname: string, message: string): never {
  raise(`bad argument #${n} to '${fname}' (${message})`);
}

/** The name Lua's type() gives a value. */
export function typeName(v: LuaValue): string {
  switch (typeof v) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'function':
      return 'function';
    default:
      return v instanceof LuaUserdata ? 'userdata' : 'table';
  }
}

/** luaL_typerror: "bad argument #n to 'f' (number expected, got nil)"; "no value" when the argument is absent. */
export function typeError(n: number, fname: string, expected: string, args: ArrayLike<LuaValue>): never {
  const got = n > args.length ? 'no value' : typeName(args[n - 1]);
  argError(n, fname, `${expected} expected, got ${got}`);
}
