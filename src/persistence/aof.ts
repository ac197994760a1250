/**
 * The append-only file in Redis 7's multi-part layout: in `dir`/`appenddirname`
 * a manifest names a base file (an RDB snapshot) and an incremental file that
 * receives every write command, in RESP, as it is executed. Replaying the
 * base and then the increments rebuilds the dataset.
 *
 *   appendonly.aof.manifest:
 *     file appendonly.aof.1.base.rdb seq 1 type b
 *     file appendonly.aof.1.incr.aof seq 1 type i
 *
 * Durability follows appendfsync: `always` writes and fsyncs the commands of
 * a turn before any reply of that turn goes out; `everysec` writes them
 * before the replies too (a killed process loses nothing the kernel has) and
 * fsyncs once a second; `no` leaves flushing to the kernel.
 */
import fs from 'node:fs';
import path from 'node:path';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface ManifestEntry {
  readonly name: string;
  readonly seq: number;
  readonly type: 'b' | 'i';
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
  private pending = '';
  /** Database the last appended command ran in. */
  private selected = -1;
  private depth = 0;
  /** Where MULTI goes when the outermost transaction ends: after the SELECT of its first command. */
  private wrapAt = 0;
  private commands = 0;
  private commandsAtBegin = 0;

  append(db: number, args: readonly string[]): void {
    if (db !== this.selected) {
      this.pending += encodeCommand(['SELECT', String(db)]);
      this.selected = db;
      if (this.depth > 0 && this.commands === this.commandsAtBegin) this.wrapAt = this.pending.length;
    }
    this.pending += encodeCommand(args);
    this.commands++;
  }

  /** A command that does not depend on the database (the replication PING, REPLCONF GETACK). */
  appendAnyDb(args: readonly string[]): void {
    this.pending += encodeCommand(args);
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
    this.commandsAtBegin = this.commands;
  }

  end(): void {
    // A stream created inside the transaction (CONFIG SET appendonly yes in MULTI) saw no begin.
    if (this.depth === 0 || --this.depth > 0) return;
    if (this.commands - this.commandsAtBegin < 2) return;
    this.pending = this.pending.slice(0, this.wrapAt) + MULTI + this.pending.slice(this.wrapAt) + EXEC;
  }

  /** What was appended since the last take; nothing while a transaction is open (it must leave whole). */
  take(): string {
    if (this.depth > 0 || this.pending.length === 0) return '';
    const out = this.pending;
    this.pending = '';
    return out;
  }
}

const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

export class AppendOnlyFile {
  private fd: number | undefined;
  /** The commands not yet written. */
  readonly stream = new CommandStream();
  private lastFsync = 0;
  /** Bytes appended since the current base was written (INFO aof_current_size, auto-rewrite). */
  incrementSize = 0;
  baseSize = 0;

  constructor(
    readonly dir: string,
    private readonly fileName: string,
  ) {}

  get manifestPath(): string {
    return path.join(this.dir, `${this.fileName}.manifest`);
  }

  /** The files the manifest names, base first; undefined when there is no manifest. */
  readManifest(): ManifestEntry[] | undefined {
    if (!fs.existsSync(this.manifestPath)) return undefined;
    const entries: ManifestEntry[] = [];
    for (const line of fs.readFileSync(this.manifestPath, 'latin1').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const words = line.trim().split(/\s+/);
      const field = (name: string): string | undefined => {
        const at = words.indexOf(name);
        return at >= 0 ? words[at + 1] : undefined;
      };
      const name = field('file');
      const seq = Number(field('seq'));
      const type = field('type');
      if (name === undefined || !Number.isInteger(seq) || (type !== 'b' && type !== 'i' && type !== 'h')) {
        throw new Error(`Invalid AOF manifest line in ${this.manifestPath}: ${line}`);
      }
      // History files ('h') are left from rewrites and not loaded.
      if (type !== 'h') entries.push({ name, seq, type });
    }
    entries.sort((a, b) => (a.type === b.type ? a.seq - b.seq : a.type === 'b' ? -1 : 1));
    return entries;
  }

  /** Writes the manifest crash-safely (temporary file, fsync, rename). */
  writeManifest(entries: readonly ManifestEntry[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const text = entries.map((e) => `file ${e.name} seq ${e.seq} type ${e.type}\n`).join('');
    const temp = `${this.manifestPath}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.manifestPath);
  }

  baseName(seq: number): string {
    return `${this.fileName}.${seq}.base.rdb`;
  }

  incrName(seq: number): string {
    return `${this.fileName}.${seq}.incr.aof`;
  }

  /** Starts appending to the incremental file `name` (created if needed). */
  openIncrement(name: string): void {
    this.closeIncrement();
    fs.mkdirSync(this.dir, { recursive: true });
    this.fd = fs.openSync(path.join(this.dir, name), 'a');
    this.incrementSize = fs.fstatSync(this.fd).size;
    this.stream.forgetDb();
  }

  closeIncrement(): void {
    if (this.fd === undefined) return;
    this.write('always');
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Queues a command executed in database `db`; `write` puts it in the file. */
  append(db: number, args: readonly string[]): void {
    if (this.fd !== undefined) this.stream.append(db, args);
  }

  /** Writes the queued commands; fsyncs as `policy` says (everysec: at most once a second). */
  write(policy: FsyncPolicy): void {
    if (this.fd === undefined) return;
    const pending = this.stream.take();
    if (pending.length > 0) {
      const bytes = Buffer.from(pending, 'latin1');
      fs.writeSync(this.fd, bytes);
      this.incrementSize += bytes.length;
      if (policy === 'always') fs.fsyncSync(this.fd);
    }
    if (policy === 'everysec' && Date.now() - this.lastFsync >= 1000) {
      this.lastFsync = Date.now();
      fs.fsyncSync(this.fd);
    }
  }
}
