/**
 * Streams in RDB files and DUMP payloads, in Redis's own format:
 * RDB_TYPE_STREAM_LISTPACKS_2 (what 7.0 writes), read back along with the
 * 6.x form (STREAM_LISTPACKS) and the 7.2 one (STREAM_LISTPACKS_3, whose
 * consumers also carry an active time).
 *
 * Entries go in nodes as XADD builds them: a listpack per node, keyed by the
 * node's first ID, whose master entry names the fields of the node's first
 * entry; an entry with the same fields stores only its values. Our nodes
 * drop deleted entries, so a node is written with what is live and a
 * deleted count of 0, which Redis reads the same way.
 */
import { ListpackWriter } from './listpack.js';
import type { Reader, Writer } from './rdb.js';
import { BadFormat, listpackEntries, listpackHeaderValid } from './encodings.js';
import { parseInt64 } from '../util/numbers.js';
import {
  Consumer, ConsumerGroup, StreamValue, ID_MAX, ID_ZERO, idMs, idSeq, makeId,
  type Nack, type StreamId, type StreamLimits,
} from '../store/stream.js';

export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

/**
 * Where nodes are cut when written and when loaded: Redis's defaults of
 * stream-node-max-entries and stream-node-max-bytes. Only XINFO's node count
 * and how later entries fill the last node depend on it.
 */
export const DEFAULT_NODE_LIMITS: StreamLimits = { streamNodeMaxEntries: 100, streamNodeMaxBytes: 4096 };

/** Entry flags in a node's listpack. */
const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;

/** A 16-byte ID as Redis keys its radix trees: milliseconds then sequence, big-endian. */
function rawId(id: StreamId): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(idMs(id), 0);
  b.writeBigUInt64BE(idSeq(id), 8);
  return b;
}

function readRawId(bytes: Buffer): StreamId {
  if (bytes.length !== 16) throw new BadFormat('Stream node key entry is not the size of a stream ID');
  return makeId(bytes.readBigUInt64BE(0), bytes.readBigUInt64BE(8));
}

function writeId(w: Writer, id: StreamId): void {
  w.bigLength(idMs(id));
  w.bigLength(idSeq(id));
}

function readId(r: Reader): StreamId {
  const ms = r.bigLength();
  return makeId(ms, r.bigLength());
}

/** rdbSaveMillisecondTime: 8 bytes, little-endian. */
function writeTime(w: Writer, ms: number): void {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(Math.trunc(ms)));
  w.raw(b);
}

function readTime(r: Reader): number {
  return Number(r.take(8).readBigInt64LE(0));
}

/** One node being filled: its listpack so far and what the master entry says. */
interface OpenNode {
  masterId: StreamId;
  masterFields: readonly string[];
  ids: StreamId[];
  entries: (readonly string[])[];
  bytes: number;
}

/** The listpack of a node: master entry, then each entry relative to it. */
function nodeListpack(node: OpenNode): Buffer {
  const lp = new ListpackWriter();
  lp.integer(node.entries.length);
  lp.integer(0);
  lp.integer(node.masterFields.length);
  for (const field of node.masterFields) lp.string(field);
  lp.integer(0);
  const masterMs = idMs(node.masterId);
  const masterSeq = idSeq(node.masterId);
  for (let e = 0; e < node.entries.length; e++) {
    const fields = node.entries[e];
    const n = fields.length / 2;
    let same = n === node.masterFields.length;
    for (let i = 0; same && i < n; i++) same = fields[2 * i] === node.masterFields[i];
    lp.integer(same ? FLAG_SAME_FIELDS : 0);
    lp.integer(BigInt.asIntN(64, idMs(node.ids[e]) - masterMs));
    lp.integer(BigInt.asIntN(64, idSeq(node.ids[e]) - masterSeq));
    if (same) {
      for (let i = 1; i < fields.length; i += 2) lp.string(fields[i]);
      lp.integer(n + 3);
    } else {
      lp.integer(n);
      for (const part of fields) lp.string(part);
      lp.integer(2 * n + 4);
    }
  }
  return lp.finish();
}

/** The entries cut into nodes as XADD would have cut them with these limits. */
function nodesOf(stream: StreamValue, limits: StreamLimits): OpenNode[] {
  const nodes: OpenNode[] = [];
  let open: OpenNode | undefined;
  stream.forEachInRange(ID_ZERO, ID_MAX, false, 0, (id, fields) => {
    let size = 0;
    for (const part of fields) size += part.length;
    if (open !== undefined) {
      const full = (limits.streamNodeMaxBytes > 0 && open.bytes + size >= limits.streamNodeMaxBytes) ||
        (limits.streamNodeMaxEntries > 0 && open.entries.length >= limits.streamNodeMaxEntries);
      if (full) open = undefined;
    }
    if (open === undefined) {
      const masterFields: string[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]);
      open = { masterId: id, masterFields, ids: [], entries: [], bytes: 0 };
      nodes.push(open);
    }
    open.ids.push(id);
    open.entries.push(fields);
    // Close enough to the listpack's size for cutting: the strings and a few bytes of framing each.
    open.bytes += size + 4 * (fields.length + 3);
  });
  return nodes;
}

/** The serialization after the type byte (rdbSaveObject's stream case). */
export function writeStream(w: Writer, stream: StreamValue, limits: StreamLimits = DEFAULT_NODE_LIMITS): void {
  const nodes = nodesOf(stream, limits);
  w.length(nodes.length);
  for (const node of nodes) {
    w.string(rawId(node.masterId).toString('latin1'));
    w.string(nodeListpack(node).toString('latin1'));
  }
  w.length(stream.length);
  writeId(w, stream.lastId);
  writeId(w, stream.firstId);
  writeId(w, stream.maxDeletedId);
  w.bigLength(BigInt(stream.entriesAdded));
  const groups = [...stream.groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  w.length(groups.length);
  for (const [name, group] of groups) {
    w.string(name);
    writeId(w, group.lastId);
    w.bigLength(BigInt.asUintN(64, BigInt(group.entriesRead)));
    w.length(group.pel.size);
    for (const [id, nack] of group.pel.range(ID_ZERO)) {
      w.raw(rawId(id));
      writeTime(w, nack.deliveryTime);
      w.length(nack.deliveryCount);
    }
    const consumers = group.sortedConsumers();
    w.length(consumers.length);
    for (const consumer of consumers) {
      w.string(consumer.name);
      writeTime(w, consumer.seenTime);
      w.length(consumer.pel.size);
      for (const [id] of consumer.pel.range(ID_ZERO)) w.raw(rawId(id));
    }
  }
}

/**
 * Reads a stream of any of the three types, after its type byte, with the
 * checks of Redis's deep sanitization; those Redis makes only then (the
 * nodes' entries, and more of ours on how they agree with the metadata) as
 * deep as `r` is told to.
 */
export function readStream(r: Reader, type: number, limits: StreamLimits = DEFAULT_NODE_LIMITS): StreamValue {
  const stream = new StreamValue();
  const nodes = r.length();
  const masters = new Set<StreamId>();
  for (let n = 0; n < nodes; n++) {
    const masterId = readRawId(r.blob());
    const lp = r.blob();
    if (!listpackHeaderValid(lp)) throw new BadFormat('Stream listpack integrity check failed.');
    if (lp[6] === 0xff) throw new BadFormat('Empty listpack inside stream');
    if (masters.has(masterId)) throw new BadFormat('Listpack re-added with existing key');
    masters.add(masterId);
    r.deepOnly(() => readNode(stream, masterId, listpackEntries(lp, 'Stream listpack'), limits), undefined);
  }
  const length = r.length();
  if (length > 0 && nodes === 0) throw new BadFormat('Stream length inconsistent with rax entries');
  const lastEntry = stream.lastId;
  stream.lastId = readId(r);
  r.deepOnly(() => {
    if (length !== stream.length) throw new BadFormat('Stream length inconsistent with rax entries');
    // New IDs are made above lastId: one below an entry would break the order of the stream.
    if (stream.length > 0 && stream.lastId < lastEntry) throw new BadFormat('Stream last ID is smaller than its last entry');
  }, undefined);
  if (type === RDB_TYPE_STREAM_LISTPACKS) {
    stream.firstId = stream.first()?.id ?? ID_ZERO;
    stream.maxDeletedId = ID_ZERO;
    stream.entriesAdded = stream.length;
  } else {
    stream.firstId = readId(r);
    stream.maxDeletedId = readId(r);
    stream.entriesAdded = Number(r.bigLength());
  }
  const groups = r.length();
  for (let g = 0; g < groups; g++) {
    const name = r.string();
    const lastId = readId(r);
    // 6.x files have no entries-read: estimated from the stream's counters, as Redis does.
    const entriesRead = type === RDB_TYPE_STREAM_LISTPACKS
      ? stream.estimateEntriesRead(lastId)
      : Number(BigInt.asIntN(64, r.bigLength()));
    if (stream.groups.has(name)) throw new BadFormat(`Duplicated consumer group name ${name}`);
    const group = new ConsumerGroup(lastId, entriesRead);
    stream.groups.set(name, group);
    const pending = r.length();
    for (let i = 0; i < pending; i++) {
      const id = readRawId(r.take(16));
      const nack: Nack = { deliveryTime: readTime(r), deliveryCount: r.length(), consumer: undefined };
      if (group.pel.get(id) !== undefined) throw new BadFormat('Duplicated global PEL entry loading stream consumer group');
      group.pel.set(id, nack);
    }
    const consumers = r.length();
    for (let c = 0; c < consumers; c++) {
      const consumer = new Consumer(r.string(), readTime(r));
      if (type === RDB_TYPE_STREAM_LISTPACKS_3) readTime(r); // active-time (7.2), which 7.0 does not keep
      if (group.consumers.has(consumer.name)) throw new BadFormat('Duplicate stream consumer detected.');
      group.consumers.set(consumer.name, consumer);
      const owned = r.length();
      for (let i = 0; i < owned; i++) {
        const id = readRawId(r.take(16));
        const nack = group.pel.get(id);
        if (nack === undefined) throw new BadFormat('Consumer entry not found in group global PEL');
        if (nack.consumer !== undefined) throw new BadFormat('Duplicated consumer PEL entry loading a stream consumer group');
        nack.consumer = consumer;
        consumer.pel.set(id, nack);
      }
    }
    r.deepOnly(() => {
      for (const [, nack] of group.pel.range(ID_ZERO)) {
        if (nack.consumer === undefined) throw new BadFormat('Stream CG PEL entry without consumer');
      }
    }, undefined);
  }
  return stream;
}

/**
 * The entries of one node's listpack, appended in order, checked as
 * streamValidateListpackIntegrity checks them (and more: the counts in
 * the master entry must match the entries and their deleted flags).
 */
function readNode(stream: StreamValue, masterId: StreamId, items: string[], limits: StreamLimits): void {
  const bad = (): never => {
    throw new BadFormat('Stream listpack integrity check failed.');
  };
  let at = 0;
  const next = (): string => (at < items.length ? items[at++] : bad());
  const int = (): bigint => {
    const value = parseInt64(next());
    return value === null ? bad() : BigInt(value);
  };
  const count = int();
  const deleted = int();
  const fieldCount = int();
  if (count < 0n || deleted < 0n || fieldCount < 1n || count + deleted === 0n) bad();
  const masterFields: string[] = [];
  for (let i = 0n; i < fieldCount; i++) masterFields.push(next());
  if (int() !== 0n) bad();
  const masterMs = idMs(masterId);
  const masterSeq = idSeq(masterId);
  let live = 0n;
  let dead = 0n;
  while (at < items.length) {
    const flags = int();
    const ms = BigInt.asUintN(64, masterMs + int());
    const seq = BigInt.asUintN(64, masterSeq + int());
    let fields: string[];
    let expected: bigint;
    if (flags & BigInt(FLAG_SAME_FIELDS)) {
      fields = [];
      for (const field of masterFields) fields.push(field, next());
      expected = fieldCount + 3n;
    } else {
      const n = int();
      if (n < 1n) bad();
      fields = [];
      for (let i = 0n; i < 2n * n; i++) fields.push(next());
      expected = 2n * n + 4n;
    }
    if (int() !== expected) bad();
    if (flags & BigInt(FLAG_DELETED)) {
      dead++;
      continue;
    }
    live++;
    const id = makeId(ms, seq);
    if (stream.length > 0 && id <= stream.lastId) throw new BadFormat('Stream entries out of order');
    stream.append(id, fields, limits);
  }
  if (live !== count || dead !== deleted) bad();
}
