/**
 * DEBUG: introspection and fault injection for tests, refused unless
 * `enable-debug-command` allows it (the dispatcher checks the `protected` flag).
 */
import { createHash } from 'node:crypto';
import { ReplyError, noSuchKey, notInteger, unknownSubcommandOrArity } from '../errors.js';
import {
  AttributeReply,
  BigNumberReply,
  BooleanReply,
  DoubleReply,
  MapReply,
  OK,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../protocol/reply.js';
import { plainValue, type RedisValue } from '../store/database.js';
import { globMatch } from '../util/glob.js';
import { atoi, parseFloat64, parseInt64 } from '../util/numbers.js';
import { DEFAULT_PEAK_RESET_MS } from '../server/reply-buffer.js';
import { sleepSync } from '../util/sleep.js';
import { positiveArg } from './lists.js';
import { defineCommand, type CommandContext } from './types.js';

/** DEBUG PROTOCOL's samples of every reply type, as Redis's test suite expects them. */
function protocolSample(ctx: CommandContext, type: string): Reply {
  switch (type.toLowerCase()) {
    case 'string': return 'Hello World';
    case 'integer': return 12345;
    case 'double': return new DoubleReply(3.141);
    case 'bignum': return new BigNumberReply('1234567999999999999999999999999999999');
    case 'null': return null;
    case 'array': return [0, 1, 2];
    case 'set': return new SetReply([0, 1, 2]);
    case 'map': return new MapReply([0, new BooleanReply(false), 1, new BooleanReply(true), 2, new BooleanReply(false)]);
    case 'attrib':
      return new AttributeReply(['key-popularity', ['key:123', 90]], 'Some real reply following the attribute');
    case 'push':
      if (ctx.client.resp < 3) throw new ReplyError('ERR RESP2 is not supported by this command');
      ctx.server.sendOutOfBand(ctx.client, new PushReply(['server-cpu-usage', 42]));
      return 'Some real reply following the push reply';
    case 'true': return new BooleanReply(true);
    case 'false': return new BooleanReply(false);
    case 'verbatim': return new VerbatimReply('txt', 'This is a verbatim\nstring');
    default:
      throw new ReplyError('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
  }
}

/** A stable digest of one value: the same data gives the same digest, whatever its history. */
function valueDigest(value: RedisValue): Buffer {
  const hash = createHash('sha1');
  if (typeof value === 'string') hash.update('string\0').update(value, 'latin1');
  else hash.update(`${value.type}\0`).update(value.canonical(), 'latin1');
  return hash.digest();
}

/** DEBUG DIGEST: order-independent over keys (XOR of per-key hashes), all zeros for an empty dataset. */
function datasetDigest(ctx: CommandContext): string {
  const digest = Buffer.alloc(20);
  let empty = true;
  for (const db of ctx.server.keyspace.dbs) {
    for (const [key, value] of db.data) {
      if (db.expireIfDue(key)) continue;
      empty = false;
      const entry = createHash('sha1').update(`${db.id}\0`).update(key, 'latin1').update(valueDigest(plainValue(value)));
      const when = db.expireTime(key);
      if (when !== undefined) entry.update(`\0expire:${when}`);
      const bytes = entry.digest();
      for (let i = 0; i < 20; i++) digest[i] ^= bytes[i];
    }
  }
  return empty ? '0'.repeat(40) : digest.toString('hex');
}

/** DEBUG SLEEP blocks the whole server, as in Redis: tests use it to simulate a busy server. */
function blockFor(seconds: number): void {
  sleepSync(seconds * 1000);
}

function debugObject(ctx: CommandContext, key: string): Reply {
  // As in Redis, DEBUG OBJECT sees a key that has expired but not yet been deleted.
  const stored = ctx.client.db.data.get(key);
  if (stored === undefined) throw noSuchKey();
  const value = plainValue(stored);
  const encoding = typeof value === 'string' ? ctx.client.db.stringEncoding(key, value) : value.encoding();
  const length = typeof value === 'string' ? value.length : 0;
  return new SimpleString(`Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${length} lru:0 lru_seconds_idle:0`);
}

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'AOF-FLUSH-SLEEP <microsec>', '    Server will sleep before flushing the AOF, this is used for testing.',
  'DIGEST', '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]', '    Output a hex signature of the values of all the specified keys.',
  'LOADAOF', '    Write the pending commands to the append only file and rebuild the dataset from it.',
  'LOG <message>', '    Write <message> to the server log.',
  'POPULATE <count> [<prefix>] [<size>]', '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'RELOAD [NOSAVE]', '    Save the dataset to the RDB file (unless NOSAVE), then load it back in place.',
  'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
  '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
  '    In case NEVER is provided the last observed peak will never be reset',
  '    In case RESET is provided the peak reset time will be restored to the default value',
  'REPLYBUFFER RESIZING <0|1>', '    Enable or disable the reply buffer resize cron job',
  'OBJECT <key>', '    Show low level info about the key and associated value.',
  'PROTOCOL <type>', '    Reply with a test value of the specified type.',
  'SLEEP <seconds>', '    Stop the server for <seconds>. Decimals allowed.',
  'SEGFAULT', '    Crash the server with sigsegv (after the crash report, unless crash-log-enabled is no).',
  'SET-ACTIVE-EXPIRE <0|1>', '    Setting it to 0 disables expiring keys in background when they are not accessed.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>', '    Enables or disables checksum checks for RDB files and RESTORE\'s payload.',
  'STRINGMATCH-LEN', '    Run a fuzz tester against the stringmatchlen() function.',
  'HELP', '    Prints this help.',
];

/**
 * DEBUG POPULATE count [prefix] [size]: keys prefix:0 .. prefix:count-1 (the
 * existing ones left alone) holding "value:N", cut or padded with zero bytes
 * to `size`. As in Redis the keys count as no change: nothing goes to the
 * append-only file and no save point is brought closer.
 */
function populate(ctx: CommandContext, args: string[]): Reply {
  const count = positiveArg(args[2]);
  const size = args.length === 5 ? positiveArg(args[4]) : 0;
  const prefix = args.length >= 4 ? args[3] : 'key';
  const db = ctx.client.db;
  const dirty = ctx.server.keyspace.dirty;
  for (let j = 0; j < count; j++) {
    // Redis formats the key into a 128-byte buffer, so longer names are cut.
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.has(key)) continue;
    const value = `value:${j}`;
    db.set(key, size === 0 ? value : size <= value.length ? value.slice(0, size) : value.padEnd(size, '\0'));
  }
  ctx.server.keyspace.dirty = dirty;
  return OK;
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the dataset (unless NOSAVE), empties it (unless NOFLUSH) and loads the snapshot file back. */
function reload(ctx: CommandContext, options: string[]): Reply {
  let save = true;
  const mode = { keep: false, merge: false };
  for (const option of options) {
    const name = option.toUpperCase();
    if (name === 'NOSAVE') save = false;
    else if (name === 'NOFLUSH') mode.keep = true;
    else if (name === 'MERGE') mode.merge = true;
    else throw new ReplyError('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
  }
  try {
    if (save) ctx.server.persistence.save();
    ctx.server.persistence.loadSnapshot(mode);
  } catch (error) {
    ctx.server.log('warning', `DEBUG RELOAD: ${(error as Error).message}`);
    throw new ReplyError('ERR Error trying to load the RDB dump');
  }
  ctx.server.log('warning', 'DB reloaded by DEBUG RELOAD');
  return OK;
}

function debug(ctx: CommandContext, args: string[]): Reply {
  const sub = args[1].toLowerCase();
  const argc = args.length;
  switch (true) {
    case sub === 'help':
      return HELP.map((l) => new SimpleString(l));
    case sub === 'log' && argc === 3:
      ctx.server.log('warning', `DEBUG LOG: ${args[2]}`);
      return OK;
    case sub === 'sleep' && argc === 3:
      blockFor(parseFloat64(args[2]) ?? 0);
      return OK;
    case sub === 'reload':
      return reload(ctx, args.slice(2));
    case sub === 'segfault':
      return ctx.server.crash('SIGSEGV', new Error('DEBUG SEGFAULT').stack ?? '', args);
    case sub === 'aof-flush-sleep' && argc === 3:
      ctx.server.persistence.aofFlushSleepUs = Math.max(0, atoi(args[2]));
      return OK;
    case sub === 'populate' && argc >= 3 && argc <= 5:
      return populate(ctx, args);
    case sub === 'config-rewrite-force-all' && argc === 2:
      try {
        ctx.server.config.rewrite(ctx.server.config.configFile, { forceAll: true, users: ctx.server.configUserLines() });
      } catch (error) {
        throw new ReplyError(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${(error as Error).message}`);
      }
      return OK;
    case sub === 'loadaof' && argc === 2:
      try {
        ctx.server.persistence.reloadAppendOnly();
      } catch (error) {
        throw new ReplyError(`ERR Error loading the append only file: ${(error as Error).message}`);
      }
      return OK;
    case sub === 'set-skip-checksum-validation' && argc === 3:
      ctx.server.persistence.skipChecksumValidation = args[2] !== '0';
      return OK;
    case sub === 'replicate' && argc >= 3:
      ctx.server.replication.feed(args.slice(2));
      return OK;
    case sub === 'set-active-expire' && argc === 3:
      ctx.server.keyspace.activeExpireEnabled = args[2] !== '0';
      return OK;
    case sub === 'object' && argc === 3:
      return debugObject(ctx, args[2]);
    case sub === 'protocol' && argc === 3:
      return protocolSample(ctx, args[2]);
    case sub === 'digest' && argc === 2:
      return new SimpleString(datasetDigest(ctx));
    case sub === 'digest-value' && argc >= 2:
      return args.slice(2).map((key) => {
        const value = ctx.client.db.get(key);
        return new SimpleString(value === undefined ? '0'.repeat(40) : valueDigest(value).toString('hex'));
      });
    case sub === 'stringmatch-len':
      // Exercises the matcher with a pathological pattern; it must finish quickly, not blow the stack.
      globMatch('a*'.repeat(50) + 'b', 'a'.repeat(100), false);
      return new SimpleString('No crash during fuzzing');
    case sub === 'pause-cron' && argc === 3:
      ctx.server.pauseCron(args[2] !== '0');
      return OK;
    case sub === 'set-disable-deny-scripts' && argc === 3:
      ctx.server.scripting.denyScriptsDisabled = args[2] !== '0';
      return OK;
    case sub === 'replybuffer' && argc === 4:
      return replyBufferSetting(ctx, args);
    case ['quicklist-packed-threshold', 'change-repl-id'].includes(sub):
      // Tuning knobs of Redis internals we do not have; accepted so test setups proceed.
      return OK;
    default:
      throw unknownSubcommandOrArity(args[1], 'DEBUG');
  }
}

/** DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> and RESIZING <0|1>: how the cron resizes reply buffers. */
function replyBufferSetting(ctx: CommandContext, args: string[]): Reply {
  const settings = ctx.server.replyBufferSettings;
  const value = args[3];
  switch (args[2].toLowerCase()) {
    case 'peak-reset-time': {
      const word = value.toLowerCase();
      if (word === 'never') {
        settings.peakResetMs = -1;
      } else if (word === 'reset') {
        settings.peakResetMs = DEFAULT_PEAK_RESET_MS;
      } else {
        const ms = parseInt64(value);
        if (ms === null) throw notInteger();
        settings.peakResetMs = Number(ms);
      }
      return OK;
    }
    case 'resizing':
      settings.resizing = atoi(value) !== 0;
      return OK;
    default:
      throw unknownSubcommandOrArity(args[1], 'DEBUG');
  }
}

export const debugCommand = defineCommand({
  name: 'debug', arity: -2, flags: ['admin', 'noscript', 'loading', 'stale', 'protected'], group: 'server', since: '1.0.0',
  complexity: 'Depends on subcommand.', summary: 'Inspects and perturbs the server for testing; disabled unless enable-debug-command allows it.',
  syntax: 'subcommand [argument [argument ...]]',
  run: debug,
});
