/**
 * Key extraction for commands whose keys follow a count argument
 * (`LMPOP numkeys key ...`, `ZUNIONSTORE destination numkeys key ...`), which
 * the (first, last, step) triple cannot describe. Used by COMMAND GETKEYS.
 */
import { ReplyError } from '../errors.js';
import { parseInt64 } from '../util/numbers.js';

/**
 * Keys named by the count at `countIndex`, preceded by the argument at
 * `destinationIndex` when the command also writes a destination key.
 */
export function keysAfterCount(countIndex: number, destinationIndex?: number) {
  return (args: readonly string[]): string[] => {
    const count = parseInt64(args[countIndex] ?? '');
    if (count === null || count < 1 || countIndex + Number(count) >= args.length) {
      throw new ReplyError('ERR Invalid arguments specified for command');
    }
    const keys = args.slice(countIndex + 1, countIndex + 1 + Number(count));
    return destinationIndex === undefined ? keys : [args[destinationIndex], ...keys];
  };
}
