/**
 * The operations compiled code calls: Lua 5.1's semantics for indexing,
 * arithmetic, comparison, concatenation, length and calls, each with a fast
 * path for plain values and a slow path through metatables. Errors carry the
 * position the compiled code passes in (`pos`, e.g. "user_script:3: ") and,
 * where Lua names the culprit, its description (`local 'x'`, `field 'y'`).
 */
import { numberToString, stringToNumber } from './number.js';
import { LuaTable } from './table.js';
import { LuaError, LuaUserdata, typeName, where, type LuaFunction, type LuaValue } from './value.js';

/** Lua 5.1's MAXTAGLOOP: how many __index/__newindex hops before "loop in gettable". */
const MAX_TAG_LOOP = 100;

/** The metatable shared by all strings (its __index is the string library), set by the engine. */
export const stringMeta: { table: LuaTable | undefined } = { table: undefined };

/**
 * The periodic check compiled code makes at loop back-edges and function
 * entries: when `budget` runs out it calls `hook`, which may refill it, serve
 * other clients, or throw to end the script.
 */
export const control: { budget: number; hook: () => void } = {
  budget: Infinity,
  hook: () => {},
};

/** What compiled code calls when the budget runs out, at `pos` ("chunk:line: "), so an abort names the line it stopped at. */
export function budgetSpent(pos: string): void {
  where.pos = pos;
  control.hook();
}

export function metatableOf(v: LuaValue): LuaTable | undefined {
  if (v instanceof LuaTable) return v.metatable;
  if (typeof v === 'string') return stringMeta.table;
  return undefined;
}

function metamethod(v: LuaValue, event: string): LuaValue {
  const mt = metatableOf(v);
  return mt === undefined ? undefined : mt.getStr(event);
}

function fail(pos: string, message: string): never {
  // Where the script failed, for the "on @user_script:N." Redis appends.
  where.pos = pos;
  throw new LuaError(pos + message);
}

/** luaG_typeerror: "attempt to index local 'a' (a nil value)" or, unnamed, "attempt to index a nil value". */
function typeFail(pos: string, op: string, v: LuaValue, desc: string): never {
  const t = typeName(v);
  fail(pos, desc === '' ? `attempt to ${op} a ${t} value` : `attempt to ${op} ${desc} (a ${t} value)`);
}

export function truthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

// ---------------------------------------------------------------- calls

/** Calls a non-function value through its __call metamethod, as luaD_precall does. */
export function callMeta(f: LuaValue, pos: string, desc: string, args: LuaValue[]): LuaValue[] {
  const tm = metamethod(f, '__call');
  if (typeof tm !== 'function') typeFail(pos, 'call', f, desc);
  where.pos = pos;
  return (tm as LuaFunction)(f, ...args);
}

/** Call any Lua value with the given arguments (for library code). */
export function callValue(f: LuaValue, args: LuaValue[]): LuaValue[] {
  if (typeof f === 'function') return (f as LuaFunction)(...args);
  return callMeta(f, where.pos, '', args);
}

// ---------------------------------------------------------------- indexing

export function index(o: LuaValue, k: LuaValue, pos: string, desc: string): LuaValue {
  if (o instanceof LuaTable) {
    const v = o.get(k);
    if (v !== undefined || o.metatable === undefined) return v;
  }
  return indexSlow(o, k, pos, desc);
}

export function indexStr(o: LuaValue, k: string, pos: string, desc: string): LuaValue {
  if (o instanceof LuaTable) {
    const v = o.getStr(k);
    if (v !== undefined || o.metatable === undefined) return v;
  }
  return indexSlow(o, k, pos, desc);
}

function indexSlow(o: LuaValue, k: LuaValue, pos: string, desc: string): LuaValue {
  for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
    let tm: LuaValue;
    if (o instanceof LuaTable) {
      const v = o.get(k);
      if (v !== undefined || o.metatable === undefined) return v;
      tm = o.metatable.getStr('__index');
      if (tm === undefined) return undefined;
    } else {
      tm = metamethod(o, '__index');
      if (tm === undefined) typeFail(pos, 'index', o, loop === 0 ? desc : '');
    }
    if (typeof tm === 'function') {
      where.pos = pos;
      return tm(o, k)[0];
    }
    o = tm;
  }
  fail(pos, 'loop in gettable');
}

function checkKey(k: LuaValue, pos: string): void {
  if (k === undefined) fail(pos, 'table index is nil');
  if (k !== k) fail(pos, 'table index is NaN');
}

export function setIndex(o: LuaValue, k: LuaValue, v: LuaValue, pos: string, desc: string): void {
  if (o instanceof LuaTable && o.metatable === undefined && !o.readonly) {
    checkKey(k, pos);
    o.set(k, v);
    return;
  }
  for (let loop = 0; loop < MAX_TAG_LOOP; loop++) {
    let tm: LuaValue;
    if (o instanceof LuaTable) {
      if (o.readonly) fail(pos, 'Attempt to modify a readonly table');
      if (o.get(k) !== undefined || o.metatable === undefined || (tm = o.metatable.getStr('__newindex')) === undefined) {
        checkKey(k, pos);
        o.set(k, v);
        return;
      }
    } else {
      tm = metamethod(o, '__newindex');
      if (tm === undefined) typeFail(pos, 'index', o, loop === 0 ? desc : '');
    }
    if (typeof tm === 'function') {
      where.pos = pos;
      tm(o, k, v);
      return;
    }
    o = tm;
  }
  fail(pos, 'loop in settable');
}

/** A table constructor's `[k] = v` and `name = v` items: raw sets on a fresh table. */
export function rawSetChecked(t: LuaTable, k: LuaValue, v: LuaValue, pos: string): void {
  checkKey(k, pos);
  t.set(k, v);
}

/** The constructor's positional items from `first` on (Lua's SETLIST), growing the array part for a trailing multi-value. */
export function setList(t: LuaTable, first: number, values: LuaValue[]): void {
  const last = first + values.length - 1;
  if (last > t.arraySize()) t.resizeArray(last);
  for (let i = 0; i < values.length; i++) t.setInt(first + i, values[i]);
}

// ---------------------------------------------------------------- arithmetic

export function toNumber(v: LuaValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return stringToNumber(v);
  return undefined;
}

function arithSlow(a: LuaValue, b: LuaValue, event: string, pos: string, da: string, db: string): number | LuaValue {
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== undefined && nb !== undefined) return arithRaw(event, na, nb);
  let tm = metamethod(a, event);
  if (tm === undefined) tm = metamethod(b, event);
  if (tm === undefined) {
    if (na === undefined) typeFail(pos, 'perform arithmetic on', a, da);
    typeFail(pos, 'perform arithmetic on', b, db);
  }
  where.pos = pos;
  return callValue(tm, [a, b])[0];
}

function arithRaw(event: string, a: number, b: number): number {
  switch (event) {
    case '__add':
      return a + b;
    case '__sub':
      return a - b;
    case '__mul':
      return a * b;
    case '__div':
      return a / b;
    case '__mod':
      return a - Math.floor(a / b) * b;
    case '__pow':
      return Math.pow(a, b);
    default:
      return -a;
  }
}

export function add(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? a + b : arithSlow(a, b, '__add', pos, da, db);
}
export function sub(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? a - b : arithSlow(a, b, '__sub', pos, da, db);
}
export function mul(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? a * b : arithSlow(a, b, '__mul', pos, da, db);
}
export function div(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? a / b : arithSlow(a, b, '__div', pos, da, db);
}
export function mod(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? a - Math.floor(a / b) * b : arithSlow(a, b, '__mod', pos, da, db);
}
export function pow(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  return typeof a === 'number' && typeof b === 'number' ? Math.pow(a, b) : arithSlow(a, b, '__pow', pos, da, db);
}
export function neg(a: LuaValue, pos: string, da: string): LuaValue {
  if (typeof a === 'number') return -a;
  const n = toNumber(a);
  if (n !== undefined) return -n;
  const tm = metamethod(a, '__unm');
  if (tm === undefined) typeFail(pos, 'perform arithmetic on', a, da);
  where.pos = pos;
  return callValue(tm, [a, a])[0];
}

export function len(v: LuaValue, pos: string, desc: string): LuaValue {
  if (typeof v === 'string') return v.length;
  if (v instanceof LuaTable) return v.length();
  const tm = metamethod(v, '__len');
  if (tm === undefined) typeFail(pos, 'get length of', v, desc);
  where.pos = pos;
  return callValue(tm, [v])[0];
}

export function concat(a: LuaValue, b: LuaValue, pos: string, da: string, db: string): LuaValue {
  if (typeof a === 'string') {
    if (typeof b === 'string') return a + b;
    if (typeof b === 'number') return a + numberToString(b);
  } else if (typeof a === 'number') {
    if (typeof b === 'string') return numberToString(a) + b;
    if (typeof b === 'number') return numberToString(a) + numberToString(b);
  }
  let tm = metamethod(a, '__concat');
  if (tm === undefined) tm = metamethod(b, '__concat');
  if (tm === undefined) {
    const aOk = typeof a === 'string' || typeof a === 'number';
    typeFail(pos, 'concatenate', aOk ? b : a, aOk ? db : da);
  }
  where.pos = pos;
  return callValue(tm, [a, b])[0];
}

// ---------------------------------------------------------------- comparison

/** get_compTM: the metamethod both operands agree on, or undefined. */
function comparisonMeta(a: LuaTable, b: LuaTable, event: string): LuaValue {
  const mt1 = a.metatable;
  if (mt1 === undefined) return undefined;
  const tm1 = mt1.getStr(event);
  if (tm1 === undefined) return undefined;
  const mt2 = b.metatable;
  if (mt1 === mt2) return tm1;
  if (mt2 === undefined) return undefined;
  return mt2.getStr(event) === tm1 ? tm1 : undefined;
}

export function eq(a: LuaValue, b: LuaValue): boolean {
  if (a === b) return true;
  if (!(a instanceof LuaTable) || !(b instanceof LuaTable)) return false;
  const tm = comparisonMeta(a, b, '__eq');
  return tm !== undefined && truthy(callValue(tm, [a, b])[0]);
}

function orderFail(a: LuaValue, b: LuaValue, pos: string): never {
  const t1 = typeName(a);
  const t2 = typeName(b);
  fail(pos, t1 === t2 ? `attempt to compare two ${t1} values` : `attempt to compare ${t1} with ${t2}`);
}

export function lt(a: LuaValue, b: LuaValue, pos: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  if (a instanceof LuaTable && b instanceof LuaTable) {
    const tm = comparisonMeta(a, b, '__lt');
    if (tm !== undefined) {
      where.pos = pos;
      return truthy(callValue(tm, [a, b])[0]);
    }
  }
  orderFail(a, b, pos);
}

export function le(a: LuaValue, b: LuaValue, pos: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a <= b;
  if (typeof a === 'string' && typeof b === 'string') return a <= b;
  if (a instanceof LuaTable && b instanceof LuaTable) {
    where.pos = pos;
    const tm = comparisonMeta(a, b, '__le');
    if (tm !== undefined) return truthy(callValue(tm, [a, b])[0]);
    const tmLt = comparisonMeta(b, a, '__lt');
    if (tmLt !== undefined) return !truthy(callValue(tmLt, [b, a])[0]);
  }
  orderFail(a, b, pos);
}

/** `a < b` for library code (table.sort), positioned at the library's caller. */
export function lessThan(a: LuaValue, b: LuaValue): boolean {
  return lt(a, b, where.pos);
}

// ---------------------------------------------------------------- for loops

export function forNumber(v: LuaValue, pos: string, what: string): number {
  const n = toNumber(v);
  if (n === undefined) fail(pos, `'for' ${what} must be a number`);
  return n;
}

// ---------------------------------------------------------------- tostring

const addresses = new WeakMap<object, number>();
let nextAddress = 0x5566a000;

/** A stable fake address per table or function, for tostring's "table: 0x...". */
export function addressOf(v: object): string {
  let a = addresses.get(v);
  if (a === undefined) {
    a = nextAddress;
    nextAddress += 0x40;
    addresses.set(v, a);
  }
  return '0x' + a.toString(16).padStart(12, '0');
}

/** Lua's tostring(), honouring __tostring. */
export function tostring(v: LuaValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const tm = metamethod(v, '__tostring');
  if (tm !== undefined) {
    const r = callValue(tm, [v])[0];
    if (typeof r === 'string') return r;
    if (typeof r === 'number') return numberToString(r);
    throw new LuaError(where.pos + "'__tostring' must return a string");
  }
  if (v instanceof LuaUserdata) return `userdata: ${v.address}`;
  return `${typeName(v)}: ${addressOf(v)}`;
}

export function newTable(narr: number, nrec: number): LuaTable {
  return new LuaTable(narr, nrec);
}

// ---------------------------------------------------------------- debugging

/** One call of a chunk compiled for debugging: its name, the line it is at and its active locals there. */
export interface DebugFrame {
  /** The function's declared name; '' for the main chunk and anonymous functions. */
  readonly name: string;
  line: number;
  /** The active locals as name, value, name, value, ... in declaration order. */
  vars: () => LuaValue[];
}

const NO_VARS = (): LuaValue[] => [];

/**
 * The calls under way of chunks compiled for debugging (innermost last), and
 * who hears of each new line they reach (Lua's line hook). Chunks compiled
 * without debugging report nothing.
 */
export const debugging: { frames: DebugFrame[]; onLine: (frame: DebugFrame) => void } = {
  frames: [],
  onLine: () => {},
};

export function debugEnter(name: string): DebugFrame {
  const frame: DebugFrame = { name, line: 0, vars: NO_VARS };
  debugging.frames.push(frame);
  return frame;
}

export function debugExit(frame: DebugFrame): void {
  const frames = debugging.frames;
  const i = frames.lastIndexOf(frame);
  if (i >= 0) frames.length = i;
}

/** The functions of chunks compiled for debugging (see debugIsLua). */
const debugFunctions = new WeakSet<LuaFunction>();

export function debugFunction(f: LuaFunction): LuaFunction {
  debugFunctions.add(f);
  return f;
}

/**
 * Whether `f` is a function of a debugged chunk: Lua returns from a tail
 * call of one without running the caller's RETURN, but runs it (and reports
 * its line) after a tail call of a library function.
 */
export function debugIsLua(f: unknown): boolean {
  return typeof f === 'function' && debugFunctions.has(f as LuaFunction);
}

export function debugLine(frame: DebugFrame, line: number, vars: () => LuaValue[]): void {
  frame.line = line;
  frame.vars = vars;
  debugging.onLine(frame);
}
