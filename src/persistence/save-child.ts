/**
 * The child process of a background save. Node cannot fork, so the snapshot
 * is still made in steps in this process; the child is the one that writes
 * the bytes to the temporary file (or passes them on to the replicas of a
 * disk-less sync), and it is a real child the way Redis's fork is: its pid
 * names the file (temp-<pid>.rdb, temp-rewriteaof-bg-<pid>.aof), tools and
 * operators see it (pgrep -P, the OOM killer, oom-score-adj's background
 * class), killing it fails the save, and it ends by itself when this process
 * dies, since its input closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnded } from '../util/cpu.js';

/**
 * Bytes handed to the child but not yet taken by it, past which the snapshot
 * waits: the pipe absorbs a slow disk without the whole file piling up in memory.
 */
const CHILD_BACKLOG_BYTES = 4 << 20;

/** How a child ended: its exit code, or the signal that killed it, and what it wrote to stderr. */
export interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Where a child puts its bytes: a file named after its own pid (a background
 * save), a file named here (the final save at shutdown, which Redis makes in
 * the server process, so the name carries the server's pid), or back to a
 * function as they pass (a relay).
 */
export type ChildTarget =
  | { readonly prefix: string; readonly suffix: string }
  | { readonly name: string }
  | { readonly relay: (bytes: Buffer) => void };

export class SaveChild {
  readonly pid: number;
  /** The temporary file the child writes, in `dir`; none for a relay. */
  readonly file: string | undefined;
  /** How long the spawn held the event loop (INFO latest_fork_usec). */
  readonly spawnUs: number;
  private readonly child: ChildProcess;
  private end: ChildEnd | undefined;
  private whenEnded: ((end: ChildEnd) => void) | undefined;
  private stderr = '';

  /** Starts a child that writes what it is given to its file in `dir`, or hands it back as it passes (see ChildTarget); throws if none can start. */
  constructor(dir: string, into: ChildTarget) {
    const started = performance.now();
    // exec keeps the shell's pid for cat, so $$ is the pid of the process that holds the file open.
    this.child =
      'prefix' in into
        ? spawn('/bin/sh', ['-c', 'exec cat >"$0$$$1"', into.prefix, into.suffix], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] })
        : 'name' in into
          ? spawn('/bin/sh', ['-c', 'exec cat >"$0"', into.name], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] })
          : spawn('cat', [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.spawnUs = Math.round((performance.now() - started) * 1000);
    // A failed spawn reports itself as an event too; the missing pid already says it here.
    this.child.on('error', () => {});
    if (this.child.pid === undefined) throw new Error(`fork: cannot start a child in ${dir}`);
    this.pid = this.child.pid;
    this.file = 'prefix' in into ? path.join(dir, `${into.prefix}${this.pid}${into.suffix}`) : 'name' in into ? path.join(dir, into.name) : undefined;
    if ('relay' in into) this.child.stdout!.on('data', into.relay);
    // A child that died has closed its end: the exit status tells, not the broken pipe.
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.setEncoding('latin1');
    this.child.stderr!.on('data', (text: string) => {
      this.stderr += text;
    });
    this.child.on('close', (code, signal) => {
      childEnded();
      this.end = { code, signal, stderr: this.stderr.trim() };
      this.whenEnded?.(this.end);
    });
  }

  write(bytes: Buffer): void {
    this.child.stdin!.write(bytes);
  }

  /** The child is behind with the bytes it was given: the snapshot waits. */
  get behind(): boolean {
    return this.child.stdin!.writableLength > CHILD_BACKLOG_BYTES;
  }

  /** Called once, when the child is gone (by itself, or killed by anyone). */
  set ended(then: (end: ChildEnd) => void) {
    this.whenEnded = then;
    if (this.end !== undefined) then(this.end);
  }

  /** Every byte is given: the child writes the rest and exits. */
  finish(): void {
    this.child.stdin!.end();
  }

  /** Stops the child (a save stopped on purpose, with Redis's SIGUSR1) and removes its file. */
  kill(): void {
    this.whenEnded = undefined;
    this.child.stdout?.removeAllListeners('data');
    this.child.kill('SIGUSR1');
    if (this.file !== undefined) fs.rmSync(this.file, { force: true });
  }
}

/**
 * Makes a finished child's file durable, off the event loop (the fsync of a
 * large file takes a hundred milliseconds or more, which every client would
 * wait), then, given a target, renames it there and syncs the directory.
 */
export async function commitFile(file: string, target?: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (target === undefined) return;
  await fs.promises.rename(file, target);
  const dir = await fs.promises.open(path.dirname(target), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A save child that did not exit with 0: Redis's lines for it name the signal or the error. */
export class ChildFailed extends Error {
  /** The signal's number, as Redis logs it; undefined when the child exited with an error. */
  readonly signal: number | undefined;

  constructor(readonly end: ChildEnd) {
    super(end.stderr || (end.signal !== null ? `terminated by signal ${end.signal}` : `exited with ${end.code}`));
    this.signal = end.signal !== null ? os.constants.signals[end.signal] : undefined;
  }

  /** Killed on purpose (a save stopped by the server): not a failure to report in INFO. */
  get stopped(): boolean {
    return this.signal === os.constants.signals.SIGUSR1;
  }
}
