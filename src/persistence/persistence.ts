/**
 * Persistence: the RDB snapshot (SAVE, BGSAVE, save points, loading) and the
 * append-only file (propagation of write commands, fsync, replay, rewrite),
 * as the server drives them. The formats live in rdb.ts, snapshot.ts and
 * aof.ts; this is when and where they are used.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { CommandContext, CommandSpec } from '../commands/types.js';
import type { Reply } from '../protocol/reply.js';
import { RequestReader } from '../protocol/request.js';
import type { Keyspace } from '../store/keyspace.js';
import type { LogLevel } from '../server/logger.js';
import { AppendOnlyFile, encodeCommand, Manifest, ManifestError, parseCommands, tempIncrName, writeFileDurably, type FsyncPolicy, type ParseEnd } from './aof.js';
import { Crc64, dumpValue } from './rdb.js';
import { loadSnapshot, loadSnapshotBytes, snapshotSteps, SnapshotError, SnapshotWriter, type FunctionLibraries, type LoadMode, type LoadOptions, type LoadStats, type ReplicationInfo, type SnapshotContent } from './snapshot.js';
import { ChildFailed, commitFile, SaveChild, type ChildTarget, type ChildEnd } from './save-child.js';
import { KeyDelay } from '../util/sleep.js';
import { BitString } from '../store/database.js';

/**
 * How long a background snapshot's step may hold the event loop: every client
 * waits for it once per turn of the loop, so it is about the latency a BGSAVE adds.
 */
const BACKGROUND_STEP_MS = 1;

/** A failure at start-up already logged with Redis's lines: the server exits with status 1 and nothing more. */
export class FatalLogged extends Error {}

/** A background snapshot under way. */
interface BackgroundJob {
  readonly writer: SnapshotWriter;
  /** The child writing it to a file, or relaying it to the replicas of a disk-less sync. */
  readonly child: SaveChild;
  readonly done: (file?: string) => void;
  readonly failed: (error: unknown) => void;
  readonly startedAt: number;
  /** Told when the job is stopped before it ends (a disk-less sync's replicas). */
  cancelled?: () => void;
}

/** A child's file, and where it goes once complete (without `final` it stays where it is). */
type ChildFile = Exclude<ChildTarget, { readonly relay: unknown }> & { readonly final?: string };

/** What persistence needs from the server. */
export interface PersistenceHost {
  readonly keyspace: Keyspace;
  readonly config: Config;
  log(level: LogLevel, message: string): void;
  /** The function libraries, which RDB files carry along with the keys. */
  readonly functions?: FunctionLibraries;
  /** A function that runs a command read from an append-only file, as a client without a connection. */
  replayer(): (args: string[]) => void;
  /** Whether `name` (lower case) is a command, which an append-only file may contain. */
  isCommand(name: string): boolean;
  /** Receives every propagated command too (the replication stream). */
  readonly follower: PropagationFollower;
  /** Whether an EXEC is running its queued commands (Redis's in_exec): a rewrite asked for then is only scheduled. */
  inExec(): boolean;
  /** A save child started (oom-score-adj gives it the background class). */
  childStarted(pid: number): void;
  /** INFO's used_memory, which a snapshot's header records. */
  usedMemory(): number;
}

/** Where propagated commands go besides the append-only file. */
export interface PropagationFollower {
  /** Whether appended commands go anywhere (there are replicas to feed): if not, nothing is worked out for it. */
  readonly listening: boolean;
  append(db: number, args: readonly string[]): void;
  begin(): void;
  end(): void;
  /** What a snapshot records of the replication history (none when there is none to continue). */
  saveInfo(): ReplicationInfo | undefined;
  /** Start-up, before the snapshot file loads: a master gets ready to propagate the deletion of keys found expired. */
  startupLoading(): void;
  /** Start-up, after it loaded: the history the file recorded, if any, to continue by partial resync. */
  startupLoaded(info: ReplicationInfo | undefined): void;
}

/** INFO's loading_* fields: when the start-up load began, how big it is, how far it got. */
export interface LoadingProgress {
  startTime: number;
  totalBytes: number;
  loadedBytes: number;
  /** The used-mem the file's writer recorded (0 until read): Redis's estimate of the size when the total is unknown. */
  rdbUsedMem: number;
}

export class Persistence {
  /** Unix time of the last successful save (LASTSAVE). */
  lastSave = Math.floor(Date.now() / 1000);
  /** Whether the last save succeeded (INFO rdb_last_bgsave_status). */
  lastSaveOk = true;
  /** Background snapshots and rewrites started, where Redis forks a child for each (INFO total_forks). */
  backgroundJobs = 0;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION 1: RESTORE and RDB loads do not look at checksums. */
  skipChecksumValidation = false;
  /** What the last load of the snapshot file did (INFO's rdb_last_load_keys_loaded and _expired). */
  lastLoad: LoadStats = { loaded: 0, expired: 0, emptySkipped: 0 };
  /** The start-up load under way (clients get -LOADING; INFO shows its progress), or undefined. */
  loading: LoadingProgress | undefined;
  /** When the last save was tried: after a failure, save points wait a while before trying again. */
  private lastSaveAttempt = 0;
  private readonly keyspace: Keyspace;
  private readonly config: Config;

  constructor(private readonly host: PersistenceHost) {
    this.keyspace = host.keyspace;
    this.config = host.config;
    // Keys that expire or are evicted go from the append-only file too, as DELs.
    this.keyspace.onKeyDropped((db, key) => {
      if (this.replaying) return;
      this.incr.append(db.id, ['DEL', key]);
      this.host.follower.append(db.id, ['DEL', key]);
    });
    // A BGSAVE still reading a database that FLUSHALL or SWAPDB is about to change finishes first.
    this.keyspace.onDatabaseReplaced(() => this.backgroundSaveFinish());
    this.config.onChange('appendonly', () => this.setAppendOnly(this.config.getBool('appendonly')));
    this.config.onChange('aof-disable-auto-gc', () => this.autoGcChanged());
  }

  private log(level: LogLevel, message: string): void {
    this.host.log(level, message);
  }

  /** Periodic work (the server's cron): fsync once a second, automatic rewrites, due save points. */
  cron(): void {
    this.beforeReplies();
    this.maybeRewriteAppendOnly();
    if (!this.backgroundSave && this.keyspace.dirty > 0 && (this.lastSaveOk || Date.now() - this.lastSaveAttempt > 5000) && this.savePointDue()) {
      try {
        this.backgroundSaveStart();
      } catch (error) {
        this.saveFailed(error);
      }
    }
  }

  /** At shutdown: what is pending reaches the append-only file. */
  close(): void {
    this.incr.close();
  }

  /** Where SAVE writes and start-up reads: dir/dbfilename. */
  snapshotFile(): string {
    return path.join(this.config.values.dir, this.config.get('dbfilename') ?? 'dump.rdb');
  }

  /** The snapshot being written in the background (BGSAVE, the base of an AOF rewrite, a full resync), if any. */
  private backgroundSave: BackgroundJob | undefined;

  /** How long starting the last save child held the event loop, in microseconds (INFO latest_fork_usec). */
  latestForkUs = 0;

  /** A snapshot is being written in the background, for a BGSAVE or an AOF rewrite: no other can start. */
  get backgroundBusy(): boolean {
    return this.backgroundSave !== undefined;
  }

  /** The pid of the child writing the background snapshot, or -1 (INFO's and the log's child pid). */
  get childPid(): number {
    return this.backgroundSave?.child.pid ?? -1;
  }

  /** INFO's current_save_keys_processed and current_save_keys_total. */
  get saveProgress(): { processed: number; total: number } {
    return this.backgroundSave?.writer.progress ?? { processed: 0, total: 0 };
  }

  /** SAVEs and BGSAVEs started (INFO rdb_saves). */
  rdbSaves = 0;
  /** How long the last background RDB save took, in seconds, or -1 (INFO rdb_last_bgsave_time_sec). */
  rdbLastBgsaveSeconds = -1;

  /** How long the running background RDB save has taken so far, in seconds, or -1 (INFO rdb_current_bgsave_time_sec). */
  get rdbCurrentBgsaveSeconds(): number {
    return this.saveInProgress ? Math.floor((Date.now() - this.backgroundSave!.startedAt) / 1000) : -1;
  }

  /** The background snapshot ended, one way or another. */
  private endJob(): void {
    const job = this.backgroundSave;
    if (job === undefined) return;
    if (this.aofRewriting) {
      this.aofLastCowSize = job.writer.heldBytes;
    } else {
      this.rdbLastBgsaveSeconds = Math.floor((Date.now() - job.startedAt) / 1000);
      this.rdbLastCowSize = job.writer.heldBytes;
    }
    this.backgroundSave = undefined;
  }

  /** What the running background snapshot holds twice (INFO current_cow_size; it only grows, so it is the peak too). */
  get cowSize(): number {
    return this.backgroundSave?.writer.heldBytes ?? 0;
  }

  /** INFO rdb_last_cow_size and aof_last_cow_size: what the last save and the last rewrite held at their end. */
  rdbLastCowSize = 0;
  private aofLastCowSize = 0;

  /** A BGSAVE runs (INFO rdb_bgsave_in_progress); an AOF rewrite is not one. */
  get saveInProgress(): boolean {
    return this.backgroundSave !== undefined && !this.aofRewriting;
  }

  /** SAVE: writes the dataset to the snapshot file now, crash-safely; throws (and logs) on failure. */
  save(): void {
    if (this.backgroundSave) throw new Error('Background save already in progress');
    const started = performance.now();
    this.lastSaveAttempt = Date.now();
    const dirty = this.keyspace.dirty;
    let writer: SnapshotWriter | undefined;
    try {
      writer = new SnapshotWriter(this.keyspace, this.snapshotFile(), {
        libraries: this.host.functions?.libraryCodes(), replication: this.host.follower.saveInfo(), usedMemory: this.host.usedMemory(),
      });
      writer.finish();
    } catch (error) {
      writer?.abandon();
      this.foregroundSaveFailed(error);
      throw error;
    }
    this.saved(dirty, started, 'DB saved on disk');
  }

  /**
   * The final save at shutdown. Redis makes it in the server process, which
   * then does nothing else; here it is made in steps like a BGSAVE (the
   * server pauses writes meanwhile), so that a second SIGINT can still stop
   * the server at once. Its file is temp-<our pid>.rdb, as Redis names it.
   * Success and failure are as SAVE's: `done` gets the error, if any.
   */
  saveBeforeExit(done: (error?: unknown) => void): void {
    const started = performance.now();
    this.lastSaveAttempt = Date.now();
    const dirty = this.keyspace.dirty;
    const failed = (error: unknown): void => {
      this.foregroundSaveFailed(error);
      done(error);
    };
    try {
      this.startBackgroundSnapshot({ name: `temp-${process.pid}.rdb`, final: this.snapshotFile() }, () => {
        this.saved(dirty, started, 'DB saved on disk');
        done();
      }, failed);
    } catch (error) {
      setImmediate(() => failed(error));
    }
  }

  /**
   * BGSAVE: the snapshot of this moment is written in steps of a few
   * milliseconds between the server's other work; commands keep running.
   */
  backgroundSaveStart(): void {
    this.rdbSaves++;
    this.lastSaveAttempt = Date.now();
    const dirtyAtStart = this.keyspace.dirty;
    const started = performance.now();
    this.startBackgroundSnapshot({ final: this.snapshotFile(), prefix: 'temp-', suffix: '.rdb' }, () => {
      // Changes made while the snapshot was written are not in it.
      this.saved(dirtyAtStart, started, 'Background saving terminated with success');
    });
    this.log('notice', `Background saving started by pid ${this.childPid}`);
  }

  /**
   * Writes a snapshot of this moment in steps between commands, then calls
   * `done` with the file written; `failed` if it cannot. To a file, a save
   * child writes the bytes to its temporary file, which then goes to
   * `final` (or stays, without one); or to a function, which takes them as
   * they are made. `aofBase`: the base of an AOF rewrite, which says so
   * and, as in Redis, alone records no replication history. `held`: while
   * true, the next step waits (the replicas a disk-less sync feeds are behind).
   */
  private startBackgroundSnapshot(
    destination: ChildFile | ((bytes: Buffer) => void),
    done: (file?: string) => void,
    failed = (error: unknown): void => this.saveFailed(error),
    aofBase = false,
    held?: () => boolean,
    include: SnapshotContent = 'everything',
  ): void {
    if (this.backgroundSave) throw new Error('Background save already in progress');
    const info = aofBase ? undefined : this.host.follower.saveInfo();
    const child = new SaveChild(this.config.values.dir, typeof destination === 'function' ? { relay: destination } : destination);
    this.latestForkUs = child.spawnUs;
    let writer: SnapshotWriter;
    try {
      const libraries = include === 'nothing' ? [] : this.host.functions?.libraryCodes();
      writer = new SnapshotWriter(this.keyspace, (bytes) => child.write(bytes), {
        libraries, replication: info, withKeys: include === 'everything', aofBase, usedMemory: this.host.usedMemory(),
      });
    } catch (error) {
      child.kill();
      throw error;
    }
    this.host.childStarted(child.pid);
    const job: BackgroundJob = { writer, child, done, failed, startedAt: Date.now() };
    this.backgroundSave = job;
    this.backgroundJobs++;
    child.ended = (end) => this.childEnded(job, end, typeof destination === 'function' ? undefined : destination.final);
    let lastKeyWritten = false;
    const step = (): void => {
      if (this.backgroundSave !== job || writer.written) return;
      try {
        if (held?.() || child.behind) {
          setTimeout(step, 1);
          return;
        }
        // rdb-key-save-delay (microseconds per key, a testing aid): a few keys per millisecond, or one per wait;
        // as in Redis the delay follows every key, the last one too, so a one-key save still takes that long.
        const delayUs = this.config.getNumber('rdb-key-save-delay');
        if (delayUs > 0 && !lastKeyWritten) {
          lastKeyWritten = writer.step(BACKGROUND_STEP_MS, delayUs >= 1000 ? 1 : Math.floor(1000 / delayUs));
          setTimeout(step, Math.max(1, delayUs / 1000));
          return;
        }
        if (delayUs <= 0 && !writer.step(BACKGROUND_STEP_MS)) {
          setImmediate(step);
          return;
        }
        this.snapshotWritten(job);
      } catch (error) {
        this.stopJob(job);
        failed(error);
      }
    };
    setImmediate(step);
  }

  /** Ends a background snapshot before its time: nothing of it is kept, its child is stopped and its file removed. */
  private stopJob(job: BackgroundJob): void {
    this.endJob();
    job.writer.abandon();
    job.child.kill();
  }

  /** Every byte of a background snapshot is made: the child still has to write them and exit (childEnded). */
  private snapshotWritten(job: BackgroundJob): void {
    job.writer.finish();
    job.child.finish();
  }

  /** A save child is gone: its file is made durable and put in place, or the save failed (killed, or its write did). */
  private childEnded(job: BackgroundJob, end: ChildEnd, final: string | undefined): void {
    if (this.backgroundSave !== job) return;
    const file = job.child.file;
    const fail = (error: unknown): void => {
      if (this.backgroundSave !== job) return;
      this.endJob();
      job.writer.abandon();
      if (file !== undefined) fs.rmSync(file, { force: true });
      job.failed(error);
    };
    if (end.code !== 0 || !job.writer.written) {
      fail(new ChildFailed(end));
      return;
    }
    if (file === undefined) {
      this.endJob();
      job.done();
      return;
    }
    commitFile(file, final).then(() => {
      if (this.backgroundSave !== job) return;
      this.endJob();
      job.done(file);
    }, fail);
  }

  /**
   * A snapshot for replicas (a full resync), in the background: to `target`,
   * a file or (disk-less) a function that sends the bytes as they are made,
   * which `held` can make wait; `include` says what of the data it holds;
   * `done` tells how it went.
   */
  snapshotInBackground(target: string | ((bytes: Buffer) => void), include: SnapshotContent, done: (error?: Error) => void, held?: () => boolean): void {
    const destination = typeof target === 'function' ? target : { final: target, prefix: 'temp-', suffix: '.rdb' };
    if (typeof target === 'string') this.rdbSaves++;
    try {
      this.startBackgroundSnapshot(destination, () => done(), (error) => done(error as Error), false, held, include);
      this.backgroundSave!.cancelled = () => done(new Error('Background saving stopped'));
    } catch (error) {
      setImmediate(() => done(error as Error));
    }
  }

  // ------------------------------------------------------------ append-only file

  /** Redis's aof_state: `wait-rewrite` after CONFIG SET appendonly yes, until the first rewrite has written a base. */
  private aofState: 'off' | 'on' | 'wait-rewrite' = 'off';
  /** The manifest as this server last read or wrote it. */
  private manifest = new Manifest();
  private manifestOnDisk = '';
  private readonly incr = new AppendOnlyFile(() => this.config.getBool('aof-timestamp-enabled'));
  private aofRewriting = false;
  /** BGREWRITEAOF while a BGSAVE runs, or appendonly turned on then: the rewrite starts once it can. */
  private aofRewriteScheduled = false;
  private aofRewriteStarted = 0;
  private aofLastRewriteSeconds = -1;
  private aofLastRewriteOk = true;
  /** Rewrites that failed in a row: from three on, automatic rewrites wait (aofRewriteLimited). */
  private aofRewriteFailures = 0;
  private aofLimitDelayMinutes = 0;
  private aofLimitUntil = 0;
  /** Bytes of the base and the increments before the one being written (INFO aof_current_size). */
  private aofSizeBeforeIncr = 0;
  /** Size of the AOF when the last rewrite ended (INFO aof_base_size; automatic rewrites grow from it). */
  private aofRewriteBaseSize = 0;
  /** While an append-only file is being replayed: what it replays must not be appended again. */
  private replaying = false;

  private get aofDir(): string {
    return path.join(this.config.values.dir, this.config.get('appenddirname') ?? 'appendonlydir');
  }

  private get aofFileName(): string {
    return this.config.get('appendfilename') ?? 'appendonly.aof';
  }

  private aofPath(name: string): string {
    return path.join(this.aofDir, name);
  }

  get aofEnabled(): boolean {
    return this.aofState !== 'off';
  }

  /** The first rewrite after CONFIG SET appendonly yes is running: until it ends there is no complete AOF. */
  get writingInitialAof(): boolean {
    return this.aofState === 'wait-rewrite' && this.aofRewriting;
  }

  get aofRewriteInProgress(): boolean {
    return this.aofRewriting;
  }

  set aofFlushSleepUs(us: number) {
    this.incr.flushSleepUs = us;
  }

  /** Rewrites started (INFO aof_rewrites). */
  aofRewrites = 0;

  /** Propagated commands not yet written to the append-only file (INFO mem_aof_buffer). */
  get aofBufferBytes(): number {
    return this.incr.stream.length;
  }

  /** INFO persistence's aof_* fields, as Redis 7.0 lists them. */
  aofInfo(): Record<string, string | number> {
    const now = Date.now();
    const fields: Record<string, string | number> = {
      aof_enabled: this.aofEnabled ? 1 : 0,
      aof_rewrite_in_progress: this.aofRewriting ? 1 : 0,
      aof_rewrite_scheduled: this.aofRewriteScheduled ? 1 : 0,
      aof_last_rewrite_time_sec: this.aofLastRewriteSeconds,
      aof_current_rewrite_time_sec: this.aofRewriting ? Math.floor((now - this.aofRewriteStarted) / 1000) : -1,
      aof_last_bgrewrite_status: this.aofLastRewriteOk ? 'ok' : 'err',
      aof_rewrites: this.aofRewrites,
      aof_rewrites_consecutive_failures: this.aofRewriteFailures,
      aof_last_write_status: 'ok',
      aof_last_cow_size: this.aofLastCowSize,
      module_fork_in_progress: 0,
      module_fork_last_cow_size: 0,
    };
    if (this.config.getBool('appendonly')) {
      Object.assign(fields, {
        aof_current_size: this.aofSizeBeforeIncr + this.incr.size,
        aof_base_size: this.aofRewriteBaseSize,
        aof_pending_rewrite: this.aofRewriteScheduled ? 1 : 0,
        aof_buffer_length: this.incr.stream.length,
        aof_pending_bio_fsync: 0,
        aof_delayed_fsync: 0,
      });
    }
    return fields;
  }

  /** Whether writes go anywhere now (an open append-only file, or replicas): else `propagate` drops them. */
  get propagating(): boolean {
    return !this.replaying && (this.incr.open || this.host.follower.listening);
  }

  /** A write command changed data: the append-only file records it, or what its `propagate` rule gives. */
  propagate(ctx: CommandContext, spec: CommandSpec | undefined, args: string[], reply: Reply): void {
    if (!this.propagating) return;
    const follower = this.host.follower;
    const db = ctx.client.db;
    // redis.set_repl in a script: bit 1 the append-only file, bit 2 the replicas.
    const to = ctx.client.propagateTo ?? 3;
    if (spec?.propagate === undefined) {
      if (to & 1) this.incr.append(db.id, args);
      if (to & 2) follower.append(db.id, args);
      return;
    }
    for (const command of spec.propagate(args, db, reply, ctx)) {
      if (to & 1) this.incr.append(db.id, command);
      if (to & 2) follower.append(db.id, command);
    }
  }

  /** A transaction or script starts: what it propagates until propagationEnd leaves together, in MULTI/EXEC. */
  propagationBegin(): void {
    this.incr.stream.begin();
    this.host.follower.begin();
  }

  propagationEnd(): void {
    this.incr.stream.end();
    this.host.follower.end();
  }

  /** Before any reply of this turn goes out: the commands it executed reach the file (and the disk, with always). */
  beforeReplies(): void {
    this.incr.write((this.config.get('appendfsync') ?? 'everysec') as FsyncPolicy);
  }

  /**
   * Start-up, as Redis's main: the manifest is read (a bad one stops the
   * server), then the append-only files (appendonly yes) or dump.rdb, then the
   * increment to append to is opened (a base written first when there is
   * none) and history files left by an interrupted rewrite go.
   */
  async loadAtStartup(): Promise<void> {
    this.manifest = this.loadManifestFromDisk();
    if (this.config.getBool('appendonly')) {
      this.aofState = 'on';
      const started = performance.now();
      const status = await this.whileLoading((progress, interval) => this.loadAppendOnlyFiles(progress, interval));
      if (status === 'failed') throw new FatalLogged();
      if (status !== 'not-exist') this.log('notice', `DB loaded from append only file: ${seconds(started)} seconds`);
    } else {
      // As Redis: only the snapshot file carries a replication history (an AOF does not).
      const follower = this.host.follower;
      follower.startupLoading();
      const lazy = this.config.getBool('lazyfree-lazy-expire');
      await this.loadSnapshotAtStartup((db, key) => follower.append(db, [lazy ? 'UNLINK' : 'DEL', key]));
      follower.startupLoaded(this.lastLoad.replication);
    }
    this.openAppendOnlyOnStart();
    this.deleteHistoryFiles();
  }

  /** The manifest in the AOF directory, or an empty one when there is none; a bad one is logged as Redis does and stops the server. */
  private loadManifestFromDisk(): Manifest {
    const file = this.aofPath(`${this.aofFileName}.manifest`);
    if (!fs.existsSync(this.aofDir)) {
      this.log('debug', `The AOF directory ${this.aofDir} doesn't exist`);
      return new Manifest();
    }
    if (!fs.existsSync(file)) {
      this.log('debug', `The AOF manifest file ${this.aofFileName}.manifest doesn't exist`);
      return new Manifest();
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (error) {
      this.log('warning', `Fatal error: can't open the AOF manifest file ${file} for reading: ${errnoText(error)}`);
      throw new FatalLogged();
    }
    try {
      const manifest = Manifest.parse(text);
      this.manifestOnDisk = manifest.format();
      return manifest;
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.log('warning', '\n*** FATAL AOF MANIFEST FILE ERROR ***\n');
      if (error.line) {
        this.log('warning', `Reading the manifest file, at line ${error.line.number}\n`);
        this.log('warning', `>>> '${error.line.text}'\n`);
      }
      this.log('warning', `${error.message}\n`);
      throw new FatalLogged();
    }
  }

  /** Writes the manifest if it changed since it was last read or written. */
  private persistManifest(manifest: Manifest): void {
    const text = manifest.format();
    if (text === this.manifestOnDisk) return;
    const name = `${this.aofFileName}.manifest`;
    writeFileDurably(this.aofPath(name), this.aofPath(`temp-${name}`), text);
    this.manifestOnDisk = text;
  }

  /**
   * Loads the base and the increments the manifest names (Redis's
   * loadAppendOnlyFiles), moving an old single-file appendonly.aof into the
   * AOF directory first. Failures are logged with Redis's lines.
   */
  private *loadAppendOnlyFiles(progress: LoadingProgress, interval: number): Generator<void, 'ok' | 'not-exist' | 'empty' | 'failed'> {
    const am = this.manifest;
    const oldStyle = path.join(this.config.values.dir, this.aofFileName);
    if (fs.existsSync(oldStyle)) {
      const interruptedUpgrade =
        am.base !== undefined && am.incr.length === 0 && am.base.name === this.aofFileName && !fs.existsSync(this.aofPath(this.aofFileName));
      if (!fs.existsSync(this.aofDir) || am.empty || interruptedUpgrade) this.upgradeOldStyle(oldStyle);
    }
    if (am.empty) return 'not-exist';
    let total = 0;
    for (const info of am.loadOrder) {
      try {
        total += fs.statSync(this.aofPath(info.name)).size;
      } catch (error) {
        this.log('warning', `Unable to obtain the AOF file ${info.name} length. stat: ${errnoText(error)}`);
        return 'failed';
      }
    }
    if (total === 0) return 'empty';
    this.keyspace.flushAll();
    this.host.functions?.replaceAll([]);
    const files = am.loadOrder;
    progress.totalBytes = total;
    let before = 0;
    for (let i = 0; i < files.length; i++) {
      const info = files[i];
      const last = i === files.length - 1;
      const started = performance.now();
      const status = yield* this.loadSingleFile(info.name, progress, before, interval);
      if (status === 'failed') return 'failed';
      if (status === 'truncated' && !last) {
        this.log('warning', 'Fatal error: the truncated file is not the last file');
        return 'failed';
      }
      this.log('notice', `DB loaded from ${info.type === 'b' ? 'base' : 'incr'} file ${info.name}: ${seconds(started)} seconds`);
      before += fs.statSync(this.aofPath(info.name)).size;
    }
    this.aofSizeBeforeIncr = total;
    this.aofRewriteBaseSize = am.base ? fs.statSync(this.aofPath(am.base.name)).size : 0;
    this.keyspace.dirty = 0;
    return 'ok';
  }

  /** An appendonly.aof of Redis before 7.0 becomes the base of a manifest in the AOF directory (crash-safe: retried at the next start). */
  private upgradeOldStyle(oldStyle: string): void {
    fs.mkdirSync(this.aofDir, { recursive: true });
    const am = this.manifest;
    am.base = { name: this.aofFileName, seq: 1, type: 'b' };
    am.baseSeq = 1;
    this.persistManifest(am);
    fs.renameSync(oldStyle, this.aofPath(this.aofFileName));
    this.log('notice', `Successfully migrated an old-style AOF file (${this.aofFileName}) into the AOF directory (${this.config.get('appenddirname') ?? 'appendonlydir'}).`);
  }

  /**
   * One base or increment: an RDB part if it starts with one, then commands,
   * run as a client would. It yields (for a turn of the event loop) every
   * `interval` bytes of the RDB part and every AOF_EVENTS_EVERY commands, as
   * Redis does; `progress` counts its bytes from `before`.
   */
  private *loadSingleFile(name: string, progress: LoadingProgress, before: number, interval: number): Generator<void, 'ok' | 'empty' | 'truncated' | 'failed'> {
    const file = this.aofPath(name);
    const bytes = fs.readFileSync(file);
    if (bytes.length === 0) return 'empty';
    const oldStyle = name === this.aofFileName;
    let start = 0;
    if (bytes.subarray(0, 5).toString('latin1') === 'REDIS') {
      this.log('notice', oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...');
      const end = rdbEnd(bytes);
      try {
        if (end === undefined) throw new SnapshotError(`Bad RDB file ${file}: no end marker with a valid checksum`, []);
        const options = this.startupLoadOptions(progress);
        yield* tracked(snapshotSteps(this.keyspace, bytes.subarray(0, end), file, this.config.values, interval, this.host.functions, undefined, options), progress, before);
      } catch (error) {
        if (!(error instanceof SnapshotError)) throw error;
        this.log('warning', error.message);
        this.log('warning', oldStyle
          ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
          : `Error reading the RDB base file ${name}, AOF loading aborted`);
        return 'failed';
      }
      start = end;
      if (oldStyle) this.log('notice', 'Reading the remaining AOF tail...');
    }
    const truncatable = this.config.getBool('aof-load-truncated');
    const replay = this.host.replayer();
    let validUpTo = start;
    let validBeforeMulti = start;
    let inMulti = false;
    let unknown: string | undefined;
    const keyDelay = this.config.getNumber('key-load-delay');
    const delay = keyDelay !== 0 ? new KeyDelay(keyDelay) : undefined;
    let commands = 0;
    /** Where the reading stopped for a turn of the event loop, if it did. */
    let paused: number | undefined;
    this.replaying = true;
    // As Redis while loading: a time in the past is set, not acted on, and no key expires half-way,
    // so RPUSH after a past PEXPIREAT adds to the same, expired, list.
    this.keyspace.expiryIgnored = true;
    let end: ParseEnd;
    try {
      for (;;) {
        paused = undefined;
        end = parseCommands(bytes, start, (args, commandEnd) => {
          const command = args[0].toLowerCase();
          if (!this.host.isCommand(command)) {
            unknown = args[0];
            throw new FatalLogged();
          }
          if (command === 'multi') {
            validBeforeMulti = validUpTo;
            inMulti = true;
          } else if (command === 'exec' || command === 'discard') {
            inMulti = false;
          }
          replay(args);
          validUpTo = commandEnd;
          delay?.afterKey();
          if (++commands % AOF_EVENTS_EVERY !== 0) return true;
          paused = commandEnd;
          return false;
        });
        if (paused === undefined) break;
        // Not replaying meanwhile: what clients do in this turn is theirs (and refused with -LOADING anyway).
        this.replaying = false;
        progress.loadedBytes = before + paused;
        yield;
        this.replaying = true;
        start = paused;
      }
    } catch (error) {
      if (!(error instanceof FatalLogged)) throw error;
      this.log('warning', `Unknown command '${unknown}' reading the append only file ${name}`);
      return 'failed';
    } finally {
      this.replaying = false;
      this.keyspace.expiryIgnored = false;
    }
    if (end.kind === 'format') {
      this.log('warning', `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`);
      return 'failed';
    }
    if (end.kind === 'ok' && inMulti) {
      // A transaction the file does not finish is cut off like a torn command.
      this.log('warning', `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      validUpTo = validBeforeMulti;
    } else if (end.kind === 'ok') {
      return 'ok';
    }
    if (truncatable) {
      this.log('warning', `!!! Warning: short read while loading the AOF file ${name}!!!`);
      this.log('warning', `!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
      fs.truncateSync(file, validUpTo);
      this.log('warning', `AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      return 'truncated';
    }
    this.log('warning', `Unexpected end of file reading the append only file ${name}. You can: ` +
      '1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. ' +
      "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
    return 'failed';
  }

  /** After loading, with appendonly yes: a base for an empty start, the last increment (or a new one) opened, the manifest written. */
  private openAppendOnlyOnStart(): void {
    if (this.aofState !== 'on') return;
    fs.mkdirSync(this.aofDir, { recursive: true });
    const am = this.manifest;
    const hadIncr = am.incr.length > 0;
    if (am.empty) {
      const base = am.newBase(this.aofFileName, this.config.getBool('aof-use-rdb-preamble'));
      this.writeBase(this.aofPath(base));
      this.log('notice', `Creating AOF base file ${base} on server start`);
    }
    const name = am.lastIncr(this.aofFileName);
    this.incr.openFile(this.aofPath(name), false);
    this.persistManifest(am);
    if (!hadIncr) this.aofSizeBeforeIncr = am.base ? fs.statSync(this.aofPath(am.base.name)).size : 0;
    else this.aofSizeBeforeIncr -= this.incr.size;
    this.log('notice', `${hadIncr ? 'Opening' : 'Creating'} AOF incr file ${name} on server start`);
  }

  /** Files a rewrite replaced, unless aof-disable-auto-gc keeps them. */
  private deleteHistoryFiles(): void {
    const am = this.manifest;
    if (this.config.getBool('aof-disable-auto-gc') || am.history.length === 0) return;
    for (const info of am.history) {
      this.log('notice', `Removing the history file ${info.name} in the background`);
      fs.rmSync(this.aofPath(info.name), { force: true });
    }
    am.history = [];
    this.persistManifest(am);
  }

  /** The dataset now as a base file: an RDB snapshot, or with aof-use-rdb-preamble no, commands. */
  private writeBase(file: string): void {
    if (this.config.getBool('aof-use-rdb-preamble')) {
      new SnapshotWriter(this.keyspace, file, { libraries: this.host.functions?.libraryCodes(), aofBase: true, usedMemory: this.host.usedMemory() }).finish();
    } else {
      writeCommandsBase(this.keyspace, file, this.host.functions?.libraryCodes() ?? [], this.config.getBool('aof-timestamp-enabled'));
    }
  }

  /** DEBUG LOADAOF: the pending commands go to the file, then the dataset is rebuilt from the files on disk, as at start-up. */
  reloadAppendOnly(): void {
    if (this.aofState !== 'off') this.incr.write('always');
    this.keyspace.flushAll();
    this.host.functions?.replaceAll([]);
    this.manifest = this.loadManifestFromDisk();
    this.deleteHistoryFiles();
    // Loading all the same: what a slow script of the file lets other clients run meanwhile gets -LOADING.
    let status;
    try {
      status = finishSteps(this.loadAppendOnlyFiles(this.startLoading(), Infinity));
    } finally {
      this.stopLoading();
    }
    if (status === 'failed') throw new Error('see the server log');
    if (status === 'not-exist') throw new Error(`no append only file in ${this.aofDir}`);
    this.keyspace.dirty = 0;
    this.log('warning', 'Append Only File loaded by DEBUG LOADAOF');
  }

  /** CONFIG SET aof-disable-auto-gc no: the history files kept so far go. */
  private autoGcChanged(): void {
    if (!this.config.getBool('aof-disable-auto-gc')) this.deleteHistoryFiles();
  }

  /** CONFIG SET appendonly yes|no. */
  private setAppendOnly(on: boolean): void {
    if (!on && this.aofState !== 'off') {
      this.incr.close();
      this.aofState = 'off';
      this.aofRewriteScheduled = false;
      this.aofSizeBeforeIncr = 0;
      this.incr.size = 0;
      if (this.aofRewriting) this.abandonRewrite();
    } else if (on && this.aofState === 'off') {
      this.aofState = 'wait-rewrite';
      if (this.backgroundSave && !this.aofRewriting) {
        this.aofRewriteScheduled = true;
        this.log('warning', 'AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
        return;
      }
      if (this.host.inExec()) {
        this.aofRewriteScheduled = true;
        this.log('warning', 'AOF was enabled during a transaction. An AOF background was scheduled to start when possible.');
        return;
      }
      if (this.aofRewriting) {
        this.log('warning', 'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.');
        this.abandonRewrite();
      }
      try {
        this.rewriteAppendOnly();
      } catch (error) {
        this.aofState = 'off';
        this.log('warning', "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        throw new Error('Unable to turn on AOF. Check server logs.');
      }
    }
  }

  /** BGREWRITEAOF: started, or scheduled for when the BGSAVE that runs (or the EXEC that asks) has finished. */
  bgRewriteAppendOnly(): 'started' | 'scheduled' {
    if (this.aofRewriting) throw new Error('Background append only file rewriting already in progress');
    if (this.backgroundSave || this.host.inExec()) {
      this.aofRewriteScheduled = true;
      // Asked for by hand: the limit on automatic retries does not hold it back.
      this.aofRewriteFailures = 0;
      return 'scheduled';
    }
    this.rewriteAppendOnly();
    return 'started';
  }

  /**
   * A rewrite (Redis's rewriteAppendOnlyFileBackground): new writes go at
   * once to a new increment, listed in the manifest beside the old files
   * (or to a temporary increment while appendonly waits for its first base),
   * while a snapshot of this moment becomes the new base in steps; then the
   * manifest names the new base and increment, and the old files go.
   */
  private rewriteAppendOnly(): void {
    if (this.aofRewriting || this.backgroundSave) throw new Error('Background append only file rewriting already in progress');
    fs.mkdirSync(this.aofDir, { recursive: true });
    this.incr.forgetSelected();
    this.beforeReplies();
    this.openNewIncrement();
    this.aofRewrites++;
    this.aofRewriting = true;
    this.aofRewriteScheduled = false;
    this.aofRewriteStarted = Date.now();
    const rdb = this.config.getBool('aof-use-rdb-preamble');
    const done = (temp: string): void => this.rewriteDone(temp, rdb);
    if (rdb) {
      try {
        // A failed child's file is already gone.
        this.startBackgroundSnapshot({ prefix: 'temp-rewriteaof-bg-', suffix: '.aof' }, (file) => done(file!), (error) => this.rewriteFailed(error), true);
      } catch (error) {
        this.aofRewriting = false;
        throw error;
      }
      this.log('notice', `Background append only file rewriting started by pid ${this.childPid}`);
      return;
    }
    // Without the RDB preamble the base is commands, written here at once.
    const temp = path.join(this.config.values.dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    try {
      this.writeBase(temp);
    } catch (error) {
      this.log('warning', `Write error writing append only file on disk: ${errnoText(error)}`);
      setImmediate(() => this.rewriteFailed(error, temp));
      return;
    }
    // rdb-key-save-delay (a testing aid) keeps the rewrite running as long as Redis's child would take, so it can be watched and stopped.
    const delayUs = this.config.getNumber('rdb-key-save-delay');
    const keys = delayUs > 0 ? this.keyspace.dbs.reduce((sum, db) => sum + db.size, 0) : 0;
    this.inProcessRewrite = setTimeout(() => {
      this.inProcessRewrite = undefined;
      done(temp);
    }, (keys * delayUs) / 1000);
    this.log('notice', `Background append only file rewriting started by pid ${process.pid}`);
  }

  /** A rewrite without the RDB preamble, written in this process: its completion, still to come. */
  private inProcessRewrite: NodeJS.Timeout | undefined;

  /** Where writes go while a rewrite runs (Redis's openNewIncrAofForAppend). */
  private openNewIncrement(): void {
    if (this.aofState === 'off') return;
    let name: string;
    if (this.aofState === 'wait-rewrite') {
      name = tempIncrName(this.aofFileName);
      this.incr.openFile(this.aofPath(name), true);
    } else {
      const am = this.manifest.clone();
      name = am.newIncr(this.aofFileName);
      const previous = this.incr.size;
      this.incr.openFile(this.aofPath(name), true);
      this.persistManifest(am);
      this.manifest = am;
      this.aofSizeBeforeIncr += previous;
    }
    this.log('notice', `Creating AOF incr file ${name} on background rewrite`);
  }

  private rewriteDone(temp: string, rdb: boolean): void {
    if (!this.aofRewriting) return;
    this.aofRewriting = false;
    this.log('notice', 'Background AOF rewrite terminated with success');
    const am = this.manifest.clone();
    const base = am.newBase(this.aofFileName, rdb);
    try {
      fs.renameSync(temp, this.aofPath(base));
    } catch (error) {
      this.log('warning', `Error trying to rename the temporary AOF base file ${path.basename(temp)} into ${this.aofPath(base)}: ${errnoText(error)}`);
      this.rewriteFailed(error, temp, true);
      return;
    }
    this.log('notice', `Successfully renamed the temporary AOF base file ${path.basename(temp)} into ${base}`);
    if (this.aofState === 'wait-rewrite') {
      const tempIncr = tempIncrName(this.aofFileName);
      const incr = am.newIncr(this.aofFileName);
      // The open descriptor follows the file through the rename.
      fs.renameSync(this.aofPath(tempIncr), this.aofPath(incr));
      this.log('notice', `Successfully renamed the temporary AOF incr file ${tempIncr} into ${incr}`);
    }
    am.markIncrHistory(this.incr.open);
    this.persistManifest(am);
    this.manifest = am;
    if (this.aofState !== 'off') {
      this.aofSizeBeforeIncr = fs.statSync(this.aofPath(base)).size;
      this.aofRewriteBaseSize = this.aofSizeBeforeIncr + this.incr.size;
    }
    this.deleteHistoryFiles();
    this.aofLastRewriteOk = true;
    this.aofRewriteFailures = 0;
    this.aofLastRewriteSeconds = Math.floor((Date.now() - this.aofRewriteStarted) / 1000);
    this.log('notice', 'Background AOF rewrite finished successfully');
    if (this.aofState === 'wait-rewrite') this.aofState = 'on';
  }

  /** A rewrite that did not complete: its files go; while appendonly waits for its first base, another is tried. */
  private rewriteFailed(error: unknown, temp?: string, logged = false): void {
    this.aofRewriting = false;
    const stopped = error instanceof ChildFailed && error.stopped;
    if (!stopped) {
      this.aofLastRewriteOk = false;
      this.aofRewriteFailures++;
    }
    if (!logged) {
      this.log('warning', error instanceof ChildFailed && error.signal !== undefined
        ? `Background AOF rewrite terminated by signal ${error.signal}`
        : 'Background AOF rewrite terminated with error');
    }
    this.rewriteCleanup(temp);
  }

  private rewriteCleanup(temp: string | undefined): void {
    if (temp !== undefined) fs.rmSync(temp, { force: true });
    this.aofLastRewriteSeconds = Math.floor((Date.now() - this.aofRewriteStarted) / 1000);
    if (this.aofState === 'wait-rewrite') {
      this.incr.discard();
      const name = tempIncrName(this.aofFileName);
      this.log('notice', `Removing the temp incr aof file ${name} in the background`);
      fs.rmSync(this.aofPath(name), { force: true });
      this.aofRewriteScheduled = true;
    }
  }

  /** Stops a running rewrite (appendonly turned off or on again): nothing of it is kept. */
  private abandonRewrite(): void {
    clearTimeout(this.inProcessRewrite);
    this.inProcessRewrite = undefined;
    const current = this.backgroundSave;
    this.log('notice', `Killing running AOF rewrite child: ${current?.child.pid ?? process.pid}`);
    if (current) this.stopJob(current);
    this.aofRewriting = false;
    this.rewriteCleanup(current === undefined ? path.join(this.config.values.dir, `temp-rewriteaof-bg-${process.pid}.aof`) : undefined);
    this.aofRewriteScheduled = false;
  }

  /** After three failed rewrites in a row, automatic ones wait 1, 2, 4 ... up to 60 minutes (Redis's aofRewriteLimited). */
  private aofRewriteLimited(): boolean {
    if (this.aofRewriteFailures < 3) {
      this.aofLimitDelayMinutes = 0;
      this.aofLimitUntil = 0;
      return false;
    }
    const now = Date.now();
    if (this.aofLimitUntil !== 0) {
      if (now < this.aofLimitUntil) return true;
      this.aofLimitUntil = 0;
      return false;
    }
    this.aofLimitDelayMinutes = Math.min(60, this.aofLimitDelayMinutes === 0 ? 1 : this.aofLimitDelayMinutes * 2);
    this.aofLimitUntil = now + this.aofLimitDelayMinutes * 60_000;
    this.log('warning', `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.aofLimitDelayMinutes} minutes`);
    return true;
  }

  /** The cron's part: a scheduled rewrite once nothing else runs, and auto-aof-rewrite-percentage / -min-size. */
  private maybeRewriteAppendOnly(): void {
    if (this.aofRewriting || this.backgroundSave) return;
    const start = (): void => {
      try {
        this.rewriteAppendOnly();
      } catch (error) {
        this.log('warning', `Can't rewrite append only file in background: ${(error as Error).message}`);
      }
    };
    if (this.aofRewriteScheduled) {
      if (!this.aofRewriteLimited()) start();
      return;
    }
    if (this.aofState !== 'on') return;
    const percentage = this.config.getNumber('auto-aof-rewrite-percentage');
    const size = this.aofSizeBeforeIncr + this.incr.size;
    if (percentage === 0 || size <= this.config.getNumber('auto-aof-rewrite-min-size')) return;
    const growth = Math.floor((size * 100) / Math.max(1, this.aofRewriteBaseSize)) - 100;
    if (growth >= percentage && !this.aofRewriteLimited()) {
      this.log('notice', `Starting automatic rewriting of AOF on ${growth}% growth`);
      start();
    }
  }

  /**
   * At shutdown, as Redis's prepareForShutdown: a save child would race the
   * final save, and a rewrite child is not needed since the AOF already holds
   * everything; both are killed and their temp files removed.
   */
  killBackgroundChild(): void {
    if (this.backgroundSave === undefined) return;
    if (this.aofRewriting) {
      this.log('warning', 'There is a child rewriting the AOF. Killing it!');
      this.abandonRewrite();
    } else {
      this.log('warning', 'There is a child saving an .rdb. Killing it!');
      this.cancelBackgroundSave();
    }
  }

  /** Stops a BGSAVE without finishing it (SHUTDOWN saves in the foreground instead, as Redis does). */
  cancelBackgroundSave(): void {
    const current = this.backgroundSave;
    if (!current) return;
    this.stopJob(current);
    this.log('notice', 'Background saving stopped');
    current.cancelled?.();
  }

  /** Completes a BGSAVE's snapshot now (before FLUSHALL or SWAPDB changes what it still has to read). */
  private backgroundSaveFinish(): void {
    const current = this.backgroundSave;
    if (!current || current.writer.written) return;
    try {
      this.snapshotWritten(current);
    } catch (error) {
      this.stopJob(current);
      current.failed(error);
    }
  }

  private saved(dirtyAtStart: number, started: number, message: string): void {
    this.lastSaveOk = true;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.keyspace.dirty -= dirtyAtStart;
    this.log('notice', `${message} (${((performance.now() - started) / 1000).toFixed(3)} seconds)`);
  }

  /** As Redis's rdbSave: a failed SAVE (or final save) is logged and refused, but leaves rdb_last_bgsave_status (and MISCONF) alone. */
  private foregroundSaveFailed(error: unknown): void {
    this.log('warning', `Write error saving DB on disk: ${(error as Error).message}`);
  }

  private saveFailed(error: unknown): void {
    if (!(error instanceof ChildFailed)) {
      this.lastSaveOk = false;
      this.log('warning', `Failed saving the DB: ${(error as Error).message}`);
      return;
    }
    if (error.end.stderr !== '') this.log('warning', `Failed saving the DB: ${error.end.stderr}`);
    if (error.signal === undefined) {
      this.lastSaveOk = false;
      this.log('warning', 'Background saving error');
      return;
    }
    if (!error.stopped) this.lastSaveOk = false;
    this.log('warning', `Background saving terminated by signal ${error.signal}`);
  }

  /**
   * The dataset of this moment, kept in memory as RDB bytes; the function
   * returned puts it back (keys and expiry times only: the function
   * libraries are not touched), with the change counter as it was. What
   * SCRIPT DEBUG YES uses where Redis forks.
   */
  checkpoint(): () => void {
    const chunks: Buffer[] = [];
    new SnapshotWriter(this.keyspace, (bytes) => chunks.push(Buffer.from(bytes)), { usedMemory: this.host.usedMemory() }).finish();
    const dirty = this.keyspace.dirty;
    return () => {
      loadSnapshotBytes(this.keyspace, Buffer.concat(chunks), 'checkpoint', this.config.values);
      this.keyspace.dirty = dirty;
    };
  }

  /** Loads the snapshot file if there is one (DEBUG RELOAD); a bad file throws SnapshotError. */
  loadSnapshot(mode?: LoadMode): void {
    const file = this.snapshotFile();
    if (!fs.existsSync(file)) return;
    const started = performance.now();
    this.lastLoad = loadSnapshot(this.keyspace, file, this.config.values, this.host.functions, mode, this.loadOptions());
    this.keyspace.dirty = 0;
    this.log('notice', `DB loaded from disk: ${seconds(started)} seconds`);
  }

  /** Start-up's loadSnapshot: clients are served (-LOADING) while it reads, and key-load-delay slows it down. */
  private async loadSnapshotAtStartup(expired: (db: number, key: string) => void): Promise<void> {
    const file = this.snapshotFile();
    if (!fs.existsSync(file)) return;
    const started = performance.now();
    const bytes = fs.readFileSync(file);
    this.lastLoad = await this.whileLoading((progress, interval) => {
      progress.totalBytes = bytes.length;
      const options = this.startupLoadOptions(progress, expired);
      return tracked(snapshotSteps(this.keyspace, bytes, file, this.config.values, interval, this.host.functions, undefined, options), progress, 0);
    });
    this.keyspace.dirty = 0;
    this.log('notice', `DB loaded from disk: ${seconds(started)} seconds`);
  }

  /** Files load with every check only under sanitize-dump-payload yes: clients, as Redis, leaves loading out. */
  private get deepSanitization(): boolean {
    return this.config.get('sanitize-dump-payload') === 'yes';
  }

  /** A start-up load's: slowed by key-load-delay, and reporting the file's used-mem in its progress. */
  private startupLoadOptions(progress: LoadingProgress, expired?: (db: number, key: string) => void): LoadOptions {
    return { ...this.loadOptions(expired), keyDelayUs: this.config.getNumber('key-load-delay'), usedMem: (used) => (progress.rdbUsedMem = used) };
  }

  private loadOptions(expired?: (db: number, key: string) => void): LoadOptions {
    return {
      verifyChecksum: this.config.getBool('rdbchecksum') && !this.skipChecksumValidation,
      deepSanitization: this.deepSanitization,
      log: (level, message) => this.log(level, message),
      expired,
    };
  }

  /**
   * Runs the steps of a start-up load with the loading state on, giving the
   * event loop a turn at each step (every loading-process-events-interval-bytes
   * read, or every AOF_EVENTS_EVERY commands), as Redis's processEventsWhileBlocked does.
   */
  private async whileLoading<T>(load: (progress: LoadingProgress, interval: number) => Generator<void, T>): Promise<T> {
    const steps = load(this.startLoading(), this.config.getNumber('loading-process-events-interval-bytes'));
    try {
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) return step.value;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.stopLoading();
    }
  }

  private startLoading(): LoadingProgress {
    this.loading = { startTime: Math.floor(Date.now() / 1000), totalBytes: 0, loadedBytes: 0, rdbUsedMem: 0 };
    this.keyspace.loading = true;
    return this.loading;
  }

  private stopLoading(): void {
    this.loading = undefined;
    this.keyspace.loading = false;
  }

  /**
   * A replica's full resync: the master's RDB replaces the dataset and
   * becomes our snapshot file. As in Redis, the append-only file and any
   * background save stop first and the AOF starts again with a rewrite, so
   * it holds the master's data and not the old increments.
   */
  loadFromMaster(rdb: Buffer): void {
    const aofWasOn = this.aofState !== 'off';
    if (aofWasOn) this.setAppendOnly(false);
    this.cancelBackgroundSave();
    const file = this.snapshotFile();
    const temp = path.join(path.dirname(file), `temp-${process.pid}.${Date.now()}.rdb`);
    try {
      fs.writeFileSync(temp, rdb);
      this.lastLoad = loadSnapshotBytes(this.keyspace, rdb, temp, this.config.values, this.host.functions, undefined, this.loadOptions());
      fs.renameSync(temp, file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      if (aofWasOn) this.setAppendOnly(true);
      throw error;
    }
    this.keyspace.dirty = 0;
    if (aofWasOn) this.setAppendOnly(true);
  }

  /** The last background save failed and stop-writes-on-bgsave-error is on, with save points set: writes get MISCONF. */
  get writesDenied(): boolean {
    return !this.lastSaveOk && this.savePointsConfigured && this.config.getBool('stop-writes-on-bgsave-error');
  }

  /** Whether save points are configured (`save` is not empty): then SHUTDOWN and SIGTERM save first. */
  get savePointsConfigured(): boolean {
    return (this.config.get('save') ?? '') !== '';
  }

  /** The save points (`save <seconds> <changes>` pairs) that are due. */
  private savePointDue(): boolean {
    const words = (this.config.get('save') ?? '').split(' ').filter(Boolean).map(Number);
    const elapsed = Date.now() / 1000 - this.lastSave;
    for (let i = 0; i + 1 < words.length; i += 2) {
      if (this.keyspace.dirty >= words[i + 1] && elapsed > words[i]) return true;
    }
    return false;
  }
}

/** Passes the steps of a snapshot load on, counting the bytes it read in `progress` from `before`. */
function* tracked<T>(steps: Generator<number, T>, progress: LoadingProgress, before: number): Generator<void, T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    progress.loadedBytes = before + step.value;
    yield;
  }
}

/** Runs the steps of a load to its end at once (DEBUG LOADAOF, which holds the server as it runs). */
function finishSteps<T>(steps: Generator<void, T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** Commands of an AOF replayed between two turns of the event loop (Redis's 1024). */
const AOF_EVENTS_EVERY = 1024;

function seconds(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(3);
}

/** The strerror() text of a failed file operation, as Redis logs it. */
function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  return (error as Error).message;
}

/**
 * Where the RDB part of an AOF file ends: at its end for a base file, or
 * before the commands of an old-style RDB-preamble AOF (after the end marker
 * and the checksum of the bytes before it, or zeros under rdbchecksum no).
 */
function rdbEnd(bytes: Buffer): number | undefined {
  const crc = new Crc64();
  let covered = 0;
  for (let at = bytes.indexOf(0xff, 9); at !== -1; at = bytes.indexOf(0xff, at + 1)) {
    const end = at + 9;
    if (end > bytes.length) return undefined;
    if (end < bytes.length && bytes[end] !== 0x2a && bytes[end] !== 0x23) continue;
    crc.update(bytes.subarray(covered, at + 1));
    covered = at + 1;
    const stored = bytes.subarray(at + 1, end);
    if (stored.equals(crc.digest()) || stored.equals(ZERO_CHECKSUM)) return end;
  }
  return undefined;
}

const ZERO_CHECKSUM = Buffer.alloc(8);

/**
 * A base file of commands (aof-use-rdb-preamble no): each string as SET, each
 * collection as RESTORE of its DUMP serialization, expiry times as PEXPIREAT,
 * libraries as FUNCTION LOAD; a #TS annotation first with aof-timestamp-enabled.
 */
function writeCommandsBase(keyspace: Keyspace, file: string, libraries: readonly string[], timestamp: boolean): void {
  const parts: string[] = [];
  if (timestamp) parts.push(`#TS:${Math.floor(Date.now() / 1000)}\r\n`);
  for (const code of libraries) parts.push(encodeCommand(['FUNCTION', 'LOAD', code]));
  const now = Date.now();
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    parts.push(encodeCommand(['SELECT', String(db.id)]));
    for (const [key, stored] of db.data) {
      const when = db.expires.get(key);
      if (when !== undefined && when <= now) continue;
      const value = stored instanceof BitString ? stored.toString() : stored;
      if (typeof value === 'string') parts.push(encodeCommand(['SET', key, value]));
      else parts.push(encodeCommand(['RESTORE', key, '0', dumpValue(value).toString('latin1')]));
      if (when !== undefined) parts.push(encodeCommand(['PEXPIREAT', key, String(when)]));
    }
  }
  writeFileDurably(file, `${file}.tmp`, parts.join(''));
}
