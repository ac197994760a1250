/**
 * Lua 5.1's base library, as far as Redis's sandbox keeps it (no print,
 * dofile, loadfile, require, getfenv or setfenv), plus the coroutine table's
 * names, whose functions refuse: compiled code runs on the JS stack, which
 * cannot be suspended.
 */
import { numberToString } from '../number.js';
import { callValue, metatableOf, tostring } from '../runtime.js';
import { LuaTable } from '../table.js';
import { LuaError, NO_VALUES, argError, raise, typeError, typeName, where, type LuaFunction, type LuaValue } from '../value.js';
import { checkAny, checkInteger, checkString, checkTable, libraryTable, optInteger, optString, toNumber } from './args.js';

/** Compiles a chunk for load/loadstring; throws LuaError with the syntax error. */
export type ChunkCompiler = (source: string, chunkName: string) => LuaFunction;

/** Lua's LUAI_MAXCSTACK: the most values one C call may push, which bounds unpack. */
const MAX_C_STACK = 8000;

/** Lua's LUA_IDSIZE: the longest chunk name error messages show. */
const ID_SIZE = 60;

/** luaO_chunkid: how error messages name a chunk. */
export function chunkId(source: string): string {
  // PUC reads the name as a C string: it ends at the first NUL.
  const nul = source.indexOf('\0');
  if (nul >= 0) source = source.slice(0, nul);
  if (source.startsWith('=')) return source.slice(1, ID_SIZE);
  if (source.startsWith('@')) {
    const name = source.slice(1);
    const room = ID_SIZE - " '...' ".length - 1;
    return name.length > room ? '...' + name.slice(name.length - room) : name;
  }
  const room = ID_SIZE - ' [string "..."] '.length - 1;
  const newline = source.search(/[\r\n]/);
  const len = Math.min(newline >= 0 ? newline : source.length, room);
  return len < source.length ? `[string "${source.slice(0, len)}..."]` : `[string "${source}"]`;
}

/**
 * What a caught JS exception means in Lua: a LuaError's value, or "stack
 * overflow" for the JS stack running out (where Lua's own stack would have);
 * anything else (the server ending the script) is not Lua's to catch.
 */
export function caughtValue(e: unknown): LuaValue {
  if (e instanceof LuaError) return e.value;
  if (e instanceof RangeError && e.message.includes('call stack')) return where.pos + 'stack overflow';
  throw e;
}

function ipairsStep(t: LuaValue, i: LuaValue): LuaValue[] {
  const n = (i as number) + 1;
  const v = (t as LuaTable).getInt(n);
  return v === undefined ? NO_VALUES : [n, v];
}

function next(...args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 1, 'next');
  const entry = t.next(args[1]);
  return entry === undefined ? [undefined] : entry;
}

/** strtoul in a given base, over the whole string bar trailing whitespace, as tonumber(s, base) needs. */
function parseInBase(s: string, base: number): number | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)([0-9a-zA-Z]+)[\t\n\v\f\r ]*$/.exec(s);
  if (m === null) return undefined;
  let value = 0;
  for (const ch of m[2]) {
    const d = parseInt(ch, 36);
    if (d >= base) return undefined;
    value = value * base + d;
  }
  return m[1] === '-' ? -value : value;
}

export function createBaseLib(compile: ChunkCompiler): Record<string, LuaValue> {
  const loadChunk = (source: string, chunkName: string): LuaValue[] => {
    try {
      return [compile(source, chunkName)];
    } catch (e) {
      if (e instanceof LuaError) return [undefined, e.value];
      throw e;
    }
  };
  const refuseCoroutines = (): LuaValue[] => raise('coroutines are not supported by this server');
  return {
    _VERSION: 'Lua 5.1',
    assert: (...args) => {
      if (args[0] === undefined || args[0] === false) raise(optString(args, 2, 'assert', 'assertion failed!'));
      return args;
    },
    collectgarbage: (...args) => {
      const opt = optString(args, 1, 'collectgarbage', 'collect');
      const options = ['stop', 'restart', 'collect', 'count', 'step', 'setpause', 'setstepmul'];
      if (!options.includes(opt)) argError(1, 'collectgarbage', `invalid option '${opt}'`);
      if (opt === 'count') return [process.memoryUsage().heapUsed / 1024];
      if (opt === 'step') return [false];
      return [0];
    },
    gcinfo: () => [Math.floor(process.memoryUsage().heapUsed / 1024)],
    error: (...args) => {
      const level = optInteger(args, 2, 'error', 1);
      const value = args[0];
      if (level > 0 && typeof value === 'string') throw new LuaError(where.pos + value);
      if (level > 0 && typeof value === 'number') throw new LuaError(where.pos + numberToString(value));
      throw new LuaError(value);
    },
    getmetatable: (...args) => {
      checkAny(args, 1, 'getmetatable');
      const mt = metatableOf(args[0]);
      if (mt === undefined) return [undefined];
      const protectedValue = mt.getStr('__metatable');
      return [protectedValue !== undefined ? protectedValue : mt];
    },
    setmetatable: (...args) => {
      const t = checkTable(args, 1, 'setmetatable');
      const mt = args[1];
      if (mt !== undefined && !(mt instanceof LuaTable)) argError(2, 'setmetatable', 'nil or table expected');
      if (t.metatable !== undefined && t.metatable.getStr('__metatable') !== undefined) raise('cannot change a protected metatable');
      if (t.readonly) throw new LuaError('Attempt to modify a readonly table');
      t.metatable = mt;
      return [t];
    },
    ipairs: (...args) => [ipairsStep, checkTable(args, 1, 'ipairs'), 0],
    pairs: (...args) => [next, checkTable(args, 1, 'pairs'), undefined],
    next,
    rawequal: (...args) => {
      checkAny(args, 1, 'rawequal');
      checkAny(args, 2, 'rawequal');
      return [args[0] === args[1]];
    },
    rawget: (...args) => {
      const t = checkTable(args, 1, 'rawget');
      checkAny(args, 2, 'rawget');
      return [t.get(args[1])];
    },
    rawset: (...args) => {
      const t = checkTable(args, 1, 'rawset');
      checkAny(args, 2, 'rawset');
      checkAny(args, 3, 'rawset');
      // Raised from inside rawset, so without the caller's position, as in Redis.
      if (t.readonly) throw new LuaError('Attempt to modify a readonly table');
      const k = args[1];
      if (k === undefined) throw new LuaError('table index is nil');
      if (k !== k) throw new LuaError('table index is NaN');
      t.set(k, args[2]);
      return [t];
    },
    select: (...args) => {
      const n = args.length;
      if (args[0] === '#') return [n - 1];
      let i = checkInteger(args, 1, 'select');
      if (i < 0) i = n + i;
      else if (i > n) i = n;
      if (i < 1) argError(1, 'select', 'index out of range');
      return args.slice(i);
    },
    tonumber: (...args) => {
      const base = optInteger(args, 2, 'tonumber', 10);
      if (base === 10) {
        checkAny(args, 1, 'tonumber');
        return [toNumber(args[0])];
      }
      const s = checkString(args, 1, 'tonumber');
      if (base < 2 || base > 36) argError(2, 'tonumber', 'base out of range');
      return [parseInBase(s, base)];
    },
    tostring: (...args) => {
      checkAny(args, 1, 'tostring');
      return [tostring(args[0])];
    },
    type: (...args) => {
      checkAny(args, 1, 'type');
      return [typeName(args[0])];
    },
    unpack: (...args) => {
      const t = checkTable(args, 1, 'unpack');
      const i = optInteger(args, 2, 'unpack', 1);
      const j = args[2] === undefined ? t.length() : checkInteger(args, 3, 'unpack');
      if (i > j) return NO_VALUES;
      const n = j - i + 1;
      if (n >= MAX_C_STACK) raise('too many results to unpack');
      const out = new Array<LuaValue>(n);
      for (let k = 0; k < n; k++) out[k] = t.getInt(i + k);
      return out;
    },
    pcall: (...args) => {
      checkAny(args, 1, 'pcall');
      // What pcall calls directly is called from C: errors it raises carry no position.
      where.pos = '';
      try {
        return [true, ...callValue(args[0], args.slice(1))];
      } catch (e) {
        return [false, caughtValue(e)];
      }
    },
    xpcall: (...args) => {
      checkAny(args, 2, 'xpcall');
      where.pos = '';
      try {
        return [true, ...callValue(args[0], NO_VALUES)];
      } catch (e) {
        const value = caughtValue(e);
        return [false, callValue(args[1], [value])[0]];
      }
    },
    loadstring: (...args) => {
      const s = checkString(args, 1, 'loadstring');
      return loadChunk(s, chunkId(optString(args, 2, 'loadstring', s)));
    },
    load: (...args) => {
      const reader = args[0];
      if (typeof reader !== 'function') typeError(1, 'load', 'function', args);
      const name = optString(args, 2, 'load', '=(load)');
      let source = '';
      for (;;) {
        const piece = callValue(reader, NO_VALUES)[0];
        if (piece === undefined || piece === '') break;
        if (typeof piece === 'number') source += numberToString(piece);
        else if (typeof piece === 'string') source += piece;
        else raise('reader function must return a string');
      }
      return loadChunk(source, chunkId(name));
    },
    coroutine: libraryTable({
      create: refuseCoroutines,
      resume: refuseCoroutines,
      running: () => [undefined],
      status: refuseCoroutines,
      wrap: refuseCoroutines,
      yield: refuseCoroutines,
    }),
  };
}
