/**
 * EVAL, EVALSHA, their read-only forms and SCRIPT: Lua scripts cached by
 * their SHA1, run atomically by the server's Lua state.
 */
import { ReplyError } from '../errors.js';
import { OK, SimpleString, type Reply } from '../protocol/reply.js';
import { argumentTable } from '../scripting/convert.js';
import { NO_VALUES } from '../scripting/lua/value.js';
import { defineCommand, type CommandContext, type CommandSpec } from './types.js';
import { keysAfterCount } from './keyspecs.js';

const NOSCRIPT = (): ReplyError => new ReplyError('NOSCRIPT No matching script. Please use EVAL.');

function parseLongLong(text: string): number {
  if (!/^-?\d+$/.test(text) || Math.abs(Number(text)) > Number.MAX_SAFE_INTEGER) throw new ReplyError('ERR value is not an integer or out of range');
  return Number(text);
}

/** numkeys of EVAL and FCALL, checked as Redis checks it. */
export function parseNumKeys(args: readonly string[]): number {
  const text = args[2];
  // One digit is what nearly every call sends: no pattern to match then.
  const numkeys = text.length === 1 && text >= '0' && text <= '9' ? text.charCodeAt(0) - 48 : parseLongLong(text);
  if (numkeys > args.length - 3) throw new ReplyError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
  return numkeys;
}

function evalGeneric(ctx: CommandContext, args: string[], bySha: boolean, readOnly: boolean): Reply {
  // EVAL is skip_monitor so that it can be shown before the commands it runs, as Redis does.
  ctx.server.feedMonitorsNow(ctx, args);
  const scripting = ctx.server.scripting;
  const debugMode = ctx.client.luaDebug;
  if (debugMode !== undefined) {
    if (bySha) {
      if (args[1].length !== 40) throw NOSCRIPT();
      throw new ReplyError('ERR Please use EVAL instead of EVALSHA for debugging');
    }
    const channel = ctx.client.debugChannel?.();
    if (channel !== undefined) {
      return scripting.debugSession(ctx, debugMode, channel, args[1], (session) => {
        const numkeys = parseNumKeys(args);
        const script = scripting.loadScript(args[1]);
        setScriptArguments(ctx, args, numkeys);
        return scripting.execute(ctx, {
          fn: scripting.debugBuild(script), args: NO_VALUES, flags: script.flags, readOnlyCommand: readOnly, name: script.sha, command: args, isEval: true, debug: session,
        });
      });
    }
  }
  const numkeys = parseNumKeys(args);
  let script;
  if (bySha) {
    const sha = args[1];
    script = sha.length === 40 ? (scripting.scripts.get(sha) ?? scripting.scripts.get(sha.toLowerCase())) : undefined;
    if (script === undefined) throw NOSCRIPT();
  } else {
    script = scripting.loadScript(args[1]);
  }
  setScriptArguments(ctx, args, numkeys);
  return scripting.execute(ctx, {
    fn: script.fn, args: NO_VALUES, flags: script.flags, readOnlyCommand: readOnly, name: script.sha, command: args, isEval: true,
  });
}

/** EVAL's keys and arguments as the script's KEYS and ARGV. */
function setScriptArguments(ctx: CommandContext, args: string[], numkeys: number): void {
  const g = ctx.server.scripting.engine.globals;
  g.setStr('KEYS', argumentTable(args, 3, 3 + numkeys));
  g.setStr('ARGV', argumentTable(args, 3 + numkeys, args.length));
}

const evalKeys = keysAfterCount(2);

function evalCommand(name: string, bySha: boolean, readOnly: boolean, summary: string): CommandSpec {
  return defineCommand({
    name,
    arity: -3,
    flags: readOnly
      ? ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly', 'movablekeys']
      : ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale', 'movablekeys'],
    keysOf: evalKeys,
    group: 'scripting',
    since: readOnly ? '7.0.0' : '2.6.0',
    complexity: 'Depends on the script that is executed.',
    summary,
    syntax: `${bySha ? 'sha1' : 'script'} numkeys [key [key ...]] [arg [arg ...]]`,
    run: (ctx, args) => evalGeneric(ctx, args, bySha, readOnly),
  });
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

function scriptSub(name: string, arity: number, flags: CommandSpec['flags'], summary: string, run: CommandSpec['run'], syntax?: string): CommandSpec {
  return defineCommand({ name, arity, flags, group: 'scripting', since: '2.6.0', complexity: 'O(1)', summary, syntax, run });
}

const scriptCommand = defineCommand({
  name: 'script', arity: -2, flags: [], group: 'scripting', since: '2.6.0', complexity: 'Depends on subcommand.',
  summary: 'A container for Lua scripts management commands.',
  subcommands: [
    scriptSub('load', 3, ['noscript', 'stale'], 'Compiles a script into the script cache and returns its SHA1.', (ctx, args) => ctx.server.scripting.loadScript(args[2]).sha, 'script'),
    scriptSub('exists', -3, ['noscript'], 'Tells which of the given SHA1s are in the script cache.', (ctx, args) =>
      args.slice(2).map((sha) => (ctx.server.scripting.scripts.has(sha.toLowerCase()) ? 1 : 0)), 'sha1 [sha1 ...]'),
    scriptSub('flush', -2, ['noscript'], 'Empties the script cache.', (ctx, args) => {
      if (args.length > 3 || (args.length === 3 && !['sync', 'async'].includes(args[2].toLowerCase()))) {
        throw new ReplyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      }
      ctx.server.scripting.scripts.clear();
      return OK;
    }, '[ASYNC|SYNC]'),
    scriptSub('kill', 2, ['noscript', 'allow_busy'], 'Stops the running script, if it has not written.', (ctx) => ctx.server.scripting.kill('script')),
    scriptSub('debug', 3, ['noscript'], 'Sets the debug mode of the scripts that follow.', (ctx, args) => {
      const client = ctx.client;
      // Replies still to be written would come after the debugger's, which go straight out (in EXEC, its own reply).
      if (client.executingTransaction || client.hasPendingReplies?.() === true) throw new ReplyError('ERR SCRIPT DEBUG must be called outside a pipeline');
      const mode = args[2].toLowerCase();
      if (mode !== 'no' && mode !== 'yes' && mode !== 'sync') throw new ReplyError('ERR Use SCRIPT DEBUG YES/SYNC/NO');
      client.luaDebug = mode === 'no' ? undefined : mode;
      return OK;
    }, 'YES|SYNC|NO'),
    scriptSub('help', 2, ['loading', 'stale'], 'Shows the SCRIPT subcommands.', () => SCRIPT_HELP.map((l) => new SimpleString(l))),
  ],
});

export const scriptingCommands: readonly CommandSpec[] = [
  evalCommand('eval', false, false, 'Runs a Lua script on the server.'),
  evalCommand('evalsha', true, false, 'Runs a cached Lua script by its SHA1.'),
  evalCommand('eval_ro', false, true, 'Runs a read-only Lua script on the server.'),
  evalCommand('evalsha_ro', true, true, 'Runs a cached read-only Lua script by its SHA1.'),
  scriptCommand,
];
