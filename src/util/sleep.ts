/** Blocks the whole process for `ms` milliseconds (DEBUG SLEEP, DEBUG AOF-FLUSH-SLEEP), as Redis's usleep does. */
export function sleepSync(ms: number): void {
  const until = performance.now() + ms;
  const lock = new Int32Array(new SharedArrayBuffer(4));
  while (performance.now() < until) Atomics.wait(lock, 0, 0, Math.max(1, until - performance.now()));
}

/**
 * key-load-delay's pause after each key loaded, as Redis's debugDelay: `us`
 * microseconds, or with a negative value 1 µs once in -us keys on average.
 * A sleep of the system costs about half a millisecond here whatever is
 * asked, so short pauses add up and are slept once they reach a millisecond.
 */
export class KeyDelay {
  private owedMs = 0;

  constructor(private readonly us: number) {}

  afterKey(): void {
    this.owedMs += this.us > 0 ? this.us / 1000 : Math.random() * -this.us < 1 ? 0.001 : 0;
    if (this.owedMs < 1) return;
    const started = performance.now();
    sleepSync(this.owedMs);
    this.owedMs -= performance.now() - started;
  }
}
