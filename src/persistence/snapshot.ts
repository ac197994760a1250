/**
 * RDB files (version 10, as Redis 7.0 writes them): the whole keyspace with
 * expiry times, aux fields, the function libraries, SELECTDB/RESIZEDB and a
 * CRC64 at the end.
 *
 * A save writes a temporary file next to the target, fsyncs it and renames
 * it over the old file, so a crash mid-save never damages the previous
 * snapshot. A load checks the checksum before anything is stored, and refuses
 * a corrupt or truncated file with the file's name and the offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Keyspace } from '../store/keyspace.js';
import { BitString, type Database, type RedisValue, type StoredValue } from '../store/database.js';
import { REDIS_VERSION } from '../version.js';
import { corruptionReport, Crc64, crc64, RDB_VERSION, RDB_VERSION_READABLE, Reader, readLibrary, readRecord, Writer, writeValue, type LoadLimits } from './rdb.js';
import { CorruptValue } from '../store/corrupt.js';
import { KeyDelay } from '../util/sleep.js';

const OPCODE = {
  SLOT_INFO: 0xf4, FUNCTION2: 0xf5, FUNCTION_PRE_GA: 0xf6, MODULE_AUX: 0xf7, IDLE: 0xf8, FREQ: 0xf9, AUX: 0xfa,
  RESIZEDB: 0xfb, EXPIRETIME_MS: 0xfc, EXPIRETIME: 0xfd, SELECTDB: 0xfe, EOF: 0xff,
} as const;

const MAGIC = `REDIS${String(RDB_VERSION).padStart(4, '0')}`;

/** The function libraries as RDB files carry them: each library's code (RDB_OPCODE_FUNCTION2), before the databases. */
export interface FunctionLibraries {
  libraryCodes(): string[];
  /** Replaces every library with these; throws, changing nothing, if one does not load. */
  replaceAll(codes: readonly string[]): void;
  /** Adds these to the libraries, replacing those of the same name if `replace`; throws, changing nothing, on a failure. */
  addAll(codes: readonly string[], replace: boolean): void;
}

/**
 * How a loaded file meets what is in memory (DEBUG RELOAD's options): by
 * default everything is replaced; `keep` loads over the current data, where
 * a key or library already there is an error unless `merge` lets the file's win.
 */
export interface LoadMode {
  keep: boolean;
  merge: boolean;
}

const REPLACE_ALL: LoadMode = { keep: false, merge: false };

/**
 * A file that cannot be loaded; the message names the file and where
 * reading stopped. `report` holds the lines Redis logs about it; `corrupt`
 * says the file is damaged (Redis then ends with "Terminating server after
 * rdb file reading failure.") rather than not an RDB file of a known version.
 */
export class SnapshotError extends Error {
  constructor(message: string, readonly report: readonly string[], readonly corrupt = false) {
    super(message);
  }
}

/** The writer hands its bytes over once it holds this many. */
const OUT_BYTES = 1 << 16;

/** What a snapshot captured of one database when it started. */
/** What a snapshot holds: everything, the functions alone, or nothing (a replica's REPLCONF rdb-filter-only). */
export type SnapshotContent = 'everything' | 'functions' | 'nothing';

interface CapturedDb {
  readonly db: Database;
  readonly keys: string[];
  readonly expires: Map<string, number>;
  /** Collections are serialized when the snapshot starts (their contents change in place). */
  readonly collections: Map<string, Buffer>;
  /** Old string values of keys replaced or deleted since the snapshot started. */
  readonly preserved: Map<string, string>;
}

/** What a snapshot holds besides the keys, and what its header says. */
export interface SnapshotContents {
  /** The function libraries' code. */
  libraries?: readonly string[];
  /** The replication history to continue from, for a master's or replica's own file. */
  replication?: ReplicationInfo;
  /** False for a sync to replicas that asked for the functions only. */
  withKeys?: boolean;
  /** The base of an AOF (its RDB preamble): the aof-base field says so, as Redis's does. */
  aofBase?: boolean;
  /** The used-mem field: the server's used_memory (the keyspace's part when no server is around). */
  usedMemory?: number;
}

/**
 * A point-in-time RDB snapshot, written in steps so the server keeps serving
 * in between (BGSAVE) or all at once (SAVE). When it starts, it records each
 * database's keys and expiry times and serializes the collections; strings
 * never change in place, so each is read when its turn comes, unless it was
 * replaced or deleted first: the database hands the old value over before
 * such a change (`preserve`). New keys are not part of the snapshot.
 */
export class SnapshotWriter {
  private readonly captured: CapturedDb[] = [];
  private readonly w = new Writer();
  private readonly crc = new Crc64();
  private readonly temp: string = '';
  private readonly fd: number = -1;
  private readonly startedAt = Date.now();
  private dbIndex = 0;
  private keyIndex = 0;
  /**
   * Memory the snapshot holds that the keyspace alone would not: collections
   * serialized at the start and old values of keys changed since. Our copy-on-write,
   * reported as INFO current_cow_size.
   */
  heldBytes = 0;
  /** written: every byte is out (the file, if any, still to be put in place). */
  private state: 'writing' | 'written' | 'done' = 'writing';

  /** `target`: a file path, or a function that takes the bytes as they are made (a disk-less sync to replicas). */
  constructor(
    keyspace: Keyspace,
    private readonly target: string | ((bytes: Buffer) => void),
    { libraries = [], replication, withKeys = true, aofBase = false, usedMemory = keyspace.usedMemory }: SnapshotContents = {},
  ) {
    if (typeof target === 'string') {
      this.temp = path.join(path.dirname(target), `temp-${process.pid}-${Date.now()}.rdb`);
      this.fd = fs.openSync(this.temp, 'w');
    }
    const w = this.w;
    w.raw(Buffer.from(MAGIC, 'latin1'));
    const aux = (key: string, value: string): void => {
      w.byte(OPCODE.AUX);
      w.string(key);
      w.string(value);
    };
    aux('redis-ver', REDIS_VERSION);
    aux('redis-bits', '64');
    aux('ctime', String(Math.floor(this.startedAt / 1000)));
    aux('used-mem', String(usedMemory));
    if (replication !== undefined) {
      aux('repl-stream-db', String(replication.streamDb));
      aux('repl-id', replication.replid);
      aux('repl-offset', String(replication.offset));
    }
    aux('aof-base', aofBase ? '1' : '0');
    for (const code of libraries) {
      w.byte(OPCODE.FUNCTION2);
      w.string(code);
    }
    // One scratch writer for every collection (take() copies each out at its own size).
    const v = new Writer();
    for (const db of withKeys ? keyspace.dbs : []) {
      if (db.size === 0) continue;
      // The keys as an array and the values by position: a loop over entries would make an array per key.
      const keys = Array.from(db.data.keys());
      const collections = new Map<string, Buffer>();
      let index = 0;
      for (const value of db.data.values()) {
        if (typeof value !== 'string' && !(value instanceof BitString)) {
          writeValue(v, value);
          const serialized = v.take();
          this.heldBytes += serialized.length;
          collections.set(keys[index], serialized);
        }
        index++;
      }
      this.captured.push({ db, keys, expires: new Map(db.expires), collections, preserved: new Map() });
      db.snapshot = this;
    }
  }

  /** Called by a database just before `key`'s value is replaced or deleted. */
  preserve(db: Database, key: string, old: StoredValue): void {
    if (typeof old !== 'string' && !(old instanceof BitString)) return;
    const captured = this.captured.find((c) => c.db === db);
    if (captured === undefined || captured.preserved.has(key)) return;
    const value = old.toString();
    this.heldBytes += key.length + value.length;
    captured.preserved.set(key, value);
  }

  /** Writes keys for about `budgetMs` (or `maxKeys` of them); true when every key has been written. */
  step(budgetMs: number, maxKeys = Infinity): boolean {
    let budgetKeys = maxKeys;
    const started = performance.now();
    const expiry = Buffer.allocUnsafe(8);
    const w = this.w;
    while (this.dbIndex < this.captured.length) {
      const { db, keys, expires, collections, preserved } = this.captured[this.dbIndex];
      if (this.keyIndex === 0) {
        w.byte(OPCODE.SELECTDB);
        w.length(db.id);
        w.byte(OPCODE.RESIZEDB);
        w.length(keys.length);
        w.length(expires.size);
      }
      while (this.keyIndex < keys.length) {
        const key = keys[this.keyIndex++];
        // Keys past their time are written too, as Redis writes them: loading drops and counts them
        // (rdb_last_load_keys_expired), and a master that loads them propagates their deletion.
        const when = expires.get(key);
        const serialized = collections.get(key);
        const stored = serialized === undefined ? preserved.get(key) ?? db.data.get(key) : undefined;
        const value = stored instanceof BitString ? stored.toString() : stored;
        if (serialized === undefined && typeof value !== 'string') continue;
        if (when !== undefined) {
          w.byte(OPCODE.EXPIRETIME_MS);
          expiry.writeBigUInt64LE(BigInt(when), 0);
          w.raw(expiry);
        }
        if (serialized !== undefined) {
          w.byte(serialized[0]);
          w.string(key);
          w.raw(serialized.subarray(1));
        } else {
          w.byte(0);
          w.string(key);
          w.string(value as string);
        }
        if (--budgetKeys <= 0) {
          this.writeOut();
          if (this.keyIndex < keys.length || this.dbIndex + 1 < this.captured.length) return false;
        }
        // The clock is read every 64 keys so a step overruns its budget by little; bytes go out
        // by the 64 KB, so the buffer stays small and a disk-less sync streams.
        if ((this.keyIndex & 63) === 0 || w.size >= OUT_BYTES) {
          const late = performance.now() - started > budgetMs;
          if (late || w.size >= OUT_BYTES) this.writeOut();
          if (late) return false;
        }
      }
      this.dbIndex++;
      this.keyIndex = 0;
    }
    return true;
  }

  /** Writes what is left, the end marker and the checksum, and puts the file in place (fsync, rename). */
  finish(): void {
    this.writeRest();
    this.state = 'done';
    if (typeof this.target !== 'string') return;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    fs.renameSync(this.temp, this.target);
    const dir = fs.openSync(path.dirname(this.target), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }

  /** Keys written so far and keys in the snapshot (INFO current_save_keys_processed and _total). */
  get progress(): { processed: number; total: number } {
    let processed = 0;
    let total = 0;
    this.captured.forEach(({ keys }, index) => {
      total += keys.length;
      if (index < this.dbIndex) processed += keys.length;
      else if (index === this.dbIndex) processed += this.keyIndex;
    });
    return { processed, total };
  }

  /** True once every byte is written: the databases no longer need to preserve anything for it. */
  get written(): boolean {
    return this.state !== 'writing';
  }

  /** Gives up (a failed write, or the save was stopped): the previous file stays as it was. */
  abandon(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.detach();
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    fs.rmSync(this.temp, { force: true });
  }

  /** Writes what is left, the end marker and the checksum. */
  private writeRest(): void {
    while (!this.step(Infinity));
    this.w.byte(OPCODE.EOF);
    this.writeOut();
    if (typeof this.target === 'string') fs.writeSync(this.fd, this.crc.digest());
    else this.target(this.crc.digest());
    this.state = 'written';
    this.detach();
  }

  private detach(): void {
    for (const { db } of this.captured) if (db.snapshot === this) db.snapshot = undefined;
  }

  private writeOut(): void {
    const bytes = this.w.take();
    if (bytes.length === 0) return;
    this.crc.update(bytes);
    if (typeof this.target === 'string') fs.writeSync(this.fd, bytes);
    else this.target(bytes);
  }
}

/** How a load went: keys stored, keys left out as already expired, empty collections skipped. */
export interface LoadStats {
  loaded: number;
  expired: number;
  emptySkipped: number;
  /** The replication state the file recorded (its repl-id, repl-offset and repl-stream-db aux fields). */
  replication?: ReplicationInfo;
}

/** Where a replication history stood when a snapshot was taken: a restarted server continues it by partial resync. */
export interface ReplicationInfo {
  replid: string;
  offset: number;
  /** The database the stream was in. */
  streamDb: number;
}

/** Choices of the caller of loadSnapshot. */
export interface LoadOptions {
  /** False with rdbchecksum no or DEBUG SET-SKIP-CHECKSUM-VALIDATION 1. */
  verifyChecksum?: boolean;
  /** Where Redis's loading lines go (skipped empty keys, the summary). */
  log?: (level: 'notice' | 'warning', message: string) => void;
  /** Told of each key skipped because its time had come (a master propagates its deletion). */
  expired?: (db: number, key: string) => void;
  /** key-load-delay: a pause after each key read, for tests that need a slow load. */
  keyDelayUs?: number;
  /**
   * sanitize-dump-payload yes: every check refuses the file. Otherwise, as
   * Redis loads files, a value failing only checks Redis makes solely with
   * deep sanitization loads as a CorruptValue (and is reported in the log).
   */
  deepSanitization?: boolean;
  /** Told of the used-mem the file records (INFO loading_rdb_used_mem). */
  usedMem?: (bytes: number) => void;
}

/** Names of the value types in redis-check-rdb's report. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'string', 1: 'list-linked', 2: 'set-hashtable', 3: 'zset-v1', 4: 'hash-hashtable', 5: 'zset-v2', 6: 'module-pre-release',
  7: 'module-value', 9: 'hash-zipmap', 10: 'list-ziplist', 11: 'set-intset', 12: 'zset-ziplist', 13: 'hash-ziplist',
  14: 'quicklist', 15: 'stream', 16: 'hash-listpack', 17: 'zset-listpack', 18: 'quicklist-v2', 19: 'stream-v2',
  20: 'set-listpack', 21: 'stream-v3',
};

/**
 * Replaces the contents of `keyspace` with the RDB file at `file`. Nothing
 * changes when the file is refused: the error carries the lines Redis logs
 * for such a file (its own and redis-check-rdb's).
 */
export function loadSnapshot(
  keyspace: Keyspace, file: string, limits: LoadLimits, functions?: FunctionLibraries, mode: LoadMode = REPLACE_ALL, options: LoadOptions = {},
): LoadStats {
  return loadSnapshotBytes(keyspace, fs.readFileSync(file), file, limits, functions, mode, options);
}

/** loadSnapshot of RDB bytes read already (the RDB part of an AOF base file); `file` names them in errors. */
export function loadSnapshotBytes(
  keyspace: Keyspace,
  bytes: Buffer,
  file: string,
  limits: LoadLimits,
  functions?: FunctionLibraries,
  mode: LoadMode = REPLACE_ALL,
  options: LoadOptions = {},
): LoadStats {
  const loader = snapshotLoader(keyspace, bytes, file, limits, functions, mode, options);
  loader.parse(Infinity);
  return loader.finish();
}

/**
 * loadSnapshotBytes in slices: it yields the position reached every
 * `interval` bytes read, so that its caller can let the event loop run, as
 * Redis processes events while it loads (clients connect and get -LOADING,
 * INFO shows the progress). The keyspace changes only once the whole file
 * has been read, as with loadSnapshotBytes.
 */
export function* snapshotSteps(
  keyspace: Keyspace,
  bytes: Buffer,
  file: string,
  limits: LoadLimits,
  interval: number,
  functions?: FunctionLibraries,
  mode: LoadMode = REPLACE_ALL,
  options: LoadOptions = {},
): Generator<number, LoadStats> {
  const loader = snapshotLoader(keyspace, bytes, file, limits, functions, mode, options);
  while (!loader.parse(loader.position() + interval)) yield loader.position();
  return loader.finish();
}

/** The two steps of loading a snapshot: reading its records (in slices, up to a byte offset), then replacing the data with them. */
function snapshotLoader(
  keyspace: Keyspace,
  bytes: Buffer,
  file: string,
  limits: LoadLimits,
  functions: FunctionLibraries | undefined,
  mode: LoadMode,
  options: LoadOptions,
): { parse(until: number): boolean; position(): number; finish(): LoadStats } {
  const stats: LoadStats = { loaded: 0, expired: 0, emptySkipped: 0 };
  const loaded: { db: number; key: string; value: RedisValue; expireAt?: number }[] = [];
  let key: string | undefined;
  let type: number | undefined;
  const fail = (offset: number, why: string, before: string[] = []): never => {
    const report = [
      ...before,
      `Internal error in RDB reading offset ${offset} -> ${why}`,
      `[offset 0] Checking RDB file ${file}`,
      '--- RDB ERROR DETECTED ---',
      `[offset ${offset}] ${why}`,
    ];
    if (key !== undefined) report.push(`[additional info] Reading key '${key}'`);
    if (type !== undefined) report.push(`[additional info] Reading type ${type} (${TYPE_NAMES[type] ?? 'unknown'})`);
    report.push(`[info] ${loaded.length} keys read`);
    throw new SnapshotError(`Bad RDB file ${file} at offset ${offset}: ${why}`, report, true);
  };
  if (bytes.length < 9 || !bytes.subarray(0, 5).equals(Buffer.from('REDIS'))) {
    throw new SnapshotError(`Bad RDB file ${file}: not an RDB file`, ['Wrong signature trying to load DB from file']);
  }
  const version = Number(bytes.toString('latin1', 5, 9));
  if (!Number.isInteger(version) || version < 1 || version > RDB_VERSION_READABLE) {
    throw new SnapshotError(
      `Bad RDB file ${file}: RDB version ${bytes.toString('latin1', 5, 9)} is not supported (newest known: ${RDB_VERSION_READABLE})`,
      [`Can't handle RDB format version ${bytes.toString('latin1', 5, 9)}`],
    );
  }
  // Files before version 5 have no checksum after the end marker.
  const trailer = version >= 5 ? 8 : 0;
  if (bytes.length < 10 + trailer) fail(bytes.length, 'Unexpected EOF reading RDB file', ['Short read or OOM loading DB. Unrecoverable error, aborting now.']);
  if (trailer > 0 && options.verifyChecksum !== false) {
    const expected = bytes.subarray(bytes.length - 8);
    const actual = crc64(bytes.subarray(0, bytes.length - 8));
    // A file written with rdbchecksum no ends with eight zero bytes.
    if (!expected.equals(Buffer.alloc(8)) && !actual.equals(expected)) {
      const hex = (b: Buffer): string => b.readBigUInt64LE(0).toString(16);
      fail(bytes.length - 8, 'RDB CRC error', [`Wrong RDB checksum expected: (${hex(actual)}) but got (${hex(expected)}). Aborting now.`]);
    }
  }
  const r = new Reader(bytes.subarray(0, bytes.length - trailer), options.deepSanitization === true);
  r.pos = 9;
  const libraries: string[] = [];
  let db = 0;
  let expireAt: number | undefined;
  const repl = { replid: '', offset: -1, streamDb: -1 };
  // Redis reads its numeric aux fields with strtol: a leading integer, else 0.
  const leadingInteger = (value: string): number => Number.parseInt(value, 10) || 0;
  const auxField = (name: string, value: string): void => {
    // As Redis: names compared ignoring case, and the fields it logs as it loads logged alike.
    const field = name.toLowerCase();
    if (name.startsWith('%')) options.log?.('notice', `RDB '${name}': ${value}`);
    else if (field === 'repl-id') repl.replid = value;
    else if (field === 'repl-offset') repl.offset = Number(value);
    else if (field === 'repl-stream-db') repl.streamDb = Number(value);
    else if (field === 'redis-ver') options.log?.('notice', `Loading RDB produced by version ${value}`);
    else if (field === 'ctime') options.log?.('notice', `RDB age ${Math.max(0, Math.floor(Date.now() / 1000) - leadingInteger(value))} seconds`);
    else if (field === 'used-mem') {
      options.log?.('notice', `RDB memory usage when created ${(leadingInteger(value) / (1024 * 1024)).toFixed(2)} Mb`);
      options.usedMem?.(leadingInteger(value));
    }
    else if (field === 'aof-preamble' && leadingInteger(value) !== 0) options.log?.('notice', 'RDB has an AOF tail');
    else if (field === 'aof-base' && leadingInteger(value) !== 0) options.log?.('notice', 'RDB is base AOF');
  };
  const delay = options.keyDelayUs ? new KeyDelay(options.keyDelayUs) : undefined;
  /** Reads records until the end marker (true) or until `until` is passed (false). */
  const parse = (until: number): boolean => {
    try {
      while (r.pos < until) {
        const opcode = r.byte();
        if (opcode === OPCODE.EOF) return true;
        switch (opcode) {
          case OPCODE.AUX:
            auxField(r.string(), r.string());
            continue;
          case OPCODE.SELECTDB:
            db = r.length();
            if (db >= keyspace.dbs.length) fail(r.pos, `database ${db} is out of range (databases ${keyspace.dbs.length})`);
            continue;
          case OPCODE.RESIZEDB:
            r.length();
            r.length();
            continue;
          case OPCODE.EXPIRETIME_MS:
            expireAt = Number(r.take(8).readBigUInt64LE(0));
            continue;
          case OPCODE.EXPIRETIME:
            expireAt = r.take(4).readUInt32LE(0) * 1000;
            continue;
          case OPCODE.IDLE:
            r.length();
            continue;
          case OPCODE.FREQ:
            r.byte();
            continue;
          case OPCODE.SLOT_INFO:
            // Cluster slot sizes (Redis 7.4): a hint only.
            r.length();
            r.length();
            r.length();
            continue;
          case OPCODE.FUNCTION2:
          case OPCODE.FUNCTION_PRE_GA:
            if (functions === undefined) fail(r.pos - 1, 'functions are not supported here');
            libraries.push(readLibrary(r, opcode));
            continue;
          case OPCODE.MODULE_AUX:
            fail(r.pos - 1, 'modules are not supported');
        }
        type = opcode;
        key = r.string();
        const value = readRecord(r, opcode, limits);
        if (value instanceof CorruptValue) for (const line of corruptionReport(value, key)) options.log?.('warning', line);
        if (value === undefined) {
          // Redis once wrote empty collections (#8453): they are dropped, not fatal.
          if (stats.emptySkipped++ < 10) options.log?.('warning', `rdbLoadObject skipping empty key: ${key}`);
        } else {
          loaded.push({ db, key, value, expireAt });
        }
        key = undefined;
        type = undefined;
        expireAt = undefined;
        delay?.afterKey();
      }
      return false;
    } catch (error) {
      if (error instanceof SnapshotError) throw error;
      // A range error from a corrupt length is a corrupt file all the same.
      return fail(r.pos, (error as Error).message);
    }
  };
  const finish = (): LoadStats => {
    if (!r.done) fail(r.pos, 'data after the end marker');
    if (mode.keep && !mode.merge) {
      for (const entry of loaded) if (keyspace.dbs[entry.db].data.has(entry.key)) fail(r.pos, `duplicated key '${entry.key}'`);
    }
    if (functions !== undefined) {
      try {
        if (mode.keep) functions.addAll(libraries, mode.merge);
        else functions.replaceAll(libraries);
      } catch (error) {
        fail(r.pos, `Failed loading library: ${(error as Error).message}`);
      }
    }
    if (!mode.keep) keyspace.flushAll();
    const now = Date.now();
    for (const entry of loaded) {
      if (entry.expireAt !== undefined && entry.expireAt <= now) {
        stats.expired++;
        options.expired?.(entry.db, entry.key);
        continue;
      }
      const target = keyspace.dbs[entry.db];
      target.set(entry.key, entry.value);
      if (entry.expireAt !== undefined) target.setExpire(entry.key, entry.expireAt);
      stats.loaded++;
    }
    // As Redis, only a complete record counts (an old Redis wrote repl-stream-db -1).
    if (repl.replid.length === 40 && repl.offset >= 0 && repl.streamDb >= 0) stats.replication = repl;
    if (stats.emptySkipped > 0) {
      options.log?.('warning', `Done loading RDB, keys loaded: ${stats.loaded}, keys expired: ${stats.expired}, empty keys skipped: ${stats.emptySkipped}.`);
    } else {
      options.log?.('notice', `Done loading RDB, keys loaded: ${stats.loaded}, keys expired: ${stats.expired}.`);
    }
    return stats;
  };
  return { parse, position: () => r.pos, finish };
}
