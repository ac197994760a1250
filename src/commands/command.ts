/**
 * COMMAND: the command table described to clients (COUNT, INFO, DOCS, LIST,
 * GETKEYS, GETKEYSANDFLAGS). Everything here is read from the same specs the
 * dispatcher uses, and the key specs of keyspecs.ts.
 */
import { ReplyError, syntaxError } from '../errors.js';
import { MapReply, SetReply, SimpleString, type Reply } from '../protocol/reply.js';
import { globMatch } from '../util/glob.js';
import { argumentsReply, parseSyntax } from './docs.js';
import { ACL_TABLE, COMMANDS, findCommand } from './table.js';
import { categoryNames } from '../acl/categories.js';
import {
  commandHasKeys, commandKeys, keySpecsOf, legacyRange, type BeginSearch, type FindKeys, type KeyRef, type KeySpecification,
} from './keyspecs.js';
import { defineCommand, type CommandFlag, type CommandSpec } from './types.js';

const status = (text: string): SimpleString => new SimpleString(text);

/** A command's ACL categories as COMMAND INFO prints them, in Redis's order. */
function aclCategories(fullName: string): string[] {
  return categoryNames(ACL_TABLE.lookup(fullName)!.categories).map((name) => `@${name}`);
}

/** Command flags in the order COMMAND INFO prints them; may_replicate and protected stay hidden, as in Redis. */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale', 'skip_monitor',
  'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

/** A command's flags as COMMAND INFO shows them: movablekeys also follows from its key specs. */
function shownFlags(spec: CommandSpec, movable: boolean): SimpleString[] {
  return FLAG_ORDER.filter((flag) => spec.flags.includes(flag) || (flag === 'movablekeys' && movable)).map(status);
}

const keyFlags = (flags: readonly string[]): SetReply => new SetReply(flags.map(status));

function beginSearchReply(begin: BeginSearch): MapReply {
  switch (begin.type) {
    case 'index':
      return new MapReply(['type', 'index', 'spec', new MapReply(['index', begin.index])]);
    case 'keyword':
      return new MapReply(['type', 'keyword', 'spec', new MapReply(['keyword', begin.keyword, 'startfrom', begin.startfrom])]);
    default:
      return new MapReply(['type', 'unknown', 'spec', new MapReply([])]);
  }
}

function findKeysReply(find: FindKeys): MapReply {
  switch (find.type) {
    case 'range':
      return new MapReply(['type', 'range', 'spec', new MapReply(['lastkey', find.lastkey, 'keystep', find.keystep, 'limit', find.limit])]);
    case 'keynum':
      return new MapReply(['type', 'keynum', 'spec', new MapReply(['keynumidx', find.keynumidx, 'firstkey', find.firstkey, 'keystep', find.keystep])]);
    default:
      return new MapReply(['type', 'unknown', 'spec', new MapReply([])]);
  }
}

function keySpecReply(keySpec: KeySpecification): MapReply {
  const flat: Reply[] = keySpec.notes === undefined ? [] : ['notes', keySpec.notes];
  flat.push('flags', keyFlags(keySpec.flags), 'begin_search', beginSearchReply(keySpec.beginSearch), 'find_keys', findKeysReply(keySpec.findKeys));
  return new MapReply(flat);
}

function commandInfo(spec: CommandSpec, fullName = spec.name, parent?: CommandSpec): Reply {
  const specs = keySpecsOf(fullName, spec);
  const { first, last, step, movable } = legacyRange(specs);
  return [
    fullName,
    spec.arity,
    new SetReply(shownFlags(spec, movable)),
    first,
    last,
    step,
    new SetReply(aclCategories(fullName).map(status)),
    new SetReply([]),
    new SetReply(specs.map(keySpecReply)),
    spec.subcommands ? spec.subcommands.map((sub) => commandInfo(sub, `${spec.name}|${sub.name}`, spec)) : new SetReply([]),
  ];
}

function commandDocs(spec: CommandSpec, parent?: CommandSpec): Reply {
  const fullName = parent ? `${parent.name}|${spec.name}` : spec.name;
  const flat: Reply[] = [
    'summary', spec.summary,
    'since', spec.since,
    'group', parent?.group ?? spec.group,
    'complexity', spec.complexity,
  ];
  if (spec.syntax) flat.push('arguments', argumentsReply(parseSyntax(spec.syntax), keySpecsOf(fullName, spec).length));
  if (spec.subcommands) {
    const subs: Reply[] = [];
    for (const sub of spec.subcommands) subs.push(`${spec.name}|${sub.name}`, commandDocs(sub, spec));
    flat.push('subcommands', new MapReply(subs));
  }
  return new MapReply(flat);
}

/** Finds `name` or `container|sub`, as COMMAND INFO and DOCS accept both; anything deeper is unknown. */
function findByFullName(name: string): [CommandSpec, CommandSpec | undefined] | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const [top, subName] = parts;
  const spec = findCommand(top);
  if (!spec) return undefined;
  if (subName === undefined) return [spec, undefined];
  const sub = spec.subcommands?.find((s) => s.name === subName);
  return sub ? [sub, spec] : undefined;
}

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of a full command line (a
 * container's subcommand included), with how the command uses each.
 */
function keysOfLine(args: string[]): KeyRef[] {
  const line = args.slice(2);
  const top = findCommand(line[0]);
  // As when dispatching: a container followed by an argument means its subcommand.
  const spec = top?.subcommands && line.length > 1 ? top.subcommands.find((s) => s.name === line[1].toLowerCase()) : top;
  if (!top || !spec) throw new ReplyError('ERR Invalid command specified');
  const fullName = spec === top ? top.name : `${top.name}|${spec.name}`;
  if (!commandHasKeys(spec, fullName)) throw new ReplyError('ERR The command has no key arguments');
  const arity = spec.arity;
  if ((arity > 0 && line.length !== arity) || line.length < -arity) {
    throw new ReplyError('ERR Invalid number of arguments specified for command');
  }
  const keys = commandKeys(spec, fullName, line);
  if (keys.length === 0 && !spec.flags.includes('no_mandatory_keys')) throw new ReplyError('ERR Invalid arguments specified for command');
  return keys;
}

function list(args: string[]): Reply {
  let filter: (spec: CommandSpec, fullName: string, group: string) => boolean = () => true;
  if (args.length > 2) {
    if (args.length !== 5 || args[2].toUpperCase() !== 'FILTERBY') throw syntaxError();
    const kind = args[3].toUpperCase();
    const value = args[4];
    if (kind === 'MODULE') filter = () => false;
    else if (kind === 'ACLCAT') filter = (_spec, fullName) => aclCategories(fullName).includes(`@${value.toLowerCase()}`);
    else if (kind === 'PATTERN') filter = (_spec, fullName) => globMatch(value, fullName, true);
    else throw syntaxError();
  }
  const names: string[] = [];
  for (const spec of COMMANDS) {
    if (filter(spec, spec.name, spec.group)) names.push(spec.name);
    for (const sub of spec.subcommands ?? []) {
      const fullName = `${spec.name}|${sub.name}`;
      if (filter(sub, fullName, spec.group)) names.push(fullName);
    }
  }
  return names;
}

const sub = (
  name: string,
  arity: number,
  summary: string,
  run: (args: string[]) => Reply,
  syntax?: string,
): CommandSpec =>
  defineCommand({
    name, arity, flags: ['loading', 'stale'], group: 'server', since: '2.8.13', complexity: 'O(N) where N is the number of commands to look up',
    summary, syntax, run: (_ctx, args) => run(args),
  });

export const commandCommand = defineCommand({
  name: 'command', arity: -1, flags: ['loading', 'stale'], group: 'server', since: '2.8.13',
  complexity: 'O(N) where N is the total number of Redis commands', summary: 'Describes the commands this server knows.',
  run: () => COMMANDS.map((spec) => commandInfo(spec)),
  subcommands: [
    sub('count', 2, 'Counts the commands.', () => COMMANDS.length),
    sub('info', -2, 'Describes commands: arity, flags, key positions, ACL categories.', (args) => {
      const names = args.length > 2 ? args.slice(2) : COMMANDS.map((c) => c.name);
      return names.map((name) => {
        const found = findByFullName(name);
        if (!found) return null;
        const [spec, parent] = found;
        return commandInfo(spec, parent ? `${parent.name}|${spec.name}` : spec.name, parent);
      });
    }, '[command-name [command-name ...]]'),
    sub('docs', -2, 'Documents commands: summary, since, group, complexity, arguments.', (args) => {
      const names = args.length > 2 ? args.slice(2) : COMMANDS.map((c) => c.name);
      const flat: Reply[] = [];
      for (const name of names) {
        const found = findByFullName(name);
        if (!found) continue;
        const [spec, parent] = found;
        flat.push(parent ? `${parent.name}|${spec.name}` : spec.name, commandDocs(spec, parent));
      }
      return new MapReply(flat);
    }, '[command-name [command-name ...]]'),
    sub('list', -2, 'Lists command names, optionally filtered.', list, '[FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]'),
    sub('getkeys', -4, 'Extracts the key arguments from a full command line.', (args) => keysOfLine(args).map((ref) => ref.key), 'command [arg [arg ...]]'),
    sub('getkeysandflags', -4, 'Extracts the key arguments and how the command uses each from a full command line.', (args) =>
      keysOfLine(args).map((ref) => [ref.key, keyFlags(ref.flags)]), 'command [arg [arg ...]]'),
    sub('help', 2, 'Lists the COMMAND subcommands.', () =>
      [
        'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        '(no subcommand)', '    Return details about all Redis commands.',
        'COUNT', '    Return the total number of commands in this Redis server.',
        'LIST', '    Return a list of all commands in this Redis server.',
        'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
        '    If no command names are given, documentation details for all', '    commands are returned.',
        'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
        '    If no command names are given, documentation details for all', '    commands are returned.',
        'GETKEYS <full-command>', '    Return the keys from a full Redis command.',
        'GETKEYSANDFLAGS <full-command>', '    Return the keys and the access flags from a full Redis command.',
        'HELP', '    Prints this help.',
      ].map(status)),
  ],
});
