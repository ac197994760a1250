/**
 * oom-score-adj: on Linux the server sets its own /proc/self/oom_score_adj
 * from oom-score-adj-values (master, replica, background child), absolute
 * or relative to the value it found when it first took control, and puts
 * that value back when the directive is turned off, as Redis does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

const PROC_FILE = '/proc/self/oom_score_adj';
/** Index into oom-score-adj-values of this process's class; no replication yet, so always master. */
const MASTER = 0;

export class OomScoreAdj {
  /** The value found before the server first changed it; undefined while the server leaves it alone. */
  private base: number | undefined;

  constructor(
    private readonly config: Config,
    private readonly warn: (message: string) => void,
  ) {}

  /** Applies the current directives; throws (vetoing a CONFIG SET) when the kernel refuses. */
  apply(): void {
    if (process.platform !== 'linux') return;
    const mode = this.config.get('oom-score-adj');
    let value: number;
    if (mode !== 'no') {
      this.base ??= Number.parseInt(readFileSync(PROC_FILE, 'utf8'), 10);
      value = Number(this.config.get('oom-score-adj-values')!.split(' ')[MASTER]);
      if (mode === 'relative' || mode === 'yes') value += this.base;
      value = Math.min(1000, Math.max(-1000, value));
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
}
