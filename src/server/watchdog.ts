/**
 * watchdog-period, Redis's software watchdog: every run of the server cron
 * arms it for that many milliseconds; when the cron does not come back in
 * time (a command, a script or a load holds the event loop), the log gets
 * "--- WATCHDOG TIMER EXPIRED ---" and the main thread's stack, once per
 * stall, as Redis writes them from its SIGALRM handler. A worker thread
 * keeps the time: the cron's only cost is one atomic store, and the worker
 * exists only while the watchdog is on.
 */
import { Worker } from 'node:worker_threads';

/** Cells of the shared array: when the cron last armed it (ms since the epoch), the period (ms). */
export const ARMED_AT = 0;
export const PERIOD = 1;

export interface WatchdogSetup {
  readonly cells: BigInt64Array;
  /** Where the log goes: the logfile, or stdout when empty. */
  readonly logfile: string;
}

export class Watchdog {
  private readonly cells = new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
  private worker: Worker | undefined;

  constructor(private readonly logfile: string) {}

  /** The cron ran: the period starts again. */
  arm(): void {
    if (this.worker !== undefined) Atomics.store(this.cells, ARMED_AT, BigInt(Date.now()));
  }

  /** A new period in milliseconds; 0 turns the watchdog off. */
  setPeriod(ms: number): void {
    if (ms === 0) {
      this.stop();
      return;
    }
    Atomics.store(this.cells, PERIOD, BigInt(ms));
    if (this.worker !== undefined) {
      // It may be waiting for the end of a longer period.
      this.worker.postMessage('period');
      return;
    }
    Atomics.store(this.cells, ARMED_AT, BigInt(Date.now()));
    const setup: WatchdogSetup = { cells: this.cells, logfile: this.logfile };
    const worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), { workerData: setup });
    // It never keeps the process alive, and ends with it.
    worker.unref();
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
  }

  stop(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}

/** As Redis: a period under two cron intervals (at `hz`) would expire between runs of a healthy cron, so CONFIG SET raises it to that. */
export function minimumWatchdogPeriod(hz: number): number {
  return Math.floor(1000 / hz) * 2;
}
