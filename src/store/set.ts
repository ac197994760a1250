/**
 * The set type.
 *
 * Members are latin1 strings (binary safe). A hashtable set keeps them in a
 * JS Set, which gives O(1) add/remove/membership and a live iterator for
 * SSCAN, and, from the first random draw on (SPOP, SRANDMEMBER), a list of
 * them for uniformly random picks (see draws.ts): per member one Set entry
 * and one array slot, no object.
 *
 * Redis keeps small all-integer sets as a sorted "intset" and lists them in
 * numeric order; everything else lives in a hash table with arbitrary order.
 * Clients see the difference (OBJECT ENCODING, SMEMBERS order), so the same
 * encoding is tracked here. An intset is compact here too: one string of the
 * members in numeric order, each followed by a comma (`1,2,3,505,`), which a
 * native search finds members in and writes rebuild, as Redis shifts its
 * intset (at most set-max-intset-entries members): about 40 bytes for five
 * small integers where an array and its strings cost 200. A set past the
 * limit or with a non-integer member gets its Set for good. The value
 * object holds the intset string or the Set in one field.
 */
import { ReplyError } from '../errors.js';
import { parseInt64 } from '../util/numbers.js';
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, SET_ENTRY, STRING_OVERHEAD, stringBytes } from './memory.js';
import { scratchFor } from './packing.js';
import { Draws } from './draws.js';

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

const COMMA = 44;

/** Where `member` is in an intset's string, or -1: a match is a whole member, so one with a comma never matches. */
function findInt(ints: string, member: string): number {
  if (member.length === 0 || member.indexOf(',') >= 0) return -1;
  for (let at = ints.indexOf(member); at >= 0; at = ints.indexOf(member, at + 1)) {
    if ((at === 0 || ints.charCodeAt(at - 1) === COMMA) && ints.charCodeAt(at + member.length) === COMMA) return at;
  }
  return -1;
}

/** Whether the integer ints[from, to) is below `member` (both canonical), compared in place as compareIntegers does. */
function intBelow(ints: string, from: number, to: number, member: string): boolean {
  const negative = ints.charCodeAt(from) === 45;
  if (negative !== (member.charCodeAt(0) === 45)) return negative;
  const length = to - from;
  let magnitude = length - member.length;
  for (let i = 0; magnitude === 0 && i < length; i++) magnitude = ints.charCodeAt(from + i) - member.charCodeAt(i);
  return negative ? magnitude > 0 : magnitude < 0;
}

/** Where the member of rank `rank` starts in an intset's string. */
function intAt(ints: string, rank: number): number {
  let at = 0;
  for (let r = 0; r < rank; r++) at = ints.indexOf(',', at) + 1;
  return at;
}

/** `ints` with ints[from, to) replaced by `insert`, as a flat string. */
function spliceInts(ints: string, from: number, to: number, insert: string): string {
  const buffer = scratchFor(ints.length + insert.length);
  let end = buffer.write(ints, 0, from, 'latin1');
  end += buffer.write(insert, end, 'latin1');
  if (to < ints.length) end += buffer.write(ints.slice(to), end, 'latin1');
  return buffer.toString('latin1', 0, end);
}

export class SetValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  /** The intset form (see above), or the hashtable's members for hash lookups. */
  private form: string | Set<string> = '';
  /** Total length of the members, for the memory estimate (and an intset's size: its length less its commas). */
  private memberBytes = 0;
  private draws: Draws | null = null;

  /** The intset form; null once the set is a hashtable. */
  private get ints(): string | null {
    return typeof this.form === 'string' ? this.form : null;
  }

  /** The hashtable's members (the set must be a hashtable). */
  private get present(): Set<string> {
    return this.form as Set<string>;
  }

  get type(): 'set' {
    return 'set';
  }

  prefetchMember(args: readonly string[]): string | undefined {
    return typeof this.form === 'string' || args.length < 3 ? undefined : args[2];
  }

  probeMember(member: string): number {
    return this.present.has(member) ? 1 : 0;
  }

  /** A set built from `members` as Redis builds a fresh one (an intset first, converted when needed). */
  static of(members: Iterable<string>, maxIntset: number): SetValue {
    const set = new SetValue();
    for (const member of members) set.add(member, maxIntset);
    return set;
  }

  get size(): number {
    return this.ints !== null ? this.ints.length - this.memberBytes : this.present.size;
  }

  memory(): number {
    if (this.ints !== null) return COLLECTION_BASE + stringBytes(this.ints.length);
    return COLLECTION_BASE + this.size * MEMBER_BYTES + this.memberBytes;
  }

  get isIntset(): boolean {
    return this.ints !== null;
  }

  has(member: string): boolean {
    if (this.ints === null) return this.present.has(member);
    return findInt(this.ints, member) >= 0;
  }

  /** Adds `member`; false when it was already there. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    const ints = this.ints;
    if (ints !== null) {
      if (this.has(member)) return false;
      if (isIntegerMember(member) && this.size + 1 <= Math.min(maxIntset, INTSET_HARD_LIMIT)) {
        let at = 0;
        for (let comma = ints.indexOf(','); comma >= 0 && intBelow(ints, at, comma, member); comma = ints.indexOf(',', at)) at = comma + 1;
        this.form = spliceInts(ints, at, at, `${member},`);
        this.memberBytes += member.length;
        return true;
      }
      this.toHashtable();
    }
    const present = this.present;
    if (present.has(member)) return false;
    if (present.size >= MAX_SET_SIZE) throw setFull();
    present.add(member);
    this.draws?.added(member);
    this.memberBytes += member.length;
    return true;
  }

  /** From the intset to the hashtable, for good (unless reencode picks the intset again). */
  private toHashtable(): void {
    this.form = new Set(this.members());
  }

  /** Removes `member`; false when it was not there. */
  remove(member: string): boolean {
    const ints = this.ints;
    if (ints !== null) {
      const at = findInt(ints, member);
      if (at < 0) return false;
      this.form = spliceInts(ints, at, at + member.length + 1, '');
    } else {
      if (!this.present.delete(member)) return false;
      this.draws?.dropped(member);
    }
    this.memberBytes -= member.length;
    return true;
  }

  /** A uniformly random member; the set must not be empty. */
  random(): string {
    const ints = this.ints;
    if (ints === null) {
      const draws = this.drawable();
      return draws.at(draws.randomSlot());
    }
    const at = intAt(ints, Math.floor(Math.random() * this.size));
    return ints.slice(at, ints.indexOf(',', at));
  }

  /** Removes and returns a uniformly random member; the set must not be empty. */
  pop(): string {
    if (this.ints !== null) {
      const member = this.random();
      this.remove(member);
      return member;
    }
    const draws = this.drawable();
    const slot = draws.randomSlot();
    const member = draws.at(slot);
    this.memberBytes -= member.length;
    this.present.delete(member);
    draws.takeAt(slot);
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
    // A hashtable's list, swept: positions 0 to size - 1 all hold members.
    const list = this.ints === null ? this.drawable().members() : this.members();
    const picked = new Set<number>();
    while (picked.size < count) picked.add(Math.floor(Math.random() * size));
    const out = new Array<string>(count);
    let i = 0;
    for (const slot of picked) out[i++] = list[slot];
    return out;
  }

  /**
   * Every member, in the order Redis lists this set: numeric for an intset,
   * arbitrary otherwise. The array may be the set's own: read it before changing the set.
   */
  members(): readonly string[] {
    const ints = this.ints;
    if (ints !== null) return ints.length === 0 ? [] : ints.slice(0, -1).split(',');
    return this.draws === null ? [...this.present] : this.draws.members();
  }

  /**
   * The members in the order Redis would list a set freshly built from them
   * (as SPOP of the whole set and SUNION reply): numeric when they would make an intset.
   */
  freshOrder(maxIntset: number): string[] {
    const out = this.members().slice();
    if (this.ints === null && out.length <= Math.min(maxIntset, INTSET_HARD_LIMIT) && out.every(isIntegerMember)) {
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
    const present = this.ints === null ? this.present : new Set(this.members());
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
      if (this.ints !== null) return;
      const sorted = members.slice().sort(compareIntegers);
      this.form = sorted.length === 0 ? '' : `${sorted.join(',')},`;
      this.draws = null;
    } else if (this.ints !== null) {
      this.toHashtable();
    }
  }

  encoding(): string {
    return this.ints !== null ? 'intset' : 'hashtable';
  }

  freeEffort(): number {
    return this.ints !== null ? 1 : this.size;
  }

  clone(): SetValue {
    const copy = new SetValue();
    copy.memberBytes = this.memberBytes;
    // Strings are immutable: the copy shares an intset's until either is written.
    if (this.ints !== null) {
      copy.form = this.ints;
      return copy;
    }
    copy.draws = this.draws === null ? null : new Draws(this.members().slice());
    copy.form = new Set(this.present);
    return copy;
  }

  canonical(): string {
    const sorted = this.members().slice().sort();
    let out = '';
    for (const member of sorted) out += `${member.length}:${member}`;
    return out;
  }

  /** A hashtable's draws, made now if none needed them before. */
  private drawable(): Draws {
    return (this.draws ??= new Draws([...this.present]));
  }
}
