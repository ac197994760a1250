/**
 * The server side of scripting: one Lua state with Redis's sandbox (read-only
 * globals, the `redis` table), and running a compiled script or function as
 * one atomic command whose effects reach the append-only file as MULTI/EXEC.
 */
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { diskWritesDenied, noReplicas, ReplyError } from '../errors.js';
import { ACL_TABLE, commandStats, dispatchResolved, findCommand, POSTPONED, resolveCommand, type CommandStats } from '../commands/table.js';
import type { Denial } from '../acl/acl.js';
import type { AclCommand } from '../acl/user.js';
import { BlockRequest, type CommandContext, type CommandSpec } from '../commands/types.js';
import { OK, type Reply } from '../protocol/reply.js';
import { freeze, unfreeze } from '../store/clock.js';
import { PROPAGATE_ALL, ScriptClient } from './client.js';
import { luaToReply, replyToLua } from './convert.js';
import { LuaEngine } from './lua/engine.js';
import { caughtValue } from './lua/lib/base.js';
import { formatG } from './lua/number.js';
import { control, debugging, tostring } from './lua/runtime.js';
import { LdbSession, type DebugChannel, type LuaDebugMode } from './ldb.js';
import { LuaTable } from './lua/table.js';
import { LuaError, NO_VALUES, where, type LuaFunction, type LuaValue } from './lua/value.js';
import { REDIS_VERSION, REDIS_VERSION_NUM } from '../version.js';
import { splitArgs } from '../util/splitargs.js';

/** How a script may behave: from its `#!lua flags=` line, a function's registration, or EVAL_RO. */
export interface ScriptFlags {
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
  /** EVAL without a shebang: Redis 7's compatibility rules (writes allowed, OOM checked at the first write). */
  compat: boolean;
}

export const COMPAT_FLAGS: ScriptFlags = {
  noWrites: false,
  allowOom: false,
  allowStale: false,
  noCluster: false,
  allowCrossSlot: false,
  compat: true,
};

/** The periodic check fires every this many loop iterations and function entries. */
const CHECK_INTERVAL = 100_000;

/** A script may use at most this share of V8's heap limit before it is stopped with "not enough memory". */
const HEAP_SHARE = 0.8;

/** What the scripting layer needs from the server it runs in. */
export interface ScriptHost {
  log(level: 'debug' | 'verbose' | 'notice' | 'warning', message: string): void;
  /** busy-reply-threshold in milliseconds: how long a script runs before other clients are answered BUSY. */
  busyThreshold(): number;
  /** Reads what every client but `caller` has sent and answers it, without waiting for anyone. */
  serveOthers(caller: CommandContext): void;
  /** Captures the dataset; the function returned puts it back as it was (SCRIPT DEBUG YES's rollback). */
  checkpoint(): () => void;
}

/** One script or function to run as a command. */
export interface ScriptCall {
  fn: LuaFunction;
  args: LuaValue[];
  flags: ScriptFlags;
  /** EVAL_RO / EVALSHA_RO / FCALL_RO. */
  readOnlyCommand: boolean;
  /** Name Redis shows in errors and FUNCTION STATS: the SHA of an EVAL script, or the function's name. */
  name: string;
  /** The command that runs it, as FUNCTION STATS shows it. */
  command: readonly string[];
  /** EVAL family (SCRIPT KILL stops it) or FCALL (FUNCTION KILL does). */
  isEval: boolean;
  /** The debugging session the script runs in (`fn` is then a debug build). */
  debug?: LdbSession;
}

/** What runs while a script runs. */
interface RunContext {
  call: ScriptCall;
  caller: CommandContext;
  client: ScriptClient;
  readOnly: boolean;
  /** A write command has run: the script can no longer be refused for OOM, nor killed. */
  dirty: boolean;
  oomAtStart: boolean;
  allowOom: boolean;
  started: number;
  /** Past busy-reply-threshold: other clients are being served, and answered BUSY. */
  timedOut: boolean;
  /** SCRIPT KILL or FUNCTION KILL asked for the end of it. */
  killed: boolean;
  debug: LdbSession | undefined;
}

/** Thrown through the script when it must end (SCRIPT KILL, out of memory): pcall cannot catch it. */
class ScriptAbort {
  constructor(readonly error: LuaValue) {}
}

const EVAL_BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const FUNCTION_BUSY = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

/** An error as Redis's Lua API raises it: {err="CODE message"} (a bare message gets the ERR code). */
export function errorTable(message: string): LuaTable {
  const t = new LuaTable();
  // Redis stores error texts without the leading '-', with a code, and without a trailing line break.
  let text = message.startsWith('-') ? message.slice(1) : message;
  if (!message.startsWith('-')) text = 'ERR ' + text;
  else if (!text.includes(' ')) text = 'ERR ' + text;
  t.setStr('err', text.replace(/[\r\n]+$/, ''));
  return t;
}

export function raiseTable(message: string): never {
  throw new LuaError(errorTable(message));
}

/** A script in the cache: EVAL compiles each body once and EVALSHA finds it by its SHA1. */
export interface CachedScript {
  sha: string;
  body: string;
  fn: LuaFunction;
  flags: ScriptFlags;
}

const SHEBANG_FLAGS: Record<string, keyof ScriptFlags> = {
  'no-writes': 'noWrites',
  'allow-oom': 'allowOom',
  'allow-stale': 'allowStale',
  'no-cluster': 'noCluster',
  'allow-cross-slot-keys': 'allowCrossSlot',
};

/** Flags named in a `#!lua flags=a,b` line or given to register_function; undefined names the unknown one. */
export function parseFlagNames(names: readonly string[]): ScriptFlags | string {
  const flags: ScriptFlags = { ...COMPAT_FLAGS, compat: false };
  for (const name of names) {
    const key = SHEBANG_FLAGS[name];
    if (key === undefined) return name;
    flags[key] = true;
  }
  return flags;
}

/** The flags of an EVAL body's `#!` line and the line's length (Redis's evalExtractShebangFlags). */
function shebangFlags(body: string): { flags: ScriptFlags; length: number } {
  if (!body.startsWith('#!')) return { flags: COMPAT_FLAGS, length: 0 };
  const end = body.indexOf('\n');
  if (end < 0) throw new ReplyError('ERR Invalid script shebang');
  const parts = splitArgs(body.slice(0, end));
  if (parts === null || parts.length === 0) throw new ReplyError('ERR Invalid engine in script shebang');
  if (parts[0] !== '#!lua') throw new ReplyError(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  let flags: ScriptFlags = { ...COMPAT_FLAGS, compat: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) throw new ReplyError(`ERR Unknown lua shebang option: ${part}`);
    const list = part.slice(6);
    const parsed = parseFlagNames(list === '' ? [] : list.split(','));
    if (typeof parsed === 'string') throw new ReplyError(`ERR Unexpected flag in script shebang: ${parsed}`);
    flags = parsed;
  }
  return { flags, length: end };
}

export class Scripting {
  readonly engine = new LuaEngine();
  readonly scripts = new Map<string, CachedScript>();
  private run: RunContext | undefined;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS: lets scripts run noscript commands, for Redis's own tests. */
  denyScriptsDisabled = false;
  /** The one client scripts run commands as, reset for each run. */
  private client: ScriptClient | undefined;
  private readonly heapLimit = v8.getHeapStatistics().heap_size_limit * HEAP_SHARE;
  /** A SCRIPT DEBUG YES session runs: its changes are undone afterwards, so none propagates. */
  private rollingBack = false;

  constructor(private readonly host: ScriptHost) {
    installSandbox(this.engine, this.redisTable());
    control.hook = () => this.periodicCheck();
  }

  get running(): boolean {
    return this.run !== undefined;
  }

  /** The command context that runs the current script, if one runs. */
  caller(): CommandContext | undefined {
    return this.run?.caller;
  }

  /** What a client other than the script's gets while a timed-out script runs; undefined when none does. */
  busyRefusal(ctx: CommandContext): ReplyError | undefined {
    const run = this.run;
    if (run === undefined || !run.timedOut || ctx === run.client) return undefined;
    return new ReplyError(run.call.isEval ? EVAL_BUSY : FUNCTION_BUSY);
  }

  /** The running script as FUNCTION STATS shows it: its name, command and milliseconds so far. */
  runningScript(): { name: string; command: readonly string[]; durationMs: number; isEval: boolean } | undefined {
    const run = this.run;
    if (run === undefined) return undefined;
    return { name: run.call.name, command: run.call.command, durationMs: Date.now() - run.started, isEval: run.call.isEval };
  }

  /** Compiles an EVAL body into the cache (once per body); throws the compile error reply. */
  loadScript(body: string): CachedScript {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return cached;
    const { flags, length } = shebangFlags(body);
    let fn: LuaFunction;
    try {
      // The shebang line is dropped but its line feed kept, so line numbers stay the user's.
      fn = this.engine.load(body.slice(length), 'user_script');
    } catch (error) {
      if (error instanceof LuaError) throw new ReplyError(`ERR Error compiling script (new function): ${tostring(error.value).replace(/[\r\n]/g, ' ')}`);
      throw error;
    }
    const script = { sha, body, fn, flags };
    this.scripts.set(sha, script);
    return script;
  }

  /**
   * The flags an EVAL body's shebang (or the cached script of an EVALSHA
   * sha) declares, before it runs; undefined without a shebang, for an
   * unknown sha or a bad shebang (Redis's evalGetCommandFlags then keeps
   * EVAL's own flags).
   */
  declaredFlags(bodyOrSha: string, isSha: boolean): ScriptFlags | undefined {
    if (isSha && bodyOrSha.length !== 40) return undefined;
    const cached = this.scripts.get(isSha ? bodyOrSha.toLowerCase() : sha1hex(bodyOrSha));
    let flags: ScriptFlags | undefined = cached?.flags;
    if (flags === undefined && !isSha) {
      try {
        flags = shebangFlags(bodyOrSha).flags;
      } catch {
        return undefined; // the call itself will report the bad shebang
      }
    }
    return flags?.compat === false ? flags : undefined;
  }

  /**
   * An EVAL in a debugging session (Redis's evalGenericCommandWithDebugging):
   * `evaluate` compiles and runs the script given the session; whatever it
   * answers, the session then ends with "<endsession>" and the connection
   * closes after the reply. In YES mode the dataset is put back afterwards
   * and nothing propagates: Redis forks for it, we roll back instead, and the
   * server waits for the session meanwhile, as in SYNC mode.
   */
  debugSession(caller: CommandContext, mode: LuaDebugMode, channel: DebugChannel, body: string, evaluate: (session: LdbSession) => Reply): Reply {
    const tools = {
      compile: (code: string) => this.engine.load(code, 'ldb_eval'),
      global: (name: string) => this.engine.globals.getStr(name),
      redisCall: (args: string[]) => {
        try {
          this.call(args, true);
        } catch (error) {
          if (!(error instanceof LuaError)) throw error;
        }
      },
      raise: (message: string): never => {
        where.pos = `user_script:${session.currentLine}: `;
        raiseTable(message);
      },
    };
    const session: LdbSession = new LdbSession(channel, body, tools, () => {
      if (this.run !== undefined) this.run.started = Date.now();
    });
    const restore = mode === 'yes' ? this.host.checkpoint() : undefined;
    this.rollingBack = restore !== undefined;
    this.host.log('warning', restore === undefined ? 'Redis synchronous debugging eval session started' : 'Redis debugging eval session started (its changes will be rolled back)');
    try {
      return evaluate(session);
    } catch (error) {
      if (error instanceof ReplyError) return error;
      throw error;
    } finally {
      session.end();
      restore?.();
      this.rollingBack = false;
      this.host.log('warning', restore === undefined ? 'Redis synchronous debugging eval session ended' : 'Redis debugging eval session ended, changes rolled back');
      caller.client.closeAfterReply();
    }
  }

  /** A cached script's chunk compiled for debugging (line events, frames, locals). */
  debugBuild(script: CachedScript): LuaFunction {
    return this.engine.load(script.body.slice(shebangFlags(script.body).length), 'user_script', this.engine.globals, true);
  }

  /** SCRIPT KILL / FUNCTION KILL: asks the running script to stop at its next periodic check. */
  kill(kind: 'script' | 'function'): Reply {
    const run = this.run;
    if (run === undefined) return new ReplyError('NOTBUSY No scripts in execution right now.');
    if (run.dirty) {
      return new ReplyError(
        'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      );
    }
    if (kind === 'script' && !run.call.isEval) return new ReplyError(FUNCTION_BUSY);
    if (kind === 'function' && run.call.isEval) return new ReplyError(EVAL_BUSY);
    run.killed = true;
    return OK;
  }

  /** A `redis` table bound to this server's script runs (each Lua state gets its own). */
  redisTable(): LuaTable {
    const t = new LuaTable();
    const fn = (name: string, f: LuaFunction): void => t.setStr(name, f);
    fn('call', (...args) => this.call(args, true));
    fn('pcall', (...args) => this.call(args, false));
    fn('sha1hex', (...args) => {
      if (args.length !== 1) raiseTable('wrong number of arguments');
      const s = args[0];
      return [sha1hex(typeof s === 'string' ? s : typeof s === 'number' ? tostring(s) : '')];
    });
    fn('error_reply', (...args) => {
      if (args.length !== 1 || typeof args[0] !== 'string') return [errorTable('wrong number or type of arguments')];
      const msg = args[0];
      return [errorTable(msg.startsWith('-') ? msg : '-' + msg)];
    });
    fn('status_reply', (...args) => {
      if (args.length !== 1 || typeof args[0] !== 'string') return [errorTable('wrong number or type of arguments')];
      const ok = new LuaTable();
      ok.setStr('ok', args[0]);
      return [ok];
    });
    fn('log', (...args) => {
      if (args.length < 2) raiseTable('redis.log() requires two arguments or more.');
      const level = typeof args[0] === 'number' ? args[0] : typeof args[0] === 'string' ? Number(args[0]) : NaN;
      if (Number.isNaN(level)) raiseTable('First argument must be a number (log level).');
      const levels = ['debug', 'verbose', 'notice', 'warning'] as const;
      const name = levels[Math.trunc(level)];
      if (name === undefined) raiseTable('Invalid debug level.');
      const parts: string[] = [];
      for (let i = 1; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string' || typeof a === 'number') parts.push(tostring(a));
      }
      this.host.log(name, parts.join(' '));
      return NO_VALUES;
    });
    t.setStr('LOG_DEBUG', 0);
    t.setStr('LOG_VERBOSE', 1);
    t.setStr('LOG_NOTICE', 2);
    t.setStr('LOG_WARNING', 3);
    t.setStr('REDIS_VERSION', REDIS_VERSION);
    t.setStr('REDIS_VERSION_NUM', REDIS_VERSION_NUM);
    fn('setresp', (...args) => {
      const run = this.requireRun('redis.setresp can only be called inside a script invocation');
      if (args.length !== 1) raiseTable('redis.setresp() requires one argument.');
      const resp = typeof args[0] === 'number' ? Math.trunc(args[0]) : Number(args[0]);
      if (resp !== 2 && resp !== 3) raiseTable('RESP version must be 2 or 3.');
      run.client.resp = resp;
      return NO_VALUES;
    });
    fn('set_repl', (...args) => {
      const run = this.requireRun('redis.set_repl can only be called inside a script invocation');
      if (args.length !== 1) raiseTable('redis.set_repl() requires two arguments.');
      const flags = typeof args[0] === 'number' ? Math.trunc(args[0]) : 0;
      if ((flags & ~PROPAGATE_ALL) !== 0) raiseTable('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      // A session whose changes are rolled back propagates nothing, whatever the script asks.
      if (run.debug !== undefined && this.rollingBack) return NO_VALUES;
      run.client.propagateTo = flags;
      return NO_VALUES;
    });
    t.setStr('REPL_NONE', 0);
    t.setStr('REPL_AOF', 1);
    t.setStr('REPL_SLAVE', 2);
    t.setStr('REPL_REPLICA', 2);
    t.setStr('REPL_ALL', 3);
    // Redis 7 always replicates effects; the call remains for old scripts.
    fn('replicate_commands', () => [true]);
    fn('breakpoint', () => {
      const session = this.run?.debug;
      if (session === undefined) return [false];
      session.breakpoint();
      return [true];
    });
    fn('debug', (...args) => {
      this.run?.debug?.debugLog(args);
      return NO_VALUES;
    });
    fn('acl_check_cmd', (...args) => {
      this.requireRun('redis.acl_check_cmd can only be called inside a script invocation');
      const argv = toArgv(args);
      const gate = scriptGate(argv);
      if (gate === undefined) raiseTable('Invalid command passed to redis.acl_check_cmd()');
      const caller = this.run!.caller;
      return [caller.server.acl.check(caller.client.user, gate.acl, argv) === undefined];
    });
    return t;
  }

  private requireRun(message: string): RunContext {
    if (this.run === undefined) raiseTable(message);
    return this.run;
  }

  /** redis.call / redis.pcall: runs one command as the script's client; `args` is the call's own array, made its argv. */
  private call(args: LuaValue[], raise: boolean): LuaValue[] {
    const run = this.requireRun('redis.call/pcall can only be called inside a script invocation');
    const argv = toArgv(args);
    const session = run.debug?.tracing === true ? run.debug : undefined;
    session?.logCommand(argv);
    // One lookup serves the script's checks and the dispatch; an unknown subcommand is checked as its container.
    const resolved = resolveCommand(argv);
    const gate = resolved instanceof ReplyError ? scriptGate(argv) : gateOf(resolved.spec, resolved.fullName);
    const refusal = this.refusal(run, gate, argv);
    if (refusal !== undefined) {
      session?.logError(refusal);
      // Refused before it ran: counted once here, so the script's error reply is not counted again.
      const t = errorTable(refusal);
      run.client.server.countError(new ReplyError(t.getStr('err') as string));
      t.setStr('ignore_error_stats_update', true);
      if (raise) throw new LuaError(t);
      return [t];
    }
    const client = run.client;
    const dispatched = dispatchResolved(client, resolved, argv, client.server);
    if (dispatched === POSTPONED) throw new Error('a command inside a script was postponed');
    const reply: Reply = dispatched instanceof BlockRequest ? dispatched.timeoutReply : dispatched;
    session?.logReply(reply, client.resp);
    if (reply instanceof ReplyError) {
      client.server.countError(reply);
      const t = errorTable('-' + reply.message);
      t.setStr('ignore_error_stats_update', true);
      if (raise) throw new LuaError(t);
      return [t];
    }
    return [replyToLua(reply, client.resp)];
  }

  /** The checks Redis's scriptCall makes before a command runs from a script, in its order. */
  private refusal(run: RunContext, gate: ScriptGate | undefined, argv: string[]): string | undefined {
    if (gate === undefined) return 'Unknown Redis command called from script';
    const refused = this.checkGate(run, gate, argv);
    if (refused !== undefined && gate.stats !== undefined) gate.stats.rejectedCalls++;
    return refused;
  }

  private checkGate(run: RunContext, gate: ScriptGate, argv: string[]): string | undefined {
    const arity = gate.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return 'Wrong number of args calling Redis command from script';
    if (gate.noScript && !this.denyScriptsDisabled) return 'This Redis command is not allowed from script';
    const caller = run.caller;
    if (!gate.stale && caller.server.runningStale()) return 'Can not execute the command on a stale replica';
    if (!caller.client.user.unrestricted) {
      const refusal = caller.server.acl.check(caller.client.user, gate.acl, argv);
      if (refusal !== undefined) {
        caller.server.logAclRefusal(caller.client, refusal, 'lua');
        return `The user executing the script ${SCRIPT_REFUSALS[refusal.reason]}`;
      }
    }
    if (run.readOnly && gate.mayWrite) return 'Write commands are not allowed from read-only scripts.';
    if (!run.dirty && !run.allowOom && run.oomAtStart && gate.denyOom) {
      return "-OOM command not allowed when used memory > 'maxmemory'.";
    }
    if (gate.isXread && argv.some((a) => a.toLowerCase() === 'block')) {
      return `${argv[0].toLowerCase()} command is not allowed with BLOCK option from scripts`;
    }
    if (gate.write && !run.dirty && caller.server.diskWritesDenied() && !caller.server.mustObey(caller)) return '-' + diskWritesDenied().message;
    if (gate.write && !run.dirty && run.caller.server.replicasMissing()) return '-' + noReplicas().message;
    if (gate.write) run.dirty = true;
    return undefined;
  }

  /** Runs a compiled chunk or function as one command for `caller`; never throws. */
  execute(caller: CommandContext, call: ScriptCall): Reply {
    const server = caller.server;
    if (this.run !== undefined) return new ReplyError('ERR Cannot run a script from within a script');
    const { fn, args, flags, name } = call;
    const readOnly = flags.noWrites || call.readOnlyCommand;
    const oomAtStart = server.config.values.maxmemory > 0 && server.outOfMemory();
    if (!flags.compat && !flags.noWrites && call.readOnlyCommand) {
      return new ReplyError('ERR Can not execute a script with write flag using *_ro command.');
    }
    // Scripts without a shebang are refused on a stale replica here; the others were, by their flags, at dispatch.
    if (flags.compat && server.runningStale() && !server.mustObey(caller)) {
      return new ReplyError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    }
    if (!flags.compat && !readOnly && server.diskWritesDenied() && !server.mustObey(caller)) {
      return new ReplyError("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.");
    }
    if (!flags.compat && !readOnly && server.replicasMissing()) return noReplicas();
    if (!flags.compat && !flags.allowOom && !readOnly && oomAtStart) {
      return new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
    }
    const client = (this.client ??= new ScriptClient(caller.client.db, server));
    client.db = caller.client.db;
    client.resp = 2;
    client.propagateTo = call.debug !== undefined && this.rollingBack ? 0 : PROPAGATE_ALL;
    const run: RunContext = {
      call,
      caller,
      client,
      readOnly,
      dirty: false,
      oomAtStart,
      allowOom: flags.allowOom,
      started: Date.now(),
      timedOut: false,
      killed: false,
      debug: call.debug,
    };
    this.run = run;
    const session = call.debug;
    if (session !== undefined) debugging.onLine = (frame) => session.onLine(frame, debugging.frames);
    where.pos = '';
    control.budget = CHECK_INTERVAL;
    server.persistence.propagationBegin();
    // A script sees one instant, as a transaction does: keys cannot expire half-way through it.
    const outerClock = freeze(run.started);
    try {
      const results = args.length === 0 ? fn() : fn(...args);
      return luaToReply(results[0], client.resp);
    } catch (error) {
      let value: LuaValue;
      try {
        value = error instanceof ScriptAbort ? error.error : caughtValue(error);
      } catch (other) {
        return server.internalError(other, call.command[0].toLowerCase());
      }
      return this.errorReply(value, name);
    } finally {
      unfreeze(outerClock);
      if (run.timedOut) this.host.log('warning', 'Slow script finished running');
      if (session !== undefined) {
        debugging.onLine = () => {};
        debugging.frames.length = 0;
      }
      this.run = undefined;
      control.budget = Infinity;
      server.persistence.propagationEnd();
    }
  }

  /** The error a failed script answers: its message, then where it failed, as Redis's error handler reports it. */
  private errorReply(value: LuaValue, name: string): ReplyError {
    let message: string;
    let counted = false;
    if (value instanceof LuaTable) {
      const err = value.getStr('err');
      // Redis 7.0.15 crashes on an error table without 'err'; this answers instead.
      message = typeof err === 'string' ? err : 'ERR Script raised an error table without an err field';
      counted = value.getStr('ignore_error_stats_update') === true;
    } else {
      message = 'ERR ' + tostring(value);
    }
    const at = where.pos.endsWith(': ') ? `@${where.pos.slice(0, -2)}` : '@user_script:0';
    const error = new ReplyError(`${message.replace(/[\r\n]/g, ' ')} script: ${name}, on ${at}.`);
    error.counted = counted;
    return error;
  }

  /**
   * Every CHECK_INTERVAL loop iterations and function entries. Past
   * busy-reply-threshold the script enters Redis's timed-out mode: each check
   * then serves the other clients once (they get BUSY, SCRIPT KILL is
   * heard), which is what keeps the server answering while a script loops.
   */
  private periodicCheck(): void {
    control.budget = CHECK_INTERVAL;
    const run = this.run;
    if (run === undefined) return;
    if (v8.getHeapStatistics().used_heap_size > this.heapLimit) {
      throw new ScriptAbort('Script used too much memory and was stopped (not enough memory)');
    }
    if (run.debug !== undefined) {
      // A debugged script is not answered BUSY for: past the limit (5 s without one) it stops in the debugger instead.
      const limit = this.host.busyThreshold() > 0 ? this.host.busyThreshold() : 5000;
      if (Date.now() - run.started >= limit) run.debug.runningTooLong();
      return;
    }
    if (!run.timedOut) {
      const threshold = this.host.busyThreshold();
      const elapsed = Date.now() - run.started;
      if (threshold <= 0 || elapsed < threshold) return;
      run.timedOut = true;
      this.host.log(
        'warning',
        `Slow script detected: still in execution after ${elapsed} milliseconds. You can try killing the script using the ${run.call.isEval ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.call.name}.`,
      );
    }
    this.host.serveOthers(run.caller);
    if (run.killed) {
      this.host.log('warning', 'Lua script killed by user with SCRIPT KILL.');
      throw new ScriptAbort('Script killed by user with SCRIPT KILL...');
    }
  }
}

/** What the checks before a script's command need of its spec, worked out once per spec. */
interface ScriptGate {
  arity: number;
  noScript: boolean;
  /** Served by a stale replica (the command's stale flag). */
  stale: boolean;
  write: boolean;
  /** write or may_replicate: refused in read-only scripts. */
  mayWrite: boolean;
  denyOom: boolean;
  isXread: boolean;
  /** INFO commandstats of the command: a refusal counts as a rejected call. */
  stats: CommandStats | undefined;
  /** What the ACL checks against the caller's user. */
  acl: AclCommand;
}

/** Why the ACL refused a script's command, after "The user executing the script ". */
const SCRIPT_REFUSALS: Readonly<Record<Denial, string>> = {
  command: "can't run this command or subcommand",
  key: "can't access at least one of the keys mentioned in the command arguments",
  channel: "can't publish to the channel mentioned in the command",
};

const gates = new Map<CommandSpec, ScriptGate>();

function gateOf(spec: CommandSpec, fullName: string): ScriptGate {
  let gate = gates.get(spec);
  if (gate === undefined) {
    const flags = spec.flags;
    gate = {
      arity: spec.arity,
      noScript: flags.includes('noscript'),
      stale: flags.includes('stale'),
      write: flags.includes('write'),
      mayWrite: flags.includes('write') || flags.includes('may_replicate'),
      denyOom: flags.includes('denyoom'),
      isXread: spec.name === 'xread' || spec.name === 'xreadgroup',
      stats: commandStats.get(fullName),
      acl: ACL_TABLE.lookup(fullName)!,
    };
    gates.set(spec, gate);
  }
  return gate;
}

/** The gate of the command (or subcommand) argv names; undefined for an unknown command. */
function scriptGate(argv: string[]): ScriptGate | undefined {
  const spec = findCommand(argv[0]);
  if (spec === undefined) return undefined;
  if (spec.subcommands === undefined || argv.length < 2) return gateOf(spec, spec.name);
  const sub = spec.subcommands.find((s) => s.name === argv[1].toLowerCase());
  return sub === undefined ? gateOf(spec, spec.name) : gateOf(sub, `${spec.name}|${sub.name}`);
}

/**
 * redis.call's arguments as command arguments: strings as they are, numbers as "%.17g".
 * Converted in place: every caller passes an array of its own (a rest parameter).
 */
function toArgv(args: LuaValue[]): string[] {
  if (args.length === 0) raiseTable('Please specify at least one argument for this redis lib call');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string') continue;
    if (typeof a === 'number') args[i] = Number.isInteger(a) && Math.abs(a) < 1e17 ? String(a) : formatG(a, 17);
    else raiseTable('Lua redis lib command arguments must be strings or integers');
  }
  return args as string[];
}

/**
 * Redis's sandbox on a Lua state: pcall that hands back error messages,
 * `redis`, the error handler's name, the nonexistent-global error and
 * read-only globals. EVAL's state and the functions' state both get it.
 */
export function installSandbox(engine: LuaEngine, redis: LuaTable): void {
  const g = engine.globals;
  const basePcall = g.getStr('pcall') as LuaFunction;
  // Redis 7 raises command errors as {err=...} tables; its pcall hands scripts the message, as older versions did.
  g.setStr('pcall', (...args: LuaValue[]) => {
    const r = basePcall(...args);
    if (r[0] === false && r[1] instanceof LuaTable) {
      const err = r[1].getStr('err');
      if (typeof err === 'string') return [false, err];
    }
    return r;
  });
  g.setStr('redis', redis);
  g.setStr('__redis__err__handler', () => NO_VALUES);
  g.metatable = nonexistentGlobalMeta();
  protect(g);
}

/** The metatable whose __index raises Redis's "nonexistent global variable" error. */
export function nonexistentGlobalMeta(): LuaTable {
  const meta = new LuaTable();
  meta.setStr('__index', (_t: LuaValue, key: LuaValue) => {
    throw new LuaError(`${where.pos}Script attempted to access nonexistent global variable '${tostring(key)}'`);
  });
  return meta;
}

/** Makes a table and every table reachable from it read-only, as Redis locks its globals. */
export function protect(t: LuaTable): void {
  if (t.readonly) return;
  t.readonly = true;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
    if (e[1] instanceof LuaTable) protect(e[1]);
  }
  if (t.metatable !== undefined) protect(t.metatable);
}
