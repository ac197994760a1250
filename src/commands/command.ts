/**
 * COMMAND: the command table described to clients (COUNT, INFO, DOCS, LIST,
 * GETKEYS). Everything here is read from the same specs the dispatcher uses.
 */
import { ReplyError, syntaxError } from '../errors.js';
import { MapReply, SimpleString, type Reply } from '../protocol/reply.js';
import { globMatch } from '../util/glob.js';
import { argumentsReply, parseSyntax } from './docs.js';
import { COMMANDS, findCommand } from './table.js';
import { defineCommand, type CommandSpec } from './types.js';

const status = (text: string): SimpleString => new SimpleString(text);

const GROUP_CATEGORY: Record<string, string> = {
  string: '@string', bitmap: '@bitmap', transactions: '@transaction', generic: '@keyspace', keyspace: '@keyspace', connection: '@connection', server: '',
  scripting: '@scripting', list: '@list', hash: '@hash', set: '@set', sorted_set: '@sortedset', pubsub: '@pubsub',
};

/** ACL categories follow from the group and flags, as Redis derives most of them. */
export function aclCategories(spec: CommandSpec, group = spec.group): string[] {
  const categories: string[] = [];
  if (spec.flags.includes('write')) categories.push('@write');
  if (spec.flags.includes('readonly')) categories.push('@read');
  if (spec.flags.includes('admin')) categories.push('@admin', '@dangerous');
  const byGroup = GROUP_CATEGORY[group];
  if (byGroup) categories.push(byGroup);
  categories.push(spec.flags.includes('fast') ? '@fast' : '@slow');
  if (spec.flags.includes('blocking')) categories.push('@blocking');
  return categories;
}

/** Redis's key-spec form of the (first, last, step) triple. */
function keySpecs(spec: CommandSpec): Reply[] {
  if (!spec.keys) return [];
  const { first, last, step } = spec.keys;
  return [
    new MapReply([
      'flags', [status(spec.flags.includes('write') ? 'RW' : 'RO'), status('access')],
      'begin_search', new MapReply(['type', 'index', 'spec', new MapReply(['index', first])]),
      'find_keys', new MapReply(['type', 'range', 'spec', new MapReply(['lastkey', last < 0 ? last : last - first, 'keystep', step, 'limit', 0])]),
    ]),
  ];
}

function commandInfo(spec: CommandSpec, fullName = spec.name, parent?: CommandSpec): Reply {
  const keys = spec.keys ?? { first: 0, last: 0, step: 0 };
  return [
    fullName,
    spec.arity,
    spec.flags.map(status),
    keys.first,
    keys.last,
    keys.step,
    aclCategories(spec, parent?.group).map(status),
    [],
    keySpecs(spec),
    (spec.subcommands ?? []).map((sub) => commandInfo(sub, `${spec.name}|${sub.name}`, spec)),
  ];
}

function commandDocs(spec: CommandSpec, parent?: CommandSpec): Reply {
  const flat: Reply[] = [
    'summary', spec.summary,
    'since', spec.since,
    'group', parent?.group ?? spec.group,
    'complexity', spec.complexity,
  ];
  if (spec.syntax) flat.push('arguments', argumentsReply(parseSyntax(spec.syntax)));
  if (spec.subcommands) {
    const subs: Reply[] = [];
    for (const sub of spec.subcommands) subs.push(`${spec.name}|${sub.name}`, commandDocs(sub, spec));
    flat.push('subcommands', new MapReply(subs));
  }
  return new MapReply(flat);
}

/** Finds `name` or `container|sub`, as COMMAND INFO and DOCS accept both. */
function findByFullName(name: string): [CommandSpec, CommandSpec | undefined] | undefined {
  const [top, subName] = name.toLowerCase().split('|', 2);
  const spec = findCommand(top);
  if (!spec) return undefined;
  if (subName === undefined) return [spec, undefined];
  const sub = spec.subcommands?.find((s) => s.name === subName);
  return sub ? [sub, spec] : undefined;
}

/** COMMAND GETKEYS: the key arguments of a full command line, per its key spec. */
function getKeys(args: string[]): Reply {
  const line = args.slice(2);
  const spec = findCommand(line[0]);
  if (!spec) throw new ReplyError('ERR Invalid command specified');
  const effective = spec.subcommands ? spec.subcommands.find((s) => s.name === (line[1] ?? '').toLowerCase()) ?? spec : spec;
  const arity = effective.arity;
  if ((arity > 0 && line.length !== arity) || line.length < -arity) {
    throw new ReplyError('ERR Invalid number of arguments specified for command');
  }
  if (effective.keysOf) return effective.keysOf(line);
  if (!effective.keys) throw new ReplyError('ERR The command has no key arguments');
  const { first, last, step } = effective.keys;
  const end = last < 0 ? line.length + last : last;
  const keys: string[] = [];
  for (let i = first; i <= end && i < line.length; i += step) keys.push(line[i]);
  return keys;
}

function list(args: string[]): Reply {
  let filter: (spec: CommandSpec) => boolean = () => true;
  if (args.length > 2) {
    if (args.length !== 5 || args[2].toUpperCase() !== 'FILTERBY') throw syntaxError();
    const kind = args[3].toUpperCase();
    const value = args[4];
    if (kind === 'MODULE') filter = () => false;
    else if (kind === 'ACLCAT') filter = (spec) => aclCategories(spec).includes(`@${value.toLowerCase()}`);
    else if (kind === 'PATTERN') filter = (spec) => globMatch(value, spec.name, true);
    else throw syntaxError();
  }
  const names: string[] = [];
  for (const spec of COMMANDS) {
    if (filter(spec)) names.push(spec.name);
    for (const sub of spec.subcommands ?? []) {
      const fullName = `${spec.name}|${sub.name}`;
      if (filter({ ...sub, name: fullName })) names.push(fullName);
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
    sub('getkeys', -4, 'Extracts the key arguments from a full command line.', getKeys, 'command [arg [arg ...]]'),
    sub('help', 2, 'Lists the COMMAND subcommands.', () =>
      [
        'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        '(no subcommand)', '    Return details about all Redis commands.',
        'COUNT', '    Return the total number of commands in this Redis server.',
        'LIST', '    Return a list of all commands in this Redis server.',
        'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
        'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
        'GETKEYS <full-command>', '    Return the keys from a full Redis command.',
        'HELP', '    Prints this help.',
      ].map(status)),
  ],
});
