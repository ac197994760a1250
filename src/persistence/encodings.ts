/**
 * Reading Redis's compact encodings as RDB files and DUMP payloads carry
 * them: listpacks (7.0), ziplists (before 7.0), intsets and zipmaps (2.x).
 *
 * Reading a blob checks it as Redis's deep sanitization does
 * (sanitize-dump-payload yes): each entry's header and length must lie
 * inside the blob, back-lengths and prev-lengths must match the entries
 * they describe, the entry count must match the header and the blob must
 * end exactly at its terminator. Redis checks listpacks and intsets that
 * deeply only when told to; what it checks of them always is
 * listpackHeaderValid and intsetHeaderValid (rdb.ts decides which applies).
 * The messages are Redis's, which its tests and operators grep in the log.
 */

/** A payload or file that is not well-formed RDB (RESTORE answers "Bad data format"). */
export class BadFormat extends Error {}

function corrupt(what: string): never {
  throw new BadFormat(`${what} integrity check failed.`);
}

// ---------------------------------------------------------------- listpack

/** How many bytes the back-length of an entry of `size` bytes takes (lpEncodeBacklen). */
function backlenSize(size: number): number {
  return size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
}

/** The back-length ending at `last`, read backwards as lpDecodeBacklen does. */
function decodeBacklen(lp: Buffer, last: number, first: number): number {
  let value = 0;
  let shift = 0;
  for (let p = last; p >= first; p--) {
    value += (lp[p] & 127) * 2 ** shift;
    if ((lp[p] & 128) === 0) return value;
    shift += 7;
  }
  return -1;
}

/** The size of each fixed-size listpack integer entry: the encoding byte and the integer's bytes. */
const LISTPACK_INT_SIZE: Readonly<Record<number, number>> = { 0xf1: 3, 0xf2: 4, 0xf3: 5, 0xf4: 9 };

/** What Redis checks of a listpack without deep sanitization: its header's size is the blob's, and it ends with the terminator. */
export function listpackHeaderValid(lp: Buffer): boolean {
  return lp.length >= 7 && lp.readUInt32LE(0) === lp.length && lp[lp.length - 1] === 0xff;
}

/**
 * The entries of a listpack, integers in their decimal form; `what` names
 * the container in the error ("Listpack", "Hash listpack", ...).
 */
export function listpackEntries(lp: Buffer, what = 'Listpack'): string[] {
  const size = lp.length;
  if (!listpackHeaderValid(lp)) corrupt(what);
  const declared = lp.readUInt16LE(4);
  const end = size - 1;
  const out: string[] = [];
  let p = 6;
  while (p < end) {
    const b = lp[p];
    let entry: string;
    let length: number;
    if (b < 0x80) {
      entry = String(b);
      length = 1;
    } else if (b < 0xc0) {
      length = 1 + (b & 0x3f);
      if (p + length > end) corrupt(what);
      entry = lp.toString('latin1', p + 1, p + length);
    } else if (b < 0xe0) {
      if (p + 2 > end) corrupt(what);
      const raw = ((b & 0x1f) << 8) | lp[p + 1];
      entry = String(raw >= 4096 ? raw - 8192 : raw);
      length = 2;
    } else if (b < 0xf0) {
      if (p + 2 > end) corrupt(what);
      length = 2 + (((b & 0x0f) << 8) | lp[p + 1]);
      if (p + length > end) corrupt(what);
      entry = lp.toString('latin1', p + 2, p + length);
    } else {
      if (b === 0xf0) {
        if (p + 5 > end) corrupt(what);
        length = 5 + lp.readUInt32LE(p + 1);
        if (p + length > end) corrupt(what);
        entry = lp.toString('latin1', p + 5, p + length);
      } else {
        length = LISTPACK_INT_SIZE[b] ?? corrupt(what);
        if (p + length > end) corrupt(what);
        entry = length === 3 ? String(lp.readInt16LE(p + 1))
          : length === 4 ? String(lp.readIntLE(p + 1, 3))
          : length === 5 ? String(lp.readInt32LE(p + 1))
          : String(lp.readBigInt64LE(p + 1));
      }
    }
    const back = backlenSize(length);
    const next = p + length + back;
    if (next > end || decodeBacklen(lp, next - 1, p + length) !== length) corrupt(what);
    out.push(entry);
    p = next;
  }
  if (declared !== 65535 && declared !== out.length) corrupt(what);
  return out;
}

// ---------------------------------------------------------------- ziplist

/** The integer width of each ziplist integer encoding byte. */
const ZIPLIST_INT_WIDTH: Readonly<Record<number, number>> = { 0xc0: 2, 0xd0: 4, 0xe0: 8, 0xf0: 3, 0xfe: 1 };

/**
 * The entries of a ziplist (the encoding of small lists, hashes and sorted
 * sets before Redis 7.0), checked as ziplistValidateIntegrity does deeply.
 */
export function ziplistEntries(zl: Buffer, what = 'Ziplist'): string[] {
  const size = zl.length;
  if (size < 11 || zl.readUInt32LE(0) !== size || zl[size - 1] !== 0xff) corrupt(what);
  const tail = zl.readUInt32LE(4);
  if (tail > size - 1) corrupt(what);
  const declared = zl.readUInt16LE(8);
  const last = size - 1;
  const out: string[] = [];
  let p = 10;
  let previousSize = 0;
  let previousStart = -1;
  while (zl[p] !== 0xff) {
    const start = p;
    let prevlen: number;
    if (zl[p] < 254) {
      prevlen = zl[p];
      p += 1;
    } else {
      if (p + 5 > last) corrupt(what);
      prevlen = zl.readUInt32LE(p + 1);
      p += 5;
    }
    if (prevlen !== previousSize) corrupt(what);
    const enc = zl[p];
    let entry: string;
    if (enc < 0xc0) {
      let header: number;
      let length: number;
      if (enc < 0x40) {
        header = 1;
        length = enc & 0x3f;
      } else if (enc < 0x80) {
        if (p + 2 > last) corrupt(what);
        header = 2;
        length = ((enc & 0x3f) << 8) | zl[p + 1];
      } else {
        if (p + 5 > last) corrupt(what);
        header = 5;
        length = zl.readUInt32BE(p + 1);
      }
      if (p + header + length > last) corrupt(what);
      entry = zl.toString('latin1', p + header, p + header + length);
      p += header + length;
    } else if (enc >= 0xf1 && enc <= 0xfd) {
      entry = String((enc & 0x0f) - 1);
      p += 1;
    } else {
      const width = ZIPLIST_INT_WIDTH[enc] ?? corrupt(what);
      if (p + 1 + width > last) corrupt(what);
      entry = width === 1 ? String(zl.readInt8(p + 1))
        : width === 2 ? String(zl.readInt16LE(p + 1))
        : width === 3 ? String(zl.readIntLE(p + 1, 3))
        : width === 4 ? String(zl.readInt32LE(p + 1))
        : String(zl.readBigInt64LE(p + 1));
      p += 1 + width;
    }
    out.push(entry);
    previousSize = p - start;
    previousStart = start;
  }
  if (p !== last) corrupt(what);
  if (previousStart !== -1 && previousStart !== tail) corrupt(what);
  if (declared !== 0xffff && declared !== out.length) corrupt(what);
  return out;
}

// ---------------------------------------------------------------- intset

/** What Redis checks of an intset without deep sanitization: a known integer width, a count that fills the blob exactly, and not empty. */
export function intsetHeaderValid(blob: Buffer): boolean {
  if (blob.length < 8) return false;
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  return (width === 2 || width === 4 || width === 8) && blob.length === 8 + width * count && count !== 0;
}

/** The members of an intset: not empty, in strictly increasing order (no duplicates). */
export function intsetMembers(blob: Buffer): string[] {
  const what = 'Intset';
  if (!intsetHeaderValid(blob)) corrupt(what);
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  const out: string[] = [];
  let previous: bigint | undefined;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const value = width === 2 ? BigInt(blob.readInt16LE(at)) : width === 4 ? BigInt(blob.readInt32LE(at)) : blob.readBigInt64LE(at);
    if (previous !== undefined && value <= previous) corrupt(what);
    previous = value;
    out.push(String(value));
  }
  return out;
}

// ---------------------------------------------------------------- zipmap

/** The field-value pairs of a zipmap (the encoding of small hashes in Redis 2.x). */
export function zipmapPairs(zm: Buffer): [string, string][] {
  const what = 'Zipmap';
  const size = zm.length;
  if (size < 2 || zm[size - 1] !== 0xff) corrupt(what);
  const last = size - 1;
  const out: [string, string][] = [];
  let p = 1;
  // A length: one byte below 254, else 254 and four bytes (little-endian).
  const length = (): number => {
    if (p + (zm[p] < 254 ? 1 : 5) > last) corrupt(what);
    if (zm[p] < 254) return zm[p++];
    const n = zm.readUInt32LE(p + 1);
    p += 5;
    return n;
  };
  while (zm[p] !== 0xff) {
    const fieldLength = length();
    const field = p;
    p += fieldLength;
    if (p > last) corrupt(what);
    const valueLength = length();
    const free = zm[p++];
    const value = p;
    p += valueLength + free;
    if (p > last) corrupt(what);
    out.push([zm.toString('latin1', field, field + fieldLength), zm.toString('latin1', value, value + valueLength)]);
  }
  if (p !== last || out.length === 0 || (zm[0] !== 254 && zm[0] !== out.length)) corrupt(what);
  return out;
}
