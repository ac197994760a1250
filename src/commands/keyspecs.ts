/**
 * Key specs: where each command's keys are and how it uses them, as Redis 7
 * declares them in src/commands/*.json. This table is the one source that
 * COMMAND INFO (key specs, the legacy first/last/step triple, movablekeys),
 * COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS read.
 *
 * Also the key extraction for the commands whose key specs cannot find every
 * key on their own (Redis's getkeys procs): keys that follow a count, SORT's
 * STORE, SET's GET that changes the key's flags.
 */
import { ReplyError } from '../errors.js';
import { atoi, parseInt64 } from '../util/numbers.js';
import type { CommandSpec } from './types.js';

/** Key-spec flags, in the order Redis prints them. */
export const KEY_FLAGS = ['RO', 'RW', 'OW', 'RM', 'access', 'update', 'insert', 'delete', 'not_key', 'incomplete', 'variable_flags'] as const;
export type KeyFlag = (typeof KEY_FLAGS)[number];

/** Where the search for keys starts: a fixed index, after a keyword, or nowhere a spec can say. */
export type BeginSearch =
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'keyword'; readonly keyword: string; readonly startfrom: number }
  | { readonly type: 'unknown' };

/** How many keys follow the start: a range (lastkey relative to the start, negative from the end), a count argument, or unknown. */
export type FindKeys =
  | { readonly type: 'range'; readonly lastkey: number; readonly keystep: number; readonly limit: number }
  | { readonly type: 'keynum'; readonly keynumidx: number; readonly firstkey: number; readonly keystep: number }
  | { readonly type: 'unknown' };

/** One key spec as COMMAND INFO prints it. */
export interface KeySpecification {
  readonly flags: readonly KeyFlag[];
  readonly beginSearch: BeginSearch;
  readonly findKeys: FindKeys;
  readonly notes?: string;
}

/** A key found in a command line, and how the command uses it. */
export interface KeyRef {
  readonly key: string;
  readonly flags: readonly KeyFlag[];
}

function parseFlags(flags: string): KeyFlag[] {
  const words = flags.split(' ').filter((w) => w !== '');
  for (const word of words) if (!(KEY_FLAGS as readonly string[]).includes(word)) throw new Error(`unknown key-spec flag ${word}`);
  // Printed in Redis's fixed order, whatever order the table gives.
  return KEY_FLAGS.filter((flag) => words.includes(flag));
}

const index = (pos: number): BeginSearch => ({ type: 'index', index: pos });
const keynum = (keynumidx: number, firstkey: number, keystep: number): FindKeys => ({ type: 'keynum', keynumidx, firstkey, keystep });
const UNKNOWN_BEGIN: BeginSearch = { type: 'unknown' };
const UNKNOWN_FIND: FindKeys = { type: 'unknown' };

function spec(flags: string, beginSearch: BeginSearch, findKeys: FindKeys, notes?: string): KeySpecification {
  return notes === undefined ? { flags: parseFlags(flags), beginSearch, findKeys } : { flags: parseFlags(flags), beginSearch, findKeys, notes };
}

/** The common spec: keys from argument `pos` to `lastkey` (relative to pos; negative counts from the end), every `step`. */
function k(flags: string, pos: number, lastkey = 0, step = 1, limit = 0, notes?: string): KeySpecification {
  return spec(flags, index(pos), { type: 'range', lastkey, keystep: step, limit }, notes);
}

/** The destination after a STORE-like keyword searched from argument `startfrom` on (GEORADIUS). */
function storeKeyword(keyword: string, startfrom: number): KeySpecification {
  return spec('OW update', { type: 'keyword', keyword, startfrom }, { type: 'range', lastkey: 0, keystep: 1, limit: 0 });
}

/**
 * Key specs by full command name (`memory|usage` for a subcommand), copied
 * from Redis 7.0.15's src/commands/*.json. A command absent here has no keys.
 */
const KEY_SPECS: Readonly<Record<string, readonly KeySpecification[]>> = {
  append: [k('RW insert', 1)],
  bitcount: [k('RO access', 1)],
  bitfield: [k('RW access update variable_flags', 1, 0, 1, 0, 'This command allows both access and modification of the key')],
  bitfield_ro: [k('RO access', 1)],
  bitop: [k('OW update', 2), k('RO access', 3, -1)],
  bitpos: [k('RO access', 1)],
  blmove: [k('RW access delete', 1), k('RW insert', 2)],
  blmpop: [spec('RW access delete', index(2), keynum(0, 1, 1))],
  blpop: [k('RW access delete', 1, -2)],
  brpop: [k('RW access delete', 1, -2)],
  brpoplpush: [k('RW access delete', 1), k('RW insert', 2)],
  bzmpop: [spec('RW access delete', index(2), keynum(0, 1, 1))],
  bzpopmax: [k('RW access delete', 1, -2)],
  bzpopmin: [k('RW access delete', 1, -2)],
  copy: [k('RO access', 1), k('OW update', 2)],
  decr: [k('RW access update', 1)],
  decrby: [k('RW access update', 1)],
  del: [k('RM delete', 1, -1)],
  dump: [k('RO access', 1)],
  exists: [k('RO', 1, -1)],
  expire: [k('RW update', 1)],
  expireat: [k('RW update', 1)],
  expiretime: [k('RO access', 1)],
  get: [k('RO access', 1)],
  geoadd: [k('RW update', 1)],
  geodist: [k('RO access', 1)],
  geohash: [k('RO access', 1)],
  geopos: [k('RO access', 1)],
  georadius: [k('RO access', 1), storeKeyword('STORE', 6), storeKeyword('STOREDIST', 6)],
  georadius_ro: [k('RO access', 1)],
  georadiusbymember: [k('RO access', 1), storeKeyword('STORE', 5), storeKeyword('STOREDIST', 5)],
  georadiusbymember_ro: [k('RO access', 1)],
  geosearch: [k('RO access', 1)],
  geosearchstore: [k('OW update', 1), k('RO access', 2)],
  getbit: [k('RO access', 1)],
  getdel: [k('RW access delete', 1)],
  getex: [k('RW access update', 1, 0, 1, 0, 'read-write with update: the time to live may change')],
  getrange: [k('RO access', 1)],
  getset: [k('RW access update', 1)],
  hdel: [k('RW delete', 1)],
  hexists: [k('RO', 1)],
  hget: [k('RO access', 1)],
  hgetall: [k('RO access', 1)],
  hincrby: [k('RW access update', 1)],
  hincrbyfloat: [k('RW access update', 1)],
  hkeys: [k('RO access', 1)],
  hlen: [k('RO', 1)],
  hmget: [k('RO access', 1)],
  hmset: [k('RW update', 1)],
  hrandfield: [k('RO access', 1)],
  hscan: [k('RO access', 1)],
  hset: [k('RW update', 1)],
  hsetnx: [k('RW insert', 1)],
  hstrlen: [k('RO', 1)],
  hvals: [k('RO access', 1)],
  incr: [k('RW access update', 1)],
  incrby: [k('RW access update', 1)],
  incrbyfloat: [k('RW access update', 1)],
  lcs: [k('RO access', 1, 1)],
  lindex: [k('RO access', 1)],
  linsert: [k('RW insert', 1)],
  llen: [k('RO', 1)],
  lmove: [k('RW access delete', 1), k('RW insert', 2)],
  lmpop: [spec('RW access delete', index(1), keynum(0, 1, 1))],
  lpop: [k('RW access delete', 1)],
  lpos: [k('RO access', 1)],
  lpush: [k('RW insert', 1)],
  lpushx: [k('RW insert', 1)],
  lrange: [k('RO access', 1)],
  lrem: [k('RW delete', 1)],
  lset: [k('RW update', 1)],
  ltrim: [k('RW delete', 1)],
  'memory|usage': [k('RO', 2)],
  mget: [k('RO access', 1, -1)],
  migrate: [
    k('RW access delete', 3),
    spec('RW access delete incomplete', { type: 'keyword', keyword: 'KEYS', startfrom: -2 }, { type: 'range', lastkey: -1, keystep: 1, limit: 0 }),
  ],
  move: [k('RW access update', 1)],
  mset: [k('OW update', 1, -1, 2)],
  msetnx: [k('OW insert', 1, -1, 2)],
  'object|encoding': [k('RO', 2)],
  'object|freq': [k('RO', 2)],
  'object|idletime': [k('RO', 2)],
  'object|refcount': [k('RO', 2)],
  persist: [k('RW update', 1)],
  pexpire: [k('RW update', 1)],
  eval: [spec('RW access update', index(2), keynum(0, 1, 1), 'scripts may use their keys in any way: read-write with access and update assumed')],
  eval_ro: [spec('RO access', index(2), keynum(0, 1, 1), 'read-only scripts: read-only with access assumed')],
  evalsha: [spec('RW access update', index(2), keynum(0, 1, 1))],
  evalsha_ro: [spec('RO access', index(2), keynum(0, 1, 1))],
  fcall: [spec('RW access update', index(2), keynum(0, 1, 1), 'scripts may use their keys in any way: read-write with access and update assumed')],
  fcall_ro: [spec('RO access', index(2), keynum(0, 1, 1), 'read-only scripts: read-only with access assumed')],
  pexpireat: [k('RW update', 1)],
  pexpiretime: [k('RO access', 1)],
  pfadd: [k('RW insert', 1)],
  pfcount: [k('RW access', 1, -1, 1, 0, 'RW because it may change the internal representation of the key, and propagate to replicas')],
  pfdebug: [k('RW access', 2)],
  pfmerge: [k('RW access insert', 1), k('RO access', 2, -1)],
  psetex: [k('OW update', 1)],
  pttl: [k('RO access', 1)],
  restore: [k('OW update', 1)],
  'restore-asking': [k('OW update', 1)],
  rename: [k('RW access delete', 1), k('OW update', 2)],
  renamenx: [k('RW access delete', 1), k('OW insert', 2)],
  rpop: [k('RW access delete', 1)],
  rpoplpush: [k('RW access delete', 1), k('RW insert', 2)],
  rpush: [k('RW insert', 1)],
  rpushx: [k('RW insert', 1)],
  sadd: [k('RW insert', 1)],
  scard: [k('RO', 1)],
  sdiff: [k('RO access', 1, -1)],
  sdiffstore: [k('OW update', 1), k('RO access', 2, -1)],
  set: [k('RW access update variable_flags', 1, 0, 1, 0, 'read-write with access: GET returns the old value')],
  setbit: [k('RW access update', 1)],
  setex: [k('OW update', 1)],
  setnx: [k('OW insert', 1)],
  setrange: [k('RW update', 1)],
  sinter: [k('RO access', 1, -1)],
  sintercard: [spec('RO access', index(1), keynum(0, 1, 1))],
  sinterstore: [k('RW update', 1), k('RO access', 2, -1)],
  sismember: [k('RO', 1)],
  smembers: [k('RO access', 1)],
  smismember: [k('RO access', 1)],
  smove: [k('RW access delete', 1), k('RW insert', 2)],
  sort: [
    k('RO access', 1),
    spec('RO access', UNKNOWN_BEGIN, UNKNOWN_FIND, 'keys named by BY and GET patterns: unknown, they come from the sorted values'),
    spec('OW update', UNKNOWN_BEGIN, UNKNOWN_FIND, 'the STORE destination: unknown, STORE may come anywhere'),
  ],
  sort_ro: [
    k('RO access', 1),
    spec('RO access', UNKNOWN_BEGIN, UNKNOWN_FIND, 'keys named by BY and GET patterns: unknown, they come from the sorted values'),
  ],
  spop: [k('RW access delete', 1)],
  spublish: [k('not_key', 1)],
  srandmember: [k('RO access', 1)],
  srem: [k('RW delete', 1)],
  sscan: [k('RO access', 1)],
  ssubscribe: [k('not_key', 1, -1)],
  strlen: [k('RO', 1)],
  substr: [k('RO access', 1)],
  sunion: [k('RO access', 1, -1)],
  sunionstore: [k('OW update', 1), k('RO access', 2, -1)],
  sunsubscribe: [k('not_key', 1, -1)],
  touch: [k('RO', 1, -1)],
  ttl: [k('RO access', 1)],
  type: [k('RO', 1)],
  unlink: [k('RM delete', 1, -1)],
  watch: [k('RO', 1, -1)],
  xack: [k('RW update', 1)],
  xadd: [k('RW update', 1, 0, 1, 0, 'UPDATE instead of INSERT because of the optional trimming feature')],
  xautoclaim: [k('RW delete', 1)],
  xclaim: [k('RW update', 1)],
  xdel: [k('RW delete', 1)],
  'xgroup|create': [k('RW insert', 2)],
  'xgroup|createconsumer': [k('RW insert', 2)],
  'xgroup|delconsumer': [k('RW delete', 2)],
  'xgroup|destroy': [k('RW delete', 2)],
  'xgroup|setid': [k('RW update', 2)],
  'xinfo|consumers': [k('RO access', 2)],
  'xinfo|groups': [k('RO access', 2)],
  'xinfo|stream': [k('RO access', 2)],
  xlen: [k('RO', 1)],
  xpending: [k('RO access', 1)],
  xrange: [k('RO access', 1)],
  xread: [spec('RO access', { type: 'keyword', keyword: 'STREAMS', startfrom: 1 }, { type: 'range', lastkey: -1, keystep: 1, limit: 2 })],
  xreadgroup: [spec('RO access', { type: 'keyword', keyword: 'STREAMS', startfrom: 4 }, { type: 'range', lastkey: -1, keystep: 1, limit: 2 })],
  xrevrange: [k('RO access', 1)],
  xsetid: [k('RW update', 1)],
  xtrim: [k('RW delete', 1)],
  zadd: [k('RW update', 1)],
  zcard: [k('RO', 1)],
  zcount: [k('RO access', 1)],
  zdiff: [spec('RO access', index(1), keynum(0, 1, 1))],
  zdiffstore: [k('OW update', 1), spec('RO access', index(2), keynum(0, 1, 1))],
  zincrby: [k('RW access update', 1)],
  zinter: [spec('RO access', index(1), keynum(0, 1, 1))],
  zintercard: [spec('RO access', index(1), keynum(0, 1, 1))],
  zinterstore: [k('OW update', 1), spec('RO access', index(2), keynum(0, 1, 1))],
  zlexcount: [k('RO access', 1)],
  zmpop: [spec('RW access delete', index(1), keynum(0, 1, 1))],
  zmscore: [k('RO access', 1)],
  zpopmax: [k('RW access delete', 1)],
  zpopmin: [k('RW access delete', 1)],
  zrandmember: [k('RO access', 1)],
  zrange: [k('RO access', 1)],
  zrangebylex: [k('RO access', 1)],
  zrangebyscore: [k('RO access', 1)],
  zrangestore: [k('OW update', 1), k('RO access', 2)],
  zrank: [k('RO access', 1)],
  zrem: [k('RW delete', 1)],
  zremrangebylex: [k('RW delete', 1)],
  zremrangebyrank: [k('RW delete', 1)],
  zremrangebyscore: [k('RW delete', 1)],
  zrevrange: [k('RO access', 1)],
  zrevrangebylex: [k('RO access', 1)],
  zrevrangebyscore: [k('RO access', 1)],
  zrevrank: [k('RO access', 1)],
  zscan: [k('RO access', 1)],
  zscore: [k('RO access', 1)],
  zunion: [spec('RO access', index(1), keynum(0, 1, 1))],
  zunionstore: [k('OW update', 1), spec('RO access', index(2), keynum(0, 1, 1))],
};

/**
 * The key specs of a command or subcommand by full name. A command missing
 * from the table but declaring a (first, last, step) triple gets one plain
 * range spec from it, so a newly added command still shows its keys.
 */
export function keySpecsOf(fullName: string, command?: CommandSpec): readonly KeySpecification[] {
  const specs = KEY_SPECS[fullName];
  if (specs !== undefined) return specs;
  if (command?.keys === undefined) return [];
  const { first, last, step } = command.keys;
  const flags = command.flags.includes('write') ? 'RW' : 'RO';
  return [k(flags, first, last < 0 ? last : last - first, step)];
}

/** The legacy (first, last, step) triple and the movablekeys flag, derived from key specs as Redis does (populateCommandLegacyRangeSpec). */
export function legacyRange(specs: readonly KeySpecification[]): { first: number; last: number; step: number; movable: boolean } {
  const none = { first: 0, last: 0, step: 0 };
  if (specs.length === 0) return { ...none, movable: false };
  const [only] = specs;
  if (specs.length === 1 && only.beginSearch.type === 'index' && only.findKeys.type === 'range') {
    const first = only.beginSearch.index;
    const { lastkey, keystep } = only.findKeys;
    return { first, last: lastkey >= 0 ? lastkey + first : lastkey, step: keystep, movable: only.flags.includes('incomplete') };
  }
  let movable = false;
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let previousLast = 0;
  // Redis compares last keys as unsigned, so a negative (counted from the end) one wins.
  const unsigned = (n: number): number => (n < 0 ? 2 ** 32 + n : n);
  for (const s of specs) {
    if (s.beginSearch.type !== 'index' || s.findKeys.type !== 'range') {
      movable = true;
      continue;
    }
    if (s.findKeys.keystep !== 1 || (previousLast !== 0 && previousLast !== s.beginSearch.index - 1)) {
      movable = true;
      continue;
    }
    if (s.flags.includes('incomplete')) movable = true;
    first = Math.min(first, s.beginSearch.index);
    const absoluteLast = s.findKeys.lastkey >= 0 ? s.findKeys.lastkey + s.beginSearch.index : s.findKeys.lastkey;
    last = unsigned(absoluteLast) > unsigned(last) ? absoluteLast : last;
    previousLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { ...none, movable: true };
  return { first, last, step: 1, movable };
}

/**
 * Keys found by the key specs (Redis's getKeysUsingKeySpecs), or undefined
 * when a spec cannot locate its keys in this command line (unknown or
 * incomplete spec, bad count, out of range).
 */
function keysUsingKeySpecs(specs: readonly KeySpecification[], args: readonly string[]): KeyRef[] | undefined {
  const argc = args.length;
  const keys: KeyRef[] = [];
  for (const s of specs) {
    if (s.flags.includes('not_key')) continue;
    let first = 0;
    const begin = s.beginSearch;
    if (begin.type === 'index') {
      first = begin.index;
    } else if (begin.type === 'keyword') {
      const start = begin.startfrom > 0 ? begin.startfrom : argc + begin.startfrom;
      const end = begin.startfrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (args[i].toLowerCase() === begin.keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return undefined;
    }

    let last: number;
    let step: number;
    const find = s.findKeys;
    if (find.type === 'range') {
      step = find.keystep;
      if (find.lastkey >= 0) last = first + find.lastkey;
      else if (find.limit === 0) last = argc + find.lastkey;
      else last = first + (Math.trunc((argc - first) / find.limit) + find.lastkey);
    } else if (find.type === 'keynum') {
      step = find.keystep;
      if (find.keynumidx >= argc) return undefined;
      const count = parseInt64(args[first + find.keynumidx] ?? '');
      if (count === null || typeof count === 'bigint' || count < 0) return undefined;
      first += find.firstkey;
      last = first + count - 1;
    } else {
      return undefined;
    }

    if (last >= argc || last < first || first >= argc) return undefined;
    for (let i = first; i <= last; i += step) keys.push({ key: args[i], flags: s.flags });
    if (s.flags.includes('incomplete')) return undefined;
  }
  return keys;
}

const RO_ACCESS = parseFlags('RO access');
const OW_UPDATE = parseFlags('OW update');
const RW_ACCESS_UPDATE = parseFlags('RW access update');

/** SORT and SORT_RO: the sorted key, and SORT's last STORE destination (Redis's sortGetKeys). */
function sortKeys(args: readonly string[], withStore: boolean): KeyRef[] {
  const keys: KeyRef[] = [{ key: args[1], flags: RO_ACCESS }];
  if (!withStore) return keys;
  // Options are taken to have no argument unless listed here, as Redis does.
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  let store: number | undefined;
  for (let i = 2; i < args.length; i++) {
    const word = args[i].toLowerCase();
    if (skip[word] !== undefined) i += skip[word];
    else if (word === 'store' && i + 1 < args.length) store = i + 1;
  }
  if (store !== undefined) keys.push({ key: args[store], flags: OW_UPDATE });
  return keys;
}

/** SET reads the key too when GET is given (Redis's setGetKeys). */
function setKeyFlags(args: readonly string[]): readonly KeyFlag[] {
  for (let i = 3; i < args.length; i++) if (args[i].length === 3 && args[i].toLowerCase() === 'get') return RW_ACCESS_UPDATE;
  return OW_UPDATE;
}

const setKeys = (args: readonly string[]): KeyRef[] => [{ key: args[1], flags: setKeyFlags(args) }];

/** The flags of commands whose single key's flags depend on the arguments (key spec flag variable_flags). */
const VARIABLE_FLAGS: Readonly<Record<string, (args: readonly string[]) => readonly KeyFlag[]>> = { set: setKeyFlags };

/**
 * BITFIELD only reads its key while every operation up to the first write
 * is a GET or OVERFLOW (Redis's bitfieldGetKeys; anything it cannot parse
 * counts as a write, to be safe).
 */
function bitfieldKeys(args: readonly string[]): KeyRef[] {
  for (let i = 2; i < args.length; i++) {
    const left = args.length - i - 1;
    const word = args[i].toLowerCase();
    if (word === 'get' && left >= 2) i += 2;
    else if (word === 'overflow' && left >= 1) i += 1;
    else return [{ key: args[1], flags: RW_ACCESS_UPDATE }];
  }
  return [{ key: args[1], flags: RO_ACCESS }];
}

const RW_ACCESS_DELETE = parseFlags('RW access delete');

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS key ...]:
 * the one key, or every key after KEYS when the key argument is empty (Redis's migrateGetKeys).
 */
function migrateKeys(args: readonly string[]): KeyRef[] {
  const optionArgs: Record<string, number> = { auth: 1, auth2: 2 };
  for (let i = 6; i < args.length; i++) {
    const word = args[i].toLowerCase();
    if (word === 'keys') {
      // KEYS with a non-empty key is a syntax error MIGRATE reports itself.
      if (args[3] !== '') return [];
      return args.slice(i + 1).map((key) => ({ key, flags: RW_ACCESS_DELETE }));
    }
    i += optionArgs[word] ?? 0;
  }
  return [{ key: args[3], flags: RW_ACCESS_DELETE }];
}

/** Key finders with flags for commands whose specs are incomplete or have variable flags. */
const KEY_PROCS: Readonly<Record<string, (args: readonly string[]) => KeyRef[]>> = {
  bitfield: bitfieldKeys,
  migrate: migrateKeys,
  set: setKeys,
  sort: (args) => sortKeys(args, true),
  sort_ro: (args) => sortKeys(args, false),
};

/** Whether a command may have keys at all (Redis's doesCommandHaveKeys). */
export function commandHasKeys(command: CommandSpec, fullName: string): boolean {
  if (KEY_PROCS[fullName] !== undefined || command.keysOf !== undefined) return true;
  return keySpecsOf(fullName, command).some((s) => !s.flags.includes('not_key'));
}

/**
 * The keys of a full command line with their flags (Redis's
 * getKeysFromCommandWithSpecs): from the key specs when they can find them,
 * else from the command's own key finder.
 */
export function commandKeys(command: CommandSpec, fullName: string, args: readonly string[]): KeyRef[] {
  const specs = keySpecsOf(fullName, command);
  const hasKeySpec = specs.some((s) => !s.flags.includes('not_key'));
  const variableFlags = specs.some((s) => s.flags.includes('variable_flags'));
  if (hasKeySpec && !variableFlags) {
    const keys = keysUsingKeySpecs(specs, args);
    if (keys !== undefined) return keys;
  }
  const proc = KEY_PROCS[fullName];
  if (proc) return proc(args);
  // The command's own finder flags nothing, as Redis's generic finders.
  if (command.keysOf) return command.keysOf(args).map((key) => ({ key, flags: [] }));
  return [];
}

/** Keys from `first` to `last` (negative: from the end) every `step`, all with the same flags, or flags that `flagsOf` reads from the arguments. */
export interface KeyRange {
  readonly first: number;
  readonly last: number;
  readonly step: number;
  readonly flags: readonly KeyFlag[];
  readonly flagsOf?: (args: readonly string[]) => readonly KeyFlag[];
}

/**
 * The key specs of a command as plain ranges, when that is all commandKeys
 * would read (every spec a fixed index and a range, flags fixed, no key
 * finder of its own): callers on hot paths then walk the arguments without
 * building KeyRefs. Undefined for any other command.
 */
export function keyRanges(command: CommandSpec, fullName: string): readonly KeyRange[] | undefined {
  const flagsOf = VARIABLE_FLAGS[fullName];
  if (flagsOf !== undefined) return [{ first: 1, last: 1, step: 1, flags: [], flagsOf }];
  if (KEY_PROCS[fullName] !== undefined || command.keysOf !== undefined) return undefined;
  const ranges: KeyRange[] = [];
  for (const s of keySpecsOf(fullName, command)) {
    if (s.flags.includes('not_key')) continue;
    const { beginSearch: begin, findKeys: find } = s;
    if (s.flags.includes('incomplete') || s.flags.includes('variable_flags') || begin.type !== 'index' || find.type !== 'range' || find.limit !== 0) {
      return undefined;
    }
    ranges.push({ first: begin.index, last: find.lastkey >= 0 ? begin.index + find.lastkey : find.lastkey, step: find.keystep, flags: s.flags });
  }
  return ranges;
}

/**
 * A command's own finder for keys named by the count at `countIndex`, plus
 * the destination at `destinationIndex` for store commands (Redis's
 * genericGetKeys, which reads the count leniently and lists the destination
 * last). Only used when the key specs cannot find the keys.
 */
export function keysAfterCount(countIndex: number, destinationIndex?: number) {
  return (args: readonly string[]): string[] => {
    const count = atoi(args[countIndex] ?? '');
    const firstKey = countIndex + 1;
    // A count the command itself will refuse names no keys.
    if (count < 1 || count > args.length - firstKey) return [];
    const keys = args.slice(firstKey, firstKey + count);
    return destinationIndex === undefined ? keys : [...keys, args[destinationIndex]];
  };
}
