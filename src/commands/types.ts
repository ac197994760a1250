/**
 * The shape of a command: one declaration per command, read by the
 * dispatcher (arity, flags, auth), by COMMAND INFO/DOCS and later by ACL and
 * cluster key-slot logic.
 */
import type { ClientTracking } from '../server/tracking.js';
import type { Propagation } from '../persistence/propagation.js';
import type { Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import type { Server } from '../server/server.js';
import type { User } from '../acl/user.js';
import type { DebugChannel, LuaDebugMode } from '../scripting/ldb.js';

/** Redis's command flags, spelled as COMMAND INFO prints them. */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_async_loading'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'allow_busy'
  | 'movablekeys'
  | 'asking'
  | 'protected';

/** Where the keys are in the arguments: Redis's legacy (first, last, step) triple. */
export interface KeySpec {
  first: number;
  /** Negative counts from the end: -1 is the last argument. */
  last: number;
  step: number;
}

/** The most common key position: the single key right after the command name. */
export const ONE_KEY: KeySpec = { first: 1, last: 1, step: 1 };

/** The three pub/sub namespaces: channels, glob patterns over channels, and shard channels (SSUBSCRIBE). */
export type PubSubKind = 'channels' | 'patterns' | 'shardChannels';

/** A connection's pub/sub subscriptions, by kind; the server's registry keeps the reverse index. */
export type Subscriptions = Readonly<Record<PubSubKind, Set<string>>>;

/** The per-connection state a handler may read and change. It never sees the socket. */
export interface ClientState {
  readonly id: number;
  /** The client a script's redis.call runs as (Redis's CLIENT_SCRIPT). */
  readonly isScript: boolean;
  name: string;
  libName: string;
  libVer: string;
  resp: 2 | 3;
  authenticated: boolean;
  /** The ACL user the connection runs as: the default user until AUTH or HELLO says otherwise. */
  user: User;
  db: Database;
  replyMode: 'on' | 'off' | 'skip';
  /** True while the running command follows CLIENT REPLY SKIP: its reply is dropped unless it turns replies ON. */
  skippingReply: boolean;
  /** CLIENT TRACKING settings while tracking is on. */
  tracking: ClientTracking | undefined;
  /** Full name of the command running or last run (CLIENT LIST's cmd=). */
  lastCommand: string;
  /** True while queueing or executing a MULTI transaction: blocking commands must not wait. */
  readonly inTransaction: boolean;
  /** Commands queued since MULTI; undefined outside a transaction. */
  multi: string[][] | undefined;
  /** A command was refused while queueing, so EXEC must abort. */
  multiFailed: boolean;
  /** Set while EXEC runs the queued commands. */
  executingTransaction: boolean;
  /** Where the writes it runs propagate (a script's redis.set_repl): bit 1 the append-only file, bit 2 the replicas; absent, both. */
  readonly propagateTo?: number;
  /** A watched key changed since WATCH: EXEC answers a null array. */
  watchedKeyChanged: boolean;
  noEvict: boolean;
  noTouch: boolean;
  /** Pub/sub subscriptions; any at all puts a RESP2 connection in subscribed mode. */
  readonly subscriptions: Subscriptions;
  /** Reply, then close the connection (QUIT, protocol errors). */
  closeAfterReply(): void;
  /** SCRIPT DEBUG YES or SYNC: its EVALs run in the Lua debugger. Only connections have it. */
  luaDebug?: LuaDebugMode;
  /** The connection itself, for the Lua debugger's direct reads and writes while a script holds the server. */
  debugChannel?(): DebugChannel | undefined;
  /** Replies are waiting to be written (SCRIPT DEBUG refuses to start inside a pipeline). */
  hasPendingReplies?(): boolean;
  /** One CLIENT LIST / CLIENT INFO line. */
  describe(): string;
  /** Streams every command the server runs to this client (MONITOR). */
  startMonitoring(): void;
}

/** Whether a client holds any subscription (Redis's CLIENT_PUBSUB flag): RESP2 then limits its commands. */
export function isSubscribed(client: ClientState): boolean {
  const subs = client.subscriptions;
  return subs.channels.size + subs.patterns.size + subs.shardChannels.size > 0;
}

/** What a handler receives besides its arguments. */
export interface CommandContext {
  readonly client: ClientState;
  readonly server: Server;
}

/**
 * A blocking command's answer when there is nothing to serve yet: the client
 * waits until a change to one of `keys` lets `attempt` produce a reply, until
 * `deadline`, or until CLIENT UNBLOCK. Inside a transaction the command does
 * not wait and `timeoutReply` is the answer at once.
 */
export class BlockRequest {
  constructor(
    readonly keys: readonly string[],
    /** Absolute time in ms when to give up; 0 waits forever. */
    readonly deadline: number,
    /**
     * Serves the client from `ready`, the key whose change woke it, if it can now; undefined keeps
     * it waiting. As in Redis, a client waiting on several keys is served from the one that became
     * ready first, not from the first of its keys that holds something.
     */
    readonly attempt: (ready: string) => Reply | undefined,
    /** The reply on timeout (the command's kind of null). */
    readonly timeoutReply: Reply,
    /** Not a blocking command: its reply comes later, through Server.finishWaiting, and CLIENT UNBLOCK leaves it be. */
    readonly deferred = false,
  ) {}

  /** A command whose work goes on in the background (CONFIG SET port, MIGRATE); `inTransaction` is its reply inside MULTI. */
  static deferred(inTransaction: Reply): BlockRequest {
    return new BlockRequest([], 0, () => undefined, inTransaction, true);
  }
}

/** A command implementation: arguments in (args[0] is the command name), reply out; errors are thrown as ReplyError. */
export type Handler = (ctx: CommandContext, args: string[]) => Reply | BlockRequest;

/** One command (or subcommand) as data. */
export interface CommandSpec {
  /** Lower case, as COMMAND INFO prints it; subcommands give only their own part. */
  readonly name: string;
  /** Positive: exact argument count including the name; negative: at least that many. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly keys?: KeySpec;
  /** For commands whose keys the triple cannot locate (flag movablekeys): the keys of a full command line. */
  readonly keysOf?: (args: readonly string[]) => string[];
  /** Command group as COMMAND DOCS names it (string, generic, connection, server, ...). */
  readonly group: string;
  readonly since: string;
  readonly complexity: string;
  /** Our own one-line description. */
  readonly summary: string;
  /** Argument grammar after the name, e.g. `key value [NX|XX]`; drives COMMAND DOCS and redis-cli hints. */
  readonly syntax?: string;
  readonly subcommands?: readonly CommandSpec[];
  /**
   * For writes that would replay differently (relative times, random picks): what the append-only file records instead.
   * A command not flagged write that declares one is recorded too when it changed data (PFCOUNT caching its estimate).
   */
  readonly propagate?: Propagation;
  /** Recorded in the append-only file even when it changed nothing (FLUSHDB / FLUSHALL of empty databases, SWAPDB, as Redis's dirty++ in them). */
  readonly alwaysPropagated?: boolean;
  /** Absent only on container commands, which dispatch to a subcommand. */
  readonly run?: Handler;
}

/** Checks a declaration at definition time; keeps the definitions readable and typed. */
export function defineCommand(spec: CommandSpec): CommandSpec {
  if (!spec.run && !spec.subcommands) throw new Error(`command ${spec.name} has neither handler nor subcommands`);
  if (spec.subcommands && !spec.run && spec.arity > -2) throw new Error(`container command ${spec.name} must have arity -2`);
  return spec;
}

/** Options of a server container's subcommand; each defaults to the container's usual. */
export interface SubcommandOptions {
  syntax?: string;
  flags?: CommandFlag[];
  since?: string;
  complexity?: string;
}

/**
 * The maker of an administrative container's subcommands (ACL, LATENCY,
 * SLOWLOG, ...): admin flags, the server group, O(1) and the container's
 * `since` unless a subcommand says otherwise.
 */
export function adminSubcommands(since: string) {
  return (
    name: string,
    arity: number,
    summary: string,
    run: (ctx: CommandContext, args: string[]) => Reply,
    options: SubcommandOptions = {},
  ): CommandSpec =>
    defineCommand({
      name, arity, flags: options.flags ?? ['admin', 'noscript', 'loading', 'stale'], group: 'server', since: options.since ?? since,
      complexity: options.complexity ?? 'O(1)', summary, syntax: options.syntax, run,
    });
}

/** The client id of the append-only file's replay (no connection ever gets 0). */
export const REPLAY_CLIENT_ID = 0;
