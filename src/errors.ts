/**
 * Every error text a client can see, named once. Redis's error texts are part
 * of its protocol (clients and test suites match on them), so handlers throw
 * these instead of spelling messages out.
 */

/** An error reply: `message` is sent as `-message\r\n` (it starts with the code, e.g. `ERR`). */
export class ReplyError extends Error {
  /** Already in the error statistics: a script hands on an error its redis.call got, which counted then. */
  counted = false;

  // An error reply is protocol data, not a fault: capturing a stack trace would cost ten times the rest of the object.
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

const err = (text: string): ReplyError => new ReplyError(text);

export const syntaxError = (): ReplyError => err('ERR syntax error');
export const wrongType = (): ReplyError =>
  err('WRONGTYPE Operation against a key holding the wrong kind of value');
export const notInteger = (): ReplyError => err('ERR value is not an integer or out of range');
export const notFloat = (): ReplyError => err('ERR value is not a valid float');
export const noSuchKey = (): ReplyError => err('ERR no such key');
export const overflow = (): ReplyError => err('ERR increment or decrement would overflow');
export const valueOutOfRange = (): ReplyError => err('ERR value is out of range');
export const notPositive = (): ReplyError => err('ERR value is out of range, must be positive');
/** Redis's getRangeLongFromObjectOrReply without a message of its own. */
export const outOfRangeBetween = (min: number, max: number): ReplyError => err(`ERR value is out of range, value must between ${min} and ${max}`);
export const outOfLongRange = (): ReplyError =>
  err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
export const numkeysNotPositive = (): ReplyError => err('ERR numkeys should be greater than 0');
export const notFinite = (): ReplyError => err('ERR increment would produce NaN or Infinity');
/** Our own limit: a reply must fit in one V8 string or buffer. */
export const REPLY_TOO_LARGE = 'ERR the reply would exceed the largest reply this server can build';
export const replyTooLarge = (): ReplyError => err(REPLY_TOO_LARGE);
export const unknownClientType = (type: string): ReplyError => err(`ERR Unknown client type '${type}'`);
/** The error of commands that parse their subcommands themselves (DEBUG, PUBSUB). */
export const unknownSubcommandOrArity = (sub: string, cmd: string): ReplyError =>
  err(oneLine(`ERR unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try ${cmd} HELP.`));
export const invalidExpireTime = (cmd: string): ReplyError =>
  err(`ERR invalid expire time in '${cmd}' command`);
export const dbIndexOutOfRange = (): ReplyError => err('ERR DB index is out of range');
export const diskWritesDenied = (): ReplyError =>
  err("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.");
export const noReplicas = (): ReplyError => err('NOREPLICAS Not enough good replicas to write.');
export const replicaKeyspace = (): ReplyError => err("ERR Replica can't interact with the keyspace");
export const noAuth = (): ReplyError => err('NOAUTH Authentication required.');
export const wrongPass = (): ReplyError =>
  err('WRONGPASS invalid username-password pair or user is disabled.');
export const stringTooLong = (): ReplyError => err('ERR string exceeds maximum allowed size (proto-max-bulk-len)');

export const wrongArity = (cmd: string): ReplyError =>
  err(`ERR wrong number of arguments for '${cmd}' command`);

/** Redis quotes the arguments as `'a' 'b' ` until about 128 bytes are shown. */
function argsPreview(args: readonly string[]): string {
  let out = '';
  for (const a of args) {
    if (out.length >= 128) break;
    out += `'${a.slice(0, 128 - out.length)}' `;
  }
  return out;
}

/** Newlines in a user-supplied name would break the reply framing. */
export const oneLine = (text: string): string => text.replace(/[\r\n]/g, ' ');

export const unknownCommand = (name: string, args: readonly string[]): ReplyError =>
  err(oneLine(`ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${argsPreview(args)}`));

export const unknownSubcommand = (sub: string, cmd: string): ReplyError =>
  err(oneLine(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`));


/** A command refused while a dataset loads. */
export const loadingError = (): ReplyError => new ReplyError('LOADING Redis is loading the dataset in memory');

/** Our own: Redis has no reply here, it dies of an assertion when a command walks a value corrupt past its shallow checks. */
export const corruptValue = (fault: string): ReplyError =>
  err(oneLine(`ERR the value at this key is corrupt (${fault}); it was loaded without deep sanitization (sanitize-dump-payload)`));
