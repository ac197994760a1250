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
  const outer = freeze(now());
  try {
    return work();
  } finally {
    unfreeze(outer);
  }
}

/** Stops the clock at `at` (unless it is stopped already); returns what `unfreeze` restores. For hot paths that cannot afford `frozen`'s closure. */
export function freeze(at: number): number {
  const outer = frozenAt;
  if (outer === 0) frozenAt = at;
  return outer;
}

export function unfreeze(outer: number): void {
  frozenAt = outer;
}
