/**
 * The list type: a growable ring buffer of latin1 strings.
 *
 * Redis keeps lists in a quicklist (a linked list of packed nodes); what its
 * commands promise is O(1) push and pop at both ends, which a ring buffer
 * gives too, plus O(1) access by index (LINDEX, LSET, LPOS's positions) where
 * a quicklist walks. The capacity is a power of two so a logical index maps to
 * a slot with one mask; it doubles when full and halves when a quarter full,
 * so a list that was big once does not keep its memory.
 *
 * Elements that are the canonical decimal form of a 32-bit integer are kept
 * as numbers, as Redis's listpack keeps integers: V8 stores those in the slot
 * itself (a small integer), where a string costs a heap object of 24+ bytes.
 * The mapping is one-to-one (only texts that print back identically are
 * packed), so comparing packed values is comparing the strings.
 *
 * A small list (at most SMALL_COUNT elements of at most SMALL_BYTES bytes,
 * which a quicklist would hold in one listpack node) is one string instead,
 * each element its length (one byte) and its bytes: five short elements and
 * the object cost about 120 bytes, where the ring and five strings cost 310. Pushes and pops
 * rebuild it, as a listpack moves its bytes; the rarer edits (LINSERT, LREM,
 * LSET, LTRIM) decode it to an array and encode the result. Past either
 * bound it becomes the ring, for good. OBJECT ENCODING says quicklist for
 * both, as Redis 7.0 does for every list.
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, STRING_OVERHEAD, stringBytes } from './memory.js';
import { scratchFor } from './packing.js';

const MIN_CAPACITY = 4;

/** An element as stored: a string, or the number whose decimal text it is. */
type Packed = string | number;

function pack(value: string): Packed {
  const length = value.length;
  if (length === 0 || length > 11) return value;
  const first = value.charCodeAt(0);
  if (first !== 45 && (first < 48 || first > 57)) return value;
  const number = Number(value);
  // `| 0` keeps it only within 32 bits; the text check rejects "01", "-0", "1e3", " 1".
  return (number | 0) === number && String(number) === value ? number : value;
}

const unpack = (value: Packed): string => (typeof value === 'number' ? String(value) : value);

/** Heap bytes of an element beyond its slot: a packed integer lives in the slot itself. */
const cost = (value: Packed | undefined): number => (typeof value === 'string' ? STRING_OVERHEAD + value.length : 0);

/** The bounds of the packed form (a listpack node's worth under list-max-listpack-size -2, and one length byte). */
const SMALL_COUNT = 128;
const SMALL_BYTES = 64;

/** Where the element after the one at `at` starts. */
const nextElement = (packed: string, at: number): number => at + 1 + packed.charCodeAt(at);

/** The element starting at `at`. */
const elementAt = (packed: string, at: number): string => packed.slice(at + 1, at + 1 + packed.charCodeAt(at));

/** Where element `index` starts (the string's length for index === count). */
function offsetOf(packed: string, index: number): number {
  let at = 0;
  for (let i = 0; i < index; i++) at = nextElement(packed, at);
  return at;
}

/** `packed` with packed[from, to) replaced by `value`'s entry (none when undefined), as a flat string. */
function splice(packed: string, from: number, to: number, value: string | undefined): string {
  const buffer = scratchFor(packed.length + 1 + (value === undefined ? 0 : value.length));
  let end = buffer.write(packed, 0, from, 'latin1');
  if (value !== undefined) {
    buffer[end++] = value.length;
    end += buffer.write(value, end, 'latin1');
  }
  if (to < packed.length) end += buffer.write(packed.slice(to), end, 'latin1');
  return buffer.toString('latin1', 0, end);
}

/** Whether elements of these lengths fit the packed form. */
const fits = (items: readonly string[]): boolean => items.length <= SMALL_COUNT && items.every((item) => item.length <= SMALL_BYTES);

/** The packed form of `items` (which fit it). */
function encode(items: readonly string[]): string {
  let bytes = 0;
  for (const item of items) bytes += 1 + item.length;
  const buffer = scratchFor(bytes);
  let end = 0;
  for (const item of items) {
    buffer[end++] = item.length;
    end += buffer.write(item, end, 'latin1');
  }
  return buffer.toString('latin1', 0, end);
}

function capacityFor(count: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < count) capacity *= 2;
  return capacity;
}

/** The large form. */
class Ring {
  readonly mask: number;
  /** Slot of the first element. */
  head = 0;
  /** Bytes of the string elements (see `cost`), for the memory estimate. */
  elementBytes = 0;

  constructor(
    /** Those outside [head, head + count) hold undefined so popped strings can be collected. */
    readonly slots: (Packed | undefined)[],
  ) {
    this.mask = slots.length - 1;
  }
}

export class ListValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  private count = 0;
  /** The packed form, or the ring once the list became one: one field, so a small list pays no word for the ring's. */
  private form: string | Ring = '';

  constructor(items: readonly string[] = []) {
    this.count = items.length;
    if (fits(items)) this.form = encode(items);
    else this.becomeRing(items);
  }

  /** The packed form; undefined once the list is a ring. */
  private get packed(): string | undefined {
    return typeof this.form === 'string' ? this.form : undefined;
  }

  /** The ring (the list must be one). */
  private get ring(): Ring {
    return this.form as Ring;
  }

  get type(): 'list' {
    return 'list';
  }

  memory(): number {
    if (this.packed !== undefined) return COLLECTION_BASE + stringBytes(this.packed.length);
    return COLLECTION_BASE + this.ring.slots.length * ARRAY_SLOT + this.ring.elementBytes;
  }

  get length(): number {
    return this.count;
  }

  /** Redis 7.0 reports every list as a quicklist, however small (listpack lists came in 7.2). */
  encoding(): string {
    return 'quicklist';
  }

  /** Redis frees a quicklist node by node; ours has none, so the count is that of 8 KB nodes (list-max-listpack-size -2). */
  freeEffort(): number {
    return Math.ceil(this.memory() / 8192);
  }

  clone(): ListValue {
    const copy = new ListValue();
    if (this.packed !== undefined) {
      // Strings are immutable: the copy shares the packed one until either is written.
      copy.form = this.packed;
      copy.count = this.count;
      return copy;
    }
    copy.becomeRing([]);
    copy.resize(this.ring.slots.length);
    for (let i = 0; i < this.count; i++) copy.ring.slots[i] = this.slot(i);
    copy.count = this.count;
    copy.ring.elementBytes = this.ring.elementBytes;
    return copy;
  }

  canonical(): string {
    let out = '';
    for (let i = 0; i < this.count; i++) {
      const value = this.at(i)!;
      out += `${value.length}:${value}`;
    }
    return out;
  }

  /** The ring holding `items`, for good. */
  private becomeRing(items: readonly string[]): void {
    const ring = new Ring(new Array<Packed | undefined>(capacityFor(items.length)));
    this.form = ring;
    this.count = items.length;
    for (let i = 0; i < items.length; i++) ring.elementBytes += cost((ring.slots[i] = pack(items[i])));
  }

  /** The packed form's elements, decoded. */
  private decoded(): string[] {
    return this.count === 0 ? [] : this.range(0, this.count - 1);
  }

  /**
   * The packed form's rarer edits: `edit` changes the decoded elements in
   * place; the result is packed again, or becomes the ring when it no longer fits.
   */
  private editPacked(edit: (items: string[]) => void): void {
    const items = this.decoded();
    edit(items);
    this.count = items.length;
    if (fits(items)) this.form = encode(items);
    else this.becomeRing(items);
  }

  /** The element at a 0-based index (negative counts from the tail, -1 is the last), undefined out of range. */
  at(index: number): string | undefined {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return undefined;
    const packed = this.packed;
    return packed === undefined ? unpack(this.slot(index)) : elementAt(packed, offsetOf(packed, index));
  }

  /** Replaces the element at an index (negative from the tail); false when out of range. */
  set(index: number, value: string): boolean {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return false;
    if (this.packed !== undefined) {
      this.editPacked((items) => (items[index] = value));
      return true;
    }
    const at = (this.ring.head + index) & this.ring.mask;
    const packed = pack(value);
    this.ring.elementBytes += cost(packed) - cost(this.ring.slots[at]);
    this.ring.slots[at] = packed;
    return true;
  }

  pushHead(value: string): void {
    if (this.packed !== undefined) {
      if (this.count < SMALL_COUNT && value.length <= SMALL_BYTES) {
        this.form = splice(this.packed, 0, 0, value);
        this.count++;
        return;
      }
      this.becomeRing(this.decoded());
    }
    if (this.count === this.ring.slots.length) this.resize(this.ring.slots.length * 2);
    this.ring.head = (this.ring.head - 1) & this.ring.mask;
    const packed = pack(value);
    this.ring.elementBytes += cost(packed);
    this.ring.slots[this.ring.head] = packed;
    this.count++;
  }

  pushTail(value: string): void {
    if (this.packed !== undefined) {
      if (this.count < SMALL_COUNT && value.length <= SMALL_BYTES) {
        this.form = splice(this.packed, this.packed.length, this.packed.length, value);
        this.count++;
        return;
      }
      this.becomeRing(this.decoded());
    }
    if (this.count === this.ring.slots.length) this.resize(this.ring.slots.length * 2);
    const packed = pack(value);
    this.ring.elementBytes += cost(packed);
    this.ring.slots[(this.ring.head + this.count) & this.ring.mask] = packed;
    this.count++;
  }

  popHead(): string | undefined {
    if (this.count === 0) return undefined;
    const packed = this.packed;
    if (packed !== undefined) {
      this.form = splice(packed, 0, nextElement(packed, 0), undefined);
      this.count--;
      return elementAt(packed, 0);
    }
    const value = this.ring.slots[this.ring.head];
    this.ring.elementBytes -= cost(value);
    this.ring.slots[this.ring.head] = undefined;
    this.ring.head = (this.ring.head + 1) & this.ring.mask;
    this.count--;
    this.shrinkIfSparse();
    return value === undefined ? undefined : unpack(value);
  }

  popTail(): string | undefined {
    if (this.count === 0) return undefined;
    const packed = this.packed;
    if (packed !== undefined) {
      const last = offsetOf(packed, this.count - 1);
      this.form = splice(packed, last, packed.length, undefined);
      this.count--;
      return elementAt(packed, last);
    }
    const at = (this.ring.head + this.count - 1) & this.ring.mask;
    const value = this.ring.slots[at];
    this.ring.elementBytes -= cost(value);
    this.ring.slots[at] = undefined;
    this.count--;
    this.shrinkIfSparse();
    return value === undefined ? undefined : unpack(value);
  }

  /** Elements from `start` to `end` inclusive (both valid, non-negative indexes), head to tail. */
  range(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start + 1));
    const packed = this.packed;
    if (packed !== undefined) {
      for (let i = start, at = offsetOf(packed, start); i <= end; i++, at = nextElement(packed, at)) out[i - start] = elementAt(packed, at);
      return out;
    }
    for (let i = start; i <= end; i++) out[i - start] = unpack(this.slot(i));
    return out;
  }

  /** Drops the first `n` elements. */
  removeHead(n: number): void {
    n = Math.min(n, this.count);
    if (this.packed !== undefined) {
      this.form = splice(this.packed, 0, offsetOf(this.packed, n), undefined);
      this.count -= n;
      return;
    }
    for (let i = 0; i < n; i++) this.drop((this.ring.head + i) & this.ring.mask);
    this.ring.head = (this.ring.head + n) & this.ring.mask;
    this.count -= n;
    this.shrinkIfSparse();
  }

  /** Drops the last `n` elements. */
  removeTail(n: number): void {
    n = Math.min(n, this.count);
    if (this.packed !== undefined) {
      this.form = splice(this.packed, offsetOf(this.packed, this.count - n), this.packed.length, undefined);
      this.count -= n;
      return;
    }
    for (let i = this.count - n; i < this.count; i++) this.drop((this.ring.head + i) & this.ring.mask);
    this.count -= n;
    this.shrinkIfSparse();
  }

  /** Index of the first element equal to `value`, -1 when there is none. */
  indexOf(value: string): number {
    const string = this.packed;
    if (string !== undefined) {
      for (let i = 0, at = 0; i < this.count; i++, at = nextElement(string, at)) {
        if (string.charCodeAt(at) === value.length && string.startsWith(value, at + 1)) return i;
      }
      return -1;
    }
    const packed = pack(value);
    for (let i = 0; i < this.count; i++) if (this.slot(i) === packed) return i;
    return -1;
  }

  /**
   * Indexes (counted from the head) of elements equal to `value`, scanning
   * from the tail when `fromTail`: passes over the first `skip` matches, stops
   * after `limit` more (0: no limit) or after looking at `scan` elements.
   */
  positions(value: string, fromTail: boolean, skip: number, limit: number, scan: number): number[] {
    const packed = pack(value);
    const items = this.packed === undefined ? undefined : this.decoded();
    const found: number[] = [];
    const steps = Math.min(scan, this.count);
    let matches = 0;
    for (let step = 0; step < steps; step++) {
      const index = fromTail ? this.count - 1 - step : step;
      if ((items === undefined ? this.slot(index) !== packed : items[index] !== value) || matches++ < skip) continue;
      found.push(index);
      if (limit !== 0 && found.length >= limit) break;
    }
    return found;
  }

  /** Inserts so the new element gets `index` (0 ..= length), moving whichever side is shorter. */
  insert(index: number, value: string): void {
    if (this.packed !== undefined) {
      this.editPacked((items) => items.splice(index, 0, value));
      return;
    }
    if (this.count === this.ring.slots.length) this.resize(this.ring.slots.length * 2);
    const mask = this.ring.mask;
    if (index < this.count / 2) {
      this.ring.head = (this.ring.head - 1) & mask;
      for (let i = 0; i < index; i++) this.ring.slots[(this.ring.head + i) & mask] = this.ring.slots[(this.ring.head + i + 1) & mask];
    } else {
      for (let i = this.count; i > index; i--) this.ring.slots[(this.ring.head + i) & mask] = this.ring.slots[(this.ring.head + i - 1) & mask];
    }
    const packed = pack(value);
    this.ring.elementBytes += cost(packed);
    this.ring.slots[(this.ring.head + index) & mask] = packed;
    this.count++;
  }

  /**
   * Removes elements equal to `value`: at most `limit` of them (0: all),
   * scanning from the tail when `fromTail`. Returns how many went. O(n).
   */
  removeMatching(value: string, limit: number, fromTail: boolean): number {
    if (this.packed !== undefined) {
      const before = this.count;
      this.editPacked((items) => {
        let left = limit === 0 ? Infinity : limit;
        const step = fromTail ? -1 : 1;
        for (let i = fromTail ? items.length - 1 : 0; i >= 0 && i < items.length && left > 0; i += step) {
          if (items[i] !== value) continue;
          items.splice(i, 1);
          left--;
          if (!fromTail) i--;
        }
      });
      return before - this.count;
    }
    const packed = pack(value);
    const mask = this.ring.mask;
    let removed = 0;
    if (!fromTail) {
      let kept = 0;
      for (let i = 0; i < this.count; i++) {
        const current = this.ring.slots[(this.ring.head + i) & mask];
        if (current === packed && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (kept !== i) this.ring.slots[(this.ring.head + kept) & mask] = current;
        kept++;
      }
      for (let i = kept; i < this.count; i++) this.ring.slots[(this.ring.head + i) & mask] = undefined;
      this.count = kept;
    } else {
      // Compact towards the tail: `free` is the logical index the next kept element goes to.
      let free = this.count - 1;
      for (let i = this.count - 1; i >= 0; i--) {
        const current = this.ring.slots[(this.ring.head + i) & mask];
        if (current === packed && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (free !== i) this.ring.slots[(this.ring.head + free) & mask] = current;
        free--;
      }
      for (let i = 0; i <= free; i++) this.ring.slots[(this.ring.head + i) & mask] = undefined;
      this.ring.head = (this.ring.head + free + 1) & mask;
      this.count -= free + 1;
    }
    this.ring.elementBytes -= removed * cost(packed);
    if (removed > 0) this.shrinkIfSparse();
    return removed;
  }

  private drop(at: number): void {
    this.ring.elementBytes -= cost(this.ring.slots[at]);
    this.ring.slots[at] = undefined;
  }

  private slot(index: number): Packed {
    return this.ring.slots[(this.ring.head + index) & this.ring.mask] as Packed;
  }

  private shrinkIfSparse(): void {
    if (this.ring.slots.length > MIN_CAPACITY && this.count * 4 <= this.ring.slots.length) this.resize(capacityFor(this.count * 2));
  }

  /** Moves the elements into a new ring of `capacity` slots, starting at slot 0. */
  private resize(capacity: number): void {
    const old = this.ring;
    const ring = new Ring(new Array<Packed | undefined>(capacity));
    for (let i = 0; i < this.count; i++) ring.slots[i] = old.slots[(old.head + i) & old.mask];
    ring.elementBytes = old.elementBytes;
    this.form = ring;
  }
}
