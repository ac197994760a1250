/** Blocks the whole process for `ms` milliseconds (DEBUG SLEEP, DEBUG AOF-FLUSH-SLEEP), as Redis's usleep does. */
export function sleepSync(ms: number): void {
  const until = performance.now() + ms;
  const lock = new Int32Array(new SharedArrayBuffer(4));
  while (performance.now() < until) Atomics.wait(lock, 0, 0, Math.max(1, until - performance.now()));
}
