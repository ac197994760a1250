/**
 * The acceptor and everything that spans connections: the client registry,
 * limits checked at accept time, statistics, the slow log, MONITOR, the
 * periodic cron, and shutdown.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ReplayClient } from './replay.js';
import { acceptWaiting } from './busy-accept.js';
import { Persistence } from '../persistence/persistence.js';
import type { Config } from '../config/config.js';
import { Keyspace } from '../store/keyspace.js';
import { advanceClock } from '../store/access.js';
import type { Database } from '../store/database.js';
import { NOTIFY } from '../store/notify.js';
import { BASELINE_BYTES, EXPIRE_ENTRY, MAP_ENTRY } from '../store/memory.js';
import type { EvictionPolicy } from '../store/eviction.js';
import { ACL_TABLE, commandStats, dispatch, findCommand, POSTPONED, renameCommand, type ExecutionFlags, type ExecutionObserver } from '../commands/table.js';
import { BlockRequest, isSubscribed, type ClientState, type CommandContext, type CommandSpec } from '../commands/types.js';
import { commandKeys } from '../commands/keyspecs.js';
import { loadingError, ReplyError, replyTooLarge, REPLY_TOO_LARGE } from '../errors.js';
import { BlockedClients } from './blocking.js';
import { ClientMemory } from './client-memory.js';
import { DEFAULT_PEAK_RESET_MS, type ReplyBufferSettings } from './reply-buffer.js';
import { WatchedKeys } from './watches.js';
import { PubSubRegistry } from './pubsub.js';
import { NO_REPLY, type PushReply, type Reply } from '../protocol/reply.js';
import { Client, isLoopback } from './client.js';
import { Logger, type LogLevel } from './logger.js';
import { crash } from './crash.js';
import { SlowLog } from './slowlog.js';
import { LatencyMonitor } from './latency.js';
import { LatencyHistogram } from '../util/latency-histogram.js';
import { redactedArgs } from './redaction.js';
import { RateSampler } from '../util/rate.js';
import { deepSanitizations } from '../persistence/rdb.js';
import { ClientPause } from './pause.js';
import { OomScoreAdj } from './oom.js';
import { Tracking } from './tracking.js';
import { BindError, listenOn, listenUnix, readingSocket } from './listen.js';
import { Handshakes, listenTls, reloadTls, tlsServerOptions } from './tls.js';
import type tls from 'node:tls';
import { unlinkSync } from 'node:fs';
import { Scripting } from '../scripting/scripting.js';
import { Functions } from '../scripting/functions.js';
import { Acl, type AclFile, type AclRefusal, type LogContext } from '../acl/acl.js';
import type { AclCommand, User } from '../acl/user.js';
import { configLineError } from '../config/config.js';
import { MigrateLink } from './migrate-link.js';
import { Replication } from '../replication/replication.js';
import { minimumWatchdogPeriod, Watchdog } from './watchdog.js';


/** How often the server cron runs, whatever `hz` is (the active expiry cycle follows hz). */
const CRON_MS = 100;

const PROTECTED_MODE_ERROR =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  'by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible ' +
  'from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Setup a an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/** used_memory's parts, in bytes, by Redis's names in INFO memory. */
export interface MemoryOverview {
  used: number;
  peak: number;
  /** mem_replication_backlog and mem_clients_slaves: the replication buffer, split at repl-backlog-size. */
  replicationBacklog: number;
  clientsReplicas: number;
  clientsNormal: number;
  aofBuffer: number;
  /** used_memory_overhead: everything but the data, from the start-up share to the keys' hash table entries. */
  overhead: number;
  dataset: number;
  notCountedForEviction: number;
}

/** Which clients CLIENT KILL closes: those matching every field given. */
export interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  user?: string;
  type?: string;
  skipMe: boolean;
}

export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** What the master link read and what replica links were sent, counted apart as Redis counts them. */
  netReplInputBytes: number;
  netReplOutputBytes: number;
  /** Reads from sockets and writes to them (INFO total_reads_processed, total_writes_processed). */
  readsProcessed: number;
  writesProcessed: number;
  /** Errors replied, by error code (the first word), for INFO errorstats. */
  errors: Map<string, number>;
  totalErrorReplies: number;
  /** Values UNLINK, FLUSH* ASYNC and the lazyfree-lazy-user-* settings hand to lazy freeing, by Redis's rule (INFO lazyfreed_objects). */
  lazyfreedObjects: number;
  /** Errors a replica's commands from its master got (INFO unexpected_error_replies). */
  unexpectedErrorReplies: number;
  /** Reply buffers the cron resized (INFO reply_buffer_shrinks, reply_buffer_expands). */
  replyBufferShrinks: number;
  replyBufferExpands: number;
}

export class Server implements ExecutionObserver {
  readonly keyspace: Keyspace;
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  readonly slowlog: SlowLog;
  readonly latency = new LatencyMonitor(() => this.config.values.latencyMonitorThreshold);
  readonly blocked = new BlockedClients((client, args, work) => {
    const previous = this.executing;
    this.executing = client;
    const changes = this.keyspace.dirty;
    const started = performance.now();
    let served: Reply | undefined;
    try {
      served = work();
    } finally {
      this.executing = previous;
    }
    if (!this.blocked.isBlocked(client)) {
      const servedUs = Math.round((performance.now() - started) * 1000);
      this.latency.addIfNeeded('command-unblocking', Math.floor(servedUs / 1000));
      this.slowlog.record(client, args, client.waitingCallUs + servedUs);
      // Its call was left out of the histogram while it waited: the work of serving it counts instead.
      const stats = commandStats.get(client.lastCommand);
      if (stats && this.latencyTracking) (stats.histogram ??= new LatencyHistogram()).recordUs(servedUs);
    }
    // Served now: the append-only file gets what the command's own rule records (BLPOP's LPOP, XREADGROUP's claims), which replays
    // without waiting. A retry that found its key expired changed data too (the deletion, propagated already), yet served nothing.
    if (served !== undefined && !(served instanceof ReplyError) && this.keyspace.dirty !== changes) {
      this.persistence.propagate(client, findCommand(args[0]), args, served);
    }
  });
  readonly watches = new WatchedKeys();
  readonly pubsub = new PubSubRegistry();
  readonly tracking: Tracking = new Tracking({
    clientById: (id) => this.clients.get(id),
    currentClient: () => this.executing,
    deliver: (target, push) => this.push(target as Client, push, target === this.executing),
    maxKeys: () => this.config.getNumber('tracking-table-max-keys'),
  });
  readonly pause = new ClientPause((paused) => {
    this.clientsPaused = paused;
    this.replicaStateChanged();
    // After the command that ended the pause, as the clients it held run after it.
    if (!paused) setImmediate(() => this.replication.master?.resumeStream());
  });
  readonly logger: Logger;
  /** The Lua state EVAL scripts and function libraries run in. */
  readonly scripting: Scripting;
  /** Function libraries (FUNCTION LOAD, FCALL), in their own Lua state. */
  readonly functions: Functions;
  /** MIGRATE's connections to other instances. */
  readonly migrations = new MigrateLink();
  readonly startTime = Date.now();
  readonly stats: ServerStats = newStats();
  /** RDB snapshots and the append-only file. */
  readonly persistence: Persistence;
  /** Our replicas, and our master when we are a replica. */
  readonly replication: Replication;
  private readonly oom: OomScoreAdj;
  /** CLIENT PAUSE holds expiry, as being a replica does. */
  private clientsPaused = false;
  /** ACL users, the permission check and the ACL log. */
  readonly acl: Acl;
  /** The TCP port listened on; 0 when there is no plain TCP listener. */
  port = 0;
  private nextClientId = 1;
  private listeners: net.Server[] = [];
  private tlsListeners: tls.Server[] = [];
  private readonly handshakes = new Handshakes();
  private unixListener: net.Server | undefined;
  private cron: NodeJS.Timeout | undefined;
  private stopping = false;
  private cronPaused = false;
  private readonly watchdog: Watchdog;
  private peakMemory = 0;
  /** INFO's instantaneous_* metrics: commands, and bytes in and out, sampled by the cron. */
  readonly rates = {
    ops: new RateSampler(),
    input: new RateSampler(),
    output: new RateSampler(),
    replInput: new RateSampler(),
    replOutput: new RateSampler(),
  };
  /** The client whose command is running, if any: its own keyspace events go out ahead of its reply. */
  private executing: Client | undefined = undefined;
  /** Clients with output to write at the end of the current task (see flushSoon). */
  private readonly pendingFlush = new Set<Client>();
  /** A shutdown waiting for replicas: until when, as it was asked, and the SHUTDOWN clients blocked on it. */
  private pendingShutdown: { deadline: number; options: ShutdownOptions; waiting: Client[]; saving?: boolean } | undefined;
  /** Clients whose output is over their soft limit: the cron closes those that stay over it too long. */
  readonly overSoftLimit = new Set<Client>();
  readonly clientMemory: ClientMemory;

  constructor(readonly config: Config) {
    this.logger = new Logger(config);
    this.acl = new Acl(ACL_TABLE, {
      pubsubAllChannels: () => config.getNumber('acl-pubsub-default') !== 0,
      logMaxLength: () => config.getNumber('acllog-max-len'),
      warn: (message) => this.log('warning', message),
    });
    this.applyFileDirectives();
    // requirepass is the default user's password, as in Redis 6+.
    this.acl.setDefaultPassword(config.values.requirepass);
    config.onChange('requirepass', (password) => this.acl.setDefaultPassword(password));
    this.scripting = new Scripting({
      log: (level, message) => this.log(level, message),
      busyThreshold: () => this.config.values.busyReplyThreshold,
      serveOthers: (caller) => {
        // TLS connections wait: their bytes need the event loop's TLS layer, which a busy script holds.
        for (const listener of this.listeners) acceptWaiting(listener, (socket) => this.accept(socket));
        if (this.unixListener) acceptWaiting(this.unixListener, (socket) => this.accept(socket, false, this.config.get('unixsocket') ?? undefined));
        for (const client of this.clients.values()) if (client !== caller) client.readWhileBusy();
        // Replies of the turn the script interrupted go out too, as Redis writes while it serves events then.
        this.flushPending(caller);
      },
      checkpoint: () => this.persistence.checkpoint(),
    });
    this.functions = new Functions(this.scripting);
    this.keyspace = new Keyspace(config.getNumber('databases'), {
      get lfuLogFactor() {
        return config.getNumber('lfu-log-factor');
      },
      get lfuDecayTime() {
        return config.getNumber('lfu-decay-time');
      },
    });
    const applyPolicy = (): void => {
      const policy = config.values.maxmemoryPolicy;
      this.keyspace.setAccessMode(policy.endsWith('-lru') ? 'lru' : policy.endsWith('-lfu') ? 'lfu' : 'none');
    };
    applyPolicy();
    config.onChange('maxmemory-policy', applyPolicy);
    const server = this;
    this.clientMemory = new ClientMemory({
      clients: this.clients,
      log: (level, message) => this.log(level, message),
      get maxmemory() {
        return server.config.values.maxmemory;
      },
    });
    const applyClientLimit = (): void => this.clientMemory.configure(config.getNumber('maxmemory-clients'));
    applyClientLimit();
    config.onChange('maxmemory-clients', applyClientLimit);
    // A lower limit applies at once, as in Redis, not only before the next command.
    config.onChange('maxmemory', () => {
      const maxmemory = config.values.maxmemory;
      const used = this.usedMemory;
      if (maxmemory > 0 && maxmemory < used) {
        this.log('warning', `WARNING: the new maxmemory value set via CONFIG SET (${maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`);
      }
      // As Redis's startEvictionTimeProc: eviction starts after the command, so a CONFIG SET inside
      // MULTI leaves the transaction's keys alone until EXEC is over.
      setImmediate(() => this.outOfMemory());
      if (config.getNumber('maxmemory-clients') < 0) applyClientLimit();
    });
    this.slowlog = new SlowLog(config, this.credentialsValid);
    this.keyspace.onKeyModified((db, key) => {
      this.watches.touch(db, key);
      this.blocked.keyModified(db, key);
      if (this.tracking.active) this.tracking.keyChanged(key);
    });
    this.keyspace.onFlush(() => this.tracking.flushed(this.clients.values()));
    this.replication = new Replication(this);
    this.persistence = new Persistence({
      follower: this.replication,
      keyspace: this.keyspace,
      config,
      log: (level, message) => this.log(level, message),
      functions: this.functions,
      replayer: () => {
        const client = new ReplayClient(this.keyspace.dbs[0], this);
        return (args) => void dispatch(client, args, this);
      },
      isCommand: (name) => findCommand(name) !== undefined,
      inExec: () => this.executing?.executingTransaction === true,
      childStarted: (pid) => this.oom.applyToChild(pid),
      usedMemory: () => this.usedMemory,
    });
    const oom = new OomScoreAdj(config, (message) => this.log('warning', message), () => this.replication.master !== undefined);
    this.oom = oom;
    try { oom.apply(); } catch { /* logged; Redis starts anyway */ }
    config.onChange('oom-score-adj', () => oom.apply());
    config.onChange('oom-score-adj-values', () => oom.apply());
    const applyNotifyFlags = (): void => {
      this.keyspace.notifyFlags = config.values.notifyKeyspaceEvents;
    };
    applyNotifyFlags();
    config.onChange('notify-keyspace-events', applyNotifyFlags);
    this.watchdog = new Watchdog(config.values.logfile);
    config.onChange('watchdog-period', () => this.applyWatchdogPeriod());
    this.keyspace.eventListener = (db, event, key) => this.publishKeyEvent(db, event, key);
    // Redis reads its millisecond clock around a cycle, so a cycle counts its whole milliseconds.
    this.keyspace.cycleListener = (event, ms) => this.latency.addIfNeeded(event, Math.floor(ms));
    this.keyspace.onDatabaseReplaced((db, other) => {
      this.watches.touchAll(db, other);
      this.blocked.databaseReplaced(db);
    });
  }

  log(level: LogLevel, message: string): void {
    this.logger.log(level, message);
  }

  private applyWatchdogPeriod(): void {
    const period = this.config.getNumber('watchdog-period');
    const minimum = minimumWatchdogPeriod(this.config.values.hz);
    if (period !== 0 && period < minimum) {
      // CONFIG GET shows the period in force, as Redis's; setting it comes back here.
      this.config.set('watchdog-period', String(minimum), { startup: true });
      return;
    }
    // Our cron keeps its own pace (hz sets the expiry cycle's): a period shorter than two of its runs would expire between them.
    this.watchdog.setPeriod(period === 0 ? 0 : Math.max(period, 2 * CRON_MS));
  }

  /** Protected mode turns outside clients away while the default user needs no password. */
  passwordRequired(): boolean {
    return !this.acl.defaultUser.nopass;
  }

  /** rename-command and the syntax of `user` lines, checked as Redis does while it reads the config file. */
  private applyFileDirectives(): void {
    const config = this.config;
    for (const { args, lineNumber, line } of config.renameCommands) {
      const error = renameCommand(args[0], args[1]);
      if (error !== undefined) throw configLineError(error, lineNumber, line);
    }
    const invalid = this.acl.validateConfigUsers(config.users.map((u) => u.args.slice(1)));
    if (invalid !== undefined) {
      const { lineNumber, line } = config.users[invalid.index];
      throw configLineError(invalid.reason, lineNumber, line);
    }
  }

  /**
   * The users of the config file's `user` lines or of aclfile, once the
   * config is read (Redis's ACLLoadUsersAtStartup); returns the lines to
   * log before exiting when they cannot be loaded.
   */
  loadUsersAtStartup(): string[] | undefined {
    const aclfile = this.aclFile();
    const users = this.config.users.map((u) => u.args.slice(1));
    if (aclfile !== undefined && users.length > 0) {
      return [
        'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
      ];
    }
    const error = this.acl.loadConfigUsers(users);
    if (error !== undefined) return [error, 'Critical error while loading ACLs. Exiting.'];
    if (aclfile !== undefined) {
      const loaded = this.acl.loadFile(aclfile);
      if (typeof loaded === 'string') return [`Aborting Redis startup because of ACL errors: ${loaded}`];
    }
    return undefined;
  }

  /** The `user` lines CONFIG REWRITE writes: every user, or none when an aclfile holds them. */
  configUserLines(): string[] {
    return this.aclFile() === undefined ? this.acl.userLines() : [];
  }

  /** The aclfile, if set; a relative path is taken from `dir`, where Redis has chdir'ed. */
  aclFile(): AclFile | undefined {
    const name = this.config.get('aclfile') ?? '';
    return name === '' ? undefined : { name, path: path.resolve(this.config.values.dir, name) };
  }

  /** The NOPERM reply, and an ACL LOG entry, when the client's user may not run this command line. */
  aclRefusal(ctx: CommandContext, command: AclCommand, args: string[]): ReplyError | undefined {
    const client = ctx.client;
    const refusal = this.acl.check(client.user, command, args);
    if (refusal === undefined) return undefined;
    this.logAclRefusal(client, refusal, client.multi || client.executingTransaction ? 'multi' : 'toplevel');
    // EXEC checks its commands again: the rules may have changed since they were queued.
    if (client.executingTransaction) {
      const reason = {
        command: 'no permission to execute the command or subcommand',
        key: 'no permission to touch the specified keys',
        channel: 'no permission to access one of the channels used as arguments',
      }[refusal.reason];
      return new ReplyError(
        `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`,
      );
    }
    if (refusal.reason === 'command') return new ReplyError(`NOPERM this user has no permissions to run the '${command.fullName}' command`);
    return new ReplyError(`NOPERM this user has no permissions to access one of the ${refusal.reason === 'key' ? 'keys' : 'channels'} used as arguments`);
  }

  /** An ACL LOG entry for a refusal; a script's refusals show its caller. */
  logAclRefusal(client: ClientState, refusal: AclRefusal | { reason: 'auth'; object: string }, context: LogContext, username = client.user.name): void {
    this.acl.addLogEntry({ reason: refusal.reason, context, object: refusal.object, username, clientInfo: client.describe() });
  }

  /** Closes the connections authenticated as `user` (ACL DELUSER, ACL LOAD); the one running the command closes after its reply. */
  disconnectUser(user: User, self: ClientState): void {
    for (const client of this.clients.values()) {
      if (client.user !== user) continue;
      // Until it is gone it must not run as the deleted user.
      client.user = this.acl.defaultUser;
      client.authenticated = false;
      if (client === self) client.closeAfterReply();
      else client.kill();
    }
  }

  /**
   * Opens every listener the configuration names: TCP on `port` and TLS on
   * `tls-port` at each `bind` address (0 turns either off, as in Redis), and
   * the `unixsocket`.
   */
  async listen(): Promise<void> {
    const { port } = this.config.values;
    const tlsPort = this.config.getNumber('tls-port');
    const unixPath = this.config.get('unixsocket');
    if (port === 0 && tlsPort === 0 && !unixPath) throw new Error('Configured to not listen anywhere, exiting.');
    if (port !== 0) this.listeners = await this.listenTcp(port);
    this.port = port;
    if (tlsPort !== 0) {
      this.tlsListeners = await this.listenTls(tlsPort);
      const reload = (): void => {
        try {
          reloadTls(this.tlsListeners, tlsServerOptions(this.config));
        } catch (error) {
          this.log('warning', (error as Error).message);
          throw new Error('Unable to update TLS configuration. Check server logs.');
        }
      };
      for (const name of TLS_RELOADED) this.config.onChange(name, reload);
    }
    if (unixPath) {
      this.unixListener = await listenUnix(unixPath, this.config.getNumber('unixsocketperm'), (socket) => this.accept(socket, false, unixPath)).catch((error: Error) => {
        throw new Error(`Failed opening Unix socket: ${error.message}`);
      });
    }
    this.keyspace.startExpiryCycle(() => this.config.values.hz);
    this.cron = setInterval(() => this.serverCron(), CRON_MS);
    this.applyWatchdogPeriod();
    this.cron.unref();
    const master = this.config.get('replicaof') ?? '';
    if (master !== '') {
      const [host, port] = master.split(' ');
      this.replication.follow(host, Number(port), false);
    }
  }

  /** Where the server listens, for the start-up log line. */
  describeListeners(): string {
    const places: string[] = [];
    if (this.listeners.length > 0) places.push('tcp');
    if (this.tlsListeners.length > 0) places.push('tls');
    const unixPath = this.config.get('unixsocket');
    if (unixPath) places.push(`at ${unixPath}`);
    return places.join(' ');
  }

  /**
   * Listens on `port` at every bind address (a `-` marks one that may be
   * missing) with `open`; on failure nothing stays bound.
   */
  private async bindAll<L extends net.Server>(port: number, open: (host: string, port: number) => Promise<L>, kind: 'TCP' | 'TLS' = 'TCP'): Promise<L[]> {
    const bound: L[] = [];
    try {
      for (const entry of this.config.values.bind) {
        const optional = entry.startsWith('-');
        const host = normalizeBindAddress(optional ? entry.slice(1) : entry);
        try {
          bound.push(await open(host, port));
        } catch (error) {
          if (optional) continue;
          throw new BindError(host, port, error as NodeJS.ErrnoException, kind);
        }
      }
      if (bound.length === 0) throw new Error('Failed listening on any address');
    } catch (error) {
      for (const listener of bound) listener.close();
      throw error;
    }
    return bound;
  }

  private listenTcp(port: number): Promise<net.Server[]> {
    return this.bindAll(port, (host, p) => listenOn(host, p, (socket) => this.accept(socket)));
  }

  private listenTls(port: number): Promise<tls.Server[]> {
    const options = tlsServerOptions(this.config);
    const admit = (): boolean => {
      if (this.clients.size + this.handshakes.size < this.config.values.maxclients) return true;
      this.stats.rejectedConnections++;
      return false;
    };
    return this.bindAll(port, (host, p) => listenTls(host, p, options, this.handshakes, admit, (socket) => this.accept(socket, true)), 'TLS');
  }

  /**
   * CONFIG SET bind: the TCP and TLS listeners move to the addresses the
   * configuration now names (TCP on `port`). The old ones go first, as the new addresses may
   * share the port with them (Redis's changeBindAddr); if any new one cannot
   * be bound, nothing stays bound and the error is thrown.
   */
  async changeBind(port: number): Promise<void> {
    this.closeListeners();
    this.port = port;
    const tlsPort = this.config.getNumber('tls-port');
    try {
      if (port !== 0) this.listeners = await this.listenTcp(port);
      if (tlsPort !== 0) this.tlsListeners = await this.listenTls(tlsPort);
    } catch (error) {
      this.log('warning', error instanceof Error ? error.message : String(error));
      this.log('warning', 'Failed to bind');
      this.closeListeners();
      throw error;
    }
  }

  private closeListeners(): void {
    for (const listener of [...this.listeners, ...this.tlsListeners]) listener.close();
    this.listeners = [];
    this.tlsListeners = [];
  }

  /** CONFIG SET port: listens on the new port first, and only then lets go of the old one. */
  async changePort(port: number): Promise<void> {
    const previous = this.listeners;
    this.listeners = port === 0 ? [] : await this.listenTcp(port);
    this.port = port;
    for (const listener of previous) listener.close();
    if (port !== 0) this.log('notice', `Ready to accept connections on port ${this.port}`);
  }

  /** Ends a client's wait for the reply of a deferred command (BlockRequest.deferred). */
  /**
   * Becoming a replica: what blocked clients wait for cannot happen here
   * any more, so they get an error and are closed, as in Redis (a client
   * held by a pause is not blocked: its command runs, or is refused, later).
   */
  unblockAllForRoleChange(): void {
    const error = new ReplyError('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');
    for (const client of this.blocked.releaseAll(error)) {
      client.closeAfterReply();
      client.flush();
    }
  }

  finishWaiting(client: ClientState, reply: Reply): void {
    this.blocked.finish(client as Client, reply);
  }

  /** A new connection: plain TCP and unix sockets arrive paused, TLS ones after their handshake. */
  private accept(accepted: net.Socket, secure = false, unixPath?: string): void {
    if (this.stopping) {
      accepted.destroy();
      return;
    }
    // Refusals go out on the accepted socket, which never reads.
    if (this.clients.size >= this.config.values.maxclients) {
      this.stats.rejectedConnections++;
      accepted.end('-ERR max number of clients reached\r\n');
      return;
    }
    // Redis has created the client, and used up its id, before protected mode turns it away.
    const id = this.nextClientId++;
    if (this.config.values.protectedMode && !this.passwordRequired() && !isLoopback(accepted)) {
      this.stats.rejectedConnections++;
      accepted.end(PROTECTED_MODE_ERROR);
      return;
    }
    // As Redis's stat_numconnections: refused connections are not counted.
    this.stats.connectionsReceived++;
    let client: Client | undefined;
    // Reads start on a later turn of the event loop, when `client` is set. The
    // TLS layer owns its socket's reads, so those come as events instead.
    const socket = secure ? accepted : readingSocket(accepted, (chunk) => client!.received(chunk));
    if (secure) socket.on('data', (chunk: Buffer) => client!.received(chunk));
    const keepAliveSec = this.config.getNumber('tcp-keepalive');
    if (keepAliveSec > 0) socket.setKeepAlive(true, keepAliveSec * 1000);
    client = new Client(id, this, socket, unixPath, !secure);
    this.clients.set(id, client);
    client.measureMemory();
  }

  /** Every connected client, as handlers may see them. */
  clientStates(): Iterable<ClientState> {
    return this.clients.values();
  }

  /** Drops server-side per-client state (RESET). */
  resetClient(client: ClientState): void {
    const c = client as Client;
    c.monitoring = false;
    this.monitors.delete(c);
    c.multi = undefined;
    this.watches.unwatchAll(c);
    this.pubsub.dropClient(c);
    this.tracking.disable(c);
  }

  /** CLIENT KILL: closes the clients matching every given filter; returns how many. */
  killClients(self: ClientState, filter: KillFilter): number {
    let killed = 0;
    for (const client of this.clients.values()) {
      if (filter.skipMe && client === self) continue;
      if (filter.id !== undefined && client.id !== filter.id) continue;
      if (filter.addr !== undefined && client.address !== filter.addr) continue;
      if (filter.laddr !== undefined && client.localAddress !== filter.laddr) continue;
      if (filter.user !== undefined && client.user.name !== filter.user) continue;
      if (filter.type !== undefined && (filter.type === 'slave' ? 'replica' : filter.type) !== this.clientType(client)) continue;
      killed++;
      if (client === self) client.closeAfterReply();
      else client.kill();
    }
    return killed;
  }

  /** Delivers a reply outside the request/response flow (RESP3 push). */
  sendOutOfBand(client: ClientState, reply: Reply): void {
    (client as Client).send(reply);
  }

  /**
   * PUBLISH / SPUBLISH: each receiver gets the message written to its socket
   * at once, so messages leave in publish order; returns the receiver count.
   */
  /** Publishes a keyspace event on the keyspace and/or keyevent channel, as notify-keyspace-events asks. */
  private publishKeyEvent(db: Database, event: string, key: string): void {
    const flags = this.keyspace.notifyFlags;
    if (flags & NOTIFY.KEYSPACE) this.publish(this.executing, `__keyspace@${db.id}__:${key}`, event, false);
    if (flags & NOTIFY.KEYEVENT) this.publish(this.executing, `__keyevent@${db.id}__:${event}`, key, false);
  }

  publish(from: ClientState | undefined, channel: string, message: string, shard: boolean): number {
    // The publisher's own copy goes out with its reply, ahead of it.
    return this.pubsub.publish(channel, message, shard, (target: ClientState, frame: PushReply) => this.push(target as Client, frame, target === from));
  }

  /** Queues push data for a client: written at the end of this turn, or with the reply it joins. */
  private push(client: Client, frame: PushReply, joinsReply: boolean): void {
    client.send(frame);
    // With maxmemory-clients, measured as it is queued, as Redis measures it: a flood evicts its
    // receiver before piling up. Otherwise the flush measures it, at the end of this turn.
    if (this.clientMemory.limit > 0) client.measureMemory();
    if (!joinsReply) this.flushSoon(client);
  }

  /**
   * Writes a client's pending output after this turn of the event loop has
   * read every client that had input (as Redis writes before it sleeps): the
   * messages of all the commands of one turn reach a subscriber in one write.
   */
  flushSoon(client: Client): void {
    if (this.pendingFlush.size === 0) setImmediate(() => this.flushPending());
    this.pendingFlush.add(client);
  }

  /** The caller of a busy script keeps its output, and its place in the queue, until the script ends. */
  private flushPending(except?: CommandContext): void {
    for (const client of this.pendingFlush) {
      if (client === except) continue;
      client.flush();
      this.pendingFlush.delete(client);
    }
  }

  pauseCron(paused: boolean): void {
    this.cronPaused = paused;
  }

  /** A shutdown signal that arrived while DEBUG PAUSE-CRON held the cron: Redis acts on signals from its cron. */
  private signalledShutdown: ShutdownOptions | undefined;

  /** SIGTERM and SIGINT: the shutdown starts now, or with the cron once DEBUG PAUSE-CRON lets go. */
  shutdownOnSignal(options: ShutdownOptions): void {
    if (this.cronPaused) this.signalledShutdown = options;
    else this.requestShutdown(options);
  }

  /**
   * SHUTDOWN, SIGTERM and SIGINT, as Redis 7.0: with replicas attached (and
   * no NOW), writes pause and the shutdown waits up to shutdown-timeout for
   * them to acknowledge the whole stream (a SHUTDOWN client waits blocked);
   * then it saves and exits. Returns what the client gets now: a refusal
   * when the save fails, else no reply (the connection closes at the exit)
   * or a wait. During a timed-out script (SHUTDOWN NOSAVE) it exits at once,
   * since the script holds the event loop.
   */
  requestShutdown(options: ShutdownOptions, client?: ClientState): Reply | BlockRequest {
    const pending = this.pendingShutdown;
    if (pending !== undefined) {
      // One shutdown at a time: a second SHUTDOWN waits for the first.
      if (client === undefined) return NO_REPLY;
      pending.waiting.push(client as Client);
      return BlockRequest.deferred(NO_REPLY);
    }
    this.log('warning', 'User requested shutdown...');
    if (this.scripting.running) {
      this.onShutdownRequested(true);
      return NO_REPLY;
    }
    const timeoutMs = this.config.getNumber('shutdown-timeout') * 1000;
    if (!options.now && timeoutMs > 0 && !this.replicasInSync()) {
      this.pendingShutdown = { deadline: Date.now() + timeoutMs, options, waiting: client === undefined ? [] : [client as Client] };
      this.replication.requestAcks();
      // Past the deadline too: the shutdown ends it, by exiting or by cancelling.
      this.pause.hold('shutdown', 'write');
      this.log('notice', 'Waiting for replicas before shutting down.');
      return client === undefined ? NO_REPLY : BlockRequest.deferred(NO_REPLY);
    }
    const outcome = this.finishShutdown(options);
    if (outcome !== 'saving') return outcome ? NO_REPLY : shutdownFailed();
    if (client !== undefined) this.pendingShutdown!.waiting.push(client as Client);
    return client === undefined ? NO_REPLY : BlockRequest.deferred(NO_REPLY);
  }

  /** The final save runs: a second SIGINT exits at once (Redis's "You insist"). */
  get savingBeforeExit(): boolean {
    return this.pendingShutdown?.saving === true;
  }

  /** SHUTDOWN ABORT: false when no shutdown is waiting. */
  abortShutdown(): boolean {
    if (this.signalledShutdown !== undefined) this.signalledShutdown = undefined;
    else if (this.pendingShutdown === undefined) return false;
    else this.cancelShutdown();
    this.log('notice', 'Shutdown manually aborted.');
    return true;
  }

  /** INFO shutdown_in_milliseconds: how long a waiting shutdown still waits for replicas (undefined: none waits). */
  get shutdownInMs(): number | undefined {
    return this.pendingShutdown === undefined || this.pendingShutdown.saving ? undefined : this.pendingShutdown.deadline - Date.now();
  }

  /** Every replica has acknowledged the whole stream (or there are none). */
  private replicasInSync(): boolean {
    const offset = this.replication.offset;
    return this.replication.replicas.every((link) => link.ackOffset === offset);
  }

  /** Checked by the cron and on every acknowledgement: the wait for replicas is over. */
  shutdownProgress(): void {
    const pending = this.pendingShutdown;
    if (pending === undefined || pending.saving || (Date.now() < pending.deadline && !this.replicasInSync())) return;
    if (this.finishShutdown(pending.options) === false) this.cancelShutdown();
  }

  private cancelShutdown(): void {
    const pending = this.pendingShutdown!;
    if (pending.saving) this.persistence.cancelBackgroundSave();
    this.pendingShutdown = undefined;
    this.pause.unpause('shutdown');
    for (const client of pending.waiting) this.finishWaiting(client, shutdownFailed());
  }

  /**
   * The shutdown proper, once replicas are waited for: reports how they
   * kept up, saves as asked, then exits (after the current command). False,
   * with the reason logged, when it cannot (unless FORCE); 'saving' while the
   * final save runs, with writes paused, after which it exits or cancels.
   */
  private finishShutdown(options: ShutdownOptions): boolean | 'saving' {
    this.replication.sendToReplicas();
    const replicas = this.replication.replicas;
    if (replicas.length > 0) {
      const offset = this.replication.offset;
      let inSync = 0;
      for (const link of replicas) {
        if (link.ackOffset === offset) {
          inSync++;
          continue;
        }
        const lag = Math.floor((Date.now() - link.ackTime) / 1000);
        this.log('warning', `Lagging replica ${link.client.address} reported offset ${link.ackOffset} behind master, lag=${lag}, state=${link.state}.`);
      }
      this.log('notice', `${inSync} of ${replicas.length} replicas are in sync when shutting down.`);
    }
    const persistence = this.persistence;
    if (persistence.writingInitialAof) {
      if (!options.force) return shutdownError(this, "Writing initial AOF, can't exit.");
      this.log('warning', 'Writing initial AOF. Exit anyway.');
    }
    persistence.killBackgroundChild();
    // As Redis: a server still loading its data has nothing worth saving (it would replace the file with part of it).
    if (persistence.loading === undefined && (options.save ?? persistence.savePointsConfigured)) {
      this.log('notice', 'Saving the final RDB snapshot before exiting.');
      const pending = this.pendingShutdown ?? { deadline: Infinity, options, waiting: [] };
      pending.saving = true;
      this.pendingShutdown = pending;
      // Nothing written after this moment could be in the file, so nothing more is acknowledged.
      this.pause.hold('shutdown', 'write');
      persistence.saveBeforeExit((error) => {
        if (this.pendingShutdown !== pending) return;
        if (error === undefined) {
          setImmediate(() => this.onShutdownRequested(false));
        } else if (options.force) {
          this.log('warning', 'Error trying to save the DB. Exit anyway.');
          setImmediate(() => this.onShutdownRequested(false));
        } else {
          shutdownError(this, "Error trying to save the DB, can't exit.");
          pending.saving = false;
          this.cancelShutdown();
        }
      });
      return 'saving';
    }
    setImmediate(() => this.onShutdownRequested(false));
    return true;
  }

  /** Dies by `signal` after the crash report (DEBUG SEGFAULT, SIGABRT); `argv`: the command that was running. */
  crash(signal: NodeJS.Signals, stack: string, argv?: readonly string[]): never {
    const client = this.executing;
    return crash(
      { logger: this.logger, crashLogEnabled: this.config.getBool('crash-log-enabled'), currentClient: client && argv && { describe: client.describe(), argv } },
      signal,
      stack,
    );
  }

  /** Set by main: how to exit once SHUTDOWN or a signal decided to; `now`: exit before returning. */
  onShutdownRequested: (now: boolean) => void = () => void this.shutdown();

  clientClosed(client: Client): void {
    this.clientMemory.forget(client);
    this.replication.clientClosed(client);
    this.blocked.drop(client);
    this.pause.drop(client);
    this.tracking.disable(client);
    this.watches.unwatchAll(client);
    this.pubsub.dropClient(client);
    this.clients.delete(client.id);
    this.monitors.delete(client);
  }

  /** Runs one command for a client; undefined when the client now waits (blocked or paused). */
  execute(client: Client, args: string[]): Reply | undefined {
    this.executing = client;
    this.keyspace.touchSuppressed = client.noTouch;
    const reply = dispatch(client, args, this);
    this.keyspace.touchSuppressed = false;
    this.executing = undefined;
    const tracking = client.tracking;
    if (tracking) {
      // CLIENT CACHING applies to the one command after it (or to a whole transaction).
      if (!client.multi && !client.lastCommand.startsWith('client|')) tracking.caching = false;
    }
    if (this.tracking.totalKeys > 0) this.tracking.enforceLimit();
    if (reply === POSTPONED) {
      client.postponed = args;
      this.pause.postpone(client);
      return undefined;
    }
    // While a timed-out script runs, others' commands are served in between its steps; a waiter served
    // then would see the script's writes half done, so ready keys wait for the script's own command.
    if (this.blocked.count > 0 && !this.scripting.running) this.blocked.serveReady();
    if (reply instanceof BlockRequest) {
      this.blocked.block(client, reply, args);
      return undefined;
    }
    if (reply instanceof ReplyError) {
      this.countError(reply);
      // Such a reply would pass any output limit: a limited client is closed, as Redis closes it midway.
      if (reply.message === REPLY_TOO_LARGE) client.overOutputLimit(Infinity);
    }
    return reply;
  }

  /** WATCH of `key` in the client's current database. */
  watch(client: ClientState, key: string): void {
    this.watches.watch(client as Client, client.db, key);
  }

  unwatchAll(client: ClientState): void {
    this.watches.unwatchAll(client as Client);
  }

  watchedKeyExpired(client: ClientState): boolean {
    return this.watches.anyExpiredSinceWatch(client as Client);
  }

  /** CLIENT UNBLOCK: ends a client's wait with its timeout reply or an error; false when it was not waiting. */
  unblockClient(id: number, withError: boolean): boolean {
    const client = this.clients.get(id);
    if (!client) return false;
    return this.blocked.cancel(client, withError ? new ReplyError('UNBLOCKED client unblocked via CLIENT UNBLOCK') : undefined);
  }

  /** INFO errorstats: errors by their code, the first word of the message. */
  countError(error: ReplyError): void {
    if (error.counted) return;
    const space = error.message.indexOf(' ');
    const code = space < 0 ? error.message : error.message.slice(0, space);
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
    this.stats.totalErrorReplies++;
  }

  executed(ctx: CommandContext, spec: CommandSpec, flags: ExecutionFlags, args: string[], durationUs: number, waits: boolean): void {
    const client = ctx.client as Client;
    if (flags.tracksKeys) {
      if (!client.isScript) {
        if (client.tracking) this.tracking.remember(client, commandKeys(spec, flags.name, args).map((ref) => ref.key));
      } else {
        // As Redis: a read a script makes remembers, for the client that ran it, the keys that client's
        // EVAL or FCALL declared (not the keys the read itself named).
        const caller = this.scripting.caller()?.client as Client | undefined;
        const command = caller?.tracking ? this.scripting.runningScript()?.command : undefined;
        const callerSpec = command === undefined ? undefined : findCommand(command[0]);
        if (callerSpec !== undefined) this.tracking.remember(caller!, commandKeys(callerSpec, callerSpec.name, command!).map((ref) => ref.key));
      }
    }
    // Counted here, so commands run by EXEC count and refused or queued ones do not, as in Redis.
    this.stats.commandsProcessed++;
    if (flags.slowlog) {
      this.latency.addIfNeeded(flags.fast ? 'fast-command' : 'command', Math.floor(durationUs / 1000));
      // A wait is logged once served, for the call and the serving together; one that times out or is unblocked never is, as in Redis.
      if (waits) client.waitingCallUs = durationUs;
      else this.slowlog.record(client, args, durationUs);
    }
    if (flags.monitor && this.monitors.size > 0) this.feedMonitors(client, args);
  }

  internalError(error: unknown, command: string): ReplyError {
    const text = error instanceof Error ? error.message : String(error);
    this.log('warning', `Unexpected error in '${command}': ${error instanceof Error ? error.stack : text}`);
    // V8 refuses strings beyond ~512 MB: a reply that large cannot be built.
    if (error instanceof RangeError) return replyTooLarge();
    return new ReplyError(`ERR internal error in '${command}': ${text.replace(/[\r\n]/g, ' ')}`);
  }

  get latencyTracking(): boolean {
    return this.config.values.latencyTracking;
  }

  protectedAllowed(ctx: CommandContext, name: string): boolean {
    const setting = name === 'debug' ? this.config.values.enableDebugCommand : this.config.values.enableModuleCommand;
    return setting === 'yes' || (setting === 'local' && (ctx.client as Client).isLocal);
  }

  /**
   * INFO used_memory: the keyspace's estimate and, as Redis's allocator
   * counts them too, the clients' buffers, the replication buffer and the
   * AOF buffer. Every part is a running total: nothing here walks clients.
   */
  get usedMemory(): number {
    return this.keyspace.usedMemory + this.memoryBesideKeyspace;
  }

  /** What used_memory counts beyond the keys: the clients' buffers, the replication buffer, the AOF buffer. */
  private get memoryBesideKeyspace(): number {
    return this.clientMemory.total + this.replication.bufferBytes() + this.persistence.aofBufferBytes;
  }

  /** INFO mem_not_counted_for_evict: the replicas' output and the AOF buffer, which maxmemory leaves out as Redis does. */
  private get notCountedForEviction(): number {
    return this.replication.bufferPastBacklog() + this.persistence.aofBufferBytes;
  }

  /** used_memory and its parts, for INFO memory and MEMORY STATS (Redis's getMemoryOverheadData). */
  memoryOverview(): MemoryOverview {
    const used = this.usedMemory;
    const shares = this.replication.bufferShares();
    let hashtables = 0;
    for (const db of this.keyspace.dbs) hashtables += db.size * MAP_ENTRY + db.expires.size * EXPIRE_ENTRY;
    const clientsNormal = this.clientMemory.normal;
    const aofBuffer = this.persistence.aofBufferBytes;
    // A replica's connection and query buffer are overhead too, though Redis's mem_clients_slaves shows only the buffer.
    const overhead = BASELINE_BYTES + shares.backlog + shares.replicas + this.clientMemory.replicas + clientsNormal + aofBuffer + hashtables;
    return {
      used,
      peak: this.memoryPeak(),
      replicationBacklog: shares.backlog,
      clientsReplicas: shares.replicas,
      clientsNormal,
      aofBuffer,
      overhead,
      dataset: used - overhead,
      notCountedForEviction: this.notCountedForEviction,
    };
  }

  /** The highest used_memory seen (sampled by the cron and whenever asked). */
  memoryPeak(): number {
    this.peakMemory = Math.max(this.peakMemory, this.usedMemory);
    return this.peakMemory;
  }

  outOfMemory(): boolean {
    const { maxmemory, maxmemoryPolicy } = this.config.values;
    if (maxmemory === 0) return false;
    // Keys make room for everything else used_memory counts, except what Redis leaves out of the check.
    const besideKeyspace = this.memoryBesideKeyspace - this.notCountedForEviction;
    const freed = this.keyspace.evictor.freeMemory(maxmemory - besideKeyspace, maxmemoryPolicy as EvictionPolicy, this.config.getNumber('maxmemory-samples'));
    // Invalidations of evicted keys belong to the old values: they go out before this command's reply.
    if (this.executing) this.tracking.afterReply(this.executing);
    return !freed;
  }

  changes(): number {
    return this.keyspace.dirty;
  }

  propagate(ctx: CommandContext, spec: CommandSpec, args: string[], reply: Reply): void {
    this.persistence.propagate(ctx, spec, args, reply);
    const master = this.replication.master;
    // A writable replica expires the keys its own clients gave a time to live: its master never will.
    if (master !== undefined && ctx.client !== master.client) this.replication.writtenLocally(ctx.client.db, commandKeys(spec, spec.name, args));
  }

  postpones(ctx: CommandContext, mayReplicate: boolean): boolean {
    return this.pause.holds(mayReplicate);
  }

  authRequired(ctx: CommandContext): boolean {
    return !ctx.client.authenticated && this.acl.authRequired;
  }

  diskWritesDenied(): boolean {
    return this.persistence.writesDenied;
  }

  replicasMissing(): boolean {
    return this.replication.replicasMissing();
  }

  isReplica(): boolean {
    return this.replication.master !== undefined;
  }

  isReplicaLink(ctx: CommandContext): boolean {
    return (ctx.client as Client).replicaLink?.attached === true;
  }

  beforeReplicaWrite(ctx: CommandContext, spec: CommandSpec, fullName: string, args: string[]): void {
    const db = ctx.client.db;
    if (db.expires.size === 0 || ctx.client === this.replication.master?.client) return;
    const now = Date.now();
    for (const { key } of commandKeys(spec, fullName, args)) db.expireIfDue(key, now, true);
  }

  /** The client a command is run for: a script's caller for the script's commands. */
  private originOf(ctx: CommandContext): ClientState | undefined {
    return ctx.client.isScript ? this.scripting.caller()?.client : ctx.client;
  }

  /** A replica whose link is down and which must not serve stale data (Redis's running_stale). */
  runningStale(): boolean {
    const master = this.replication.master;
    return master !== undefined && master.state !== 'connected' && !this.config.getBool('replica-serve-stale-data');
  }

  replicaRefusal(ctx: CommandContext, write: boolean, stale: boolean): ReplyError | undefined {
    if (write && this.config.getBool('replica-read-only')) return new ReplyError("READONLY You can't write against a read only replica.");
    if (!stale && this.runningStale()) {
      return new ReplyError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    }
    return undefined;
  }

  /** A dataset is loading: at start-up, or a replica's from its master (`async` while the old data is still served). */
  get loading(): 'sync' | 'async' | undefined {
    return this.persistence.loading !== undefined ? 'sync' : this.replication.master?.loading;
  }

  loadingRefusal(okLoading: boolean, noAsyncLoading: boolean): ReplyError | undefined {
    const loading = this.loading;
    if (loading === 'sync' ? !okLoading : loading === 'async' && noAsyncLoading) return loadingError();
    return undefined;
  }

  /** Before any reply of this turn goes out: the append-only file and the replicas get what it propagated. */
  beforeReplies(): void {
    this.persistence.beforeReplies();
    this.replication.flush();
  }

  /** A replica's keys expire only when its master says so; CLIENT PAUSE holds expiry too. */
  replicaStateChanged(): void {
    this.keyspace.expiryPaused = this.clientsPaused || this.replication.master !== undefined;
    try {
      this.oom.apply();
    } catch {
      // Logged; the role changes all the same, as in Redis.
    }
  }

  /** The client that runs the commands our master sends on `socket`. */
  masterClient(socket: net.Socket): Client {
    const client = new Client(this.nextClientId++, this, socket);
    client.isMaster = true;
    client.user = this.acl.superuser;
    client.authenticated = true;
    this.clients.set(client.id, client);
    return client;
  }

  /** CLIENT LIST / KILL's TYPE of a client. */
  clientType(client: ClientState): 'normal' | 'replica' | 'master' | 'pubsub' {
    const c = client as Client;
    if (c.isMaster) return 'master';
    if (c.replicaLink?.attached && !c.monitoring) return 'replica';
    return isSubscribed(client) ? 'pubsub' : 'normal';
  }

  mustObey(ctx: CommandContext): boolean {
    const origin = this.originOf(ctx);
    return origin instanceof ReplayClient || (origin !== undefined && origin === this.replication.master?.client);
  }

  busyRefusal(ctx: CommandContext): ReplyError | undefined {
    return this.scripting.busyRefusal(ctx);
  }

  /** Shows a command to MONITOR clients ahead of its run (EVAL and FCALL, so the commands they run follow them). */
  feedMonitorsNow(ctx: CommandContext, args: string[]): void {
    if (this.monitors.size > 0) this.feedMonitors(ctx.client as Client, args);
  }

  private readonly credentialsValid = (user: string, password: string): boolean => this.acl.authenticate(user, password) !== undefined;

  private feedMonitors(client: Client, args: string[]): void {
    const now = Date.now();
    const quoted = redactedArgs(args, this.credentialsValid).map(quoteMonitorArg).join(' ');
    const line = `+${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')} [${client.db.id} ${client.address}] ${quoted}\r\n`;
    for (const monitor of this.monitors) {
      if (monitor === client) continue;
      monitor.queue(line);
      monitor.flush();
    }
  }

  private serverCron(): void {
    advanceClock();
    // The watchdog follows Redis's cron, which arms it before DEBUG PAUSE-CRON's check and does not run while a data set
    // loads, from a file or from a master's disk-less transfer: a load longer than the period logs the expiry, as there.
    if (this.loading === undefined) this.watchdog.arm();
    // As Redis, whose cron does not run while the data loads: no timeouts, save points or replica pings meanwhile.
    if (this.cronPaused || this.persistence.loading !== undefined) return;
    if (this.signalledShutdown !== undefined) {
      const options = this.signalledShutdown;
      this.signalledShutdown = undefined;
      this.requestShutdown(options);
    }
    const timeoutSec = this.config.values.timeout;
    const now = Date.now();
    if (timeoutSec > 0) {
      for (const client of this.clients.values()) {
        // As in Redis, waiting is not idling: monitors, subscribers and blocked clients stay.
        const exempt = client.monitoring || client.silent || isSubscribed(client) || this.blocked.isBlocked(client) || client.postponed !== undefined;
        if (!exempt && now - client.lastInteraction > timeoutSec * 1000) client.kill();
      }
    }
    if (this.tracking.totalKeys > 0) this.tracking.enforceLimit();
    for (const client of this.overSoftLimit) client.overOutputLimit(0);
    this.resizeReplyBuffers(now);
    this.shutdownProgress();
    this.memoryPeak();
    this.persistence.cron();
    this.replication.cron();
    const rates = this.rates;
    rates.ops.sample(this.stats.commandsProcessed);
    rates.input.sample(this.stats.netInputBytes);
    rates.output.sample(this.stats.netOutputBytes);
    rates.replInput.sample(this.stats.netReplInputBytes);
    rates.replOutput.sample(this.stats.netReplOutputBytes);
  }

  /** DEBUG REPLYBUFFER's settings. */
  readonly replyBufferSettings: ReplyBufferSettings = { resizing: true, peakResetMs: DEFAULT_PEAK_RESET_MS };
  /** Where the walk of resizeReplyBuffers is: it goes on from there, round and round. */
  private replyBufferCursor: Iterator<Client> | undefined;

  /**
   * As Redis's clientsCron: each run looks at the share of the clients that
   * sees every one about once a second, and at least five.
   */
  private resizeReplyBuffers(now: number): void {
    const count = this.clients.size;
    for (let left = Math.max(Math.floor((count * CRON_MS) / 1000), Math.min(count, 5)); left > 0; left--) {
      let next = this.replyBufferCursor?.next();
      if (next === undefined || next.done === true) {
        this.replyBufferCursor = this.clients.values();
        next = this.replyBufferCursor.next();
        if (next.done === true) return;
      }
      const resized = next.value.resizeReplyBuffer(now, this.replyBufferSettings);
      if (resized < 0) this.stats.replyBufferShrinks++;
      else if (resized > 0) this.stats.replyBufferExpands++;
    }
  }

  resetStats(): void {
    this.clientMemory.evicted = 0;
    Object.assign(this.stats, newStats());
    for (const rate of Object.values(this.rates)) rate.reset();
    this.keyspace.stats.hits = 0;
    this.keyspace.stats.misses = 0;
    this.keyspace.stats.expiredKeys = 0;
    this.keyspace.stats.expireTimeCapReached = 0;
    this.keyspace.evictor.resetStats();
    deepSanitizations.count = 0;
    // As Redis's resetServerStats: the counts of syncs served go too.
    this.replication.syncFull = 0;
    this.replication.syncPartialOk = 0;
    this.replication.syncPartialErr = 0;
    this.slowlog.reset();
  }

  /** Stops accepting, closes every client and the listeners. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.persistence.close();
    this.migrations.close();
    this.replication.master?.close();
    clearInterval(this.cron);
    this.watchdog.stop();
    this.keyspace.stopExpiryCycle();
    // Listeners stop accepting before any client sees its connection end, so
    // one that reconnects at once is refused, as by Redis, which has exited by then.
    const all: net.Server[] = [...this.listeners, ...this.tlsListeners, ...(this.unixListener ? [this.unixListener] : [])];
    const closed = Promise.all(all.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
    for (const client of this.clients.values()) client.kill();
    await closed;
    const unixPath = this.config.get('unixsocket');
    if (unixPath) {
      this.log('notice', 'Removing the unix socket file.');
      try {
        unlinkSync(unixPath);
      } catch {
        // Already gone.
      }
    }
    this.log('warning', 'Redis is now ready to exit, bye bye...');
  }
}

/** The directives whose CONFIG SET gives new TLS connections new settings. */
const TLS_RELOADED = [
  'tls-cert-file', 'tls-key-file', 'tls-key-file-pass', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-auth-clients',
  'tls-protocols', 'tls-ciphers', 'tls-ciphersuites', 'tls-prefer-server-ciphers', 'tls-session-caching',
  'tls-session-cache-timeout', 'tls-dh-params-file',
];

function newStats(): ServerStats {
  return {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
    errors: new Map(),
    totalErrorReplies: 0,
    lazyfreedObjects: 0,
    unexpectedErrorReplies: 0,
    replyBufferShrinks: 0,
    replyBufferExpands: 0,
  };
}

/** Redis's `*` and `::*` wildcards name every IPv4 / IPv6 interface. */
function normalizeBindAddress(host: string): string {
  if (host === '*') return '0.0.0.0';
  if (host === '::*') return '::';
  return host;
}

/** MONITOR quotes arguments as Redis's sdscatrepr does. */
function quoteMonitorArg(arg: string): string {
  let out = '"';
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + arg[i];
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += arg[i];
  }
  return out + '"';
}

/** What SHUTDOWN was asked: `save` undefined saves when save points are configured. */
export interface ShutdownOptions {
  save?: boolean;
  now: boolean;
  force: boolean;
}

const shutdownFailed = (): ReplyError => new ReplyError('ERR Errors trying to SHUTDOWN. Check logs.');

/** Logs why the shutdown cannot go on, as Redis does; false, for finishShutdown to return. */
function shutdownError(server: Server, reason: string): false {
  server.log('warning', reason);
  server.log('warning', 'Errors trying to shut down the server. Check the logs for more information.');
  return false;
}
