/**
 * CONFIG GET/SET/RESETSTAT/REWRITE over the directive table in src/config.
 */
import { ConfigError } from '../config/config.js';
import { loadingError } from '../errors.js';
import { ReplyError, syntaxError } from '../errors.js';
import { MapReply, OK, SimpleString } from '../protocol/reply.js';
import { resetCommandStats } from './table.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec } from './types.js';
import { BindError } from '../server/listen.js';

/**
 * CONFIG SET port or bind: the reply waits until the server listens where
 * the configuration now says. If it cannot, every parameter of the same
 * CONFIG SET goes back to its old value, so do the listeners, and the reply
 * is Redis's error. Inside MULTI there is no waiting: the move goes on in the
 * background, and a failure is logged.
 */
function relisten(ctx: CommandContext, bindChanged: boolean, previous: [string, string][]): BlockRequest {
  const { server, client } = ctx;
  const port = server.config.values.port;
  const portBefore = server.port;
  const move = bindChanged ? server.changeBind(port) : server.changePort(port);
  move.then(
    () => server.finishWaiting(client, OK),
    async (error: unknown) => {
      server.config.setMany(previous);
      if (!bindChanged) {
        const reason = error instanceof BindError ? error.reason : String(error);
        server.log('warning', `Failed to change the port to ${port}: ${reason}`);
        server.finishWaiting(client, new ReplyError("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."));
        return;
      }
      server.log('warning', 'Failed applying new configuration. Possibly related to new bind setting. Restoring previous settings.');
      try {
        await server.changeBind(portBefore);
      } catch (restoreError) {
        server.log('warning', `Failed applying restored failed CONFIG SET command: ${restoreError instanceof Error ? restoreError.message : String(restoreError)}`);
      }
      server.finishWaiting(client, new ReplyError("ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses."));
    },
  );
  return BlockRequest.deferred(OK);
}

/** Runs a config operation, turning its validation failures into `ERR ...` replies. */
function configured<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof ConfigError) throw new ReplyError(`ERR ${error.message}`);
    throw error;
  }
}

const subcommand = (spec: Omit<CommandSpec, 'group' | 'complexity'> & { complexity?: string }): CommandSpec =>
  defineCommand({ group: 'server', complexity: 'O(1)', ...spec });

export const configCommand = defineCommand({
  name: 'config', arity: -2, flags: [], group: 'server', since: '2.0.0', complexity: 'Depends on subcommand.',
  summary: 'Reads and changes the server configuration at run time.',
  subcommands: [
    subcommand({
      name: 'get', arity: -3, flags: ['admin', 'noscript', 'loading', 'stale'], since: '2.0.0',
      complexity: 'O(N) when N is the number of configuration parameters provided',
      summary: 'Returns the parameters matching glob patterns, with their values.', syntax: 'parameter [parameter ...]',
      run: (ctx, args) => {
        const pairs = ctx.server.config.matching(args.slice(2));
        return new MapReply(pairs.flat());
      },
    }),
    subcommand({
      name: 'set', arity: -4, flags: ['admin', 'noscript', 'loading', 'stale'], since: '2.0.0',
      complexity: 'O(N) when N is the number of configuration parameters provided',
      summary: 'Changes parameters, all or none of them.', syntax: 'parameter value [parameter value ...]',
      run: (ctx, args) => {
        if (args.length % 2 !== 0) throw syntaxError();
        const pairs: [string, string][] = [];
        for (let i = 2; i < args.length; i += 2) pairs.push([args[i], args[i + 1]]);
        const config = ctx.server.config;
        const portBefore = config.values.port;
        const bindBefore = config.get('bind');
        const previous = pairs.map(([name]): [string, string] => [name, config.get(name) ?? '']);
        if (ctx.server.loading !== undefined && config.deniedWhileLoading(pairs.map(([name]) => name))) throw loadingError();
        configured(() => config.setMany(pairs));
        const bindChanged = config.get('bind') !== bindBefore;
        if (config.values.port === portBefore && !bindChanged) return OK;
        return relisten(ctx, bindChanged, previous);
      },
    }),
    subcommand({
      name: 'resetstat', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'], since: '2.0.0',
      summary: 'Zeroes the statistics INFO reports.',
      run: (ctx) => {
        ctx.server.resetStats();
        resetCommandStats();
        return OK;
      },
    }),
    subcommand({
      name: 'rewrite', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'], since: '2.8.0',
      summary: 'Writes the running configuration back to the config file the server started with.',
      run: (ctx) => {
        const file = ctx.server.config.configFile;
        if (file === undefined) throw new ReplyError('ERR The server is running without a config file');
        configured(() => ctx.server.config.rewrite(file, { users: ctx.server.configUserLines() }));
        return OK;
      },
    }),
    subcommand({
      name: 'help', arity: 2, flags: ['loading', 'stale'], since: '5.0.0', summary: 'Lists the CONFIG subcommands.',
      run: () =>
        [
          'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          'GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.',
          'SET <directive> <value>', '    Set the configuration <directive> to <value>.',
          'RESETSTAT', '    Reset statistics reported by the INFO command.',
          'REWRITE', '    Rewrite the configuration file.',
          'HELP', '    Prints this help.',
        ].map((l) => new SimpleString(l)),
    }),
  ],
});
