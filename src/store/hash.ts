/**
 * The hash type: field → value, both latin1 strings (one char per byte).
 *
 * A small hash (Redis's listpack encoding) is one packed string: per pair,
 * the field's length, the field, the value's length and the value, lengths
 * as varints. Lookups walk it, as Redis walks its listpack, and writes
 * rebuild it; about 130 bytes for a 5-field hash where a Map and its arrays
 * and ten strings cost 800. The value object holds the packed string or the
 * hash table in one field, and no byte total for a packed hash (HRANDFIELD
 * alone needs it, and walks the string for it). Past hash-max-listpack-entries / -value it becomes a hash table,
 * once and for good as in Redis, made of three structures with no object
 * per field:
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

/** The hash table form. */
class HashTable {
  /** Total length of every field and value, to size replies before building them. */
  totalBytes = 0;

  constructor(
    readonly slots: Map<string, number>,
    readonly fields: string[],
    readonly values: string[],
  ) {}
}

/** The length of the fields and values a `skipPairs` went past. */
let skippedBytes = 0;

/** Moves `at` from the start of `packed` past `limit` pairs, or all if fewer. */
function skipPairs(packed: string, limit: number): void {
  let pairs = 0;
  let bytes = 0;
  at = 0;
  while (pairs < limit && at < packed.length) {
    const fieldLength = readLength(packed);
    at += fieldLength;
    const valueLength = readLength(packed);
    at += valueLength;
    bytes += fieldLength + valueLength;
    pairs++;
  }
  skippedBytes = bytes;
}

export class HashValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  /** The listpack form, or the hash table once the hash became one. */
  private form: string | HashTable = '';
  /** Pairs in the listpack form: HLEN and HGETALL need it, and a walk would cost them O(n). */
  private count = 0;

  get type(): 'hash' {
    return 'hash';
  }

  prefetchMember(args: readonly string[]): string | undefined {
    return typeof this.form === 'string' || args.length < 3 ? undefined : args[2];
  }

  probeMember(field: string): number {
    return (this.form as HashTable).slots.get(field) ?? 0;
  }

  get size(): number {
    const form = this.form;
    return typeof form === 'string' ? this.count : form.fields.length;
  }

  /** Sum of the lengths of all fields and values. */
  get bytes(): number {
    const form = this.form;
    if (typeof form !== 'string') return form.totalBytes;
    skipPairs(form, Infinity);
    return skippedBytes;
  }

  memory(): number {
    const form = this.form;
    if (typeof form === 'string') return COLLECTION_BASE + stringBytes(form.length);
    return COLLECTION_BASE + form.fields.length * FIELD_BYTES + form.totalBytes;
  }

  /**
   * In the packed form `packed`, finds `field`: returns where its value's
   * length starts, or -1; `at` is left past the end of the string's last pair read.
   */
  private find(packed: string, field: string): number {
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
    const form = this.form;
    if (typeof form !== 'string') {
      const slot = form.slots.get(field);
      return slot === undefined ? undefined : form.values[slot];
    }
    if (this.find(form, field) < 0) return undefined;
    const length = readLength(form);
    return form.slice(at, at + length);
  }

  has(field: string): boolean {
    const form = this.form;
    return typeof form === 'string' ? this.find(form, field) >= 0 : form.slots.has(field);
  }

  /**
   * Stores `value` under `field`; true when the field is new. Past the
   * limits the hash becomes a hash table, as Redis converts on a long
   * field or value, or on one entry too many.
   */
  set(field: string, value: string, limits: ListpackLimits): boolean {
    let form = this.form;
    if (typeof form === 'string') {
      // Checked on updates too: the limits may have been lowered since the last write.
      if (field.length <= limits.maxValue && value.length <= limits.maxValue) return this.setPacked(form, field, value, limits);
      form = this.convert();
    }
    const slots = form.slots;
    const slot = slots.get(field);
    if (slot === undefined) {
      slots.set(field, form.fields.length);
      form.fields.push(field);
      form.values.push(value);
      form.totalBytes += field.length + value.length;
      return true;
    }
    form.totalBytes += value.length - form.values[slot].length;
    form.values[slot] = value;
    return false;
  }

  private setPacked(packed: string, field: string, value: string, limits: ListpackLimits): boolean {
    const valueAt = this.find(packed, field);
    if (valueAt < 0) {
      this.count++;
      packed = withPair(packed, field, value);
    } else {
      room(packed.length + value.length + 10);
      const oldLength = readLength(packed);
      const oldEnd = at + oldLength;
      let end = scratch.write(packed, 0, valueAt, 'latin1');
      end = putLength(end, value.length);
      end += scratch.write(value, end, 'latin1');
      end += scratch.write(packed.slice(oldEnd), end, 'latin1');
      packed = scratch.toString('latin1', 0, end);
    }
    this.form = packed;
    // Limits lowered since the hash was made apply at its next write, an update too.
    if (this.count > limits.maxEntries) this.convert();
    return valueAt < 0;
  }

  /** From the packed form to the hash table. */
  private convert(): HashTable {
    const table = new HashTable(new Map(), [], []);
    this.forEach((field, value) => {
      table.slots.set(field, table.fields.length);
      table.fields.push(field);
      table.values.push(value);
      table.totalBytes += field.length + value.length;
    });
    this.form = table;
    this.count = 0;
    return table;
  }

  /** Removes `field`; false when it was not there. */
  delete(field: string): boolean {
    const form = this.form;
    if (typeof form === 'string') {
      const valueAt = this.find(form, field);
      if (valueAt < 0) return false;
      const pairStart = valueAt - field.length - lengthSize(field.length);
      const valueLength = readLength(form);
      const pairEnd = at + valueLength;
      room(form.length);
      let end = scratch.write(form, 0, pairStart, 'latin1');
      end += scratch.write(form.slice(pairEnd), end, 'latin1');
      this.form = scratch.toString('latin1', 0, end);
      this.count--;
      return true;
    }
    const { slots, fields, values } = form;
    const slot = slots.get(field);
    if (slot === undefined) return false;
    slots.delete(field);
    form.totalBytes -= field.length + values[slot].length;
    const last = fields.length - 1;
    if (slot !== last) {
      const moved = fields[last];
      fields[slot] = moved;
      values[slot] = values[last];
      // Updating an existing key keeps its place in the Map's iteration order.
      slots.set(moved, slot);
    }
    fields.pop();
    values.pop();
    return true;
  }

  /** The slot of a uniformly random field (the hash must not be empty). */
  randomSlot(): number {
    return Math.floor(Math.random() * this.size);
  }

  fieldAt(slot: number): string {
    const form = this.form;
    if (typeof form !== 'string') return form.fields[slot];
    skipPairs(form, slot);
    const length = readLength(form);
    return form.slice(at, at + length);
  }

  valueAt(slot: number): string {
    const form = this.form;
    if (typeof form !== 'string') return form.values[slot];
    skipPairs(form, slot);
    const fieldLength = readLength(form);
    at += fieldLength;
    const length = readLength(form);
    return form.slice(at, at + length);
  }

  /** Calls `visit` for every pair, oldest field first (a listpack's order). */
  forEach(visit: (field: string, value: string) => void): void {
    const packed = this.form;
    if (typeof packed !== 'string') {
      const values = packed.values;
      packed.slots.forEach((slot, field) => visit(field, values[slot]));
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
    const form = this.form;
    if (typeof form === 'string') return 0;
    const { fields, values } = form;
    let slot = next === 0 || next > fields.length ? fields.length : next;
    for (let visited = 0; visited < count && slot > 0; visited++) {
      slot--;
      visit(fields[slot], values[slot]);
    }
    return slot;
  }

  encoding(): string {
    return typeof this.form === 'string' ? 'listpack' : 'hashtable';
  }

  freeEffort(): number {
    return typeof this.form === 'string' ? 1 : this.size;
  }

  clone(): HashValue {
    const copy = new HashValue();
    const form = this.form;
    if (typeof form === 'string') {
      // Strings are immutable: the copy shares the packed one until either is written.
      copy.form = form;
      copy.count = this.count;
    } else {
      const table = new HashTable(new Map(form.slots), form.fields.slice(), form.values.slice());
      table.totalBytes = form.totalBytes;
      copy.form = table;
    }
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
