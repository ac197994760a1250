/**
 * RDB files (version 10, as Redis 7.0 writes them): the whole keyspace with
 * expiry times, aux fields, SELECTDB/RESIZEDB and a CRC64 at the end.
 *
 * A save writes a temporary file next to the target, fsyncs it and renames
 * it over the old file, so a crash mid-save never damages the previous
 * snapshot. A load checks the checksum before anything is stored, and refuses
 * a corrupt or truncated file with the file's name and the offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Keyspace } from '../store/keyspace.js';
import type { RedisValue } from '../store/database.js';
import { REDIS_VERSION } from '../version.js';
import { BadFormat, crc64, RDB_VERSION, Reader, readValue, Writer, writeValue, type LoadLimits } from './rdb.js';

const OPCODE = {
  FUNCTION2: 0xf5, MODULE_AUX: 0xf7, IDLE: 0xf8, FREQ: 0xf9, AUX: 0xfa,
  RESIZEDB: 0xfb, EXPIRETIME_MS: 0xfc, EXPIRETIME: 0xfd, SELECTDB: 0xfe, EOF: 0xff,
} as const;

const MAGIC = `REDIS${String(RDB_VERSION).padStart(4, '0')}`;

/** A file that cannot be loaded; the message names the file and where reading stopped. */
export class SnapshotError extends Error {}

/** The bytes of an RDB file holding every database of `keyspace` as it is now. */
export function encodeSnapshot(keyspace: Keyspace): Buffer {
  const w = new Writer();
  w.raw(Buffer.from(MAGIC, 'latin1'));
  const aux = (key: string, value: string): void => {
    w.byte(OPCODE.AUX);
    w.string(key);
    w.string(value);
  };
  aux('redis-ver', REDIS_VERSION);
  aux('redis-bits', '64');
  aux('ctime', String(Math.floor(Date.now() / 1000)));
  aux('used-mem', String(keyspace.usedMemory));
  aux('aof-base', '0');
  const now = Date.now();
  const expiry = Buffer.allocUnsafe(8);
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    w.byte(OPCODE.SELECTDB);
    w.length(db.id);
    w.byte(OPCODE.RESIZEDB);
    w.length(db.size);
    w.length(db.expires.size);
    for (const [key, value] of db.data) {
      const when = db.expireTime(key);
      // Keys already past their time are left out, as Redis leaves them.
      if (when !== undefined && when <= now) continue;
      if (when !== undefined) {
        w.byte(OPCODE.EXPIRETIME_MS);
        expiry.writeBigUInt64LE(BigInt(when), 0);
        w.raw(expiry);
      }
      writeKeyValue(w, key, value);
    }
  }
  w.byte(OPCODE.EOF);
  const body = w.take();
  return Buffer.concat([body, crc64(body)]);
}

function writeKeyValue(w: Writer, key: string, value: RedisValue): void {
  // The type byte comes first, then the key, then the value.
  if (typeof value === 'string') {
    w.byte(0);
    w.string(key);
    w.string(value);
    return;
  }
  const v = new Writer();
  writeValue(v, value);
  const bytes = v.take();
  w.byte(bytes[0]);
  w.string(key);
  w.raw(bytes.subarray(1));
}

/** Writes `bytes` to `file` crash-safely: temporary file, fsync, rename, fsync of the directory. */
export function writeFileDurably(file: string, bytes: Buffer): void {
  const temp = path.join(path.dirname(file), `temp-${process.pid}-${Date.now()}.rdb`);
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/**
 * Replaces the contents of `keyspace` with the RDB file at `file`; returns
 * the number of keys loaded. Nothing changes when the file is refused.
 */
export function loadSnapshot(keyspace: Keyspace, file: string, limits: LoadLimits): number {
  const bytes = fs.readFileSync(file);
  const fail = (offset: number, why: string): never => {
    throw new SnapshotError(`Bad RDB file ${file} at offset ${offset}: ${why}`);
  };
  if (bytes.length < 9 + 1 + 8 || !bytes.subarray(0, 5).equals(Buffer.from('REDIS'))) fail(0, 'not an RDB file');
  const version = Number(bytes.toString('latin1', 5, 9));
  if (!Number.isInteger(version) || version < 1 || version > RDB_VERSION) fail(5, `RDB version ${bytes.toString('latin1', 5, 9)} is not supported (newest known: ${RDB_VERSION})`);
  const expected = bytes.subarray(bytes.length - 8);
  // A file written with rdbchecksum no ends with eight zero bytes.
  if (!expected.equals(Buffer.alloc(8)) && !crc64(bytes.subarray(0, bytes.length - 8)).equals(expected)) {
    fail(bytes.length - 8, 'wrong checksum (the file is truncated or damaged)');
  }
  const r = new Reader(bytes.subarray(0, bytes.length - 8));
  r.pos = 9;
  const loaded: { db: number; key: string; value: RedisValue; expireAt?: number }[] = [];
  let db = 0;
  let expireAt: number | undefined;
  try {
    for (;;) {
      const opcode = r.byte();
      if (opcode === OPCODE.EOF) break;
      switch (opcode) {
        case OPCODE.AUX:
          r.string();
          r.string();
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
        case OPCODE.FUNCTION2:
        case OPCODE.MODULE_AUX:
          fail(r.pos - 1, 'functions and modules are not supported');
      }
      const key = r.string();
      loaded.push({ db, key, value: readValue(r, opcode, limits), expireAt });
      expireAt = undefined;
    }
  } catch (error) {
    if (error instanceof BadFormat) fail(r.pos, error.message);
    throw error;
  }
  if (!r.done) fail(r.pos, 'data after the end marker');
  keyspace.flushAll();
  const now = Date.now();
  let count = 0;
  for (const entry of loaded) {
    if (entry.expireAt !== undefined && entry.expireAt <= now) continue;
    const target = keyspace.dbs[entry.db];
    target.set(entry.key, entry.value);
    if (entry.expireAt !== undefined) target.setExpire(entry.key, entry.expireAt);
    count++;
  }
  return count;
}
