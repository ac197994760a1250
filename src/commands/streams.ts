/**
 * Stream commands: XADD and the range reads, trimming and deletion, XREAD
 * (blocking too), consumer groups (XGROUP, XREADGROUP, XACK, XPENDING,
 * XCLAIM, XAUTOCLAIM) and XINFO, with Redis 7.0's replies and errors.
 *
 * What reaches the append-only file follows Redis: XADD with the ID it
 * generated and an approximate trim made exact; XREADGROUP, XCLAIM and
 * XAUTOCLAIM as the XCLAIM / XGROUP commands that recreate their effect on
 * the consumer group. A handler leaves those in `propagated` and the
 * command's propagate rule hands them over; dispatch asks for them right
 * after the handler ran, so one slot suffices.
 */
import { ReplyError, noSuchKey, notInteger, syntaxError, unknownSubcommandOrArity, wrongArity, wrongType } from '../errors.js';
import { MapReply, NIL_ARRAY, OK, SimpleString, type Reply } from '../protocol/reply.js';
import type { Propagation } from '../persistence/propagation.js';
import { readable, type Database } from '../store/database.js';
import { NOTIFY } from '../store/notify.js';
import {
  Consumer,
  ConsumerGroup,
  ID_MAX,
  ID_ZERO,
  INVALID_ENTRIES_READ,
  StreamValue,
  exactOrderKey,
  formatId,
  idMs,
  idSeq,
  makeId,
  type Nack,
  type StreamEntry,
  type StreamId,
  type StreamLimits,
  type TrimSpec,
} from '../store/stream.js';
import { parseInt64 } from '../util/numbers.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';

const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
const U64_MAX = (1n << 64n) - 1n;
/** Entries a blocked XREAD without COUNT gets when served. */
const BLOCKED_DEFAULT_COUNT = 1000;

let propagated: string[][] | undefined;

/** The commands the handler that just ran left for the append-only file, else the command as given. */
const asRecorded: Propagation = (args) => {
  const commands = propagated ?? [args];
  propagated = undefined;
  return commands;
};

const limitsOf = (ctx: CommandContext): StreamLimits => ctx.server.config.values;

/** Redis's string2ull: a strict integer, else what strtoull accepts whole (blanks, a sign, leading zeros); null otherwise. */
function parseU64(text: string): bigint | null {
  // Short digit strings (leading zeros are fine for strtoull) are most IDs: no regex, no string-to-bigint parse.
  const len = text.length;
  if (len > 0 && len <= 15) {
    let n = 0;
    let i = 0;
    for (; i < len; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === len) return BigInt(n);
  }
  const strict = parseInt64(text);
  if (strict !== null) return BigInt(strict) < 0n ? null : BigInt(strict);
  const match = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(text);
  if (match === null) return null;
  const magnitude = BigInt(match[2]);
  if (magnitude > U64_MAX) return null;
  return match[1] === '-' ? (U64_MAX + 1n - magnitude) & U64_MAX : magnitude;
}

interface ParsedId {
  id: StreamId;
  /** False for `<ms>-*` (when allowed) and for a bare `<ms>`. */
  seqGiven: boolean;
}

/**
 * An ID argument: `ms-seq`, `ms` (seq = missingSeq), `-` and `+` unless
 * `strict`, `ms-*` when `seqStar`.
 */
function parseIdArg(text: string, missingSeq: bigint, strict: boolean, seqStar = false): ParsedId {
  if (text.length > 127) throw new ReplyError(INVALID_ID);
  if (text === '-' || text === '+') {
    if (strict) throw new ReplyError(INVALID_ID);
    return { id: text === '-' ? ID_ZERO : ID_MAX, seqGiven: true };
  }
  const dash = text.indexOf('-');
  const ms = parseU64(dash < 0 ? text : text.slice(0, dash));
  if (ms === null) throw new ReplyError(INVALID_ID);
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = text.slice(dash + 1);
  if (seqStar && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = parseU64(rest);
  if (seq === null) throw new ReplyError(INVALID_ID);
  return { id: makeId(ms, seq), seqGiven: true };
}

const strictId = (text: string): StreamId => parseIdArg(text, 0n, true).id;

/** A range end as XRANGE and XPENDING take it: `(` makes it exclusive. */
function intervalId(text: string, missingSeq: bigint, start: boolean): StreamId {
  if (text.length > 1 && text[0] === '(') {
    const id = parseIdArg(text.slice(1), missingSeq, true).id;
    if (start) {
      if (id === ID_MAX) throw new ReplyError('ERR invalid start ID for the interval');
      return id + 1n;
    }
    if (id === ID_ZERO) throw new ReplyError('ERR invalid end ID for the interval');
    return id - 1n;
  }
  return parseIdArg(text, missingSeq, false).id;
}

/** A `long long` argument, with Redis's message for one that is not. */
function longLongArg(text: string, message?: string): number {
  const value = parseInt64(text);
  if (value === null) throw message === undefined ? notInteger() : new ReplyError(message);
  return Number(value);
}

/** An entry as replies show it; its ID as text when a range walk spelt it already. */
const entryReply = (id: StreamId | string, fields: readonly string[]): Reply => [typeof id === 'string' ? id : formatId(id), fields as string[]];

const writeStream = (db: Database, key: string): StreamValue | undefined => db.getCollection<StreamValue>(key, 'stream');
const readStream = (db: Database, key: string): StreamValue | undefined => db.readCollection<StreamValue>(key, 'stream');

/** The help reply of XGROUP and XINFO. */
const helpReply = (command: string, lines: readonly string[]): Reply =>
  [`${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, ...lines, 'HELP', '    Prints this help.'].map(
    (line) => new SimpleString(line),
  );

// ---------------------------------------------------------------- XADD / XTRIM

interface AddTrimArgs {
  trim: TrimSpec | undefined;
  /** Index of the MAXLEN count or MINID id, for rewriting an approximate trim. */
  trimArgAt: number;
  /** Index of LIMIT's argument, dropped when the trim is made exact. */
  limitAt: number;
  noMkStream: boolean;
  /** Index of the ID argument (XADD). */
  idAt: number;
  id: ParsedId | undefined;
}

function parseAddOrTrim(ctx: CommandContext, args: string[], xadd: boolean): AddTrimArgs {
  const out: AddTrimArgs = { trim: undefined, trimArgAt: 0, limitAt: 0, noMkStream: false, idAt: 0, id: undefined };
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  const trimOption = (strategy: 'maxlen' | 'minid'): void => {
    if (out.trim !== undefined) throw new ReplyError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
    const more = args.length - 1 - i;
    let approx = false;
    const next = args[i + 1];
    if (more >= 2 && next === '~') {
      approx = true;
      i++;
    } else if (more >= 2 && next === '=') {
      i++;
    }
    const spec: TrimSpec = { strategy, maxlen: 0, minid: ID_ZERO, approx, limit: 0 };
    if (strategy === 'maxlen') {
      spec.maxlen = longLongArg(args[i + 1]);
      if (spec.maxlen < 0) throw new ReplyError('ERR The MAXLEN argument must be >= 0.');
    } else {
      spec.minid = strictId(args[i + 1]);
    }
    i++;
    out.trim = spec;
    out.trimArgAt = i;
  };
  for (; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = args[i];
    const lower = opt.toLowerCase();
    if (xadd && opt === '*') break;
    if (lower === 'maxlen' && more > 0) trimOption('maxlen');
    else if (lower === 'minid' && more > 0) trimOption('minid');
    else if (lower === 'limit' && more > 0) {
      limit = longLongArg(args[i + 1]);
      if (limit < 0) throw new ReplyError('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      out.limitAt = ++i;
    } else if (xadd && lower === 'nomkstream') {
      out.noMkStream = true;
    } else if (xadd) {
      out.id = parseIdArg(opt, 0n, true, true);
      break;
    } else {
      throw syntaxError();
    }
  }
  out.idAt = i;
  if (limit !== 0 && out.trim === undefined) throw new ReplyError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && out.trim === undefined) throw new ReplyError('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (out.trim !== undefined) {
    if (limitGiven) {
      if (!out.trim.approx) throw new ReplyError('ERR syntax error, LIMIT cannot be used without the special ~ option');
      out.trim.limit = limit;
    } else if (out.trim.approx) {
      // At most 100 nodes' worth of work unless told otherwise, within sane bounds.
      let work = 100 * ctx.server.config.values.streamNodeMaxEntries;
      if (work <= 0) work = 10000;
      if (work > 1000000) work = 1000000;
      out.trim.limit = work;
    }
  }
  return out;
}

/** The threshold that makes an approximate trim exact: what the trim left. */
const trimmedTo = (parsed: AddTrimArgs, s: StreamValue): string =>
  parsed.trim!.strategy === 'maxlen' ? String(s.length) : formatId(s.first()?.id ?? ID_ZERO);

/** Makes an approximate trim in `line` exact, with `threshold` from trimmedTo, as Redis rewrites it. */
function makeTrimExact(line: string[], parsed: AddTrimArgs, threshold: string): string[] {
  line[parsed.trimArgAt - 1] = '=';
  line[parsed.trimArgAt] = threshold;
  // LIMIT is refused with '=': replay trims exactly what was trimmed here anyway.
  if (parsed.limitAt !== 0) line.splice(parsed.limitAt - 1, 2);
  return line;
}

/** XADD key * field value ...: nothing to parse before the fields. */
const AUTO_ID_ONLY: Readonly<AddTrimArgs> = { trim: undefined, trimArgAt: 0, limitAt: 0, noMkStream: false, idAt: 2, id: undefined };

/**
 * What XADD's record needs beyond its arguments, left by the last XADD for
 * its propagate rule (which runs right after it, and only with an
 * append-only file): so that without one, no record is built. Loose
 * variables rather than an object, so that XADD allocates nothing for it.
 */
let addedParsed: Readonly<AddTrimArgs> | undefined;
let addedIdText: string | undefined;
let addedThreshold: string | undefined;

const xaddRecorded: Propagation = (args) => {
  const line = args.slice();
  const parsed = addedParsed;
  if (parsed === undefined) return [line];
  addedParsed = undefined;
  // The generated ID first: dropping LIMIT below moves the arguments after it.
  if (addedIdText !== undefined) line[parsed.idAt] = addedIdText;
  if (addedThreshold !== undefined) makeTrimExact(line, parsed, addedThreshold);
  return [line];
};

const exhausted = (): ReplyError => new ReplyError('ERR The stream has exhausted the last possible ID, unable to add more items');

function xadd(ctx: CommandContext, args: string[]): Reply {
  addedParsed = undefined;
  const parsed = args[2] === '*' ? AUTO_ID_ONLY : parseAddOrTrim(ctx, args, true);
  const fieldAt = parsed.idAt + 1;
  const fieldCount = args.length - fieldAt;
  if (fieldCount < 2 || fieldCount % 2 === 1) throw wrongArity('xadd');
  const given = parsed.id;
  if (given !== undefined && given.seqGiven && given.id === ID_ZERO) throw new ReplyError('ERR The ID specified in XADD must be greater than 0-0');
  const db = ctx.client.db;
  const key = args[1];
  let s = writeStream(db, key);
  if (s === undefined) {
    if (parsed.noMkStream) return null;
    s = new StreamValue();
    db.set(key, s);
  }
  let reply: string | undefined;
  if (given === undefined) {
    reply = s.appendNow(Date.now(), args.slice(fieldAt), limitsOf(ctx));
    if (reply === undefined) throw exhausted();
  } else {
    if (s.lastId === ID_MAX) throw exhausted();
    let id: StreamId;
    if (given.seqGiven) {
      id = given.id;
    } else if (idMs(s.lastId) === idMs(given.id)) {
      if (idSeq(s.lastId) === U64_MAX) throw new ReplyError('ERR Elements are too large to be stored');
      id = s.lastId + 1n;
    } else {
      id = given.id;
    }
    if (id <= s.lastId) throw new ReplyError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    s.append(id, args.slice(fieldAt), limitsOf(ctx));
    reply = formatId(id);
  }
  db.modified(key);
  db.notify(NOTIFY.STREAM, 'xadd', key);
  let threshold: string | undefined;
  if (parsed.trim !== undefined) {
    if (s.trim(parsed.trim) > 0) {
      db.modified(key);
      db.notify(NOTIFY.STREAM, 'xtrim', key);
    }
    if (parsed.trim.approx) threshold = trimmedTo(parsed, s);
  }
  addedParsed = parsed;
  addedIdText = given === undefined || !given.seqGiven ? reply : undefined;
  addedThreshold = threshold;
  return reply;
}

function xtrim(ctx: CommandContext, args: string[]): Reply {
  propagated = undefined;
  const parsed = parseAddOrTrim(ctx, args, false);
  const db = ctx.client.db;
  const s = writeStream(db, args[1]);
  if (s === undefined) return 0;
  const deleted = s.trim(parsed.trim!);
  if (deleted > 0) {
    db.notify(NOTIFY.STREAM, 'xtrim', args[1]);
    if (parsed.trim!.approx) propagated = [makeTrimExact(args.slice(), parsed, trimmedTo(parsed, s))];
    db.modified(args[1]);
  }
  return deleted;
}

// ---------------------------------------------------------------- reads

function xrange(rev: boolean) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const start = intervalId(rev ? args[3] : args[2], 0n, true);
    const end = intervalId(rev ? args[2] : args[3], U64_MAX, false);
    let count = -1;
    for (let j = 4; j < args.length; j++) {
      if (args[j].toLowerCase() === 'count' && j + 1 < args.length) {
        count = longLongArg(args[++j]);
        if (count < 0) count = 0;
      } else {
        throw syntaxError();
      }
    }
    const s = readStream(ctx.client.db, args[1]);
    if (s === undefined) return [];
    if (count === 0) return NIL_ARRAY;
    const out: Reply[] = [];
    s.forEachTextInRange(start, end, rev, count === -1 ? 0 : count, (id, fields) => {
      out.push(entryReply(id, fields));
    });
    return out;
  };
}

function xdel(ctx: CommandContext, args: string[]): Reply {
  const db = ctx.client.db;
  const key = args[1];
  const s = writeStream(db, key);
  if (s === undefined) return 0;
  const ids = args.slice(2).map(strictId);
  let deleted = 0;
  let firstGone = false;
  for (const id of ids) {
    if (!s.delete(id)) continue;
    if (id === s.firstId) firstGone = true;
    if (id > s.maxDeletedId) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = ID_ZERO;
    else if (firstGone) s.firstId = s.first()!.id;
    db.modified(key);
    db.notify(NOTIFY.STREAM, 'xdel', key);
  }
  return deleted;
}

function xsetid(ctx: CommandContext, args: string[]): Reply {
  const id = strictId(args[2]);
  let entriesAdded = -1;
  let maxDeleted = ID_ZERO;
  for (let i = 3; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = args[i].toLowerCase();
    if (opt === 'entriesadded' && more > 0) {
      entriesAdded = longLongArg(args[++i]);
      if (entriesAdded < 0) throw new ReplyError('ERR entries_added must be positive');
    } else if (opt === 'maxdeletedid' && more > 0) {
      maxDeleted = strictId(args[++i]);
      if (id < maxDeleted) throw new ReplyError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
    } else {
      throw syntaxError();
    }
  }
  const db = ctx.client.db;
  const s = writeStream(db, args[1]);
  if (s === undefined) throw noSuchKey();
  if (s.length > 0) {
    if (id < s.lastValidId()) throw new ReplyError('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      throw new ReplyError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDeleted !== ID_ZERO) s.maxDeletedId = maxDeleted;
  db.modified(args[1]);
  db.notify(NOTIFY.STREAM, 'xsetid', args[1]);
  return OK;
}

// ---------------------------------------------------------------- consumer groups

/** Counts a change that Redis makes without signalling the key (PEL and group bookkeeping). */
const dirtied = (ctx: CommandContext, n = 1): void => {
  ctx.server.keyspace.dirty += n;
};

/** The consumer, found (and marked as seen) or created with its event. */
function consumerOf(ctx: CommandContext, key: string, group: ConsumerGroup, name: string): { consumer: Consumer; created: boolean } {
  const now = Date.now();
  const found = group.consumers.get(name);
  if (found !== undefined) {
    found.seenTime = now;
    return { consumer: found, created: false };
  }
  const consumer = new Consumer(name, now);
  group.consumers.set(name, consumer);
  dirtied(ctx);
  ctx.client.db.notify(NOTIFY.STREAM, 'xgroup-createconsumer', key);
  return { consumer, created: true };
}

/** The XCLAIM that recreates a pending entry exactly (Redis's streamPropagateXCLAIM). */
const claimRecord = (key: string, groupName: string, group: ConsumerGroup, id: StreamId, nack: Nack): string[] => [
  'XCLAIM', key, groupName, nack.consumer?.name ?? '', '0', formatId(id), 'TIME', String(nack.deliveryTime),
  'RETRYCOUNT', String(nack.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(group.lastId),
];

const setIdRecord = (key: string, groupName: string, group: ConsumerGroup): string[] => [
  'XGROUP', 'SETID', key, groupName, formatId(group.lastId), 'ENTRIESREAD', String(group.entriesRead),
];

const movePending = (nack: Nack, id: StreamId, to: Consumer): void => {
  if (nack.consumer === to) return;
  nack.consumer?.pel.delete(id);
  nack.consumer = to;
  to.pel.set(id, nack);
};

/** Where a group read's effects are recorded for propagation: none when writes go nowhere (the XCLAIMs cost more than the read). */
const effectRecords = (ctx: CommandContext): string[][] | undefined => (ctx.server.persistence.propagating ? [] : undefined);

interface GroupRead {
  group: ConsumerGroup;
  groupName: string;
  consumer: Consumer;
  noack: boolean;
  /** Where the commands recreating the read's effects go; undefined when writes propagate nowhere. */
  records: string[][] | undefined;
}

/**
 * The entries after `start` for XREAD, or for XREADGROUP `>` (the group
 * advances and, without NOACK, each entry becomes pending for the consumer).
 */
function readNew(s: StreamValue, key: string, start: StreamId, count: number, read: GroupRead | undefined): Reply[] {
  const out: Reply[] = [];
  let advanced = false;
  if (read === undefined) {
    s.forEachTextInRange(start, ID_MAX, false, count, (id, fields) => {
      out.push(entryReply(id, fields));
    });
    return out;
  }
  const now = Date.now();
  s.forEachInRange(start, ID_MAX, false, count, (id, fields) => {
    out.push(entryReply(id, fields));
    const { group, consumer } = read;
    if (id > group.lastId) {
      s.deliver(group, id);
      if (read.noack) advanced = true;
    }
    if (read.noack) return;
    let nack = group.pel.get(id);
    if (nack === undefined) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer };
      group.pel.set(id, nack);
      consumer.pel.set(id, nack);
    } else {
      movePending(nack, id, consumer);
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
    }
    read.records?.push(claimRecord(key, read.groupName, group, id, nack));
  });
  if (advanced) read.records?.push(setIdRecord(key, read.groupName, read.group));
  return out;
}

/** XREADGROUP with an ID: the consumer's own pending entries from `start`, delivered again. */
function readHistory(s: StreamValue, consumer: Consumer, start: StreamId, count: number): Reply[] {
  const out: Reply[] = [];
  const now = Date.now();
  for (const [id, nack] of consumer.pel.range(start)) {
    if (count !== 0 && out.length >= count) break;
    const fields = s.get(id);
    if (fields === undefined) {
      out.push([formatId(id), NIL_ARRAY]);
    } else {
      nack.deliveryTime = now;
      nack.deliveryCount++;
      out.push(entryReply(id, fields));
    }
  }
  return out;
}

/** XREAD's reply: per stream its name and entries, as pairs (RESP2) or a map (RESP3). */
const perStream = (ctx: CommandContext, results: [string, Reply[]][]): Reply =>
  ctx.client.resp === 2 ? results.map(([key, entries]) => [key, entries]) : new MapReply(results.flat());

function xread(ctx: CommandContext, args: string[]): Reply | BlockRequest {
  propagated = undefined;
  const isGroup = args[0].length === 10;
  let timeout = -1;
  let count = 0;
  let streamsAt = 0;
  let streamCount = 0;
  let noack = false;
  let groupName: string | undefined;
  let consumerName = '';
  for (let i = 1; i < args.length; i++) {
    const more = args.length - i - 1;
    const opt = args[i].toLowerCase();
    if (opt === 'block' && more > 0) {
      if (ctx.client.isScript) throw new ReplyError(`ERR ${args[0]} command is not allowed with BLOCK option from scripts`);
      timeout = longLongArg(args[++i], 'ERR timeout is not an integer or out of range');
      if (timeout < 0) throw new ReplyError('ERR timeout is negative');
    } else if (opt === 'count' && more > 0) {
      count = longLongArg(args[++i]);
      if (count < 0) count = 0;
    } else if (opt === 'streams' && more > 0) {
      streamsAt = i + 1;
      streamCount = args.length - streamsAt;
      if (streamCount % 2 !== 0) {
        throw new ReplyError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamCount /= 2;
      break;
    } else if (opt === 'group' && more >= 2) {
      if (!isGroup) throw new ReplyError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = args[i + 1];
      consumerName = args[i + 2];
      i += 2;
    } else if (opt === 'noack') {
      if (!isGroup) throw new ReplyError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else {
      throw syntaxError();
    }
  }
  if (streamsAt === 0) throw syntaxError();
  if (isGroup && groupName === undefined) throw new ReplyError('ERR Missing GROUP option for XREADGROUP');
  const db = ctx.client.db;
  const keys = args.slice(streamsAt, streamsAt + streamCount);
  const ids: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  for (let i = 0; i < streamCount; i++) {
    const key = keys[i];
    const s = readStream(db, key);
    if (groupName !== undefined) {
      const group = s?.groups.get(groupName);
      if (group === undefined) {
        throw new ReplyError(`NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`);
      }
      groups.push(group);
    }
    const text = args[streamsAt + streamCount + i];
    if (text === '$') {
      if (isGroup) {
        throw new ReplyError(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids.push(s?.lastId ?? ID_ZERO);
    } else if (text === '>') {
      if (!isGroup) throw new ReplyError('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      ids.push(ID_MAX);
    } else {
      ids.push(strictId(text));
    }
  }

  const records = isGroup ? effectRecords(ctx) : undefined;
  const results: [string, Reply[]][] = [];
  for (let i = 0; i < streamCount; i++) {
    const key = keys[i];
    const s = readStream(db, key);
    if (s === undefined) continue;
    const gt = ids[i];
    let serve = false;
    let history = false;
    if (groupName !== undefined) {
      if (gt !== ID_MAX) {
        serve = true;
        history = true;
      } else if (s.length > 0 && s.lastValidId() > groups[i].lastId) {
        serve = true;
      }
    } else if (s.length > 0 && s.lastValidId() > gt) {
      serve = true;
    }
    if (!serve) continue;
    // gt is below ID_MAX here: a history read starts at its ID, `>` at the group's.
    const start = history ? gt + 1n : groupName !== undefined ? groups[i].lastId + 1n : gt + 1n;
    if (groupName === undefined) {
      results.push([key, readNew(s, key, start, count, undefined)]);
      continue;
    }
    const group = groups[i];
    const { consumer, created } = consumerOf(ctx, key, group, consumerName);
    if (created && noack) records?.push(['XGROUP', 'CREATECONSUMER', key, groupName, consumerName]);
    const entries = history
      ? readHistory(s, consumer, start, count)
      : readNew(s, key, start, count, { group, groupName, consumer, noack, records });
    results.push([key, entries]);
    dirtied(ctx);
  }
  if (isGroup) propagated = records;
  if (results.length > 0) return perStream(ctx, results);
  if (timeout === -1) return NIL_ARRAY;

  const served = count === 0 ? BLOCKED_DEFAULT_COUNT : count;
  const attempt = (key: string): Reply | undefined => {
    // Served from the stream that changed, as Redis serves a reader of several.
    const value = readable(db.get(key));
    const s = value !== undefined && typeof value !== 'string' && value.type === 'stream' ? (value as StreamValue) : undefined;
    let group: ConsumerGroup | undefined;
    let gt = ids[keys.indexOf(key)];
    if (groupName !== undefined) {
      if (s === undefined) return new ReplyError('UNBLOCKED the stream key no longer exists');
      group = s.groups.get(groupName);
      if (group === undefined) return new ReplyError('NOGROUP the consumer group this client was blocked on no longer exists');
      gt = group.lastId;
    }
    if (s === undefined || s.lastId <= gt) return undefined;
    if (group === undefined) return perStream(ctx, [[key, readNew(s, key, gt + 1n, served, undefined)]]);
    const { consumer, created } = consumerOf(ctx, key, group, consumerName);
    const effects = effectRecords(ctx);
    if (created && noack) effects?.push(['XGROUP', 'CREATECONSUMER', key, groupName!, consumerName]);
    const entries = readNew(s, key, gt + 1n, served, { group, groupName: groupName!, consumer, noack, records: effects });
    // Served later, the wait records its effects like an immediate read; the server hands them to this command's propagate rule.
    propagated = effects;
    dirtied(ctx);
    return perStream(ctx, [[key, entries]]);
  };
  return new BlockRequest(keys, timeout === 0 ? 0 : Date.now() + timeout, attempt, NIL_ARRAY);
}

/** XGROUP's common checks: the stream (unless MKSTREAM may create it) and, for some subcommands, the group. */
function groupTarget(ctx: CommandContext, args: string[], mkstream: boolean, needGroup: boolean): { s: StreamValue | undefined; group: ConsumerGroup | undefined } {
  const s = writeStream(ctx.client.db, args[2]);
  const group = s?.groups.get(args[3]);
  if (!mkstream) {
    if (s === undefined) {
      throw new ReplyError(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
    }
    if (group === undefined && needGroup) throw new ReplyError(`NOGROUP No such consumer group '${args[3]}' for key name '${args[2]}'`);
  }
  return { s, group };
}

/** XGROUP CREATE / SETID options from argument 5: MKSTREAM (CREATE only) and ENTRIESREAD. */
function groupOptions(args: string[], create: boolean): { mkstream: boolean; entriesRead: number } {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < args.length; ) {
    const opt = args[i].toLowerCase();
    if (create && opt === 'mkstream') {
      mkstream = true;
      i++;
    } else if (opt === 'entriesread' && i + 1 < args.length) {
      entriesRead = longLongArg(args[i + 1]);
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) throw new ReplyError('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else {
      throw unknownSubcommandOrArity(args[1], 'XGROUP');
    }
  }
  return { mkstream, entriesRead };
}

function xgroupCreate(ctx: CommandContext, args: string[]): Reply {
  const { mkstream, entriesRead } = groupOptions(args, true);
  let { s } = groupTarget(ctx, args, mkstream, false);
  if (args.length > 8) throw unknownSubcommandOrArity(args[1], 'XGROUP');
  const id = args[4] === '$' ? (s?.lastId ?? ID_ZERO) : strictId(args[4]);
  const db = ctx.client.db;
  if (s === undefined) {
    s = new StreamValue();
    db.set(args[2], s);
  }
  if (s.groups.has(args[3])) throw new ReplyError('BUSYGROUP Consumer Group name already exists');
  s.groups.set(args[3], new ConsumerGroup(id, entriesRead));
  dirtied(ctx);
  db.notify(NOTIFY.STREAM, 'xgroup-create', args[2]);
  return OK;
}

function xgroupSetid(ctx: CommandContext, args: string[]): Reply {
  const { entriesRead } = groupOptions(args, false);
  const { s, group } = groupTarget(ctx, args, false, true);
  if (args.length !== 5 && args.length !== 7) throw unknownSubcommandOrArity(args[1], 'XGROUP');
  const id = args[4] === '$' ? s!.lastId : parseIdArg(args[4], 0n, false).id;
  group!.lastId = id;
  group!.entriesRead = entriesRead;
  dirtied(ctx);
  ctx.client.db.notify(NOTIFY.STREAM, 'xgroup-setid', args[2]);
  return OK;
}

function xgroupDestroy(ctx: CommandContext, args: string[]): Reply {
  const { s, group } = groupTarget(ctx, args, false, false);
  if (group === undefined) return 0;
  s!.groups.delete(args[3]);
  const db = ctx.client.db;
  db.modified(args[2]);
  db.notify(NOTIFY.STREAM, 'xgroup-destroy', args[2]);
  return 1;
}

function xgroupCreateConsumer(ctx: CommandContext, args: string[]): Reply {
  const { group } = groupTarget(ctx, args, false, true);
  if (group!.consumers.has(args[4])) return 0;
  consumerOf(ctx, args[2], group!, args[4]);
  return 1;
}

function xgroupDelConsumer(ctx: CommandContext, args: string[]): Reply {
  const { group } = groupTarget(ctx, args, false, true);
  const consumer = group!.consumers.get(args[4]);
  if (consumer === undefined) return 0;
  const pending = consumer.pel.size;
  group!.deleteConsumer(consumer);
  dirtied(ctx);
  ctx.client.db.notify(NOTIFY.STREAM, 'xgroup-delconsumer', args[2]);
  return pending;
}

function xack(ctx: CommandContext, args: string[]): Reply {
  const s = readStream(ctx.client.db, args[1]);
  const group = s?.groups.get(args[2]);
  if (group === undefined) return 0;
  // Every ID is checked before any is acknowledged, as in Redis: all or nothing.
  const ids: (number | StreamId)[] = [];
  for (let i = 3; i < args.length; i++) {
    const key = exactOrderKey(args[i]);
    ids.push(key >= 0 ? key : strictId(args[i]));
  }
  let acknowledged = 0;
  for (const id of ids) {
    const exact = typeof id === 'number';
    const nack = exact ? group.pel.deleteExact(id) : group.pel.delete(id);
    if (nack === undefined) continue;
    if (exact) nack.consumer?.pel.deleteExact(id);
    else nack.consumer?.pel.delete(id);
    acknowledged++;
  }
  dirtied(ctx, acknowledged);
  return acknowledged;
}

function xpending(ctx: CommandContext, args: string[]): Reply {
  const argc = args.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) throw syntaxError();
  let start = ID_ZERO;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (argc >= 6) {
    let at = 3;
    if (args[3].toLowerCase() === 'idle') {
      minIdle = longLongArg(args[4]);
      if (argc < 8) throw syntaxError();
      at += 2;
    }
    count = longLongArg(args[at + 2]);
    if (count < 0) count = 0;
    start = intervalId(args[at], 0n, true);
    end = intervalId(args[at + 1], U64_MAX, false);
    if (at + 3 < argc) consumerName = args[at + 3];
  }
  const s = readStream(ctx.client.db, args[1]);
  const group = s?.groups.get(args[2]);
  if (group === undefined) throw new ReplyError(`NOGROUP No such key '${args[1]}' or consumer group '${args[2]}'`);
  if (argc === 3) {
    if (group.pel.size === 0) return [0, null, null, NIL_ARRAY];
    const owners: Reply[] = [];
    for (const consumer of group.sortedConsumers()) {
      if (consumer.pel.size > 0) owners.push([consumer.name, String(consumer.pel.size)]);
    }
    return [group.pel.size, formatId(group.pel.first()!), formatId(group.pel.last()!), owners];
  }
  let pel = group.pel;
  if (consumerName !== undefined) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) return [];
    pel = consumer.pel;
  }
  const now = Date.now();
  const out: Reply[] = [];
  if (count === 0) return out;
  for (const [id, nack] of pel.range(start, end)) {
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    out.push([formatId(id), nack.consumer?.name ?? '', Math.max(0, now - nack.deliveryTime), nack.deliveryCount]);
    if (out.length >= count) break;
  }
  return out;
}

function noGroup(key: string, group: string): ReplyError {
  return new ReplyError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
}

function xclaim(ctx: CommandContext, args: string[]): Reply {
  propagated = [];
  const db = ctx.client.db;
  const key = args[1];
  const s = readStream(db, key);
  const group = s?.groups.get(args[2]);
  if (s === undefined || group === undefined) throw noGroup(key, args[2]);
  let minIdle = longLongArg(args[4], 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  const idTexts: string[] = [];
  let j = 5;
  for (; j < args.length; j++) {
    let id: StreamId;
    try {
      id = strictId(args[j]);
    } catch {
      break;
    }
    ids.push(id);
    idTexts.push(args[j]);
  }
  const now = Date.now();
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = ID_ZERO;
  for (; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j].toLowerCase();
    if (opt === 'force') force = true;
    else if (opt === 'justid') justId = true;
    else if (opt === 'idle' && more > 0) deliveryTime = now - longLongArg(args[++j], 'ERR Invalid IDLE option argument for XCLAIM');
    else if (opt === 'time' && more > 0) deliveryTime = longLongArg(args[++j], 'ERR Invalid TIME option argument for XCLAIM');
    else if (opt === 'retrycount' && more > 0) retryCount = longLongArg(args[++j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    else if (opt === 'lastid' && more > 0) lastId = strictId(args[++j]);
    else throw new ReplyError(`ERR Unrecognized XCLAIM option '${args[j]}'`);
  }
  let propagateLastId = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | undefined;
  const out: Reply[] = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    let nack = group.pel.get(id);
    const fields = s.get(id);
    if (fields === undefined) {
      if (nack !== undefined) {
        propagated.push(claimRecord(key, args[2], group, id, nack));
        propagateLastId = false;
        dirtied(ctx);
        group.pel.delete(id);
        nack.consumer?.pel.delete(id);
      }
      continue;
    }
    if (force && nack === undefined) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: undefined };
      group.pel.set(id, nack);
    }
    if (nack === undefined) continue;
    if (nack.consumer !== undefined && minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= consumerOf(ctx, key, group, args[3]).consumer;
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    movePending(nack, id, consumer);
    out.push(justId ? formatId(id) : entryReply(id, fields));
    propagated.push(claimRecord(key, args[2], group, id, nack));
    propagateLastId = false;
    dirtied(ctx);
  }
  if (propagateLastId) {
    propagated.push(setIdRecord(key, args[2], group));
    dirtied(ctx);
  }
  return out;
}

function xautoclaim(ctx: CommandContext, args: string[]): Reply {
  propagated = [];
  let minIdle = longLongArg(args[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle < 0) minIdle = 0;
  const start = intervalId(args[5], 0n, true);
  let count = 100;
  let justId = false;
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j].toLowerCase();
    if (opt === 'count' && more > 0) {
      const value = parseInt64(args[j + 1]);
      if (value === null || value < 1 || value > 576460752303423487n) throw new ReplyError('ERR COUNT must be > 0');
      count = Number(value);
      j++;
    } else if (opt === 'justid') {
      justId = true;
    } else {
      throw syntaxError();
    }
  }
  const key = args[1];
  const s = readStream(ctx.client.db, key);
  const group = s?.groups.get(args[2]);
  if (s === undefined || group === undefined) throw noGroup(key, args[2]);
  let attempts = count * 10;
  const now = Date.now();
  let consumer: Consumer | undefined;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let cursor = group.pel.ceiling(start);
  while (attempts-- > 0 && count > 0 && cursor !== undefined) {
    const id = cursor;
    const nack = group.pel.get(id)!;
    cursor = id === ID_MAX ? undefined : group.pel.ceiling(id + 1n);
    const fields = s.get(id);
    if (fields === undefined) {
      propagated.push(claimRecord(key, args[2], group, id, nack));
      dirtied(ctx);
      group.pel.delete(id);
      nack.consumer?.pel.delete(id);
      deleted.push(formatId(id));
      count--;
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= consumerOf(ctx, key, group, args[3]).consumer;
    movePending(nack, id, consumer);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    claimed.push(justId ? formatId(id) : entryReply(id, fields));
    count--;
    propagated.push(claimRecord(key, args[2], group, id, nack));
    dirtied(ctx);
  }
  return [formatId(cursor ?? ID_ZERO), claimed, deleted];
}

// ---------------------------------------------------------------- XINFO

function streamInfo(ctx: CommandContext, args: string[]): Reply {
  const s = readStream(ctx.client.db, args[2]);
  if (s === undefined) throw noSuchKey();
  const options = args.slice(3);
  let full = false;
  let count = 10;
  if (options.length > 0) {
    if (options.length !== 1 && options.length !== 3) throw unknownSubcommandOrArity(args[1], 'XINFO');
    if (options[0].toLowerCase() !== 'full') throw unknownSubcommandOrArity(args[1], 'XINFO');
    if (options.length === 3) {
      if (options[1].toLowerCase() !== 'count') throw unknownSubcommandOrArity(args[1], 'XINFO');
      count = longLongArg(options[2]);
      if (count < 0) count = 10;
    }
    full = true;
  }
  const head: Reply[] = [
    'length', s.length,
    'radix-tree-keys', s.nodeCount,
    'radix-tree-nodes', s.radixTreeNodes(),
    'last-generated-id', formatId(s.lastId),
    'max-deleted-entry-id', formatId(s.maxDeletedId),
    'entries-added', s.entriesAdded,
    'recorded-first-entry-id', formatId(s.firstId),
  ];
  if (!full) {
    const first = s.first();
    const last = s.last();
    return new MapReply([
      ...head,
      'groups', s.groups.size,
      'first-entry', first === undefined ? null : entryReply(first.id, first.fields),
      'last-entry', last === undefined ? null : entryReply(last.id, last.fields),
    ]);
  }
  const entries: Reply[] = [];
  s.forEachInRange(ID_ZERO, ID_MAX, false, count, (id, fields) => {
    entries.push(entryReply(id, fields));
  });
  const groups: Reply[] = [];
  for (const [name, group] of s.sortedGroups()) {
    const pending: Reply[] = [];
    for (const [id, nack] of group.pel.range(ID_ZERO)) {
      if (count !== 0 && pending.length >= count) break;
      pending.push([formatId(id), nack.consumer?.name ?? '', nack.deliveryTime, nack.deliveryCount]);
    }
    const consumers: Reply[] = group.sortedConsumers().map((consumer) => {
      const own: Reply[] = [];
      for (const [id, nack] of consumer.pel.range(ID_ZERO)) {
        if (count !== 0 && own.length >= count) break;
        own.push([formatId(id), nack.deliveryTime, nack.deliveryCount]);
      }
      return new MapReply(['name', consumer.name, 'seen-time', consumer.seenTime, 'pel-count', consumer.pel.size, 'pending', own]);
    });
    groups.push(
      new MapReply([
        'name', name,
        'last-delivered-id', formatId(group.lastId),
        'entries-read', group.entriesRead === INVALID_ENTRIES_READ ? null : group.entriesRead,
        'lag', s.lag(group),
        'pel-count', group.pel.size,
        'pending', pending,
        'consumers', consumers,
      ]),
    );
  }
  return new MapReply([...head, 'entries', entries, 'groups', groups]);
}

function groupsInfo(ctx: CommandContext, args: string[]): Reply {
  const s = readStream(ctx.client.db, args[2]);
  if (s === undefined) throw noSuchKey();
  return s.sortedGroups().map(
    ([name, group]) =>
      new MapReply([
        'name', name,
        'consumers', group.consumers.size,
        'pending', group.pel.size,
        'last-delivered-id', formatId(group.lastId),
        'entries-read', group.entriesRead === INVALID_ENTRIES_READ ? null : group.entriesRead,
        'lag', s.lag(group),
      ]),
  );
}

function consumersInfo(ctx: CommandContext, args: string[]): Reply {
  const s = readStream(ctx.client.db, args[2]);
  if (s === undefined) throw noSuchKey();
  const group = s.groups.get(args[3]);
  if (group === undefined) throw new ReplyError(`NOGROUP No such consumer group '${args[3]}' for key name '${args[2]}'`);
  const now = Date.now();
  return group
    .sortedConsumers()
    .map((consumer) => new MapReply(['name', consumer.name, 'pending', consumer.pel.size, 'idle', Math.max(0, now - consumer.seenTime)]));
}

// ---------------------------------------------------------------- table

const KEY_AT_2 = { first: 2, last: 2, step: 1 };
const sub = (spec: Omit<CommandSpec, 'group'>): CommandSpec => defineCommand({ group: 'stream', ...spec });

/** The keys of XREAD / XREADGROUP: the first half of what follows STREAMS. */
function streamKeys(args: readonly string[]): string[] {
  const at = args.findIndex((a, i) => i > 0 && a.toLowerCase() === 'streams');
  if (at < 0) return [];
  const n = Math.floor((args.length - at - 1) / 2);
  return args.slice(at + 1, at + 1 + n);
}

export const streamCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'xadd', arity: -5, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.',
    summary: 'Appends an entry to a stream, creating it if needed; returns its ID.',
    syntax: 'key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]',
    propagate: xaddRecorded, run: xadd,
  }),
  defineCommand({
    name: 'xlen', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0', complexity: 'O(1)',
    summary: 'Returns the number of entries of a stream (0 when the key is missing).', syntax: 'key',
    run: (ctx, args) => readStream(ctx.client.db, args[1])?.length ?? 0,
  }),
  defineCommand({
    name: 'xrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    summary: 'Returns the entries with IDs in a range, oldest first.', syntax: 'key start end [COUNT count]',
    run: xrange(false),
  }),
  defineCommand({
    name: 'xrevrange', arity: -4, flags: ['readonly'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    summary: 'Returns the entries with IDs in a range, newest first.', syntax: 'key end start [COUNT count]',
    run: xrange(true),
  }),
  defineCommand({
    name: 'xdel', arity: -3, flags: ['write', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.',
    summary: 'Deletes entries by ID; returns how many existed.', syntax: 'key id [id ...]',
    run: xdel,
  }),
  defineCommand({
    name: 'xtrim', arity: -4, flags: ['write'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.',
    summary: 'Removes the oldest entries down to a length or up to an ID; returns how many went.',
    syntax: 'key MAXLEN|MINID [=|~] threshold [LIMIT count]',
    propagate: asRecorded, run: xtrim,
  }),
  defineCommand({
    name: 'xsetid', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0', complexity: 'O(1)',
    summary: "Sets a stream's last ID and, optionally, its added-entries counter and largest deleted ID.",
    syntax: 'key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]',
    run: xsetid,
  }),
  defineCommand({
    name: 'xread', arity: -4, flags: ['readonly', 'blocking'], keysOf: streamKeys, group: 'stream', since: '5.0.0',
    complexity: 'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.',
    summary: 'Returns entries after given IDs from one or more streams, optionally waiting for new ones.',
    syntax: '[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]',
    run: xread,
  }),
  defineCommand({
    name: 'xreadgroup', arity: -7, flags: ['write', 'blocking'], keysOf: streamKeys, group: 'stream', since: '5.0.0',
    complexity: 'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.',
    summary: "Reads entries for a consumer of a group: new ones (>) or its own pending ones, optionally waiting.",
    syntax: 'GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]',
    propagate: asRecorded, run: xread,
  }),
  defineCommand({
    name: 'xack', arity: -4, flags: ['write', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(1) for each message ID processed.',
    summary: "Removes entries from a group's pending list; returns how many were pending.", syntax: 'key group id [id ...]',
    run: xack,
  }),
  defineCommand({
    name: 'xpending', arity: -3, flags: ['readonly'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.',
    summary: "Summarises a group's pending entries, or lists them in a range, optionally by idle time and consumer.",
    syntax: 'key group [[IDLE min-idle-time] start end count [consumer]]',
    run: xpending,
  }),
  defineCommand({
    name: 'xclaim', arity: -6, flags: ['write', 'fast'], keys: ONE_KEY, group: 'stream', since: '5.0.0',
    complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.',
    summary: 'Gives pending entries idle long enough to another consumer.',
    syntax: 'key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]',
    propagate: asRecorded, run: xclaim,
  }),
  defineCommand({
    name: 'xautoclaim', arity: -6, flags: ['write', 'fast'], keys: ONE_KEY, group: 'stream', since: '6.2.0', complexity: 'O(1) if COUNT is small.',
    summary: 'Gives pending entries idle long enough to another consumer, scanning from an ID; returns a cursor too.',
    syntax: 'key group consumer min-idle-time start [COUNT count] [JUSTID]',
    propagate: asRecorded, run: xautoclaim,
  }),
  defineCommand({
    name: 'xgroup', arity: -2, flags: [], group: 'stream', since: '5.0.0', complexity: 'Depends on subcommand.',
    summary: 'Creates, changes and removes consumer groups and their consumers.',
    subcommands: [
      sub({
        name: 'create', arity: -5, flags: ['write', 'denyoom'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: 'Creates a consumer group, optionally with its stream.',
        syntax: 'key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]', run: xgroupCreate,
      }),
      sub({
        name: 'setid', arity: -5, flags: ['write'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: "Sets a group's last delivered ID.", syntax: 'key group id|$ [ENTRIESREAD entries-read]', run: xgroupSetid,
      }),
      sub({
        name: 'destroy', arity: 4, flags: ['write'], keys: KEY_AT_2, since: '5.0.0',
        complexity: 'O(N) where N is the number of entries in the group\'s pending entries list (PEL).',
        summary: 'Removes a consumer group.', syntax: 'key group', run: xgroupDestroy,
      }),
      sub({
        name: 'createconsumer', arity: 5, flags: ['write', 'denyoom'], keys: KEY_AT_2, since: '6.2.0', complexity: 'O(1)',
        summary: 'Adds a consumer to a group.', syntax: 'key group consumer', run: xgroupCreateConsumer,
      }),
      sub({
        name: 'delconsumer', arity: 5, flags: ['write'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: 'Removes a consumer from a group; returns how many entries it had pending.', syntax: 'key group consumer',
        run: xgroupDelConsumer,
      }),
      sub({
        name: 'help', arity: 2, flags: ['loading', 'stale'], since: '5.0.0', complexity: 'O(1)', summary: 'Lists the XGROUP subcommands.',
        run: () =>
          helpReply('XGROUP', [
            'CREATE <key> <groupname> <id|$> [option]',
            '    Create a new consumer group. Options are:',
            '    * MKSTREAM',
            '      Create the empty stream if it does not exist.',
            '    * ENTRIESREAD entries_read',
            "      Set the group's entries_read counter (internal use).",
            'CREATECONSUMER <key> <groupname> <consumer>',
            '    Create a new consumer in the specified group.',
            'DELCONSUMER <key> <groupname> <consumer>',
            '    Remove the specified consumer.',
            'DESTROY <key> <groupname>',
            '    Remove the specified group.',
            'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
            '    Set the current group ID and entries_read counter.',
          ]),
      }),
    ],
  }),
  defineCommand({
    name: 'xinfo', arity: -2, flags: [], group: 'stream', since: '5.0.0', complexity: 'Depends on subcommand.',
    summary: 'Describes streams, their consumer groups and consumers.',
    subcommands: [
      sub({
        name: 'stream', arity: -3, flags: ['readonly'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: 'Describes a stream, or with FULL its entries and groups in detail.', syntax: 'key [FULL [COUNT count]]',
        run: streamInfo,
      }),
      sub({
        name: 'groups', arity: 3, flags: ['readonly'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: 'Lists the consumer groups of a stream.', syntax: 'key', run: groupsInfo,
      }),
      sub({
        name: 'consumers', arity: 4, flags: ['readonly'], keys: KEY_AT_2, since: '5.0.0', complexity: 'O(1)',
        summary: 'Lists the consumers of a group.', syntax: 'key group', run: consumersInfo,
      }),
      sub({
        name: 'help', arity: 2, flags: ['loading', 'stale'], since: '5.0.0', complexity: 'O(1)', summary: 'Lists the XINFO subcommands.',
        run: () =>
          helpReply('XINFO', [
            'CONSUMERS <key> <groupname>',
            '    Show consumers of <groupname>.',
            'GROUPS <key>',
            '    Show the stream consumer groups.',
            'STREAM <key> [FULL [COUNT <count>]',
            '    Show information about the stream.',
          ]),
      }),
    ],
  }),
];
