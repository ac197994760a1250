/**
 * The replica side: the connection to our master. It runs Redis's
 * handshake (PING, AUTH with masterauth/masteruser, REPLCONF listening-port
 * and capabilities, PSYNC), loads the snapshot of a full resync, then
 * applies the stream as commands of the master client, acknowledging the
 * processed offset every second. A dropped link is retried each second with
 * a partial resync from where we were.
 */
import net from 'node:net';
import { encodeCommand, parseCommands } from '../persistence/aof.js';
import type { Client } from '../server/client.js';
import { ReplyError } from '../errors.js';
import { findCommand, resolveCommand } from '../commands/table.js';
import type { Server } from '../server/server.js';
import type { Replication } from './replication.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

const CRLF = Buffer.from('\r\n');

export class MasterLink {
  state: LinkState = 'connect';
  /** When the link last received anything (INFO master_last_io_seconds_ago, repl-timeout). */
  lastIo = Date.now();
  /** When the link went down (0: it was never up). */
  downSince = 0;
  /** Size of the snapshot being received (0 until known, or for an `$EOF:` transfer). */
  transferSize = 0;
  transferRead = 0;
  /**
   * A disk-less load (repl-diskless-load swapdb, or on-empty-db with no
   * keys) of the `$EOF:` payload being received: `async` when the master
   * continues the history we have (the old data is served meanwhile, as
   * Redis's async loading does), `sync` otherwise (commands get -LOADING).
   * The old data stays until the new one is complete either way.
   */
  loading: 'sync' | 'async' | undefined;
  /** Whether that load is into a temporary dataset (swapdb), which a failed transfer discards. */
  private loadingAside = false;
  /** The master's commands run as this client while the link is up. */
  client: Client | undefined;
  private socket: net.Socket | undefined;
  private input: Buffer = Buffer.alloc(0);
  /** The complete commands of the input being applied, and where each ends in it; reused from read to read. */
  private readonly batch: string[][] = [];
  private readonly batchEnds: number[] = [];
  /** Replies the handshake still waits for, each with what to do with it. */
  private expected: ((line: string) => void)[] = [];
  private transfer: { chunks: Buffer[]; tail: Buffer; eofMark: string | undefined; replid: string; offset: number } | undefined;
  private retryAt = 0;
  private lastAck = 0;
  private closed = false;
  /** The database the master's stream last selected, kept across a partial resync (and a restart: the RDB file records it). */
  private db = 0;

  constructor(
    private readonly server: Server,
    private readonly replication: Replication,
    readonly host: string,
    readonly port: number,
  ) {}

  /** The database the master's stream is in. */
  get streamDb(): number {
    return this.client?.db.id ?? this.db;
  }

  set streamDb(db: number) {
    this.db = db;
  }

  /** CLIENT PAUSE ended: the stream it held back is applied now. */
  resumeStream(): void {
    if (this.state === 'connected' && this.input.length > 0) this.applyStream();
  }

  /** slave_read_repl_offset: what was read of the stream, applied or not. */
  get readOffset(): number {
    return this.replication.offset + (this.state === 'connected' ? this.input.length : 0);
  }

  start(): void {
    if (this.closed) return;
    this.state = 'connecting';
    this.lastIo = Date.now();
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => this.handshake());
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => {
      if (this.state === 'connecting') this.server.log('warning', `Error condition on socket for SYNC: ${error.message}`);
    });
    // The master's FIN counts at once, not when 'close' comes after it (a later phase of the event loop): a command read
    // meanwhile would still see the link up.
    socket.on('end', () => this.dropped(socket));
    socket.on('close', () => this.dropped(socket));
  }

  /** REPLICAOF elsewhere or NO ONE: the link goes for good. */
  close(): void {
    this.closed = true;
    this.keepDb();
    this.client?.kill();
    this.socket?.destroy();
  }

  /** The stream's database outlives the master's client: a partial resync continues in it, with no SELECT. */
  private keepDb(): void {
    if (this.client !== undefined) this.db = this.client.db.id;
  }

  private send(args: readonly string[]): void {
    this.socket?.write(Buffer.from(encodeCommand(args), 'latin1'));
  }

  private dropped(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    socket.destroy();
    if (this.loading !== undefined) {
      // As Redis reading the payload from the socket: the load fails, and the old data, which the
      // partial one never replaced, stays (Redis's temporary swapdb dataset is discarded).
      this.loading = undefined;
      this.server.log('warning', 'Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF reading RDB file. Failure loading rdb format from socket, assuming connection error, resuming operation.');
      this.server.log('warning', 'Failed trying to load the MASTER synchronization DB from socket: Unexpected EOF');
      if (this.loadingAside) this.server.log('notice', 'MASTER <-> REPLICA sync: Discarding temporary DB in background');
    }
    this.keepDb();
    this.client?.kill();
    this.client = undefined;
    this.transfer = undefined;
    this.expected = [];
    this.input = Buffer.alloc(0);
    const wasConnected = this.state === 'connected';
    const wasTransfer = this.state === 'transfer';
    this.state = 'connect';
    this.retryAt = Date.now() + 1000;
    if (wasConnected) {
      this.downSince = Date.now();
      this.server.log('notice', 'Connection with master lost.');
      this.server.replicaStateChanged();
      // As Redis 7.0: at once, not at the next retry (the backlog may be overwritten meanwhile).
      this.reconnectNow('');
    } else if (wasTransfer) {
      // As Redis's cancelReplicationHandshake(1): a transfer cut short is tried again at once.
      this.reconnectNow(' after failure');
    }
  }

  private reconnectNow(why: string): void {
    if (this.closed) return;
    this.server.log('notice', `Reconnecting to MASTER ${this.host}:${this.port}${why}`);
    setImmediate(() => {
      if (this.state === 'connect' && !this.closed) this.start();
    });
  }

  /** Gives the link up and tries again in a second. */
  private fail(why: string): void {
    this.server.log('warning', why);
    this.socket?.destroy();
  }

  private handshake(): void {
    this.state = 'handshake';
    this.server.log('notice', 'MASTER <-> REPLICA sync started');
    const config = this.server.config;
    const steps: [string[], (line: string) => void][] = [];
    // PING first: an error other than an authentication one means the master cannot serve us.
    steps.push([['PING'], (line) => {
      if (line.startsWith('-') && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(line)) this.fail(`Error reply to PING from master: '${line}'`);
    }]);
    const password = config.get('masterauth') ?? '';
    if (password !== '') {
      const user = config.get('masteruser') ?? '';
      steps.push([user !== '' ? ['AUTH', user, password] : ['AUTH', password], (line) => {
        if (line.startsWith('-')) this.fail(`Unable to AUTH to MASTER: ${line}`);
      }]);
    }
    const announcedPort = config.getNumber('replica-announce-port');
    steps.push([['REPLCONF', 'listening-port', String(announcedPort || this.server.port)], () => {}]);
    const announcedIp = config.get('replica-announce-ip') ?? '';
    if (announcedIp !== '') steps.push([['REPLCONF', 'ip-address', announcedIp], () => {}]);
    steps.push([['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], () => {}]);
    const replication = this.replication;
    const psync = replication.backlog !== undefined ? [replication.replid, String(replication.offset + 1)] : ['?', '-1'];
    // A master handing over (FAILOVER) asks its target to become the master it then follows.
    if (replication.failoverState === 'failover-in-progress') psync.push('FAILOVER');
    steps.push([['PSYNC', ...psync], (line) => this.psyncReply(line)]);
    // One command at a time, as Redis sends them: each waits for the previous reply.
    const next = (): void => {
      const step = steps.shift();
      if (step === undefined || this.socket === undefined || this.socket.destroyed) return;
      this.expected.push((line) => {
        step[1](line);
        next();
      });
      this.send(step[0]);
    };
    next();
  }

  private psyncReply(line: string): void {
    this.replication.failoverAnswered(line.startsWith('+FULLRESYNC') || line.startsWith('+CONTINUE'));
    if (this.closed) return;
    if (line.startsWith('+FULLRESYNC')) {
      const [, replid, offset] = line.split(' ');
      this.server.log('notice', `Full resync from master: ${replid}:${offset}`);
      this.state = 'transfer';
      this.transferSize = 0;
      this.transferRead = 0;
      this.transfer = { chunks: [], tail: Buffer.alloc(0), eofMark: undefined, replid, offset: Number(offset) };
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      const replid = line.split(' ')[1];
      if (replid !== undefined && replid.length === 40) this.replication.continueAs(replid);
      this.server.log('notice', 'MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      this.connected();
      return;
    }
    this.fail(`Unexpected reply to PSYNC from master: ${line}`);
  }

  private connected(): void {
    this.state = 'connected';
    this.client = this.server.masterClient(this.socket!);
    this.client.db = this.server.keyspace.dbs[this.db] ?? this.server.keyspace.dbs[0];
    this.server.replicaStateChanged();
    // At once: a master that sent a disk-less snapshot starts the stream on this first ACK.
    this.sendAck();
  }

  private received(chunk: Buffer): void {
    this.lastIo = Date.now();
    this.server.stats.readsProcessed++;
    this.server.stats.netReplInputBytes += chunk.length;
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (this.socket !== undefined && this.input.length > 0) {
      if (this.state === 'handshake') {
        // A master that cannot start the sync yet (repl-diskless-sync-delay) keeps the link alive with
        // newlines before it answers PSYNC, as it does before the snapshot: they are no reply.
        this.input = this.input.subarray(leadingNewlines(this.input));
        const end = this.input.indexOf(CRLF);
        if (end < 0) return;
        const line = this.input.toString('latin1', 0, end);
        this.input = this.input.subarray(end + 2);
        this.expected.shift()?.(line);
      } else if (this.state === 'transfer') {
        if (!this.receiveSnapshot()) return;
      } else if (this.state === 'connected') {
        this.applyStream();
        return;
      } else {
        return;
      }
    }
  }

  /** Reads the snapshot's header and payload; true when there is more input to go on with. */
  private receiveSnapshot(): boolean {
    const transfer = this.transfer!;
    if (this.transferSize === 0 && transfer.eofMark === undefined) {
      // The master sends newlines to keep the link alive while it prepares the snapshot.
      this.input = this.input.subarray(leadingNewlines(this.input));
      const end = this.input.indexOf(CRLF);
      if (end < 0) return false;
      const header = this.input.toString('latin1', 0, end);
      this.input = this.input.subarray(end + 2);
      if (header.startsWith('$EOF:')) {
        transfer.eofMark = header.slice(5);
        this.startDisklessLoad(transfer.replid);
      } else if (/^\$\d+$/.test(header)) this.transferSize = Number(header.slice(1));
      else {
        this.fail(`Bad protocol from MASTER, the first byte is not '$' (we received '${header}'), are you sure the host and port are right?`);
        return false;
      }
      if (this.transferSize === 0 && transfer.eofMark === undefined) return true;
    }
    if (transfer.eofMark === undefined) {
      const take = Math.min(this.input.length, this.transferSize - this.transferRead);
      transfer.chunks.push(this.input.subarray(0, take));
      this.transferRead += take;
      this.input = this.input.subarray(take);
      if (this.transferRead < this.transferSize) return false;
      this.loadSnapshot(Buffer.concat(transfer.chunks));
      return true;
    }
    // Disk-less: the payload ends with the 40-byte mark of the header; only the tail is looked at (the payload may be large).
    const chunk = this.input;
    transfer.chunks.push(chunk);
    this.transferRead += chunk.length;
    this.input = Buffer.alloc(0);
    const mark = transfer.eofMark;
    transfer.tail = chunk.length >= mark.length ? chunk.subarray(chunk.length - mark.length) : Buffer.concat([transfer.tail, chunk]).subarray(-mark.length);
    if (transfer.tail.length < mark.length || transfer.tail.toString('latin1') !== mark) return false;
    const all = Buffer.concat(transfer.chunks);
    this.loadSnapshot(all.subarray(0, all.length - mark.length));
    return true;
  }

  private startDisklessLoad(replid: string): void {
    const mode = this.server.config.get('repl-diskless-load');
    if (mode !== 'swapdb' && !(mode === 'on-empty-db' && this.server.keyspace.dbs.every((db) => db.size === 0))) return;
    this.loading = mode === 'swapdb' && replid === this.replication.replid ? 'async' : 'sync';
    this.loadingAside = mode === 'swapdb';
    this.server.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
  }

  private loadSnapshot(rdb: Buffer): void {
    const transfer = this.transfer!;
    this.transfer = undefined;
    const disklessLoad = this.loading !== undefined;
    if (!disklessLoad) this.server.log('notice', `MASTER <-> REPLICA sync: Loading DB in memory (${rdb.length} bytes)`);
    this.loading = undefined;
    try {
      this.server.persistence.loadFromMaster(rdb);
    } catch (error) {
      this.fail(`Failed trying to load the MASTER synchronization DB from ${disklessLoad ? 'socket' : 'disk'}: ${(error as Error).message}`);
      return;
    }
    this.replication.adoptHistory(transfer.replid, transfer.offset);
    this.server.log('notice', 'MASTER <-> REPLICA sync: Finished with success');
    this.db = 0;
    this.connected();
  }

  /** Runs every complete command of the input, counting each in the offset, and passes the bytes on to our replicas. */
  private applyStream(): void {
    const input = this.input;
    const client = this.client!;
    const keyspace = this.server.keyspace;
    let at = 0;
    // The master decides when keys expire: its commands see them as it does.
    keyspace.expiryIgnored = true;
    const batch = this.batch;
    const ends = this.batchEnds;
    // Parsed whole first, so that the keys are looked up back to back (see Database.prefetch):
    // a replica applying a pipelined master's stream pays its cache misses as the master does.
    const end = parseCommands(input, 0, (args, commandEnd) => {
      batch.push(args);
      ends.push(commandEnd);
    });
    const count = batch.length;
    let i = 0;
    try {
      if (count > 1) client.db.prefetch(batch);
      for (; i < count; i++) {
        const args = batch[i];
        // As Redis, CLIENT PAUSE on a replica holds its master's writes too (all commands under ALL):
        // they are read (slave_read_repl_offset) but wait to be applied (slave_repl_offset) until it ends.
        if (this.server.pause.type !== 'off' && this.server.pause.holds(mayReplicate(args))) break;
        const reply = this.server.execute(client, args);
        if (reply instanceof ReplyError) this.unexpectedError(args[0], reply);
        this.replication.offset += ends[i] - at;
        at = ends[i];
        if (this.client !== client) break;
      }
    } finally {
      keyspace.expiryIgnored = false;
      batch.length = 0;
      ends.length = 0;
    }
    if (this.client !== client) return;
    // A bad command after ones a pause holds is met once they have run, as when the parse stopped at them.
    if (end.kind === 'format' && i === count) {
      this.fail('Protocol error in the replication stream from the master');
      return;
    }
    if (at > 0) this.replication.passOn(input.subarray(0, at));
    this.input = input.subarray(at);
    this.db = client.db.id;
    this.server.beforeReplies();
  }

  /**
   * The master's command failed here: the data sets may have diverged. Logged
   * as Redis logs it; propagation-error-behavior panic(-on-replicas) stops a
   * read-only replica instead.
   */
  private unexpectedError(name: string, error: ReplyError): void {
    const command = findCommand(name) === undefined ? '<unknown>' : name.toLowerCase();
    this.server.log('warning', `== CRITICAL == This replica is sending an error to its master: '${error.message.slice(0, 4096)}' after processing the command '${command}'`);
    this.server.stats.unexpectedErrorReplies++;
    const behavior = this.server.config.get('propagation-error-behavior');
    if (behavior !== 'ignore' && this.server.config.getBool('replica-read-only')) {
      throw new Error(`This replica panicked sending an error to its master after processing the command '${command}'`);
    }
  }

  /** REPLCONF ACK with the offset processed, now (REPLCONF GETACK) or once a second (cron). */
  sendAck(): void {
    if (this.state !== 'connected') return;
    this.lastAck = Date.now();
    this.send(['REPLCONF', 'ACK', String(this.replication.offset)]);
  }

  cron(): void {
    const now = Date.now();
    if (this.state === 'connect') {
      if (now >= this.retryAt) this.start();
      return;
    }
    if (now - this.lastIo > this.server.config.getNumber('repl-timeout') * 1000) {
      this.fail(this.state === 'connected' ? 'MASTER timeout: no data nor PING received...' : 'Timeout connecting to the MASTER...');
      return;
    }
    if (this.state === 'connected' && now - this.lastAck >= 1000) this.sendAck();
  }
}

/** How many keep-alive newlines `input` starts with. */
function leadingNewlines(input: Buffer): number {
  let at = 0;
  while (at < input.length && input[at] === 10) at++;
  return at;
}

/** Whether a command of the stream may change data (CLIENT PAUSE WRITE holds those). */
function mayReplicate(args: string[]): boolean {
  const resolved = resolveCommand(args);
  return resolved instanceof ReplyError || resolved.mayReplicate;
}
