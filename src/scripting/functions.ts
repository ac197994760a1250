/**
 * Redis 7.0 functions: libraries of Lua functions loaded with FUNCTION LOAD,
 * called with FCALL, kept in RDB files and carried by FUNCTION DUMP/RESTORE.
 *
 * As in Redis, they run in their own Lua state, with the same sandbox as
 * EVAL's. The code of a library sees an empty read-only globals table whose
 * metatable's __index is switched: while the library loads it points to the
 * library API (only `redis.register_function`, `redis.log`, the log levels
 * and the version), and otherwise to the state's real (protected) globals.
 */
import { ReplyError } from '../errors.js';
import type { Reply } from '../protocol/reply.js';
import type { CommandContext } from '../commands/types.js';
import { crc64, payloadValid, RDB_OPCODE_FUNCTION2, RDB_OPCODE_FUNCTION_PRE_GA, RDB_VERSION, Reader, readLibrary, Writer } from '../persistence/rdb.js';
import { BadFormat } from '../persistence/encodings.js';
import { splitArgs } from '../util/splitargs.js';
import { argumentTable } from './convert.js';
import { LuaEngine } from './lua/engine.js';
import { caughtValue } from './lua/lib/base.js';
import { control, tostring } from './lua/runtime.js';
import { LuaTable } from './lua/table.js';
import { LuaError, where, type LuaFunction, type LuaValue } from './lua/value.js';
import {
  installSandbox,
  nonexistentGlobalMeta,
  parseFlagNames,
  protect,
  raiseTable,
  type ScriptFlags,
  type Scripting,
} from './scripting.js';

/** The one engine, named as FUNCTION LIST and STATS show it. */
export const ENGINE_NAME = 'LUA';

/** FUNCTION LOAD gives a library's code this long to register its functions (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

/** Flag names in Redis's order (scripts_flags_def), as FUNCTION LIST shows them. */
const FLAG_ORDER: readonly [keyof ScriptFlags, string][] = [
  ['noWrites', 'no-writes'],
  ['allowOom', 'allow-oom'],
  ['allowStale', 'allow-stale'],
  ['noCluster', 'no-cluster'],
  ['allowCrossSlot', 'allow-cross-slot-keys'],
];

export interface FunctionInfo {
  readonly name: string;
  readonly fn: LuaFunction;
  readonly description: string | undefined;
  readonly flags: ScriptFlags;
  readonly library: Library;
}

export interface Library {
  readonly name: string;
  readonly engine: string;
  /** The code as given to FUNCTION LOAD, shebang included (what RDB files and DUMP carry). */
  readonly code: string;
  readonly functions: Map<string, FunctionInfo>;
}

/** A set of libraries and the index of their functions (Redis's functionsLibCtx). */
class LibraryContext {
  readonly libraries = new Map<string, Library>();
  /** Every library's functions, by name in lower case: across libraries, names are case-insensitive. */
  readonly functions = new Map<string, FunctionInfo>();

  link(lib: Library): void {
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.values()) this.functions.set(f.name.toLowerCase(), f);
  }

  unlink(lib: Library): void {
    this.libraries.delete(lib.name);
    for (const name of lib.functions.keys()) this.functions.delete(name.toLowerCase());
  }

  get functionCount(): number {
    return this.functions.size;
  }
}

/** Library and function names: letters, digits and underscores, at least one. */
function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

const BAD_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** A library's `#!<engine> name=<name>` line, and the code after it (from its line feed, so line numbers stay). */
function parseMetadata(code: string): { engine: string; name: string; body: string } {
  if (!code.startsWith('#!')) throw new ReplyError('ERR Missing library metadata');
  const end = code.indexOf('\n');
  if (end < 0) throw new ReplyError('ERR Invalid library metadata');
  const parts = splitArgs(code.slice(0, end));
  if (parts === null || parts.length === 0) throw new ReplyError('ERR Invalid library metadata');
  const engine = parts[0].slice(2);
  let name: string | undefined;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== undefined) throw new ReplyError('ERR Invalid metadata value, name argument was given multiple times');
      name = part.slice(5);
      continue;
    }
    throw new ReplyError(`ERR Invalid metadata value given: ${part}`);
  }
  if (name === undefined) throw new ReplyError('ERR Library name was not given');
  return { engine, name, body: code.slice(end) };
}

/** Lua's lua_isstring + tostring: strings and numbers give their text, anything else undefined. */
function luaString(v: LuaValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return tostring(v);
  return undefined;
}

/** One line for an error reply. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

/** The text Redis's luaExtractErrorInformation takes from a raised value. */
function errorMessage(value: LuaValue): string {
  if (typeof value === 'string' || typeof value === 'number') return 'ERR ' + tostring(value);
  if (value instanceof LuaTable) {
    const err = luaString(value.getStr('err'));
    if (err !== undefined) return err;
  }
  return '(null)';
}

interface Registration {
  name: string;
  fn: LuaFunction;
  description: string | undefined;
  flags: ScriptFlags;
}

/** register_function's arguments, checked in Redis's order and with its messages. */
function readRegistration(args: LuaValue[]): Registration {
  if (args.length < 1 || args.length > 2) raiseTable('wrong number of arguments to redis.register_function');
  if (args.length === 2) {
    const name = luaString(args[0]);
    if (name === undefined) raiseTable('first argument to redis.register_function must be a string');
    const fn = args[1];
    if (typeof fn !== 'function') raiseTable('second argument to redis.register_function must be a function');
    return { name, fn, description: undefined, flags: parseFlagNames([]) as ScriptFlags };
  }
  const t = args[0];
  if (!(t instanceof LuaTable)) {
    raiseTable('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
  }
  let name: string | undefined;
  let description: string | undefined;
  let fn: LuaFunction | undefined;
  let flags = parseFlagNames([]) as ScriptFlags;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    const key = luaString(e[0]);
    if (key === undefined) raiseTable('named argument key given to redis.register_function is not a string');
    const value = e[1];
    switch (key.toLowerCase()) {
      case 'function_name':
        name = luaString(value);
        if (name === undefined) raiseTable('function_name argument given to redis.register_function must be a string');
        break;
      case 'description':
        description = luaString(value);
        if (description === undefined) raiseTable('description argument given to redis.register_function must be a string');
        break;
      case 'callback':
        if (typeof value !== 'function') raiseTable('callback argument given to redis.register_function must be a function');
        fn = value;
        break;
      case 'flags': {
        if (!(value instanceof LuaTable)) raiseTable('flags argument to redis.register_function must be a table representing function flags');
        const names: string[] = [];
        for (let i = 1; ; i++) {
          const flag = value.getInt(i);
          if (flag === undefined) break;
          const text = luaString(flag);
          if (text === undefined) raiseTable('unknown flag given');
          names.push(text.toLowerCase());
        }
        const parsed = parseFlagNames(names);
        if (typeof parsed === 'string') raiseTable('unknown flag given');
        flags = parsed;
        break;
      }
      default:
        raiseTable('unknown argument given to redis.register_function');
    }
  }
  if (name === undefined) raiseTable('redis.register_function must get a function name argument');
  if (fn === undefined) raiseTable('redis.register_function must get a callback argument');
  return { name, fn, description, flags };
}

/** A fresh array table {values[0], values[1], ...}, as FCALL's KEYS and ARGV. */
/** Sets a field of a read-only table (the sandbox's own switch, not a script's write). */
function setProtected(t: LuaTable, key: string, value: LuaValue): void {
  t.readonly = false;
  t.setStr(key, value);
  t.readonly = true;
}

export class Functions {
  readonly engine: LuaEngine;
  private current = new LibraryContext();
  /** What library code sees as its globals: empty, read-only, everything through the metatable's __index. */
  private readonly proxy = new LuaTable();
  private readonly proxyMeta = new LuaTable();
  private readonly libraryApi: LuaTable;
  /** The library whose code runs now (FUNCTION LOAD), which register_function adds to. */
  private loading: Library | undefined;

  constructor(private readonly scripting: Scripting) {
    this.engine = new LuaEngine();
    const redis = scripting.redisTable();
    installSandbox(this.engine, redis);
    this.libraryApi = this.buildLibraryApi(redis);
    this.proxyMeta.setStr('__index', this.engine.globals);
    this.proxy.metatable = this.proxyMeta;
    this.proxyMeta.readonly = true;
    this.proxy.readonly = true;
  }

  get libraries(): ReadonlyMap<string, Library> {
    return this.current.libraries;
  }

  get functionCount(): number {
    return this.current.functionCount;
  }

  /** The library API: a `redis` table with only what library code may use while it loads. */
  private buildLibraryApi(redis: LuaTable): LuaTable {
    const api = new LuaTable();
    const r = new LuaTable();
    r.setStr('register_function', (...args: LuaValue[]) => {
      const lib = this.loading;
      if (lib === undefined) raiseTable('redis.register_function can only be called on FUNCTION LOAD command');
      const reg = readRegistration(args);
      if (!validName(reg.name)) raiseTable(BAD_NAME);
      if (lib.functions.has(reg.name)) raiseTable('Function already exists in the library');
      lib.functions.set(reg.name, { ...reg, library: lib });
      return [];
    });
    for (const name of ['log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION', 'REDIS_VERSION_NUM']) {
      r.setStr(name, redis.getStr(name));
    }
    r.metatable = nonexistentGlobalMeta();
    api.setStr('redis', r);
    api.metatable = nonexistentGlobalMeta();
    protect(api);
    return api;
  }

  /**
   * Compiles a library's code and runs it so it registers its functions,
   * into `ctx`; returns the library's name. Throws the error reply.
   */
  private create(code: string, replace: boolean, ctx: LibraryContext, timeoutMs: number): string {
    const md = parseMetadata(code);
    if (!validName(md.name)) throw new ReplyError(`ERR ${BAD_NAME}`);
    if (md.engine.toUpperCase() !== ENGINE_NAME) throw new ReplyError(`ERR Engine '${md.engine}' not found`);
    const old = ctx.libraries.get(md.name);
    if (old !== undefined && !replace) throw new ReplyError(`ERR Library '${md.name}' already exists`);
    if (old !== undefined) ctx.unlink(old);
    try {
      const lib: Library = { name: md.name, engine: ENGINE_NAME, code, functions: new Map() };
      this.compileAndRegister(lib, md.body, timeoutMs);
      if (lib.functions.size === 0) throw new ReplyError('ERR No functions registered');
      for (const name of lib.functions.keys()) {
        if (ctx.functions.has(name.toLowerCase())) throw new ReplyError(`ERR Function ${name} already exists`);
      }
      ctx.link(lib);
      return lib.name;
    } catch (error) {
      if (old !== undefined) ctx.link(old);
      throw error;
    }
  }

  private compileAndRegister(lib: Library, body: string, timeoutMs: number): void {
    if (this.scripting.running) throw new ReplyError('ERR Cannot load a library from within a script');
    let chunk: LuaFunction;
    try {
      chunk = this.engine.load(body, 'user_function', this.proxy);
    } catch (error) {
      if (error instanceof LuaError) throw new ReplyError(`ERR Error compiling function: ${oneLine(tostring(error.value))}`);
      throw error;
    }
    const started = Date.now();
    const savedHook = control.hook;
    const savedBudget = control.budget;
    setProtected(this.proxyMeta, '__index', this.libraryApi);
    this.loading = lib;
    where.pos = '';
    control.budget = 100_000;
    control.hook = () => {
      control.budget = 100_000;
      if (timeoutMs > 0 && Date.now() - started > timeoutMs) raiseTable('FUNCTION LOAD timeout');
    };
    try {
      chunk();
    } catch (error) {
      const value = caughtValue(error);
      throw new ReplyError(`ERR Error registering functions: ${oneLine(errorMessage(value))}`);
    } finally {
      control.hook = savedHook;
      control.budget = savedBudget;
      this.loading = undefined;
      setProtected(this.proxyMeta, '__index', this.engine.globals);
    }
  }

  /** FUNCTION LOAD [REPLACE] code: the library's name. */
  load(code: string, replace: boolean): string {
    return this.create(code, replace, this.current, LOAD_TIMEOUT_MS);
  }

  /** FUNCTION DELETE. */
  delete(name: string): void {
    const lib = this.current.libraries.get(name);
    if (lib === undefined) throw new ReplyError('ERR Library not found');
    this.current.unlink(lib);
  }

  /** FUNCTION FLUSH. */
  flush(): void {
    this.current = new LibraryContext();
  }

  find(name: string): FunctionInfo | undefined {
    return this.current.functions.get(name.toLowerCase());
  }

  /** FCALL / FCALL_RO. */
  call(ctx: CommandContext, args: string[], readOnlyCommand: boolean): Reply {
    const f = this.current.functions.get(args[1].toLowerCase());
    if (f === undefined) throw new ReplyError('ERR Function not found');
    const text = args[2];
    if (!/^[+-]?\d+$/.test(text) || BigInt(text) > 9223372036854775807n || BigInt(text) < -9223372036854775808n) {
      throw new ReplyError('ERR Bad number of keys provided');
    }
    const numkeys = Number(text);
    if (numkeys > args.length - 3) throw new ReplyError("ERR Number of keys can't be greater than number of args");
    if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
    const keys = argumentTable(args, 3, 3 + numkeys);
    const argv = argumentTable(args, 3 + numkeys, args.length);
    return this.scripting.execute(ctx, {
      fn: f.fn, args: [keys, argv], flags: f.flags, readOnlyCommand, name: f.name, command: args, isEval: false,
    });
  }

  /** The code of every library, in order (what an RDB file and FUNCTION DUMP hold). */
  libraryCodes(): string[] {
    return Array.from(this.current.libraries.values(), (lib) => lib.code);
  }

  /** Compiles libraries into a new set, as RDB loading and RESTORE do; throws the error reply of the first that fails. */
  private build(codes: readonly string[]): LibraryContext {
    const ctx = new LibraryContext();
    for (const code of codes) this.create(code, false, ctx, 0);
    return ctx;
  }

  /** Replaces every library with those of an RDB file; throws (with the reason) and changes nothing if one fails. */
  replaceAll(codes: readonly string[]): void {
    this.current = this.build(codes);
  }

  addAll(codes: readonly string[], replace: boolean): void {
    this.join(this.build(codes), replace);
  }

  /** FUNCTION DUMP: an RDB function record per library, the RDB version and a CRC64. */
  dump(): Buffer {
    const w = new Writer();
    for (const code of this.libraryCodes()) {
      w.byte(RDB_OPCODE_FUNCTION2);
      w.string(code);
    }
    w.byte(RDB_VERSION & 0xff);
    w.byte(RDB_VERSION >> 8);
    const covered = w.take();
    return Buffer.concat([covered, crc64(covered)]);
  }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]. */
  restore(payload: Buffer, policy: 'flush' | 'append' | 'replace'): void {
    if (!payloadValid(payload)) throw new ReplyError('ERR DUMP payload version or checksum are wrong');
    const r = new Reader(payload.subarray(0, payload.length - 10));
    const codes: string[] = [];
    while (!r.done) {
      const type = r.byte();
      if (type !== RDB_OPCODE_FUNCTION2 && type !== RDB_OPCODE_FUNCTION_PRE_GA) throw new ReplyError('ERR given type is not a function');
      try {
        codes.push(readLibrary(r, type));
      } catch (error) {
        if (error instanceof BadFormat) throw new ReplyError('ERR failed loading the given functions payload');
        throw error;
      }
    }
    const restored = this.build(codes);
    if (policy === 'flush') {
      this.current = restored;
      return;
    }
    this.join(restored, policy === 'replace');
  }

  /** Adds the libraries of `src` to the current ones; on a collision nothing changes. */
  private join(src: LibraryContext, replace: boolean): void {
    const cur = this.current;
    const replaced: Library[] = [];
    try {
      for (const lib of src.libraries.values()) {
        const old = cur.libraries.get(lib.name);
        if (old === undefined) continue;
        if (!replace) throw new ReplyError(`ERR Library ${lib.name} already exists`);
        cur.unlink(old);
        replaced.push(old);
      }
      for (const [key, f] of src.functions) {
        if (cur.functions.has(key)) throw new ReplyError(`ERR Function ${f.name} already exists`);
      }
    } catch (error) {
      for (const old of replaced) cur.link(old);
      throw error;
    }
    for (const lib of src.libraries.values()) cur.link(lib);
  }
}

/** FUNCTION LIST's flags of a function, in Redis's order. */
export function flagNames(flags: ScriptFlags): string[] {
  return FLAG_ORDER.filter(([key]) => flags[key]).map(([, name]) => name);
}
