/**
 * CPU time Node does not report: the main thread's own (INFO's
 * used_cpu_*_main_thread; process.cpuUsage() adds V8's and libuv's helper
 * threads) and the reaped children's, the save children (used_cpu_*_children).
 * Read from /proc on Linux; undefined elsewhere.
 */
import { openSync, readSync } from 'node:fs';

/** USER_HZ, in which /proc reports CPU times: 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  readonly mainUser: number;
  readonly mainSystem: number;
  readonly childrenUser: number;
  readonly childrenSystem: number;
}

/**
 * The stat files stay open: a read at offset 0 of a /proc file is generated
 * afresh, and opening and closing both files cost INFO a third of its time
 * (BullMQ sends INFO with every connection it makes).
 */
const openFiles = new Map<string, number>();
const scratch = Buffer.alloc(4096);

/** The fields of a /proc stat line after the command name, which may hold spaces: [0] is field 3 (state). */
function statFields(file: string): string[] | undefined {
  try {
    let fd = openFiles.get(file);
    if (fd === undefined) openFiles.set(file, (fd = openSync(file, 'r')));
    const line = scratch.toString('latin1', 0, readSync(fd, scratch, 0, scratch.length, 0));
    return line.slice(line.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const seconds = (fields: string[], field: number): number => Number(fields[field - 3]) / TICKS_PER_SECOND;

/**
 * The reaped children's CPU, kept until a child of ours ends: only then
 * can it change, and reading it from /proc/self/stat, which sums every
 * thread of the process, cost INFO a tenth of its time.
 */
let reaped: { user: number; system: number } | undefined;

/** A child process of ours has ended and been reaped: its CPU now counts among the children's. */
export function childEnded(): void {
  reaped = undefined;
}

/** Seconds of CPU: fields 14 and 15 (utime, stime) of the main thread, 16 and 17 (cutime, cstime) of the process. */
export function processCpu(): ProcessCpu | undefined {
  const main = statFields(`/proc/self/task/${process.pid}/stat`);
  if (main === undefined) return undefined;
  if (reaped === undefined) {
    const whole = statFields('/proc/self/stat');
    if (whole === undefined) return undefined;
    reaped = { user: seconds(whole, 16), system: seconds(whole, 17) };
  }
  return { mainUser: seconds(main, 14), mainSystem: seconds(main, 15), childrenUser: reaped.user, childrenSystem: reaped.system };
}
