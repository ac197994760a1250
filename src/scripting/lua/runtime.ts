/**
 * PLACEHOLDER: the interpreter's operations (metamethod-aware). The real file replaces this.
 */
import { numberToString } from './number.js';
import { LuaTable } from './table.js';
import { raise, type LuaFunction, type LuaValue } from './value.js';

/** Call any Lua value (a function, or a value with __call) with the given arguments. */
export function callValue(f: LuaValue, args: LuaValue[]): LuaValue[] {
  if (typeof f === 'function') return (f as LuaFunction)(...args);
  raise('attempt to call a ' + (f instanceof LuaTable ? 'table' : typeof f) + ' value');
}

/** Lua's tostring(), honouring __tostring. */
export function tostring(v: LuaValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return typeof v === 'function' ? 'function: 0x0' : 'table: 0x0';
}
