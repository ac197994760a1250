/**
 * HyperLogLog commands: PFADD, PFCOUNT, PFMERGE and the PFDEBUG / PFSELFTEST
 * introspection. The sketches are ordinary string values in Redis's byte
 * format (see store/hyperloglog.ts), so GET, DUMP, RESTORE and the RDB file
 * carry them unchanged.
 */
import { NOTIFY } from '../store/notify.js';
import {
  CorruptedHyperLogLog, HyperLogLog, REGISTERS, Registers, cachedCardinality, cardinalityReply, isHyperLogLog, registersCardinality, selfTest,
} from '../store/hyperloglog.js';
import type { Database } from '../store/database.js';
import { ReplyError } from '../errors.js';
import { OK, SimpleString, type Reply } from '../protocol/reply.js';
import { defineCommand, type CommandContext, type CommandSpec } from './types.js';

const notHyperLogLog = (): ReplyError => new ReplyError('WRONGTYPE Key is not a valid HyperLogLog string value.');
const corrupted = (): ReplyError => new ReplyError('INVALIDOBJ Corrupted HLL object detected');

/** Runs a sketch operation, answering INVALIDOBJ when the sketch turns out corrupted. */
function checked<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw error instanceof CorruptedHyperLogLog ? corrupted() : error;
  }
}

/** The sketch of a string value that must be a valid HLL. */
function sketchOf(value: string): HyperLogLog {
  const sketch = HyperLogLog.of(value);
  if (sketch === undefined) throw notHyperLogLog();
  return sketch;
}

/** Stores a changed sketch back as the key's string, keeping its TTL. */
function store(db: Database, key: string, sketch: HyperLogLog): void {
  db.set(key, sketch.toString(), true);
}

const sparseMaxBytes = (ctx: CommandContext): number => ctx.server.config.values.hllSparseMaxBytes;

function pfadd(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[1];
  const value = db.getString(key);
  // A new key counts as an update even with no elements: it is created.
  const sketch = value === undefined ? HyperLogLog.empty() : sketchOf(value);
  let updated = value === undefined ? 1 : 0;
  const maxBytes = sparseMaxBytes(ctx);
  try {
    for (let i = 2; i < args.length; i++) updated |= sketch.add(args[i], maxBytes);
  } catch (error) {
    // Redis edits the value in place: what the elements before the corrupted spot changed stays.
    if (updated) store(db, key, sketch);
    throw error instanceof CorruptedHyperLogLog ? corrupted() : error;
  }
  if (!updated) return 0;
  sketch.invalidateCardinality();
  store(db, key, sketch);
  db.notify(NOTIFY.STRING, 'pfadd', key);
  return 1;
}

function pfcount(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  if (args.length > 2) {
    // The union's cardinality, computed on the side: nothing is written.
    const max = new Registers();
    for (let i = 1; i < args.length; i++) {
      const value = db.readString(args[i]);
      if (value === undefined) continue;
      const sketch = sketchOf(value);
      checked(() => sketch.mergeInto(max));
    }
    return cardinalityReply(registersCardinality(max));
  }
  const key = args[1];
  const value = db.readString(key);
  if (value === undefined) return 0;
  if (!isHyperLogLog(value)) throw notHyperLogLog();
  const cached = cachedCardinality(value);
  if (cached !== undefined) return cached;
  // The estimate is cached in the value, which makes this read a change that WATCH and the AOF see.
  const sketch = sketchOf(value);
  const card = checked(() => sketch.cardinality());
  sketch.cacheCardinality(card);
  store(db, key, sketch);
  return cardinalityReply(card);
}

function pfmerge(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const max = new Registers();
  let anyDense = false;
  // The destination is one of the inputs: its registers are kept.
  for (let i = 1; i < args.length; i++) {
    const value = db.readString(args[i]);
    if (value === undefined) continue;
    const sketch = sketchOf(value);
    if (sketch.isDense) anyDense = true;
    checked(() => sketch.mergeInto(max));
  }
  const key = args[1];
  const existing = db.getString(key);
  // Already validated as an input when it exists.
  const target = existing === undefined ? HyperLogLog.empty() : sketchOf(existing);
  if (anyDense) checked(() => target.toDense());
  const maxBytes = sparseMaxBytes(ctx);
  const merged = max.bytes;
  for (let i = 0; i < REGISTERS; i++) if (merged[i] !== 0) target.set(i, merged[i], maxBytes);
  target.invalidateCardinality();
  store(db, key, target);
  // A merge is a mass add: Redis reports it as pfadd.
  db.notify(NOTIFY.STRING, 'pfadd', key);
  return OK;
}

function pfdebug(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[2];
  const value = db.getString(key);
  if (value === undefined) throw new ReplyError('ERR The specified key does not exist');
  const sketch = sketchOf(value);
  switch (args[1].toLowerCase()) {
    case 'getreg':
      if (checked(() => sketch.toDense())) store(db, key, sketch);
      return sketch.registers();
    case 'decode':
      if (sketch.isDense) throw new ReplyError('ERR HLL encoding is not sparse');
      return sketch.decode();
    case 'encoding':
      return new SimpleString(sketch.isDense ? 'dense' : 'sparse');
    case 'todense': {
      const converted = checked(() => sketch.toDense());
      if (converted) store(db, key, sketch);
      return converted ? 1 : 0;
    }
    default:
      throw new ReplyError(`ERR Unknown PFDEBUG subcommand '${args[1]}'`);
  }
}

function pfselftest(ctx: CommandContext): Reply {
  const failure = selfTest(sparseMaxBytes(ctx));
  if (failure !== undefined) throw new ReplyError(failure);
  return OK;
}

export const hyperloglogCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], keys: { first: 1, last: 1, step: 1 }, group: 'hyperloglog', since: '2.8.9',
    complexity: 'O(1) to add every element.',
    summary: 'Adds elements to a HyperLogLog, creating it if needed; 1 when its estimate may have changed.', syntax: 'key [element [element ...]]',
    run: pfadd,
  }),
  defineCommand({
    // Not flagged write, as in Redis, though caching the estimate changes the value: `propagate` records that change.
    name: 'pfcount', arity: -2, flags: ['readonly', 'may_replicate'], keys: { first: 1, last: -1, step: 1 }, group: 'hyperloglog', since: '2.8.9',
    complexity: 'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    summary: 'Estimates the number of distinct elements of a HyperLogLog, or of the union of several.', syntax: 'key [key ...]',
    propagate: (args) => [args],
    run: pfcount,
  }),
  defineCommand({
    name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], keys: { first: 1, last: -1, step: 1 }, group: 'hyperloglog', since: '2.8.9',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    summary: 'Merges HyperLogLogs into the destination one (itself included).', syntax: 'destkey [sourcekey [sourcekey ...]]',
    run: pfmerge,
  }),
  defineCommand({
    name: 'pfdebug', arity: 3, flags: ['write', 'denyoom', 'admin'], keys: { first: 2, last: 2, step: 1 }, group: 'hyperloglog', since: '2.8.9',
    complexity: 'N/A', summary: 'Shows a HyperLogLog\'s registers, opcodes or encoding, or converts it to dense.', syntax: 'subcommand key',
    run: pfdebug,
  }),
  defineCommand({
    name: 'pfselftest', arity: 1, flags: ['admin'], group: 'hyperloglog', since: '2.8.9', complexity: 'N/A',
    summary: 'Tests the HyperLogLog implementation (register access, estimate error).', run: pfselftest,
  }),
];
