/**
 * Log lines in redis-server's format (`pid:M 25 Nov 2026 21:03:09.123 * text`),
 * so log tooling written for Redis reads ours too. Goes to `logfile`, or to
 * stdout when it is empty, filtered by `loglevel`.
 */
import { appendFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

const RANK: Record<string, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export class Logger {
  constructor(private readonly config: Config) {}

  log(level: LogLevel, message: string): void {
    if (RANK[level] < (RANK[this.config.values.loglevel] ?? RANK.notice)) return;
    const d = new Date();
    const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
    const stamp =
      `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    this.raw(`${process.pid}:M ${stamp} ${MARK[level]} ${message}\n`);
  }

  /** Text as it is, without the line prefix (the crash report's banners, as Redis's LL_RAW). */
  raw(text: string): void {
    const file = this.config.values.logfile;
    if (file === '') process.stdout.write(text);
    else appendFileSync(file, text);
  }
}
