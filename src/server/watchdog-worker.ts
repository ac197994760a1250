/**
 * The worker thread of watchdog.ts. It sleeps until the period since the
 * cron last armed the watchdog is over, and if the cron has not armed it
 * again by then, logs the expiry and the main thread's stack in the lines
 * Redis's signal handler writes. The stack comes from the inspector: an
 * expression it evaluates on the main thread runs at V8's next interrupt
 * check, which a loop of JavaScript and Atomics.wait (DEBUG SLEEP) both
 * serve at once; inside a blocking system call it waits for the call's end.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import { ARMED_AT, PERIOD, type WatchdogSetup } from './watchdog.js';

const { cells, logfile } = workerData as WatchdogSetup;

/** The stack where the main thread is, from inside the expression: its own frames come first. */
const STACK = '(() => { const limit = Error.stackTraceLimit; Error.stackTraceLimit = 100; try { return new Error().stack; } finally { Error.stackTraceLimit = limit; } })()';
const OWN_FRAME = /^at (\S+ \()?<anonymous>:\d+:\d+\)?$/;

/** As Redis's serverLogFromHandler: no time of day, which is not safe to format in a signal handler. */
function logFromHandler(text: string): void {
  write(`${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) ${text}\n`);
}

function write(text: string): void {
  try {
    if (logfile === '') fs.writeSync(1, text);
    else fs.appendFileSync(logfile, text);
  } catch {
    // A log that cannot take it now (stdout a full pipe) loses this report, not the watchdog.
  }
}

function expired(): void {
  logFromHandler('\n--- WATCHDOG TIMER EXPIRED ---');
  const session = new Session();
  session.connectToMainThread();
  session.post('Runtime.evaluate', { expression: STACK }, (error, answer) => {
    session.disconnect();
    const stack = error === null ? String(answer.result.value ?? '') : '';
    const frames = stack.split('\n').slice(1).map((line) => line.trim()).filter((line) => !OWN_FRAME.test(line));
    // No frame: it ran between two callbacks, so the loop turns but the cron did not run (a load holds it back).
    if (frames.length === 0) frames.push(error === null ? '(between callbacks of the event loop)' : `(no stack: ${error.message})`);
    write(`\n------ STACK TRACE ------\nEIP:\n${frames[0]}\n\nBacktrace:\n${frames.join('\n')}\n`);
    logFromHandler('--------\n');
  });
}

let timer: NodeJS.Timeout | undefined;
/** The arming that last expired: as Redis's one-shot timer, one stall logs once. */
let expiredFor = -1n;

function check(): void {
  clearTimeout(timer);
  const armedAt = Atomics.load(cells, ARMED_AT);
  const period = Number(Atomics.load(cells, PERIOD));
  const left = Number(armedAt) + period - Date.now();
  if (left <= 0 && armedAt !== expiredFor) {
    expiredFor = armedAt;
    expired();
  }
  timer = setTimeout(check, left > 0 ? left : period);
}

// A new period may end sooner than the one being waited for.
parentPort!.on('message', check);
check();
