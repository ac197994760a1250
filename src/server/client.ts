/**
 * One connection: reads requests, runs them in order, and writes the replies
 * of everything one socket read produced in a single write.
 */
import { readSync, writeSync } from 'node:fs';
import { ReplyError } from '../errors.js';
import type { Socket } from 'node:net';
import { RequestReader, type RequestLimits } from '../protocol/request.js';
import { NO_REPLY, PushReply, ReplyBuffer, type Reply } from '../protocol/reply.js';
import { PushFrames } from '../commands/pubsub.js';
import { commandStats } from '../commands/table.js';
import { isSubscribed, type ClientState, type CommandContext, type Subscriptions } from '../commands/types.js';
import type { Database } from '../store/database.js';
import type { Server } from './server.js';
import type { ClientTracking } from './tracking.js';
import type { User } from '../acl/user.js';
import type { ReplicaLink } from '../replication/replication.js';
import { SocketOutput } from './listen.js';
import type { DebugChannel, LuaDebugMode } from '../scripting/ldb.js';
import type { MemoryClass } from './client-memory.js';
import { ReplyBufferSize, type ReplyBufferSettings } from './reply-buffer.js';

/**
 * Replies pending within one read beyond which they are written (and checked
 * against the output limits) before the rest of the read runs.
 */
const OUTPUT_HIGH_WATER = 1024 * 1024;

/** What a connection costs beyond its buffers (its objects here and in Node), as tot-mem counts it. */
const CLIENT_BASE_BYTES = 2048;
/** What one watched key, subscription or tracking prefix costs in the server's maps, beyond its name. */
const ENTRY_BYTES = 48;
/** What one argument of a queued transaction costs beyond its bytes. */
const ARG_BYTES = 16;

/** Reads made while a script holds the event loop go here (the event loop's read buffer may be in use). */
const busyReadBuffer = Buffer.allocUnsafe(16 * 1024);

/** How long the Lua debugger sleeps between reads of a socket that has nothing for it (a person is typing). */
const DEBUG_POLL_MS = 5;
const pollCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the thread (the event loop is held by a debugged script anyway). */
function pause(ms: number): void {
  Atomics.wait(pollCell, 0, 0, ms);
}

function wouldBlock(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

export class Client implements ClientState, CommandContext, RequestLimits {
  readonly client: ClientState = this;
  readonly isScript = false;
  name = '';
  libName = '';
  libVer = '';
  resp: 2 | 3 = 2;
  authenticated: boolean;
  user: User;
  db: Database;
  replyMode: 'on' | 'off' | 'skip' = 'on';
  noEvict = false;
  noTouch = false;
  monitoring = false;
  readonly subscriptions: Subscriptions = { channels: new Set(), patterns: new Set(), shardChannels: new Set() };
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  /** How long the call of the blocking command it waits in took: the slow log adds the serving time. */
  waitingCallUs = 0;
  readonly address: string;
  readonly localAddress: string;
  /** Replies waiting for the end of the current read. */
  private readonly out = new ReplyBuffer();
  /** The size Redis's reply buffer would have (CLIENT LIST rbs and rbp). */
  readonly replyBuffer = new ReplyBufferSize();
  private skipNextReply = false;
  skippingReply = false;
  /** Since when the output backlog has been over the soft limit (0: it is not). */
  private softLimitSince = 0;
  /** This client's memory as last measured, and where it is counted (see ClientMemory). */
  countedMemory = 0;
  countedClass: MemoryClass = 'evictable';
  /** multi-mem, counted incrementally: the transaction it was counted for, how many of its commands, their bytes. */
  private multiCounted: string[][] | undefined = undefined;
  private multiCountedCommands = 0;
  private multiBytes = 0;
  /** Commands received while blocked, run once the wait ends. */
  private readonly queued: string[][] = [];
  tracking: ClientTracking | undefined = undefined;
  /** The command CLIENT PAUSE holds back, if any. */
  postponed: string[] | undefined = undefined;
  multi: string[][] | undefined = undefined;
  multiFailed = false;
  executingTransaction = false;
  watchedKeyChanged = false;
  /** Set once the client speaks REPLCONF or SYNC: what we know of it as a replica. */
  replicaLink: ReplicaLink | undefined = undefined;
  /** The connection to our master, whose commands this client runs. */
  isMaster = false;

  /** A replica or our master: neither is sent replies (the stream and the handshake are written directly). */
  get silent(): boolean {
    return this.isMaster || this.replicaLink?.attached === true;
  }

  get inTransaction(): boolean {
    return this.multi !== undefined || this.executingTransaction;
  }
  private closing = false;
  private closed = false;
  private ending = false;
  private readonly reader: RequestReader;
  private readonly output: SocketOutput;

  constructor(
    readonly id: number,
    readonly server: Server,
    private readonly socket: Socket,
    /** The unix socket's path, for a client connected through it. */
    private readonly unixPath?: string,
    /** The socket came from `readingSocket`, so its handle may be written directly (see SocketOutput). */
    directWrites = false,
  ) {
    this.db = server.keyspace.dbs[0];
    this.user = server.acl.defaultUser;
    this.authenticated = this.user.nopass && this.user.enabled;
    // A unix socket peer has no address: Redis names the socket's path with port 0 on both ends.
    this.address = unixPath !== undefined ? `${unixPath}:0` : formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = unixPath !== undefined ? `${unixPath}:0` : formatAddress(socket.localAddress, socket.localPort);
    this.reader = new RequestReader(this, (batch) => this.executeBatch(batch));
    socket.setNoDelay(true);
    this.output = new SocketOutput(socket, directWrites, () => this.drained());
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
  }

  // Request limits are read per header, so CONFIG SET applies to the very next request.
  get protoMaxBulkLen(): number {
    return this.server.config.values.protoMaxBulkLen;
  }

  get clientQueryBufferLimit(): number {
    return this.server.config.values.clientQueryBufferLimit;
  }

  get authRequired(): boolean {
    return !this.authenticated && this.server.acl.authRequired;
  }

  /** True when the peer is on a loopback address (enable-debug-command local). */
  get isLocal(): boolean {
    return isLoopback(this.socket);
  }

  get fd(): number {
    return (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  }

  /**
   * What the peer sent, valid only during the call (see readingSocket). The
   * replies go out after every client with input this turn has been served,
   * as Redis writes before it sleeps: a pipelining peer is woken once per
   * turn instead of once per read, which costs both sides less.
   */
  received(chunk: Buffer): void {
    if (this.serve(chunk)) this.server.flushSoon(this);
  }

  /** Runs what a read brought; false when the connection is gone and nothing is left to write. */
  private serve(chunk: Buffer): boolean {
    if (this.closing) return false;
    this.lastInteraction = Date.now();
    const stats = this.server.stats;
    stats.readsProcessed++;
    stats.netInputBytes += chunk.length;
    const result = this.reader.feed(chunk);
    if (result !== null) {
      if ('protocolError' in result) {
        this.server.log('verbose', `Protocol error (${result.protocolError}) from client: ${this.describe()}`);
        this.queue(`-ERR ${result.protocolError}\r\n`);
        this.closing = true;
      } else {
        this.server.log('warning', `Closing client that reached max query buffer length: ${this.describe()}`);
        this.socket.destroy();
        return false;
      }
    }
    return true;
  }

  /**
   * While a timed-out script holds the event loop, reads what this client
   * has sent straight from its socket, which is non-blocking: nothing waits.
   * Whatever is read is served as usual, so commands get BUSY and SCRIPT
   * KILL is heard. A peer that closed is gone at once, as Redis frees a
   * client whose read ends while it serves events during a busy script (so
   * a replica that left no longer counts for min-replicas-to-write).
   */
  readWhileBusy(): void {
    const fd = this.fd;
    if (fd < 0 || this.closing || this.waiting) return;
    for (;;) {
      let bytes: number;
      try {
        bytes = readSync(fd, busyReadBuffer, 0, busyReadBuffer.length, null);
      } catch {
        return; // EAGAIN: nothing more has arrived.
      }
      if (bytes === 0) {
        this.closeNow();
        return;
      }
      // The event loop is held, so nothing deferred would run: BUSY replies go out at once.
      if (this.serve(busyReadBuffer.subarray(0, bytes))) this.flush();
      if (bytes < busyReadBuffer.length || this.closing) return;
    }
  }

  /** SCRIPT DEBUG's mode, when on. */
  luaDebug: LuaDebugMode | undefined = undefined;

  hasPendingReplies(): boolean {
    return this.out.length > 0;
  }

  /**
   * The socket as the Lua debugger uses it while a script holds the event
   * loop (Redis blocks on the connection then): reads wait, polling the
   * non-blocking descriptor, until bytes come or the peer closes; writes go
   * straight out, ahead of replies still pending, as Redis's do.
   */
  debugChannel(): DebugChannel | undefined {
    const fd = this.fd;
    if (fd < 0) return undefined;
    return {
      read: () => {
        for (;;) {
          if (this.closed) return undefined;
          let bytes: number;
          try {
            bytes = readSync(fd, busyReadBuffer, 0, busyReadBuffer.length, null);
          } catch (error) {
            if (!wouldBlock(error)) return undefined;
            pause(DEBUG_POLL_MS);
            continue;
          }
          if (bytes === 0) return undefined;
          this.server.stats.netInputBytes += bytes;
          return busyReadBuffer.toString('latin1', 0, bytes);
        }
      },
      write: (data) => {
        const bytes = Buffer.from(data, 'latin1');
        this.server.stats.netOutputBytes += bytes.length;
        for (let at = 0; at < bytes.length; ) {
          try {
            at += writeSync(fd, bytes, at);
          } catch (error) {
            // A peer that is gone is noticed by the next read.
            if (!wouldBlock(error)) return;
            pause(DEBUG_POLL_MS);
          }
        }
      },
    };
  }

  /** The commands of one read, in order. */
  private executeBatch(batch: string[][]): void {
    if (batch.length > 1) this.db.prefetch(batch);
    for (let i = 0; i < batch.length; i++) this.execute(batch[i]);
  }

  private execute(args: string[]): void {
    if (this.closing) return;
    // A blocked client's later commands wait their turn, as in Redis.
    if (this.waiting) {
      this.queued.push(args);
      return;
    }
    this.run(args);
  }

  private run(args: string[]): void {
    this.skippingReply = this.skipNextReply;
    this.skipNextReply = false;
    const reply = this.server.execute(this, args);
    const silenced = this.skippingReply;
    this.skippingReply = false;
    // undefined: the client now waits (blocked or paused), and its reply comes later.
    if (reply !== undefined) this.reply(reply, silenced);
    this.server.tracking.afterReply(this);
  }

  private reply(reply: Reply, silenced: boolean): void {
    if (this.replyMode === 'skip') {
      // CLIENT REPLY SKIP: silent itself, and silences the command after it.
      this.replyMode = 'on';
      this.skipNextReply = true;
      return;
    }
    if (this.replicaLink?.attached === true && reply !== NO_REPLY) {
      this.replicaReplied(reply);
      return;
    }
    if (this.silent) return;
    // Push data (subscribe confirmations) is not a reply: CLIENT REPLY OFF/SKIP do not silence it.
    const pushed = reply instanceof PushReply || reply instanceof PushFrames;
    if (pushed || (!silenced && this.replyMode === 'on')) this.send(reply);
    // A big batch goes out now, so that a peer which is not reading holds back what follows.
    if (this.out.length > OUTPUT_HIGH_WATER) this.flush();
  }

  /**
   * As Redis: a replica's link carries the stream and never replies, so a command of its that made one
   * (a rogue or confused replica) closes it.
   */
  private replicaReplied(reply: Reply): void {
    const command = this.lastCommand === 'NULL' ? '<unknown>' : this.lastCommand;
    if (reply instanceof ReplyError) {
      this.server.log('warning', `== CRITICAL == This master is sending an error to its replica: '${reply.message.slice(0, 4096)}' after processing the command '${command}'`);
    }
    this.server.log('warning', `Replica generated a reply to command '${command}', disconnecting it: ${this.describe()}`);
    this.kill();
  }

  /** The end of a blocking wait: the reply goes out, then the commands that queued up behind it run. */
  unblocked(reply: Reply): void {
    if (reply instanceof ReplyError) {
      // The wait's command was counted when it blocked; its failure shows only now (Redis: updateStatsOnUnblock).
      this.server.countError(reply);
      const stats = commandStats.get(this.lastCommand);
      if (stats !== undefined) stats.failedCalls++;
    }
    if (this.replyMode === 'on') this.send(reply);
    this.server.tracking.afterReply(this);
    this.flush();
    setImmediate(() => this.resume());
  }

  /** The pause is over: the held command runs now (or is held again), then those queued behind it. */
  retryPostponed(): void {
    const args = this.postponed;
    this.postponed = undefined;
    if (args === undefined || this.closing) return;
    this.run(args);
    this.resume();
  }

  /** True while a blocking wait, a pause or unread output holds this client's commands back. */
  private get waiting(): boolean {
    return this.queued.length > 0 || this.mustWait;
  }

  private get mustWait(): boolean {
    return this.postponed !== undefined || this.server.blocked.isBlocked(this);
  }

  /** More than a megabyte of output waits for the socket (a disk-less sync holds its snapshot back meanwhile). */
  get backlogged(): boolean {
    return this.output.length > OUTPUT_HIGH_WATER;
  }

  /** Bytes handed to the socket that the kernel has not taken yet (a stalled replica's stay put). */
  get unsentBytes(): number {
    return this.output.length;
  }

  private drained(): void {
    this.softLimitSince = 0;
    this.measureMemory();
  }

  /** The cron's resizing of the reply buffer (see ReplyBufferSize); -1 when it shrank, 1 when it grew. */
  resizeReplyBuffer(now: number, settings: ReplyBufferSettings): -1 | 0 | 1 {
    const resized = this.replyBuffer.resize(now, settings, this.out.length);
    if (resized !== 0) this.measureMemory();
    return resized;
  }

  /** Counts this client's memory again, after its buffers may have changed (a closed client counts no more). */
  measureMemory(): void {
    if (!this.closed) this.server.clientMemory.update(this);
  }

  private resume(): void {
    while (this.queued.length > 0 && !this.closing && !this.mustWait) {
      this.run(this.queued.shift()!);
    }
    this.flush();
  }

  /** Encodes a reply into the pending output. */
  send(reply: Reply): void {
    const mark = this.out.length;
    try {
      this.out.write(reply, this.resp === 3);
    } catch (error) {
      // Only a reply beyond the largest string or buffer gets here; the client still gets an answer.
      if (!(error instanceof RangeError)) throw error;
      this.out.length = mark;
      this.out.write(this.server.internalError(error, this.lastCommand), this.resp === 3);
    }
  }

  /** Writes bytes after the pending output (the replication stream, a snapshot). */
  sendRaw(bytes: Buffer, written?: () => void): void {
    this.flush();
    if (this.closed || this.closing) return;
    this.countWrite(bytes.length);
    // A replica's stream is limited by its share of the replication buffer, checked as that grows.
    if (!this.socket.write(bytes, written) && this.replicaLink?.attached !== true) this.overOutputLimit(0);
  }

  /** As Redis: what goes to a replica is replication traffic, counted apart from the clients'. */
  private countWrite(bytes: number): void {
    const stats = this.server.stats;
    stats.writesProcessed++;
    if (this.replicaLink !== undefined) stats.netReplOutputBytes += bytes;
    else stats.netOutputBytes += bytes;
  }

  /** Adds raw RESP to the pending output (errors of the protocol layer, MONITOR lines). */
  queue(resp: string): void {
    this.out.latin1(resp);
  }

  /** Writes everything pending in one go; called once per read and by server-side events. */
  flush(): void {
    if (this.out.length > 0 && !this.closed) {
      // As Redis, the limits apply to replies as they are queued: a reply that passes the hard
      // limit is never sent, however fast the socket would have taken it.
      if (this.overOutputLimit(this.out.length)) return;
      this.replyBuffer.wrote(this.out.length);
      // Acknowledged writes are in the append-only file and sent to the replicas first.
      this.server.beforeReplies();
      this.countWrite(this.out.length);
      // Written whole at once: no one holds the bytes and the buffer is reused. Otherwise the
      // socket keeps them until they are out, and the replies move to a new buffer.
      if (this.output.write(this.out.pending())) this.out.clear();
      else this.out.release();
    }
    if (this.closing && !this.closed && !this.ending) {
      // Close fully once the reply is out, as Redis does: a peer still sending gets a reset
      // instead of writing into a half-closed socket forever.
      this.ending = true;
      this.socket.end(() => this.socket.destroy());
      // As Redis frees a client once its last reply is written: gone from the client table (CLIENT
      // LIST, tracking's redirect targets) before the next read, not a turn of the event loop later
      // with the close event. After the current task, since a flush can run inside a walk of the
      // replicas or the clients that the removal would change (a killed replica sent its stream).
      if (this.output.length === 0) process.nextTick(() => this.onClose());
    }
    this.measureMemory();
  }

  /**
   * client-output-buffer-limit of the client's class, for the output the
   * socket holds plus `queued` bytes about to join it: over the hard limit,
   * or over the soft one for longer than its seconds, the client is closed
   * and its pending output dropped, as Redis does. True when it was closed.
   * A client over the soft limit is checked again by the cron, so that it is
   * closed in time even when nothing more is sent to it.
   */
  overOutputLimit(queued: number): boolean {
    if (this.socket.destroyed) {
      this.out.clear();
      return true;
    }
    const limits = this.server.config.values.outputBufferLimits;
    const replica = this.replicaLink?.attached ? this.replicaLink : undefined;
    const limit = replica !== undefined ? limits.replica : isSubscribed(this) ? limits.pubsub : limits.normal;
    if (limit.hard === 0 && limit.soft === 0) return false;
    let pending: number;
    let hard = limit.hard;
    if (replica !== undefined) {
      // As Redis: a replica's output is its share of the replication buffer, and a hard limit
      // below repl-backlog-size counts as that size (the backlog holds that much for it anyway).
      pending = queued + this.server.replication.replicaShare(replica);
      if (hard > 0) hard = Math.max(hard, this.server.config.getNumber('repl-backlog-size'));
    } else {
      pending = queued + this.output.length;
    }
    let over = hard > 0 && pending >= hard;
    if (limit.soft > 0 && pending >= limit.soft) {
      const now = Date.now();
      if (this.softLimitSince === 0) {
        this.softLimitSince = now;
        this.server.overSoftLimit.add(this);
      } else if (now - this.softLimitSince > limit.softSeconds * 1000) {
        over = true;
      }
    } else {
      this.softLimitSince = 0;
      this.server.overSoftLimit.delete(this);
    }
    if (!over) return false;
    this.server.log('warning', `Client ${this.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.closeNow();
    return true;
  }

  /**
   * Closed by maxmemory-clients or an output limit: its pending output
   * dropped, and gone from the server at once (CLIENT LIST, INFO, the
   * eviction total), not only once the socket reports its close.
   */
  closeNow(): void {
    this.out.clear();
    this.closing = true;
    this.socket.destroy();
    this.onClose();
  }

  /** Where its memory counts: a replica's and our master's are never evicted, nor are those of clients already closing. */
  get memoryClass(): MemoryClass {
    if (this.replicaLink?.attached === true) return 'replica';
    return this.isMaster || this.closing ? 'normal' : 'evictable';
  }

  /** tot-mem: the connection, its reply buffer, query buffer, transaction, replies owed and its entries in the server's maps. */
  totalMemory(): number {
    return this.ownMemory() + this.replicaShare;
  }

  /**
   * tot-mem less a replica's share of the replication buffer, which the
   * buffer counts once for all replicas: what used_memory adds for this client.
   */
  ownMemory(): number {
    const subs = this.subscriptions;
    const entries = this.server.watches.count(this) + subs.channels.size + subs.patterns.size + subs.shardChannels.size + (this.tracking?.prefixes.size ?? 0);
    return CLIENT_BASE_BYTES + this.replyBuffer.size + this.reader.reservedBytes + this.multiMemory() + this.ownOutputBytes + entries * ENTRY_BYTES;
  }

  /** omem: replies waiting for the end of the read and those the socket holds (a replica's: its share of the replication buffer). */
  get outputBytes(): number {
    return this.ownOutputBytes + this.replicaShare;
  }

  /** Output this client holds itself: what a replica's socket holds are views of the replication buffer. */
  private get ownOutputBytes(): number {
    return this.replicaLink?.attached ? this.out.length : this.out.length + this.output.length;
  }

  private get replicaShare(): number {
    const replica = this.replicaLink;
    return replica?.attached ? this.server.replication.replicaShare(replica) : 0;
  }

  /** multi-mem: the commands queued by MULTI, counted once each as they come. */
  private multiMemory(): number {
    const multi = this.multi;
    if (multi === undefined) return 0;
    if (multi !== this.multiCounted) {
      this.multiCounted = multi;
      this.multiCountedCommands = 0;
      this.multiBytes = 0;
    }
    for (; this.multiCountedCommands < multi.length; this.multiCountedCommands++) {
      const args = multi[this.multiCountedCommands];
      for (let i = 0; i < args.length; i++) this.multiBytes += args[i].length + ARG_BYTES;
    }
    return this.multiBytes;
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  /** Closes the connection now (CLIENT KILL, timeout, shutdown). */
  kill(): void {
    this.flush();
    this.closing = true;
    this.socket.destroy();
  }

  startMonitoring(): void {
    this.monitoring = true;
    this.server.monitors.add(this);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.overSoftLimit.delete(this);
    this.server.clientClosed(this);
  }

  describe(): string {
    const now = Date.now();
    const subs = this.subscriptions;
    // Replies the socket holds because the peer has not taken them yet.
    const queuedOutput = this.outputBytes;
    const qbuf = this.reader.qbuf;
    const flags = (this.isMaster ? 'M' : '') + (this.replicaLink?.attached ? 'S' : '') + (this.monitoring ? 'O' : '') + (isSubscribed(this) ? 'P' : '') + (this.multi ? 'x' : '') + (this.server.blocked.isBlocked(this) || this.postponed ? 'b' : '') +
      (this.tracking ? 't' : '') + (this.tracking?.brokenRedirect ? 'R' : '') + (this.tracking?.bcast ? 'B' : '') + (this.unixPath !== undefined ? 'U' : '') || 'N';
    return (
      `id=${this.id} addr=${this.address} laddr=${this.localAddress} fd=${this.fd} name=${this.name}` +
      ` age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)}` +
      ` flags=${flags} db=${this.db.id} sub=${subs.channels.size} psub=${subs.patterns.size} ssub=${subs.shardChannels.size} multi=${this.multi ? this.multi.length : -1} qbuf=${qbuf} qbuf-free=0 argv-mem=${this.reader.queryBufferBytes - qbuf} multi-mem=${this.multiMemory()}` +
      ` rbs=${this.replyBuffer.size} rbp=${this.replyBuffer.peak} obl=${this.out.length} oll=${this.output.length > 0 ? 1 : 0} omem=${queuedOutput} tot-mem=${this.totalMemory()}` +
      ` events=${queuedOutput > 0 ? 'rw' : 'r'} cmd=${this.lastCommand} user=${this.user.name} redir=${this.tracking ? this.tracking.redirect : -1}` +
      ` resp=${this.resp} lib-name=${this.libName} lib-ver=${this.libVer}`
    );
  }
}

function formatAddress(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return '';
  return ip.includes(':') && !ip.startsWith('::ffff:') ? `${ip}:${port}` : `${ip.replace(/^::ffff:/, '')}:${port}`;
}

/** True when the peer is on a loopback address (protected mode, enable-debug-command local). */
export function isLoopback(socket: Socket): boolean {
  const ip = socket.remoteAddress ?? '';
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.') || socket.remoteFamily === undefined;
}
