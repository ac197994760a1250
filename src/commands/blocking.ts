/**
 * Argument parsing shared by the blocking commands (BLPOP, BZPOPMIN, ...).
 */
import { ReplyError } from '../errors.js';
import { parseFloat64 } from '../util/numbers.js';

/**
 * A timeout in seconds (decimals allowed) as the absolute deadline in ms,
 * 0 meaning wait forever, with Redis's error texts.
 */
export function deadlineArg(text: string): number {
  const seconds = parseFloat64(text);
  if (seconds === null || !Number.isFinite(seconds)) throw new ReplyError('ERR timeout is not a float or out of range');
  if (seconds < 0) throw new ReplyError('ERR timeout is negative');
  const ms = Math.ceil(seconds * 1000);
  return ms === 0 ? 0 : Date.now() + ms;
}
