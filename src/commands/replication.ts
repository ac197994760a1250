/**
 * Replication commands: what replicas send us (SYNC, PSYNC, REPLCONF), what
 * turns us into a replica or back (REPLICAOF, SLAVEOF), ROLE and WAIT.
 * The work is in src/replication; these parse and answer.
 */
import { notInteger, outOfRangeBetween, ReplyError, syntaxError } from '../errors.js';
import { NO_REPLY, OK, SimpleString, type Reply } from '../protocol/reply.js';
import { parseInt64 } from '../util/numbers.js';
import { splitArgs } from '../util/splitargs.js';
import { ReplicaLink } from '../replication/replication.js';
import type { Client } from '../server/client.js';
import { defineCommand, type BlockRequest, type CommandContext, type CommandSpec } from './types.js';

const SYNC_FLAGS = ['admin', 'noscript', 'no_async_loading', 'no_multi'] as const;

function integerArg(text: string, error = notInteger): number {
  const value = parseInt64(text);
  if (value === null) throw error();
  return Number(value);
}

function sync(ctx: CommandContext, args: string[]): Reply {
  const client = ctx.client as Client;
  if (client.silent) return NO_REPLY;
  if (args.length === 1) return ctx.server.replication.sync(client, undefined, 0);
  const failover = args.length > 3 && args[3].toLowerCase() === 'failover';
  const offset = parseInt64(args[2]);
  if (offset === null) {
    ctx.server.log('warning', `Replica ${(client.replicaLink ?? new ReplicaLink(client)).name} asks for synchronization but with a wrong offset`);
    throw notInteger();
  }
  return ctx.server.replication.sync(client, args[1], Number(offset), failover);
}

function replconf(ctx: CommandContext, args: string[]): Reply {
  if (args.length % 2 === 0) throw syntaxError();
  const client = ctx.client as Client;
  const replication = ctx.server.replication;
  for (let i = 1; i < args.length; i += 2) {
    const option = args[i].toLowerCase();
    const value = args[i + 1];
    if (option === 'ack') {
      // Acknowledgements are never answered.
      replication.acknowledged(client, integerArg(value));
      return NO_REPLY;
    }
    if (option === 'getack') {
      if (client.isMaster) replication.master?.sendAck();
      return NO_REPLY;
    }
    const link = (client.replicaLink ??= new ReplicaLink(client));
    if (option === 'listening-port') link.listeningPort = integerArg(value);
    else if (option === 'ip-address') link.announcedIp = value;
    else if (option === 'capa') {
      if (value.toLowerCase() === 'eof') link.capaEof = true;
      else if (value.toLowerCase() === 'psync2') link.capaPsync2 = true;
    } else if (option === 'rdb-only') {
      const rdbOnly = integerArg(value);
      if (rdbOnly < 0 || rdbOnly > 1) throw outOfRangeBetween(0, 1);
      link.rdbOnly = rdbOnly === 1;
    } else if (option === 'rdb-filter-only') {
      rdbFilter(link, value);
    } else {
      throw new ReplyError(`ERR Unrecognized REPLCONF option: ${args[i]}`);
    }
  }
  return OK;
}

/**
 * REPLCONF rdb-filter-only "<filter> ...": what the snapshot holds. Every
 * filter given is an include filter and `functions` the only one, so ""
 * asks for an empty snapshot. As in Redis the exclusions apply before the
 * filters are read: one it does not know leaves those read before it.
 */
function rdbFilter(link: ReplicaLink, value: string): void {
  const filters = splitArgs(value);
  if (filters === null) throw new ReplyError('ERR Missing rdb-filter-only values');
  link.include = 'nothing';
  for (const filter of filters) {
    if (filter.toLowerCase() !== 'functions') throw new ReplyError(`ERR Unsupported rdb-filter-only option: ${filter}`);
    link.include = 'functions';
  }
}

function replicaof(ctx: CommandContext, args: string[]): Reply {
  const replication = ctx.server.replication;
  if (replication.failoverState !== 'no-failover') throw new ReplyError('ERR REPLICAOF not allowed while failing over.');
  if (args[1].toLowerCase() === 'no' && args[2].toLowerCase() === 'one') {
    if (replication.master !== undefined) replication.promote(`user request from '${ctx.client.describe()}'`);
    // CONFIG REWRITE (which Sentinel sends after SLAVEOF) records the role.
    ctx.server.config.set('replicaof', 'no one', { startup: true });
    return OK;
  }
  if ((ctx.client as Client).replicaLink?.attached) throw new ReplyError('ERR Command is not valid when client is a replica.');
  const port = integerArg(args[2]);
  const master = replication.master;
  if (master !== undefined && master.host === args[1] && master.port === port) {
    return new SimpleString('OK Already connected to specified master');
  }
  replication.follow(args[1], port);
  ctx.server.config.set('replicaof', `${args[1]} ${port}`, { startup: true });
  ctx.server.log('notice', `REPLICAOF ${args[1]}:${port} enabled (user request from '${ctx.client.describe()}')`);
  return OK;
}

/** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]. */
function failover(ctx: CommandContext, args: string[]): Reply {
  if (ctx.server.config.getBool('cluster-enabled')) throw new ReplyError('ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.');
  const replication = ctx.server.replication;
  if (args.length === 2 && args[1].toLowerCase() === 'abort') {
    if (replication.failoverState === 'no-failover') throw new ReplyError('ERR No failover in progress.');
    replication.abortFailover('Failover manually aborted');
    return OK;
  }
  let timeout = 0;
  let force = false;
  let host: string | undefined;
  let port = 0;
  for (let i = 1; i < args.length; i++) {
    const word = args[i].toLowerCase();
    if (word === 'timeout' && i + 1 < args.length && timeout === 0) {
      timeout = integerArg(args[++i]);
      if (timeout <= 0) throw new ReplyError('ERR FAILOVER timeout must be greater than 0');
    } else if (word === 'to' && i + 2 < args.length && host === undefined) {
      port = integerArg(args[i + 2]);
      host = args[i + 1];
      i += 2;
    } else if (word === 'force' && !force) {
      force = true;
    } else {
      throw syntaxError();
    }
  }
  replication.startFailover(host, port, timeout, force);
  return OK;
}

function wait(ctx: CommandContext, args: string[]): Reply | BlockRequest {
  const replicas = integerArg(args[1]);
  const timeout = integerArg(args[2], () => new ReplyError('ERR timeout is not an integer or out of range'));
  if (timeout < 0) throw new ReplyError('ERR timeout is negative');
  return ctx.server.replication.wait(ctx.client as Client, replicas, timeout);
}

const replicaofSpec = (name: string, since: string): CommandSpec =>
  defineCommand({
    name, arity: 3, flags: ['admin', 'noscript', 'stale', 'no_async_loading'], group: 'server', since, complexity: 'O(1)',
    summary: 'Makes the server a replica of another instance, or promotes it to master (NO ONE).', syntax: 'host port', run: replicaof,
  });

export const replicationCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'sync', arity: 1, flags: [...SYNC_FLAGS], group: 'server', since: '1.0.0', complexity: 'O(N)',
    summary: 'Internal command used for replication: a full copy, then the stream.', run: sync,
  }),
  defineCommand({
    name: 'psync', arity: -3, flags: [...SYNC_FLAGS], group: 'server', since: '2.8.0', complexity: 'O(N)',
    summary: 'Internal command used for replication: continues from an offset, or a full copy.', syntax: 'replicationid offset', run: sync,
  }),
  defineCommand({
    name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], group: 'server', since: '3.0.0', complexity: 'O(1)',
    summary: 'An internal command for configuring the replication stream.', run: replconf,
  }),
  replicaofSpec('replicaof', '5.0.0'),
  replicaofSpec('slaveof', '1.0.0'),
  defineCommand({
    name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], group: 'server', since: '2.8.12', complexity: 'O(1)',
    summary: 'Returns the role of the instance in replication, with its replicas or master.', run: (ctx) => ctx.server.replication.role(),
  }),
  defineCommand({
    name: 'failover', arity: -1, flags: ['admin', 'noscript', 'stale'], group: 'server', since: '6.2.0', complexity: 'O(1)',
    summary: 'Starts a coordinated failover from this server to one of its replicas.', syntax: '[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]', run: failover,
  }),
  defineCommand({
    name: 'wait', arity: 3, flags: ['noscript'], group: 'generic', since: '3.0.0', complexity: 'O(1)',
    summary: 'Waits until the writes of this connection reach numreplicas replicas, or the timeout.', syntax: 'numreplicas timeout', run: wait,
  }),
];
