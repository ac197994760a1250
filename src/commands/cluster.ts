/**
 * CLUSTER, ASKING, READONLY and READWRITE: we run as a server with cluster
 * support disabled, as redis-server does without cluster-enabled, so each answers that; the table
 * still carries each one's arity and flags, which COMMAND INFO and scripts
 * (CLUSTER RESET is noscript) see.
 */
import { ReplyError } from '../errors.js';
import type { Reply } from '../protocol/reply.js';
import { defineCommand, type CommandFlag, type CommandSpec } from './types.js';

function disabled(): Reply {
  throw new ReplyError('ERR This instance has cluster support disabled');
}

const ADMIN: CommandFlag[] = ['no_async_loading', 'admin', 'stale'];

/** Name, arity, flags, since and summary of each subcommand, as Redis 7.0.15 declares them. */
const SUBCOMMANDS: [string, number, CommandFlag[], string, string][] = [
  ['addslots', -3, ADMIN, '3.0.0', 'Assign new hash slots to receiving node'],
  ['addslotsrange', -4, ADMIN, '7.0.0', 'Assign new hash slots to receiving node'],
  ['bumpepoch', 2, ADMIN, '3.0.0', 'Advance the cluster config epoch'],
  ['count-failure-reports', 3, ['admin', 'stale'], '3.0.0', 'Return the number of failure reports active for a given node'],
  ['countkeysinslot', 3, ['stale'], '3.0.0', 'Return the number of local keys in the specified hash slot'],
  ['delslots', -3, ADMIN, '3.0.0', 'Set hash slots as unbound in receiving node'],
  ['delslotsrange', -4, ADMIN, '7.0.0', 'Set hash slots as unbound in receiving node'],
  ['failover', -2, ADMIN, '3.0.0', 'Forces a replica to perform a manual failover of its master.'],
  ['flushslots', 2, ADMIN, '3.0.0', "Delete a node's own slots information"],
  ['forget', 3, ADMIN, '3.0.0', 'Remove a node from the nodes table'],
  ['getkeysinslot', 4, ['stale'], '3.0.0', 'Return local key names in the specified hash slot'],
  ['help', 2, ['loading', 'stale'], '5.0.0', 'Show helpful text about the different subcommands'],
  ['info', 2, ['stale'], '3.0.0', 'Provides info about Redis Cluster node state'],
  ['keyslot', 3, ['stale'], '3.0.0', 'Returns the hash slot of the specified key'],
  ['links', 2, ['stale'], '7.0.0', 'Returns a list of all TCP links to and from peer nodes in cluster'],
  ['meet', -4, ADMIN, '3.0.0', 'Force a node cluster to handshake with another node'],
  ['myid', 2, ['stale'], '3.0.0', 'Return the node id'],
  ['nodes', 2, ['stale'], '3.0.0', 'Get Cluster config for the node'],
  ['replicas', 3, ['admin', 'stale'], '5.0.0', 'List replica nodes of the specified master node'],
  ['replicate', 3, ADMIN, '3.0.0', 'Reconfigure a node as a replica of the specified master node'],
  ['reset', -2, ['admin', 'stale', 'noscript'], '3.0.0', 'Reset a Redis Cluster node'],
  ['saveconfig', 2, ADMIN, '3.0.0', 'Forces the node to save cluster state on disk'],
  ['set-config-epoch', 3, ADMIN, '3.0.0', 'Set the configuration epoch in a new node'],
  ['setslot', -4, ADMIN, '3.0.0', 'Bind a hash slot to a specific node'],
  ['shards', 2, ['stale'], '7.0.0', 'Get array of cluster slots to node mappings'],
  ['slaves', 3, ['admin', 'stale'], '3.0.0', 'List replica nodes of the specified master node'],
  ['slots', 2, ['stale'], '3.0.0', 'Get array of Cluster slot to node mappings'],
];

/** The cluster client's connection commands, refused the same way outside cluster mode. */
const CONNECTION: [string, CommandFlag[], string, string][] = [
  ['asking', ['fast'], '3.0.0', 'Sent by cluster clients after an -ASK redirect'],
  ['readonly', ['loading', 'stale', 'fast'], '3.0.0', 'Enables read queries for a connection to a cluster replica node'],
  ['readwrite', ['loading', 'stale', 'fast'], '3.0.0', 'Disables read queries for a connection to a cluster replica node'],
];

export const clusterCommands: CommandSpec[] = [
  ...CONNECTION.map(([name, flags, since, summary]) =>
    defineCommand({ name, arity: 1, flags, group: 'cluster', since, complexity: 'O(1)', summary, run: disabled })),
  defineCommand({
    name: 'cluster', arity: -2, flags: [], group: 'cluster', since: '3.0.0', complexity: 'Depends on subcommand.',
    summary: 'A container for cluster commands',
    subcommands: SUBCOMMANDS.map(([name, arity, flags, since, summary]) =>
      defineCommand({ name, arity, flags, group: 'cluster', since, complexity: 'O(1)', summary, run: disabled })),
  }),
];
