/**
 * The hash type: field → value, both latin1 strings (one char per byte).
 *
 * Three structures share the work, with no object per field:
 *   - `slots` maps each field to its slot: O(1) lookup, and its iteration
 *     order is insertion order, which HGETALL shows as a small Redis hash (a
 *     listpack) does;
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
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD } from './memory.js';

/** A field: its Map entry, its two array slots, and two strings' overhead. */
const FIELD_BYTES = MAP_ENTRY + 2 * ARRAY_SLOT + 2 * STRING_OVERHEAD;

/** When a hash stops being reported as a listpack (hash-max-listpack-entries / -value). */
export interface ListpackLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

/** A JS Map holds at most 2^24 entries; past that Map#set throws. */
export const MAX_HASH_FIELDS = 16_777_216;

export class HashValue implements CollectionValue {
  readonly type = 'hash' as const;
  accounted = 0;
  private slots = new Map<string, number>();
  private fields: string[] = [];
  private values: string[] = [];
  /** Redis converts a listpack to a hash table once, and never back. */
  private listpack = true;
  /** Total length of every field and value, to size replies before building them. */
  private totalBytes = 0;

  get size(): number {
    return this.fields.length;
  }

  /** Sum of the lengths of all fields and values. */
  get bytes(): number {
    return this.totalBytes;
  }

  memory(): number {
    return COLLECTION_BASE + this.fields.length * FIELD_BYTES + this.totalBytes;
  }

  get(field: string): string | undefined {
    const slot = this.slots.get(field);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(field: string): boolean {
    return this.slots.has(field);
  }

  /**
   * Stores `value` under `field`; true when the field is new. Past the
   * limits the encoding becomes 'hashtable', as Redis converts on a long
   * field or value, or on one entry too many.
   */
  set(field: string, value: string, limits: ListpackLimits): boolean {
    const slot = this.slots.get(field);
    const created = slot === undefined;
    if (created) {
      this.slots.set(field, this.fields.length);
      this.fields.push(field);
      this.values.push(value);
      this.totalBytes += field.length + value.length;
    } else {
      this.totalBytes += value.length - this.values[slot].length;
      this.values[slot] = value;
    }
    // Checked on updates too: the limits may have been lowered since the last write.
    if (this.listpack && (field.length > limits.maxValue || value.length > limits.maxValue || this.fields.length > limits.maxEntries)) {
      this.listpack = false;
    }
    return created;
  }

  /** Removes `field`; false when it was not there. */
  delete(field: string): boolean {
    const slot = this.slots.get(field);
    if (slot === undefined) return false;
    this.slots.delete(field);
    this.totalBytes -= field.length + this.values[slot].length;
    const last = this.fields.length - 1;
    if (slot !== last) {
      const moved = this.fields[last];
      this.fields[slot] = moved;
      this.values[slot] = this.values[last];
      // Updating an existing key keeps its place in the Map's iteration order.
      this.slots.set(moved, slot);
    }
    this.fields.pop();
    this.values.pop();
    return true;
  }

  /** The slot of a uniformly random field (the hash must not be empty). */
  randomSlot(): number {
    return Math.floor(Math.random() * this.fields.length);
  }

  fieldAt(slot: number): string {
    return this.fields[slot];
  }

  valueAt(slot: number): string {
    return this.values[slot];
  }

  /** Calls `visit` for every pair, oldest field first (a listpack's order). */
  forEach(visit: (field: string, value: string) => void): void {
    const values = this.values;
    this.slots.forEach((slot, field) => visit(field, values[slot]));
  }

  /**
   * One step of an HSCAN walk: visits up to `count` slots below `next`
   * (the number of slots still to visit; the whole hash when it is 0 or
   * beyond the size), passing each pair to `visit`. Returns what to pass
   * next time, 0 once the walk is over.
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
    return this.listpack ? 'listpack' : 'hashtable';
  }

  freeEffort(): number {
    return this.listpack ? 1 : this.size;
  }

  clone(): HashValue {
    const copy = new HashValue();
    copy.slots = new Map(this.slots);
    copy.fields = this.fields.slice();
    copy.values = this.values.slice();
    copy.listpack = this.listpack;
    copy.totalBytes = this.totalBytes;
    return copy;
  }

  canonical(): string {
    const order = this.fields.map((_, slot) => slot);
    const fields = this.fields;
    order.sort((a, b) => (fields[a] < fields[b] ? -1 : 1));
    // Length prefixes keep the text unambiguous whatever bytes the strings hold.
    let out = '';
    for (const slot of order) {
      out += `${fields[slot].length}:${fields[slot]}${this.values[slot].length}:${this.values[slot]}`;
    }
    return out;
  }
}
