/**
 * The time expiry decisions are made against. Redis evaluates every command
 * of a transaction at the instant EXEC started, so a key cannot vanish
 * half-way through one; EXEC freezes this clock for its duration.
 */
let frozenAt = 0;

/** Milliseconds since the epoch, or the frozen instant while a transaction runs. */
export function now(): number {
  return frozenAt || Date.now();
}

/** Runs `work` with the clock stopped at the current instant. */
export function frozen<T>(work: () => T): T {
  const outer = frozenAt;
  frozenAt = now();
  try {
    return work();
  } finally {
    frozenAt = outer;
  }
}
