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
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, STRING_OVERHEAD } from './memory.js';

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

function capacityFor(count: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < count) capacity *= 2;
  return capacity;
}

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  /** Slots of the ring; those outside [head, head + count) hold undefined so popped strings can be collected. */
  private slots: (Packed | undefined)[];
  private mask: number;
  /** Slot of the first element. */
  private head = 0;
  private count = 0;
  /** Bytes of the string elements (see `cost`), for the memory estimate. */
  private elementBytes = 0;
  accounted = 0;

  constructor(items: readonly string[] = []) {
    this.slots = new Array<Packed | undefined>(capacityFor(items.length));
    this.mask = this.slots.length - 1;
    for (let i = 0; i < items.length; i++) this.elementBytes += cost((this.slots[i] = pack(items[i])));
    this.count = items.length;
  }

  memory(): number {
    return COLLECTION_BASE + this.slots.length * ARRAY_SLOT + this.elementBytes;
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
    copy.resize(this.slots.length);
    for (let i = 0; i < this.count; i++) copy.slots[i] = this.slot(i);
    copy.count = this.count;
    copy.elementBytes = this.elementBytes;
    return copy;
  }

  canonical(): string {
    let out = '';
    for (let i = 0; i < this.count; i++) {
      const value = unpack(this.slot(i));
      out += `${value.length}:${value}`;
    }
    return out;
  }

  /** The element at a 0-based index (negative counts from the tail, -1 is the last), undefined out of range. */
  at(index: number): string | undefined {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return undefined;
    return unpack(this.slot(index));
  }

  /** Replaces the element at an index (negative from the tail); false when out of range. */
  set(index: number, value: string): boolean {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return false;
    const at = (this.head + index) & this.mask;
    const packed = pack(value);
    this.elementBytes += cost(packed) - cost(this.slots[at]);
    this.slots[at] = packed;
    return true;
  }

  pushHead(value: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & this.mask;
    const packed = pack(value);
    this.elementBytes += cost(packed);
    this.slots[this.head] = packed;
    this.count++;
  }

  pushTail(value: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    const packed = pack(value);
    this.elementBytes += cost(packed);
    this.slots[(this.head + this.count) & this.mask] = packed;
    this.count++;
  }

  popHead(): string | undefined {
    if (this.count === 0) return undefined;
    const value = this.slots[this.head];
    this.elementBytes -= cost(value);
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.shrinkIfSparse();
    return value === undefined ? undefined : unpack(value);
  }

  popTail(): string | undefined {
    if (this.count === 0) return undefined;
    const at = (this.head + this.count - 1) & this.mask;
    const value = this.slots[at];
    this.elementBytes -= cost(value);
    this.slots[at] = undefined;
    this.count--;
    this.shrinkIfSparse();
    return value === undefined ? undefined : unpack(value);
  }

  /** Elements from `start` to `end` inclusive (both valid, non-negative indexes), head to tail. */
  range(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start + 1));
    for (let i = start; i <= end; i++) out[i - start] = unpack(this.slot(i));
    return out;
  }

  /** Drops the first `n` elements. */
  removeHead(n: number): void {
    n = Math.min(n, this.count);
    for (let i = 0; i < n; i++) this.drop((this.head + i) & this.mask);
    this.head = (this.head + n) & this.mask;
    this.count -= n;
    this.shrinkIfSparse();
  }

  /** Drops the last `n` elements. */
  removeTail(n: number): void {
    n = Math.min(n, this.count);
    for (let i = this.count - n; i < this.count; i++) this.drop((this.head + i) & this.mask);
    this.count -= n;
    this.shrinkIfSparse();
  }

  /** Index of the first element equal to `value`, -1 when there is none. */
  indexOf(value: string): number {
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
    const found: number[] = [];
    const steps = Math.min(scan, this.count);
    let matches = 0;
    for (let step = 0; step < steps; step++) {
      const index = fromTail ? this.count - 1 - step : step;
      if (this.slot(index) !== packed || matches++ < skip) continue;
      found.push(index);
      if (limit !== 0 && found.length >= limit) break;
    }
    return found;
  }

  /** Inserts so the new element gets `index` (0 ..= length), moving whichever side is shorter. */
  insert(index: number, value: string): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    const mask = this.mask;
    if (index < this.count / 2) {
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) this.slots[(this.head + i) & mask] = this.slots[(this.head + i + 1) & mask];
    } else {
      for (let i = this.count; i > index; i--) this.slots[(this.head + i) & mask] = this.slots[(this.head + i - 1) & mask];
    }
    const packed = pack(value);
    this.elementBytes += cost(packed);
    this.slots[(this.head + index) & mask] = packed;
    this.count++;
  }

  /**
   * Removes elements equal to `value`: at most `limit` of them (0: all),
   * scanning from the tail when `fromTail`. Returns how many went. O(n).
   */
  removeMatching(value: string, limit: number, fromTail: boolean): number {
    const packed = pack(value);
    const mask = this.mask;
    let removed = 0;
    if (!fromTail) {
      let kept = 0;
      for (let i = 0; i < this.count; i++) {
        const current = this.slots[(this.head + i) & mask];
        if (current === packed && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (kept !== i) this.slots[(this.head + kept) & mask] = current;
        kept++;
      }
      for (let i = kept; i < this.count; i++) this.slots[(this.head + i) & mask] = undefined;
      this.count = kept;
    } else {
      // Compact towards the tail: `free` is the logical index the next kept element goes to.
      let free = this.count - 1;
      for (let i = this.count - 1; i >= 0; i--) {
        const current = this.slots[(this.head + i) & mask];
        if (current === packed && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (free !== i) this.slots[(this.head + free) & mask] = current;
        free--;
      }
      for (let i = 0; i <= free; i++) this.slots[(this.head + i) & mask] = undefined;
      this.head = (this.head + free + 1) & mask;
      this.count -= free + 1;
    }
    this.elementBytes -= removed * cost(packed);
    if (removed > 0) this.shrinkIfSparse();
    return removed;
  }

  private drop(at: number): void {
    this.elementBytes -= cost(this.slots[at]);
    this.slots[at] = undefined;
  }

  private slot(index: number): Packed {
    return this.slots[(this.head + index) & this.mask] as Packed;
  }

  private shrinkIfSparse(): void {
    if (this.slots.length > MIN_CAPACITY && this.count * 4 <= this.slots.length) this.resize(capacityFor(this.count * 2));
  }

  /** Moves the elements into a new ring of `capacity` slots, starting at slot 0. */
  private resize(capacity: number): void {
    const slots = new Array<Packed | undefined>(capacity);
    for (let i = 0; i < this.count; i++) slots[i] = this.slots[(this.head + i) & this.mask];
    this.slots = slots;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
