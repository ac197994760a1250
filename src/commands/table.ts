/**
 * The command table and the chain of checks every command passes before it
 * runs, in Redis's order: lookup → arity → protected (DEBUG) → auth →
 * no_multi → ACL → subscribed mode (RESP2) → MULTI queueing → call.
 */
// Imported, not the global: Node's global `performance` is an accessor, which optimized code calls
// through the load-global IC on every use (measured: about 5 ns a call, twice per command).
import { performance } from 'node:perf_hooks';
import { clusterCommands } from './cluster.js';
import { moduleCommands } from './module.js';
import {
  ReplyError,
  noAuth,
  diskWritesDenied,
  noReplicas,
  replicaKeyspace,
  unknownCommand,
  unknownSubcommand,
  wrongArity,
} from '../errors.js';
import { SimpleString, type Reply } from '../protocol/reply.js';
import { LatencyHistogram } from '../util/latency-histogram.js';
import { BlockRequest, isSubscribed, type CommandContext, type CommandFlag, type CommandSpec } from './types.js';
import { connectionCommands } from './connection.js';
import { stringCommands } from './strings.js';
import { bitmapCommands } from './bitmaps.js';
import { hashesCommands } from './hashes.js';
import { listsCommands } from './lists.js';
import { setsCommands } from './sets.js';
import { sortedsetsCommands } from './sortedsets.js';
import { streamCommands } from './streams.js';
import { geoCommands } from './geo.js';
import { sortCommands } from './sort.js';
import { keyCommands } from './keys.js';
import { dumpCommands } from './dump.js';
import { migrateCommands } from './migrate.js';
import { lolwutCommands } from './lolwut.js';
import { serverCommands } from './server.js';
import { configCommand } from './config.js';
import { debugCommand } from './debug.js';
import { infoCommand } from './info.js';
import { commandCommand } from './command.js';
import { latencyCommand } from './latency.js';
import { transactionCommands } from './transactions.js';
import { pubsubCommands, SUBSCRIBED_MODE_COMMANDS } from './pubsub.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './functions.js';
import { buildAclTable } from './acl-table.js';
import { aclCommand } from './acl.js';
import type { AclCommand } from '../acl/user.js';
import type { ScriptFlags } from '../scripting/scripting.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { replicationCommands } from './replication.js';

/** Every top-level command, in no particular order. */
export const COMMANDS: readonly CommandSpec[] = [
  ...connectionCommands,
  ...stringCommands,
  ...bitmapCommands,
  ...hyperloglogCommands,
  ...hashesCommands,
  ...listsCommands,
  ...setsCommands,
  ...sortedsetsCommands,
  ...streamCommands,
  ...geoCommands,
  ...sortCommands,
  ...keyCommands,
  ...dumpCommands,
  ...migrateCommands,
  ...lolwutCommands,
  ...serverCommands,
  configCommand,
  debugCommand,
  infoCommand,
  commandCommand,
  latencyCommand,
  ...transactionCommands,
  ...pubsubCommands,
  ...scriptingCommands,
  ...functionCommands,
  ...clusterCommands,
  ...moduleCommands,
  ...replicationCommands,
  aclCommand,
];

/** The command table as the ACL sees it: ids, categories, keys and channels of every command and subcommand. */
export const ACL_TABLE = buildAclTable(COMMANDS);

/** Per-command counters for INFO commandstats, keyed by full name (`config|get`). */
export interface CommandStats {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
  /** Latencies of the calls since the last reset, while latency-tracking is on (created on the first call). */
  histogram: LatencyHistogram | undefined;
}

/** A resolved command: the spec that runs, the name its statistics go under, and its flags as booleans for the per-command checks. */
export interface Resolved {
  spec: CommandSpec;
  fullName: string;
  stats: CommandStats;
  /** What the ACL checks: the command's id, keys and channels. */
  acl: AclCommand;
  /** For a protected command (DEBUG, MODULE LOAD...): the command whose enable-<name>-command directive allows it. */
  protectedBy: string | undefined;
  noAuth: boolean;
  noMulti: boolean;
  /** Served while a script is busy (allow_busy). */
  allowBusy: boolean;
  /** Write or may_replicate: what CLIENT PAUSE WRITE holds back. */
  mayReplicate: boolean;
  /** May grow memory (denyoom): refused while over maxmemory. */
  denyOom: boolean;
  /** Changes data (write): recorded in the append-only file when it did. */
  isWrite: boolean;
  /** Reads data (readonly). */
  isRead: boolean;
  /** Served by a replica whose link is down even with replica-serve-stale-data no. */
  stale: boolean;
  /** Served while a dataset loads (loading), or refused even while it loads asynchronously (no_async_loading). */
  okLoading: boolean;
  noAsyncLoading: boolean;
  /** EVAL, EVALSHA, FCALL and their _RO forms: what the script declares may change the flags the checks see. */
  runsScript: boolean;
  /** Neither logged as slow nor shown to MONITOR (admin commands are not). */
  observed: ExecutionFlags;
}

/** What the server's observers need to know about a command that ran. */
export interface ExecutionFlags {
  /** Full name (`config|get`). */
  name: string;
  slowlog: boolean;
  monitor: boolean;
  /** A read-only command outside pub/sub: client-side caching remembers the keys it read. */
  tracksKeys: boolean;
  /** Its latency monitor event is fast-command rather than command. */
  fast: boolean;
}

function resolvedEntry(spec: CommandSpec, fullName: string): Resolved {
  const has = (flag: CommandFlag): boolean => spec.flags.includes(flag);
  const stats = newStats();
  commandStats.set(fullName, stats);
  return {
    spec,
    fullName,
    stats,
    acl: ACL_TABLE.lookup(fullName)!,
    protectedBy: has('protected') ? fullName.split('|')[0] : undefined,
    noAuth: has('no_auth'),
    noMulti: has('no_multi'),
    allowBusy: has('allow_busy'),
    mayReplicate: has('write') || has('may_replicate'),
    denyOom: has('denyoom'),
    isWrite: has('write'),
    isRead: has('readonly'),
    stale: has('stale'),
    okLoading: has('loading'),
    noAsyncLoading: has('no_async_loading'),
    runsScript: /^(eval|evalsha|fcall)(_ro)?$/.test(fullName),
    observed: {
      name: fullName,
      slowlog: !has('skip_slowlog'),
      monitor: !has('skip_monitor') && !has('admin'),
      // A read-only script's own keys are not remembered; the reads it makes are (Redis's call()).
      tracksKeys: has('readonly') && !has('pubsub') && !READ_ONLY_SCRIPTS.has(fullName),
      fast: has('fast'),
    },
  };
}

const READ_ONLY_SCRIPTS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

const byName = new Map<string, CommandSpec>();
for (const spec of COMMANDS) {
  // Scripts and clients spell names in either case: both are found without a lowercase copy.
  byName.set(spec.name, spec);
  byName.set(spec.name.toUpperCase(), spec);
}

/** Looks a command up by name, case-insensitively. */
export function findCommand(name: string): CommandSpec | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}

/** Full name (`config|get`) and statistics of every command and subcommand. */
export const commandStats = new Map<string, CommandStats>();

const resolvedSubcommands = new Map<CommandSpec, Map<string, Resolved>>();
const resolvedCommands = new Map<string, Resolved>();
const newStats = (): CommandStats => ({ calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0, histogram: undefined });
for (const spec of COMMANDS) {
  const entry = resolvedEntry(spec, spec.name);
  // Clients send names in either case; both spellings skip a toLowerCase per command.
  resolvedCommands.set(spec.name, entry);
  resolvedCommands.set(spec.name.toUpperCase(), entry);
  if (spec.subcommands) {
    const subs = new Map<string, Resolved>();
    for (const sub of spec.subcommands) subs.set(sub.name, resolvedEntry(sub, `${spec.name}|${sub.name}`));
    resolvedSubcommands.set(spec, subs);
  }
}

/**
 * rename-command: the command answers to `to` from now on, or to nothing
 * when `to` is empty. Only lookups change; ACL rules and COMMAND keep the
 * original names, as in Redis. Returns Redis's config error, if any.
 */
export function renameCommand(from: string, to: string): string | undefined {
  const spec = findCommand(from);
  if (spec === undefined) return 'No such command in rename-command';
  const resolved = resolvedCommands.get(spec.name)!;
  for (const map of [byName, resolvedCommands]) {
    for (const [name, value] of map) if (value === spec || value === resolved) map.delete(name);
  }
  if (to === '') return undefined;
  if (findCommand(to) !== undefined) return 'Target command name already exists';
  for (const name of [to, to.toLowerCase(), to.toUpperCase()]) {
    byName.set(name, spec);
    resolvedCommands.set(name, resolved);
  }
  return undefined;
}

/** Clears INFO commandstats (CONFIG RESETSTAT). */
export function resetCommandStats(): void {
  for (const stats of commandStats.values()) Object.assign(stats, newStats());
}

const QUEUED = new SimpleString('QUEUED');

/** Commands that act on a transaction instead of being queued in it. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** The command (or subcommand) args name, or the error an unknown one answers. */
export function resolveCommand(args: string[]): Resolved | ReplyError {
  const name = args[0];
  const top = resolvedCommands.get(name) ?? resolvedCommands.get(name.toLowerCase());
  if (top === undefined) return unknownCommand(name, args.slice(1));
  const subs = resolvedSubcommands.get(top.spec);
  if (subs === undefined || args.length < 2) return top;
  const sub = subs.get(args[1].toLowerCase());
  if (sub === undefined) return unknownSubcommand(args[1], name);
  return sub;
}

function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}

/** Observers of command execution: statistics, slow log and MONITOR live in the server. */
export interface ExecutionObserver {
  /** Called after a command ran (not for rejected ones); `waits` when it now waits for keys. */
  executed(ctx: CommandContext, spec: CommandSpec, flags: ExecutionFlags, args: string[], durationUs: number, waits: boolean): void;
  /** Whether a protected command of `name` (debug, module) is allowed for this client by its enable-<name>-command directive. */
  protectedAllowed(ctx: CommandContext, name: string): boolean;
  /** latency-tracking: per-command latency histograms are kept. */
  readonly latencyTracking: boolean;
  authRequired(ctx: CommandContext): boolean;
  /** The NOPERM error when the client's user may not run this command line (only asked for restricted users). */
  aclRefusal(ctx: CommandContext, command: AclCommand, args: string[]): ReplyError | undefined;
  /** Runs eviction when maxmemory is set; true when memory is still over the limit. */
  outOfMemory(): boolean;
  /** The last background save failed and stop-writes-on-bgsave-error holds writes (and PING) back with MISCONF. */
  diskWritesDenied(): boolean;
  /** min-replicas-to-write is set and fewer replicas are connected and in time: writes are refused. */
  replicasMissing(): boolean;
  /** Whether we are a replica: then writes and, with the link down, most commands may be refused. */
  isReplica(): boolean;
  /** Whether this client is a replica of ours (it sent SYNC or PSYNC). */
  isReplicaLink(ctx: CommandContext): boolean;
  /** A write of a client other than our master on a (writable) replica: its expired keys go first, as in Redis 7.0. */
  beforeReplicaWrite(ctx: CommandContext, spec: CommandSpec, fullName: string, args: string[]): void;
  /** READONLY or MASTERDOWN for this command on a replica, if it gets one. */
  replicaRefusal(ctx: CommandContext, write: boolean, stale: boolean): ReplyError | undefined;
  /** A dataset is loading (start-up, or a replica's from its master): -LOADING for what may not run then. */
  readonly loading: 'sync' | 'async' | undefined;
  loadingRefusal(okLoading: boolean, noAsyncLoading: boolean): ReplyError | undefined;
  /** What the master sends and what a loading file replays, in scripts too: run as it comes (Redis's mustObeyClient). */
  mustObey(ctx: CommandContext): boolean;
  /** BUSY, for a client other than the script's while a script runs past busy-reply-threshold. */
  busyRefusal(ctx: CommandContext): ReplyError | undefined;
  /** Whether CLIENT PAUSE holds this command back now; `mayReplicate` for commands that may change data. */
  postpones(ctx: CommandContext, mayReplicate: boolean): boolean;
  /** Changes made to data so far (the keyspace's dirty counter): a write that changed nothing is not propagated. */
  changes(): number;
  /** A write command changed data: the append-only file records it. */
  propagate(ctx: CommandContext, spec: CommandSpec, args: string[], reply: Reply): void;
  /** Logs an unexpected exception from a handler and turns it into an error reply. */
  internalError(error: unknown, command: string): ReplyError;
}

/** What dispatch answers for a command that CLIENT PAUSE holds back: it runs again when the pause ends. */
export const POSTPONED: unique symbol = Symbol('postponed');

/** Whether any queued command of a transaction has a property (EXEC shares its commands' write and denyoom nature). */
function queuedAny(queued: readonly string[][], property: (resolved: Resolved, args: string[]) => boolean): boolean {
  return queued.some((args) => {
    const resolved = resolveCommand(args);
    return !(resolved instanceof ReplyError) && property(resolved, args);
  });
}

/** The flags of a command that the checks before it runs read. */
type GateFlags = Pick<Resolved, 'isWrite' | 'denyOom' | 'stale'>;

const SCRIPT_RUNNERS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro']);
const FUNCTION_RUNNERS = new Set(['fcall', 'fcall_ro']);

/**
 * The flags a script declares before it runs: an EVAL body's shebang (or
 * the cached script of an EVALSHA sha), or the registration of the function
 * FCALL names; undefined for a script without a shebang or an unknown one
 * (Redis's evalGetCommandFlags and fcallGetCommandFlags then keep the
 * command's own flags).
 */
function declaredScriptFlags(ctx: CommandContext, resolved: Resolved, args: string[]): ScriptFlags | undefined {
  if (!resolved.runsScript || args.length < 2) return undefined;
  if (FUNCTION_RUNNERS.has(resolved.fullName)) return ctx.server.functions.find(args[1])?.flags;
  if (!SCRIPT_RUNNERS.has(resolved.fullName)) return undefined;
  return ctx.server.scripting.declaredFlags(args[1], resolved.fullName.startsWith('evalsha'));
}

/**
 * The flags the checks see (Redis's getCommandFlags): a script that
 * declares flags counts as what they say, a write unless no-writes,
 * denyoom unless allow-oom or no-writes, stale only with allow-stale.
 */
function gateFlags(ctx: CommandContext, resolved: Resolved, args: string[]): GateFlags {
  const declared = declaredScriptFlags(ctx, resolved, args);
  if (declared === undefined) return resolved;
  return { isWrite: !declared.noWrites, denyOom: !declared.noWrites && !declared.allowOom, stale: declared.allowStale };
}

/** A write, or an EXEC of a transaction with one, as Redis's is_write_command. */
function isWriteCommand(ctx: CommandContext, resolved: Resolved, args: string[], queued: readonly string[][] | undefined): boolean {
  if (gateFlags(ctx, resolved, args).isWrite) return true;
  return resolved.fullName === 'exec' && queued !== undefined && queuedAny(queued, (r, q) => gateFlags(ctx, r, q).isWrite);
}

/** Commands that stay allowed inside MULTI while over maxmemory (queueing anything else would grow memory). */
const MULTI_OOM_EXEMPT = new Set(['exec', 'discard', 'quit', 'reset']);

/** Whether a command may grow memory, so that it is refused while over maxmemory (Redis's reject_cmd_on_oom). */
function mayGrowMemory(ctx: CommandContext, resolved: Resolved, args: string[], queued: readonly string[][] | undefined): boolean {
  if (gateFlags(ctx, resolved, args).denyOom) return true;
  if (queued === undefined) return false;
  if (resolved.fullName === 'exec') return queuedAny(queued, (r, q) => gateFlags(ctx, r, q).denyOom);
  return !MULTI_OOM_EXEMPT.has(resolved.fullName);
}

/** Whether a call that may replicate still does once scripts declaring no-writes (Redis's scriptFlagsToCmdFlags) count as reads. */
function replicatesDespiteScripts(ctx: CommandContext, resolved: Resolved, args: string[]): boolean {
  const queued = ctx.client.multi;
  if (resolved.fullName === 'exec' && queued !== undefined) {
    return queued.some((q) => {
      const r = resolveCommand(q);
      return !(r instanceof ReplyError) && r.mayReplicate && !declaresNoWrites(ctx, r, q);
    });
  }
  return !declaresNoWrites(ctx, resolved, args);
}

function declaresNoWrites(ctx: CommandContext, resolved: Resolved, args: string[]): boolean {
  return declaredScriptFlags(ctx, resolved, args)?.noWrites === true;
}

/** Ends the transaction and forgets the watched keys, whatever EXEC or DISCARD decided. */
export function endTransaction(ctx: CommandContext): void {
  ctx.client.multi = undefined;
  ctx.client.multiFailed = false;
  ctx.client.watchedKeyChanged = false;
  ctx.server.unwatchAll(ctx.client);
}

/** The chain of checks in front of every command, then the call; returns the reply to send, or a request to wait. */
export function dispatch(ctx: CommandContext, args: string[], observer: ExecutionObserver): Reply | BlockRequest | typeof POSTPONED {
  return dispatchResolved(ctx, resolveCommand(args), args, observer);
}

/** dispatch, for a caller that has resolved the command already (a script's redis.call checks it first). */
export function dispatchResolved(
  ctx: CommandContext,
  resolved: Resolved | ReplyError,
  args: string[],
  observer: ExecutionObserver,
): Reply | BlockRequest | typeof POSTPONED {
  const client = ctx.client;
  if (resolved instanceof ReplyError) {
    // Any command refused while queueing dooms the transaction.
    if (client.multi) client.multiFailed = true;
    return resolved;
  }
  const { spec, stats } = resolved;
  // Redis records the command as soon as it is looked up, even if a check then refuses it.
  client.lastCommand = resolved.fullName;

  let rejection: ReplyError | undefined;
  if (!arityOk(spec.arity, args.length)) {
    rejection = wrongArity(resolved.fullName);
  } else if (resolved.protectedBy !== undefined && !observer.protectedAllowed(ctx, resolved.protectedBy)) {
    const name = resolved.protectedBy;
    rejection = new ReplyError(
      `ERR ${name.toUpperCase()} command not allowed. If the enable-${name}-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
    );
  } else if (!resolved.noAuth && observer.authRequired(ctx)) {
    rejection = noAuth();
  } else if (client.multi && resolved.noMulti) {
    rejection = new ReplyError('ERR Command not allowed inside a transaction');
  } else if (!client.user.unrestricted && (rejection = observer.aclRefusal(ctx, resolved.acl, args)) !== undefined) {
    // The user may not run this command, or not on these keys or channels.
  } else if (client.resp === 2 && isSubscribed(client) && !SUBSCRIBED_MODE_COMMANDS.has(resolved.fullName)) {
    // In RESP2 a reply could not be told apart from a message, so a subscriber may only manage subscriptions.
    rejection = new ReplyError(
      `ERR Can't execute '${resolved.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
  } else if (!resolved.allowBusy && (rejection = observer.busyRefusal(ctx)) !== undefined) {
    // A timed-out script holds the server: only what may help end it is served. When the script is
    // one of a file being loaded, Redis's LOADING check comes first.
    if (observer.loading !== undefined) rejection = observer.loadingRefusal(resolved.okLoading, resolved.noAsyncLoading) ?? rejection;
  } else if (!client.executingTransaction && observer.outOfMemory() && mayGrowMemory(ctx, resolved, args, client.multi)) {
    rejection = new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
  } else if (observer.diskWritesDenied() && !client.executingTransaction && (resolved.fullName === 'ping' || isWriteCommand(ctx, resolved, args, client.multi)) && !observer.mustObey(ctx)) {
    rejection = diskWritesDenied();
  } else if (!client.executingTransaction && observer.replicasMissing() && isWriteCommand(ctx, resolved, args, client.multi)) {
    rejection = noReplicas();
  } else if ((!client.executingTransaction || client.isScript) && (observer.isReplica() || observer.loading !== undefined) && !observer.mustObey(ctx)) {
    // A transaction's commands were cleared with its EXEC; a script's writes are checked each (READONLY).
    if (observer.isReplica()) {
      const queued = client.multi;
      const stale = gateFlags(ctx, resolved, args).stale && !(resolved.fullName === 'exec' && queued !== undefined && queuedAny(queued, (r, q) => !gateFlags(ctx, r, q).stale));
      rejection = observer.replicaRefusal(ctx, isWriteCommand(ctx, resolved, args, queued), stale);
    }
    rejection ??= observer.loadingRefusal(resolved.okLoading, resolved.noAsyncLoading);
  }
  if (rejection === undefined && (resolved.mayReplicate || resolved.isRead) && observer.isReplicaLink(ctx)) {
    // As Redis: a replica's link carries acknowledgements, not data commands (which would also dodge
    // CLIENT PAUSE, since replicas are exempt from it).
    rejection = replicaKeyspace();
  }
  if (rejection !== undefined) {
    stats.rejectedCalls++;
    if (client.multi) client.multiFailed = true;
    // A refused EXEC, in a transaction or not, discards it (and the watches) and says why, as
    // Redis's execCommandAbort does; MONITOR sees the EXEC, closing the MULTI it was shown.
    if (resolved.fullName === 'exec') {
      endTransaction(ctx);
      ctx.server.feedMonitorsNow(ctx, args);
      return new ReplyError(`EXECABORT Transaction discarded because of: ${rejection.message.replace(/^ERR /, '')}`);
    }
    return rejection;
  }
  const mayReplicate = resolved.mayReplicate || (resolved.fullName === 'exec' && client.multi !== undefined && queuedAny(client.multi, (r) => r.mayReplicate));
  // Script flags are looked at only while a pause would hold the call (they cost a hash of the body).
  if (!client.executingTransaction && observer.postpones(ctx, mayReplicate) && (observer.postpones(ctx, false) || replicatesDespiteScripts(ctx, resolved, args))) {
    return POSTPONED;
  }
  if (client.multi && !TRANSACTION_CONTROL.has(resolved.fullName)) {
    client.multi.push(args);
    return QUEUED;
  }
  if (resolved.isWrite && observer.isReplica()) observer.beforeReplicaWrite(ctx, spec, resolved.fullName, args);
  const started = performance.now();
  const changesBefore = observer.changes();
  let reply: Reply | BlockRequest;
  try {
    // Containers have arity -2, so only specs with a handler get here.
    reply = spec.run!(ctx, args);
    if (reply instanceof BlockRequest && ctx.client.inTransaction) reply = reply.timeoutReply;
  } catch (error) {
    // A bug in one command must not take the server and every other client down.
    reply = error instanceof ReplyError ? error : observer.internalError(error, resolved.fullName);
  }
  const durationUs = Math.round((performance.now() - started) * 1000);
  stats.calls++;
  stats.usec += durationUs;
  // A command that waits for a key gets its latency recorded when it is served.
  if (observer.latencyTracking && !(reply instanceof BlockRequest)) (stats.histogram ??= new LatencyHistogram()).recordUs(durationUs);
  if (reply instanceof ReplyError) stats.failedCalls++;
  else if ((resolved.isWrite || spec.propagate !== undefined) && !(reply instanceof BlockRequest) && (observer.changes() !== changesBefore || spec.alwaysPropagated === true)) {
    observer.propagate(ctx, spec, args, reply);
  }
  observer.executed(ctx, spec, resolved.observed, args, durationUs, reply instanceof BlockRequest && !reply.deferred);
  return reply;
}
