/**
 * Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
 *
 * The buckets are those of an HdrHistogram over 1 ns .. 1 s with 2
 * significant digits, as Redis 7.0 keeps them: 256 exact values, then 22
 * more ranges of 128 slots, each range twice as wide as the one before. Same
 * buckets give the same percentiles and the same CDF points as Redis.
 */

/** Recorded values are clamped to this range, in nanoseconds (Redis: LATENCY_HISTOGRAM_MIN/MAX_VALUE). */
const MIN_NS = 1;
const MAX_NS = 1_000_000_000;
/** log2 of the half sub-bucket count: 2 significant digits need 256 sub-buckets. */
const HALF_MAGNITUDE = 7;
const HALF_COUNT = 1 << HALF_MAGNITUDE;
/** Enough ranges that 256 << (ranges - 1) exceeds MAX_NS. */
const BUCKET_COUNT = 23;
const COUNTS_LEN = (BUCKET_COUNT + 1) * HALF_COUNT;
/** LATENCY HISTOGRAM reports cumulative counts at 1024 ns, then every power of two above. */
const FIRST_REPORT_NS = 1024;

/** Which power-of-two range a value falls in (0 for the 256 exact values). */
function bucketOf(value: number): number {
  return 31 - Math.clz32(value | (2 * HALF_COUNT - 1)) - HALF_MAGNITUDE;
}

function indexOf(value: number): number {
  const bucket = bucketOf(value);
  // Whole nanoseconds below 2^30: a shift, where `value / 2 ** bucket` calls libm's pow for every command.
  const sub = value >>> bucket;
  return ((bucket + 1) << HALF_MAGNITUDE) + sub - HALF_COUNT;
}

/** The lowest value a slot holds. */
function valueAt(index: number): number {
  let bucket = (index >> HALF_MAGNITUDE) - 1;
  let sub = (index & (HALF_COUNT - 1)) + HALF_COUNT;
  if (bucket < 0) {
    sub -= HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

function lowestEquivalent(value: number): number {
  const width = 2 ** bucketOf(value);
  return Math.floor(value / width) * width;
}

function highestEquivalent(value: number): number {
  return lowestEquivalent(value) + 2 ** bucketOf(value) - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LEN);
  total = 0;

  recordUs(durationUs: number): void {
    const ns = Math.min(MAX_NS, Math.max(MIN_NS, durationUs * 1000));
    this.counts[indexOf(ns)]++;
    this.total++;
  }

  /** The value (ns) below which `percentile` percent of the samples lie, at the top of its slot. */
  valueAtPercentile(percentile: number): number {
    const wanted = Math.max(1, Math.trunc((Math.min(percentile, 100) / 100) * this.total + 0.5));
    let seen = 0;
    let value = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      seen += this.counts[i];
      if (seen >= wanted) {
        value = valueAt(i);
        break;
      }
    }
    return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
  }

  /**
   * The cumulative distribution at 1024 ns and each power of two above, as
   * [microseconds, count] pairs, leaving out points that add nothing. A point
   * counts every sample up to and including the slot of its power of two,
   * and is labelled by that slot's top value.
   */
  cdf(): [number, number][] {
    const points: [number, number][] = [];
    let level = FIRST_REPORT_NS;
    let levelLowest = lowestEquivalent(level);
    let index = -1;
    let value = 0;
    let top = 0;
    let cumulative = 0;
    let previous = 0;
    const emit = (): void => {
      if (cumulative > previous) points.push([Math.floor(top / 1000), cumulative]);
      previous = cumulative;
    };
    // One pass over the slots; a point is due each time the slot reached holds the next power of two.
    while (cumulative < this.total || (index < COUNTS_LEN && valueAt(index + 1) > levelLowest)) {
      for (;;) {
        if (value >= levelLowest) {
          emit();
          level *= 2;
          levelLowest = lowestEquivalent(level);
          break;
        }
        if (++index >= COUNTS_LEN) {
          emit();
          break;
        }
        cumulative += this.counts[index];
        value = valueAt(index);
        top = highestEquivalent(value);
      }
      if (index >= COUNTS_LEN) break;
    }
    return points;
  }
}
