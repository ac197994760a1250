/**
 * Values in Redis's RDB serialization (version 10, Redis 7.0), as DUMP and
 * RESTORE carry them: a type byte, the value, the RDB version (2 bytes) and a
 * CRC64 of all that (8 bytes, little-endian).
 *
 * Writing uses the plain encodings (strings, and lists, sets, sorted sets and
 * hashes as sequences of strings), which every Redis since 2.x loads and
 * which Redis 7.0 re-encodes compactly as it loads them. Reading also takes
 * every compact encoding any Redis version wrote (encodings.ts checks
 * them): listpacks, ziplists, quicklists of either, intsets, zipmaps,
 * integer-encoded and LZF-compressed strings; each is converted as Redis 7.0
 * converts it at load. Anything malformed is a BadFormat, never a partly
 * built value.
 *
 * Strings are latin1 JS strings (one char per byte) as everywhere in the store.
 */
import type { RedisValue } from '../store/database.js';
import { HashValue, type ListpackLimits } from '../store/hash.js';
import { ListValue } from '../store/list.js';
import { SetValue } from '../store/set.js';
import { ZSetValue, type ZSetLimits } from '../store/zset.js';
import { StreamValue } from '../store/stream.js';
import { readStream, writeStream, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2, RDB_TYPE_STREAM_LISTPACKS_3 } from './stream-rdb.js';
import { parseFloat64 } from '../util/numbers.js';
import { CorruptValue } from '../store/corrupt.js';
import { BadFormat, intsetHeaderValid, intsetMembers, listpackEntries, listpackHeaderValid, ziplistEntries, zipmapPairs } from './encodings.js';

export const RDB_VERSION = 10;
/** Newest RDB version whose files load (Redis 7.4's 12), as far as their encodings are known here. */
export const RDB_VERSION_READABLE = 12;

const TYPE = {
  STRING: 0, LIST: 1, SET: 2, ZSET: 3, HASH: 4, ZSET_2: 5, HASH_ZIPMAP: 9, LIST_ZIPLIST: 10, SET_INTSET: 11,
  ZSET_ZIPLIST: 12, HASH_ZIPLIST: 13, LIST_QUICKLIST: 14, HASH_LISTPACK: 16, ZSET_LISTPACK: 17, LIST_QUICKLIST_2: 18,
  SET_LISTPACK: 20,
} as const;

/** Types this server has no value for, named in the refusal. */
const UNSUPPORTED: Readonly<Record<number, string>> = {
  6: 'module values', 7: 'module values', 22: 'hashes with field expiry (Redis 7.4)',
  23: 'hashes with field expiry (Redis 7.4)', 24: 'hashes with field expiry (Redis 7.4)', 25: 'hashes with field expiry (Redis 7.4)',
};

/** Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2). */
const NODE_PLAIN = 1;
const NODE_PACKED = 2;

/** The encodings new values get when loaded, as the server's configuration says. */
export interface LoadLimits extends ZSetLimits {
  readonly hashMaxListpackEntries: number;
  readonly hashMaxListpackValue: number;
  readonly setMaxIntsetEntries: number;
}


// ---------------------------------------------------------------- CRC64 (Jones, reflected, as Redis's crc64.c)

/** The table as two 32-bit halves: JS bit operations work on 32 bits. */
const CRC_LO = new Uint32Array(256);
const CRC_HI = new Uint32Array(256);
{
  // 0xad93d23594c935a9 bit-reversed, for the reflected algorithm.
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    CRC_LO[i] = lo;
    CRC_HI[i] = hi;
  }
}

/**
 * Slicing by 8: table k (at k * 256) is the CRC of a byte followed by k zero
 * bytes, so eight input bytes fold in with eight lookups instead of a chain
 * of eight (snapshots of hundreds of megabytes are checksummed whole).
 */
const SLICE_LO = new Uint32Array(8 * 256);
const SLICE_HI = new Uint32Array(8 * 256);
{
  SLICE_LO.set(CRC_LO);
  SLICE_HI.set(CRC_HI);
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const lo = SLICE_LO[(k - 1) * 256 + i];
      const hi = SLICE_HI[(k - 1) * 256 + i];
      SLICE_LO[k * 256 + i] = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ CRC_LO[lo & 0xff]) >>> 0;
      SLICE_HI[k * 256 + i] = ((hi >>> 8) ^ CRC_HI[lo & 0xff]) >>> 0;
    }
  }
}

/** A CRC64 computed piece by piece, for data written in several steps. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  update(bytes: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    const whole = bytes.length - (bytes.length & 7);
    const L = SLICE_LO;
    const H = SLICE_HI;
    for (let i = 0; i < whole; i += 8) {
      const xl = (lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
      const xh = (hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24))) >>> 0;
      const a = 7 * 256 + (xl & 0xff);
      const b = 6 * 256 + ((xl >>> 8) & 0xff);
      const c = 5 * 256 + ((xl >>> 16) & 0xff);
      const d = 4 * 256 + (xl >>> 24);
      const e = 3 * 256 + (xh & 0xff);
      const f = 2 * 256 + ((xh >>> 8) & 0xff);
      const g = 256 + ((xh >>> 16) & 0xff);
      const h = xh >>> 24;
      lo = (L[a] ^ L[b] ^ L[c] ^ L[d] ^ L[e] ^ L[f] ^ L[g] ^ L[h]) >>> 0;
      hi = (H[a] ^ H[b] ^ H[c] ^ H[d] ^ H[e] ^ H[f] ^ H[g] ^ H[h]) >>> 0;
    }
    for (let i = whole; i < bytes.length; i++) {
      const index = (lo ^ bytes[i]) & 0xff;
      lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ CRC_LO[index]) >>> 0;
      hi = ((hi >>> 8) ^ CRC_HI[index]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The checksum so far, as 8 little-endian bytes. */
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32LE(this.lo, 0);
    out.writeUInt32LE(this.hi, 4);
    return out;
  }
}

/** CRC64 of `bytes`, as 8 little-endian bytes. */
export function crc64(bytes: Uint8Array): Buffer {
  const crc = new Crc64();
  crc.update(bytes);
  return crc.digest();
}

// ---------------------------------------------------------------- writing

/** Builds RDB bytes in one growing buffer (a snapshot writes millions of small fields). */
export class Writer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** Bytes written so far. */
  size = 0;

  private room(n: number): void {
    if (this.size + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.size + n));
    this.buf.copy(grown, 0, 0, this.size);
    this.buf = grown;
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.size);
    this.size += bytes.length;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.size++] = b;
  }

  length(n: number): void {
    if (n < 64) {
      this.byte(n);
    } else if (n < 16384) {
      this.byte(0x40 | (n >> 8));
      this.byte(n & 0xff);
    } else {
      this.room(5);
      this.buf[this.size] = 0x80;
      this.buf.writeUInt32BE(n, this.size + 1);
      this.size += 5;
    }
  }

  /** A length beyond 32 bits (stream IDs' milliseconds and sequences): 0x81 and 8 bytes, big-endian. */
  bigLength(n: bigint): void {
    if (n < 0x100000000n) {
      this.length(Number(n));
      return;
    }
    this.room(9);
    this.buf[this.size] = 0x81;
    this.buf.writeBigUInt64BE(n, this.size + 1);
    this.size += 9;
  }

  string(s: string): void {
    this.length(s.length);
    this.room(s.length);
    this.size += this.buf.write(s, this.size, 'latin1');
  }

  double(value: number): void {
    this.room(8);
    this.buf.writeDoubleLE(value, this.size);
    this.size += 8;
  }

  /** Everything written, as one buffer (a copy); the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.size));
    this.size = 0;
    return out;
  }
}

/** Writes a value's type byte and its serialization. */
export function writeValue(w: Writer, value: RedisValue): void {
  if (typeof value === 'string') {
    w.byte(TYPE.STRING);
    w.string(value);
  } else if (value instanceof ListValue) {
    w.byte(TYPE.LIST);
    w.length(value.length);
    for (const element of value.range(0, value.length - 1)) w.string(element);
  } else if (value instanceof SetValue) {
    w.byte(TYPE.SET);
    w.length(value.size);
    for (const member of value.members()) w.string(member);
  } else if (value instanceof ZSetValue) {
    w.byte(TYPE.ZSET_2);
    w.length(value.size);
    for (const [member, score] of value.entries()) {
      w.string(member);
      w.double(score);
    }
  } else if (value instanceof HashValue) {
    w.byte(TYPE.HASH);
    w.length(value.size);
    value.forEach((field, v) => {
      w.string(field);
      w.string(v);
    });
  } else if (value instanceof StreamValue) {
    w.byte(RDB_TYPE_STREAM_LISTPACKS_2);
    writeStream(w, value);
  } else if (value instanceof CorruptValue) {
    // The bytes go on as they came, as Redis's DUMP and SAVE pass on what they could not check.
    w.raw(value.serialized);
  } else {
    throw new BadFormat(`cannot serialize a ${value.type}`);
  }
}

/** DUMP: the serialization of a value, with version and checksum. */
export function dumpValue(value: RedisValue): Buffer {
  const w = new Writer();
  writeValue(w, value);
  const body = w.take();
  const version = Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8]);
  const covered = Buffer.concat([body, version]);
  return Buffer.concat([covered, crc64(covered)]);
}

/**
 * Whether a DUMP payload ends with a version this server reads and a
 * matching checksum (not looked at with `skipChecksum`: DEBUG
 * SET-SKIP-CHECKSUM-VALIDATION, for tests that hand-craft payloads).
 */
export function payloadValid(payload: Buffer, skipChecksum = false): boolean {
  if (payload.length < 10) return false;
  const version = payload.readUInt16LE(payload.length - 10);
  if (version > RDB_VERSION) return false;
  return skipChecksum || crc64(payload.subarray(0, payload.length - 8)).equals(payload.subarray(payload.length - 8));
}

// ---------------------------------------------------------------- reading

const UNEXPECTED_EOF = 'Unexpected EOF reading RDB file';

/** Reads RDB bytes; `pos` is the offset reached (named in errors about files). */
/** Packed values checked with deep sanitization, by RESTORE and loads alike (INFO dump_payload_sanitizations). */
export const deepSanitizations = { count: 0 };

export class Reader {
  pos = 0;
  /**
   * The first fault a check skipped without deep sanitization found
   * (see deepOnly): the value being read is then a CorruptValue.
   */
  fault: string | undefined = undefined;

  /** `deep`: every check refuses (sanitize-dump-payload yes); else only those Redis makes without it. */
  constructor(private readonly buf: Buffer, readonly deep = true) {}

  /**
   * Runs a check that Redis makes only with deep sanitization. Without it,
   * a failure does not refuse the value: it is remembered, `skipped` stands
   * in for the result and reading goes on, so that a fault Redis always
   * refuses, later in the payload, is still refused.
   */
  deepOnly<T>(check: () => T, skipped: T): T {
    if (this.deep) deepSanitizations.count++;
    try {
      return check();
    } catch (error) {
      if (this.deep || !(error instanceof BadFormat)) throw error;
      this.fault ??= error.message;
      return skipped;
    }
  }

  /** The bytes from `start` to where reading got. */
  since(start: number): Buffer {
    return this.buf.subarray(start, this.pos);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new BadFormat(UNEXPECTED_EOF);
    return this.buf[this.pos++];
  }

  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new BadFormat(UNEXPECTED_EOF);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length, or, for the special string encodings, { encoding }. */
  lengthOrEncoding(): number | { encoding: number } {
    const first = this.byte();
    switch (first >> 6) {
      case 0: return first & 0x3f;
      case 1: return ((first & 0x3f) << 8) | this.byte();
      case 3: return { encoding: first & 0x3f };
      default:
        if (first === 0x80) return this.take(4).readUInt32BE(0);
        if (first === 0x81) return Number(this.take(8).readBigUInt64BE(0));
        throw new BadFormat('bad length');
    }
  }

  length(): number {
    const n = this.lengthOrEncoding();
    if (typeof n !== 'number') throw new BadFormat('encoded value where a length belongs');
    return n;
  }

  /** A length of up to 64 bits, exactly. */
  bigLength(): bigint {
    if (this.buf[this.pos] === 0x81) {
      this.pos++;
      return this.take(8).readBigUInt64BE(0);
    }
    return BigInt(this.length());
  }

  string(): string {
    const n = this.lengthOrEncoding();
    if (typeof n === 'number') return this.take(n).toString('latin1');
    switch (n.encoding) {
      case 0: return String(this.take(1).readInt8(0));
      case 1: return String(this.take(2).readInt16LE(0));
      case 2: return String(this.take(4).readInt32LE(0));
      case 3: {
        const compressed = this.length();
        const size = this.length();
        return lzfDecompress(this.take(compressed), size).toString('latin1');
      }
      default: throw new BadFormat('unknown string encoding');
    }
  }

  /** A string holding an encoded blob (listpack, ziplist, intset...), as bytes. */
  blob(): Buffer {
    return Buffer.from(this.string(), 'latin1');
  }

  double(): number {
    return this.take(8).readDoubleLE(0);
  }

  /** The old text form of a sorted-set score (RDB_TYPE_ZSET). */
  textDouble(): number {
    const len = this.byte();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    return score(this.take(len).toString('latin1'));
  }
}

/**
 * LZF decompression (liblzf's format, as Redis compresses long strings).
 * Nothing is allocated before the sizes are known to fit: LZF expands at
 * most 88-fold (a 3-byte back reference copies 264 bytes), so a larger
 * claimed size is a corrupt header, not a reason to allocate gigabytes.
 */
function lzfDecompress(input: Buffer, size: number): Buffer {
  const bad = (): never => {
    throw new BadFormat('Invalid LZF compressed string');
  };
  if (size === 0 || size > input.length * 88) bad();
  const out = Buffer.alloc(size);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > size || ip + run > input.length) bad();
      input.copy(out, op, ip, ip + run);
      op += run;
      ip += run;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) {
        if (ip >= input.length) bad();
        len += input[ip++];
      }
      if (ip >= input.length) bad();
      ref -= input[ip++];
      len += 2;
      if (ref < 0 || op + len > size) bad();
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  if (op !== size) bad();
  return out;
}

/** A score written as text ("1.5", "inf"); NaN, which a sorted set refuses, when it is not a number. */
function score(text: string): number {
  return parseFloat64(text) ?? NaN;
}

/** Alternate elements as field-value pairs; the fields must be distinct (else `duplicate` is the fault). */
function pairs(items: string[], what: string, duplicate = `${what} integrity check failed.`): [string, string][] {
  if (items.length % 2 !== 0) throw new BadFormat(`${what} integrity check failed.`);
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (let i = 0; i < items.length; i += 2) {
    if (seen.has(items[i])) throw new BadFormat(duplicate);
    seen.add(items[i]);
    out.push([items[i], items[i + 1]]);
  }
  return out;
}

function hashOf(entries: Iterable<[string, string]>, limits: LoadLimits, duplicate: string): HashValue {
  const hash = new HashValue();
  const listpack: ListpackLimits = { maxEntries: limits.hashMaxListpackEntries, maxValue: limits.hashMaxListpackValue };
  for (const [field, value] of entries) if (!hash.set(field, value, listpack)) throw new BadFormat(duplicate);
  return hash;
}

function setOf(members: Iterable<string>, limits: LoadLimits): SetValue {
  const set = new SetValue();
  for (const member of members) if (!set.add(member, limits.setMaxIntsetEntries)) throw new BadFormat('Duplicate set members detected');
  return set;
}

function zsetOf(entries: [string, number][], limits: LoadLimits, duplicate: string): ZSetValue {
  const seen = new Set<string>();
  for (const [member, value] of entries) {
    if (Number.isNaN(value)) throw new BadFormat('Zset with NAN score detected');
    if (seen.has(member)) throw new BadFormat(duplicate);
    seen.add(member);
  }
  return ZSetValue.fromEntries(limits, entries);
}

/** Sorted-set pairs of a ziplist or listpack: the scores are numbers in text or integer form. */
function scoredPairs(items: string[], what: string): [string, number][] {
  return pairs(items, what).map(([member, text]) => [member, score(text)]);
}

/**
 * RESTORE: the value of a payload that `payloadValid` accepted; `deep` as
 * sanitize-dump-payload decides for the client.
 */
export function loadValue(payload: Buffer, limits: LoadLimits, deep: boolean): RedisValue {
  const r = new Reader(payload.subarray(0, payload.length - 10), deep);
  const value = readRecord(r, r.byte(), limits);
  if (value === undefined) throw new BadFormat('Empty keys are not allowed');
  if (r.pos !== payload.length - 10) throw new BadFormat('Trailing bytes after the value');
  return value;
}

/** OBJECT ENCODING of the value a serialization of each compact type would load to. */
const ENCODING_OF: Readonly<Record<number, [CorruptValue['type'], string]>> = {
  [TYPE.SET_INTSET]: ['set', 'intset'], [TYPE.HASH_LISTPACK]: ['hash', 'listpack'], [TYPE.ZSET_LISTPACK]: ['zset', 'listpack'],
  [TYPE.LIST_QUICKLIST_2]: ['list', 'quicklist'], [RDB_TYPE_STREAM_LISTPACKS]: ['stream', 'stream'],
  [RDB_TYPE_STREAM_LISTPACKS_2]: ['stream', 'stream'], [RDB_TYPE_STREAM_LISTPACKS_3]: ['stream', 'stream'],
};

/**
 * readValue, and a CorruptValue holding the bytes read when a check that
 * `r.deep` false skips found a fault (only the types ENCODING_OF names
 * have such checks).
 */
export function readRecord(r: Reader, type: number, limits: LoadLimits): RedisValue | undefined {
  const start = r.pos;
  r.fault = undefined;
  const value = readValue(r, type, limits);
  if (r.fault === undefined) return value;
  const [typeName, encoding] = ENCODING_OF[type];
  return new CorruptValue(typeName, encoding, Buffer.concat([Buffer.from([type]), r.since(start)]), r.fault);
}

/**
 * What the log says of a CorruptValue as it is loaded: Redis's assertion
 * report, which Redis writes when a command (or its own loading) walks the
 * bad bytes and then dies. Here nothing dies; the report comes at once.
 */
export function corruptionReport(value: CorruptValue, key: string): string[] {
  return ['=== ASSERTION FAILED ===', `==> ${value.fault} (the value of key '${key}', loaded without deep sanitization: commands reading it get an error)`];
}

/**
 * A listpack of `what` ("Hash listpack", ...): the header is always
 * checked, the entries as deeply as the reader is told to (none stand in
 * for those of a listpack that failed).
 */
function listpackOf(r: Reader, what: string): string[] {
  const blob = r.blob();
  if (!listpackHeaderValid(blob)) throw new BadFormat(`${what} integrity check failed.`);
  return r.deepOnly(() => listpackEntries(blob, what), []);
}

/** A list's elements, read one string at a time (`n` strings). */
function strings(r: Reader, n: number): string[] {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(r.string());
  return items;
}

/**
 * Reads a value of RDB type `type` (its type byte already read), converted
 * as Redis 7.0 converts what older versions wrote; undefined for an empty
 * collection, which an RDB file skips and RESTORE refuses, as in Redis.
 */
function readValue(r: Reader, type: number, limits: LoadLimits): RedisValue | undefined {
  switch (type) {
    case TYPE.STRING:
      return r.string();
    case TYPE.LIST: {
      const n = r.length();
      return n === 0 ? undefined : new ListValue(strings(r, n));
    }
    case TYPE.LIST_ZIPLIST: {
      const items = ziplistEntries(r.blob(), 'List ziplist');
      return items.length === 0 ? undefined : new ListValue(items);
    }
    case TYPE.LIST_QUICKLIST:
    case TYPE.LIST_QUICKLIST_2: {
      const nodes = r.length();
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = type === TYPE.LIST_QUICKLIST ? NODE_PACKED : r.length();
        if (container !== NODE_PLAIN && container !== NODE_PACKED) throw new BadFormat('Quicklist integrity check failed.');
        const blob = r.blob();
        if (blob.length === 0) throw new BadFormat('Quicklist node of zero bytes');
        if (container === NODE_PLAIN) items.push(blob.toString('latin1'));
        // Empty nodes are skipped, as Redis skips them; a list left empty is an empty key.
        else if (type === TYPE.LIST_QUICKLIST) for (const item of ziplistEntries(blob)) items.push(item);
        else if (!listpackHeaderValid(blob)) throw new BadFormat('Listpack integrity check failed.');
        else for (const item of r.deepOnly(() => listpackEntries(blob), [])) items.push(item);
      }
      return items.length === 0 ? undefined : new ListValue(items);
    }
    case TYPE.SET: {
      const n = r.length();
      return n === 0 ? undefined : setOf(strings(r, n), limits);
    }
    case TYPE.SET_INTSET: {
      const blob = r.blob();
      if (!intsetHeaderValid(blob)) throw new BadFormat('Intset integrity check failed.');
      return r.deepOnly(() => setOf(intsetMembers(blob), limits), undefined);
    }
    case TYPE.SET_LISTPACK: {
      const members = listpackEntries(r.blob(), 'Set listpack');
      return members.length === 0 ? undefined : setOf(members, limits);
    }
    case TYPE.ZSET:
    case TYPE.ZSET_2: {
      const n = r.length();
      if (n === 0) return undefined;
      const entries: [string, number][] = [];
      for (let i = 0; i < n; i++) entries.push([r.string(), type === TYPE.ZSET_2 ? r.double() : r.textDouble()]);
      return zsetOf(entries, limits, 'Duplicate zset fields detected');
    }
    case TYPE.ZSET_ZIPLIST: {
      const what = 'Zset ziplist';
      const entries = scoredPairs(ziplistEntries(r.blob(), what), what);
      return entries.length === 0 ? undefined : zsetOf(entries, limits, `${what} integrity check failed.`);
    }
    case TYPE.ZSET_LISTPACK: {
      const what = 'Zset listpack';
      const items = listpackOf(r, what);
      return r.deepOnly(() => {
        const entries = scoredPairs(items, what);
        return entries.length === 0 ? undefined : zsetOf(entries, limits, `${what} integrity check failed.`);
      }, undefined);
    }
    case TYPE.HASH: {
      const n = r.length();
      if (n === 0) return undefined;
      const entries: [string, string][] = [];
      for (let i = 0; i < n; i++) entries.push([r.string(), r.string()]);
      return hashOf(entries, limits, 'Duplicate hash fields detected');
    }
    case TYPE.HASH_ZIPMAP:
      return hashOf(zipmapPairs(r.blob()), limits, 'Hash zipmap with dup elements');
    case TYPE.HASH_ZIPLIST: {
      const what = 'Hash ziplist';
      const entries = pairs(ziplistEntries(r.blob(), what), what);
      return entries.length === 0 ? undefined : hashOf(entries, limits, `${what} integrity check failed.`);
    }
    case TYPE.HASH_LISTPACK: {
      const what = 'Hash listpack';
      const items = listpackOf(r, what);
      return r.deepOnly(() => {
        // Without deep checks, Redis finds duplicate fields only when it converts a listpack past
        // hash-max-listpack-entries to a hash table, as it loads it, and reports them in these words.
        const converted = !r.deep && items.length / 2 > limits.hashMaxListpackEntries;
        const entries = pairs(items, what, converted ? 'listpack with dup elements' : undefined);
        return entries.length === 0 ? undefined : hashOf(entries, limits, `${what} integrity check failed.`);
      }, undefined);
    }
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
      return readStream(r, type);
    default:
      throw new BadFormat(UNSUPPORTED[type] !== undefined ? `${UNSUPPORTED[type]} (RDB type ${type}) are not supported` : `Unknown RDB encoding type ${type}`);
  }
}

// ---------------------------------------------------------------- function libraries

/** RDB opcodes of a library: its code with the shebang (7.0 GA), and 7.0-rc's name, engine, description and body. */
export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;

/** One library record after its opcode: FUNCTION2 is the code; the pre-GA form is rebuilt into code with its shebang. */
export function readLibrary(r: Reader, type: number): string {
  if (type === RDB_OPCODE_FUNCTION2) return r.string();
  const name = r.string();
  const engine = r.string();
  if (r.length() !== 0) r.string();
  const body = r.string();
  return `#!${engine} name=${name}\n${body}`;
}
