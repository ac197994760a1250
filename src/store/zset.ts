/**
 * The sorted set type.
 *
 * As in Redis, two structures share the members: a Map from member to score
 * (ZSCORE in O(1), and a live iterator for ZSCAN) and an ordered index by
 * (score, member) with ranks (a counted B+tree, see rankedtree.ts) for ranks
 * and ranges in O(log n). Members are latin1 strings (one char per byte, so
 * JS string order is Redis's memcmp order); scores are doubles, never NaN.
 *
 * Redis stores small sorted sets as a listpack and converts them, for good,
 * to a skip list once they grow past zset-max-listpack-entries members or
 * get a member longer than zset-max-listpack-value bytes. OBJECT ENCODING
 * reports that, and two details follow it: a listpack keeps scores as
 * integers where it can (so -0 becomes 0), and ZSCAN returns a listpack whole.
 */
import { ReplyError } from '../errors.js';
import { formatDouble } from '../protocol/reply.js';
import type { CollectionValue } from './database.js';
import { RankedTree, TreeCursor } from './rankedtree.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD } from './memory.js';

/** A member: its dict entry with the score (a heap number unless small), two tree slots, its string's overhead. */
const MEMBER_BYTES = MAP_ENTRY + 16 + 2 * ARRAY_SLOT + STRING_OVERHEAD;

/** The two directives that decide the encoding (the config's live values object fits). */
export interface ZSetLimits {
  readonly zsetMaxListpackEntries: number;
  readonly zsetMaxListpackValue: number;
}

/** V8 Maps hold at most 2^24 entries; beyond that Map.set throws. */
export const MAX_ZSET_SIZE = 2 ** 24;

const zsetFull = (): ReplyError =>
  new ReplyError(`ERR sorted set reached the maximum of ${MAX_ZSET_SIZE} members this server supports`);

/** A score interval as ZRANGEBYSCORE takes it; `(` makes an end exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** One end of a ZRANGEBYLEX interval: `-` and `+` are below and above every string. */
export type LexBound = { kind: 'min' } | { kind: 'max' } | { kind: 'value'; value: string; exclusive: boolean };

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

export function aboveMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

export function belowMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

export function lexAboveMin(member: string, bound: LexBound): boolean {
  if (bound.kind !== 'value') return bound.kind === 'min';
  return bound.exclusive ? member > bound.value : member >= bound.value;
}

export function lexBelowMax(member: string, bound: LexBound): boolean {
  if (bound.kind !== 'value') return bound.kind === 'max';
  return bound.exclusive ? member < bound.value : member <= bound.value;
}

/** What ZADD did to one member. */
export type AddOutcome = 'added' | 'updated' | 'unchanged';

export class ZSetValue implements CollectionValue {
  /** member → score. */
  readonly dict = new Map<string, number>();
  accounted = 0;
  /** Total length of the members, for the memory estimate. */
  private memberBytes = 0;
  private tree = new RankedTree();
  /** True while Redis would keep this set as a listpack. */
  private compact = true;

  constructor(private readonly limits: ZSetLimits) {}

  get type(): 'zset' {
    return 'zset';
  }

  /**
   * A set holding `entries` (distinct members), encoded as Redis encodes the
   * result of ZUNIONSTORE and friends: listpack when it is small enough.
   */
  static fromEntries(limits: ZSetLimits, entries: Array<[string, number]>): ZSetValue {
    const z = new ZSetValue(limits);
    if (entries.length > MAX_ZSET_SIZE) throw zsetFull();
    let longest = 0;
    for (const [member] of entries) if (member.length > longest) longest = member.length;
    z.compact = entries.length <= limits.zsetMaxListpackEntries && longest <= limits.zsetMaxListpackValue;
    entries.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const scores = new Array<number>(entries.length);
    const members = new Array<string>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [member, raw] = entries[i];
      const score = z.compact && raw === 0 ? 0 : raw;
      members[i] = member;
      scores[i] = score;
      z.dict.set(member, score);
      z.memberBytes += member.length;
    }
    z.tree = RankedTree.fromSorted(scores, members);
    return z;
  }

  get size(): number {
    return this.dict.size;
  }

  memory(): number {
    return COLLECTION_BASE + this.dict.size * MEMBER_BYTES + this.memberBytes;
  }

  /** True while the listpack encoding applies. */
  get isCompact(): boolean {
    return this.compact;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Sets the score of `member`, adding it if needed. */
  set(member: string, score: number): AddOutcome {
    return this.put(member, score, this.dict.get(member));
  }

  /** `set` for a caller that has looked the member up already: `current` is its score, undefined for a new one. */
  put(member: string, score: number, current: number | undefined): AddOutcome {
    if (current === undefined) {
      if (this.dict.size >= MAX_ZSET_SIZE) throw zsetFull();
      if (this.compact && (this.dict.size + 1 > this.limits.zsetMaxListpackEntries || member.length > this.limits.zsetMaxListpackValue)) {
        this.compact = false;
      }
      if (this.compact && score === 0) score = 0;
      this.dict.set(member, score);
      this.tree.insert(score, member);
      this.memberBytes += member.length;
      return 'added';
    }
    // -0 and 0 are the same score to Redis: no change.
    if (score === current) return 'unchanged';
    if (this.compact && score === 0) score = 0;
    this.tree.delete(current, member);
    this.tree.insert(score, member);
    this.dict.set(member, score);
    return 'updated';
  }

  remove(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.tree.delete(score, member);
    this.memberBytes -= member.length;
    return true;
  }

  /**
   * Removes members known to be in the set (ZREMRANGEBY*, big pops). Past a
   * quarter of the set, rebuilding the index from the survivors in O(n)
   * beats removing each in O(log n).
   */
  removeAll(members: readonly string[]): void {
    if (members.length * 4 <= this.dict.size) {
      for (const member of members) this.remove(member);
      return;
    }
    for (const member of members) {
      this.dict.delete(member);
      this.memberBytes -= member.length;
    }
    const scores: number[] = [];
    const kept: string[] = [];
    for (const [member, score] of this.tree.entries()) {
      if (!this.dict.has(member)) continue;
      kept.push(member);
      scores.push(score);
    }
    this.tree = RankedTree.fromSorted(scores, kept);
  }

  /** 0-based rank from the lowest (or, `reverse`, from the highest) score; undefined for a non-member. */
  rank(member: string, reverse: boolean): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    const rank = this.tree.rankOf(score, member);
    return reverse ? this.dict.size - 1 - rank : rank;
  }

  /** A cursor on the member of rank `rank` (past the end when rank >= size). */
  at(rank: number): TreeCursor {
    return this.tree.at(rank);
  }

  /** A cursor on the first member whose score is in range (it may lie beyond the range's end: check). */
  firstInScoreRange(range: ScoreRange): TreeCursor {
    return this.tree.firstWhere((score) => aboveMin(score, range));
  }

  /** A cursor on the last member whose score is not above the range's end (before the first when none). */
  lastInScoreRange(range: ScoreRange): TreeCursor {
    const cursor = this.tree.firstWhere((score) => !belowMax(score, range));
    cursor.prev();
    return cursor;
  }

  firstInLexRange(range: LexRange): TreeCursor {
    return this.tree.firstWhere((_score, member) => lexAboveMin(member, range.min));
  }

  lastInLexRange(range: LexRange): TreeCursor {
    const cursor = this.tree.firstWhere((_score, member) => !lexBelowMax(member, range.max));
    cursor.prev();
    return cursor;
  }

  /** How many members have a score in range, in O(log n). */
  countInScoreRange(range: ScoreRange): number {
    const first = this.tree.firstWhere((score) => aboveMin(score, range)).rank;
    const beyond = this.tree.firstWhere((score) => !belowMax(score, range)).rank;
    return Math.max(0, beyond - first);
  }

  countInLexRange(range: LexRange): number {
    const first = this.tree.firstWhere((_score, member) => lexAboveMin(member, range.min)).rank;
    const beyond = this.tree.firstWhere((_score, member) => !lexBelowMax(member, range.max)).rank;
    return Math.max(0, beyond - first);
  }

  /** Every [member, score] in order. */
  entries(): IterableIterator<[string, number]> {
    return this.tree.entries();
  }

  /** A uniformly random [member, score], by a random rank; the set must not be empty. */
  random(): [string, number] {
    const cursor = this.tree.at(Math.floor(Math.random() * this.dict.size));
    return [cursor.member, cursor.score];
  }

  /**
   * A score as ZSCAN prints it: a listpack holds integral scores as integers,
   * a skip list prints them as %.17g (1e+17 against 100000000000000000).
   */
  scanScore(score: number): string {
    if (this.compact && Number.isInteger(score) && Math.abs(score) < 2 ** 62) return BigInt(score).toString();
    return formatDouble(score);
  }

  encoding(): string {
    return this.compact ? 'listpack' : 'skiplist';
  }

  freeEffort(): number {
    return this.compact ? 1 : this.size;
  }

  clone(): ZSetValue {
    const copy = new ZSetValue(this.limits);
    const entries = [...this.tree.entries()];
    for (const [member, score] of entries) copy.dict.set(member, score);
    copy.tree = RankedTree.fromSorted(
      entries.map((e) => e[1]),
      entries.map((e) => e[0]),
    );
    copy.compact = this.compact;
    copy.memberBytes = this.memberBytes;
    return copy;
  }

  canonical(): string {
    let out = '';
    for (const [member, score] of this.tree.entries()) out += `${member.length}:${member}${formatDouble(score)}\0`;
    return out;
  }
}
