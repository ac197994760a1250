/**
 * Replication, master side and the state both roles share: the replication
 * id and offset, the backlog, the replicas attached to us (SYNC / PSYNC,
 * full and partial resynchronization, the live stream, acknowledgements,
 * WAIT, min-replicas-to-write), and the link to our own master when we are
 * a replica (master-link.ts). The stream is the propagation the append-only
 * file gets: the same commands, SELECTs and MULTI/EXEC wrapping.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CommandStream } from '../persistence/aof.js';
import { ChildFailed } from '../persistence/save-child.js';
import type { PropagationFollower } from '../persistence/persistence.js';
import type { ReplicationInfo, SnapshotContent } from '../persistence/snapshot.js';
import { NO_REPLY, type Reply } from '../protocol/reply.js';
import { BlockRequest } from '../commands/types.js';
import { ReplyError } from '../errors.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Database } from '../store/database.js';
import type { KeyRef } from '../commands/keyspecs.js';
import { ReplicationBuffer } from './backlog.js';
import { MasterLink } from './master-link.js';

export const NO_REPLID = '0000000000000000000000000000000000000000';

export function newReplid(): string {
  return randomBytes(20).toString('hex');
}

type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

/** A client of ours that is (or is about to become) a replica. */
export class ReplicaLink {
  state: ReplicaState = 'wait_bgsave';
  /** REPLCONF listening-port and ip-address: where the replica says it serves. */
  listeningPort = 0;
  announcedIp: string | undefined;
  /** REPLCONF capa eof: takes a disk-less `$EOF:` transfer. */
  capaEof = false;
  capaPsync2 = false;
  /** REPLCONF rdb-only 1: it wants the snapshot and no stream after it (redis-cli --rdb), so the buffer never feeds it. */
  rdbOnly = false;
  /** REPLCONF rdb-filter-only: what its snapshot holds. */
  include: SnapshotContent = 'everything';
  /** Its snapshot is being made or sent (Redis's WAIT_BGSAVE_END and on); an rdb-only one is never fed, so `sent` cannot tell. */
  snapshotStarted = false;
  /** Came with SYNC (no +FULLRESYNC line, no acknowledgements). */
  oldSync = false;
  attached = false;
  ackOffset = 0;
  ackTime = Date.now();
  /** Since when it waits for a snapshot. */
  waitingSince = 0;
  /**
   * A disk-less transfer held back for it: when its socket last took some of
   * what it owes (Redis's repl_last_partial_write; 0 while it keeps up), and
   * how much that was. Past repl-timeout it is dropped.
   */
  stalledSince = 0;
  private stalledBytes = 0;
  /**
   * Its place in the shared replication buffer: the offset of the last
   * byte handed to its socket, and of the last one the socket wrote out
   * (it still needs everything after that). -1 while it is not fed (it
   * waits for its snapshot to start).
   */
  sent = -1;
  released = -1;
  /** The stream goes out to it; until then (its snapshot is being made or sent) the buffer keeps it. */
  streaming = false;
  /** The callback of the turn's last write to it: the socket wrote everything up to `upTo`. */
  written(upTo: number): () => void {
    return () => {
      if (upTo > this.released) this.released = upTo;
    };
  }

  constructor(readonly client: Client) {}

  /** Whether its socket is too far behind for the disk-less snapshot to go on; notes when it last made progress. */
  holdsTransfer(now: number): boolean {
    const client = this.client;
    if (!client.backlogged) {
      this.stalledSince = 0;
      return false;
    }
    const unsent = client.unsentBytes;
    if (this.stalledSince === 0 || unsent < this.stalledBytes) this.stalledSince = now;
    this.stalledBytes = unsent;
    return true;
  }

  /** How the log names it, as Redis's replicationGetSlaveName does. */
  get name(): string {
    const ip = this.ip;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return this.listeningPort !== 0 ? `${host}:${this.listeningPort}` : `${ip}:<unknown-replica-port>`;
  }

  /** INFO replication's ip: what it announced, or its address. */
  get ip(): string {
    if (this.announcedIp !== undefined) return this.announcedIp;
    const address = this.client.address;
    return address.slice(0, address.lastIndexOf(':'));
  }
}

interface Waiter {
  client: Client;
  target: number;
  replicas: number;
  timer: NodeJS.Timeout | undefined;
}

export class Replication implements PropagationFollower {
  replid = newReplid();
  replid2 = NO_REPLID;
  secondReplOffset = -1;
  /** master_repl_offset: bytes of stream produced (as master) or processed (as replica). */
  offset = 0;
  /** The replication buffer, which is the backlog too; undefined while no history is kept. */
  backlog: ReplicationBuffer | undefined;
  /** What was propagated and not yet sent. */
  readonly stream = new CommandStream();
  readonly replicas: ReplicaLink[] = [];
  /** The link to our master, while we are a replica. */
  master: MasterLink | undefined;
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** FAILOVER (INFO master_failover_state): writes wait for a replica to catch up, then it and we swap roles. */
  failoverState: 'no-failover' | 'waiting-for-sync' | 'failover-in-progress' = 'no-failover';
  private failover: { host: string | undefined; port: number; end: number; force: boolean } | undefined;
  private readonly waiters: Waiter[] = [];
  /** The snapshot being written for waiting replicas. */
  private syncing: {
    links: ReplicaLink[];
    /** Where it is written; none for a disk-less one. */
    file?: string;
    /** The offset it is of (+FULLRESYNC), for a replica that joins a disk-based one. */
    offset: number;
  } | undefined;
  private syncFiles = 0;
  private lastPing = Date.now();
  private lastBacklogUse = Date.now();
  private flushQueued = false;
  private sendQueued = false;
  /** Keys with a time to live that clients of ours (not the master) wrote while we are a writable replica (Redis's slaveKeysWithExpire). */
  private readonly localKeys = new Map<Database, Set<string>>();

  /** INFO slave_expires_tracked_keys. */
  get localKeysWithExpiry(): number {
    let count = 0;
    for (const keys of this.localKeys.values()) count += keys.size;
    return count;
  }

  constructor(private readonly server: Server) {
    server.config.onChange('repl-backlog-size', () => {
      if (this.backlog === undefined) return;
      this.backlog.size = this.backlogSize;
      this.trimBuffer();
    });
  }

  private get backlogSize(): number {
    return this.server.config.getNumber('repl-backlog-size');
  }

  // ------------------------------------------------------------ the stream

  /** Without a backlog nobody listens; a replica passes on its master's stream as it came. */
  get listening(): boolean {
    return this.backlog !== undefined && this.master === undefined;
  }

  append(db: number, args: readonly string[]): void {
    if (!this.listening) return;
    this.stream.append(db, args);
    this.flushSoon();
  }

  /**
   * What no reply carries out (active expiry, evictions, GETACK) leaves at
   * the end of this turn of the event loop, as Redis writes to replicas
   * before it sleeps; a reply of this turn takes it out before itself.
   */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
      // Out in this same turn: a send scheduled from here would wait for the next one.
      this.sendToReplicas();
    });
  }

  begin(): void {
    this.stream.begin();
  }

  end(): void {
    this.stream.end();
  }

  /** What was propagated goes to the backlog and the replicas (before any reply of this turn goes out). */
  flush(): void {
    const bytes = this.stream.take();
    if (bytes.length === 0) return;
    this.offset += bytes.length;
    this.passOn(bytes);
  }

  /**
   * Stream bytes whose offset is already counted: into the shared buffer now, and to every replica
   * at the end of this turn of the event loop, as Redis writes its replicas' buffers before it
   * sleeps: the writes of all the clients served in one turn go out in one write per replica.
   */
  passOn(data: Buffer): void {
    const buffer = this.backlog;
    if (buffer === undefined) return;
    if (buffer.append(data)) {
      // As Redis, limits are checked (and the backlog trimmed) when the stream takes a new block.
      for (const link of [...this.replicas]) if (link.sent >= 0) link.client.overOutputLimit(0);
      this.trimBuffer();
    }
    if (this.replicas.length > 0) this.sendSoon();
  }

  /** Drops what neither the backlog nor any replica needs any more. */
  private trimBuffer(): void {
    const buffer = this.backlog;
    if (buffer === undefined) return;
    let needed = Infinity;
    for (const link of this.replicas) if (link.sent >= 0 && link.released + 1 < needed) needed = link.released + 1;
    buffer.trim(needed);
  }

  /** A replica's share of the buffer (its output, for its limit and CLIENT LIST): what its socket has not written yet. */
  replicaShare(link: ReplicaLink): number {
    const buffer = this.backlog;
    return buffer === undefined || link.sent < 0 ? 0 : buffer.end - link.released;
  }

  private sendSoon(): void {
    if (this.sendQueued) return;
    this.sendQueued = true;
    setImmediate(() => this.sendToReplicas());
  }

  /** Writes what this turn streamed to each replica (also before the server exits). */
  sendToReplicas(): void {
    this.sendQueued = false;
    for (const link of this.replicas) if (link.streaming) this.sendTo(link);
  }

  /** What a replica has not been handed yet, as views of the shared blocks. */
  private sendTo(link: ReplicaLink): void {
    const buffer = this.backlog!;
    const end = buffer.end;
    if (link.sent >= end) return;
    const client = link.client;
    let last: Buffer | undefined;
    buffer.forEachAfter(link.sent, (bytes) => {
      if (last !== undefined) client.sendRaw(last);
      last = bytes;
    });
    link.sent = end;
    if (last !== undefined) client.sendRaw(last, link.written(end));
  }

  // ------------------------------------------------------------ the history in RDB files

  /**
   * As Redis's rdbPopulateSaveInfo: a master records its history when it
   * has a backlog (it is in a replication chain), a replica when it has one
   * from its master; the stream's database goes with it.
   */
  saveInfo(): ReplicationInfo | undefined {
    if (this.backlog === undefined) return undefined;
    this.flush();
    const selected = this.master === undefined ? this.stream.selectedDb : this.master.streamDb;
    return { replid: this.replid, offset: this.offset, streamDb: Math.max(0, selected) };
  }

  startupLoading(): void {
    // The deletions of keys found expired go to the backlog: replicas that continue our history need them.
    if (this.master === undefined) this.backlog = new ReplicationBuffer(this.backlogSize, this.offset);
  }

  /**
   * A replica continues its master's history from where the file left it;
   * a master keeps the file's history as id 2, so its replicas continue by
   * partial resync, and its offset moves on by the deletions just fed.
   */
  startupLoaded(info: ReplicationInfo | undefined): void {
    if (info === undefined) {
      if (this.master === undefined) this.backlog = undefined;
      return;
    }
    if (this.master !== undefined) {
      this.replid = info.replid;
      this.offset = info.offset;
      this.backlog = new ReplicationBuffer(this.backlogSize, info.offset);
      this.master.streamDb = info.streamDb;
      return;
    }
    this.flush();
    this.replid2 = info.replid;
    this.secondReplOffset = info.offset + 1;
    this.offset += info.offset;
    this.backlog!.rebase(info.offset);
    this.lastBacklogUse = Date.now();
  }

  // ------------------------------------------------------------ master side

  /** SYNC and PSYNC: a partial resync from the backlog when the history allows, a full one otherwise. */
  sync(client: Client, replid: string | undefined, from: number, failover = false): Reply {
    if (client.replicaLink?.attached) return NO_REPLY;
    if (failover) this.failoverRequested(client, replid!);
    if (this.failoverState !== 'no-failover') throw new ReplyError("NOMASTERLINK Can't SYNC while failing over");
    if (this.master !== undefined && this.master.state !== 'connected') {
      throw new ReplyError("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    const link = (client.replicaLink ??= new ReplicaLink(client));
    // A filtered snapshot is never written to disk, where it would pass for a backup: it needs a disk-less transfer.
    if (link.include !== 'everything' && !link.capaEof) throw new ReplyError('ERR Filtered replica requires EOF capability');
    this.flush();
    if (replid === undefined) {
      link.oldSync = true;
    } else if (this.partialResync(link, replid, from)) {
      return NO_REPLY;
    } else if (replid !== '?') {
      this.syncPartialErr++;
    }
    this.syncFull++;
    if (this.backlog === undefined) {
      // The first replica: a new history starts here, with a new id.
      this.replid = newReplid();
      this.clearReplid2();
      this.backlog = new ReplicationBuffer(this.backlogSize, this.offset);
    }
    link.state = 'wait_bgsave';
    link.waitingSince = Date.now();
    this.attach(link);
    this.server.log('notice', `Replica ${link.name} asks for synchronization`);
    if (this.syncing?.file !== undefined) this.joinDiskSync(link, this.syncing);
    else this.startSyncIfDue();
    return NO_REPLY;
  }

  /**
   * As Redis: a replica that comes while a disk-based snapshot is made for
   * others shares it, if it takes what they take: the buffer holds the
   * stream since that snapshot's moment for them, so for it too.
   */
  private joinDiskSync(link: ReplicaLink, syncing: NonNullable<Replication['syncing']>): void {
    // The buffer holds the stream since the snapshot's moment only while a replica it feeds waits for it.
    const other = syncing.links.find((l) => l.attached && (!l.rdbOnly || link.rdbOnly));
    if (other === undefined || other.include !== link.include || (other.capaEof && !link.capaEof) || (other.capaPsync2 && !link.capaPsync2)) {
      this.server.log('notice', "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      return;
    }
    this.startSnapshotFor(link, syncing.offset);
    if (!link.oldSync) link.client.queue(`+FULLRESYNC ${this.replid} ${syncing.offset}\r\n`);
    link.client.flush();
    syncing.links.push(link);
    this.server.log('notice', 'Waiting for end of BGSAVE for SYNC');
  }

  private partialResync(link: ReplicaLink, replid: string, from: number): boolean {
    const known = replid === this.replid || (replid === this.replid2 && from <= this.secondReplOffset);
    const buffer = this.backlog;
    if (!known || buffer === undefined || !buffer.holds(from)) {
      if (replid !== '?') this.server.log('notice', `Partial resynchronization not accepted: replid ${replid}, offset ${from}`);
      return false;
    }
    link.state = 'online';
    link.ackTime = Date.now();
    this.attach(link);
    link.client.queue(link.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n');
    this.feedFrom(link, from - 1);
    link.streaming = true;
    this.sendTo(link);
    this.syncPartialOk++;
    this.server.log('notice', `Partial resynchronization request from ${link.name} accepted. Sending ${buffer.end + 1 - from} bytes of backlog starting from offset ${from}.`);
    return true;
  }

  /** Its snapshot is of `offset`: the stream after it waits in the buffer, unless it wants the snapshot alone. */
  private startSnapshotFor(link: ReplicaLink, offset: number): void {
    link.snapshotStarted = true;
    if (!link.rdbOnly) this.feedFrom(link, offset);
  }

  /** The replica refers to the buffer after `offset` from now on. */
  private feedFrom(link: ReplicaLink, offset: number): void {
    link.sent = offset;
    link.released = offset;
  }

  private attach(link: ReplicaLink): void {
    link.attached = true;
    if (!this.replicas.includes(link)) this.replicas.push(link);
  }

  /**
   * Starts the snapshot for the replicas waiting, unless one is being made
   * or a disk-less sync still waits repl-diskless-sync-delay for more of them.
   */
  startSyncIfDue(): void {
    if (this.syncing !== undefined || this.server.persistence.backgroundBusy) return;
    const pending = this.replicas.filter((l) => l.state === 'wait_bgsave' && !l.snapshotStarted);
    if (pending.length === 0) return;
    // As Redis: one snapshot serves the replicas that want what the first one waiting wants; the others wait for the next.
    const include = pending[0].include;
    const waiting = pending.filter((l) => l.include === include);
    const config = this.server.config;
    // As Redis: disk-less only when every replica takes an `$EOF:` transfer, and always for a filtered snapshot (sync refused the others).
    const toSockets = (config.getBool('repl-diskless-sync') || include !== 'everything') && waiting.every((l) => l.capaEof);
    // A disk-based sync starts at once, as Redis's does: the delay only gathers replicas for one shared stream.
    if (toSockets) {
      const max = config.getNumber('repl-diskless-sync-max-replicas');
      const oldest = Math.min(...waiting.map((l) => l.waitingSince));
      if (!(max > 0 && waiting.length >= max) && Date.now() - oldest < config.getNumber('repl-diskless-sync-delay') * 1000) return;
    }
    // The snapshot is of this moment: the buffer keeps what follows for each replica until it is sent.
    this.flush();
    this.stream.forgetDb();
    for (const link of waiting) {
      this.startSnapshotFor(link, this.offset);
      if (!link.oldSync) link.client.queue(`+FULLRESYNC ${this.replid} ${this.offset}\r\n`);
      link.client.flush();
    }
    this.server.log('notice', `Starting BGSAVE for SYNC with target: ${toSockets ? 'replicas sockets' : 'disk'}`);
    if (toSockets) {
      this.streamSnapshot(waiting, include);
      return;
    }
    const file = path.join(this.server.config.values.dir, `temp-repl-${process.pid}-${++this.syncFiles}.rdb`);
    this.syncing = { links: waiting, file, offset: this.offset };
    this.server.persistence.snapshotInBackground(file, include, (error) => this.syncSnapshotDone(error));
  }

  /**
   * Disk-less: the snapshot goes to the replicas' sockets as it is made,
   * framed by `$EOF:<mark>`; it waits while a replica's socket is behind,
   * and stops when no replica is left to take it.
   */
  private streamSnapshot(links: ReplicaLink[], include: SnapshotContent): void {
    const mark = randomBytes(20).toString('hex');
    // They stay in wait_bgsave while it streams, as Redis's replicas fed by a child's pipe do.
    for (const link of links) {
      link.client.queue(`$EOF:${mark}\r\n`);
      link.client.flush();
    }
    this.syncing = { links, offset: this.offset };
    const send = (bytes: Buffer): void => {
      for (const link of links) if (link.attached) link.client.sendRaw(bytes);
    };
    const behind = (): boolean => {
      const now = Date.now();
      let held = false;
      for (const link of links) if (link.attached && link.holdsTransfer(now)) held = true;
      return held;
    };
    this.server.persistence.snapshotInBackground(send, include, (error) => {
      this.syncing = undefined;
      if (error === undefined) {
        const up = links.filter((l) => l.attached).length;
        this.server.log('warning', `Diskless rdb transfer, done reading from pipe, ${up} replicas still up.`);
        this.server.log('notice', 'Background RDB transfer terminated with success');
      } else if (error instanceof ChildFailed) {
        this.server.log('warning', error.signal === undefined ? 'Background transfer error' : `Background transfer terminated by signal ${error.signal}`);
      }
      for (const link of links) {
        if (!link.attached) continue;
        if (error !== undefined) {
          this.server.log('warning', error instanceof ChildFailed ? 'SYNC failed. BGSAVE child returned an error' : `SYNC failed: ${error.message}`);
          link.client.kill();
          continue;
        }
        link.client.sendRaw(Buffer.from(mark, 'latin1'));
        if (link.rdbOnly) {
          this.rdbTransmitted(link);
          continue;
        }
        // The replica finds the mark at the end of what it read: the stream waits for its first ACK, as in Redis.
        link.state = 'online';
        link.ackTime = Date.now();
        this.server.log('notice', `Synchronization with replica ${link.name} succeeded`);
      }
      this.startSyncIfDue();
    }, behind);
    const child = this.server.persistence.childPid;
    if (child !== -1) this.server.log('notice', `Background RDB transfer started by pid ${child}`);
  }

  private syncSnapshotDone(error: Error | undefined): void {
    const syncing = this.syncing!;
    this.syncing = undefined;
    let rdb: Buffer | undefined;
    try {
      if (error === undefined) rdb = fs.readFileSync(syncing.file!);
    } catch (readError) {
      error = readError as Error;
    }
    fs.rmSync(syncing.file!, { force: true });
    for (const link of syncing.links) {
      if (!link.attached) continue;
      if (rdb === undefined) {
        this.server.log('warning', `SYNC failed: ${error?.message}`);
        link.client.kill();
        continue;
      }
      link.state = 'send_bulk';
      link.client.queue(`$${rdb.length}\r\n`);
      link.client.sendRaw(rdb);
      if (link.rdbOnly) {
        this.rdbTransmitted(link);
        continue;
      }
      link.state = 'online';
      link.ackTime = Date.now();
      this.startStreaming(link);
      this.server.log('notice', `Synchronization with replica ${link.name} succeeded`);
    }
    this.startSyncIfDue();
  }

  /** As Redis: a replica that wanted the snapshot alone has it (once its socket writes it out) and goes. */
  private rdbTransmitted(link: ReplicaLink): void {
    this.server.log('notice', `RDB transfer completed, rdb only replica (${link.name}) should be disconnected asap`);
    link.client.closeAfterReply();
    link.client.flush();
  }

  /** The stream made while a replica's snapshot was prepared and sent: to the replica now, and the rest as it comes. */
  private startStreaming(link: ReplicaLink): void {
    link.streaming = true;
    this.sendTo(link);
  }

  /** REPLCONF ACK <offset>: how far a replica has processed the stream. */
  acknowledged(client: Client, offset: number): void {
    const link = client.replicaLink;
    if (link === undefined || !link.attached) return;
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = Date.now();
    if (link.state === 'online' && !link.streaming) this.startStreaming(link);
    if (this.waiters.length > 0) this.serveWaiters();
    // Not here: failing over disconnects the replica whose command this is.
    if (this.failoverState === 'waiting-for-sync') setImmediate(() => this.checkFailover());
    this.server.shutdownProgress();
  }

  /** INFO mem_total_replication_buffers: the one buffer the backlog and the replicas share. */
  bufferBytes(): number {
    return this.backlog?.memory ?? 0;
  }

  /**
   * INFO mem_replication_backlog and mem_clients_slaves: the shared buffer up
   * to repl-backlog-size is the backlog's, what replicas hold past it theirs,
   * as Redis 7.0 splits it.
   */
  bufferShares(): { backlog: number; replicas: number } {
    const bytes = this.bufferBytes();
    const size = this.backlogSize;
    if (this.replicas.length > 0 && bytes > size) return { backlog: size, replicas: bytes - size };
    return { backlog: bytes, replicas: 0 };
  }

  /**
   * The buffer past what the backlog's size takes: output held for replicas
   * (also for a while after they left, until trimmed), which maxmemory does
   * not count, as Redis's freeMemoryGetNotCountedMemory.
   */
  bufferPastBacklog(): number {
    const buffer = this.backlog;
    return buffer === undefined ? 0 : Math.max(0, buffer.memory - buffer.backlogMemory);
  }

  /** A client went away: if it was a replica, it is one no more. */
  clientClosed(client: Client): void {
    const link = client.replicaLink;
    if (link !== undefined && link.attached) {
      link.attached = false;
      this.replicas.splice(this.replicas.indexOf(link), 1);
      this.server.log('notice', `Connection with replica ${link.name} lost.`);
      if (this.replicas.length === 0) this.lastBacklogUse = Date.now();
      this.trimBuffer();
      const syncing = this.syncing;
      if (syncing !== undefined && syncing.links.includes(link) && syncing.links.every((l) => !l.attached)) {
        if (syncing.file === undefined) {
          this.server.log('warning', 'Diskless rdb transfer, last replica dropped, killing fork child.');
          this.server.persistence.cancelBackgroundSave();
        } else if (!this.server.persistence.savePointsConfigured) {
          // As Redis: nobody needs that file any more, and without save points it is no backup either.
          this.server.persistence.cancelBackgroundSave();
        }
      }
    }
    const waiting = this.waiters.findIndex((w) => w.client === client);
    if (waiting >= 0) {
      clearTimeout(this.waiters[waiting].timer);
      this.waiters.splice(waiting, 1);
    }
  }

  private ackedCount(target: number): number {
    let count = 0;
    for (const link of this.replicas) if (link.state === 'online' && link.ackOffset >= target) count++;
    return count;
  }

  /** WAIT numreplicas timeout: the replicas that acknowledged everything written so far. */
  wait(client: Client, replicas: number, timeoutMs: number): Reply | BlockRequest {
    if (this.master !== undefined) {
      throw new ReplyError('ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.');
    }
    this.flush();
    const target = this.offset;
    const acked = this.ackedCount(target);
    if (acked >= replicas || client.inTransaction) return acked;
    const waiter: Waiter = { client, target, replicas, timer: undefined };
    if (timeoutMs > 0) {
      waiter.timer = setTimeout(() => this.endWait(waiter, this.ackedCount(target)), timeoutMs);
    }
    this.waiters.push(waiter);
    this.requestAcks();
    return BlockRequest.deferred(acked);
  }

  private endWait(waiter: Waiter, count: number): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    this.server.finishWaiting(waiter.client, count);
  }

  private serveWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const count = this.ackedCount(waiter.target);
      if (count >= waiter.replicas) this.endWait(waiter, count);
    }
  }

  /** REPLCONF GETACK * to every replica, in the stream (it counts in the offset, as in Redis). */
  requestAcks(): void {
    this.feed(['REPLCONF', 'GETACK', '*']);
  }

  /** A command for the replicas only, in whatever database the stream is in (GETACK, PING, DEBUG REPLICATE). */
  feed(args: readonly string[]): void {
    if (this.backlog === undefined || this.master !== undefined) return;
    this.stream.appendAnyDb(args);
    this.flushSoon();
  }

  /** min-replicas-to-write is set and fewer replicas than that acknowledged within min-replicas-max-lag. */
  replicasMissing(): boolean {
    const { minReplicasToWrite, minReplicasMaxLag } = this.server.config.values;
    if (minReplicasToWrite === 0 || minReplicasMaxLag === 0 || this.master !== undefined) return false;
    return this.goodReplicas() < minReplicasToWrite;
  }

  private goodReplicas(): number {
    const maxLag = this.server.config.values.minReplicasMaxLag * 1000;
    const now = Date.now();
    let good = 0;
    for (const link of this.replicas) if (link.state === 'online' && now - link.ackTime <= maxLag) good++;
    return good;
  }

  /** A client other than our master wrote `keys` while we are a replica: those with a time to live are ours to expire. */
  writtenLocally(db: Database, keys: readonly KeyRef[]): void {
    for (const { key } of keys) {
      if (!db.expires.has(key)) continue;
      let set = this.localKeys.get(db);
      if (set === undefined) this.localKeys.set(db, (set = new Set()));
      set.add(key);
    }
  }

  /** Expires the replica's own keys whose time came (Redis's expireSlaveKeys). */
  private expireLocalKeys(): void {
    const now = Date.now();
    for (const [db, keys] of this.localKeys) {
      for (const key of keys) {
        if (!db.expires.has(key) || db.expireIfDue(key, now, true)) keys.delete(key);
      }
      if (keys.size === 0) this.localKeys.delete(db);
    }
  }

  /** Once per server cron: PINGs to the replicas, timeouts, delayed syncs, the backlog's time to live. */
  cron(): void {
    this.checkFailover();
    const config = this.server.config;
    const now = Date.now();
    // As Redis: a FAILOVER with a timeout stops the PINGs, which would move the offset the target must reach.
    const failoverTimed = this.failover !== undefined && this.failover.end > 0;
    if (this.master === undefined && this.replicas.length > 0 && !failoverTimed && now - this.lastPing >= config.getNumber('repl-ping-replica-period') * 1000) {
      this.lastPing = now;
      this.feed(['PING']);
    }
    const timeoutMs = config.getNumber('repl-timeout') * 1000;
    const streaming = this.syncing !== undefined && this.syncing.file === undefined ? this.syncing.links : [];
    for (const link of [...this.replicas]) {
      if (link.state === 'online' && !link.oldSync && now - link.ackTime > timeoutMs) {
        this.server.log('warning', `Disconnecting timedout replica (streaming sync): ${link.name}`);
        link.client.kill();
      } else if (link.stalledSince > 0 && streaming.includes(link) && now - link.stalledSince > timeoutMs) {
        // Only a disk-less transfer waits for a replica; one stuck that long would hold it (and the others) forever.
        this.server.log('warning', `Disconnecting timedout replica (full sync): ${link.name}`);
        link.client.kill();
      }
    }
    this.startSyncIfDue();
    this.trimBuffer();
    const ttl = config.getNumber('repl-backlog-ttl') * 1000;
    if (this.backlog !== undefined && this.master === undefined && this.replicas.length === 0 && ttl > 0 && now - this.lastBacklogUse > ttl) {
      // As Redis: a master without replicas for that long frees its backlog and starts a new history when one comes.
      this.backlog = undefined;
      this.replid = newReplid();
      this.clearReplid2();
    }
    if (this.master !== undefined) {
      if (this.localKeys.size > 0) this.expireLocalKeys();
      this.master.cron();
    }
  }

  private clearReplid2(): void {
    this.replid2 = NO_REPLID;
    this.secondReplOffset = -1;
  }

  /** A new history from here on: the old id stays valid as id 2 up to this offset (PSYNC2). */
  shiftReplid(): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = newReplid();
  }

  /** Our master's history: after a full sync we have its id, offset and nothing before. */
  adoptHistory(replid: string, offset: number): void {
    this.replid = replid;
    this.clearReplid2();
    this.offset = offset;
    this.backlog = new ReplicationBuffer(this.backlogSize, offset);
    this.localKeys.clear();
    this.disconnectReplicas();
  }

  /** +CONTINUE with a new id: the master's history moved on (a failover); ours follows. */
  continueAs(replid: string): void {
    if (replid === this.replid) return;
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = replid;
    // Our replicas must learn the new id: they reconnect and continue.
    this.disconnectReplicas();
  }

  disconnectReplicas(): void {
    for (const link of [...this.replicas]) link.client.kill();
  }

  // ------------------------------------------------------------ FAILOVER

  /**
   * FAILOVER [TO host port [FORCE]] [TIMEOUT ms]: writes are paused until
   * the target (or any replica) has acknowledged our whole stream; then we
   * become its replica and our PSYNC carries FAILOVER, which makes it a
   * master continuing our history.
   */
  startFailover(host: string | undefined, port: number, timeoutMs: number, force: boolean): void {
    if (this.failoverState !== 'no-failover') throw new ReplyError('ERR FAILOVER already in progress.');
    if (this.master !== undefined) throw new ReplyError('ERR FAILOVER is not valid when server is a replica.');
    if (this.replicas.length === 0) throw new ReplyError('ERR FAILOVER requires connected replicas.');
    if (force && (timeoutMs === 0 || host === undefined)) {
      throw new ReplyError('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
    }
    if (host !== undefined) {
      const target = this.findReplica(host, port);
      if (target === undefined) throw new ReplyError('ERR FAILOVER target HOST and PORT is not a replica.');
      if (target.state !== 'online') throw new ReplyError('ERR FAILOVER target replica is not online.');
      this.server.log('notice', `FAILOVER requested to ${host}:${port}.`);
    } else {
      this.server.log('notice', 'FAILOVER requested to any replica.');
    }
    this.failover = { host, port, end: timeoutMs > 0 ? Date.now() + timeoutMs : 0, force };
    this.failoverState = 'waiting-for-sync';
    this.server.pause.hold('failover', 'write');
  }

  /** FAILOVER ABORT. */
  abortFailover(why: string): void {
    const failover = this.failover;
    if (failover === undefined) return;
    this.server.log('notice', `FAILOVER to ${failover.host === undefined ? 'any replica' : `${failover.host}:${failover.port}`} aborted: ${why}`);
    if (this.failoverState === 'failover-in-progress') this.promote('failover aborted');
    this.clearFailover();
  }

  private clearFailover(): void {
    this.failover = undefined;
    this.failoverState = 'no-failover';
    this.server.pause.unpause('failover');
  }

  private findReplica(host: string, port: number): ReplicaLink | undefined {
    return this.replicas.find((l) => l.ip === host && l.listeningPort === port);
  }

  /** While writes wait: has the target caught up (or the time run out)? From the cron and after acknowledgements. */
  private checkFailover(): void {
    const failover = this.failover;
    if (this.failoverState !== 'waiting-for-sync' || failover === undefined) return;
    if (failover.end > 0 && Date.now() >= failover.end) {
      if (!failover.force) {
        this.abortFailover('Replica never caught up before timeout');
        return;
      }
      this.server.log('notice', `FAILOVER to ${failover.host}:${failover.port} time out exceeded, failing over.`);
      this.failoverTo(failover.host!, failover.port);
      return;
    }
    this.flush();
    const target = failover.host !== undefined
      ? this.findReplica(failover.host, failover.port)
      : this.replicas.find((l) => l.state === 'online' && l.ackOffset === this.offset);
    if (target === undefined || target.ackOffset !== this.offset) return;
    failover.host = target.ip;
    failover.port = target.listeningPort;
    this.server.log('notice', `Failover target ${failover.host}:${failover.port} is synced, failing over.`);
    this.failoverTo(failover.host, failover.port);
  }

  private failoverTo(host: string, port: number): void {
    this.failoverState = 'failover-in-progress';
    this.follow(host, port);
    this.server.config.set('replicaof', `${host} ${port}`, { startup: true });
  }

  /** The answer to our PSYNC ... FAILOVER: the target took over (or not). */
  failoverAnswered(accepted: boolean): void {
    if (this.failoverState !== 'failover-in-progress') return;
    if (accepted) this.clearFailover();
    else this.abortFailover('Failover target rejected psync request');
  }

  /** PSYNC <replid> <offset> FAILOVER: our master hands over to us, if we follow its history. */
  private failoverRequested(client: Client, replid: string): void {
    this.server.log('warning', `Failover request received for replid ${replid}.`);
    if (this.master === undefined) throw new ReplyError("ERR PSYNC FAILOVER can't be sent to a master.");
    if (replid !== this.replid) throw new ReplyError('ERR PSYNC FAILOVER replid must match my replid.');
    this.promote(`failover request from '${client.describe()}'`);
    this.server.config.set('replicaof', 'no one', { startup: true });
  }

  // ------------------------------------------------------------ roles

  /** REPLICAOF host port: from now on a replica of that master. */
  /** REPLICAOF host port; at start-up (`connectNow` false) the cron connects once the data is loaded, as in Redis. */
  follow(host: string, port: number, connectNow = true): void {
    const previous = this.master;
    previous?.close();
    for (const waiter of this.waiters) clearTimeout(waiter.timer);
    this.waiters.length = 0;
    this.server.unblockAllForRoleChange();
    this.flush();
    this.stream.dropOpen();
    // As Redis, our replicas stay: they continue with us if the new master continues our history,
    // and are dropped when it gives us another one (a full sync's load, a +CONTINUE with a new id).
    this.master = new MasterLink(this.server, this, host, port);
    // A partial resync with the new master continues the stream where the old one left it.
    if (previous !== undefined) this.master.streamDb = previous.streamDb;
    this.server.replicaStateChanged();
    if (connectNow) this.master.start();
    this.server.log('notice', `Connecting to MASTER ${host}:${port}`);
  }

  /** REPLICAOF NO ONE: a master again, with a new history that continues the old one. */
  promote(reason: string): void {
    if (this.master === undefined) return;
    this.master.close();
    this.master = undefined;
    this.localKeys.clear();
    this.shiftReplid();
    // Our replicas must learn the new id: they reconnect and continue by partial resync.
    this.disconnectReplicas();
    this.stream.forgetDb();
    this.lastBacklogUse = Date.now();
    this.server.replicaStateChanged();
    this.server.log('notice', `MASTER MODE enabled (${reason})`);
  }

  // ------------------------------------------------------------ introspection

  /** INFO replication, field by field as Redis prints them. */
  info(): Record<string, string | number> {
    const out: Record<string, string | number> = { role: this.master === undefined ? 'master' : 'slave' };
    const master = this.master;
    if (master !== undefined) {
      const now = Date.now();
      out.master_host = master.host;
      out.master_port = master.port;
      out.master_link_status = master.state === 'connected' ? 'up' : 'down';
      out.master_last_io_seconds_ago = master.state === 'connected' ? Math.floor((now - master.lastIo) / 1000) : -1;
      out.master_sync_in_progress = master.state === 'transfer' ? 1 : 0;
      out.slave_read_repl_offset = master.readOffset;
      out.slave_repl_offset = this.offset;
      if (master.state === 'transfer') {
        const total = master.transferSize;
        out.master_sync_total_bytes = total;
        out.master_sync_read_bytes = master.transferRead;
        out.master_sync_left_bytes = total - master.transferRead;
        out.master_sync_perc = (total > 0 ? (master.transferRead / total) * 100 : 0).toFixed(2);
        out.master_sync_last_io_seconds_ago = Math.floor((now - master.lastIo) / 1000);
      }
      if (master.state !== 'connected') out.master_link_down_since_seconds = master.downSince === 0 ? -1 : Math.floor((now - master.downSince) / 1000);
      out.slave_priority = this.server.config.getNumber('replica-priority');
      out.slave_read_only = this.server.config.getBool('replica-read-only') ? 1 : 0;
      out.replica_announced = this.server.config.getBool('replica-announced') ? 1 : 0;
    }
    out.connected_slaves = this.replicas.length;
    const { minReplicasToWrite, minReplicasMaxLag } = this.server.config.values;
    if (minReplicasToWrite > 0 && minReplicasMaxLag > 0) out.min_slaves_good_slaves = this.goodReplicas();
    this.replicas.forEach((link, i) => {
      const lag = link.state === 'online' ? Math.floor((Date.now() - link.ackTime) / 1000) : 0;
      out[`slave${i}`] = `ip=${link.ip},port=${link.listeningPort},state=${link.state},offset=${link.ackOffset},lag=${lag}`;
    });
    const backlog = this.backlog;
    Object.assign(out, {
      master_failover_state: this.failoverState,
      master_replid: this.replid,
      master_replid2: this.replid2,
      master_repl_offset: this.offset,
      second_repl_offset: this.secondReplOffset,
      repl_backlog_active: backlog === undefined ? 0 : 1,
      repl_backlog_size: this.backlogSize,
      repl_backlog_first_byte_offset: backlog === undefined ? 0 : backlog.firstOffset,
      repl_backlog_histlen: backlog === undefined ? 0 : backlog.histlen,
    });
    return out;
  }

  /** ROLE. */
  role(): Reply {
    const master = this.master;
    if (master === undefined) {
      const replicas = this.replicas.filter((l) => l.state === 'online').map((l) => [l.ip, String(l.listeningPort), String(l.ackOffset)]);
      return ['master', this.offset, replicas];
    }
    const state = { connect: 'connect', connecting: 'connecting', handshake: 'handshake', transfer: 'sync', connected: 'connected' }[master.state];
    return ['slave', master.host, master.port, state, master.state === 'connected' ? this.offset : -1];
  }
}
