/**
 * LDB, Redis's Lua debugger (SCRIPT DEBUG YES|SYNC, `redis-cli --ldb`): a
 * session stops an EVAL script at lines, talks with the debugging client
 * over its own connection and reports what the script does. The wire form is
 * Redis 7.0.15's: the client sends commands as RESP arrays and gets arrays of
 * status lines ("* Stopped at 2, stop reason = step over", "<redis> get x",
 * "<reply> ..."), then "<endsession>" before the script's reply.
 *
 * The script runs in a debug build of its chunk (see the engine's
 * `debugging`), which reports every new line with its call frames and locals.
 */
import { encode, type Reply } from '../protocol/reply.js';
import { reprArg } from '../util/splitargs.js';
import { formatG } from './lua/number.js';
import { addressOf, tostring, type DebugFrame } from './lua/runtime.js';
import { LuaTable } from './lua/table.js';
import { LuaError, LuaUserdata, type LuaFunction, type LuaValue } from './lua/value.js';

/** SCRIPT DEBUG YES (the session's changes are rolled back) or SYNC (kept). */
export type LuaDebugMode = 'yes' | 'sync';

/** The debugging client's connection, used directly while the script holds the server. */
export interface DebugChannel {
  /** Waits for the next bytes the peer sends; undefined once it has closed. */
  read(): string | undefined;
  write(data: string): void;
}

/** What a session needs of the Lua state the script runs in. */
export interface DebugTools {
  /** Compiles Lua code as the chunk `ldb_eval` (throws LuaError on a syntax error). */
  compile(code: string): LuaFunction;
  /** The global KEYS or ARGV. */
  global(name: string): LuaValue;
  /** Runs redis.call with these arguments, errors caught (their logging is the point). */
  redisCall(args: string[]): void;
  /** Raises a script error with Redis's error table (luaPushError + luaError). */
  raise(message: string): never;
}

const BREAKPOINTS_MAX = 64;
const MAXLEN_DEFAULT = 256;
/** ldbCatStackValueRec's depth limit: LUA_MINSTACK / 2. */
const MAX_VALUE_DEPTH = 10;
/** The debugger's command buffer may not grow beyond 1 MB. */
const MAX_BUFFER = 1 << 20;

/** ldbRepl's help text, as Redis prints it. */
const HELP = [
  'Redis Lua debugger help:',
  '[h]elp               Show this help.',
  '[s]tep               Run current line and stop again.',
  '[n]ext               Alias for step.',
  '[c]ontinue           Run till next breakpoint.',
  '[l]ist               List source code around current line.',
  '[l]ist [line]        List source code around [line].',
  '                     line = 0 means: current position.',
  '[l]ist [line] [ctx]  In this form [ctx] specifies how many lines',
  '                     to show before/after [line].',
  "[w]hole              List all source code. Alias for 'list 1 1000000'.",
  '[p]rint              Show all the local variables.',
  '[p]rint <var>        Show the value of the specified variable.',
  '                     Can also show global vars KEYS and ARGV.',
  '[b]reak              Show all breakpoints.',
  '[b]reak <line>       Add a breakpoint to the specified line.',
  '[b]reak -<line>      Remove breakpoint from the specified line.',
  '[b]reak 0            Remove all breakpoints.',
  '[t]race              Show a backtrace.',
  '[e]val <code>        Execute some Lua code (in a different callframe).',
  '[r]edis <cmd>        Execute a Redis command.',
  '[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.',
  '                     Specifying zero as <len> means unlimited.',
  '[a]bort              Stop the execution of the script. In sync',
  '                     mode dataset changes will be retained.',
  '',
  'Debugger functions you can call from Lua scripts:',
  'redis.debug()        Produce logs in the debugger console.',
  'redis.breakpoint()   Stop execution like if there was a breakpoint in the',
  '                     next line of code.',
];

/** C's atoi: leading blanks, a sign and digits; 0 when there are none. */
function atoi(s: string): number {
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** Redis's string2l: the whole text is a decimal integer. */
function strictInteger(s: string): number | undefined {
  return /^-?(0|[1-9]\d*)$/.test(s) && Math.abs(Number(s)) <= Number.MAX_SAFE_INTEGER ? Number(s) : undefined;
}

/** One debugging session: one EVAL of a client in debug mode. */
export class LdbSession {
  private readonly logs: string[] = [];
  private breakpoints: number[] = [];
  /** Stop at the next line whatever the breakpoints say. */
  step = true;
  /** redis.breakpoint() was called: stop at the next line. */
  private luaBreakpoint = false;
  /** The running script took too long without stopping: stop at the next line and say so. */
  private timedOut = false;
  currentLine = 0;
  private maxlen = MAXLEN_DEFAULT;
  private maxlenHintSent = false;
  private buffer = '';
  /** The script's source by line (1-based), trailing line breaks dropped, as Redis splits it. */
  private readonly source: string[];

  constructor(
    private readonly channel: DebugChannel,
    body: string,
    private readonly tools: DebugTools,
    /** Told when the script resumes after a stop, so the time spent stopped does not count as running. */
    private readonly resumed: () => void,
  ) {
    this.source = body.replace(/[\r\n]+$/, '').split('\n');
  }

  /** Logging of the script's commands and errors is on while stepping (Redis's ldbIsEnabled). */
  get tracing(): boolean {
    return this.step;
  }

  log(entry: string): void {
    this.logs.push(entry);
  }

  /** A log entry cut to maxlen, with a one-time hint about `maxlen 0` (ldbLogWithMaxLen). */
  private logTrimmed(entry: string): void {
    let trimmed = false;
    if (this.maxlen > 0 && entry.length > this.maxlen) {
      entry = entry.slice(0, this.maxlen) + ' ...';
      trimmed = true;
    }
    this.log(entry);
    if (trimmed && !this.maxlenHintSent) {
      this.maxlenHintSent = true;
      this.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
  }

  /** The logs so far, as one array of status lines; line breaks inside an entry become spaces. */
  private sendLogs(): void {
    let out = `*${this.logs.length}\r\n`;
    for (const entry of this.logs) out += '+' + entry.replace(/[\r\n]/g, ' ') + '\r\n';
    this.logs.length = 0;
    this.channel.write(out);
  }

  /** The session is over: the last logs and "<endsession>" go out ahead of the script's reply. */
  end(): void {
    this.log('<endsession>');
    this.sendLogs();
  }

  // ---------------------------------------------------------------- what the script reports

  /** redis.call's command, while stepping: "<redis> set x 1", at most 10 arguments shown. */
  logCommand(argv: readonly string[]): void {
    let entry = '<redis>';
    for (let j = 0; j < argv.length; j++) {
      if (j === 10) {
        entry += ` ... (${argv.length - j - 1} more)`;
        break;
      }
      entry += ' ' + argv[j];
    }
    this.log(entry);
  }

  /** A command's reply, while stepping, in the script client's protocol, made readable. */
  logReply(reply: Reply, resp: 2 | 3): void {
    this.logTrimmed('<reply> ' + humanReply(encode(reply, resp === 3, '')));
  }

  /** An error raised to the script by the redis library, while stepping. */
  logError(message: string): void {
    this.log(`<error> ${message}`);
  }

  /** redis.debug(...): "<debug> line 3: v1, v2". */
  debugLog(args: readonly LuaValue[]): void {
    this.log(`<debug> line ${this.currentLine}: ${args.map((a) => luaRepr(a)).join(', ')}`);
  }

  /** redis.breakpoint(): stop at the next line. */
  breakpoint(): void {
    this.luaBreakpoint = true;
  }

  /** The periodic check saw the script run past its time limit without a stop. */
  runningTooLong(): void {
    if (!this.step && !this.luaBreakpoint) {
      this.timedOut = true;
      this.step = true;
    }
  }

  // ---------------------------------------------------------------- the line hook

  /** Each new line the script reaches (luaLdbLineHook). */
  onLine(frame: DebugFrame, frames: readonly DebugFrame[]): void {
    this.currentLine = frame.line;
    const bp = this.isBreakpoint(frame.line) || this.luaBreakpoint;
    if (!this.step && !bp) return;
    let reason = 'step over';
    if (bp) reason = this.luaBreakpoint ? 'redis.breakpoint() called' : 'break point';
    else if (this.timedOut) reason = 'timeout reached, infinite loop?';
    const timedOut = this.timedOut;
    this.step = false;
    this.luaBreakpoint = false;
    this.timedOut = false;
    this.log(`* Stopped at ${frame.line}, stop reason = ${reason}`);
    this.logSourceLine(frame.line);
    this.sendLogs();
    if (!this.repl(frames) && timedOut) {
      // Nobody is left to stop it: end the script rather than hold the server forever.
      this.tools.raise('timeout during Lua debugging with client closing connection');
    }
    this.resumed();
  }

  private isBreakpoint(line: number): boolean {
    return this.breakpoints.includes(line);
  }

  private sourceLine(line: number): string {
    return line >= 1 && line <= this.source.length ? this.source[line - 1] : '<out of range source code line>';
  }

  private logSourceLine(line: number): void {
    const bp = this.isBreakpoint(line);
    const current = this.currentLine === line;
    const prefix = current && bp ? '->#' : current ? '-> ' : bp ? '  #' : '   ';
    this.log(`${prefix}${String(line).padEnd(3)} ${this.sourceLine(line)}`);
  }

  private list(around: number, context: number): void {
    for (let j = 1; j <= this.source.length; j++) {
      if (around !== 0 && Math.abs(around - j) > context) continue;
      this.logSourceLine(j);
    }
  }

  // ---------------------------------------------------------------- the debugger's commands

  /**
   * Reads and runs debugger commands until one resumes the script. False
   * when the client has gone: the script then runs on without stopping.
   */
  private repl(frames: readonly DebugFrame[]): boolean {
    for (;;) {
      let argv: string[] | undefined;
      while ((argv = this.parseCommand()) === undefined) {
        const data = this.channel.read();
        if (data === undefined) {
          this.step = false;
          this.breakpoints = [];
          return false;
        }
        this.buffer += data;
        if (this.buffer.length > MAX_BUFFER) {
          this.buffer = '';
          this.tools.raise('max client buffer reached');
        }
      }
      // Whatever followed the command in the buffer is dropped, as Redis does.
      this.buffer = '';
      const name = argv[0].toLowerCase();
      const argc = argv.length;
      if (name === 's' || name === 'step' || name === 'n' || name === 'next') {
        this.step = true;
        return true;
      }
      if (name === 'c' || name === 'continue') return true;
      if (name === 'a' || name === 'abort') this.tools.raise('script aborted for user request');
      if (name === 'h' || name === 'help') for (const line of HELP) this.log(line);
      else if (name === 't' || name === 'trace') this.trace(frames);
      else if (name === 'm' || name === 'maxlen') this.setMaxlen(argv);
      else if (name === 'b' || name === 'break') this.breakCommand(argv);
      else if (name === 'e' || name === 'eval') this.evalCommand(argv);
      else if (argc > 1 && (name === 'r' || name === 'redis')) this.redisCommand(argv);
      else if (name === 'p' || name === 'print') {
        if (argc === 2) this.print(frames, argv[1]);
        else this.printAll(frames);
      } else if (name === 'l' || name === 'list') {
        let around = this.currentLine;
        let context = 5;
        if (argc > 1) {
          const num = atoi(argv[1]);
          if (num > 0) around = num;
        }
        if (argc > 2) context = atoi(argv[2]);
        this.list(around, context);
      } else if (name === 'w' || name === 'whole') this.list(1, 1000000);
      else this.log('<error> Unknown Redis Lua debugger command or wrong number of arguments.');
      this.sendLogs();
    }
  }

  /**
   * The next command in the buffer, parsed as forgivingly as Redis's
   * ldbReplParseCommand (arrays of 1 to 1024 bulk strings of 1 to 1024
   * bytes); undefined while more must be read. A malformed command ends the
   * script with "protocol error".
   */
  private parseCommand(): string[] | undefined {
    const buf = this.buffer;
    if (buf.length === 0) return undefined;
    const star = buf.indexOf('*');
    if (star < 0) this.protocolError();
    let end = buf.indexOf('\r\n', star);
    if (end < 0) return undefined;
    const argc = atoi(buf.slice(star + 1, end));
    if (argc <= 0 || argc > 1024) this.protocolError();
    let p = end + 2;
    const argv: string[] = [];
    while (argv.length < argc) {
      if (p >= buf.length) return undefined;
      if (buf[p] !== '$') this.protocolError();
      end = buf.indexOf('\r\n', p);
      if (end < 0) return undefined;
      const len = atoi(buf.slice(p + 1, end));
      if (len <= 0 || len > 1024) this.protocolError();
      p = end + 2;
      if (p + len + 2 > buf.length) return undefined;
      argv.push(buf.slice(p, p + len));
      p += len;
      if (buf[p] !== '\r' || buf[p + 1] !== '\n') this.protocolError();
      p += 2;
    }
    return argv;
  }

  private protocolError(): never {
    this.buffer = '';
    this.tools.raise('protocol error');
  }

  private trace(frames: readonly DebugFrame[]): void {
    for (let level = 0; level < frames.length; level++) {
      const frame = frames[frames.length - 1 - level];
      this.log(`${level === 0 ? 'In' : 'From'} ${frame.name === '' ? 'top level' : frame.name}:`);
      this.logSourceLine(frame.line);
    }
    if (frames.length === 0) this.log("<error> Can't retrieve Lua stack.");
  }

  private setMaxlen(argv: string[]): void {
    if (argv.length === 2) {
      let value = atoi(argv[1]);
      this.maxlenHintSent = true;
      if (value !== 0 && value <= 60) value = 60;
      this.maxlen = value;
    }
    this.log(this.maxlen > 0 ? `<value> replies are truncated at ${this.maxlen} bytes.` : '<value> replies are unlimited.');
  }

  private breakCommand(argv: string[]): void {
    if (argv.length === 1) {
      if (this.breakpoints.length === 0) {
        this.log("No breakpoints set. Use 'b <line>' to add one.");
        return;
      }
      this.log(`${this.breakpoints.length} breakpoints set:`);
      for (const line of this.breakpoints) this.logSourceLine(line);
      return;
    }
    for (const arg of argv.slice(1)) {
      const line = strictInteger(arg);
      if (line === undefined) {
        this.log(`Invalid argument:'${arg}'`);
      } else if (line === 0) {
        this.breakpoints = [];
        this.log('All breakpoints removed.');
      } else if (line > 0) {
        if (this.breakpoints.length === BREAKPOINTS_MAX) {
          this.log('Too many breakpoints set.');
        } else if (line <= this.source.length && !this.isBreakpoint(line)) {
          this.breakpoints.push(line);
          this.list(line, 1);
        } else {
          // Redis answers so for a line already set, too.
          this.log('Wrong line number.');
        }
      } else {
        const i = this.breakpoints.indexOf(-line);
        if (i >= 0) {
          this.breakpoints.splice(i, 1);
          this.log('Breakpoint removed.');
        } else {
          this.log('No breakpoint in the specified line.');
        }
      }
    }
  }

  /** `eval <code>`: the code as an expression if it compiles as one, else as statements; its first value is shown. */
  private evalCommand(argv: string[]): void {
    const code = argv.slice(1).join(' ');
    let fn: LuaFunction;
    try {
      fn = this.tools.compile('return ' + code);
    } catch {
      try {
        fn = this.tools.compile(code);
      } catch (error) {
        this.log(`<error> ${errorText(error)}`);
        return;
      }
    }
    let results: LuaValue[];
    try {
      results = fn();
    } catch (error) {
      this.log(`<error> ${errorText(error)}`);
      return;
    }
    this.logTrimmed('<retval> ' + luaRepr(results[0]));
  }

  /** `redis <cmd>`: runs through redis.call with tracing on, so the command and its reply are logged. */
  private redisCommand(argv: string[]): void {
    this.step = true;
    try {
      this.tools.redisCall(argv.slice(1));
    } finally {
      this.step = false;
    }
  }

  private print(frames: readonly DebugFrame[], name: string): void {
    for (let level = frames.length - 1; level >= 0; level--) {
      const vars = frames[level].vars();
      for (let i = 0; i < vars.length; i += 2) {
        if (vars[i] === name) {
          this.logTrimmed('<value> ' + luaRepr(vars[i + 1]));
          return;
        }
      }
    }
    if (name === 'ARGV' || name === 'KEYS') this.logTrimmed('<value> ' + luaRepr(this.tools.global(name)));
    else this.log('No such variable.');
  }

  private printAll(frames: readonly DebugFrame[]): void {
    const frame = frames[frames.length - 1];
    const vars = frame === undefined ? [] : frame.vars();
    for (let i = 0; i < vars.length; i += 2) this.logTrimmed(`<value> ${vars[i] as string} = ${luaRepr(vars[i + 1])}`);
    if (vars.length === 0) this.log('No local variables in the current context.');
  }
}

/** What lua_tostring makes of an error value, for "<error> ..." lines. */
function errorText(error: unknown): string {
  if (!(error instanceof LuaError)) throw error;
  const v = error.value;
  if (typeof v === 'string' || typeof v === 'number') return tostring(v);
  if (v instanceof LuaTable) {
    const err = v.getStr('err');
    if (typeof err === 'string') return err;
  }
  return '(null)';
}

/**
 * A Lua value as the debugger shows it (ldbCatStackValueRec): strings
 * quoted, numbers as %g, a table as {a; b} when it is a sequence from 1 and
 * {[k]=v; ...} otherwise, functions as "function@0x...".
 */
export function luaRepr(v: LuaValue, level = 0): string {
  if (level === MAX_VALUE_DEPTH) return '<max recursion level reached! Nested table?>';
  switch (typeof v) {
    case 'string':
      return reprArg(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatG(v, 6);
    case 'undefined':
      return 'nil';
    case 'function':
      return `"function@${addressOf(v)}"`;
    default:
      break;
  }
  if (v instanceof LuaUserdata) return `"light-userdata@${v.address}"`;
  const values: string[] = [];
  const pairs: string[] = [];
  let isArray = true;
  let expected = 1;
  for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
    if (isArray && e[0] !== expected) isArray = false;
    const value = luaRepr(e[1], level + 1);
    values.push(value);
    pairs.push(`[${luaRepr(e[0], level + 1)}]=${value}`);
    expected++;
  }
  return `{${(isArray ? values : pairs).join('; ')}}`;
}

/** A RESP reply made readable as the debugger logs it (ldbRedisProtocolToHuman). */
export function humanReply(resp: string): string {
  const out: string[] = [];
  parseHuman(resp, 0, out);
  return out.join('');
}

function parseHuman(r: string, p: number, out: string[]): number {
  const end = r.indexOf('\r', p + 1);
  const head = r.slice(p + 1, end);
  const next = end + 2;
  const items = (open: string, close: string, count: number, map: boolean): number => {
    let q = next;
    out.push(open);
    for (let j = 0; j < count; j++) {
      q = parseHuman(r, q, out);
      if (map) {
        out.push(' => ');
        q = parseHuman(r, q, out);
      }
      if (j !== count - 1) out.push(',');
    }
    out.push(close);
    return q;
  };
  switch (r[p]) {
    case ':':
      out.push(head);
      return next;
    case '$': {
      const len = Number(head);
      if (len === -1) {
        out.push('NULL');
        return next;
      }
      out.push(reprArg(r.slice(next, next + len)));
      return next + len + 2;
    }
    case '+':
    case '-':
      out.push(reprArg(r.slice(p, end)));
      return next;
    case '*': {
      const count = Number(head);
      if (count === -1) {
        out.push('NULL');
        return next;
      }
      return items('[', ']', count, false);
    }
    case '~':
      return items('~(', ')', Number(head), false);
    case '%':
      return items('{', '}', Number(head), true);
    case '_':
      out.push('(null)');
      return next;
    case '#':
      out.push(head === 't' ? '#true' : '#false');
      return next;
    case ',':
      out.push('(double) ' + head);
      return next;
    default:
      // Big numbers and verbatim strings, which Redis 7.0 shows as they are.
      out.push(r.slice(p, end));
      return next;
  }
}
