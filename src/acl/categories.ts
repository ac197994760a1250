/**
 * ACL categories: the 21 of Redis 7.0, as bits in Redis's order (ACL CAT
 * lists them, COMMAND INFO prints a command's in this order), and the rule
 * that gives a command its categories: the ones Redis's command JSON files
 * declare, plus those its flags imply (Redis's setImplicitACLCategories).
 */

export const CATEGORY_NAMES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub',
  'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

export type CategoryName = (typeof CATEGORY_NAMES)[number];

/** The bit of a category in a command's category mask. */
export const CATEGORY: Readonly<Record<CategoryName, number>> = Object.fromEntries(
  CATEGORY_NAMES.map((name, i) => [name, 1 << i]),
) as Record<CategoryName, number>;

/** The bit of a category name (case-insensitive, without '@'), or 0 for an unknown one. */
export function categoryBit(name: string): number {
  return (CATEGORY as Record<string, number>)[name.toLowerCase()] ?? 0;
}

/**
 * Categories declared explicitly in Redis 7.0.15's src/commands/*.json, by
 * full command name. Commands absent here declare none (containers such as
 * CLIENT, and most server commands).
 */
const DECLARED: Readonly<Record<string, string>> = declared({
  string: 'append decr decrby get getdel getex getrange getset incr incrby incrbyfloat lcs mget mset msetnx psetex set setex setnx setrange strlen substr',
  connection: 'asking auth client|caching client|getname client|getredir client|help client|id client|info client|kill client|list client|no-evict ' +
    'client|pause client|reply client|setname client|tracking client|trackinginfo client|unblock client|unpause command command|count command|docs ' +
    'command|getkeys command|getkeysandflags command|help command|info command|list echo hello ping quit readonly readwrite reset select wait',
  bitmap: 'bitcount bitfield bitfield_ro bitop bitpos getbit setbit',
  list: 'blmove blmpop blpop brpop brpoplpush lindex linsert llen lmove lmpop lpop lpos lpush lpushx lrange lrem lset ltrim rpop rpoplpush rpush rpushx',
  sortedset: 'bzmpop bzpopmax bzpopmin zadd zcard zcount zdiff zdiffstore zincrby zinter zintercard zinterstore zlexcount zmpop zmscore zpopmax zpopmin ' +
    'zrandmember zrange zrangebylex zrangebyscore zrangestore zrank zrem zremrangebylex zremrangebyrank zremrangebyscore zrevrange zrevrangebylex ' +
    'zrevrangebyscore zrevrank zscan zscore zunion zunionstore',
  keyspace: 'copy dbsize del dump exists expire expireat expiretime move object|encoding object|freq object|help object|idletime object|refcount persist ' +
    'pexpire pexpireat pexpiretime pttl randomkey rename renamenx scan touch ttl type unlink',
  transaction: 'discard exec multi unwatch watch',
  scripting: 'eval eval_ro evalsha evalsha_ro fcall fcall_ro function|delete function|dump function|flush function|help function|kill function|list ' +
    'function|load function|restore function|stats script|debug script|exists script|flush script|help script|kill script|load',
  'keyspace dangerous': 'flushall flushdb keys migrate restore restore-asking swapdb',
  geo: 'geoadd geodist geohash geopos georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore',
  hash: 'hdel hexists hget hgetall hincrby hincrbyfloat hkeys hlen hmget hmset hrandfield hscan hset hsetnx hstrlen hvals',
  dangerous: 'info',
  'admin dangerous': 'lastsave role',
  hyperloglog: 'pfadd pfcount pfdebug pfmerge pfselftest',
  set: 'sadd scard sdiff sdiffstore sinter sintercard sinterstore sismember smembers smismember smove spop srandmember srem sscan sunion sunionstore',
  'set sortedset list dangerous': 'sort sort_ro',
  stream: 'xack xadd xautoclaim xclaim xdel xgroup|create xgroup|createconsumer xgroup|delconsumer xgroup|destroy xgroup|help xgroup|setid ' +
    'xinfo|consumers xinfo|groups xinfo|help xinfo|stream xlen xpending xrange xread xreadgroup xrevrange xsetid xtrim',
});

function declared(groups: Record<string, string>): Record<string, string> {
  const byCommand: Record<string, string> = {};
  for (const [categories, commands] of Object.entries(groups)) for (const name of commands.split(' ')) byCommand[name] = categories;
  return byCommand;
}

/** The command flags that imply categories. */
export interface CategoryFlags {
  readonly write: boolean;
  readonly readonly: boolean;
  readonly admin: boolean;
  readonly pubsub: boolean;
  readonly fast: boolean;
  readonly blocking: boolean;
}

/** A command's category mask: declared categories, then the ones its flags imply; every command is @fast or @slow. */
export function commandCategories(fullName: string, flags: CategoryFlags): number {
  let mask = 0;
  for (const name of DECLARED[fullName]?.split(' ') ?? []) mask |= categoryBit(name);
  if (flags.write) mask |= CATEGORY.write;
  // What a script reads is up to the script: read-only scripting commands are not @read.
  if (flags.readonly && !(mask & CATEGORY.scripting)) mask |= CATEGORY.read;
  if (flags.admin) mask |= CATEGORY.admin | CATEGORY.dangerous;
  if (flags.pubsub) mask |= CATEGORY.pubsub;
  if (flags.fast) mask |= CATEGORY.fast;
  if (flags.blocking) mask |= CATEGORY.blocking;
  if (!(mask & CATEGORY.fast)) mask |= CATEGORY.slow;
  return mask;
}

/** Category names of a mask, in Redis's order. */
export function categoryNames(mask: number): CategoryName[] {
  return CATEGORY_NAMES.filter((name) => mask & CATEGORY[name]);
}
