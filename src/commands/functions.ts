/**
 * FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS, KILL, HELP),
 * FCALL and FCALL_RO: Redis 7.0's libraries of Lua functions.
 */
import { ReplyError, unknownSubcommandOrArity } from '../errors.js';
import { MapReply, OK, SetReply, SimpleString, type Reply } from '../protocol/reply.js';
import { ENGINE_NAME, flagNames } from '../scripting/functions.js';
import { globMatch } from '../util/glob.js';
import { keysAfterCount } from './keyspecs.js';
import { defineCommand, type CommandContext, type CommandSpec } from './types.js';

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

/** The libraries changed: counted as a change to the data, so the command reaches the AOF and save points count it. */
function changed(ctx: CommandContext): void {
  ctx.server.keyspace.dirty++;
}

function load(ctx: CommandContext, args: string[]): Reply {
  let replace = false;
  let i = 2;
  for (; i < args.length - 1; i++) {
    if (args[i].toLowerCase() === 'replace') replace = true;
    else throw new ReplyError(`ERR Unknown option given: ${args[i]}`.replace(/[\r\n]/g, ' '));
  }
  if (i >= args.length) throw new ReplyError('ERR Function code is missing');
  const name = ctx.server.functions.load(args[i], replace);
  changed(ctx);
  return name;
}

function list(ctx: CommandContext, args: string[]): Reply {
  let withCode = false;
  let pattern: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const arg = args[i].toLowerCase();
    if (!withCode && arg === 'withcode') {
      withCode = true;
    } else if (pattern === undefined && arg === 'libraryname') {
      if (i >= args.length - 1) throw new ReplyError('ERR library name argument was not given');
      pattern = args[++i];
    } else {
      throw new ReplyError(`ERR Unknown argument ${args[i]}`.replace(/[\r\n]/g, ' '));
    }
  }
  const out: Reply[] = [];
  for (const lib of ctx.server.functions.libraries.values()) {
    if (pattern !== undefined && !globMatch(pattern, lib.name)) continue;
    const functions = Array.from(lib.functions.values(), (f) => new MapReply([
      'name', f.name,
      'description', f.description ?? null,
      'flags', new SetReply(flagNames(f.flags).map((n) => new SimpleString(n))),
    ]));
    const fields: Reply[] = ['library_name', lib.name, 'engine', lib.engine, 'functions', functions];
    if (withCode) fields.push('library_code', lib.code);
    out.push(new MapReply(fields));
  }
  return out;
}

function restore(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 4) throw unknownSubcommandOrArity(args[1], 'FUNCTION');
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (args.length === 4) {
    const p = args[3].toLowerCase();
    if (p !== 'flush' && p !== 'append' && p !== 'replace') {
      throw new ReplyError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
    policy = p;
  }
  ctx.server.functions.restore(Buffer.from(args[2], 'latin1'), policy);
  changed(ctx);
  return OK;
}

function flush(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw unknownSubcommandOrArity(args[1], 'FUNCTION');
  if (args.length === 3 && !['sync', 'async'].includes(args[2].toLowerCase())) {
    throw new ReplyError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  }
  ctx.server.functions.flush();
  changed(ctx);
  return OK;
}

function stats(ctx: CommandContext): Reply {
  const functions = ctx.server.functions;
  const running = ctx.server.scripting.runningScript();
  // Allowed while a function is busy, but an EVAL script is another matter.
  if (running?.isEval) throw new ReplyError('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');
  return new MapReply([
    'running_script', running === undefined ? null : new MapReply(['name', running.name, 'command', [...running.command], 'duration_ms', running.durationMs]),
    'engines', new MapReply([
      ENGINE_NAME, new MapReply(['libraries_count', functions.libraries.size, 'functions_count', functions.functionCount]),
    ]),
  ]);
}

function functionSub(name: string, arity: number, flags: CommandSpec['flags'], summary: string, run: CommandSpec['run'], syntax?: string, complexity = 'O(1)'): CommandSpec {
  return defineCommand({ name, arity, flags, group: 'scripting', since: '7.0.0', complexity, summary, syntax, run });
}

const functionCommand = defineCommand({
  name: 'function', arity: -2, flags: [], group: 'scripting', since: '7.0.0', complexity: 'Depends on subcommand.',
  summary: 'A container for function commands.',
  subcommands: [
    functionSub('load', -3, ['write', 'denyoom', 'noscript'], 'Creates a library, or replaces it with REPLACE.', load, '[REPLACE] function-code',
      'O(1) (considering compilation time is redundant)'),
    functionSub('delete', 3, ['write', 'noscript'], 'Deletes a library and its functions.', (ctx, args) => {
      ctx.server.functions.delete(args[2]);
      changed(ctx);
      return OK;
    }, 'library-name'),
    functionSub('flush', -2, ['write', 'noscript'], 'Deletes all libraries and functions.', flush, '[ASYNC|SYNC]', 'O(N) where N is the number of functions deleted'),
    functionSub('list', -2, ['noscript'], 'Describes the libraries and their functions.', list, '[LIBRARYNAME library-name-pattern] [WITHCODE]',
      'O(N) where N is the number of functions'),
    functionSub('dump', 2, ['noscript'], 'Serializes all libraries into a payload FUNCTION RESTORE takes.', (ctx) => ctx.server.functions.dump().toString('latin1'),
      undefined, 'O(N) where N is the number of functions'),
    functionSub('restore', -3, ['write', 'denyoom', 'noscript'], 'Restores libraries from a FUNCTION DUMP payload.', restore, 'serialized-value [FLUSH|APPEND|REPLACE]',
      'O(N) where N is the number of functions on the payload'),
    functionSub('stats', 2, ['noscript', 'allow_busy'], 'Tells whether a function is running, and counts libraries and functions per engine.', stats),
    functionSub('kill', 2, ['noscript', 'allow_busy'], 'Stops the running function, if it has not written.', (ctx) => ctx.server.scripting.kill('function')),
    functionSub('help', 2, ['loading', 'stale'], 'Shows the FUNCTION subcommands.', () => FUNCTION_HELP.map((l) => new SimpleString(l))),
  ],
});

const fcallKeys = keysAfterCount(2);

function fcallCommand(name: string, readOnly: boolean, summary: string): CommandSpec {
  return defineCommand({
    name,
    arity: -3,
    flags: readOnly
      ? ['readonly', 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys']
      : ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'movablekeys'],
    keysOf: fcallKeys,
    group: 'scripting',
    since: '7.0.0',
    complexity: 'Depends on the function that is executed.',
    summary,
    syntax: 'function numkeys [key [key ...]] [arg [arg ...]]',
    run: (ctx, args) => {
      // Shown before the commands the function runs, as Redis does (hence skip_monitor).
      ctx.server.feedMonitorsNow(ctx, args);
      return ctx.server.functions.call(ctx, args, readOnly);
    },
  });
}

export const functionCommands: readonly CommandSpec[] = [
  functionCommand,
  fcallCommand('fcall', false, 'Invokes a function.'),
  fcallCommand('fcall_ro', true, 'Invokes a read-only function.'),
];
