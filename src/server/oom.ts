/**
 * oom-score-adj: on Linux the server sets its own /proc/self/oom_score_adj
 * from oom-score-adj-values (master, replica, background child), absolute
 * or relative to the value it found when it first took control, and puts
 * that value back when the directive is turned off, as Redis does. A save
 * child gets the background class from us, since it runs no code of ours.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

const PROC_FILE = '/proc/self/oom_score_adj';
/** Indexes into oom-score-adj-values. */
const MASTER = 0;
const REPLICA = 1;
const BACKGROUND_CHILD = 2;

export class OomScoreAdj {
  /** The value found before the server first changed it; undefined while the server leaves it alone. */
  private base: number | undefined;

  constructor(
    private readonly config: Config,
    private readonly warn: (message: string) => void,
    private readonly isReplica: () => boolean,
  ) {}

  /** Applies the current directives; throws (vetoing a CONFIG SET) when the kernel refuses. */
  apply(): void {
    if (process.platform !== 'linux') return;
    let value: number;
    if (this.config.get('oom-score-adj') !== 'no') {
      value = this.valueOf(this.isReplica() ? REPLICA : MASTER);
    } else if (this.base !== undefined) {
      value = this.base;
      this.base = undefined;
    } else {
      return;
    }
    try {
      writeFileSync(PROC_FILE, `${value}\n`);
    } catch (err) {
      this.warn(`Unable to write oom_score_adj: ${(err as Error).message}`);
      throw new Error('Failed to set current oom_score_adj. Check server logs.');
    }
  }

  /** A save child started: it gets the background class, if the directive is on (a failure only warns). */
  applyToChild(pid: number): void {
    if (process.platform !== 'linux' || this.config.get('oom-score-adj') === 'no') return;
    try {
      writeFileSync(`/proc/${pid}/oom_score_adj`, `${this.valueOf(BACKGROUND_CHILD)}\n`);
    } catch (err) {
      this.warn(`Unable to write oom_score_adj of the background child: ${(err as Error).message}`);
    }
  }

  /** The score for a class; the first call reads the score the server was started with. */
  private valueOf(index: number): number {
    this.base ??= Number.parseInt(readFileSync(PROC_FILE, 'utf8'), 10);
    let value = Number(this.config.get('oom-score-adj-values')!.split(' ')[index]);
    const mode = this.config.get('oom-score-adj');
    if (mode === 'relative' || mode === 'yes') value += this.base;
    return Math.min(1000, Math.max(-1000, value));
  }
}
