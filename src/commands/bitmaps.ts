/**
 * Bit-level commands over string values: SETBIT, GETBIT, BITCOUNT.
 * Bit 0 is the most significant bit of the first byte, as in Redis.
 */
import { NOTIFY } from '../store/notify.js';
import { ReplyError, syntaxError } from '../errors.js';
import type { Reply } from '../protocol/reply.js';
import { parseInt64 } from '../util/numbers.js';
import { numberArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';


/** A bit offset: non-negative and within proto-max-bulk-len bytes. */
function bitOffsetArg(ctx: CommandContext, text: string): number {
  const offset = parseInt64(text);
  if (offset === null || offset < 0 || Number(offset) / 8 >= ctx.server.config.values.protoMaxBulkLen) {
    throw new ReplyError('ERR bit offset is not an integer or out of range');
  }
  return Number(offset);
}

function setbit(ctx: CommandContext, args: string[]): Reply {
  const offset = bitOffsetArg(ctx, args[2]);
  if (args[3] !== '0' && args[3] !== '1') throw new ReplyError('ERR bit is not an integer or out of range');
  const db = ctx.client.db;
  let value = db.getString(args[1]) ?? '';
  const byteIndex = offset >> 3;
  const mask = 0x80 >> (offset & 7);
  const grows = value.length <= byteIndex;
  if (grows) value += '\0'.repeat(byteIndex + 1 - value.length);
  const byte = value.charCodeAt(byteIndex);
  const updated = args[3] === '1' ? byte | mask : byte & ~mask;
  // Rewriting the same bit is no change (WATCH must not see one), unless the string grew.
  if (updated === byte && !grows) return byte & mask ? 1 : 0;
  db.set(args[1], value.slice(0, byteIndex) + String.fromCharCode(updated) + value.slice(byteIndex + 1), true);
  db.notify(NOTIFY.STRING, 'setbit', args[1]);
  return byte & mask ? 1 : 0;
}

function getbit(ctx: CommandContext, args: string[]): Reply {
  const offset = bitOffsetArg(ctx, args[2]);
  const value = ctx.client.db.readString(args[1]) ?? '';
  const byteIndex = offset >> 3;
  if (byteIndex >= value.length) return 0;
  return value.charCodeAt(byteIndex) & (0x80 >> (offset & 7)) ? 1 : 0;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  return n;
});

function bitcount(ctx: CommandContext, args: string[]): Reply {
  if (args.length === 3 || args.length > 5) throw syntaxError();
  const value = ctx.client.db.readString(args[1]);
  if (value === undefined) return 0;
  let first = 0;
  let last = value.length * 8 - 1;
  if (args.length >= 4) {
    let start = numberArg(args[2]);
    let end = numberArg(args[3]);
    if (start < 0 && end < 0 && start > end) return 0;
    let unit = 'BYTE';
    if (args.length === 5) {
      unit = args[4].toUpperCase();
      if (unit !== 'BIT' && unit !== 'BYTE') throw syntaxError();
    }
    const total = unit === 'BIT' ? value.length * 8 : value.length;
    if (start < 0) start = Math.max(0, total + start);
    if (end < 0) end = Math.max(0, total + end);
    end = Math.min(end, total - 1);
    if (start > end) return 0;
    [first, last] = unit === 'BIT' ? [start, end] : [start * 8, end * 8 + 7];
  }
  let count = 0;
  for (let bit = first; bit <= last; ) {
    if ((bit & 7) === 0 && bit + 7 <= last) {
      count += POPCOUNT[value.charCodeAt(bit >> 3)];
      bit += 8;
    } else {
      if (value.charCodeAt(bit >> 3) & (0x80 >> (bit & 7))) count++;
      bit++;
    }
  }
  return count;
}

export const bitmapCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'setbit', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'bitmap', since: '2.2.0', complexity: 'O(1)',
    summary: 'Sets or clears one bit of a string, growing it with zero bytes; returns the previous bit.', syntax: 'key offset value',
    run: setbit,
  }),
  defineCommand({
    name: 'getbit', arity: 3, flags: ['readonly', 'fast'], keys: ONE_KEY, group: 'bitmap', since: '2.2.0', complexity: 'O(1)',
    summary: 'Returns one bit of a string (0 past its end).', syntax: 'key offset', run: getbit,
  }),
  defineCommand({
    name: 'bitcount', arity: -2, flags: ['readonly'], keys: ONE_KEY, group: 'bitmap', since: '2.6.0', complexity: 'O(N)',
    summary: 'Counts the set bits of a string, optionally within a byte or bit range.', syntax: 'key [start end [BYTE|BIT]]',
    run: bitcount,
  }),
];
