/**
 * The command table as the ACL sees it: an id, categories, keys and
 * channels for every command and subcommand, from the same specs the
 * dispatcher runs.
 */
import { commandCategories } from '../acl/categories.js';
import { keyAccess, type AclCommand, type AclCommandTable, type ChannelArgs } from '../acl/user.js';
import { commandHasKeys, commandKeys, keyRanges, type KeyRef } from './keyspecs.js';
import type { CommandSpec } from './types.js';

/** The channels pub/sub commands name (Redis's getChannelsFromCommand); unsubscribing is never refused. */
const CHANNEL_ARGS: Readonly<Record<string, ChannelArgs>> = {
  subscribe: { first: 1, last: -1, pattern: false },
  ssubscribe: { first: 1, last: -1, pattern: false },
  psubscribe: { first: 1, last: -1, pattern: true },
  publish: { first: 1, last: 1, pattern: false },
  spublish: { first: 1, last: 1, pattern: false },
};

const NO_KEYS: readonly KeyRef[] = [];

export function buildAclTable(commands: readonly CommandSpec[]): AclCommandTable {
  const all: AclCommand[] = [];
  const byName = new Map<string, AclCommand>();
  const entry = (spec: CommandSpec, parent: AclCommand | undefined): AclCommand => {
    const fullName = parent ? `${parent.fullName}|${spec.name}` : spec.name;
    const has = (flag: CommandSpec['flags'][number]): boolean => spec.flags.includes(flag);
    const subcommands: AclCommand[] = [];
    const cmd: AclCommand = {
      id: all.length,
      fullName,
      categories: commandCategories(fullName, {
        write: has('write'), readonly: has('readonly'), admin: has('admin'), pubsub: has('pubsub'), fast: has('fast'), blocking: has('blocking'),
      }),
      noAuth: has('no_auth'),
      parent,
      subcommands,
      hasKeys: commandHasKeys(spec, fullName),
      keys: (args) => {
        try {
          return commandKeys(spec, fullName, args);
        } catch {
          // Keys that cannot be found (a bad count) are none to check; the command itself then refuses the arguments.
          return NO_KEYS;
        }
      },
      keyRanges: keyRanges(spec, fullName)?.map(({ first, last, step, flags, flagsOf }) => ({
        first, last, step, access: keyAccess(flags), accessOf: flagsOf && ((args: readonly string[]) => keyAccess(flagsOf(args))),
      })),
      channels: CHANNEL_ARGS[fullName],
    };
    all.push(cmd);
    byName.set(fullName, cmd);
    for (const sub of spec.subcommands ?? []) subcommands.push(entry(sub, cmd));
    return cmd;
  };
  const top = commands.map((spec) => entry(spec, undefined));
  return { commands: top, all, lookup: (name) => byName.get(name.toLowerCase()) };
}
