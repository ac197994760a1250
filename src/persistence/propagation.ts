/**
 * What the append-only file records for a write command that changed data:
 * usually the command as it came, but with the result of anything that would
 * come out differently when replayed later, as Redis propagates it. Relative
 * expiry becomes an absolute time, SPOP becomes SREM of what it popped,
 * INCRBYFLOAT becomes the SET of its result.
 */
import type { Database } from '../store/database.js';
import { SetReply, type Reply } from '../protocol/reply.js';

const EXPIRE_COMMANDS = new Set(['expire', 'pexpire', 'expireat', 'pexpireat']);
const SET_COMMANDS = new Set(['set', 'setex', 'psetex', 'getset', 'setnx']);

/** The commands to append for `args` (name lower-cased in `name`), run in `db`, which answered `reply`. */
export function propagation(name: string, args: string[], db: Database, reply: Reply): string[][] {
  const key = args[1];
  const exists = (): boolean => db.data.has(key);
  const when = (): string | undefined => {
    const at = db.expireTime(key);
    return at === undefined ? undefined : String(at);
  };
  if (EXPIRE_COMMANDS.has(name) || name === 'getex') {
    if (!exists()) return [['DEL', key]];
    const at = when();
    return [at === undefined ? ['PERSIST', key] : ['PEXPIREAT', key, at]];
  }
  if (SET_COMMANDS.has(name)) {
    const value = db.data.get(key);
    if (typeof value !== 'string') return [['DEL', key]];
    const at = when();
    return [at === undefined ? ['SET', key, value] : ['SET', key, value, 'PXAT', at]];
  }
  if (name === 'incrbyfloat') {
    const value = db.data.get(key);
    return typeof value === 'string' ? [['SET', key, value, 'KEEPTTL']] : [];
  }
  if (name === 'spop') {
    const members = reply instanceof SetReply ? (reply.items as string[]) : typeof reply === 'string' ? [reply] : [];
    return members.length === 0 ? [] : [['SREM', key, ...members]];
  }
  if (name === 'restore') {
    if (!exists()) return [['DEL', key]];
    return [['RESTORE', key, when() ?? '0', args[3], 'ABSTTL', 'REPLACE']];
  }
  return [args];
}
