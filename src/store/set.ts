/**
 * The set type.
 *
 * Members are latin1 strings (binary safe). Two structures share them:
 * `present`, a JS Set, gives O(1) add/remove/membership and a live iterator
 * for SSCAN; `list`, an array, gives an O(1) uniformly random member for SPOP
 * and SRANDMEMBER, which a Set alone cannot (it has no random access). Per
 * member this costs one Set entry and one array slot, no object: a Map from
 * member to position would cost a third word per member.
 *
 * Without positions, SREM cannot take a member out of `list` at once: it is
 * left there, noted in `removed`, and skipped by random draws until a sweep
 * drops every removed member, which runs once they make up half of `list`,
 * so draws take two tries at most on average and sweeps cost O(1) per
 * removal. A member added again while still in `list` is revived in place,
 * so `list` never holds a member twice.
 *
 * Redis keeps small all-integer sets as a sorted "intset" and lists them in
 * numeric order; everything else lives in a hash table with arbitrary order.
 * Clients see the difference (OBJECT ENCODING, SMEMBERS order), so the same
 * encoding is tracked here: `intset` while every member is an integer and the
 * set is small, then 'hashtable' for good. Numeric order is restored lazily,
 * when an ordered walk is asked for.
 */
import { ReplyError } from '../errors.js';
import { parseInt64 } from '../util/numbers.js';
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, SET_ENTRY, STRING_OVERHEAD } from './memory.js';

/** A member: its Set entry, its array slot and its string's overhead. */
const MEMBER_BYTES = SET_ENTRY + ARRAY_SLOT + STRING_OVERHEAD;

/** Redis caps intsets at 2^30 members whatever set-max-intset-entries says. */
const INTSET_HARD_LIMIT = 2 ** 30;

/** V8 Sets hold at most 2^24 entries; beyond that Set.add throws. */
export const MAX_SET_SIZE = 2 ** 24;

const setFull = (): ReplyError => new ReplyError(`ERR set reached the maximum of ${MAX_SET_SIZE} members this server supports`);

/** Whether Redis would store `member` in an intset: a canonical 64-bit integer. */
export function isIntegerMember(member: string): boolean {
  return parseInt64(member) !== null;
}

/**
 * Orders canonical integer strings numerically without parsing them: sign
 * first, then length, then digits (canonical forms have no leading zeros).
 */
export function compareIntegers(a: string, b: string): number {
  const aNegative = a.charCodeAt(0) === 45;
  const bNegative = b.charCodeAt(0) === 45;
  if (aNegative !== bNegative) return aNegative ? -1 : 1;
  const magnitude = a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  return aNegative ? -magnitude : magnitude;
}

export class SetValue implements CollectionValue {
  readonly type = 'set' as const;
  accounted = 0;
  private present = new Set<string>();
  /** Total length of the members, for the memory estimate. */
  private memberBytes = 0;
  /** Every member once, plus the members in `removed`. */
  private list: string[] = [];
  /** Members taken out of the set but not yet swept out of `list`. */
  private removed = new Set<string>();
  private intset = true;
  /** Meaningful in intset mode only: whether `list` is in numeric order. */
  private sorted = true;

  /** A set built from `members` as Redis builds a fresh one (an intset first, converted when needed). */
  static of(members: Iterable<string>, maxIntset: number): SetValue {
    const set = new SetValue();
    for (const member of members) set.add(member, maxIntset);
    return set;
  }

  get size(): number {
    return this.present.size;
  }

  memory(): number {
    return COLLECTION_BASE + this.present.size * MEMBER_BYTES + this.memberBytes;
  }

  get isIntset(): boolean {
    return this.intset;
  }

  has(member: string): boolean {
    return this.present.has(member);
  }

  /** Adds `member`; false when it was already there. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    const present = this.present;
    if (present.has(member)) return false;
    const size = present.size;
    if (size >= MAX_SET_SIZE) throw setFull();
    const list = this.list;
    if (this.intset) {
      if (!isIntegerMember(member) || size + 1 > Math.min(maxIntset, INTSET_HARD_LIMIT)) this.intset = false;
      else if (this.sorted && list.length > 0 && compareIntegers(member, list[list.length - 1]) < 0) this.sorted = false;
    }
    present.add(member);
    // Still in `list` (removed, not yet swept): it takes its old place again.
    if (this.removed.size === 0 || !this.removed.delete(member)) list.push(member);
    this.memberBytes += member.length;
    return true;
  }

  /** Removes `member`; false when it was not there. */
  remove(member: string): boolean {
    if (!this.present.delete(member)) return false;
    this.memberBytes -= member.length;
    this.removed.add(member);
    if (this.removed.size * 2 > this.list.length) this.sweep();
    return true;
  }

  /** A uniformly random member; the set must not be empty. */
  random(): string {
    return this.list[this.randomSlot()];
  }

  /** Removes and returns a uniformly random member; the set must not be empty. */
  pop(): string {
    const list = this.list;
    const slot = this.randomSlot();
    const member = list[slot];
    this.present.delete(member);
    this.memberBytes -= member.length;
    // Its position is known: the last entry (member or not) fills it.
    const last = list.pop()!;
    if (slot < list.length) {
      list[slot] = last;
      this.sorted = false;
    }
    return member;
  }

  /**
   * `count` distinct members chosen uniformly at random (count < size),
   * in random order; the set is unchanged.
   */
  sample(count: number): string[] {
    const size = this.present.size;
    if (count * 3 > size) {
      // Close to the whole set: a partial Fisher-Yates shuffle of a copy.
      const copy = this.members().slice();
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        const picked = copy[j];
        copy[j] = copy[i];
        copy[i] = picked;
      }
      copy.length = count;
      return copy;
    }
    // Far fewer than the set holds: draw positions until enough are distinct.
    const picked = new Set<number>();
    while (picked.size < count) picked.add(this.randomSlot());
    const out = new Array<string>(count);
    let i = 0;
    for (const slot of picked) out[i++] = this.list[slot];
    return out;
  }

  /**
   * Every member, in the order Redis lists this set: numeric for an intset,
   * arbitrary otherwise. The array is the set's own: read it before changing the set.
   */
  members(): readonly string[] {
    if (this.removed.size > 0) this.sweep();
    if (this.intset && !this.sorted) {
      this.list.sort(compareIntegers);
      this.sorted = true;
    }
    return this.list;
  }

  /**
   * The members in the order Redis would list a set freshly built from them
   * (as SPOP of the whole set and SUNION reply): numeric when they would make an intset.
   */
  freshOrder(maxIntset: number): string[] {
    const out = this.members().slice();
    if (!this.intset && out.length <= Math.min(maxIntset, INTSET_HARD_LIMIT) && out.every(isIntegerMember)) {
      out.sort(compareIntegers);
    }
    return out;
  }

  /**
   * A live walk over the members for SSCAN: it returns, once, every member
   * present from its start to its end, whatever changes in between.
   *
   * A Set iterates in insertion order and also visits members added during
   * the walk, so a client adding faster than it scans would never finish.
   * Those come after every member present at the start, so the walk stops
   * after as many steps as the set had members then.
   */
  *scan(): Generator<string, void, undefined> {
    let left = this.present.size;
    for (const member of this.present) {
      if (left-- === 0) return;
      yield member;
    }
  }

  /** Picks the encoding again from the contents, as Redis does when it rebuilds a set (big SPOP). */
  reencode(maxIntset: number): void {
    this.intset = this.present.size <= Math.min(maxIntset, INTSET_HARD_LIMIT) && this.members().every(isIntegerMember);
    this.sorted = false;
  }

  encoding(): string {
    return this.intset ? 'intset' : 'hashtable';
  }

  freeEffort(): number {
    return this.intset ? 1 : this.size;
  }

  clone(): SetValue {
    const copy = new SetValue();
    copy.present = new Set(this.present);
    copy.list = this.members().slice();
    copy.intset = this.intset;
    copy.sorted = this.sorted;
    copy.memberBytes = this.memberBytes;
    return copy;
  }

  canonical(): string {
    const sorted = Array.from(this.present).sort();
    let out = '';
    for (const member of sorted) out += `${member.length}:${member}`;
    return out;
  }

  /** A position in `list` holding a member, uniformly at random; the set must not be empty. */
  private randomSlot(): number {
    const list = this.list;
    const removed = this.removed;
    for (;;) {
      const slot = Math.floor(Math.random() * list.length);
      if (removed.size === 0 || !removed.has(list[slot])) return slot;
    }
  }

  /** Drops the removed members from `list`, keeping the order of the others. */
  private sweep(): void {
    const removed = this.removed;
    this.list = this.list.filter((member) => !removed.has(member));
    removed.clear();
  }
}
