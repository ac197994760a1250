/**
 * ACL: users and permissions at run time (SETUSER, GETUSER, DELUSER, LIST,
 * USERS, WHOAMI, CAT, LOG, GENPASS, DRYRUN, SAVE, LOAD, HELP). The rules
 * themselves live in src/acl; this is their command-line face.
 */
import { randomBytes } from 'node:crypto';
import { channelsRevoked, narrowedChannels } from '../acl/acl.js';
import { CATEGORY_NAMES, categoryBit } from '../acl/categories.js';
import { hasSpaces, type Selector, type User } from '../acl/user.js';
import { ReplyError, notInteger } from '../errors.js';
import { DoubleReply, MapReply, OK, SetReply, SimpleString, type Reply } from '../protocol/reply.js';
import { parseInt64 } from '../util/numbers.js';
import { adminSubcommands, defineCommand, isSubscribed, type CommandContext } from './types.js';
import { ACL_TABLE, findCommand } from './table.js';


const sub = adminSubcommands('6.0.0');

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

function setUser(ctx: CommandContext, args: string[]): Reply {
  const name = args[2];
  if (hasSpaces(name)) throw new ReplyError("ERR Usernames can't contain spaces or null characters");
  const result = ctx.server.acl.setUser(name, args.slice(3));
  if (typeof result === 'string') throw new ReplyError(`ERR ${result}`);
  const { user, before } = result;
  if (before !== undefined) disconnectRevokedSubscribers(ctx, user, before);
  return OK;
}

/** Subscribers of a changed user whose subscriptions its new channel rules no longer allow are disconnected, as in Redis. */
function disconnectRevokedSubscribers(ctx: CommandContext, user: User, before: User): void {
  const allowed = narrowedChannels(user, before);
  if (allowed === undefined) return;
  for (const client of ctx.server.clientStates()) {
    if (client.user !== user || !isSubscribed(client)) continue;
    const subs = client.subscriptions;
    if (
      channelsRevoked(allowed, subs.patterns, true) || channelsRevoked(allowed, subs.channels, false) ||
      channelsRevoked(allowed, subs.shardChannels, false)
    ) {
      ctx.server.killClients(ctx.client, { id: client.id, skipMe: false });
    }
  }
}

function delUser(ctx: CommandContext, args: string[]): Reply {
  const names = args.slice(2);
  if (names.includes('default')) throw new ReplyError("ERR The 'default' user cannot be removed");
  let deleted = 0;
  for (const name of names) {
    const user = ctx.server.acl.deleteUser(name);
    if (user === undefined) continue;
    ctx.server.disconnectUser(user, ctx.client);
    deleted++;
  }
  return deleted;
}

/** Commands, keys and channels of one selector, as GETUSER shows them. */
function selectorFields(selector: Selector): Reply[] {
  return [
    'commands', selector.commandRules(),
    'keys', selector.allKeys ? '~*' : selector.keyRules().join(' '),
    'channels', selector.allChannels ? '&*' : selector.channels.map((c) => '&' + c).join(' '),
  ];
}

function getUser(ctx: CommandContext, args: string[]): Reply {
  const user = ctx.server.acl.getUser(args[2]);
  if (user === undefined) return null;
  return new MapReply([
    'flags', new SetReply(user.flagNames()),
    'passwords', user.passwords,
    // The root selector's fields stay at the top, as before selectors existed.
    ...selectorFields(user.root),
    'selectors', user.selectors.slice(1).map((s) => new MapReply(selectorFields(s))),
  ]);
}

function cat(ctx: CommandContext, args: string[]): Reply {
  if (args.length === 2) return [...CATEGORY_NAMES];
  if (args.length > 3) throw subcommandSyntaxError(args);
  const bit = categoryBit(args[2]);
  if (bit === 0) throw new ReplyError(`ERR Unknown category '${args[2].slice(0, 128)}'`);
  return ACL_TABLE.all.filter((cmd) => cmd.categories & bit).map((cmd) => cmd.fullName);
}

function genpass(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw subcommandSyntaxError(args);
  let bits = 256;
  if (args.length === 3) {
    const parsed = parseInt64(args[2]);
    if (parsed === null || typeof parsed === 'bigint') throw notInteger();
    bits = parsed;
  }
  if (bits <= 0 || bits > 4096) {
    throw new ReplyError('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
  }
  const chars = Math.floor((bits + 3) / 4);
  return randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
}

function log(ctx: CommandContext, args: string[]): Reply {
  if (args.length > 3) throw subcommandSyntaxError(args);
  const entries = ctx.server.acl.log;
  let count = 10;
  if (args.length === 3) {
    if (args[2].toLowerCase() === 'reset') {
      entries.length = 0;
      return OK;
    }
    const parsed = parseInt64(args[2]);
    if (parsed === null) throw notInteger();
    count = parsed < 0 ? 0 : Number(parsed);
  }
  const now = Date.now();
  return entries.slice(0, count).map((e) => new MapReply([
    'count', e.count,
    'reason', e.reason,
    'context', e.context,
    'object', e.object,
    'username', e.username,
    'age-seconds', new DoubleReply((now - e.time) / 1000),
    'client-info', e.clientInfo,
  ]));
}

function dryrun(ctx: CommandContext, args: string[]): Reply {
  const acl = ctx.server.acl;
  const user = acl.getUser(args[2]);
  if (user === undefined) throw new ReplyError(`ERR User '${args[2]}' not found`);
  const argv = args.slice(3);
  const spec = findCommand(argv[0]);
  // A container without a known subcommand is not found, as Redis's lookupCommand has it.
  const subSpec = spec?.subcommands && argv.length >= 2 ? spec.subcommands.find((s) => s.name === argv[1].toLowerCase()) : undefined;
  const found = spec?.subcommands ? (argv.length >= 2 ? subSpec : spec) : spec;
  if (spec === undefined || found === undefined) throw new ReplyError(`ERR Command '${argv[0]}' not found`);
  const command = ACL_TABLE.lookup(found === spec ? spec.name : `${spec.name}|${found.name}`)!;
  if ((found.arity > 0 && found.arity !== argv.length) || argv.length < -found.arity) {
    throw new ReplyError(`ERR wrong number of arguments for '${command.fullName}' command`);
  }
  const refusal = acl.check(user, command, argv);
  if (refusal === undefined) return OK;
  if (refusal.reason === 'command') return `This user has no permissions to run the '${command.fullName}' command`;
  return `This user has no permissions to access the '${refusal.object}' ${refusal.reason}`;
}

function load(ctx: CommandContext): Reply {
  const server = ctx.server;
  const file = server.aclFile();
  if (file === undefined) throw new ReplyError(NO_ACL_FILE);
  const loaded = server.acl.loadFile(file);
  if (typeof loaded === 'string') throw new ReplyError(`ERR ${loaded}`);
  // The users the file replaced are gone, and so are their connections (the default user stays).
  for (const user of loaded.removed) server.disconnectUser(user, ctx.client);
  return OK;
}

function save(ctx: CommandContext): Reply {
  const server = ctx.server;
  const file = server.aclFile();
  if (file === undefined) throw new ReplyError(NO_ACL_FILE);
  try {
    server.acl.saveFile(file);
  } catch (error) {
    server.log('warning', `Writing ACL file for ACL SAVE: ${(error as Error).message}`);
    throw new ReplyError('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
  }
  return OK;
}

function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ACL HELP.`);
}

const HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const NAMES_ONLY = 'O(N). Where N is the number of configured users.';

export const aclCommand = defineCommand({
  name: 'acl', arity: -2, flags: [], group: 'server', since: '6.0.0', complexity: 'Depends on subcommand.',
  summary: 'Manages ACL users and shows what they may do.',
  subcommands: [
    sub('cat', -2, 'Lists the ACL categories, or the commands in one.', cat, {
      syntax: '[category]', flags: ['noscript', 'loading', 'stale'], complexity: 'O(1) since the categories and commands are a fixed set.',
    }),
    sub('deluser', -3, 'Deletes users and closes their connections.', delUser, {
      syntax: 'username [username ...]', complexity: 'O(1) amortized time considering the typical user.',
    }),
    sub('dryrun', -4, 'Tells whether a user could run a command, without running it.', dryrun, {
      syntax: 'username command [arg [arg ...]]', since: '7.0.0', complexity: 'O(1).',
    }),
    sub('genpass', -2, 'Makes a random password.', genpass, { syntax: '[bits]', flags: ['noscript', 'loading', 'stale'] }),
    sub('getuser', 3, 'Describes a user.', getUser, {
      syntax: 'username', complexity: 'O(N). Where N is the number of password, command and pattern rules that the user has.',
    }),
    sub('help', 2, 'Lists the ACL subcommands.', () => HELP.map((l) => new SimpleString(l)), { flags: ['loading', 'stale'] }),
    sub('list', 2, 'Lists every user as ACL rules.', (ctx) =>
      ctx.server.acl.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`), { complexity: NAMES_ONLY }),
    sub('load', 2, 'Reloads the users from the ACL file.', load, { complexity: NAMES_ONLY }),
    sub('log', -2, 'Lists refused commands and failed logins.', log, {
      syntax: '[count|RESET]', complexity: 'O(N) with N being the number of entries shown.',
    }),
    sub('save', 2, 'Writes the users to the ACL file.', save, { complexity: NAMES_ONLY }),
    sub('setuser', -3, 'Creates or changes a user.', setUser, {
      syntax: 'username [rule [rule ...]]', complexity: 'O(N). Where N is the number of rules provided.',
    }),
    sub('users', 2, 'Lists the user names.', (ctx) => ctx.server.acl.sortedUsers().map((u) => u.name), { complexity: NAMES_ONLY }),
    sub('whoami', 2, 'Names the user of this connection.', (ctx) => ctx.client.user.name, { flags: ['noscript', 'loading', 'stale'] }),
  ],
});
