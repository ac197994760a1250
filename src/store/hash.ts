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
 * once and for good as in Redis: a Map from field to value, with no object
 * per field. Its iteration order is insertion order, which HGETALL shows as
 * the listpack did, and its live iterator serves HSCAN as a Set's serves
 * SSCAN. HRANDFIELD, which needs random access, gets a list of the fields
 * from its first draw on (see draws.ts); hashes that never see one save
 * the array, and the two array slots per field that a dense layout by slot
 * cost (18 bytes a field of a million-field hash, measured in RSS).
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD, stringBytes } from './memory.js';
import { scratchFor } from './packing.js';
import { Draws } from './draws.js';

/** A field: its Map entry and two strings' overhead (and an array slot once HRANDFIELD made its list). */
const FIELD_BYTES = MAP_ENTRY + 2 * STRING_OVERHEAD;

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
  draws: Draws | null = null;

  constructor(readonly pairs: Map<string, string>) {}

  /** The draws, made now if no HRANDFIELD needed them before. */
  drawable(): Draws {
    return (this.draws ??= new Draws([...this.pairs.keys()]));
  }
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
    return (this.form as HashTable).pairs.get(field)?.length ?? 0;
  }

  get size(): number {
    const form = this.form;
    return typeof form === 'string' ? this.count : form.pairs.size;
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
    const size = form.pairs.size;
    return COLLECTION_BASE + size * (form.draws === null ? FIELD_BYTES : FIELD_BYTES + ARRAY_SLOT) + form.totalBytes;
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
    if (typeof form !== 'string') return form.pairs.get(field);
    if (this.find(form, field) < 0) return undefined;
    const length = readLength(form);
    return form.slice(at, at + length);
  }

  has(field: string): boolean {
    const form = this.form;
    return typeof form === 'string' ? this.find(form, field) >= 0 : form.pairs.has(field);
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
    const pairs = form.pairs;
    const old = pairs.get(field);
    pairs.set(field, value);
    if (old === undefined) {
      form.totalBytes += field.length + value.length;
      form.draws?.added(field);
      return true;
    }
    form.totalBytes += value.length - old.length;
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
    const table = new HashTable(new Map());
    this.forEach((field, value) => {
      table.pairs.set(field, value);
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
    const pairs = form.pairs;
    const old = pairs.get(field);
    if (old === undefined) return false;
    pairs.delete(field);
    form.totalBytes -= field.length + old.length;
    form.draws?.dropped(field);
    return true;
  }

  /**
   * The slot of a uniformly random field (the hash must not be empty), for
   * fieldAt and valueAt until the hash changes.
   */
  randomSlot(): number {
    const form = this.form;
    return typeof form === 'string' ? Math.floor(Math.random() * this.count) : form.drawable().randomSlot();
  }

  /**
   * `count` distinct slots (count < size) chosen uniformly, by Floyd's
   * sampling: O(count) time and memory however large the hash is.
   */
  distinctSlots(count: number): Set<number> {
    const form = this.form;
    // Slots 0 to size - 1 must all hold fields: the list loses its removed ones first.
    if (typeof form !== 'string') form.drawable().members();
    const size = this.size;
    const chosen = new Set<number>();
    for (let j = size - count; j < size; j++) {
      const t = Math.floor(Math.random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    return chosen;
  }

  fieldAt(slot: number): string {
    const form = this.form;
    if (typeof form !== 'string') return form.drawable().at(slot);
    skipPairs(form, slot);
    const length = readLength(form);
    return form.slice(at, at + length);
  }

  valueAt(slot: number): string {
    const form = this.form;
    if (typeof form !== 'string') return form.pairs.get(form.drawable().at(slot))!;
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
      packed.pairs.forEach((value, field) => visit(field, value));
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
   * A live walk over the pairs for HSCAN of a hash table: it returns, once,
   * every pair present from its start to its end, whatever changes in
   * between (a listpack is scanned in one reply, as in Redis). A Map also
   * visits pairs added during the walk, after every pair present at its
   * start, so the walk stops after as many steps as the hash had pairs then,
   * and a client adding faster than it scans still finishes.
   */
  *scan(): Generator<[string, string], void, undefined> {
    const form = this.form;
    if (typeof form === 'string') return;
    let left = form.pairs.size;
    for (const pair of form.pairs) {
      if (left-- === 0) return;
      yield pair;
    }
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
      const table = new HashTable(new Map(form.pairs));
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
