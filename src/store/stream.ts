/**
 * The stream type.
 *
 * An entry ID is two unsigned 64-bit numbers, ms and seq. Here it is one
 * bigint, ms * 2^64 + seq, so that comparing IDs is comparing numbers and
 * 18446744073709551615-18446744073709551615 is just the largest one.
 *
 * Entries live in nodes, as Redis keeps them in listpacks hanging off a
 * radix tree: appends go to the last node, a range scan is a binary search
 * and then a walk, and trimming drops whole nodes from the front. Node
 * boundaries are observable (XADD/XTRIM with `~` only remove whole nodes),
 * so a node closes exactly when Redis would close its listpack: after
 * stream-node-max-entries entries, live or deleted, or when its estimated
 * listpack size reaches stream-node-max-bytes. Redis flags deleted entries
 * instead of removing them; a node here removes them and counts them.
 */
import type { CollectionValue } from './database.js';
import { ARRAY_SLOT, COLLECTION_BASE, MAP_ENTRY, STRING_OVERHEAD } from './memory.js';

export type StreamId = bigint;

const U64 = 1n << 64n;
const SEQ_MASK = U64 - 1n;
export const ID_ZERO: StreamId = 0n;
export const ID_MAX: StreamId = (U64 << 64n) - 1n;

export const makeId = (ms: bigint, seq: bigint): StreamId => (ms << 64n) | seq;
export const idMs = (id: StreamId): bigint => id >> 64n;
export const idSeq = (id: StreamId): bigint => id & SEQ_MASK;
export const formatId = (id: StreamId): string => `${id >> 64n}-${id & SEQ_MASK}`;

/** A group's entries_read when it is not known (Redis's SCG_INVALID_ENTRIES_READ). */
export const INVALID_ENTRIES_READ = -1;

/** Redis caps a listpack at 1 GB whatever stream-node-max-bytes says. */
const LISTPACK_MAX_SIZE = 1 << 30;

/** One entry: its ID and its fields and values, alternating. */
export interface StreamEntry {
  readonly id: StreamId;
  readonly fields: readonly string[];
}

/** Bytes of a listpack element's back-length for an element of `n` bytes. */
const backlenSize = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : n < 268435456 ? 4 : 5);

/** Bytes of an integer in a listpack, with its back-length. */
function lpIntSize(v: bigint | number): number {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  let size: number;
  if (n >= 0n && n <= 127n) size = 1;
  else if (n >= -4096n && n <= 4095n) size = 2;
  else if (n >= -32768n && n <= 32767n) size = 3;
  else if (n >= -8388608n && n <= 8388607n) size = 4;
  else if (n >= -2147483648n && n <= 2147483647n) size = 5;
  else size = 9;
  return size + 1;
}

const LP_INT_TEXT = /^(?:0|-?[1-9][0-9]{0,19})$/;

/** Bytes of a string in a listpack: strings that read as 64-bit integers are stored as integers. */
function lpStringSize(s: string): number {
  if (s.length <= 20 && LP_INT_TEXT.test(s)) {
    const n = BigInt(s);
    if (n >= -(1n << 63n) && n < 1n << 63n) return lpIntSize(n);
  }
  const len = s.length;
  const size = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return size + backlenSize(size);
}

/** Index of the first of the sorted `ids` that is >= `id` (ids.length when none). */
function lowerBound(ids: readonly StreamId[], id: StreamId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A signed 64-bit difference, as the listpack stores an entry's ID relative to the node's first. */
const delta = (a: bigint, b: bigint): bigint => BigInt.asIntN(64, a - b);

class StreamNode {
  readonly ids: StreamId[] = [];
  readonly entries: (readonly string[])[] = [];
  /** Entries deleted from this node: they still count toward its capacity, as Redis's tombstones do. */
  tombstones = 0;
  /** Estimated listpack bytes beyond the two counters, which change size as they grow. */
  private bodyBytes: number;

  constructor(
    readonly masterId: StreamId,
    readonly masterFields: readonly string[],
  ) {
    // Header and end byte, the field count, the master fields and their terminator.
    let bytes = 7 + lpIntSize(masterFields.length) + lpIntSize(0);
    for (const field of masterFields) bytes += lpStringSize(field);
    this.bodyBytes = bytes;
  }

  get listpackBytes(): number {
    return this.bodyBytes + lpIntSize(this.ids.length) + lpIntSize(this.tombstones);
  }

  append(id: StreamId, fields: readonly string[]): void {
    const numfields = fields.length / 2;
    let same = numfields === this.masterFields.length;
    for (let i = 0; same && i < numfields; i++) same = fields[2 * i] === this.masterFields[i];
    let bytes = 2 + lpIntSize(delta(idMs(id), idMs(this.masterId))) + lpIntSize(delta(idSeq(id), idSeq(this.masterId)));
    let parts = numfields + 3;
    if (!same) {
      bytes += lpIntSize(numfields);
      parts += numfields + 1;
    }
    for (let i = 0; i < fields.length; i++) if (!same || i % 2 === 1) bytes += lpStringSize(fields[i]);
    this.bodyBytes += bytes + lpIntSize(parts);
    this.ids.push(id);
    this.entries.push(fields);
  }

  /** Index of the first entry with an ID >= `id` (ids.length when none). */
  lowerBound(id: StreamId): number {
    return lowerBound(this.ids, id);
  }

  removeAt(index: number): void {
    this.ids.splice(index, 1);
    this.entries.splice(index, 1);
    this.tombstones++;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.masterId, this.masterFields);
    copy.ids.push(...this.ids);
    copy.entries.push(...this.entries);
    copy.tombstones = this.tombstones;
    copy.bodyBytes = this.bodyBytes;
    return copy;
  }
}

/** IDs per chunk of a pending entries list; a full chunk splits in two. */
const PEL_CHUNK_MAX = 128;

/**
 * IDs in order with a value each: the pending entries lists of groups and
 * consumers, O(log n) per lookup as Redis's radix tree. Sorted chunks rather
 * than one array, so an XACK in the middle of a million pending entries moves
 * at most a chunk; and no Map keyed by ID, since V8 hashes a BigInt by its low
 * 64 bits, which for IDs is the sequence number: nearly all IDs collide.
 */
export class PendingList<T> {
  private readonly chunks: { ids: StreamId[]; values: T[] }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: StreamId): T | undefined {
    const [c, i] = this.locate(id);
    const chunk = this.chunks[c];
    return chunk !== undefined && chunk.ids[i] === id ? chunk.values[i] : undefined;
  }

  /** Adds or replaces; IDs mostly arrive in increasing order, which appends. */
  set(id: StreamId, value: T): void {
    const chunks = this.chunks;
    let c = chunks.length - 1;
    let chunk = chunks[c];
    let i: number;
    if (chunk === undefined || chunk.ids[chunk.ids.length - 1] < id) {
      if (chunk === undefined || chunk.ids.length === PEL_CHUNK_MAX) {
        chunks.push({ ids: [id], values: [value] });
        this.count++;
        return;
      }
      i = chunk.ids.length;
    } else {
      [c, i] = this.locate(id);
      chunk = chunks[c];
      if (chunk.ids[i] === id) {
        chunk.values[i] = value;
        return;
      }
    }
    chunk.ids.splice(i, 0, id);
    chunk.values.splice(i, 0, value);
    this.count++;
    if (chunk.ids.length > PEL_CHUNK_MAX) {
      const half = chunk.ids.length >>> 1;
      chunks.splice(c + 1, 0, { ids: chunk.ids.splice(half), values: chunk.values.splice(half) });
    }
  }

  delete(id: StreamId): boolean {
    const [c, i] = this.locate(id);
    const chunk = this.chunks[c];
    if (chunk === undefined || chunk.ids[i] !== id) return false;
    chunk.ids.splice(i, 1);
    chunk.values.splice(i, 1);
    if (chunk.ids.length === 0) this.chunks.splice(c, 1);
    this.count--;
    return true;
  }

  first(): StreamId | undefined {
    return this.chunks[0]?.ids[0];
  }

  last(): StreamId | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.ids[chunk.ids.length - 1];
  }

  /** The entries with IDs in [start, end], in order; the caller may delete entries as it goes (XAUTOCLAIM does). */
  *range(start: StreamId, end: StreamId = ID_MAX): Generator<[StreamId, T]> {
    let from = start;
    for (;;) {
      const [c, i] = this.locate(from);
      const chunk = this.chunks[c];
      if (chunk === undefined) return;
      const id = chunk.ids[i];
      if (id > end) return;
      yield [id, chunk.values[i]];
      if (id === ID_MAX) return;
      from = id + 1n;
    }
  }

  /** The first ID >= `id`, or undefined. */
  ceiling(id: StreamId): StreamId | undefined {
    const [c, i] = this.locate(id);
    return this.chunks[c]?.ids[i];
  }

  /** The chunk and index of the first ID >= `id`; the chunk index is past the end when there is none. */
  private locate(id: StreamId): [number, number] {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ids = chunks[mid].ids;
      if (ids[ids.length - 1] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo === chunks.length ? [lo, 0] : [lo, lowerBound(chunks[lo].ids, id)];
  }
}

export class Consumer {
  readonly pel = new PendingList<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** A delivered, not yet acknowledged entry. */
export interface Nack {
  deliveryTime: number;
  deliveryCount: number;
  /** Undefined only briefly, for an entry XCLAIM FORCE creates before giving it to its consumer. */
  consumer: Consumer | undefined;
}

export class ConsumerGroup {
  readonly pel = new PendingList<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    public lastId: StreamId,
    public entriesRead: number,
  ) {}

  /** Consumers in name order (byte order, as Redis's radix tree keeps them). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  deleteConsumer(consumer: Consumer): void {
    for (const [id] of consumer.pel.range(ID_ZERO)) this.pel.delete(id);
    this.consumers.delete(consumer.name);
  }
}

/** How XADD and XTRIM trim: by length or by minimum ID, exactly or by whole nodes, within a work limit (0: none). */
export interface TrimSpec {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  limit: number;
}

/** The node directives that decide where a node ends. */
export interface StreamLimits {
  nodeMaxEntries: number;
  nodeMaxBytes: number;
}

/** Estimated bytes per entry beyond its strings: ID, arrays and node slots. */
const ENTRY_BYTES = 16 + 3 * ARRAY_SLOT + 32;
const NACK_BYTES = 2 * MAP_ENTRY + 2 * ARRAY_SLOT + 48;

export class StreamValue implements CollectionValue {
  accounted = 0;
  private nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = ID_ZERO;
  /** The first entry's ID as Redis records it (0-0 when empty). */
  firstId: StreamId = ID_ZERO;
  maxDeletedId: StreamId = ID_ZERO;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  private stringBytes = 0;

  get type(): 'stream' {
    return 'stream';
  }

  encoding(): string {
    return 'stream';
  }

  /** Redis's estimate: every node, and every group with as many pending entries as the first one. */
  freeEffort(): number {
    const first = this.groups.values().next();
    return this.nodes.length + (first.done ? 0 : this.groups.size * (1 + first.value.pel.size));
  }

  /** Number of nodes (XINFO STREAM's radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  memory(): number {
    let pending = 0;
    for (const group of this.groups.values()) pending += group.pel.size * NACK_BYTES + group.consumers.size * (MAP_ENTRY + 64);
    return COLLECTION_BASE + this.length * ENTRY_BYTES + this.stringBytes + this.nodes.length * 96 + pending;
  }

  /** Appends an entry; the caller made sure `id` is above lastId. */
  append(id: StreamId, fields: readonly string[], limits: StreamLimits): void {
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let textBytes = 0;
      for (const f of fields) textBytes += f.length;
      const maxBytes = limits.nodeMaxBytes === 0 || limits.nodeMaxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : limits.nodeMaxBytes;
      if (node.listpackBytes + textBytes >= maxBytes) node = undefined;
      else if (limits.nodeMaxEntries > 0 && node.ids.length + node.tombstones >= limits.nodeMaxEntries) node = undefined;
    }
    if (node === undefined) {
      const masterFields: string[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]);
      node = new StreamNode(id, masterFields);
      this.nodes.push(node);
    }
    node.append(id, fields);
    for (const f of fields) this.stringBytes += f.length + STRING_OVERHEAD;
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Position of the first entry with ID >= `id`: [node index, index in node], node index = nodes.length when none. */
  private seek(id: StreamId): [number, number] {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length;
    // The last node whose first ID is <= id holds it if anyone does.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid].ids[0] <= id) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return [0, 0];
    const n = lo - 1;
    const at = nodes[n].lowerBound(id);
    return at < nodes[n].ids.length ? [n, at] : [lo, 0];
  }

  get(id: StreamId): readonly string[] | undefined {
    const [n, i] = this.seek(id);
    const node = this.nodes[n];
    return node !== undefined && node.ids[i] === id ? node.entries[i] : undefined;
  }

  /** Removes one entry by ID (XDEL); true when it was there. Redis's first-ID bookkeeping is the caller's. */
  delete(id: StreamId): boolean {
    const [n, i] = this.seek(id);
    const node = this.nodes[n];
    if (node === undefined || node.ids[i] !== id) return false;
    for (const f of node.entries[i]) this.stringBytes -= f.length + STRING_OVERHEAD;
    node.removeAt(i);
    if (node.ids.length === 0) this.nodes.splice(n, 1);
    this.length--;
    return true;
  }

  /** Entries with IDs in [start, end], forward or backward, at most `count` (0: all). */
  *range(start: StreamId, end: StreamId, rev = false, count = 0): Generator<StreamEntry> {
    if (start > end) return;
    let emitted = 0;
    const nodes = this.nodes;
    if (!rev) {
      let [n, i] = this.seek(start);
      for (; n < nodes.length; n++, i = 0) {
        const node = nodes[n];
        for (; i < node.ids.length; i++) {
          const id = node.ids[i];
          if (id > end) return;
          yield { id, fields: node.entries[i] };
          if (++emitted === count) return;
        }
      }
      return;
    }
    let [n, i] = end === ID_MAX ? [nodes.length, 0] : this.seek(end + 1n);
    // Step back to the last entry below the position found.
    for (;;) {
      if (i === 0) {
        if (n === 0) return;
        n--;
        i = nodes[n].ids.length;
      }
      i--;
      const node = nodes[n];
      const id = node.ids[i];
      if (id < start) return;
      yield { id, fields: node.entries[i] };
      if (++emitted === count) return;
    }
  }

  first(): StreamEntry | undefined {
    const node = this.nodes[0];
    return node === undefined ? undefined : { id: node.ids[0], fields: node.entries[0] };
  }

  last(): StreamEntry | undefined {
    const node = this.nodes[this.nodes.length - 1];
    if (node === undefined) return undefined;
    const i = node.ids.length - 1;
    return { id: node.ids[i], fields: node.entries[i] };
  }

  /** The ID of the last live entry (0-0 when empty), which lastId may be past. */
  lastValidId(): StreamId {
    return this.last()?.id ?? ID_ZERO;
  }

  /** Trims from the front as XADD and XTRIM do; returns how many entries went. */
  trim(spec: TrimSpec): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (spec.strategy === 'maxlen' && this.length <= spec.maxlen) break;
      const node = this.nodes[0];
      const entries = node.ids.length;
      if (spec.limit !== 0 && deleted + entries > spec.limit) break;
      const removeNode =
        spec.strategy === 'maxlen' ? this.length - entries >= spec.maxlen : node.ids[entries - 1] < spec.minid;
      if (removeNode) {
        for (const fields of node.entries) for (const f of fields) this.stringBytes -= f.length + STRING_OVERHEAD;
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (spec.approx) break;
      let cut = 0;
      while (cut < entries) {
        if (spec.strategy === 'maxlen' ? this.length - cut <= spec.maxlen : node.ids[cut] >= spec.minid) break;
        cut++;
      }
      for (let i = 0; i < cut; i++) for (const f of node.entries[i]) this.stringBytes -= f.length + STRING_OVERHEAD;
      node.ids.splice(0, cut);
      node.entries.splice(0, cut);
      node.tombstones += cut;
      this.length -= cut;
      deleted += cut;
      break;
    }
    if (this.length === 0) this.firstId = ID_ZERO;
    else if (deleted > 0) this.firstId = this.first()!.id;
    return deleted;
  }

  /** Whether an entry was deleted (XDEL) somewhere in [start, ∞), as Redis can tell from max-deleted-entry-id. */
  rangeHasTombstones(start: StreamId): boolean {
    if (this.length === 0 || this.maxDeletedId === ID_ZERO) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId;
  }

  /** How many entries were ever added up to `id`, when that can be known; INVALID_ENTRIES_READ otherwise. */
  estimateEntriesRead(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return INVALID_ENTRIES_READ;
    if (this.maxDeletedId === ID_ZERO || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** A group's lag (entries not yet delivered to it), or null when it cannot be known. */
  lag(group: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(group.lastId)) {
      return this.entriesAdded - group.entriesRead;
    }
    const read = this.estimateEntriesRead(group.lastId);
    return read === INVALID_ENTRIES_READ ? null : this.entriesAdded - read;
  }

  /** Advances a group past `id`, delivered to it now, keeping its read counter as Redis does. */
  deliver(group: ConsumerGroup, id: StreamId): void {
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(id)) group.entriesRead++;
    else if (this.entriesAdded !== 0) group.entriesRead = this.estimateEntriesRead(id);
    group.lastId = id;
  }

  /** Groups in name order. */
  sortedGroups(): [string, ConsumerGroup][] {
    return [...this.groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * A radix tree node count for XINFO STREAM: the nodes of a compressed trie
   * over the 16-byte big-endian node keys, plus the head. It follows Redis's
   * count for typical streams, not for every shape of tree.
   */
  radixTreeNodes(): number {
    const keys = this.nodes.map((node) => node.masterId.toString(16).padStart(32, '0'));
    if (keys.length === 0) return 1;
    const count = (lo: number, hi: number, depth: number): number => {
      if (hi - lo === 1) return 1;
      let common = depth;
      while (common < 32 && keys[lo].slice(0, common + 1) === keys[hi - 1].slice(0, common + 1)) common++;
      let total = 1;
      let start = lo;
      for (let i = lo + 1; i <= hi; i++) {
        if (i === hi || keys[i][common] !== keys[start][common]) {
          total += count(start, i, common + 1);
          start = i;
        }
      }
      return total;
    };
    return 1 + count(0, keys.length, 0);
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    copy.nodes = this.nodes.map((node) => node.clone());
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.stringBytes = this.stringBytes;
    for (const [name, group] of this.groups) {
      const g = new ConsumerGroup(group.lastId, group.entriesRead);
      for (const [cname, consumer] of group.consumers) g.consumers.set(cname, new Consumer(cname, consumer.seenTime));
      for (const [id, nack] of group.pel.range(ID_ZERO)) {
        const owner = nack.consumer === undefined ? undefined : g.consumers.get(nack.consumer.name);
        const n: Nack = { deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount, consumer: owner };
        g.pel.set(id, n);
        owner?.pel.set(id, n);
      }
      copy.groups.set(name, g);
    }
    return copy;
  }

  canonical(): string {
    let out = `${formatId(this.lastId)}\0`;
    for (const entry of this.range(ID_ZERO, ID_MAX)) {
      out += `${formatId(entry.id)}`;
      for (const f of entry.fields) out += `${f.length}:${f}`;
      out += '\0';
    }
    for (const [name, group] of this.sortedGroups()) {
      out += `${name.length}:${name}${formatId(group.lastId)}`;
      for (const [id, nack] of group.pel.range(ID_ZERO)) out += `${formatId(id)}:${nack.consumer?.name ?? ''}\0`;
    }
    return out;
  }
}
