/**
 * Bit-level commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS,
 * BITOP, BITFIELD and BITFIELD_RO. Bit 0 is the most significant bit of the
 * first byte, as in Redis; a string reads as zero bits past its end.
 *
 * They work on the string in its BitString form (see store/database.ts),
 * bytes edited in place, as Redis edits its strings.
 */
import { NOTIFY } from '../store/notify.js';
import { ReplyError, syntaxError } from '../errors.js';
import type { Reply } from '../protocol/reply.js';
import type { BitString } from '../store/database.js';
import { parseInt64, type Int64 } from '../util/numbers.js';
import { isKeyword } from '../util/keywords.js';
import { integerArg, numberArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';

/** The byte holding bit `bit`, in arithmetic: bit offsets pass 2^31, where `>>` would wrap. */
const byteOf = (bit: number): number => Math.floor(bit / 8);

const badOffset = (): ReplyError => new ReplyError('ERR bit offset is not an integer or out of range');

/**
 * A bit offset: non-negative, and its byte within proto-max-bulk-len (a
 * 512 MB string by default), checked before any byte is allocated. With
 * `width`, BITFIELD's `#n` form counts in fields of that many bits; the
 * product wraps at 64 bits as Redis's long long multiplication does.
 */
function bitOffsetArg(ctx: CommandContext, text: string, width = 0): number {
  const hash = width > 0 && text.charCodeAt(0) === 0x23; // '#'
  let offset = parseInt64(hash ? text.slice(1) : text);
  if (offset === null) throw badOffset();
  if (hash) {
    const product = typeof offset === 'number' ? offset * width : NaN;
    offset = Number.isSafeInteger(product) ? product : BigInt.asIntN(64, BigInt(offset) * BigInt(width));
  }
  if (offset < 0 || Number(offset) / 8 >= ctx.server.config.values.protoMaxBulkLen) throw badOffset();
  return Number(offset);
}

function setbit(ctx: CommandContext, args: string[]): Reply {
  const offset = bitOffsetArg(ctx, args[2]);
  if (args[3] !== '0' && args[3] !== '1') throw new ReplyError('ERR bit is not an integer or out of range');
  const db = ctx.client.db;
  const bits = db.editBits(args[1]);
  const byteIndex = byteOf(offset);
  const mask = 0x80 >> (offset & 7);
  const grew = bits.grow(byteIndex + 1);
  const byte = bits.bytes[byteIndex];
  const updated = args[3] === '1' ? byte | mask : byte & ~mask;
  // Rewriting the same bit is no change (WATCH must not see one), unless the string grew.
  if (updated !== byte || grew) {
    bits.bytes[byteIndex] = updated;
    db.modified(args[1]);
    db.notify(NOTIFY.STRING, 'setbit', args[1]);
  }
  return byte & mask ? 1 : 0;
}

function getbit(ctx: CommandContext, args: string[]): Reply {
  const offset = bitOffsetArg(ctx, args[2]);
  const bits = ctx.client.db.readBits(args[1]);
  const byteIndex = byteOf(offset);
  if (bits === undefined || byteIndex >= bits.length) return 0;
  return bits.bytes[byteIndex] & (0x80 >> (offset & 7)) ? 1 : 0;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  return n;
});

/** BITCOUNT's and BITPOS's optional unit: false for BYTE (the default), true for BIT. */
function bitUnitArg(text: string | undefined): boolean {
  if (text === undefined) return false;
  const unit = text.toUpperCase();
  if (unit !== 'BIT' && unit !== 'BYTE') throw syntaxError();
  return unit === 'BIT';
}

/**
 * An inclusive [start, end] range of a string given in bytes or bits, with
 * negative indexes from the end, as a range of bits; undefined when empty.
 */
function bitRange(length: number, start: number, end: number, inBits: boolean): [number, number] | undefined {
  const total = inBits ? length * 8 : length;
  if (start < 0) start = Math.max(0, total + start);
  if (end < 0) end = Math.max(0, total + end);
  end = Math.min(end, total - 1);
  if (start > end) return undefined;
  return inBits ? [start, end] : [start * 8, end * 8 + 7];
}

function bitcount(ctx: CommandContext, args: string[]): Reply {
  // Redis looks the key up first: a missing key counts 0 whatever the arguments.
  const value = ctx.client.db.readBits(args[1]);
  if (value === undefined) return 0;
  let range: [number, number] | undefined = [0, value.length * 8 - 1];
  if (args.length === 4 || args.length === 5) {
    const start = numberArg(args[2]);
    const end = numberArg(args[3]);
    if (start < 0 && end < 0 && start > end) return 0;
    range = bitRange(value.length, start, end, bitUnitArg(args[4]));
  } else if (args.length !== 2) {
    throw syntaxError();
  }
  if (range === undefined) return 0;
  const [first, last] = range;
  const bytes = value.bytes;
  let count = 0;
  for (let bit = first; bit <= last; ) {
    if ((bit & 7) === 0 && bit + 7 <= last) {
      count += POPCOUNT[bytes[byteOf(bit)]];
      bit += 8;
    } else {
      if (bytes[byteOf(bit)] & (0x80 >> (bit & 7))) count++;
      bit++;
    }
  }
  return count;
}

/** The first bit equal to `bit` in bits first..last of `bytes`, or -1. */
function findBit(bytes: Buffer, bit: number, first: number, last: number): number {
  const skip = bit ? 0 : 0xff;
  for (let pos = first; pos <= last; ) {
    const byte = bytes[byteOf(pos)];
    if ((pos & 7) === 0 && pos + 7 <= last && byte === skip) {
      pos += 8;
      continue;
    }
    if (((byte >> (7 - (pos & 7))) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

function bitpos(ctx: CommandContext, args: string[]): Reply {
  const bit = numberArg(args[2]);
  if (bit !== 0 && bit !== 1) throw new ReplyError('ERR The bit argument must be 1 or 0.');
  // A missing key is an endless run of zero bits, whatever the range.
  const value = ctx.client.db.readBits(args[1]);
  if (value === undefined) return bit ? -1 : 0;
  if (args.length > 6) throw syntaxError();
  const start = args.length > 3 ? numberArg(args[3]) : 0;
  const inBits = bitUnitArg(args[5]);
  const endGiven = args.length > 4;
  const range = bitRange(value.length, start, endGiven ? numberArg(args[4]) : -1, inBits);
  if (range === undefined) return -1;
  const found = findBit(value.bytes, bit, range[0], range[1]);
  // Without an end the string counts as followed by zero bits; with one, only the range counts.
  if (found === -1 && bit === 0 && !endGiven) return value.length * 8;
  return found;
}

type BitOp = 'AND' | 'OR' | 'XOR' | 'NOT';
const EMPTY = Buffer.alloc(0);

function bitop(ctx: CommandContext, args: string[]): Reply {
  const op = args[1].toUpperCase();
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') throw syntaxError();
  if (op === 'NOT' && args.length !== 4) throw new ReplyError('ERR BITOP NOT must be called with a single source key.');
  const db = ctx.client.db;
  const sources: Buffer[] = [];
  let length = 0;
  for (let i = 3; i < args.length; i++) {
    const value = db.readBits(args[i]);
    sources.push(value === undefined ? EMPTY : value.bytes.subarray(0, value.length));
    length = Math.max(length, value?.length ?? 0);
  }
  const dest = args[2];
  if (length === 0) {
    db.deleteNotify(dest);
    return 0;
  }
  db.set(dest, combine(op as BitOp, sources, length));
  // Redis stores the result as a raw string, whatever its length.
  db.madeAs(dest, 'raw');
  db.notify(NOTIFY.STRING, 'set', dest);
  return length;
}

/** The bitwise `op` of `sources`, each read as zero bytes past its end, over `length` bytes. */
function combine(op: BitOp, sources: readonly Buffer[], length: number): string {
  const result = Buffer.alloc(length);
  sources[0].copy(result);
  if (op === 'NOT') {
    for (let i = 0; i < length; i++) result[i] = ~result[i];
  }
  for (let s = 1; s < sources.length; s++) {
    const source = sources[s];
    const n = source.length;
    if (op === 'AND') {
      for (let i = 0; i < n; i++) result[i] &= source[i];
      result.fill(0, n);
    } else if (op === 'OR') {
      for (let i = 0; i < n; i++) result[i] |= source[i];
    } else {
      for (let i = 0; i < n; i++) result[i] ^= source[i];
    }
  }
  return result.toString('latin1');
}

const enum Overflow { Wrap, Sat, Fail }

/** One BITFIELD operation; the parser fills pooled ones, since a call makes no objects of its own. */
class FieldOp {
  kind: 'GET' | 'SET' | 'INCRBY' = 'GET';
  signed = false;
  bits = 0;
  offset = 0;
  /** SET's value or INCRBY's increment. */
  value: Int64 = 0;
  overflow = Overflow.Wrap;
}

/** 2^n for field widths: V8 runs `2 ** n` with a variable n as a call to its pow, 6% of a BITFIELD. */
const POW2 = Array.from({ length: 65 }, (_, n) => 2 ** n);

/** The operations of the BITFIELD being run, its first `count` entries (commands never nest). */
const opPool: FieldOp[] = [];

const badType = (): ReplyError =>
  new ReplyError('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');

/**
 * The width of a field type, `i1`..`i64` or `u1`..`u63` (a u64 could not be
 * replied as a signed 64-bit integer): one or two digits, no leading zero.
 */
function fieldWidthArg(text: string): number {
  const d1 = text.charCodeAt(1) - 0x30;
  const d2 = text.length === 3 ? text.charCodeAt(2) - 0x30 : 0;
  const bits = text.length === 2 ? d1 : d1 * 10 + d2;
  const max = text.charCodeAt(0) === 0x69 ? 64 : 63; // 'i'
  if ((text.length !== 2 && text.length !== 3) || d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || bits > max) throw badType();
  return bits;
}

/** BITFIELD's operations, all checked before any runs, into opPool; returns how many. */
function parseFieldOps(ctx: CommandContext, args: string[]): number {
  let count = 0;
  let overflow = Overflow.Wrap;
  for (let i = 2; i < args.length; i++) {
    const left = args.length - i - 1;
    const word = args[i];
    if (left >= 1 && isKeyword(word, 'OVERFLOW')) {
      const mode = args[++i];
      if (isKeyword(mode, 'WRAP')) overflow = Overflow.Wrap;
      else if (isKeyword(mode, 'SAT')) overflow = Overflow.Sat;
      else if (isKeyword(mode, 'FAIL')) overflow = Overflow.Fail;
      else throw new ReplyError('ERR Invalid OVERFLOW type specified');
      continue;
    }
    const kind: FieldOp['kind'] | undefined =
      left >= 2 && isKeyword(word, 'GET') ? 'GET' : left >= 3 && isKeyword(word, 'SET') ? 'SET' : left >= 3 && isKeyword(word, 'INCRBY') ? 'INCRBY' : undefined;
    if (kind === undefined) throw syntaxError();
    const type = args[i + 1];
    const sign = type.charCodeAt(0);
    if (sign !== 0x69 && sign !== 0x75) throw badType(); // 'i', 'u'
    const bits = fieldWidthArg(type);
    const offset = bitOffsetArg(ctx, args[i + 2], bits);
    const value = kind === 'GET' ? 0 : integerArg(args[i + 3]);
    const op = count < opPool.length ? opPool[count] : (opPool[count] = new FieldOp());
    count++;
    op.kind = kind;
    op.signed = sign === 0x69;
    op.bits = bits;
    op.offset = offset;
    op.value = value;
    op.overflow = overflow;
    i += kind === 'GET' ? 2 : 3;
  }
  return count;
}

/**
 * The value a SET or INCRBY leaves in a field, or undefined when OVERFLOW
 * FAIL refuses it; for fields up to 52 bits and a safe-integer argument,
 * where every step below is exact in a double. An out-of-range SET of an
 * unsigned field saturates to the maximum even when negative: Redis sees the
 * value as an unsigned 64-bit number.
 */
function fieldResult(op: FieldOp, old: number, arg: number): number | undefined {
  const span = POW2[op.bits];
  const max = op.signed ? span / 2 - 1 : span - 1;
  const min = op.signed ? -span / 2 : 0;
  const set = op.kind === 'SET';
  const target = set ? arg : old + arg;
  if (target >= min && target <= max) return target;
  if (op.overflow === Overflow.Fail) return undefined;
  if (op.overflow === Overflow.Sat) return target > max || (set && !op.signed) ? max : min;
  const wrapped = ((((set ? 0 : old) + (arg % span)) % span) + span) % span;
  return wrapped > max ? wrapped - span : wrapped;
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * fieldResult for wider fields or a 64-bit argument. A SET far below a signed
 * field's minimum saturates to its maximum: Redis computes the headroom
 * `max - value` in 64 bits, which wraps negative there.
 */
function bigFieldResult(op: FieldOp, old: bigint, arg: bigint): bigint | undefined {
  const bits = BigInt(op.bits);
  const max = op.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const min = op.signed ? -max - 1n : 0n;
  const set = op.kind === 'SET';
  const target = set ? arg : old + arg;
  if (target >= min && target <= max) return target;
  if (op.overflow === Overflow.Fail) return undefined;
  if (op.overflow === Overflow.Sat) return target > max || (set && !op.signed) || (set && max - arg > INT64_MAX) ? max : min;
  return op.signed ? BigInt.asIntN(op.bits, target) : BigInt.asUintN(op.bits, target);
}

/** Fields wider than this go through BigInt. */
const NUMBER_BITS = 52;
/** The bytes a field of up to 64 bits touches: at most 9. */
const fieldBytes = (op: FieldOp): number => ((op.offset & 7) + op.bits + 7) >> 3;

/** A field's bytes (at most 9), loaded to read it and stored back after a write. */
const field = new Uint8Array(9);

/** Loads the bytes of `op`'s field into `field`: zero past the string's end. */
function loadField(bits: BitString | undefined, op: FieldOp): void {
  const byte = byteOf(op.offset);
  const count = fieldBytes(op);
  const length = bits === undefined ? 0 : bits.length;
  for (let i = 0; i < count; i++) field[i] = byte + i < length ? bits!.bytes[byte + i] : 0;
}

/** The loaded field as a number (up to NUMBER_BITS wide), two's complement for a signed one. */
function numberField(op: FieldOp): number {
  const unsigned = readBits(field, op.offset & 7, op.bits);
  return op.signed && unsigned >= POW2[op.bits - 1] ? unsigned - POW2[op.bits] : unsigned;
}

/** The loaded field as a bigint, any width. */
function bigField(op: FieldOp): bigint {
  const shift = op.offset & 7;
  const unsigned =
    op.bits <= 32
      ? BigInt(readBits(field, shift, op.bits))
      : (BigInt(readBits(field, shift, op.bits - 32)) << 32n) | BigInt(readBits(field, shift + op.bits - 32, 32));
  return op.signed ? BigInt.asIntN(op.bits, unsigned) : unsigned;
}

/** A GET: the field as a number where one holds it exactly. */
function readField(bits: BitString | undefined, op: FieldOp): Int64 {
  loadField(bits, op);
  return op.bits <= NUMBER_BITS ? numberField(op) : bigField(op);
}

/** Writes `v` into the loaded field and the field back into the string, which already reaches past it. */
function storeField(bits: BitString, op: FieldOp, v: number | bigint): void {
  const shift = op.offset & 7;
  if (typeof v === 'number') {
    writeBits(field, shift, op.bits, v < 0 ? v + POW2[op.bits] : v);
  } else if (op.bits <= 32) {
    writeBits(field, shift, op.bits, Number(BigInt.asUintN(op.bits, v)));
  } else {
    const unsigned = BigInt.asUintN(op.bits, v);
    writeBits(field, shift + op.bits - 32, 32, Number(unsigned & 0xffffffffn));
    writeBits(field, shift, op.bits - 32, Number(unsigned >> 32n));
  }
  const byte = byteOf(op.offset);
  const count = fieldBytes(op);
  for (let i = 0; i < count; i++) bits.bytes[byte + i] = field[i];
}

/** `bits` bits (at most 53) of `bytes` from bit `start`, as an unsigned number. */
function readBits(bytes: Uint8Array, start: number, bits: number): number {
  if (start < 8 && start + bits <= 32) {
    // Within the first 32-bit word: the common narrow fields, in integer arithmetic.
    const word = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    return bits === 32 ? word : (word >>> (32 - start - bits)) & ((1 << bits) - 1);
  }
  let v = 0;
  for (let pos = start, left = bits; left > 0; ) {
    const inByte = pos & 7;
    const take = Math.min(8 - inByte, left);
    v = v * (1 << take) + ((bytes[pos >> 3] >> (8 - inByte - take)) & ((1 << take) - 1));
    pos += take;
    left -= take;
  }
  return v;
}

/** Writes the unsigned `v` (below 2^bits, bits at most 53) into `bytes` from bit `start`, lowest bits last. */
function writeBits(bytes: Uint8Array, start: number, bits: number, v: number): void {
  if (start < 8 && start + bits <= 32) {
    const shift = 32 - start - bits;
    const mask = (bits === 32 ? 0xffffffff : ((1 << bits) - 1) << shift) >>> 0;
    const word = ((((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) & ~mask) | ((v << shift) & mask)) >>> 0;
    bytes[0] = word >>> 24;
    bytes[1] = word >>> 16;
    bytes[2] = word >>> 8;
    bytes[3] = word;
    return;
  }
  for (let end = start + bits; end > start; ) {
    const last = end - 1;
    const take = Math.min((last & 7) + 1, end - start);
    const low = 7 - (last & 7);
    const chunk = v % (1 << take);
    v = (v - chunk) / (1 << take);
    const mask = ((1 << take) - 1) << low;
    bytes[last >> 3] = (bytes[last >> 3] & ~mask) | (chunk << low);
    end -= take;
  }
}

function bitfield(ctx: CommandContext, args: string[], readOnly: boolean): Reply {
  const count = parseFieldOps(ctx, args);
  const db = ctx.client.db;
  let length = 0;
  for (let i = 0; i < count; i++) {
    const op = opPool[i];
    if (op.kind !== 'GET') length = Math.max(length, byteOf(op.offset + op.bits - 1) + 1);
  }
  if (length === 0) {
    // Only GETs: a read, which neither creates nor grows the key.
    const bits = db.readBits(args[1]);
    const replies: Reply[] = new Array(count);
    for (let i = 0; i < count; i++) replies[i] = readField(bits, opPool[i]);
    return replies;
  }
  if (readOnly) throw new ReplyError('ERR BITFIELD_RO only supports the GET subcommand');
  return writeFields(ctx, args[1], count, length);
}

/**
 * BITFIELD with writes, the first `count` operations of opPool. As in Redis,
 * the string is created or grown to the farthest written byte first, and
 * each write that changed a field, or follows that growth, counts as one
 * change for the dirty counter.
 */
function writeFields(ctx: CommandContext, key: string, count: number, length: number): Reply {
  const db = ctx.client.db;
  const bits = db.editBits(key);
  const grew = bits.grow(length);
  let changes = 0;
  const replies: Reply[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const op = opPool[i];
    if (op.kind === 'GET') {
      replies[i] = readField(bits, op);
      continue;
    }
    loadField(bits, op);
    // Numbers where every step is exact, bigints beyond; the paths stay apart so each stays monomorphic.
    let old: Int64;
    let updated: Int64 | undefined;
    if (op.bits <= NUMBER_BITS && typeof op.value === 'number') {
      old = numberField(op);
      updated = fieldResult(op, old, op.value);
    } else {
      old = bigField(op);
      updated = bigFieldResult(op, old, BigInt(op.value));
    }
    if (updated === undefined) {
      replies[i] = null;
      continue;
    }
    storeField(bits, op, updated);
    if (grew || updated !== old) changes++;
    replies[i] = op.kind === 'SET' ? old : updated;
  }
  if (changes > 0) {
    db.modified(key);
    // modified counted one change; Redis counts each.
    ctx.server.keyspace.dirty += changes - 1;
    db.notify(NOTIFY.STRING, 'setbit', key);
  } else if (grew) {
    // Created or grown with every write failing: Redis keeps the bytes but counts no change.
    db.resized(key);
  }
  return replies;
}

export const bitmapCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'setbit', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'bitmap', since: '2.2.0', complexity: 'O(1)',
    summary: 'Sets or clears one bit of a string, growing it with zero bytes; returns the previous bit.', syntax: 'key offset value',
    run: setbit,
  }),
  defineCommand({
    name: 'getbit', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'bitmap', since: '2.2.0', complexity: 'O(1)',
    summary: 'Returns one bit of a string (0 past its end).', syntax: 'key offset', run: getbit,
  }),
  defineCommand({
    name: 'bitcount', arity: -2, flags: ['readonly'], keys: ONE_KEY, group: 'bitmap', since: '2.6.0', complexity: 'O(N)',
    summary: 'Counts the set bits of a string, optionally within a byte or bit range.', syntax: 'key [start end [BYTE|BIT]]',
    run: bitcount,
  }),
  defineCommand({
    name: 'bitpos', arity: -3, flags: ['readonly'], keys: ONE_KEY, group: 'bitmap', since: '2.8.7', complexity: 'O(N)',
    summary: 'Returns the position of the first set or clear bit of a string, optionally within a byte or bit range.',
    syntax: 'key bit [start [end [BYTE|BIT]]]', run: bitpos,
  }),
  defineCommand({
    name: 'bitop', arity: -4, flags: ['write', 'denyoom'], keys: { first: 2, last: -1, step: 1 }, group: 'bitmap', since: '2.6.0',
    complexity: 'O(N)', summary: 'Stores the bitwise AND, OR, XOR or NOT of strings; returns the length of the result.',
    syntax: 'AND|OR|XOR|NOT destination key [key ...]', run: bitop,
  }),
  defineCommand({
    name: 'bitfield', arity: -2, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'bitmap', since: '3.2.0', complexity: 'O(1)',
    summary: 'Reads, sets and increments integer fields of any width and alignment in a string.',
    // The operations repeat in any order, which the syntax line cannot say.
    syntax: 'key [GET encoding offset] [OVERFLOW WRAP|SAT|FAIL] [SET encoding offset value] [INCRBY encoding offset increment]',
    run: (ctx, args) => bitfield(ctx, args, false),
  }),
  defineCommand({
    name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'bitmap', since: '6.0.0', complexity: 'O(1)',
    summary: 'Reads integer fields of a string (BITFIELD limited to GET).', syntax: 'key [GET encoding offset]',
    run: (ctx, args) => bitfield(ctx, args, true),
  }),
];
