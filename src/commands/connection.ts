/**
 * Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH and CLIENT.
 */
import { ReplyError, notInteger, syntaxError, wrongPass, unknownClientType } from '../errors.js';
import { MapReply, OK, PONG, SetReply, SimpleString, VerbatimReply, type Reply } from '../protocol/reply.js';
import { REDIS_VERSION } from '../version.js';
import type { KillFilter } from '../server/server.js';
import type { TrackingRequest } from '../server/tracking.js';
import { parseInt64 } from '../util/numbers.js';
import { numberArg } from './strings.js';
import { defineCommand, isSubscribed, type CommandContext, type CommandSpec } from './types.js';

/** Logs the client in as `name`, or logs the failure in ACL LOG and refuses. */
function authenticate(ctx: CommandContext, command: string, name: string, password: string): void {
  const client = ctx.client;
  const user = ctx.server.acl.authenticate(name, password);
  if (user === undefined) {
    ctx.server.logAclRefusal(client, { reason: 'auth', object: command }, client.multi ? 'multi' : 'toplevel', name);
    throw wrongPass();
  }
  client.authenticated = true;
  client.user = user;
}

function auth(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw syntaxError();
  if (args.length === 2 && ctx.server.acl.defaultUser.nopass) {
    throw new ReplyError(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const [user, password] = args.length === 3 ? [args[1], args[2]] : ['default', args[1]];
  authenticate(ctx, args[0], user, password);
  return OK;
}

/** Client names are printable ASCII without spaces, as in Redis. */
function validateName(name: string, what = 'Client names'): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new ReplyError(`ERR ${what} cannot contain spaces, newlines or special characters.`);
  }
}

function hello(ctx: CommandContext, args: string[]): Reply {
  let version: 2 | 3 | undefined;
  let i = 1;
  if (args.length > 1) {
    const requested = Number(args[1]);
    if (!/^-?\d+$/.test(args[1])) throw new ReplyError('ERR Protocol version is not an integer or out of range');
    if (requested < 2 || requested > 3) throw new ReplyError('NOPROTO unsupported protocol version');
    version = requested as 2 | 3;
    i = 2;
  }
  // Options take effect as they are read, as in Redis: a failing AUTH keeps a SETNAME before it.
  for (; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (opt === 'AUTH' && i + 2 < args.length) {
      authenticate(ctx, args[0], args[i + 1], args[i + 2]);
      i += 2;
    } else if (opt === 'SETNAME' && i + 1 < args.length) {
      validateName(args[++i]);
      ctx.client.name = args[i];
    } else {
      throw new ReplyError(`ERR Syntax error in HELLO option '${args[i]}'`);
    }
  }
  if (!ctx.client.authenticated) {
    throw new ReplyError(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (version !== undefined) ctx.client.resp = version;
  return new MapReply([
    'server', 'redis',
    'version', REDIS_VERSION,
    'proto', ctx.client.resp,
    'id', ctx.client.id,
    'mode', 'standalone',
    'role', 'master',
    'modules', [],
  ]);
}

function reset(ctx: CommandContext): Reply {
  const client = ctx.client;
  client.db = ctx.server.keyspace.dbs[0];
  client.resp = 2;
  client.name = '';
  client.replyMode = 'on';
  client.noEvict = false;
  client.noTouch = false;
  client.user = ctx.server.acl.defaultUser;
  client.authenticated = client.user.nopass && client.user.enabled;
  ctx.server.resetClient(client);
  return new SimpleString('RESET');
}

/** `on`/`off` arguments of CLIENT NO-EVICT and NO-TOUCH. */
function onOff(text: string): boolean {
  const value = text.toLowerCase();
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw syntaxError();
}

function clientKill(ctx: CommandContext, args: string[]): Reply {
  // The old form, CLIENT KILL addr:port, replies OK or an error.
  if (args.length === 3) {
    const killed = ctx.server.killClients(ctx.client, { addr: args[2], skipMe: false });
    if (killed === 0) throw new ReplyError('ERR No such client');
    return OK;
  }
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < args.length; i += 2) {
    if (i + 1 >= args.length) throw syntaxError();
    const opt = args[i].toUpperCase();
    const value = args[i + 1];
    if (opt === 'ID') {
      const id = Number(value);
      if (!/^\d+$/.test(value) || id <= 0) throw new ReplyError('ERR client-id should be greater than 0');
      filter.id = id;
    } else if (opt === 'ADDR') filter.addr = value;
    else if (opt === 'LADDR') filter.laddr = value;
    else if (opt === 'USER') {
      if (ctx.server.acl.getUser(value) === undefined) throw new ReplyError(`ERR No such user '${value}'`);
      filter.user = value;
    }
    else if (opt === 'TYPE') {
      const type = value.toLowerCase();
      if (!['normal', 'master', 'slave', 'replica', 'pubsub'].includes(type)) {
        throw unknownClientType(value);
      }
      filter.type = type;
    } else if (opt === 'SKIPME') {
      const yes = value.toLowerCase();
      if (yes !== 'yes' && yes !== 'no') throw syntaxError();
      filter.skipMe = yes === 'yes';
    } else throw syntaxError();
  }
  return ctx.server.killClients(ctx.client, filter);
}

function clientList(ctx: CommandContext, args: string[]): Reply {
  let ids: Set<number> | undefined;
  let type: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (opt === 'TYPE' && i + 1 < args.length) {
      type = args[++i].toLowerCase();
      if (!['normal', 'master', 'slave', 'replica', 'pubsub'].includes(type)) {
        throw unknownClientType(args[i]);
      }
    } else if (opt === 'ID' && i + 1 < args.length) {
      ids = new Set();
      for (i++; i < args.length; i++) {
        const id = Number(args[i]);
        if (!/^\d+$/.test(args[i]) || id <= 0) throw new ReplyError('ERR Invalid client ID');
        ids.add(id);
      }
    } else throw syntaxError();
  }
  const lines: string[] = [];
  for (const client of ctx.server.clientStates()) {
    if (ids && !ids.has(client.id)) continue;
    if (type && (type === 'slave' ? 'replica' : type) !== ctx.server.clientType(client)) continue;
    lines.push(client.describe() + '\n');
  }
  return new VerbatimReply('txt', lines.join(''));
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]. */
function clientTracking(ctx: CommandContext, args: string[]): Reply {
  const request: TrackingRequest = { bcast: false, optin: false, optout: false, noloop: false, redirect: 0, prefixes: [] };
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toLowerCase();
    const hasValue = i + 1 < args.length;
    if (option === 'redirect' && hasValue) {
      if (request.redirect !== 0) throw new ReplyError('ERR A client can only redirect to a single other client');
      const id = parseInt64(args[++i]);
      if (id === null) throw notInteger();
      if (!ctx.server.clients.has(Number(id))) throw new ReplyError('ERR The client ID you want redirect to does not exist');
      request.redirect = Number(id);
    } else if (option === 'bcast') request.bcast = true;
    else if (option === 'optin') request.optin = true;
    else if (option === 'optout') request.optout = true;
    else if (option === 'noloop') request.noloop = true;
    else if (option === 'prefix' && hasValue) request.prefixes.push(args[++i]);
    else throw syntaxError();
  }
  const mode = args[2].toLowerCase();
  const client = ctx.client;
  if (mode === 'on') {
    const refusal = ctx.server.tracking.refusal(client, request);
    if (refusal !== undefined) throw new ReplyError(`ERR ${refusal}`);
    ctx.server.tracking.enable(client, request);
  } else if (mode === 'off') {
    ctx.server.tracking.disable(client);
  } else {
    throw syntaxError();
  }
  return OK;
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'KILL <ip:port>', '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE and SKIPME.',
  'LIST [options ...]', '    Return information about client connections. Options: TYPE, ID.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]', '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]', '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO', '    Report tracking status for the current connection.',
  'CACHING (YES|NO)', '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR', '    Return the client ID we are redirecting to when tracking is enabled.',
  'PAUSE <timeout> [WRITE|ALL]', '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'UNPAUSE', '    Stop the current client pause, resuming traffic.',
  'NO-EVICT (ON|OFF)', '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)', "    Will not touch LRU/LFU stats when this mode is on.",
  'REPLY (ON|OFF|SKIP)', '    Control the replies sent to the current connection.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>', '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'HELP', '    Prints this help.',
];

const sub = (
  name: string,
  arity: number,
  summary: string,
  run: (ctx: CommandContext, args: string[]) => Reply,
  syntax?: string,
  flags: CommandSpec['flags'] = ['noscript', 'loading', 'stale'],
): CommandSpec => defineCommand({ name, arity, flags, group: 'connection', since: '2.4.0', complexity: 'O(1)', summary, syntax, run });

const clientCommand = defineCommand({
  name: 'client', arity: -2, flags: [], group: 'connection', since: '2.4.0', complexity: 'Depends on subcommand.',
  summary: 'Inspects and controls client connections.',
  subcommands: [
    sub('id', 2, 'Returns the ID of this connection.', (ctx) => ctx.client.id),
    sub('getname', 2, 'Returns the name of this connection, or nil.', (ctx) => ctx.client.name || null),
    sub('setname', 3, 'Names this connection.', (ctx, args) => {
      validateName(args[2]);
      ctx.client.name = args[2];
      return OK;
    }, 'connection-name'),
    sub('setinfo', 4, 'Records the client library name or version of this connection.', (ctx, args) => {
      const attr = args[2].toLowerCase();
      if (attr !== 'lib-name' && attr !== 'lib-ver') throw new ReplyError(`ERR Unrecognized option '${args[2]}'`);
      validateName(args[3], attr);
      if (attr === 'lib-name') ctx.client.libName = args[3];
      else ctx.client.libVer = args[3];
      return OK;
    }, 'LIB-NAME libname|LIB-VER libver'),
    sub('info', 2, 'Describes this connection.', (ctx) => new VerbatimReply('txt', ctx.client.describe() + '\n')),
    sub('list', -2, 'Describes every connection.', clientList, '[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]',
      ['admin', 'noscript', 'loading', 'stale']),
    sub('kill', -3, 'Closes connections by address, ID, type or user.', clientKill,
      'ip:port|[ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES|NO]',
      ['admin', 'noscript', 'loading', 'stale']),
    sub('reply', 3, 'Turns replies to this connection on, off, or off for the next command.', (ctx, args) => {
      const mode = args[2].toLowerCase();
      if (mode !== 'on' && mode !== 'off' && mode !== 'skip') throw syntaxError();
      // OFF and SKIP silence this command's own reply too; the connection applies them.
      // SKIP while OFF changes nothing, as in Redis.
      if (!(mode === 'skip' && ctx.client.replyMode === 'off')) ctx.client.replyMode = mode;
      if (mode === 'on') ctx.client.skippingReply = false;
      return OK;
    }, 'ON|OFF|SKIP'),
    sub('unblock', -3, 'Ends the wait of a client blocked in a blocking command.', (ctx, args) => {
      const id = numberArg(args[2]);
      if (args.length > 4) throw syntaxError();
      const reason = args.length === 4 ? args[3].toUpperCase() : 'TIMEOUT';
      if (reason !== 'TIMEOUT' && reason !== 'ERROR') throw new ReplyError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return ctx.server.unblockClient(id, reason === 'ERROR') ? 1 : 0;
    }, 'client-id [TIMEOUT|ERROR]', ['admin', 'noscript', 'loading', 'stale']),
    sub('pause', -3, 'Holds back the commands of every client, or only writes, for a number of milliseconds.', (ctx, args) => {
      if (args.length > 4) throw syntaxError();
      const mode = args.length === 4 ? args[3].toLowerCase() : 'all';
      if (mode !== 'write' && mode !== 'all') throw new ReplyError('ERR CLIENT PAUSE mode must be WRITE or ALL');
      const ms = parseInt64(args[2]);
      if (ms === null) throw new ReplyError('ERR timeout is not an integer or out of range');
      if (ms < 0) throw new ReplyError('ERR timeout is negative');
      ctx.server.pause.pause(mode, Date.now() + Number(ms));
      return OK;
    }, 'timeout [WRITE|ALL]', ['admin', 'noscript', 'loading', 'stale']),
    sub('unpause', 2, 'Ends a CLIENT PAUSE.', (ctx) => {
      ctx.server.pause.unpause();
      return OK;
    }, undefined, ['admin', 'noscript', 'loading', 'stale']),
    sub('tracking', -3, 'Turns server-assisted client-side caching on or off for this connection.', clientTracking,
      'ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]'),
    sub('caching', 3, 'In OPTIN or OPTOUT tracking, decides whether the next command\'s keys are tracked.', (ctx, args) => {
      const tracking = ctx.client.tracking;
      if (!tracking) {
        throw new ReplyError('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
      }
      const answer = args[2].toLowerCase();
      if (answer === 'yes' && !tracking.optin) throw new ReplyError('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      if (answer === 'no' && !tracking.optout) throw new ReplyError('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      if (answer !== 'yes' && answer !== 'no') throw syntaxError();
      tracking.caching = true;
      return OK;
    }, 'YES|NO'),
    sub('getredir', 2, 'The id of the client this connection\'s invalidations go to: 0 for none, -1 without tracking.', (ctx) =>
      ctx.client.tracking ? ctx.client.tracking.redirect : -1),
    sub('trackinginfo', 2, 'Describes the client-side caching settings of this connection.', (ctx) => {
      const tracking = ctx.client.tracking;
      const flags = tracking ? ['on'] : ['off'];
      if (tracking?.bcast) flags.push('bcast');
      if (tracking?.optin) flags.push('optin', ...(tracking.caching ? ['caching-yes'] : []));
      if (tracking?.optout) flags.push('optout', ...(tracking.caching ? ['caching-no'] : []));
      if (tracking?.noloop) flags.push('noloop');
      if (tracking?.brokenRedirect) flags.push('broken_redirect');
      return new MapReply([
        'flags', new SetReply(flags),
        'redirect', tracking ? tracking.redirect : -1,
        'prefixes', tracking ? [...tracking.prefixes].sort() : [],
      ]);
    }),
    sub('no-evict', 3, 'Exempts this connection from client eviction.', (ctx, args) => {
      ctx.client.noEvict = onOff(args[2]);
      return OK;
    }, 'ON|OFF', ['admin', 'noscript', 'loading', 'stale']),
    sub('no-touch', 3, 'Keeps commands of this connection from changing keys\' access times.', (ctx, args) => {
      ctx.client.noTouch = onOff(args[2]);
      return OK;
    }, 'ON|OFF'),
    sub('help', 2, 'Lists the CLIENT subcommands.', () => CLIENT_HELP.map((l) => new SimpleString(l)), undefined, ['loading', 'stale']),
  ],
});

export const connectionCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'ping', arity: -1, flags: ['fast'], group: 'connection', since: '1.0.0', complexity: 'O(1)',
    summary: 'Checks the connection: PONG, or the given message.', syntax: '[message]',
    run: (ctx, args) => {
      if (args.length > 2) throw new ReplyError("ERR wrong number of arguments for 'ping' command");
      // A subscribed RESP2 connection can only receive arrays, so PING answers like a message.
      if (ctx.client.resp === 2 && isSubscribed(ctx.client)) return ['pong', args[1] ?? ''];
      return args.length === 2 ? args[1] : PONG;
    },
  }),
  defineCommand({
    name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], group: 'connection', since: '1.0.0', complexity: 'O(1)',
    summary: 'Returns its argument.', syntax: 'message', run: (_ctx, args) => args[1],
  }),
  defineCommand({
    name: 'quit', arity: -1, flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'], group: 'connection',
    since: '1.0.0', complexity: 'O(1)', summary: 'Closes the connection once pending replies are written.',
    run: (ctx) => {
      ctx.client.closeAfterReply();
      return OK;
    },
  }),
  defineCommand({
    name: 'reset', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], group: 'connection',
    since: '6.2.0', complexity: 'O(1)', summary: 'Returns the connection to its initial state.', run: reset,
  }),
  defineCommand({
    name: 'hello', arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], group: 'connection',
    since: '6.0.0', complexity: 'O(1)', summary: 'Negotiates the protocol version, optionally authenticating and naming the connection.',
    syntax: '[protover [AUTH username password] [SETNAME clientname]]', run: hello,
  }),
  defineCommand({
    name: 'auth', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], group: 'connection',
    since: '1.0.0', complexity: 'O(N) where N is the number of passwords defined for the user', summary: 'Authenticates the connection.',
    syntax: '[username] password', run: auth,
  }),
  clientCommand,
];
