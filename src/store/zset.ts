/**
 * The sorted set type.
 *
 * Members are latin1 strings (one char per byte, so JS string order is
 * Redis's memcmp order); scores are doubles, never NaN.
 *
 * A small sorted set (Redis's listpack encoding) is one packed string of
 * entries in (score, member) order, each its member's length, its score (a
 * kind byte, then 1 or 4 bytes for an integer, 8 for a double), the member,
 * and the length of all that so that cursors walk backwards as well as
 * forwards. Lookups walk it, as Redis walks its listpack, and writes
 * rebuild it: five members and the object cost about 110 bytes, where a Map,
 * a tree and five strings cost 950. Past zset-max-listpack-entries members
 * or with a member longer than zset-max-listpack-value bytes it becomes, for
 * good as in Redis, the large form: a Map from member to score (ZSCORE in O(1), a live iterator
 * for ZSCAN) beside an ordered index by (score, member) with ranks (a counted
 * B+tree, see rankedtree.ts) for ranks and ranges in O(log n).
 *
 * OBJECT ENCODING reports the form, and two details follow it: a listpack
 * keeps scores as integers where it can (so -0 becomes 0), and ZSCAN returns
 * a listpack whole.
 */
import { ReplyError } from '../errors.js';
import { formatDouble } from '../protocol/reply.js';
import type { CollectionValue } from './database.js';
import { scratchFor } from './packing.js';
import { RankedTree } from './rankedtree.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD, stringBytes } from './memory.js';

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

/** A position in a sorted set's order: the entry at `rank`, or just before the first / after the last. */
export interface ZCursor {
  readonly valid: boolean;
  readonly member: string;
  readonly score: number;
  /** 0-based rank of the entry under the cursor. */
  rank: number;
  next(): void;
  prev(): void;
}

// ------------------------------------------------------------------ the packed form

/** A length from here on takes this marker and 4 bytes (before the member's length, after the entry's). */
const LONG_LENGTH = 255;

/**
 * How a score is stored, as the byte before it says: as a listpack stores
 * integers, small integral scores take 1 or 4 bytes instead of a double's 8.
 */
const SCORE_DOUBLE = 0;
const SCORE_INT8 = 1;
const SCORE_INT32 = 2;

const scoreWord = new Float64Array(1);
const scoreBytes = new Uint8Array(scoreWord.buffer);

let scratch = scratchFor(0);

function room(bytes: number): void {
  scratch = scratchFor(bytes);
}

/** The most an entry for a member of `length` bytes can take: both lengths long, the score a double. */
const maxEntryBytes = (length: number): number => 5 + 1 + 8 + length + 5;

/** Reads 4 bytes at `at` as a little-endian uint32. */
function readWord(pack: string, at: number): number {
  return (
    pack.charCodeAt(at) +
    pack.charCodeAt(at + 1) * 0x100 +
    pack.charCodeAt(at + 2) * 0x10000 +
    pack.charCodeAt(at + 3) * 0x1000000
  );
}

/** The member length of the entry starting at `at`. */
function lengthAt(pack: string, at: number): number {
  const first = pack.charCodeAt(at);
  return first < LONG_LENGTH ? first : readWord(pack, at + 1);
}

/** Where the score's kind byte of the entry starting at `at` is. */
const kindAt = (pack: string, at: number): number => at + (pack.charCodeAt(at) < LONG_LENGTH ? 1 : 5);

/** Where the member of the entry starting at `at` starts. */
function memberStart(pack: string, at: number): number {
  const kind = kindAt(pack, at);
  const tag = pack.charCodeAt(kind);
  return kind + 1 + (tag === SCORE_INT8 ? 1 : tag === SCORE_INT32 ? 4 : 8);
}

function scoreAt(pack: string, at: number): number {
  const kind = kindAt(pack, at);
  const tag = pack.charCodeAt(kind);
  if (tag === SCORE_INT8) {
    const byte = pack.charCodeAt(kind + 1);
    return byte > 127 ? byte - 256 : byte;
  }
  if (tag === SCORE_INT32) return readWord(pack, kind + 1) | 0;
  for (let i = 0; i < 8; i++) scoreBytes[i] = pack.charCodeAt(kind + 1 + i);
  return scoreWord[0];
}

function memberAt(pack: string, at: number): string {
  const from = memberStart(pack, at);
  return pack.slice(from, from + lengthAt(pack, at));
}

function nextEntry(pack: string, at: number): number {
  const body = memberStart(pack, at) + lengthAt(pack, at) - at;
  return at + body + (body < LONG_LENGTH ? 1 : 5);
}

/** Start of the entry that ends at `end`: its last bytes hold the length of the rest of it. */
function previousEntry(pack: string, end: number): number {
  const last = pack.charCodeAt(end - 1);
  return last < LONG_LENGTH ? end - 1 - last : end - 5 - readWord(pack, end - 5);
}

/** Whether `member` is the member of the entry at `at`, compared in place. */
function holds(pack: string, at: number, member: string): boolean {
  return lengthAt(pack, at) === member.length && pack.startsWith(member, memberStart(pack, at));
}

/** Where `member`'s entry starts, or -1. */
function find(pack: string, member: string): number {
  const end = pack.length;
  for (let at = 0; at < end; at = nextEntry(pack, at)) if (holds(pack, at, member)) return at;
  return -1;
}

/** Whether the entry at `at` sorts after (score, member), which is not in it: its member is compared without a copy. */
function after(pack: string, at: number, score: number, member: string): boolean {
  const own = scoreAt(pack, at);
  if (own !== score) return own > score;
  const length = lengthAt(pack, at);
  const from = memberStart(pack, at);
  const common = Math.min(length, member.length);
  for (let i = 0; i < common; i++) {
    const a = pack.charCodeAt(from + i);
    const b = member.charCodeAt(i);
    if (a !== b) return a > b;
  }
  return length > member.length;
}

/** Writes one entry into the scratch buffer at `at`; returns its end. */
function putEntry(at: number, member: string, score: number): number {
  const start = at;
  if (member.length < LONG_LENGTH) {
    scratch[at++] = member.length;
  } else {
    scratch[at] = LONG_LENGTH;
    scratch.writeUInt32LE(member.length, at + 1);
    at += 5;
  }
  // -0 is never stored: a listpack holds it as the integer 0.
  if (Number.isInteger(score) && score >= -128 && score <= 127) {
    scratch[at] = SCORE_INT8;
    scratch[at + 1] = score & 0xff;
    at += 2;
  } else if (Number.isInteger(score) && score >= -(2 ** 31) && score < 2 ** 31) {
    scratch[at] = SCORE_INT32;
    scratch.writeInt32LE(score, at + 1);
    at += 5;
  } else {
    scratch[at++] = SCORE_DOUBLE;
    scoreWord[0] = score;
    for (let i = 0; i < 8; i++) scratch[at + i] = scoreBytes[i];
    at += 8;
  }
  at += scratch.write(member, at, 'latin1');
  const body = at - start;
  if (body < LONG_LENGTH) {
    scratch[at] = body;
    return at + 1;
  }
  scratch.writeUInt32LE(body, at);
  scratch[at + 4] = LONG_LENGTH;
  return at + 5;
}

/** Copies pack[from, to) into the scratch buffer at `at`; returns the end. */
function putRange(pack: string, from: number, to: number, at: number): number {
  if (from === to) return at;
  return at + scratch.write(from === 0 ? pack : pack.slice(from, to), at, to - from, 'latin1');
}

/** A cursor over a packed string; `at` is -1 before the first entry and the string's length past the last. */
class PackCursor implements ZCursor {
  constructor(
    private readonly pack: string,
    private at: number,
    public rank: number,
  ) {}

  get valid(): boolean {
    return this.at >= 0 && this.at < this.pack.length;
  }

  get member(): string {
    return memberAt(this.pack, this.at);
  }

  get score(): number {
    return scoreAt(this.pack, this.at);
  }

  next(): void {
    this.rank++;
    if (this.at < 0) this.at = 0;
    else if (this.at < this.pack.length) this.at = nextEntry(this.pack, this.at);
  }

  prev(): void {
    this.rank--;
    this.at = this.at <= 0 ? -1 : previousEntry(this.pack, this.at);
  }
}

/** The large form: a dict and an ordered index. */
class SkipForm {
  /** member → score. */
  readonly dict = new Map<string, number>();
  tree = new RankedTree();
  /** Total length of the members, for the memory estimate. */
  memberBytes = 0;
}

const byScoreThenMember = (a: [string, number], b: [string, number]): number =>
  a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

export class ZSetValue implements CollectionValue {
  accounted = 0;
  lastAccess = 0;
  /** The listpack form, or the large form once the set is a skip list: one field, a word less for every sorted set. */
  private form: string | SkipForm = '';
  /** Entries in the packed form. */
  private count = 0;

  /** The listpack form; undefined once the set is a skip list. */
  private get pack(): string | undefined {
    return typeof this.form === 'string' ? this.form : undefined;
  }

  /** The large form; undefined while the set is a listpack. */
  private get large(): SkipForm | undefined {
    return typeof this.form === 'string' ? undefined : this.form;
  }

  get type(): 'zset' {
    return 'zset';
  }

  /** The last argument: the member of ZADD, ZINCRBY, GEOADD, ZSCORE, ZRANK and ZREM alike. */
  prefetchMember(args: readonly string[]): string | undefined {
    return this.pack !== undefined || args.length < 3 ? undefined : args[args.length - 1];
  }

  probeMember(member: string): number {
    return this.large!.dict.get(member) ?? 0;
  }

  /**
   * A set holding `entries` (distinct members), encoded as Redis encodes the
   * result of ZUNIONSTORE and friends: listpack when it is small enough.
   */
  static fromEntries(limits: ZSetLimits, entries: Array<[string, number]>): ZSetValue {
    const z = new ZSetValue();
    if (entries.length > MAX_ZSET_SIZE) throw zsetFull();
    let longest = 0;
    let bytes = 0;
    for (const [member] of entries) {
      if (member.length > longest) longest = member.length;
      bytes += maxEntryBytes(member.length);
    }
    const compact = entries.length <= limits.zsetMaxListpackEntries && longest <= limits.zsetMaxListpackValue;
    entries.sort(byScoreThenMember);
    if (compact) {
      room(bytes);
      let end = 0;
      for (const [member, score] of entries) end = putEntry(end, member, score === 0 ? 0 : score);
      z.form = scratch.toString('latin1', 0, end);
      z.count = entries.length;
      return z;
    }
    const scores = new Array<number>(entries.length);
    const members = new Array<string>(entries.length);
    const large = new SkipForm();
    for (let i = 0; i < entries.length; i++) {
      const [member, score] = entries[i];
      members[i] = member;
      scores[i] = score;
      large.dict.set(member, score);
      large.memberBytes += member.length;
    }
    large.tree = RankedTree.fromSorted(scores, members);
    z.form = large;
    return z;
  }

  get size(): number {
    return this.pack === undefined ? this.large!.dict.size : this.count;
  }

  memory(): number {
    if (this.pack !== undefined) return COLLECTION_BASE + stringBytes(this.pack.length);
    const large = this.large!;
    return COLLECTION_BASE + large.dict.size * MEMBER_BYTES + large.memberBytes;
  }

  /** True while the listpack encoding applies. */
  get isCompact(): boolean {
    return this.pack !== undefined;
  }

  /** member → score, live (ZSCAN iterates it); only in the skip-list form. */
  get dict(): Map<string, number> {
    return this.large!.dict;
  }

  score(member: string): number | undefined {
    const pack = this.pack;
    if (pack === undefined) return this.large!.dict.get(member);
    const at = find(pack, member);
    return at < 0 ? undefined : scoreAt(pack, at);
  }

  /** Sets the score of `member`, adding it if needed. */
  set(member: string, score: number, limits: ZSetLimits): AddOutcome {
    return this.put(member, score, this.score(member), limits);
  }

  /** `set` for a caller that has looked the member up already: `current` is its score, undefined for a new one. */
  put(member: string, score: number, current: number | undefined, limits: ZSetLimits): AddOutcome {
    if (current !== undefined && score === current) return 'unchanged'; // -0 and 0 are the same score to Redis
    if (this.pack !== undefined) {
      if (current !== undefined) {
        this.repack(member, score);
        return 'updated';
      }
      if (this.count + 1 <= limits.zsetMaxListpackEntries && member.length <= limits.zsetMaxListpackValue) {
        this.repack(member, score);
        this.count++;
        return 'added';
      }
      this.convert();
    }
    const large = this.large!;
    if (current === undefined) {
      if (large.dict.size >= MAX_ZSET_SIZE) throw zsetFull();
      large.dict.set(member, score);
      large.tree.insert(score, member);
      large.memberBytes += member.length;
      return 'added';
    }
    large.tree.delete(current, member);
    large.tree.insert(score, member);
    large.dict.set(member, score);
    return 'updated';
  }

  /** In the packed form, puts `member` in at `score`, moving it if present: one rebuild of the string. */
  private repack(member: string, score: number): void {
    const pack = this.pack!;
    const end = pack.length;
    if (score === 0) score = 0;
    const old = find(pack, member);
    const oldEnd = old < 0 ? old : nextEntry(pack, old);
    let at = 0;
    while (at < end && (at === old || !after(pack, at, score, member))) at = at === old ? oldEnd : nextEntry(pack, at);
    room(end + maxEntryBytes(member.length));
    let out: number;
    if (old < 0) {
      out = putEntry(putRange(pack, 0, at, 0), member, score);
      out = putRange(pack, at, end, out);
    } else if (at <= old) {
      out = putEntry(putRange(pack, 0, at, 0), member, score);
      out = putRange(pack, oldEnd, end, putRange(pack, at, old, out));
    } else {
      out = putRange(pack, oldEnd, at, putRange(pack, 0, old, 0));
      out = putRange(pack, at, end, putEntry(out, member, score));
    }
    this.form = scratch.toString('latin1', 0, out);
  }

  /** From the packed form to the skip list, for good. */
  private convert(): void {
    const large = new SkipForm();
    const members: string[] = [];
    const scores: number[] = [];
    for (const [member, score] of this.entries()) {
      members.push(member);
      scores.push(score);
      large.dict.set(member, score);
      large.memberBytes += member.length;
    }
    large.tree = RankedTree.fromSorted(scores, members);
    this.form = large;
    this.count = 0;
  }

  remove(member: string): boolean {
    const pack = this.pack;
    if (pack !== undefined) {
      const at = find(pack, member);
      if (at < 0) return false;
      room(pack.length);
      const out = putRange(pack, nextEntry(pack, at), pack.length, putRange(pack, 0, at, 0));
      this.form = scratch.toString('latin1', 0, out);
      this.count--;
      return true;
    }
    const large = this.large!;
    const score = large.dict.get(member);
    if (score === undefined) return false;
    large.dict.delete(member);
    large.tree.delete(score, member);
    large.memberBytes -= member.length;
    return true;
  }

  /**
   * Removes members known to be in the set (ZREMRANGEBY*, big pops). Past a
   * quarter of the set, rebuilding the index from the survivors in O(n)
   * beats removing each in O(log n); a packed set is rebuilt in one pass.
   */
  removeAll(members: readonly string[]): void {
    const pack = this.pack;
    if (pack !== undefined) {
      if (members.length === 1) {
        this.remove(members[0]);
        return;
      }
      const doomed = new Set(members);
      room(pack.length);
      let out = 0;
      for (let at = 0, end = pack.length; at < end; ) {
        const next = nextEntry(pack, at);
        if (!doomed.has(memberAt(pack, at))) out = putRange(pack, at, next, out);
        at = next;
      }
      this.form = scratch.toString('latin1', 0, out);
      this.count -= doomed.size;
      return;
    }
    const large = this.large!;
    if (members.length * 4 <= large.dict.size) {
      for (const member of members) this.remove(member);
      return;
    }
    for (const member of members) {
      large.dict.delete(member);
      large.memberBytes -= member.length;
    }
    const scores: number[] = [];
    const kept: string[] = [];
    for (const [member, score] of large.tree.entries()) {
      if (!large.dict.has(member)) continue;
      kept.push(member);
      scores.push(score);
    }
    large.tree = RankedTree.fromSorted(scores, kept);
  }

  /** 0-based rank from the lowest (or, `reverse`, from the highest) score; undefined for a non-member. */
  rank(member: string, reverse: boolean): number | undefined {
    const pack = this.pack;
    let rank: number;
    if (pack !== undefined) {
      rank = 0;
      const end = pack.length;
      let at = 0;
      while (at < end && !holds(pack, at, member)) {
        at = nextEntry(pack, at);
        rank++;
      }
      if (at === end) return undefined;
    } else {
      const large = this.large!;
      const score = large.dict.get(member);
      if (score === undefined) return undefined;
      rank = large.tree.rankOf(score, member);
    }
    return reverse ? this.size - 1 - rank : rank;
  }

  /** A cursor on the member of rank `rank` (past the end when rank >= size). */
  at(rank: number): ZCursor {
    const pack = this.pack;
    if (pack === undefined) return this.large!.tree.at(rank);
    if (rank >= this.count) return new PackCursor(pack, pack.length, this.count);
    // From whichever end is nearer: ZREVRANGE starts at the top.
    if (rank >= this.count >> 1) {
      let at = pack.length;
      for (let r = this.count; r > rank; r--) at = previousEntry(pack, at);
      return new PackCursor(pack, at, rank);
    }
    let at = 0;
    for (let r = 0; r < rank; r++) at = nextEntry(pack, at);
    return new PackCursor(pack, at, rank);
  }

  /** A cursor on the first entry (in order) for which `reached` holds, or past the end; `reached` must be monotonic. */
  private firstWhere(reached: (score: number, member: string) => boolean): ZCursor {
    const pack = this.pack;
    if (pack === undefined) return this.large!.tree.firstWhere(reached);
    const end = pack.length;
    let at = 0;
    let rank = 0;
    while (at < end && !reached(scoreAt(pack, at), memberAt(pack, at))) {
      at = nextEntry(pack, at);
      rank++;
    }
    return new PackCursor(pack, at, rank);
  }

  /** A cursor on the first member whose score is in range (it may lie beyond the range's end: check). */
  firstInScoreRange(range: ScoreRange): ZCursor {
    return this.firstWhere((score) => aboveMin(score, range));
  }

  /** A cursor on the last member whose score is not above the range's end (before the first when none). */
  lastInScoreRange(range: ScoreRange): ZCursor {
    const cursor = this.firstWhere((score) => !belowMax(score, range));
    cursor.prev();
    return cursor;
  }

  firstInLexRange(range: LexRange): ZCursor {
    return this.firstWhere((_score, member) => lexAboveMin(member, range.min));
  }

  lastInLexRange(range: LexRange): ZCursor {
    const cursor = this.firstWhere((_score, member) => !lexBelowMax(member, range.max));
    cursor.prev();
    return cursor;
  }

  /** How many members have a score in range, in O(log n) (O(n) packed). */
  countInScoreRange(range: ScoreRange): number {
    const first = this.firstWhere((score) => aboveMin(score, range)).rank;
    const beyond = this.firstWhere((score) => !belowMax(score, range)).rank;
    return Math.max(0, beyond - first);
  }

  countInLexRange(range: LexRange): number {
    const first = this.firstWhere((_score, member) => lexAboveMin(member, range.min)).rank;
    const beyond = this.firstWhere((_score, member) => !lexBelowMax(member, range.max)).rank;
    return Math.max(0, beyond - first);
  }

  /** Every [member, score] in order. */
  entries(): IterableIterator<[string, number]> {
    return this.pack === undefined ? this.large!.tree.entries() : packedEntries(this.pack);
  }

  /** A uniformly random [member, score], by a random rank; the set must not be empty. */
  random(): [string, number] {
    const cursor = this.at(Math.floor(Math.random() * this.size));
    return [cursor.member, cursor.score];
  }

  /**
   * A score as ZSCAN prints it: a listpack holds integral scores as integers,
   * a skip list prints them as %.17g (1e+17 against 100000000000000000).
   */
  scanScore(score: number): string {
    if (this.pack !== undefined && Number.isInteger(score) && Math.abs(score) < 2 ** 62) return BigInt(score).toString();
    return formatDouble(score);
  }

  encoding(): string {
    return this.pack !== undefined ? 'listpack' : 'skiplist';
  }

  freeEffort(): number {
    return this.pack !== undefined ? 1 : this.size;
  }

  clone(): ZSetValue {
    const copy = new ZSetValue();
    if (this.pack !== undefined) {
      // Strings are immutable: the copy shares the packed one until either is written.
      copy.form = this.pack;
      copy.count = this.count;
      return copy;
    }
    const large = new SkipForm();
    const entries = [...this.large!.tree.entries()];
    for (const [member, score] of entries) large.dict.set(member, score);
    large.tree = RankedTree.fromSorted(
      entries.map((e) => e[1]),
      entries.map((e) => e[0]),
    );
    large.memberBytes = this.large!.memberBytes;
    copy.form = large;
    return copy;
  }

  canonical(): string {
    let out = '';
    for (const [member, score] of this.entries()) out += `${member.length}:${member}${formatDouble(score)}\0`;
    return out;
  }
}

function* packedEntries(pack: string): IterableIterator<[string, number]> {
  for (let at = 0, end = pack.length; at < end; at = nextEntry(pack, at)) yield [memberAt(pack, at), scoreAt(pack, at)];
}
