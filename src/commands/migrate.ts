/**
 * MIGRATE: moves (or with COPY copies) keys to another instance by sending
 * it RESTORE commands with our DUMP payloads, then deletes the keys the
 * target accepted.
 *
 * Redis does the whole exchange synchronously, the server stalled until the
 * target answers or the timeout passes. Here the keys are read and
 * serialized when the command runs, the exchange happens on a worker thread
 * (src/server/migrate-link.ts) while other clients are served, and the
 * deletion follows when the target has answered. A key given a new value in
 * the meantime keeps it: the target received the older one. Inside MULTI and
 * scripts, where nothing may come in between, the exchange blocks as in Redis.
 */
import { ReplyError, syntaxError } from '../errors.js';
import { encodeCommand } from '../persistence/aof.js';
import { dumpValue } from '../persistence/rdb.js';
import type { Propagation } from '../persistence/propagation.js';
import { OK, SimpleString, type Reply } from '../protocol/reply.js';
import type { Database, RedisValue } from '../store/database.js';
import type { MigrateOutcome } from '../server/migrate-link.js';
import { atoi } from '../util/numbers.js';
import { integerArg } from './strings.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec } from './types.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

interface MigrateOptions {
  copy: boolean;
  replace: boolean;
  /** `AUTH [username] password` for the target. */
  auth: string[] | undefined;
  keys: string[];
}

function parseOptions(args: string[]): MigrateOptions {
  const options: MigrateOptions = { copy: false, replace: false, auth: undefined, keys: [args[3]] };
  let username: string | undefined;
  let password: string | undefined;
  for (let i = 6; i < args.length; i++) {
    const more = args.length - 1 - i;
    const option = args[i].toLowerCase();
    if (option === 'copy') {
      options.copy = true;
    } else if (option === 'replace') {
      options.replace = true;
    } else if (option === 'auth') {
      if (more < 1) throw syntaxError();
      password = args[++i];
    } else if (option === 'auth2') {
      if (more < 2) throw syntaxError();
      username = args[++i];
      password = args[++i];
    } else if (option === 'keys') {
      if (args[3] !== '') throw new ReplyError('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      options.keys = args.slice(i + 1);
      break;
    } else {
      throw syntaxError();
    }
  }
  if (password !== undefined) options.auth = username === undefined ? ['AUTH', password] : ['AUTH', username, password];
  return options;
}

/** The keys of a MIGRATE command line (Redis's migrateGetKeys): the key argument, or those after KEYS. */
function migrateKeys(args: readonly string[]): string[] {
  const argumentsOf: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  for (let i = 6; i < args.length; i++) {
    const word = args[i].toLowerCase();
    // With a key argument KEYS is an error MIGRATE reports: no keys then.
    if (word === 'keys') return args[3] === '' ? args.slice(i + 1) : [];
    i += argumentsOf[word] ?? 0;
  }
  return [args[3]];
}

/** What the append-only file records: the DEL of the migrated keys, which are gone (Redis rewrites MIGRATE so). */
const asDel: Propagation = (args, db) => {
  const gone = migrateKeys(args).filter((key) => !db.data.has(key));
  return gone.length === 0 ? [] : [['DEL', ...gone]];
};

/** After the target answered: the accepted keys go (unless COPY), and the reply says how it went. */
function conclude(db: Database, keys: readonly string[], values: readonly RedisValue[], copy: boolean, outcome: MigrateOutcome): Reply {
  if (outcome.connectFailed) return new ReplyError('IOERR error or timeout connecting to the client');
  if (!copy) {
    for (const index of outcome.acked) {
      if (db.get(keys[index]) === values[index]) db.deleteNotify(keys[index]);
    }
  }
  if (outcome.targetError !== undefined) return new ReplyError(`ERR Target instance replied with error: ${outcome.targetError}`);
  if (outcome.ioError !== undefined) return new ReplyError(`IOERR error or timeout ${outcome.ioError} to target instance`);
  return OK;
}

/** MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key ...]. */
function migrate(ctx: CommandContext, args: string[]): Reply | BlockRequest {
  const options = parseOptions(args);
  const timeoutArg = integerArg(args[5]);
  const targetDb = String(integerArg(args[4]));
  // setTimeout takes at most about 24.8 days.
  const timeout = timeoutArg <= 0 ? 1000 : Math.min(Number(timeoutArg), MAX_TIMER_MS);

  const db = ctx.client.db;
  const keys: string[] = [];
  const values: RedisValue[] = [];
  for (const key of options.keys) {
    const value = db.read(key);
    if (value !== undefined) {
      keys.push(key);
      values.push(value);
    }
  }
  // Often a key simply expired meanwhile, so this is no error.
  if (keys.length === 0) return new SimpleString('NOKEY');

  // A key that expired since the lookup is left out (and stays, to expire here).
  let restores = '';
  const sentKeys: string[] = [];
  const sentValues: RedisValue[] = [];
  const now = Date.now();
  for (let i = 0; i < keys.length; i++) {
    const expireAt = db.expireTime(keys[i]);
    if (expireAt !== undefined && expireAt < now) continue;
    const ttl = expireAt === undefined ? 0 : Math.max(1, expireAt - now);
    const payload = dumpValue(values[i]).toString('latin1');
    restores += encodeCommand(options.replace ? ['RESTORE', keys[i], String(ttl), payload, 'REPLACE'] : ['RESTORE', keys[i], String(ttl), payload]);
    sentKeys.push(keys[i]);
    sentValues.push(values[i]);
  }
  const request = {
    host: args[1],
    port: atoi(args[2]),
    target: `${args[1]}:${args[2]}`,
    timeout,
    db: targetDb,
    auth: options.auth,
    restores: Buffer.from(restores, 'latin1'),
    count: sentKeys.length,
  };
  const { server, client } = ctx;
  if (client.inTransaction) return conclude(db, sentKeys, sentValues, options.copy, server.migrations.runNow(request));
  server.migrations.start(request, (outcome) => {
    const dirty = server.changes();
    const reply = conclude(db, sentKeys, sentValues, options.copy, outcome);
    if (server.changes() !== dirty) server.persistence.propagate(ctx, migrateSpec, args, reply);
    server.finishWaiting(client, reply);
  });
  return BlockRequest.deferred(OK);
}

const migrateSpec = defineCommand({
  name: 'migrate', arity: -6, flags: ['write', 'movablekeys'], keysOf: migrateKeys, propagate: asDel, group: 'generic', since: '2.6.0',
  complexity: 'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
  summary: 'Moves keys to another instance (a DUMP, a RESTORE there and a DEL here); COPY keeps them.',
  syntax: 'host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password|AUTH2 username password] [KEYS key [key ...]]',
  run: migrate,
});

export const migrateCommands: readonly CommandSpec[] = [migrateSpec];
