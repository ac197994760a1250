/**
 * DUMP and RESTORE: a key's value in Redis's RDB serialization, so values
 * move between this server and Redis in both directions.
 */
import { ReplyError, notInteger, syntaxError } from '../errors.js';
import { OK, type Reply } from '../protocol/reply.js';
import { now } from '../store/clock.js';
import { NOTIFY } from '../store/notify.js';
import { corruptionReport, dumpValue, loadValue, payloadValid } from '../persistence/rdb.js';
import { CorruptValue } from '../store/corrupt.js';
import { parseInt64 } from '../util/numbers.js';
import { defineCommand, REPLAY_CLIENT_ID, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';
import { asAbsoluteRestore } from '../persistence/propagation.js';

function integerOption(text: string): number {
  const value = parseInt64(text);
  if (value === null) throw notInteger();
  return Number(value);
}

/**
 * Whether RESTORE checks the payload as deeply as it can, as Redis's
 * sanitize-dump-payload says: always with yes, never with no, and with
 * clients unless the payload comes from the master, from the AOF being
 * loaded or from a user with the skip-sanitize-payload flag.
 */
function deepSanitization(ctx: CommandContext): boolean {
  const mode = ctx.server.config.get('sanitize-dump-payload');
  if (mode !== 'clients') return mode === 'yes';
  const client = ctx.client;
  return !(client.id === REPLAY_CLIENT_ID || ('isMaster' in client && client.isMaster === true) || client.user.skipsSanitizePayload);
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. */
function restore(ctx: CommandContext, args: string[]): Reply {
  const [, key, ttlArg, payloadArg] = args;
  let replace = false;
  let absolute = false;
  let idleSeconds: number | undefined;
  let frequency: number | undefined;
  for (let i = 4; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (option === 'REPLACE') replace = true;
    else if (option === 'ABSTTL') absolute = true;
    else if (option === 'IDLETIME' && hasValue) {
      idleSeconds = integerOption(args[++i]);
      if (idleSeconds < 0) throw new ReplyError('ERR Invalid IDLETIME value, must be >= 0');
    } else if (option === 'FREQ' && hasValue) {
      frequency = integerOption(args[++i]);
      if (frequency < 0 || frequency > 255) throw new ReplyError('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else {
      throw syntaxError();
    }
  }
  const ttl = integerOption(ttlArg);
  if (ttl < 0) throw new ReplyError('ERR Invalid TTL value, must be >= 0');
  const db = ctx.client.db;
  if (!replace && db.has(key)) throw new ReplyError('BUSYKEY Target key name already exists.');
  const payload = Buffer.from(payloadArg, 'latin1');
  if (!payloadValid(payload, ctx.server.persistence.skipChecksumValidation)) throw new ReplyError('ERR DUMP payload version or checksum are wrong');
  let value;
  try {
    value = loadValue(payload, ctx.server.config.values, deepSanitization(ctx));
  } catch (error) {
    // Whatever went wrong while decoding (a BadFormat, or a range error a
    // corrupt length caused), nothing has been stored: the payload is refused.
    ctx.server.log('verbose', `Internal error in RDB reading offset 0 -> ${(error as Error).message}`);
    throw new ReplyError('ERR Bad data format');
  }
  if (value instanceof CorruptValue) for (const line of corruptionReport(value, key)) ctx.server.log('warning', line);
  const expireAt = ttl === 0 ? undefined : absolute ? ttl : now() + ttl;
  // A value whose time is already up is not stored; with REPLACE the old one still goes.
  if (expireAt !== undefined && ctx.server.keyspace.alreadyExpired(expireAt)) {
    if (replace) db.deleteNotify(key);
    return OK;
  }
  db.delete(key);
  db.set(key, value);
  if (expireAt !== undefined) db.setExpire(key, expireAt);
  db.access.restored(key, value, idleSeconds, frequency);
  db.notify(NOTIFY.GENERIC, 'restore', key);
  return OK;
}

export const dumpCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'dump', arity: 2, flags: ['readonly'], keys: ONE_KEY, group: 'generic', since: '2.6.0',
    complexity: 'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size.',
    summary: 'Serializes the value at a key in the RDB format RESTORE takes; nil for a missing key.', syntax: 'key',
    run: (ctx, args) => {
      const value = ctx.client.db.read(args[1]);
      return value === undefined ? null : dumpValue(value).toString('latin1');
    },
  }),
  defineCommand({
    name: 'restore', propagate: asAbsoluteRestore, arity: -4, flags: ['write', 'denyoom'], keys: ONE_KEY, group: 'generic', since: '2.6.0',
    complexity: 'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size.',
    summary: 'Creates a key from a DUMP payload, optionally replacing it and with a time to live.',
    syntax: 'key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]',
    run: restore,
  }),
  // What a cluster node's MIGRATE sends instead of RESTORE; without cluster mode the same thing.
  defineCommand({
    name: 'restore-asking', propagate: asAbsoluteRestore, arity: -4, flags: ['write', 'denyoom', 'asking'], keys: ONE_KEY, group: 'server', since: '3.0.0',
    complexity: 'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).',
    summary: 'RESTORE as a cluster node migrating keys sends it.',
    syntax: 'key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]',
    run: restore,
  }),
];
