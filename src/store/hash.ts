/**
 * The hash type: field → value, both latin1 strings (one char per byte).
 *
 * A small hash (Redis's listpack encoding) is one packed string: per pair,
 * the field's length, the field, the value's length and the value, lengths
 * as varints. Lookups walk it, as Redis walks its listpack, and writes
 * rebuild it; about 150 bytes for a 5-field hash where a Map and its arrays
 * and ten strings cost 800. Past hash-max-listpack-entries / -value it
 * becomes a hash table, once and for good as in Redis, made of three
 * structures with no object per field:
 *   - `slots` maps each field to its slot: O(1) lookup, and its iteration
 *     order is insertion order, which HGETALL shows as the listpack did;
 *   - `fields` / `values` hold the pairs densely by slot, so a uniformly
 *     random field (HRANDFIELD) is one index away. Deleting moves the last
 *     pair into the freed slot, which keeps them dense in O(1).
 *
 * HSCAN walks the slots from the top down (see `scanFrom`): new pairs land
 * above the cursor and a deletion only ever moves a pair downwards, so every
 * pair present for the whole scan is met, and the walk ends however fast
 * the hash grows.
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD, stringBytes } from './memory.js';
import { scratchFor } from './packing.js';

/** A field: its Map entry, its two array slots, and two strings' overhead. */
const FIELD_BYTES = MAP_ENTRY + 2 * ARRAY_SLOT + 2 * STRING_OVERHEAD;

/** When a hash stops being a listpack (hash-max-listpack-entries / -value). */
export interface ListpackLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

/** A JS Map holds at most 2^24 entries; past that Map#set throws. */
export const MAX_HASH_FIELDS = 16_777_216;

let scratch = scratchFor(0);

function room(bytes: number): void {
  scratch = scratchFor(bytes);
}

/** Writes `n` as a varint (7 bits a byte, high bit = more) at `at`; returns the end. */
function putLength(at: number, n: number): number {
  while (n >= 128) {
    scratch[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  scratch[at++] = n;
  return at;
}

/** The one-byte varints, as strings: a short new pair is appended by concatenation. */
const SHORT_LENGTHS = Array.from({ length: 128 }, (_, n) => String.fromCharCode(n));

/** `packed` with a new pair after its last one. */
function withPair(packed: string, field: string, value: string): string {
  if (field.length < 128 && value.length < 128) {
    // The common write: three times cheaper joined than copied through the scratch buffer. Reading
    // a char flattens the joined pieces into one string, so the hash holds it alone, as after a copy.
    const joined = packed + SHORT_LENGTHS[field.length] + field + SHORT_LENGTHS[value.length] + value;
    joined.charCodeAt(0);
    return joined;
  }
  room(packed.length + field.length + value.length + 10);
  let end = scratch.write(packed, 0, 'latin1');
  end = putLength(end, field.length);
  end += scratch.write(field, end, 'latin1');
  end = putLength(end, value.length);
  end += scratch.write(value, end, 'latin1');
  return scratch.toString('latin1', 0, end);
}

const lengthSize = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : n < 268435456 ? 4 : 5);

/** Decoding cursor over a packed string, set by readLength: module state, so that the walk allocates nothing. */
let at = 0;

function readLength(packed: string): number {
  let n = packed.charCodeAt(at++);
  if (n < 128) return n;
  n -= 128;
  let scale = 128;
  for (;;) {
    const b = packed.charCodeAt(at++);
    n += (b & 127) * scale;
    if (b < 128) return n;
    scale *= 128;
  }
}

/** The packed form's `fields` and `values`: never written, as only the hash table form has them. */
const NO_STRINGS: string[] = [];

export class HashValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  /** The listpack form; undefined once the hash is a hash table. */
  private packed: string | undefined = '';
  /** Pairs in the packed form. */
  private count = 0;
  private slots: Map<string, number> | undefined;
  private fields: string[] = NO_STRINGS;
  private values: string[] = NO_STRINGS;
  /** Total length of every field and value, to size replies before building them. */
  private totalBytes = 0;

  get type(): 'hash' {
    return 'hash';
  }

  get size(): number {
    return this.packed === undefined ? this.fields.length : this.count;
  }

  /** Sum of the lengths of all fields and values. */
  get bytes(): number {
    return this.totalBytes;
  }

  memory(): number {
    if (this.packed !== undefined) return COLLECTION_BASE + stringBytes(this.packed.length);
    return COLLECTION_BASE + this.fields.length * FIELD_BYTES + this.totalBytes;
  }

  /**
   * In the packed form, finds `field`: returns where its value's length
   * starts, or -1; `at` is left past the end of the string's last pair read.
   */
  private find(field: string): number {
    const packed = this.packed!;
    const end = packed.length;
    at = 0;
    while (at < end) {
      const fieldLength = readLength(packed);
      const fieldStart = at;
      at += fieldLength;
      if (fieldLength === field.length && packed.startsWith(field, fieldStart)) return at;
      // Read first: `at += readLength()` would add to the cursor as it was before the read.
      const valueLength = readLength(packed);
      at += valueLength;
    }
    return -1;
  }

  get(field: string): string | undefined {
    if (this.packed === undefined) {
      const slot = this.slots!.get(field);
      return slot === undefined ? undefined : this.values[slot];
    }
    if (this.find(field) < 0) return undefined;
    const length = readLength(this.packed);
    return this.packed.slice(at, at + length);
  }

  has(field: string): boolean {
    return this.packed === undefined ? this.slots!.has(field) : this.find(field) >= 0;
  }

  /**
   * Stores `value` under `field`; true when the field is new. Past the
   * limits the hash becomes a hash table, as Redis converts on a long
   * field or value, or on one entry too many.
   */
  set(field: string, value: string, limits: ListpackLimits): boolean {
    if (this.packed !== undefined) {
      // Checked on updates too: the limits may have been lowered since the last write.
      if (field.length > limits.maxValue || value.length > limits.maxValue) this.convert();
      else return this.setPacked(field, value, limits);
    }
    const slots = this.slots!;
    const slot = slots.get(field);
    if (slot === undefined) {
      slots.set(field, this.fields.length);
      this.fields.push(field);
      this.values.push(value);
      this.totalBytes += field.length + value.length;
      return true;
    }
    this.totalBytes += value.length - this.values[slot].length;
    this.values[slot] = value;
    return false;
  }

  private setPacked(field: string, value: string, limits: ListpackLimits): boolean {
    const packed = this.packed!;
    const valueAt = this.find(field);
    if (valueAt < 0) {
      this.packed = withPair(packed, field, value);
      this.count++;
      this.totalBytes += field.length + value.length;
    } else {
      room(packed.length + value.length + 10);
      const oldLength = readLength(packed);
      const oldEnd = at + oldLength;
      let end = scratch.write(packed, 0, valueAt, 'latin1');
      end = putLength(end, value.length);
      end += scratch.write(value, end, 'latin1');
      end += scratch.write(packed.slice(oldEnd), end, 'latin1');
      this.totalBytes += value.length - oldLength;
      this.packed = scratch.toString('latin1', 0, end);
    }
    // Limits lowered since the hash was made apply at its next write, an update too.
    if (this.count > limits.maxEntries) this.convert();
    return valueAt < 0;
  }

  /** From the packed form to the hash table. */
  private convert(): void {
    const slots = new Map<string, number>();
    const fields: string[] = [];
    const values: string[] = [];
    this.forEach((field, value) => {
      slots.set(field, fields.length);
      fields.push(field);
      values.push(value);
    });
    this.slots = slots;
    this.fields = fields;
    this.values = values;
    this.packed = undefined;
    this.count = 0;
  }

  /** Removes `field`; false when it was not there. */
  delete(field: string): boolean {
    const packed = this.packed;
    if (packed !== undefined) {
      const valueAt = this.find(field);
      if (valueAt < 0) return false;
      const pairStart = valueAt - field.length - lengthSize(field.length);
      const valueLength = readLength(packed);
      const pairEnd = at + valueLength;
      room(packed.length);
      let end = scratch.write(packed, 0, pairStart, 'latin1');
      end += scratch.write(packed.slice(pairEnd), end, 'latin1');
      this.packed = scratch.toString('latin1', 0, end);
      this.count--;
      this.totalBytes -= field.length + valueLength;
      return true;
    }
    const slots = this.slots!;
    const slot = slots.get(field);
    if (slot === undefined) return false;
    slots.delete(field);
    this.totalBytes -= field.length + this.values[slot].length;
    const last = this.fields.length - 1;
    if (slot !== last) {
      const moved = this.fields[last];
      this.fields[slot] = moved;
      this.values[slot] = this.values[last];
      // Updating an existing key keeps its place in the Map's iteration order.
      slots.set(moved, slot);
    }
    this.fields.pop();
    this.values.pop();
    return true;
  }

  /** The slot of a uniformly random field (the hash must not be empty). */
  randomSlot(): number {
    return Math.floor(Math.random() * this.size);
  }

  /** In the packed form, moves `at` to pair `slot`'s field length. */
  private seekPair(slot: number): void {
    const packed = this.packed!;
    at = 0;
    for (let i = 0; i < slot; i++) {
      const fieldLength = readLength(packed);
      at += fieldLength;
      const valueLength = readLength(packed);
      at += valueLength;
    }
  }

  fieldAt(slot: number): string {
    if (this.packed === undefined) return this.fields[slot];
    this.seekPair(slot);
    const length = readLength(this.packed);
    return this.packed.slice(at, at + length);
  }

  valueAt(slot: number): string {
    if (this.packed === undefined) return this.values[slot];
    this.seekPair(slot);
    const fieldLength = readLength(this.packed);
    at += fieldLength;
    const length = readLength(this.packed);
    return this.packed.slice(at, at + length);
  }

  /** Calls `visit` for every pair, oldest field first (a listpack's order). */
  forEach(visit: (field: string, value: string) => void): void {
    const packed = this.packed;
    if (packed === undefined) {
      const values = this.values;
      this.slots!.forEach((slot, field) => visit(field, values[slot]));
      return;
    }
    // The cursor is module state that `visit` may move (by reading this or another hash): keep our own.
    let pos = 0;
    while (pos < packed.length) {
      at = pos;
      const fieldLength = readLength(packed);
      const field = packed.slice(at, at + fieldLength);
      at += fieldLength;
      const valueLength = readLength(packed);
      pos = at + valueLength;
      visit(field, packed.slice(at, pos));
    }
  }

  /**
   * One step of an HSCAN walk of a hash table: visits up to `count` slots
   * below `next` (the number of slots still to visit; the whole hash when
   * it is 0 or beyond the size), passing each pair to `visit`. Returns what
   * to pass next time, 0 once the walk is over. A listpack is scanned whole.
   */
  scanFrom(next: number, count: number, visit: (field: string, value: string) => void): number {
    let slot = next === 0 || next > this.fields.length ? this.fields.length : next;
    for (let visited = 0; visited < count && slot > 0; visited++) {
      slot--;
      visit(this.fields[slot], this.values[slot]);
    }
    return slot;
  }

  encoding(): string {
    return this.packed !== undefined ? 'listpack' : 'hashtable';
  }

  freeEffort(): number {
    return this.packed !== undefined ? 1 : this.size;
  }

  clone(): HashValue {
    const copy = new HashValue();
    copy.packed = this.packed;
    copy.count = this.count;
    if (this.slots !== undefined) {
      copy.slots = new Map(this.slots);
      copy.fields = this.fields.slice();
      copy.values = this.values.slice();
    }
    copy.totalBytes = this.totalBytes;
    return copy;
  }

  canonical(): string {
    const pairs: [string, string][] = [];
    this.forEach((field, value) => pairs.push([field, value]));
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    // Length prefixes keep the text unambiguous whatever bytes the strings hold.
    let out = '';
    for (const [field, value] of pairs) out += `${field.length}:${field}${value.length}:${value}`;
    return out;
  }
}
