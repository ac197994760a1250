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

export class AppendOnlyFile {
  private fd: number | undefined;
  private pending = '';
  /** Database the last appended command ran in; a SELECT goes first when it changes. */
  private selected = -1;
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
    this.selected = -1;
  }

  closeIncrement(): void {
    if (this.fd === undefined) return;
    this.write('always');
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Queues a command executed in database `db`; `write` puts it in the file. */
  append(db: number, args: readonly string[]): void {
    if (this.fd === undefined) return;
    if (db !== this.selected) {
      this.pending += encodeCommand(['SELECT', String(db)]);
      this.selected = db;
    }
    this.pending += encodeCommand(args);
  }

  /** Length of what is queued, to wrap a transaction's commands afterwards. */
  get pendingLength(): number {
    return this.pending.length;
  }

  /** Wraps what was queued since `from` in MULTI ... EXEC. */
  wrapTransaction(from: number): void {
    if (this.pending.length === from) return;
    this.pending = this.pending.slice(0, from) + encodeCommand(['MULTI']) + this.pending.slice(from) + encodeCommand(['EXEC']);
  }

  /** Writes the queued commands; fsyncs as `policy` says (everysec: at most once a second). */
  write(policy: FsyncPolicy): void {
    if (this.fd === undefined) return;
    if (this.pending.length > 0) {
      const bytes = Buffer.from(this.pending, 'latin1');
      this.pending = '';
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
