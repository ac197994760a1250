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
import { AppendOnlyFile, type FsyncPolicy } from './aof.js';
import { loadSnapshot, SnapshotWriter, type FunctionLibraries, type LoadMode } from './snapshot.js';

/** Bytes of an AOF file parsed before their commands run, which bounds what replay holds at once. */
const REPLAY_SLICE = 64 * 1024;

/** What persistence needs from the server. */
export interface PersistenceHost {
  readonly keyspace: Keyspace;
  readonly config: Config;
  log(level: LogLevel, message: string): void;
  /** The function libraries, which RDB files carry along with the keys. */
  readonly functions?: FunctionLibraries;
  /** A function that runs a command read from an append-only file, as a client without a connection. */
  replayer(): (args: string[]) => void;
  /** Receives every propagated command too (the replication stream). */
  readonly follower: PropagationFollower;
}

/** Where propagated commands go besides the append-only file. */
export interface PropagationFollower {
  append(db: number, args: readonly string[]): void;
  begin(): void;
  end(): void;
}

export class Persistence {
  /** Unix time of the last successful save (LASTSAVE). */
  lastSave = Math.floor(Date.now() / 1000);
  /** Whether the last save succeeded (INFO rdb_last_bgsave_status). */
  lastSaveOk = true;
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
      this.aof?.append(db.id, ['DEL', key]);
      this.host.follower.append(db.id, ['DEL', key]);
    });
    // A BGSAVE still reading a database that FLUSHALL or SWAPDB is about to change finishes first.
    this.keyspace.onDatabaseReplaced(() => this.backgroundSaveFinish());
    this.config.onChange('appendonly', () => this.setAppendOnly(this.config.getBool('appendonly')));
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
    this.aof?.closeIncrement();
  }

  /** Where SAVE writes and start-up reads: dir/dbfilename. */
  snapshotFile(): string {
    return path.join(this.config.values.dir, this.config.get('dbfilename') ?? 'dump.rdb');
  }

  /** The snapshot being written in the background (BGSAVE, or the base of an AOF rewrite), if any. */
  private backgroundSave: { writer: SnapshotWriter; started: number; done: () => void; failed: (error: unknown) => void; cancelled?: () => void } | undefined;

  get saveInProgress(): boolean {
    return this.backgroundSave !== undefined;
  }

  /** SAVE: writes the dataset to the snapshot file now, crash-safely; throws (and logs) on failure. */
  save(): void {
    if (this.backgroundSave) throw new Error('Background save already in progress');
    const started = performance.now();
    this.lastSaveAttempt = Date.now();
    const dirty = this.keyspace.dirty;
    let writer: SnapshotWriter | undefined;
    try {
      writer = new SnapshotWriter(this.keyspace, this.snapshotFile(), this.host.functions?.libraryCodes());
      writer.finish();
    } catch (error) {
      writer?.abandon();
      this.saveFailed(error);
      throw error;
    }
    this.saved(dirty, started, 'DB saved on disk');
  }

  /**
   * BGSAVE: the snapshot of this moment is written in steps of a few
   * milliseconds between the server's other work; commands keep running.
   */
  backgroundSaveStart(): void {
    this.lastSaveAttempt = Date.now();
    const dirtyAtStart = this.keyspace.dirty;
    const started = performance.now();
    this.startBackgroundSnapshot(this.snapshotFile(), () => {
      // Changes made while the snapshot was written are not in it.
      this.saved(dirtyAtStart, started, 'Background saving terminated with success');
    });
    this.log('notice', 'Background saving started');
  }

  /** Writes a snapshot of this moment to `file` in steps between commands, then calls `done`; `failed` if it cannot. */
  private startBackgroundSnapshot(file: string, done: () => void, failed = (error: unknown): void => this.saveFailed(error)): void {
    if (this.backgroundSave) throw new Error('Background save already in progress');
    const writer = new SnapshotWriter(this.keyspace, file, this.host.functions?.libraryCodes());
    this.backgroundSave = { writer, started: performance.now(), done, failed };
    const step = (): void => {
      const current = this.backgroundSave;
      if (current?.writer !== writer) return;
      try {
        if (!writer.step(5)) {
          setImmediate(step);
          return;
        }
        this.backgroundSaveFinish();
      } catch (error) {
        this.backgroundSave = undefined;
        writer.abandon();
        failed(error);
      }
    };
    setImmediate(step);
  }

  /** A snapshot for replicas (a full resync): written to `file` in the background; `done` tells how it went. */
  snapshotInBackground(file: string, done: (error?: Error) => void): void {
    try {
      this.startBackgroundSnapshot(file, () => done(), (error) => done(error as Error));
      this.backgroundSave!.cancelled = () => done(new Error('Background saving stopped'));
    } catch (error) {
      setImmediate(() => done(error as Error));
    }
  }

  // ------------------------------------------------------------ append-only file

  /** The append-only file, while appendonly is on. */
  private aof: AppendOnlyFile | undefined;
  private aofRewriting = false;
  /** While an append-only file is being replayed: what it replays must not be appended again. */
  private replaying = false;

  private newAof(): AppendOnlyFile {
    return new AppendOnlyFile(
      path.join(this.config.values.dir, this.config.get('appenddirname') ?? 'appendonlydir'),
      this.config.get('appendfilename') ?? 'appendonly.aof',
    );
  }

  get aofEnabled(): boolean {
    return this.aof !== undefined;
  }

  get aofRewriteInProgress(): boolean {
    return this.aofRewriting;
  }

  /** Rewrites finished (INFO aof_rewrites). */
  aofRewrites = 0;

  get aofBaseSize(): number {
    return this.aof?.baseSize ?? 0;
  }

  /** Bytes of the append-only file's base and increments (INFO aof_current_size). */
  get aofSize(): number {
    return this.aof ? this.aof.baseSize + this.aof.incrementSize : 0;
  }

  /** A write command changed data: the append-only file records it, or what its `propagate` rule gives. */
  propagate(ctx: CommandContext, spec: CommandSpec | undefined, args: string[], reply: Reply): void {
    if (this.replaying) return;
    const db = ctx.client.db;
    const follower = this.host.follower;
    if (spec?.propagate === undefined) {
      this.aof?.append(db.id, args);
      follower.append(db.id, args);
      return;
    }
    for (const command of spec.propagate(args, db, reply)) {
      this.aof?.append(db.id, command);
      follower.append(db.id, command);
    }
  }

  /** A transaction or script starts: what it propagates until propagationEnd leaves together, in MULTI/EXEC. */
  propagationBegin(): void {
    this.aof?.stream.begin();
    this.host.follower.begin();
  }

  propagationEnd(): void {
    this.aof?.stream.end();
    this.host.follower.end();
  }

  /** Before any reply of this turn goes out: the commands it executed reach the file (and the disk, with always). */
  beforeReplies(): void {
    this.aof?.write((this.config.get('appendfsync') ?? 'everysec') as FsyncPolicy);
  }

  /**
   * Start-up with appendonly yes: loads the base and increments the manifest
   * names; without a manifest yet, loads dump.rdb if there is one and starts
   * the append-only file from that data.
   */
  loadAppendOnly(): void {
    const aof = this.newAof();
    const manifest = aof.readManifest();
    if (manifest === undefined) {
      this.loadSnapshot();
      this.aofCreate(aof, 1);
      this.aof = aof;
      return;
    }
    const started = performance.now();
    const increments = manifest.filter((e) => e.type === 'i');
    for (const entry of manifest) {
      const file = path.join(aof.dir, entry.name);
      if (entry.type === 'b' && entry.name.endsWith('.rdb')) {
        loadSnapshot(this.keyspace, file, this.config.values, this.host.functions);
        aof.baseSize = fs.statSync(file).size;
      } else {
        this.replay(file, entry === increments[increments.length - 1]);
      }
    }
    this.keyspace.dirty = 0;
    this.aof = aof;
    const last = increments[increments.length - 1];
    aof.openIncrement(last ? last.name : aof.incrName(manifest[0].seq));
    this.log('notice', `DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  }

  /** DEBUG LOADAOF: the pending commands go to the file, then the dataset is rebuilt from the append-only file. */
  reloadAppendOnly(): void {
    // With appendonly off, the files a BGREWRITEAOF left are read all the same, as Redis does.
    const aof = this.aof ?? this.newAof();
    aof.write('always');
    const manifest = aof.readManifest();
    if (manifest === undefined) throw new Error(`no append only file manifest at ${aof.manifestPath}`);
    const increments = manifest.filter((e) => e.type === 'i');
    this.keyspace.flushAll();
    this.host.functions?.replaceAll([]);
    for (const entry of manifest) {
      const file = path.join(aof.dir, entry.name);
      if (entry.type === 'b' && entry.name.endsWith('.rdb')) loadSnapshot(this.keyspace, file, this.config.values, this.host.functions);
      else this.replay(file, entry === increments[increments.length - 1]);
    }
    this.keyspace.dirty = 0;
  }

  /** Runs every command of an AOF file, as a client would; a torn last command is cut off if aof-load-truncated allows. */
  private replay(file: string, last: boolean): void {
    const bytes = fs.readFileSync(file);
    const limits = { protoMaxBulkLen: Number.MAX_SAFE_INTEGER, clientQueryBufferLimit: Number.MAX_SAFE_INTEGER, authRequired: false };
    const replay = this.host.replayer();
    const reader = new RequestReader(limits, (batch) => {
      for (const args of batch) replay(args);
    });
    this.replaying = true;
    let result = null;
    try {
      // In slices, as a socket delivers them: the commands of one slice are parsed before they run.
      for (let at = 0; at < bytes.length && result === null; at += REPLAY_SLICE) {
        result = reader.feed(bytes.subarray(at, at + REPLAY_SLICE));
      }
    } finally {
      this.replaying = false;
    }
    if (result !== null) throw new Error(`Bad file format reading the append only file ${file}`);
    const torn = reader.queryBufferBytes;
    if (torn === 0) return;
    const offset = bytes.length - torn;
    if (!last || !this.config.getBool('aof-load-truncated')) {
      throw new Error(`Unexpected end of file reading the append only file ${file} at offset ${offset}`);
    }
    this.log('warning', `!!! Warning: short read while loading the AOF file ${file}!!! AOF loaded anyway because aof-load-truncated is enabled; the torn command at offset ${offset} was cut off`);
    fs.truncateSync(file, offset);
  }

  /** Starts a fresh append-only file at `seq`: a base snapshot of the data now, an empty increment, the manifest. */
  private aofCreate(aof: AppendOnlyFile, seq: number): void {
    fs.mkdirSync(aof.dir, { recursive: true });
    const base = aof.baseName(seq);
    new SnapshotWriter(this.keyspace, path.join(aof.dir, base), this.host.functions?.libraryCodes()).finish();
    aof.baseSize = fs.statSync(path.join(aof.dir, base)).size;
    aof.writeManifest([{ name: base, seq, type: 'b' }, { name: aof.incrName(seq), seq, type: 'i' }]);
    aof.openIncrement(aof.incrName(seq));
  }

  /** CONFIG SET appendonly yes|no. */
  private setAppendOnly(on: boolean): void {
    if (on && this.aof === undefined) {
      if (this.backgroundSave) throw new Error('Background save already in progress');
      const aof = this.newAof();
      const seqs = (aof.readManifest() ?? []).map((e) => e.seq);
      // Only a complete file turns appending on: a failure leaves appendonly off (CONFIG SET reports it).
      this.aofCreate(aof, seqs.length === 0 ? 1 : Math.max(...seqs) + 1);
      this.aof = aof;
      this.log('notice', 'Append only file created from the current data; appending is on');
    } else if (!on && this.aof !== undefined) {
      this.aof.closeIncrement();
      this.aof = undefined;
    }
  }

  /**
   * BGREWRITEAOF: new writes go at once to a new increment (listed in the
   * manifest beside the old files), while a snapshot of this moment becomes
   * the new base in steps; then the manifest names only the new base and
   * increment, and the old files go.
   */
  rewriteAppendOnly(): void {
    if (this.aofRewriting || this.backgroundSave) throw new Error('Background append only file rewriting already in progress');
    // With appendonly off the files are written all the same (DEBUG LOADAOF reads them), but nothing is appended.
    const appending = this.aof !== undefined;
    const aof = this.aof ?? this.newAof();
    const old = aof.readManifest() ?? [];
    const seq = Math.max(0, ...old.map((e) => e.seq)) + 1;
    fs.mkdirSync(aof.dir, { recursive: true });
    if (appending) {
      aof.write('always');
      aof.writeManifest([...old, { name: aof.incrName(seq), seq, type: 'i' }]);
      aof.openIncrement(aof.incrName(seq));
    } else {
      fs.writeFileSync(path.join(aof.dir, aof.incrName(seq)), '');
    }
    this.aofRewriting = true;
    const base = aof.baseName(seq);
    this.startBackgroundSnapshot(path.join(aof.dir, base), () => {
      this.aofRewriting = false;
      aof.writeManifest([{ name: base, seq, type: 'b' }, { name: aof.incrName(seq), seq, type: 'i' }]);
      for (const entry of old) fs.rmSync(path.join(aof.dir, entry.name), { force: true });
      aof.baseSize = fs.statSync(path.join(aof.dir, base)).size;
      this.aofRewrites++;
      this.log('notice', 'Background AOF rewrite finished successfully');
    });
    this.log('notice', 'Background append only file rewriting started');
  }

  /** auto-aof-rewrite-percentage / -min-size: rewrites once the file has grown enough since its last base. */
  private maybeRewriteAppendOnly(): void {
    const aof = this.aof;
    if (!aof || this.aofRewriting || this.backgroundSave) return;
    const percentage = this.config.getNumber('auto-aof-rewrite-percentage');
    const size = aof.baseSize + aof.incrementSize;
    if (percentage === 0 || size < this.config.getNumber('auto-aof-rewrite-min-size')) return;
    if (aof.incrementSize * 100 < Math.max(1, aof.baseSize) * percentage) return;
    try {
      this.rewriteAppendOnly();
    } catch (error) {
      this.log('warning', `Automatic AOF rewrite failed to start: ${(error as Error).message}`);
    }
  }

  /** Stops a BGSAVE without finishing it (SHUTDOWN saves in the foreground instead, as Redis does). */
  cancelBackgroundSave(): void {
    const current = this.backgroundSave;
    if (!current) return;
    this.backgroundSave = undefined;
    current.writer.abandon();
    this.log('notice', 'Background saving stopped');
    current.cancelled?.();
  }

  /** Completes a BGSAVE now (before FLUSHALL or SWAPDB changes what it still has to read). */
  private backgroundSaveFinish(): void {
    const current = this.backgroundSave;
    if (!current) return;
    this.backgroundSave = undefined;
    try {
      current.writer.finish();
    } catch (error) {
      current.writer.abandon();
      current.failed(error);
      return;
    }
    current.done();
  }

  private saved(dirtyAtStart: number, started: number, message: string): void {
    this.lastSaveOk = true;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.keyspace.dirty -= dirtyAtStart;
    this.log('notice', `${message} (${((performance.now() - started) / 1000).toFixed(3)} seconds)`);
  }

  private saveFailed(error: unknown): void {
    this.lastSaveOk = false;
    this.log('warning', `Failed saving the DB: ${(error as Error).message}`);
  }

  /** Loads the snapshot file if there is one (start-up, DEBUG RELOAD); a bad file throws SnapshotError. */
  loadSnapshot(mode?: LoadMode): void {
    const file = this.snapshotFile();
    if (!fs.existsSync(file)) return;
    const started = performance.now();
    const keys = loadSnapshot(this.keyspace, file, this.config.values, this.host.functions, mode);
    this.keyspace.dirty = 0;
    this.log('notice', `DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds, ${keys} keys`);
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
