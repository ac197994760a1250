/**
 * A counter sampled by the server cron (every 100 ms), as Redis samples its
 * instantaneous_* metrics: the rate per second over the last 16 samples.
 */
const SAMPLES = 16;
const SAMPLES_PER_SECOND = 10;

export class RateSampler {
  private readonly samples: number[] = [];

  sample(total: number): void {
    this.samples.push(total);
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  perSecond(): number {
    const samples = this.samples;
    if (samples.length < 2) return 0;
    return ((samples[samples.length - 1] - samples[0]) / (samples.length - 1)) * SAMPLES_PER_SECOND;
  }

  /** CONFIG RESETSTAT: the counter starts again from 0. */
  reset(): void {
    this.samples.length = 0;
  }
}
