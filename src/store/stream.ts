/**
 * The stream type.
 *
 * An entry ID is two unsigned 64-bit numbers, ms and seq. Here it is one
 * bigint, ms * 2^64 + seq, so that comparing IDs is comparing numbers and
 * 18446744073709551615-18446744073709551615 is just the largest one.
 *
 * Entries live in nodes, as Redis keeps them in listpacks hanging off a
 * radix tree: appends go to the last node, a range scan is a binary search
 * and then a walk, and trimming drops whole nodes from the front. Node
 * boundaries are observable (XADD/XTRIM with `~` only remove whole nodes),
 * so a node closes exactly when Redis would close its listpack: after
 * stream-node-max-entries entries, live or deleted, or when its estimated
 * listpack size reaches stream-node-max-bytes. Redis flags deleted entries
 * instead of removing them; a node here removes them and counts them.
 *
 * Only the last node keeps entries as JS arrays; the others are packed into
 * one string each (see StreamNode), about Redis's listpack size, and entries
 * are decoded only when read. No bigint is kept per entry there.
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD, stringBytes } from './memory.js';

export type StreamId = bigint;

const U64 = 1n << 64n;
const SEQ_MASK = U64 - 1n;
export const ID_ZERO: StreamId = 0n;
export const ID_MAX: StreamId = (U64 << 64n) - 1n;

export const makeId = (ms: bigint, seq: bigint): StreamId => (ms << 64n) | seq;
export const idMs = (id: StreamId): bigint => id >> 64n;
export const idSeq = (id: StreamId): bigint => id & SEQ_MASK;
export const formatId = (id: StreamId): string => `${id >> 64n}-${id & SEQ_MASK}`;

/** A group's entries_read when it is not known (Redis's SCG_INVALID_ENTRIES_READ). */
export const INVALID_ENTRIES_READ = -1;

/** Redis caps a listpack at 1 GB whatever stream-node-max-bytes says. */
const LISTPACK_MAX_SIZE = 1 << 30;

/** What a range walk hands each entry to. */
export type EntryVisitor = (id: StreamId, fields: readonly string[]) => void;

/** What a range walk for a reply hands each entry to: its ID as text. */
export type TextEntryVisitor = (id: string, fields: readonly string[]) => void;

/** One entry: its ID and its fields and values, alternating. */
export interface StreamEntry {
  readonly id: StreamId;
  readonly fields: readonly string[];
}

/** Bytes of a listpack element's back-length for an element of `n` bytes. */
const backlenSize = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : n < 268435456 ? 4 : 5);

/** Bytes of an integer in a listpack, with its back-length (a bigint only when outside 32 bits anyway). */
function lpIntSize(n: bigint | number): number {
  if (typeof n === 'bigint') return n >= -2147483648n && n <= 2147483647n ? lpIntSize(Number(n)) : 10;
  if (n >= 0 && n <= 127) return 2;
  if (n >= -4096 && n <= 4095) return 3;
  if (n >= -32768 && n <= 32767) return 4;
  if (n >= -8388608 && n <= 8388607) return 5;
  if (n >= -2147483648 && n <= 2147483647) return 6;
  return 10;
}

/** Whether `s` is integer text as listpacks take it: '0', or digits with an optional '-' and no leading zero. */
function isIntegerText(s: string): boolean {
  const len = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === len) return false;
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1;
  if (first < 49 || first > 57) return false;
  for (i++; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Bytes of a string in a listpack: strings that read as 64-bit integers are stored as integers. */
function lpStringSize(s: string): number {
  const len = s.length;
  if (len <= 20 && isIntegerText(s)) {
    // Up to 15 digits a double holds the value exactly.
    if (len <= 15) return lpIntSize(Number(s));
    const n = BigInt(s);
    if (n >= INT64_MIN && n <= INT64_MAX) return 10;
  }
  const size = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return size + backlenSize(size);
}

/**
 * A number that IDs are ordered by, up to ties: ms * 4096 plus the sequence
 * capped at 4095, rounded. Searches compare these and look at the bigints only
 * on a tie (IDs of one ms past sequence 4095, or ms past 2^41), since
 * comparing two bigints costs V8 some ten times more than two numbers.
 */
const orderKeyOf = (ms: bigint, seq: bigint): number => Number(ms) * 4096 + Math.min(Number(seq), 4095);
const orderKey = (id: StreamId): number => orderKeyOf(id >> 64n, id & SEQ_MASK);

/** Below this ms, ms * 4096 + seq is an integer a double holds exactly. */
const EXACT_MS_LIMIT = 2 ** 41;

/**
 * The order key of the ID `text` names, when that key alone tells the ID
 * apart from every other (sequence below 4095, ms below 2^41: until 2039):
 * digits, a dash and digits, or digits alone for sequence 0, as XACK takes
 * IDs. -1 otherwise, and for text that is not such an ID, which the full
 * parse then judges. No bigint is made.
 */
export function exactOrderKey(text: string): number {
  const len = text.length;
  let ms = 0;
  let i = 0;
  for (; i < len; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    ms = ms * 10 + digit;
  }
  if (i === 0 || i > 13 || ms >= EXACT_MS_LIMIT) return -1;
  if (i === len) return ms * 4096;
  if (text.charCodeAt(i) !== 45 || i + 1 === len || len - i > 5) return -1;
  let seq = 0;
  for (i++; i < len; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    seq = seq * 10 + digit;
  }
  return seq < 4095 ? ms * 4096 + seq : -1;
}

/** Index of the first of the sorted order `keys` that is >= `key` (keys.length when none): for exact keys, no ID is needed. */
function keyLowerBound(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first of the sorted `ids` (with their order keys) that is >= `id` (ids.length when none). */
function lowerBound(keys: readonly number[], ids: readonly StreamId[], key: number, id: StreamId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid];
    if (k < key || (k === key && ids[mid] < id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bytes of an ID part's difference from the node's first ID, stored as a signed 64-bit integer (wrapping as Redis's does). */
function lpDeltaSize(d: bigint): number {
  const n = Number(d);
  if (n > -2147483649 && n < 2147483648) return lpIntSize(n);
  // Well inside int64 whatever the rounding to a double.
  if (n > -9.2e18 && n < 9.2e18) return 10;
  return lpIntSize(BigInt.asIntN(64, d));
}

/** lpDeltaSize for a difference of two safe integers. */
const lpDeltaNumberSize = (d: number): number => (d > -2147483649 && d < 2147483648 ? lpIntSize(d) : 10);

const SAFE = Number.MAX_SAFE_INTEGER;
const SAFE_BIG = BigInt(SAFE);

/** Entry flags in a packed node, the low two bits of the number that starts an entry (its ms delta times 4 is the rest). */
const SAME_FIELDS = 1;
/** The entry's ms delta is beyond 2^51 or its seq beyond 2^53: both follow as bigints, and the flags stand alone. */
const BIG_ID = 2;
/** The largest ms delta stored with the flags: times 4 plus them, still a safe integer. */
const MSD_MAX = Math.floor(SAFE / 4);
const MSD_MAX_BIG = BigInt(MSD_MAX);

/**
 * Past this many bytes a node stays unpacked: one string holds a packed node
 * and V8 caps strings at about 2^29 characters.
 */
const PACK_MAX = 1 << 28;

/**
 * Where pack writes a node's bytes before they become its string: one
 * string made from a buffer costs less than joining the hundreds of small
 * pieces a node has. Kept between packs, grown when a node needs more.
 */
const SCRATCH_KEPT = 1 << 16;
let scratch = Buffer.allocUnsafe(SCRATCH_KEPT);

/** Makes room in scratch for `more` bytes at `at`. */
function room(at: number, more: number): void {
  if (at + more <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + more));
  scratch.copy(bigger, 0, 0, at);
  scratch = bigger;
}

/** Writes `n` as an unsigned LEB128 number at `at` (room for 10 bytes made); returns where it ends. */
function putVarint(at: number, n: number): number {
  for (; n >= 128; n = Math.floor(n / 128)) scratch[at++] = (n % 128) | 128;
  scratch[at++] = n;
  return at;
}

/** putVarint for an unsigned 64-bit bigint. */
function putBigVarint(at: number, n: bigint): number {
  for (; n >= 128n; n >>= 7n) scratch[at++] = Number(n & 127n) | 128;
  scratch[at++] = Number(n);
  return at;
}

/** Writes `s` with its length before it at `at`; returns where it ends, or -1 when `s` has a character past latin1. */
function putText(at: number, s: string): number {
  const len = s.length;
  room(at, len + 10);
  at = putVarint(at, len);
  const buf = scratch;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return -1;
    buf[at++] = c;
  }
  return at;
}

/** An entry's offset in a node's table: 4 bytes when the entries take 64 KB or more, else 2; little-endian. */
const offsetText = (at: number, wide: boolean): string =>
  wide ? String.fromCharCode(at & 255, (at >>> 8) & 255, (at >>> 16) & 255, at >>> 24) : String.fromCharCode(at & 255, at >>> 8);

/** The decoder's position in the packed string being read: the read* helpers advance it. */
let pos = 0;
/** The ID StreamNode.readId decoded last: a BIG_ID entry's, else its ms delta and sequence. */
let decodedId: StreamId = 0n;
let decodedMsd = 0;
let decodedSeq = 0;

function readNumber(data: string): number {
  let b = data.charCodeAt(pos++);
  if (b < 128) return b;
  let n = b & 127;
  for (let scale = 128; ; scale *= 128) {
    b = data.charCodeAt(pos++);
    n += (b & 127) * scale;
    if (b < 128) return n;
  }
}

function readBigint(data: string): bigint {
  let n = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const b = data.charCodeAt(pos++);
    n |= BigInt(b & 127) << shift;
    if (b < 128) return n;
  }
}

function readText(data: string): string {
  const len = readNumber(data);
  const start = pos;
  pos += len;
  return data.substring(start, pos);
}

/**
 * A node: the entries between two radix-tree keys of Redis. The last node
 * is open and keeps its entries as XADD appended them; a node is packed
 * once another one follows it. Packed, the node is one latin1 string: per
 * entry its ms delta from the node's first ID with two flag bits, and its
 * sequence, as varints, then the values (and the field names unless they are the
 * node's first entry's), each as a varint length and its bytes; after the
 * entries an offset table, 2 or 4 bytes per entry, for seeking.
 *
 * Open, the IDs are kept the same way, as a ms delta and a sequence, but in
 * number arrays: XADD then makes no bigint. Only a node with an ID part past
 * 2^53 (Redis allows 64 bits) keeps its IDs as bigints too.
 */
class StreamNode {
  /** Open form: each entry's ms delta from the master ID and its sequence; undefined while packed. */
  private msds: number[] | undefined = [];
  private seqs: number[] | undefined = [];
  /** Open form, once an entry's ms delta or sequence is past 2^53: every entry's ID (msds and seqs are then rounded). */
  private bigIdList: StreamId[] | undefined = undefined;
  private entries: (readonly string[])[] | undefined = [];
  /** Bytes of the strings the open form holds, for the memory estimate. */
  private textBytes = 0;
  /** Packed form: entries then offset table, which starts at tableAt. */
  private data = '';
  private tableAt = 0;
  /** Whether some packed entry has a BIG_ID. */
  private bigIds = false;
  /** Live entries. */
  size = 0;
  /** Entries deleted from this node: they still count toward its capacity, as Redis's tombstones do. */
  tombstones = 0;
  /** The last ID appended, as a bigint once asked for (else from the two numbers below). */
  private lastAppended: StreamId | undefined;
  private lastMsd = 0;
  private lastSeq = 0;
  /** Estimated listpack bytes beyond the two counters, which change size as they grow. */
  private bodyBytes: number;
  private readonly masterMs: bigint;
  private readonly masterSeq: bigint;
  /** The master ID's parts as numbers, when both are safe integers (-1 otherwise): appends of small IDs compute with them. */
  private readonly masterMsNum: number;
  private readonly masterSeqNum: number;
  readonly masterKey: number;

  constructor(
    readonly masterId: StreamId,
    readonly masterFields: readonly string[],
  ) {
    this.masterMs = idMs(masterId);
    this.masterSeq = idSeq(masterId);
    const small = this.masterMs <= SAFE_BIG && this.masterSeq <= SAFE_BIG;
    this.masterMsNum = small ? Number(this.masterMs) : -1;
    this.masterSeqNum = small ? Number(this.masterSeq) : -1;
    this.masterKey = orderKeyOf(this.masterMs, this.masterSeq);
    this.lastAppended = masterId;
    // Header and end byte, the field count, the master fields and their terminator.
    let bytes = 7 + lpIntSize(masterFields.length) + lpIntSize(0);
    for (const field of masterFields) bytes += lpStringSize(field);
    this.bodyBytes = bytes;
  }

  get listpackBytes(): number {
    return this.bodyBytes + lpIntSize(this.size) + lpIntSize(this.tombstones);
  }

  /** The last ID appended, deleted or not: what Redis's MINID trimming compares to drop a whole node. */
  get lastAppendedId(): StreamId {
    return (this.lastAppended ??= makeId(this.masterMs + BigInt(this.lastMsd), BigInt(this.lastSeq)));
  }

  /** Estimated heap bytes. */
  memory(): number {
    return this.msds === undefined ? NODE_BYTES + stringBytes(this.data.length) : NODE_BYTES + this.size * ENTRY_BYTES + this.textBytes;
  }

  private sameFields(fields: readonly string[]): boolean {
    const master = this.masterFields;
    if (fields.length !== 2 * master.length) return false;
    for (let i = 0; i < master.length; i++) if (fields[2 * i] !== master[i]) return false;
    return true;
  }

  /**
   * Appends an entry: its ID is `id`, or when that is undefined, `ms`-`seq`
   * (both then safe integers), which costs no bigint when the master ID's
   * parts are safe integers too.
   */
  append(id: StreamId | undefined, ms: number, seq: number, fields: readonly string[]): void {
    if (this.msds === undefined) this.unpack();
    const same = this.sameFields(fields);
    const numfields = fields.length / 2;
    let bytes = 2;
    let msd: number;
    if (id === undefined && this.masterMsNum >= 0) {
      msd = ms - this.masterMsNum;
      bytes += lpDeltaNumberSize(msd) + lpDeltaNumberSize(seq - this.masterSeqNum);
      this.lastAppended = undefined;
      if (this.bigIdList !== undefined) this.bigIdList.push(makeId(BigInt(ms), BigInt(seq)));
    } else {
      const full = id ?? makeId(BigInt(ms), BigInt(seq));
      const d = idMs(full) - this.masterMs;
      const s = idSeq(full);
      bytes += lpDeltaSize(d) + lpDeltaSize(s - this.masterSeq);
      msd = Number(d);
      seq = Number(s);
      if (this.bigIdList === undefined && (d > SAFE_BIG || s > SAFE_BIG)) this.bigIdList = this.openIds();
      this.bigIdList?.push(full);
      this.lastAppended = full;
    }
    let parts = numfields + 3;
    if (!same) {
      bytes += lpIntSize(numfields);
      parts += numfields + 1;
    }
    for (let i = same ? 1 : 0; i < fields.length; i += same ? 2 : 1) bytes += lpStringSize(fields[i]);
    this.bodyBytes += bytes + lpIntSize(parts);
    for (const f of fields) this.textBytes += f.length + STRING_OVERHEAD;
    this.msds!.push(msd);
    this.seqs!.push(seq);
    this.entries!.push(fields);
    this.lastMsd = msd;
    this.lastSeq = seq;
    this.size++;
  }

  /** The open form's IDs as bigints, while every one is small. */
  private openIds(): StreamId[] {
    const ids: StreamId[] = [];
    for (let i = 0; i < this.size; i++) ids.push(this.openId(i));
    return ids;
  }

  /** Open entry `i`'s ID. */
  private openId(i: number): StreamId {
    if (this.bigIdList !== undefined) return this.bigIdList[i];
    return makeId(this.masterMs + BigInt(this.msds![i]), BigInt(this.seqs![i]));
  }

  /** Packs the open form into one string, unless it would be too long for one (or holds text beyond latin1, which no client sends). */
  pack(): void {
    if (this.msds === undefined) return;
    const packed = this.encode();
    // An entry of megabytes grew scratch: it need not stay that large.
    if (scratch.length > SCRATCH_KEPT) scratch = Buffer.allocUnsafe(SCRATCH_KEPT);
    if (packed === undefined) return;
    this.data = packed;
    this.msds = undefined;
    this.seqs = undefined;
    this.bigIdList = undefined;
    this.entries = undefined;
    this.textBytes = 0;
  }

  /** The packed form of the open form, with tableAt and bigIds set; undefined when it cannot be packed. */
  private encode(): string | undefined {
    const msds = this.msds!;
    const seqs = this.seqs!;
    const entries = this.entries!;
    const bigIdList = this.bigIdList;
    const offsets: number[] = [];
    let big = false;
    let at = 0;
    for (let e = 0; e < msds.length; e++) {
      offsets.push(at);
      const fields = entries[e];
      const same = this.sameFields(fields);
      const flags = same ? SAME_FIELDS : 0;
      // The ID's two parts and the field count.
      room(at, 31);
      if (bigIdList === undefined && msds[e] <= MSD_MAX) {
        at = putVarint(putVarint(at, msds[e] * 4 + flags), seqs[e]);
      } else {
        const ms = bigIdList === undefined ? BigInt(msds[e]) : idMs(bigIdList[e]) - this.masterMs;
        const seq = bigIdList === undefined ? BigInt(seqs[e]) : idSeq(bigIdList[e]);
        if (ms > MSD_MAX_BIG || seq > SAFE_BIG) {
          big = true;
          at = putBigVarint(putBigVarint(putVarint(at, flags | BIG_ID), ms), seq);
        } else {
          at = putVarint(putVarint(at, Number(ms) * 4 + flags), Number(seq));
        }
      }
      if (!same) at = putVarint(at, fields.length / 2);
      for (let i = same ? 1 : 0; i < fields.length && at >= 0; i += same ? 2 : 1) at = putText(at, fields[i]);
      if (at < 0 || at > PACK_MAX) return undefined;
    }
    const wide = at >= 65536;
    room(at, offsets.length * (wide ? 4 : 2));
    const tableAt = at;
    for (const offset of offsets) {
      scratch[at++] = offset & 255;
      scratch[at++] = (offset >>> 8) & 255;
      if (wide) {
        scratch[at++] = (offset >>> 16) & 255;
        scratch[at++] = offset >>> 24;
      }
    }
    this.tableAt = tableAt;
    this.bigIds = big;
    return scratch.toString('latin1', 0, at);
  }

  /** Back to the open form, for an append to a node that was closed (its successor went). */
  private unpack(): void {
    const msds: number[] = [];
    const seqs: number[] = [];
    const bigIdList: StreamId[] | undefined = this.bigIds ? [] : undefined;
    const entries: (readonly string[])[] = [];
    let textBytes = 0;
    for (let i = 0; i < this.size; i++) {
      const flags = this.readId(i);
      if (bigIdList !== undefined) {
        const id = this.decoded(flags);
        bigIdList.push(id);
        msds.push(Number(idMs(id) - this.masterMs));
        seqs.push(Number(idSeq(id)));
      } else {
        msds.push(decodedMsd);
        seqs.push(decodedSeq);
      }
      const fields = this.readFields(flags);
      for (const f of fields) textBytes += f.length + STRING_OVERHEAD;
      entries.push(fields);
    }
    this.msds = msds;
    this.seqs = seqs;
    this.bigIdList = bigIdList;
    this.entries = entries;
    this.textBytes = textBytes;
    this.data = '';
    this.tableAt = 0;
    this.bigIds = false;
  }

  /** Where packed entry `i` starts. */
  private offset(i: number): number {
    const data = this.data;
    if (this.tableAt < 65536) {
      const t = this.tableAt + 2 * i;
      return data.charCodeAt(t) | (data.charCodeAt(t + 1) << 8);
    }
    const t = this.tableAt + 4 * i;
    return data.charCodeAt(t) + (data.charCodeAt(t + 1) << 8) + (data.charCodeAt(t + 2) << 16) + data.charCodeAt(t + 3) * 16777216;
  }

  /**
   * Reads packed entry `i`'s flags and ID, leaving `pos` at what follows;
   * returns the flags. The ID goes to decodedId for a BIG_ID entry, else to
   * decodedMsd and decodedSeq (see decoded).
   */
  private readId(i: number): number {
    pos = this.offset(i);
    const data = this.data;
    const head = readNumber(data);
    const flags = head % 4;
    if (flags & BIG_ID) {
      decodedId = makeId(this.masterMs + readBigint(data), readBigint(data));
    } else {
      decodedMsd = (head - flags) / 4;
      decodedSeq = readNumber(data);
    }
    return flags;
  }

  /** The ID readId just read, with the flags it returned. */
  private decoded(flags: number): StreamId {
    return flags & BIG_ID ? decodedId : makeId(this.masterMs + BigInt(decodedMsd), BigInt(decodedSeq));
  }

  idAt(i: number): StreamId {
    if (this.msds !== undefined) return this.openId(i);
    return this.decoded(this.readId(i));
  }

  fieldsAt(i: number): readonly string[] {
    if (this.entries !== undefined) return this.entries[i];
    return this.readFields(this.readId(i));
  }

  /** Hands entry `i` to `visit` without making an entry object. */
  visitAt(i: number, visit: EntryVisitor): void {
    if (this.entries !== undefined) return visit(this.openId(i), this.entries[i]);
    const flags = this.readId(i);
    const id = this.decoded(flags);
    visit(id, this.readFields(flags));
  }

  /**
   * visitAt for a reply, which needs the ID only as text: an ID whose parts
   * are safe numbers is spelt from them, without the half dozen bigints its
   * decoding and formatting would make (a third of XRANGE's own time).
   */
  visitTextAt(i: number, visit: TextEntryVisitor): void {
    if (this.entries !== undefined) {
      const small = this.bigIdList === undefined && this.masterMsNum >= 0;
      const ms = small ? this.masterMsNum + this.msds![i] : 0;
      const text = small && ms <= SAFE ? `${ms}-${this.seqs![i]}` : formatId(this.openId(i));
      return visit(text, this.entries[i]);
    }
    const flags = this.readId(i);
    const ms = this.masterMsNum + decodedMsd;
    const text = !(flags & BIG_ID) && this.masterMsNum >= 0 && ms <= SAFE ? `${ms}-${decodedSeq}` : formatId(this.decoded(flags));
    visit(text, this.readFields(flags));
  }

  entryAt(i: number): StreamEntry {
    if (this.entries !== undefined) return { id: this.openId(i), fields: this.entries[i] };
    const flags = this.readId(i);
    const id = this.decoded(flags);
    return { id, fields: this.readFields(flags) };
  }

  /** The fields of the packed entry whose flags were just read. */
  private readFields(flags: number): string[] {
    const data = this.data;
    const fields: string[] = [];
    if (flags & SAME_FIELDS) {
      for (const field of this.masterFields) fields.push(field, readText(data));
    } else {
      for (let n = 2 * readNumber(data); n > 0; n--) fields.push(readText(data));
    }
    return fields;
  }

  /** Index of the first entry with an ID >= `id` (size when none). */
  lowerBound(id: StreamId): number {
    let lo = 0;
    let hi = this.size;
    const bigIdList = this.bigIdList;
    if (bigIdList !== undefined || this.bigIds) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((bigIdList !== undefined ? bigIdList[mid] : this.idAt(mid)) < id) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    // Every ms delta and sequence here is a safe number: compare numbers, with Infinity for anything larger.
    const d = idMs(id) - this.masterMs;
    if (d < 0n) return 0;
    const targetMs = d > SAFE_BIG ? Infinity : Number(d);
    const seq = idSeq(id);
    const targetSeq = seq > SAFE_BIG ? Infinity : Number(seq);
    const msds = this.msds;
    const seqs = this.seqs;
    if (msds !== undefined && seqs !== undefined) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const msd = msds[mid];
        if (msd < targetMs || (msd === targetMs && seqs[mid] < targetSeq)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    const data = this.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      pos = this.offset(mid);
      const head = readNumber(data);
      const msd = (head - (head % 4)) / 4;
      if (msd < targetMs || (msd === targetMs && readNumber(data) < targetSeq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes entries [from, to); they become tombstones. */
  remove(from: number, to: number): void {
    const count = to - from;
    if (count <= 0) return;
    const entries = this.entries;
    if (entries !== undefined) {
      for (let i = from; i < to; i++) for (const f of entries[i]) this.textBytes -= f.length + STRING_OVERHEAD;
      this.msds!.splice(from, count);
      this.seqs!.splice(from, count);
      this.bigIdList?.splice(from, count);
      entries.splice(from, count);
    } else {
      this.removePacked(from, to);
    }
    this.size -= count;
    this.tombstones += count;
  }

  /** Rewrites the packed string without entries [from, to). */
  private removePacked(from: number, to: number): void {
    const start = this.offset(from);
    const end = to === this.size ? this.tableAt : this.offset(to);
    const gone = end - start;
    const bytes = this.tableAt - gone;
    const wide = bytes >= 65536;
    const table: string[] = [];
    for (let i = 0; i < this.size; i++) {
      if (i === from) i = to;
      if (i === this.size) break;
      const at = i < from ? this.offset(i) : this.offset(i) - gone;
      table.push(offsetText(at, wide));
    }
    this.data = this.data.slice(0, start) + this.data.slice(end, this.tableAt) + table.join('');
    this.tableAt = bytes;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.masterId, this.masterFields);
    copy.msds = this.msds?.slice();
    copy.seqs = this.seqs?.slice();
    copy.bigIdList = this.bigIdList?.slice();
    copy.entries = this.entries?.slice();
    copy.textBytes = this.textBytes;
    copy.data = this.data;
    copy.tableAt = this.tableAt;
    copy.bigIds = this.bigIds;
    copy.size = this.size;
    copy.tombstones = this.tombstones;
    copy.lastAppended = this.lastAppended;
    copy.lastMsd = this.lastMsd;
    copy.lastSeq = this.lastSeq;
    copy.bodyBytes = this.bodyBytes;
    return copy;
  }
}

/** IDs per chunk of a pending entries list; a full chunk splits in two. */
const PEL_CHUNK_MAX = 128;

/**
 * IDs in order with a value each: the pending entries lists of groups and
 * consumers, O(log n) per lookup as Redis's radix tree. Sorted chunks rather
 * than one array, so an XACK in the middle of a million pending entries moves
 * at most a chunk; and no Map keyed by ID, since V8 hashes a BigInt by its low
 * 64 bits, which for IDs is the sequence number: nearly all IDs collide.
 */
export class PendingList<T> {
  private readonly chunks: { ids: StreamId[]; keys: number[]; values: T[] }[] = [];
  /**
   * The order key of each chunk's last ID: the search for a chunk reads
   * this one array, where reading the chunks' own arrays costs a few cache
   * misses per step. Two chunks share a last key only when their last IDs
   * are not exact (see exactOrderKey).
   */
  private readonly lastKeys: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: StreamId): T | undefined {
    const key = orderKey(id);
    const c = this.chunkOf(key, id);
    const chunk = this.chunks[c];
    if (chunk === undefined) return undefined;
    const i = lowerBound(chunk.keys, chunk.ids, key, id);
    return chunk.ids[i] === id ? chunk.values[i] : undefined;
  }

  /** Adds or replaces; IDs mostly arrive in increasing order, which appends. */
  set(id: StreamId, value: T): void {
    const chunks = this.chunks;
    const key = orderKey(id);
    let c = chunks.length - 1;
    let chunk = chunks[c];
    let i: number;
    const lastKey = this.lastKeys[c];
    if (chunk === undefined || lastKey < key || (lastKey === key && chunk.ids[chunk.ids.length - 1] < id)) {
      if (chunk === undefined || chunk.ids.length === PEL_CHUNK_MAX) {
        chunks.push({ ids: [id], keys: [key], values: [value] });
        this.lastKeys.push(key);
        this.count++;
        return;
      }
      i = chunk.ids.length;
    } else {
      c = this.chunkOf(key, id);
      chunk = chunks[c];
      i = lowerBound(chunk.keys, chunk.ids, key, id);
      if (chunk.ids[i] === id) {
        chunk.values[i] = value;
        return;
      }
    }
    chunk.ids.splice(i, 0, id);
    chunk.keys.splice(i, 0, key);
    chunk.values.splice(i, 0, value);
    this.count++;
    if (i === chunk.ids.length - 1) this.lastKeys[c] = key;
    if (chunk.ids.length > PEL_CHUNK_MAX) {
      const half = chunk.ids.length >>> 1;
      chunks.splice(c + 1, 0, { ids: chunk.ids.splice(half), keys: chunk.keys.splice(half), values: chunk.values.splice(half) });
      this.lastKeys.splice(c, 0, chunk.keys[half - 1]);
    }
  }

  /** Removes an entry; returns its value, undefined when it was not there. */
  delete(id: StreamId): T | undefined {
    const key = orderKey(id);
    const c = this.chunkOf(key, id);
    const chunk = this.chunks[c];
    if (chunk === undefined) return undefined;
    const i = lowerBound(chunk.keys, chunk.ids, key, id);
    return chunk.ids[i] === id ? this.removeAt(c, i) : undefined;
  }

  /**
   * delete, for an ID named by its exact order key (exactOrderKey): keys
   * alone are compared and no bigint is touched, which halves XACK's cost.
   */
  deleteExact(key: number): T | undefined {
    const c = keyLowerBound(this.lastKeys, key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return undefined;
    const i = keyLowerBound(chunk.keys, key);
    return chunk.keys[i] === key ? this.removeAt(c, i) : undefined;
  }

  /**
   * Removes entry i of chunk c, by moving the rest down. Here that beats
   * splice, which allocates an array of what it removed: XACK's two
   * deletes, warm, 0.74-0.85 µs against 1.0-1.7 with splice (the three
   * arrays each keep one kind of element, so the loop's accesses stay monomorphic).
   */
  private removeAt(c: number, i: number): T {
    const { ids, keys, values } = this.chunks[c];
    const value = values[i];
    const last = ids.length - 1;
    for (let j = i; j < last; j++) {
      ids[j] = ids[j + 1];
      keys[j] = keys[j + 1];
      values[j] = values[j + 1];
    }
    ids.pop();
    keys.pop();
    values.pop();
    if (last === 0) {
      this.chunks.splice(c, 1);
      this.lastKeys.splice(c, 1);
    } else if (i === last) {
      this.lastKeys[c] = keys[last - 1];
    }
    this.count--;
    return value;
  }

  first(): StreamId | undefined {
    return this.chunks[0]?.ids[0];
  }

  last(): StreamId | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.ids[chunk.ids.length - 1];
  }

  /** The entries with IDs in [start, end], in order; the caller may delete entries as it goes (XAUTOCLAIM does). */
  *range(start: StreamId, end: StreamId = ID_MAX): Generator<[StreamId, T]> {
    let from = start;
    for (;;) {
      const key = orderKey(from);
      const chunk = this.chunks[this.chunkOf(key, from)];
      if (chunk === undefined) return;
      const i = lowerBound(chunk.keys, chunk.ids, key, from);
      const id = chunk.ids[i];
      if (id > end) return;
      yield [id, chunk.values[i]];
      if (id === ID_MAX) return;
      from = id + 1n;
    }
  }

  /** The first ID >= `id`, or undefined. */
  ceiling(id: StreamId): StreamId | undefined {
    const key = orderKey(id);
    const chunk = this.chunks[this.chunkOf(key, id)];
    return chunk?.ids[lowerBound(chunk.keys, chunk.ids, key, id)];
  }

  /** The first chunk whose last ID is >= `id` (chunks.length when none). */
  private chunkOf(key: number, id: StreamId): number {
    const lastKeys = this.lastKeys;
    let lo = 0;
    let hi = lastKeys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = lastKeys[mid];
      if (last < key) lo = mid + 1;
      else if (last > key) hi = mid;
      else {
        const ids = this.chunks[mid].ids;
        if (ids[ids.length - 1] < id) lo = mid + 1;
        else hi = mid;
      }
    }
    return lo;
  }
}

export class Consumer {
  readonly pel = new PendingList<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** A delivered, not yet acknowledged entry. */
export interface Nack {
  deliveryTime: number;
  deliveryCount: number;
  /** Undefined only briefly, for an entry XCLAIM FORCE creates before giving it to its consumer. */
  consumer: Consumer | undefined;
}

export class ConsumerGroup {
  readonly pel = new PendingList<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    public lastId: StreamId,
    public entriesRead: number,
  ) {}

  /** Consumers in name order (byte order, as Redis's radix tree keeps them). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  deleteConsumer(consumer: Consumer): void {
    for (const [id] of consumer.pel.range(ID_ZERO)) this.pel.delete(id);
    this.consumers.delete(consumer.name);
  }
}

/** How XADD and XTRIM trim: by length or by minimum ID, exactly or by whole nodes, within a work limit (0: none). */
export interface TrimSpec {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  limit: number;
}

/** The node directives that decide where a node ends. */
export interface StreamLimits {
  readonly streamNodeMaxEntries: number;
  readonly streamNodeMaxBytes: number;
}

/** Estimated bytes per entry of an open node beyond its strings: its fields array, and the slots of that and of its ID's two numbers. */
const ENTRY_BYTES = 16 + 3 * ARRAY_SLOT;
/** Estimated bytes of a node beyond its entries: the object, its master ID and fields, its slot. */
const NODE_BYTES = 224;
const NACK_BYTES = 2 * MAP_ENTRY + 2 * ARRAY_SLOT + 48;

export class StreamValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  private nodes: StreamNode[] = [];
  length = 0;
  /** The last ID, as a bigint once asked for; while undefined, lastMs-lastSeq is it. */
  private lastIdBig: StreamId | undefined = ID_ZERO;
  /** The last ID's parts, when both are safe integers (lastMs is -1 otherwise): auto IDs then cost no bigint. */
  private lastMs = 0;
  private lastSeq = 0;
  /** The first entry's ID as Redis records it (0-0 when empty). */
  firstId: StreamId = ID_ZERO;
  maxDeletedId: StreamId = ID_ZERO;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  /** The nodes' memory estimates, summed: updated around every change to a node. */
  private nodeBytes = 0;

  get type(): 'stream' {
    return 'stream';
  }

  encoding(): string {
    return 'stream';
  }

  /** Redis's estimate: every node, and every group with as many pending entries as the first one. */
  freeEffort(): number {
    const first = this.groups.values().next();
    return this.nodes.length + (first.done ? 0 : this.groups.size * (1 + first.value.pel.size));
  }

  /** Number of nodes (XINFO STREAM's radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  memory(): number {
    let pending = 0;
    for (const group of this.groups.values()) pending += group.pel.size * NACK_BYTES + group.consumers.size * (MAP_ENTRY + 64);
    return COLLECTION_BASE + this.nodeBytes + pending;
  }

  get lastId(): StreamId {
    return (this.lastIdBig ??= makeId(BigInt(this.lastMs), BigInt(this.lastSeq)));
  }

  set lastId(id: StreamId) {
    this.lastIdBig = id;
    const ms = idMs(id);
    const seq = idSeq(id);
    const small = ms <= SAFE_BIG && seq <= SAFE_BIG;
    this.lastMs = small ? Number(ms) : -1;
    this.lastSeq = small ? Number(seq) : -1;
  }

  /**
   * XADD with `*`: appends with the ID Redis would generate at `now` (ms
   * since the epoch) and returns that ID as text; undefined when the last ID
   * possible was used.
   */
  appendNow(now: number, fields: readonly string[], limits: StreamLimits): string | undefined {
    const lastMs = this.lastMs;
    if (lastMs >= 0 && now <= SAFE) {
      if (now > lastMs) {
        this.add(undefined, now, 0, fields, limits);
        return `${now}-0`;
      }
      const seq = this.lastSeq + 1;
      if (seq <= SAFE) {
        this.add(undefined, lastMs, seq, fields, limits);
        return `${lastMs}-${seq}`;
      }
    }
    const last = this.lastId;
    if (last === ID_MAX) return undefined;
    // now-0 is above the last ID exactly when now is above its ms; else the next ID (a full sequence carries into the ms).
    const fresh = BigInt(now) << 64n;
    const id = fresh > last ? fresh : last + 1n;
    this.append(id, fields, limits);
    return formatId(id);
  }

  /** Appends an entry; the caller made sure `id` is above lastId. */
  append(id: StreamId, fields: readonly string[], limits: StreamLimits): void {
    const ms = idMs(id);
    const seq = idSeq(id);
    if (ms <= SAFE_BIG && seq <= SAFE_BIG) this.add(undefined, Number(ms), Number(seq), fields, limits);
    else this.add(id, 0, 0, fields, limits);
  }

  /** Appends the entry of ID `id`, or when that is undefined, of ID `ms`-`seq` (safe integers). */
  private add(id: StreamId | undefined, ms: number, seq: number, fields: readonly string[], limits: StreamLimits): void {
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let textBytes = 0;
      for (const f of fields) textBytes += f.length;
      const maxBytes = limits.streamNodeMaxBytes === 0 || limits.streamNodeMaxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : limits.streamNodeMaxBytes;
      if (node.listpackBytes + textBytes >= maxBytes) node = undefined;
      else if (limits.streamNodeMaxEntries > 0 && node.size + node.tombstones >= limits.streamNodeMaxEntries) node = undefined;
    }
    if (node === undefined) {
      const closed = this.nodes[this.nodes.length - 1];
      if (closed !== undefined) this.changeNode(closed, () => closed.pack());
      const masterFields: string[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]);
      node = new StreamNode(id ?? makeId(BigInt(ms), BigInt(seq)), masterFields);
      this.nodes.push(node);
      this.nodeBytes += node.memory();
    }
    const before = node.memory();
    node.append(id, ms, seq, fields);
    this.nodeBytes += node.memory() - before;
    this.length++;
    this.entriesAdded++;
    if (id === undefined) {
      this.lastIdBig = undefined;
      this.lastMs = ms;
      this.lastSeq = seq;
    } else {
      this.lastId = id;
    }
    if (this.length === 1) this.firstId = this.lastId;
  }

  /** Runs a change to a node, keeping nodeBytes up to date. */
  private changeNode(node: StreamNode, change: () => void): void {
    const before = node.memory();
    change();
    this.nodeBytes += node.memory() - before;
  }

  /** Position of the first entry with ID >= `id`: [node index, index in node], node index = nodes.length when none. */
  private seek(id: StreamId): [number, number] {
    const nodes = this.nodes;
    const key = orderKey(id);
    let lo = 0;
    let hi = nodes.length;
    // The last node whose first ID is <= id holds it if anyone does.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = nodes[mid].masterKey;
      if (k < key || (k === key && nodes[mid].masterId <= id)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return nodes.length > 0 && nodes[0].size === 0 ? [1, 0] : [0, 0];
    const n = lo - 1;
    const at = nodes[n].lowerBound(id);
    return at < nodes[n].size ? [n, at] : [lo, 0];
  }

  /** The first node with a live entry: only the first node can be empty (see trim). */
  private firstLive(): StreamNode | undefined {
    const node = this.nodes[0];
    return node !== undefined && node.size === 0 ? this.nodes[1] : node;
  }

  private lastLive(): StreamNode | undefined {
    const node = this.nodes[this.nodes.length - 1];
    return node !== undefined && node.size === 0 ? undefined : node;
  }

  get(id: StreamId): readonly string[] | undefined {
    const [n, i] = this.seek(id);
    const node = this.nodes[n];
    return node !== undefined && i < node.size && node.idAt(i) === id ? node.fieldsAt(i) : undefined;
  }

  /** Removes one entry by ID (XDEL); true when it was there. Redis's first-ID bookkeeping is the caller's. */
  delete(id: StreamId): boolean {
    const [n, i] = this.seek(id);
    const node = this.nodes[n];
    if (node === undefined || i >= node.size || node.idAt(i) !== id) return false;
    this.changeNode(node, () => node.remove(i, i + 1));
    if (node.size === 0) {
      this.nodes.splice(n, 1);
      this.nodeBytes -= node.memory();
    }
    this.length--;
    return true;
  }

  /** Visits the entries with IDs in [start, end], forward or backward, at most `count` (0: all). */
  forEachInRange(start: StreamId, end: StreamId, rev: boolean, count: number, visit: EntryVisitor): void {
    this.walkRange(start, end, rev, count, (node, i) => node.visitAt(i, visit));
  }

  /** forEachInRange with IDs as text, for replies. */
  forEachTextInRange(start: StreamId, end: StreamId, rev: boolean, count: number, visit: TextEntryVisitor): void {
    this.walkRange(start, end, rev, count, (node, i) => node.visitTextAt(i, visit));
  }

  private walkRange(start: StreamId, end: StreamId, rev: boolean, count: number, visit: (node: StreamNode, i: number) => void): void {
    if (start > end) return;
    const nodes = this.nodes;
    // Both ends found first, so the walk between them compares no IDs.
    let [n, i] = this.seek(start);
    let [endN, endI] = end === ID_MAX ? [nodes.length, 0] : this.seek(end + 1n);
    let left = count === 0 ? Infinity : count;
    if (!rev) {
      for (; left > 0 && (n < endN || (n === endN && i < endI)); left--) {
        visit(nodes[n], i);
        if (++i === nodes[n].size) {
          n++;
          i = 0;
        }
      }
      return;
    }
    for (; left > 0 && (endN > n || (endN === n && endI > i)); left--) {
      if (endI === 0) {
        endN--;
        endI = nodes[endN].size;
      }
      visit(nodes[endN], --endI);
    }
  }

  first(): StreamEntry | undefined {
    return this.firstLive()?.entryAt(0);
  }

  last(): StreamEntry | undefined {
    const node = this.lastLive();
    return node?.entryAt(node.size - 1);
  }

  /** The ID of the last live entry (0-0 when empty), which lastId may be past. */
  lastValidId(): StreamId {
    const node = this.lastLive();
    return node === undefined ? ID_ZERO : node.idAt(node.size - 1);
  }

  /** Trims from the front as XADD and XTRIM do; returns how many entries went. */
  trim(spec: TrimSpec): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (spec.strategy === 'maxlen' && this.length <= spec.maxlen) break;
      const node = this.nodes[0];
      const entries = node.size;
      if (spec.limit !== 0 && deleted + entries > spec.limit) break;
      const removeNode =
        spec.strategy === 'maxlen' ? this.length - entries >= spec.maxlen : node.lastAppendedId < spec.minid;
      if (removeNode) {
        this.nodeBytes -= node.memory();
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (spec.approx) break;
      // The node stays even when this empties it (its deleted entries reach minid), as Redis's listpack does.
      const cut = spec.strategy === 'maxlen' ? this.length - spec.maxlen : node.lowerBound(spec.minid);
      this.changeNode(node, () => node.remove(0, cut));
      this.length -= cut;
      deleted += cut;
      break;
    }
    if (this.length === 0) this.firstId = ID_ZERO;
    else if (deleted > 0) this.firstId = this.first()!.id;
    return deleted;
  }

  /** Whether an entry was deleted (XDEL) somewhere in [start, ∞), as Redis can tell from max-deleted-entry-id. */
  rangeHasTombstones(start: StreamId): boolean {
    if (this.length === 0 || this.maxDeletedId === ID_ZERO) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId;
  }

  /** How many entries were ever added up to `id`, when that can be known; INVALID_ENTRIES_READ otherwise. */
  estimateEntriesRead(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return INVALID_ENTRIES_READ;
    if (this.maxDeletedId === ID_ZERO || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** A group's lag (entries not yet delivered to it), or null when it cannot be known. */
  lag(group: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(group.lastId)) {
      return this.entriesAdded - group.entriesRead;
    }
    const read = this.estimateEntriesRead(group.lastId);
    return read === INVALID_ENTRIES_READ ? null : this.entriesAdded - read;
  }

  /** Advances a group past `id`, delivered to it now, keeping its read counter as Redis does. */
  deliver(group: ConsumerGroup, id: StreamId): void {
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(id)) group.entriesRead++;
    else if (this.entriesAdded !== 0) group.entriesRead = this.estimateEntriesRead(id);
    group.lastId = id;
  }

  /** Groups in name order. */
  sortedGroups(): [string, ConsumerGroup][] {
    return [...this.groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * A radix tree node count for XINFO STREAM: the nodes of a compressed trie
   * over the 16-byte big-endian node keys, plus the head. It follows Redis's
   * count for typical streams, not for every shape of tree.
   */
  radixTreeNodes(): number {
    const keys = this.nodes.map((node) => node.masterId.toString(16).padStart(32, '0'));
    if (keys.length === 0) return 1;
    const count = (lo: number, hi: number, depth: number): number => {
      if (hi - lo === 1) return 1;
      let common = depth;
      while (common < 32 && keys[lo].slice(0, common + 1) === keys[hi - 1].slice(0, common + 1)) common++;
      let total = 1;
      let start = lo;
      for (let i = lo + 1; i <= hi; i++) {
        if (i === hi || keys[i][common] !== keys[start][common]) {
          total += count(start, i, common + 1);
          start = i;
        }
      }
      return total;
    };
    return 1 + count(0, keys.length, 0);
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    copy.nodes = this.nodes.map((node) => node.clone());
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.nodeBytes = this.nodeBytes;
    for (const [name, group] of this.groups) {
      const g = new ConsumerGroup(group.lastId, group.entriesRead);
      for (const [cname, consumer] of group.consumers) g.consumers.set(cname, new Consumer(cname, consumer.seenTime));
      for (const [id, nack] of group.pel.range(ID_ZERO)) {
        const owner = nack.consumer === undefined ? undefined : g.consumers.get(nack.consumer.name);
        const n: Nack = { deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount, consumer: owner };
        g.pel.set(id, n);
        owner?.pel.set(id, n);
      }
      copy.groups.set(name, g);
    }
    return copy;
  }

  canonical(): string {
    let out = `${formatId(this.lastId)}\0`;
    this.forEachInRange(ID_ZERO, ID_MAX, false, 0, (id, fields) => {
      out += formatId(id);
      for (const f of fields) out += `${f.length}:${f}`;
      out += '\0';
    });
    for (const [name, group] of this.sortedGroups()) {
      out += `${name.length}:${name}${formatId(group.lastId)}`;
      for (const [id, nack] of group.pel.range(ID_ZERO)) out += `${formatId(id)}:${nack.consumer?.name ?? ''}\0`;
    }
    return out;
  }
}
