/**
 * The append-only file in Redis 7's multi-part layout: in `dir`/`appenddirname`
 * a manifest names a base file (an RDB snapshot, or commands), history files
 * left by rewrites (deleted once the new manifest is in place) and the
 * incremental files that receive every write command, in RESP, as it is
 * executed. Replaying the base and then the increments rebuilds the dataset.
 *
 *   appendonly.aof.manifest:
 *     file appendonly.aof.2.base.rdb seq 2 type b
 *     file appendonly.aof.1.incr.aof seq 1 type h
 *     file appendonly.aof.2.incr.aof seq 2 type i
 *
 * Base and increments count their sequence numbers separately, as Redis does,
 * and the manifest is read with Redis's rules, so a file either server wrote
 * is read the same way by the other, and a damaged one is refused by both.
 *
 * Durability follows appendfsync: `always` writes and fsyncs the commands of
 * a turn before any reply of that turn goes out; `everysec` writes them
 * before the replies too (a killed process loses nothing the kernel has) and
 * fsyncs once a second; `no` leaves flushing to the kernel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ReplyBuffer } from '../protocol/reply.js';
import { sleepSync } from '../util/sleep.js';
import { reprArg, splitArgs } from '../util/splitargs.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface AofInfo {
  name: string;
  seq: number;
  type: 'b' | 'h' | 'i';
}

/** A manifest Redis would refuse; `line` is the trimmed line it stopped at, if it got that far. */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly line?: { number: number; text: string },
  ) {
    super(message);
  }
}

/** Redis reads a manifest line with fgets into a buffer of this many bytes (plus the NUL). */
const MANIFEST_MAX_LINE = 1024;

/** C's atoll: optional blanks and sign, then digits; 0 when there are none. */
function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** The characters for which Redis quotes a file name in the manifest (sdsneedsrepr). */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/** What the manifest says: the base, history files and increments, and the last sequence numbers used. */
export class Manifest {
  base: AofInfo | undefined;
  history: AofInfo[] = [];
  incr: AofInfo[] = [];
  baseSeq = 0;
  incrSeq = 0;

  /** Parses a manifest with Redis's checks; throws ManifestError with Redis's reason. */
  static parse(text: string): Manifest {
    const am = new Manifest();
    let maxSeq = 0;
    let at = 0;
    let number = 0;
    while (at < text.length) {
      const newline = text.indexOf('\n', at);
      const end = newline === -1 ? text.length : newline;
      // fgets stops after MANIFEST_MAX_LINE bytes: the rest of a longer line is read as the next one.
      const chunkEnd = Math.min(end, at + MANIFEST_MAX_LINE);
      const complete = chunkEnd === end && newline !== -1;
      const raw = text.slice(at, chunkEnd);
      at = complete ? end + 1 : chunkEnd;
      number++;
      if (raw.startsWith('#')) continue;
      if (!complete) throw new ManifestError('The AOF manifest file contains too long line');
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const fail = (message: string): never => {
        throw new ManifestError(message, { number, text: line });
      };
      if (line === '') fail('Invalid AOF manifest file format');
      const argv = splitArgs(line);
      // Fewer than six words is an error, more is allowed (keys of later versions).
      if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format');
      let name: string | undefined;
      let seq = 0;
      let type = '';
      for (let i = 0; i < argv!.length; i += 2) {
        const key = argv![i].toLowerCase();
        if (key === 'file') {
          name = argv![i + 1];
          if (name.includes('/') || name.includes('\\')) fail("File can't be a path, just a filename");
        } else if (key === 'seq') {
          seq = atoll(argv![i + 1]);
        } else if (key === 'type') {
          type = argv![i + 1].charAt(0);
        }
      }
      if (name === undefined || seq === 0 || type === '') fail('Invalid AOF manifest file format');
      const info = { name: name!, seq, type } as AofInfo;
      if (type === 'b') {
        if (am.base) fail('Found duplicate base file information');
        am.base = info;
        am.baseSeq = seq;
      } else if (type === 'h') {
        am.history.push(info);
      } else if (type === 'i') {
        if (seq <= maxSeq) fail('Found a non-monotonic sequence number');
        am.incr.push(info);
        am.incrSeq = seq;
        maxSeq = seq;
      } else {
        fail('Unknown AOF file type');
      }
    }
    if (number === 0) throw new ManifestError('Found an empty AOF manifest');
    return am;
  }

  /** The manifest's text: base, then history, then increments. */
  format(): string {
    let out = '';
    for (const info of [...(this.base ? [this.base] : []), ...this.history, ...this.incr]) {
      out += `file ${needsRepr(info.name) ? reprArg(info.name) : info.name} seq ${info.seq} type ${info.type}\n`;
    }
    return out;
  }

  clone(): Manifest {
    const copy = new Manifest();
    copy.base = this.base && { ...this.base };
    copy.history = this.history.map((e) => ({ ...e }));
    copy.incr = this.incr.map((e) => ({ ...e }));
    copy.baseSeq = this.baseSeq;
    copy.incrSeq = this.incrSeq;
    return copy;
  }

  get empty(): boolean {
    return this.base === undefined && this.incr.length === 0;
  }

  /** The base and increments, in loading order. */
  get loadOrder(): AofInfo[] {
    return [...(this.base ? [this.base] : []), ...this.incr];
  }

  /** Names the next base (`.rdb` or `.aof` as its format) and turns the current one into history. */
  newBase(fileName: string, rdb: boolean): string {
    if (this.base) {
      this.base.type = 'h';
      this.history.unshift(this.base);
    }
    this.baseSeq++;
    this.base = { name: `${fileName}.${this.baseSeq}.base.${rdb ? 'rdb' : 'aof'}`, seq: this.baseSeq, type: 'b' };
    return this.base.name;
  }

  newIncr(fileName: string): string {
    this.incrSeq++;
    const name = `${fileName}.${this.incrSeq}.incr.aof`;
    this.incr.push({ name, seq: this.incrSeq, type: 'i' });
    return name;
  }

  /** The increment to append to at start-up: the last one, or a new one. */
  lastIncr(fileName: string): string {
    return this.incr.length > 0 ? this.incr[this.incr.length - 1].name : this.newIncr(fileName);
  }

  /** After a rewrite: the increments it covers become history, all but the one being written (`keepLast`). */
  markIncrHistory(keepLast: boolean): void {
    const covered = keepLast ? this.incr.slice(0, -1) : this.incr;
    this.incr = keepLast ? this.incr.slice(-1) : [];
    for (const info of covered) this.history.unshift({ ...info, type: 'h' });
  }
}

/** The name Redis gives the increment that collects writes while the first rewrite after CONFIG SET appendonly yes runs. */
export function tempIncrName(fileName: string): string {
  return `temp-${fileName}.incr`;
}

/** Writes `text` to `file` crash-safely: a temporary file, fsync, rename, fsync of the directory. */
export function writeFileDurably(file: string, temp: string, text: string): void {
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, text, null, 'latin1');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** RESP for one command. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

/**
 * Propagated commands in RESP, as the append-only file and the replication
 * stream both receive them: a SELECT goes first when the database changes,
 * and the commands of a transaction or script (between begin and end) are
 * wrapped in MULTI/EXEC when there is more than one, as Redis 7.0 wraps them.
 */
export class CommandStream {
  /**
   * Encoded straight into bytes, as replies are: a string grown by `+=`
   * made a rope piece per argument, flattened again at every write, 7% of a
   * master's CPU per LPUSH with a replica attached.
   */
  private readonly pending = new ReplyBuffer();
  /** Database the last appended command ran in. */
  private selected = -1;
  private depth = 0;
  /** Where MULTI goes when the outermost transaction ends: after the SELECT of its first command. */
  private wrapAt = 0;
  /** Where the outermost open transaction began. */
  private beganAt = 0;
  private commands = 0;
  private commandsAtBegin = 0;

  append(db: number, args: readonly string[]): void {
    if (db !== this.selected) {
      this.pending.command(['SELECT', String(db)]);
      this.selected = db;
      if (this.depth > 0 && this.commands === this.commandsAtBegin) this.wrapAt = this.pending.length;
    }
    this.pending.command(args);
    this.commands++;
  }

  /** A command that does not depend on the database (the replication PING, REPLCONF GETACK). */
  appendAnyDb(args: readonly string[]): void {
    this.pending.command(args);
  }

  /** Text that is no command (an AOF timestamp annotation). */
  appendRaw(text: string): void {
    this.pending.latin1(text);
  }

  /** The database the stream is in (-1: none yet, the next command goes after a SELECT). */
  get selectedDb(): number {
    return this.selected;
  }

  /** The next command is sent after a SELECT whatever its database (a new replica, a new file). */
  forgetDb(): void {
    this.selected = -1;
  }

  get length(): number {
    return this.pending.length;
  }

  begin(): void {
    if (this.depth++ > 0) return;
    this.wrapAt = this.pending.length;
    this.beganAt = this.pending.length;
    this.commandsAtBegin = this.commands;
  }

  /**
   * The open transaction will not travel (the server became a replica inside it, and a replica
   * propagates only its master's stream): what it appended goes, what came before it stays.
   */
  dropOpen(): void {
    if (this.depth === 0) return;
    this.pending.length = this.beganAt;
    this.commandsAtBegin = this.commands;
    // Its SELECT went with it.
    this.selected = -1;
  }

  end(): void {
    // A stream created inside the transaction (CONFIG SET appendonly yes in MULTI) saw no begin.
    if (this.depth === 0 || --this.depth > 0) return;
    if (this.commands - this.commandsAtBegin < 2) return;
    const wrapped = Buffer.from(this.pending.pending().subarray(this.wrapAt));
    this.pending.length = this.wrapAt;
    this.pending.latin1(MULTI);
    this.pending.bytes(wrapped);
    this.pending.latin1(EXEC);
  }

  /** Drops what was appended and not taken (a transaction open stays open). */
  clear(): void {
    this.pending.clear();
    this.wrapAt = 0;
  }

  /**
   * What was appended since the last take, in place: valid until the next
   * append, so the caller writes or copies it at once. Nothing while a
   * transaction is open (it must leave whole).
   */
  take(): Buffer {
    if (this.depth > 0 || this.pending.length === 0) return EMPTY;
    const out = this.pending.pending();
    this.pending.clear();
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

/** How reading the commands of an AOF file ended. */
export type ParseEnd =
  | { kind: 'ok' }
  /** The file ends inside a command: `validUpTo` is where the last complete command ended. */
  | { kind: 'eof'; validUpTo: number }
  | { kind: 'format' };

/** atoll over the bytes `from`..`to` of a header line: C's rules, as `atoll` has them for strings. */
function atollBytes(bytes: Buffer, from: number, to: number): number {
  let at = from;
  while (at < to && isCSpace(bytes[at])) at++;
  let sign = 1;
  if (at < to && (bytes[at] === 0x2b || bytes[at] === 0x2d)) sign = bytes[at++] === 0x2d ? -1 : 1;
  let value = 0;
  for (; at < to; at++) {
    const digit = bytes[at] - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return sign * value;
}

/** isspace in the C locale: space, \t, \n, \v, \f, \r. */
const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Reads the commands of an AOF file (or of a master's replication stream)
 * from `start` as Redis's loader does: `#` lines are annotations
 * (timestamps), every command is `*<argc>` and `$<len>` headers; `run` gets
 * each one with the offset where it ends, and stops the reading by returning false.
 * Headers are read from the bytes in place: a replica runs this on every
 * command its master sends, and a string per header line measured as a third of its CPU.
 */
export function parseCommands(bytes: Buffer, start: number, run: (args: string[], end: number) => boolean | void): ParseEnd {
  const length = bytes.length;
  let at = start;
  let validUpTo = start;
  for (;;) {
    if (at >= length) return { kind: 'ok' };
    const first = bytes[at];
    let newline = bytes.indexOf(10, at);
    let lineEnd = newline === -1 ? length : newline + 1;
    if (first === 0x23) {
      at = validUpTo = lineEnd;
      continue;
    }
    if (first !== 0x2a) return { kind: 'format' };
    if (lineEnd - at === 1) return { kind: 'eof', validUpTo };
    const argc = atollBytes(bytes, at + 1, lineEnd);
    if (argc < 1) return { kind: 'format' };
    at = lineEnd;
    // Grown as arguments arrive, not sized by a header that may be corrupt.
    const args: string[] = [];
    for (let j = 0; j < argc; j++) {
      if (at >= length) return { kind: 'eof', validUpTo };
      if (bytes[at] !== 0x24) return { kind: 'format' };
      newline = bytes.indexOf(10, at);
      lineEnd = newline === -1 ? length : newline + 1;
      const len = atollBytes(bytes, at + 1, lineEnd);
      at = lineEnd;
      // The argument and the CRLF after it (not checked, as Redis does not check it).
      if (at + len + 2 > length) return { kind: 'eof', validUpTo };
      args.push(bytes.toString('latin1', at, at + len));
      at += len + 2;
    }
    if (run(args, at) === false) return { kind: 'ok' };
    validUpTo = at;
  }
}

/** The increment being appended to: commands are queued during a turn and written before its replies. */
export class AppendOnlyFile {
  private fd: number | undefined;
  /** The commands not yet written. */
  readonly stream = new CommandStream();
  private lastFsync = 0;
  /** Second of the last `#TS:` annotation (aof-timestamp-enabled). */
  private annotated = 0;
  /** Bytes in the increment being written. */
  size = 0;
  /** DEBUG AOF-FLUSH-SLEEP: a pause before each write, so tests can watch replies wait for it. */
  flushSleepUs = 0;

  constructor(private readonly timestamps: () => boolean) {}

  get open(): boolean {
    return this.fd !== undefined;
  }

  /** Starts appending to `file`: at its end, or from empty with `truncate`. */
  openFile(file: string, truncate: boolean): void {
    this.close();
    this.fd = fs.openSync(file, truncate ? 'w' : 'a', 0o644);
    this.size = fs.fstatSync(this.fd).size;
    this.stream.forgetDb();
  }

  /** Writes what is queued, fsyncs and closes. */
  close(): void {
    if (this.fd === undefined) return;
    this.write('always');
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Closes without writing what is queued (a temporary increment whose rewrite failed). */
  discard(): void {
    this.stream.clear();
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.size = 0;
  }

  /** The next command goes with a SELECT whatever database it runs in (a new increment starts). */
  forgetSelected(): void {
    this.stream.forgetDb();
  }

  /** Queues a command executed in database `db`; `write` puts it in the file. */
  append(db: number, args: readonly string[]): void {
    if (this.fd === undefined) return;
    if (this.timestamps()) {
      const now = Math.floor(Date.now() / 1000);
      if (this.annotated < now) {
        this.annotated = now;
        this.stream.appendRaw(`#TS:${now}\r\n`);
      }
    }
    this.stream.append(db, args);
  }

  /** Writes the queued commands; fsyncs as `policy` says (everysec: at most once a second). */
  write(policy: FsyncPolicy): void {
    if (this.fd === undefined) return;
    const pending = this.stream.take();
    if (pending.length > 0) {
      if (this.flushSleepUs > 0) sleepSync(this.flushSleepUs / 1000);
      fs.writeSync(this.fd, pending);
      this.size += pending.length;
      if (policy === 'always') fs.fsyncSync(this.fd);
    }
    if (policy === 'everysec' && Date.now() - this.lastFsync >= 1000) {
      this.lastFsync = Date.now();
      fs.fsyncSync(this.fd);
    }
  }
}
