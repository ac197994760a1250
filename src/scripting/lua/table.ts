/**
 * PLACEHOLDER until the PUC-layout table lands: same interface, Map-backed.
 */
import type { LuaValue } from './value.js';

export class LuaTable {
  metatable: LuaTable | undefined = undefined;
  private readonly map = new Map<LuaValue, LuaValue>();

  /** lua_createtable(narr, nrec): room for narr array slots and nrec hash nodes. */
  constructor(_narr = 0, _nrec = 0) {}

  /** Raw get (no metamethods). Any key; nil for absent. */
  get(key: LuaValue): LuaValue {
    if (typeof key === 'number' && key === 0) key = 0;
    return this.map.get(key);
  }
  getStr(key: string): LuaValue {
    return this.map.get(key);
  }
  getInt(key: number): LuaValue {
    return this.map.get(key);
  }
  /** Raw set. The caller has checked that key is neither nil nor NaN. Setting nil removes. */
  set(key: LuaValue, value: LuaValue): void {
    if (typeof key === 'number' && key === 0) key = 0;
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, value);
  }
  setStr(key: string, value: LuaValue): void {
    this.set(key, value);
  }
  setInt(key: number, value: LuaValue): void {
    this.set(key, value);
  }
  /** `#t`: a border, chosen as luaH_getn chooses it. */
  length(): number {
    let n = 0;
    while (this.map.get(n + 1) !== undefined) n++;
    return n;
  }
  /** next(t, key): the following key and its value, or undefined after the last. Throws LuaError "invalid key to 'next'". */
  next(key: LuaValue): [LuaValue, LuaValue] | undefined {
    let found = key === undefined;
    for (const [k, v] of this.map) {
      if (found) return [k, v];
      if (k === key) found = true;
    }
    return undefined;
  }
  /** Grow the array part to at least n slots (the table constructor's SETLIST does this). */
  resizeArray(_n: number): void {}
}
