/**
 * What the append-only file records for a write command that changed data,
 * when the command itself would come out differently if replayed later (as
 * Redis propagates it): relative expiry becomes an absolute time, SPOP the
 * SREM of what it popped, INCRBYFLOAT the SET of its result and HINCRBYFLOAT
 * the HSET of it. A command declares its rule in the command table
 * (`propagate`); without one the command is recorded as it came.
 */
import type { Database } from '../store/database.js';
import { SetReply, type Reply } from '../protocol/reply.js';
import type { CommandContext } from '../commands/types.js';

/** Commands to record instead of `args`, given the database after the command ran, its reply and its caller. */
export type Propagation = (args: string[], db: Database, reply: Reply, ctx: CommandContext) => string[][];

/** GETDEL: the DEL it did (UNLINK with lazyfree-lazy-user-del), as Redis rewrites it. */
export const asDeletion: Propagation = (args, _db, _reply, ctx) => [
  [ctx.server.config.getBool('lazyfree-lazy-user-del') ? 'UNLINK' : 'DEL', args[1]],
];

const expiryOf = (db: Database, key: string): string | undefined => {
  const at = db.expireTime(key);
  return at === undefined ? undefined : String(at);
};

// Redis 7.0 rewrites every expiry option, PXAT included, to a bare `SET key value PXAT ms`.
const EXPIRY_OPTIONS = new Set(['ex', 'px', 'exat', 'pxat']);

/** SET and its variants (SETEX, PSETEX, GETSET, SETNX): the value, with its expiry as an absolute time. */
export const asSet: Propagation = (args, db) => {
  // Without an expiry SET and SETNX replay the same, and travel as they came (SET without its GET), as in Redis.
  const name = args[0].toLowerCase();
  if (name === 'setnx') return [args];
  if (name === 'set' && !args.some((arg, i) => i > 2 && EXPIRY_OPTIONS.has(arg.toLowerCase()))) {
    return [args.some((arg, i) => i > 2 && arg.toLowerCase() === 'get') ? args.filter((arg, i) => i < 3 || arg.toLowerCase() !== 'get') : args];
  }
  const key = args[1];
  const value = db.data.get(key);
  if (typeof value !== 'string') return [['DEL', key]];
  const at = expiryOf(db, key);
  return [at === undefined ? ['SET', key, value] : ['SET', key, value, 'PXAT', at]];
};

/** The EXPIRE family and GETEX: the expiry as an absolute time, PERSIST, or DEL when the key went. */
export const asExpiry: Propagation = (args, db) => {
  const key = args[1];
  if (!db.data.has(key)) return [['DEL', key]];
  const at = expiryOf(db, key);
  return [at === undefined ? ['PERSIST', key] : ['PEXPIREAT', key, at]];
};

/** INCRBYFLOAT: its result, so that replay does not depend on float formatting. */
export const asSetKeepTtl: Propagation = (args, db) => {
  const value = db.data.get(args[1]);
  return typeof value === 'string' ? [['SET', args[1], value, 'KEEPTTL']] : [];
};

/** HINCRBYFLOAT: the HSET of its result (the reply), for the same reason. */
export const asHset: Propagation = (args, _db, reply) =>
  typeof reply === 'string' ? [['HSET', args[1], args[2], reply]] : [];

/** SPOP: the members it popped (a random choice replay would not repeat). */
export const asSrem: Propagation = (args, _db, reply) => {
  const members = reply instanceof SetReply ? (reply.items as string[]) : typeof reply === 'string' ? [reply] : [];
  return members.length === 0 ? [] : [['SREM', args[1], ...members]];
};

/** RESTORE: as it came, but a relative TTL becomes the absolute time with ABSTTL appended, as Redis rewrites it. */
export const asAbsoluteRestore: Propagation = (args, db) => {
  const key = args[1];
  if (!db.data.has(key)) return [['DEL', key]];
  const at = expiryOf(db, key);
  if (at === undefined || args.some((arg, i) => i > 3 && arg.toLowerCase() === 'absttl')) return [args];
  const rewritten = args.slice();
  rewritten[2] = at;
  rewritten.push('ABSTTL');
  return [rewritten];
};

/**
 * The pops from the first non-empty of several keys (BLPOP, LMPOP, BZPOPMIN,
 * ZMPOP and their kin): the single-key pop (`pop`, named from the arguments)
 * of the key served, as Redis propagates them, so that replay neither waits
 * nor picks another key. `counted`: with the COUNT of what came out, read
 * from the nested reply [key, [popped...]].
 */
export const asSingleKeyPop = (pop: (args: string[]) => string, counted: boolean): Propagation => (args, _db, reply) => {
  if (!Array.isArray(reply) || reply.length < 2) return [];
  const key = reply[0] as string;
  return [counted ? [pop(args), key, String((reply[1] as Reply[]).length)] : [pop(args), key]];
};

/** The word after LMPOP's or ZMPOP's keys (LEFT/RIGHT, MIN/MAX), `numkeysAt` being where numkeys is. */
export const whereOfMultiPop = (args: string[], numkeysAt: number): string => args[numkeysAt + Number(args[numkeysAt]) + 1].toUpperCase();
