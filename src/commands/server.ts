/**
 * Server administration: TIME, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG,
 * and the FUNCTION/SCRIPT flushes that test harnesses send.
 */
import { ReplyError, syntaxError } from '../errors.js';
import { DoubleReply, MapReply, OK, SimpleString, VerbatimReply, type Reply } from '../protocol/reply.js';
import { BASELINE_BYTES, EXPIRE_ENTRY, MAP_ENTRY } from '../store/memory.js';
import { collectGarbage } from '../util/gc.js';
import { parseInt64 } from '../util/numbers.js';
import { adminSubcommands, BlockRequest, defineCommand, type CommandContext, type CommandFlag, type CommandSpec } from './types.js';

const helpLines = (lines: string[]): Reply => lines.map((l) => new SimpleString(l));

const sub = adminSubcommands('2.2.12');

function shutdown(ctx: CommandContext, args: string[]): Reply | BlockRequest {
  const options = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    if (!['NOSAVE', 'SAVE', 'NOW', 'FORCE', 'ABORT'].includes(opt)) throw syntaxError();
    options.add(opt);
  }
  if ((options.has('ABORT') && options.size > 1) || (options.has('NOSAVE') && options.has('SAVE'))) throw syntaxError();
  if (options.has('ABORT')) {
    if (!ctx.server.abortShutdown()) throw new ReplyError('ERR No shutdown in progress.');
    return OK;
  }
  // A timed-out script holds the data mid-change: only NOSAVE may stop the server then.
  const busy = ctx.server.scripting.busyRefusal(ctx);
  if (busy !== undefined && !options.has('NOSAVE')) throw busy;
  const save = options.has('SAVE') ? true : options.has('NOSAVE') ? false : undefined;
  // Like Redis: on success the connection just closes (when the server exits).
  return ctx.server.requestShutdown({ save, now: options.has('NOW'), force: options.has('FORCE') }, ctx.client);
}

function slowlogGet(ctx: CommandContext, args: string[]): Reply {
  let count = 10;
  if (args.length === 3) {
    const parsed = parseInt64(args[2]);
    if (parsed === null || parsed < -1) throw new ReplyError('ERR count should be greater than or equal to -1');
    count = Number(parsed);
  }
  return ctx.server.slowlog.latest(count).map((e) => [e.id, e.time, e.durationUs, e.args, e.peer, e.clientName]);
}

/** SLOWLOG may run from scripts, unlike most admin commands. */
const SLOWLOG: CommandFlag[] = ['admin', 'loading', 'stale'];

const slowlogCommand = defineCommand({
  name: 'slowlog', arity: -2, flags: [], group: 'server', since: '2.2.12', complexity: 'Depends on subcommand.',
  summary: 'Reads and clears the log of slow commands.',
  subcommands: [
    sub('get', -2, 'Returns the newest entries of the slow log.', slowlogGet, { syntax: '[count]', flags: SLOWLOG }),
    sub('len', 2, 'Counts the entries of the slow log.', (ctx) => ctx.server.slowlog.length, { flags: SLOWLOG }),
    sub('reset', 2, 'Empties the slow log.', (ctx) => {
      ctx.server.slowlog.reset();
      return OK;
    }, { flags: SLOWLOG }),
    sub('help', 2, 'Lists the SLOWLOG subcommands.', () =>
      helpLines([
        'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'GET [<count>]',
        '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
        '    Entries are made of:',
        '    id, timestamp, time in microseconds, arguments array, client IP and port,',
        '    client name',
        'LEN',
        '    Return the length of the slowlog.',
        'RESET',
        '    Reset the slowlog.',
        'HELP',
        '    Prints this help.',
      ]), { flags: ['loading', 'stale'] }),
  ],
});

/** MEMORY USAGE: the same estimate used_memory adds up (SAMPLES is accepted; the estimate needs none). */
function memoryUsage(ctx: CommandContext, args: string[]): Reply {
  for (let i = 3; i < args.length; i += 2) {
    if (args[i].toUpperCase() !== 'SAMPLES' || i + 1 >= args.length) throw syntaxError();
    if (parseInt64(args[i + 1]) === null) throw new ReplyError('ERR value is not an integer or out of range');
  }
  const key = args[2];
  if (ctx.client.db.get(key) === undefined) return null;
  return ctx.client.db.memoryOf(key) ?? null;
}

function memoryStats(ctx: CommandContext): Reply {
  const memory = ctx.server.memoryOverview();
  const { used, peak, dataset } = memory;
  const rss = process.memoryUsage.rss();
  let keys = 0;
  const perDb: Reply[] = [];
  for (const db of ctx.server.keyspace.dbs) {
    keys += db.size;
    if (db.size === 0) continue;
    perDb.push(`db.${db.id}`, new MapReply(['overhead.hashtable.main', db.size * MAP_ENTRY, 'overhead.hashtable.expires', db.expires.size * EXPIRE_ENTRY]));
  }
  const netUsage = Math.max(1, used - BASELINE_BYTES);
  return new MapReply([
    'peak.allocated', peak,
    'total.allocated', used,
    'startup.allocated', BASELINE_BYTES,
    'replication.backlog', memory.replicationBacklog,
    'clients.slaves', memory.clientsReplicas,
    'clients.normal', memory.clientsNormal,
    'cluster.links', 0,
    'aof.buffer', memory.aofBuffer,
    'lua.caches', 0,
    'functions.caches', 0,
    'overhead.total', memory.overhead,
    'keys.count', keys,
    'keys.bytes-per-key', keys === 0 ? 0 : Math.floor(netUsage / keys),
    'dataset.bytes', dataset,
    'dataset.percentage', new DoubleReply((dataset * 100) / netUsage),
    'peak.percentage', new DoubleReply((used * 100) / Math.max(1, peak)),
    'fragmentation', new DoubleReply(rss / Math.max(1, used)),
    'fragmentation.bytes', rss - used,
    ...perDb,
  ]);
}

function memoryDoctor(ctx: CommandContext): Reply {
  const used = ctx.server.usedMemory;
  const { maxmemory } = ctx.server.config.values;
  const lines = [`Estimated memory in use: ${used} bytes; process RSS: ${process.memoryUsage.rss()} bytes.`];
  if (maxmemory > 0 && used > maxmemory * 0.9) lines.push(`Memory is within 10% of maxmemory (${maxmemory} bytes): keys will be evicted or writes refused soon.`);
  else lines.push('No memory problems found.');
  return new VerbatimReply('txt', lines.join('\n'));
}

const memoryCommand = defineCommand({
  name: 'memory', arity: -2, flags: [], group: 'server', since: '4.0.0', complexity: 'Depends on subcommand.',
  summary: 'Reports memory use.',
  subcommands: [
    sub('usage', -3, 'Estimates the bytes a key and its value take.', memoryUsage,
      { syntax: 'key [SAMPLES count]', flags: ['readonly'], since: '4.0.0', complexity: 'O(N) where N is the number of samples.' }),
    sub('stats', 2, 'Reports the memory estimate in detail.', memoryStats, { flags: [], since: '4.0.0' }),
    sub('doctor', 2, 'Gives advice on the memory use.', memoryDoctor, { flags: [], since: '4.0.0' }),
    sub('purge', 2, 'Runs a full garbage collection, so that free memory can go back to the system.', () => {
      collectGarbage();
      return OK;
    }, { flags: [], since: '4.0.0' }),
    sub('malloc-stats', 2, 'Allocator statistics (none here).', () => 'Stats not supported for the current allocator', { flags: [], since: '4.0.0' }),
    sub('help', 2, 'Lists the MEMORY subcommands.', () =>
      helpLines([
        'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'DOCTOR', '    Return memory problems reports.',
        'MALLOC-STATS', '    Return internal statistics report from the memory allocator.',
        'PURGE', '    Attempt to purge dirty pages for reclamation by the allocator.',
        'STATS', '    Return information about the memory usage of the server.',
        'USAGE <key> [SAMPLES <count>]',
        '    Return memory in bytes used by <key> and its value. Nested values are',
        '    sampled up to <count> times (default: 5, 0 means sample all).',
        'HELP', '    Prints this help.',
      ]), { flags: ['loading', 'stale'], since: '4.0.0' }),
  ],
});

export const serverCommands: readonly CommandSpec[] = [
  memoryCommand,
  defineCommand({
    name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], group: 'server', since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases', summary: 'Writes the dataset to the snapshot file now.',
    run: (ctx) => {
      if (ctx.server.persistence.saveInProgress) throw new ReplyError('ERR Background save already in progress');
      // INFO rdb_saves counts SAVE and background saves, not the saves DEBUG RELOAD, FLUSHALL and shutdown make (Redis's saveCommand).
      ctx.server.persistence.rdbSaves++;
      try {
        ctx.server.persistence.save();
      } catch {
        throw new ReplyError('ERR');
      }
      return OK;
    },
  }),
  defineCommand({
    name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript', 'no_async_loading'], group: 'server', since: '1.0.0',
    complexity: 'O(1)', summary: 'Starts a new append-only file from a snapshot of this moment, while commands keep running.',
    run: (ctx) => {
      if (ctx.server.persistence.aofRewriteInProgress) throw new ReplyError('ERR Background append only file rewriting already in progress');
      let outcome: string;
      try {
        outcome = ctx.server.persistence.bgRewriteAppendOnly();
      } catch (error) {
        throw new ReplyError(`ERR ${(error as Error).message}`);
      }
      return new SimpleString(`Background append only file rewriting ${outcome}`);
    },
  }),
  defineCommand({
    name: 'bgsave', arity: -1, flags: ['admin', 'noscript', 'no_async_loading'], group: 'server', since: '1.0.0',
    complexity: 'O(1)', summary: 'Writes a snapshot of this moment to the snapshot file while commands keep running.', syntax: '[SCHEDULE]',
    run: (ctx, args) => {
      if (args.length > 2 || (args.length === 2 && args[1].toUpperCase() !== 'SCHEDULE')) throw syntaxError();
      if (ctx.server.persistence.saveInProgress) throw new ReplyError('ERR Background save already in progress');
      try {
        ctx.server.persistence.backgroundSaveStart();
      } catch {
        throw new ReplyError('ERR');
      }
      return new SimpleString('Background saving started');
    },
  }),
  defineCommand({
    name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], group: 'server', since: '2.6.0', complexity: 'O(1)',
    summary: 'Returns the server clock as Unix seconds and microseconds.',
    run: () => {
      const micros = BigInt(Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000));
      return [String(micros / 1000000n), String(micros % 1000000n)];
    },
  }),
  defineCommand({
    name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], group: 'server', since: '1.0.0', complexity: 'O(1)',
    summary: 'Unix time of the last successful save.', run: (ctx) => ctx.server.persistence.lastSave,
  }),
  defineCommand({
    name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], group: 'server',
    since: '1.0.0', complexity: 'O(N) when saving, where N is the total number of keys in all databases',
    summary: 'Closes every connection and stops the server.', syntax: '[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]', run: shutdown,
  }),
  defineCommand({
    name: 'monitor', arity: 1, flags: ['admin', 'noscript', 'loading', 'stale'], group: 'server', since: '1.0.0',
    complexity: 'O(1)', summary: 'Streams every command the server processes to this connection.',
    run: (ctx) => {
      ctx.client.startMonitoring();
      return OK;
    },
  }),
  slowlogCommand,
];
