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
 * encoding is tracked here. An intset is compact here too: `list` alone, kept
 * in numeric order and searched by bisection (at most set-max-intset-entries
 * members, so an insertion's shift stays cheap, as in Redis's intset), with
 * no `present` Set; a set past the limit or with a non-integer member gets
 * its Set for good. `removed` is made on the first removal that needs it, as
 * most small sets never see one.
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
  /** The members for hash lookups; null while the set is an intset. */
  private present: Set<string> | null = null;
  /** Total length of the members, for the memory estimate. */
  private memberBytes = 0;
  /** An intset: the members in numeric order. Otherwise every member once, plus the members in `removed`. */
  private list: string[] = [];
  /** Members taken out of the set but not yet swept out of `list` (hashtable only). */
  private removed: Set<string> | null = null;

  /** A set built from `members` as Redis builds a fresh one (an intset first, converted when needed). */
  static of(members: Iterable<string>, maxIntset: number): SetValue {
    const set = new SetValue();
    for (const member of members) set.add(member, maxIntset);
    return set;
  }

  get size(): number {
    return this.present === null ? this.list.length : this.present.size;
  }

  memory(): number {
    const perMember = this.present === null ? ARRAY_SLOT + STRING_OVERHEAD : MEMBER_BYTES;
    return COLLECTION_BASE + this.size * perMember + this.memberBytes;
  }

  get isIntset(): boolean {
    return this.present === null;
  }

  has(member: string): boolean {
    if (this.present !== null) return this.present.has(member);
    return this.list.length > 0 && this.list[this.bisect(member)] === member;
  }

  /** Adds `member`; false when it was already there. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    let present = this.present;
    if (present === null) {
      const list = this.list;
      const at = this.bisect(member);
      if (at < list.length && list[at] === member) return false;
      if (isIntegerMember(member) && list.length + 1 <= Math.min(maxIntset, INTSET_HARD_LIMIT)) {
        list.splice(at, 0, member);
        this.memberBytes += member.length;
        return true;
      }
      present = this.present = new Set(list);
    } else if (present.has(member)) {
      return false;
    }
    if (present.size >= MAX_SET_SIZE) throw setFull();
    present.add(member);
    // Still in `list` (removed, not yet swept): it takes its old place again.
    if (this.removed === null || !this.removed.delete(member)) this.list.push(member);
    this.memberBytes += member.length;
    return true;
  }

  /** Removes `member`; false when it was not there. */
  remove(member: string): boolean {
    if (this.present === null) {
      const at = this.bisect(member);
      if (this.list[at] !== member) return false;
      this.list.splice(at, 1);
    } else {
      if (!this.present.delete(member)) return false;
      const removed = (this.removed ??= new Set());
      removed.add(member);
      if (removed.size * 2 > this.list.length) this.sweep();
    }
    this.memberBytes -= member.length;
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
    this.memberBytes -= member.length;
    if (this.present === null) {
      list.splice(slot, 1);
      return member;
    }
    this.present.delete(member);
    // Its position is known: the last entry (member or not) fills it.
    const last = list.pop()!;
    if (slot < list.length) list[slot] = last;
    return member;
  }

  /**
   * `count` distinct members chosen uniformly at random (count < size),
   * in random order; the set is unchanged.
   */
  sample(count: number): string[] {
    const size = this.size;
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
    if (this.removed !== null && this.removed.size > 0) this.sweep();
    return this.list;
  }

  /**
   * The members in the order Redis would list a set freshly built from them
   * (as SPOP of the whole set and SUNION reply): numeric when they would make an intset.
   */
  freshOrder(maxIntset: number): string[] {
    const out = this.members().slice();
    if (this.present !== null && out.length <= Math.min(maxIntset, INTSET_HARD_LIMIT) && out.every(isIntegerMember)) {
      out.sort(compareIntegers);
    }
    return out;
  }

  /**
   * A live walk over the members for SSCAN of a hashtable set: it returns,
   * once, every member present from its start to its end, whatever changes
   * in between (an intset is scanned in one reply, as in Redis).
   *
   * A Set iterates in insertion order and also visits members added during
   * the walk, so a client adding faster than it scans would never finish.
   * Those come after every member present at the start, so the walk stops
   * after as many steps as the set had members then.
   */
  *scan(): Generator<string, void, undefined> {
    const present = this.present ?? new Set(this.list);
    let left = present.size;
    for (const member of present) {
      if (left-- === 0) return;
      yield member;
    }
  }

  /** Picks the encoding again from the contents, as Redis does when it rebuilds a set (big SPOP). */
  reencode(maxIntset: number): void {
    const members = this.members();
    if (members.length <= Math.min(maxIntset, INTSET_HARD_LIMIT) && members.every(isIntegerMember)) {
      if (this.present !== null) this.list = members.slice().sort(compareIntegers);
      this.present = null;
      this.removed = null;
    } else if (this.present === null) {
      this.present = new Set(members);
    }
  }

  encoding(): string {
    return this.present === null ? 'intset' : 'hashtable';
  }

  freeEffort(): number {
    return this.present === null ? 1 : this.size;
  }

  clone(): SetValue {
    const copy = new SetValue();
    copy.list = this.members().slice();
    if (this.present !== null) copy.present = new Set(this.present);
    copy.memberBytes = this.memberBytes;
    return copy;
  }

  canonical(): string {
    const sorted = this.members().slice().sort();
    let out = '';
    for (const member of sorted) out += `${member.length}:${member}`;
    return out;
  }

  /** In an intset, where `member` is or would go in `list`. */
  private bisect(member: string): number {
    const list = this.list;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIntegers(list[middle], member) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** A position in `list` holding a member, uniformly at random; the set must not be empty. */
  private randomSlot(): number {
    const list = this.list;
    const removed = this.removed;
    for (;;) {
      const slot = Math.floor(Math.random() * list.length);
      if (removed === null || removed.size === 0 || !removed.has(list[slot])) return slot;
    }
  }

  /** Drops the removed members from `list`, keeping the order of the others. */
  private sweep(): void {
    const removed = this.removed!;
    this.list = this.list.filter((member) => !removed.has(member));
    removed.clear();
  }
}
