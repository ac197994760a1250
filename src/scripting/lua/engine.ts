/**
 * The engine's one entry point: a Lua 5.1 state with the libraries Redis
 * loads, that compiles chunks into JS functions. It knows nothing of Redis;
 * the server's sandbox (read-only globals, the redis table) is built on top.
 */
import { createBaseLib } from './lib/base.js';
import { createBitLib } from './lib/bit.js';
import { createCjsonLib } from './lib/cjson.js';
import { createCmsgpackLib } from './lib/cmsgpack.js';
import { createMathLib } from './lib/math.js';
import { createStringLib } from './lib/string.js';
import { createStructLib } from './lib/struct.js';
import { createTableLib } from './lib/tablelib.js';
import { generate, RUNTIME_NAMES } from './compiler.js';
import { parse } from './parser.js';
import * as runtime from './runtime.js';
import { LuaTable } from './table.js';
import { NO_VALUES, where, type LuaFunction } from './value.js';

type ChunkFactory = (r: object, w: typeof where, c: typeof runtime.control, g: LuaTable) => LuaFunction;

const bindings: Record<string, unknown> = { none: NO_VALUES };
for (const name of RUNTIME_NAMES) bindings[name] = runtime[name];

export class LuaEngine {
  readonly globals = new LuaTable();

  constructor() {
    const g = this.globals;
    const base = createBaseLib((source, chunkName) => this.load(source, chunkName));
    for (const name of Object.keys(base)) g.set(name, base[name]);
    g.set('_G', g);
    const string = createStringLib();
    g.set('string', string);
    const meta = new LuaTable();
    meta.set('__index', string);
    runtime.stringMeta.table = meta;
    g.set('table', createTableLib());
    g.set('math', createMathLib());
    g.set('cjson', createCjsonLib());
    g.set('cmsgpack', createCmsgpackLib());
    g.set('struct', createStructLib());
    g.set('bit', createBitLib());
  }

  /**
   * Compiles a chunk; `chunkName` is the name errors show ("user_script").
   * Its global accesses go to `globals` (by default this state's). Throws
   * LuaError on a syntax error.
   */
  load(source: string, chunkName: string, globals: LuaTable = this.globals, debug = false): LuaFunction {
    return this.instantiate(this.translate(source, chunkName, debug), globals);
  }

  /**
   * The JS source a chunk compiles to (exposed for tests and for caching by
   * source). `debug`: it reports its lines, calls and locals to
   * runtime.debugging, for a debugger; slower, so only for debugged runs.
   */
  translate(source: string, chunkName: string, debug = false): string {
    return generate(parse(source, chunkName), chunkName, debug);
  }

  instantiate(js: string, globals: LuaTable = this.globals): LuaFunction {
    const factory = new Function('R', 'W', 'C', 'G', js) as ChunkFactory;
    return factory(bindings, where, runtime.control, globals);
  }
}
