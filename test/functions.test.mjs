// Redis 7.0 functions: FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL/HELP,
// FCALL and FCALL_RO, compared reply for reply with a real redis-server 7.0.15,
// and libraries kept by RDB files (both ways with redis-server) and the AOF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createClient } from 'redis';
import { crc64 } from '../dist/persistence/rdb.js';
import { HAVE_REDIS, replyConnection, startInDir, startRedis, startServer, tempDirs } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const tempDir = tempDirs('noderedis-functions-');

/** A bulk string reply's content. */
function bulk(reply) {
  assert.match(reply, /^\$\d+\r\n/);
  const start = reply.indexOf('\r\n') + 2;
  return reply.slice(start, reply.length - 2);
}

let mine;
let reference;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (HAVE_REDIS && ours) {
    reference = await startRedis();
    b = reference.conn;
  }
});

after(async () => {
  a?.close();
  reference?.stop();
  await mine?.stop();
});

let compared = 0;

/** Sends a command to both servers; the replies must be the same bytes. Answers ours. */
async function same(...args) {
  const mineReply = await a.command(...args);
  if (b !== undefined) {
    const theirs = await b.command(...args);
    assert.equal(mineReply, theirs, `${args.map((x) => JSON.stringify(x)).join(' ')}`);
    compared++;
  }
  return mineReply;
}

const lib = (name, body) => `#!lua name=${name}\n${body}`;

test('FUNCTION LOAD and FCALL from node-redis', { timeout: 20_000 }, async () => {
  const client = createClient({ socket: { port: mine.port } });
  await client.connect();
  try {
    await client.functionFlush();
    const code = lib('nr', [
      "redis.register_function('nr_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)",
      "redis.register_function{function_name='nr_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='gets'}",
    ].join('\n'));
    assert.equal(await client.functionLoad(code), 'nr');
    assert.equal(await client.fCall('nr_set', { keys: ['k'], arguments: ['v'] }), 'OK');
    assert.equal(await client.fCallRo('nr_get', { keys: ['k'], arguments: [] }), 'v');
    assert.equal(await client.get('k'), 'v');
    const listed = await client.functionList();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].library_name, 'nr');
    assert.equal(listed[0].engine, 'LUA');
    const byName = Object.fromEntries(listed[0].functions.map((f) => [f.name, f]));
    assert.equal(byName.nr_get.description, 'gets');
    assert.deepEqual([...byName.nr_get.flags], ['no-writes']);
    assert.equal(byName.nr_set.description, null);
    await assert.rejects(client.functionLoad(code), /Library 'nr' already exists/);
    assert.equal(await client.functionLoad(code, { REPLACE: true }), 'nr');
    await assert.rejects(client.fCallRo('nr_set', { keys: ['k'], arguments: ['v'] }), /Can not execute a script with write flag using \*_ro command/);
    await client.functionFlush();
    await client.del('k');
  } finally {
    await client.quit();
  }
});

test('FUNCTION LOAD errors are those of redis-server', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server', timeout: 30_000 }, async () => {
  await same('FUNCTION', 'FLUSH');
  await same('FUNCTION', 'LOAD', 'return 1');
  await same('FUNCTION', 'LOAD', '#!lua');
  await same('FUNCTION', 'LOAD', '#!lua name=x');
  await same('FUNCTION', 'LOAD', '#!lua foo=bar\nreturn 1');
  await same('FUNCTION', 'LOAD', '#!lua name=a name=b\nreturn 1');
  await same('FUNCTION', 'LOAD', '#!lua\nreturn 1');
  await same('FUNCTION', 'LOAD', '#!luax name=a\n');
  await same('FUNCTION', 'LOAD', '#!lua name=a-b\n');
  await same('FUNCTION', 'LOAD', '#!lua name=\n');
  await same('FUNCTION', 'LOAD', '#!lua "name=a b"\n');
  await same('FUNCTION', 'LOAD', '#!lua "unbalanced\n');
  await same('FUNCTION', 'LOAD', lib('a', 'return 1'));
  await same('FUNCTION', 'LOAD', 'FOO', lib('a', 'return 1'));
  await same('FUNCTION', 'LOAD', 'REPLACE');
  const bodies = [
    "redis.register_function('f-x', function() end)",
    "redis.register_function('', function() end)",
    "redis.register_function('f', function() end) redis.register_function('f', function() end)",
    'local x = ',
    'x = = 1',
    "redis.call('ping')",
    "string.format('x')",
    "error('boom')",
    'return redis.setresp()',
    'return redis.pcall()',
    'x = 1',
    'KEYS = 1',
    'redis.x = 1',
    'local r = redis.REDIS_VERSION .. redis.REDIS_VERSION_NUM .. redis.LOG_DEBUG .. redis.LOG_VERBOSE .. redis.LOG_NOTICE .. redis.LOG_WARNING',
    'redis.log()',
    'redis.log(redis.LOG_DEBUG)',
    "redis.log('x', 'y')",
    "redis.register_function('f')",
    "redis.register_function('f', 'x')",
    'redis.register_function(1)',
    'redis.register_function()',
    'redis.register_function(1, 2, 3)',
    'redis.register_function({}, function() end)',
    "redis.register_function{function_name='f', callback=function() end, flags={'foo'}}",
    "redis.register_function{function_name='f', callback=function() end, flags='x'}",
    "redis.register_function{function_name='f', callback=function() end, flags={1}}",
    "redis.register_function{function_name='f', callback=function() end, flags={true}}",
    "redis.register_function{function_name='f', callback=function() end, zzz=1}",
    'redis.register_function{callback=function() end}',
    "redis.register_function{function_name='f'}",
    'redis.register_function{function_name={}, callback=function() end}',
    "redis.register_function{function_name='f', callback=1}",
    "redis.register_function{function_name='f', callback=function() end, description={}}",
    'redis.register_function{[1]=2}',
    'redis.register_function{[true]=2}',
    'redis.register_function{}',
    'local f = function() end while true do end',
  ];
  for (const [i, body] of bodies.entries()) await same('FUNCTION', 'LOAD', lib(`l${i}`, body));
  // Accepted forms.
  await same('FUNCTION', 'LOAD', lib('ok1', "redis.register_function('f1', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', lib('ok1', "redis.register_function('f1', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', lib('ok2', "redis.register_function('f1', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', '#!LUA name=ok2\nredis.register_function(12, function() return 2 end)');
  await same('FUNCTION', 'LOAD', lib('ok4', "redis.register_function('F1', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', lib('ok5', "redis.register_function('g', function() return 1 end) redis.register_function('G', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', 'replace', '#!lua  NAME=ok2\nredis.register_function(12, function() return 3 end)');
  await same('FCALL', '12', '0');
  await same('FUNCTION', 'LOAD', lib('ok3', "redis.register_function{function_name='f3', callback=function() return 3 end, flags={'NO-WRITES', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='all flags'}"));
  await same('FUNCTION', 'LIST', 'LIBRARYNAME', 'ok3');
  await same('FUNCTION', 'LOAD', 'REPLACE', lib('ok3', "local r = redis redis.register_function('f4', function() return r.register_function('x', function() end) end)"));
  await same('FCALL', 'f4', '0');
  await same('FUNCTION', 'FLUSH');
});

test('FCALL and FCALL_RO as redis-server answers them', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server', timeout: 30_000 }, async () => {
  await same('FUNCTION', 'FLUSH');
  await same('FLUSHALL');
  await same('FUNCTION', 'LOAD', lib('calls', [
    "redis.register_function('echo', function(keys, args) return {#keys, #args, keys[1] or false, args[1] or false, args[2] or false} end)",
    "redis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
    "redis.register_function{function_name='getk', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
    "redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}",
    "redis.register_function('glob', function() return nonexistent end)",
    "redis.register_function('setglob', function() newglobal = 1 end)",
    "redis.register_function('boom', function() error('boom') end)",
    "redis.register_function('boomt', function() error({err='MYERR custom'}) end)",
    "redis.register_function('callerr', function() return redis.call('nosuchcommand') end)",
    "redis.register_function('pcallerr', function() return redis.pcall('incr', 'calls:str') end)",
    "redis.register_function('status', function() return redis.status_reply('FINE') end)",
    "redis.register_function('types', function() return {1, 'two', 3.7, true, false, {ok='OK'}} end)",
    "redis.register_function('stdlib', function(k, a) return {cjson.encode({1, 'x'}), tostring(2.5), type(_G), type(string), bit.band(7, 3), cmsgpack.pack(1)} end)",
    "redis.register_function('resp3', function() redis.setresp(3) return redis.call('hgetall', 'calls:h') end)",
    "redis.register_function('reg', function() redis.register_function('x', function() end) end)",
    "redis.register_function('nested', function() return redis.call('fcall', 'echo', 0) end)",
    "redis.register_function('evalit', function() return redis.call('eval', 'return 1', 0) end)",
    "redis.register_function('flushit', function() return redis.call('function', 'flush') end)",
  ].join('\n')));
  await same('FCALL', 'echo', '0');
  await same('FCALL', 'echo', '1', 'k1', 'a1', 'a2');
  await same('FCALL', 'echo', '2', 'k1', 'k2');
  await same('FCALL', 'echo', '3', 'k1', 'k2');
  await same('FCALL', 'echo', '-1');
  await same('FCALL', 'echo', 'x');
  await same('FCALL', 'echo', '1.5', 'k');
  await same('FCALL', 'echo', '99999999999999999999', 'k');
  await same('FCALL', 'nope', '0');
  await same('FCALL', 'nope', 'x');
  await same('FCALL', 'ECHO', '0');
  await same('FCALL', 'echo');
  await same('FCALL_RO', 'echo', '0');
  await same('FCALL', 'setk', '1', 'calls:k', 'v1');
  await same('FCALL_RO', 'setk', '1', 'calls:k', 'v2');
  await same('FCALL_RO', 'getk', '1', 'calls:k');
  await same('FCALL', 'getk', '1', 'calls:k');
  await same('FCALL', 'sneaky', '1', 'calls:k');
  await same('FCALL_RO', 'sneaky', '1', 'calls:k');
  await same('GET', 'calls:k');
  await same('FCALL', 'glob', '0');
  await same('FCALL', 'setglob', '0');
  await same('FCALL', 'boom', '0');
  await same('FCALL', 'boomt', '0');
  await same('FCALL', 'callerr', '0');
  await same('SET', 'calls:str', 'abc');
  await same('FCALL', 'pcallerr', '0');
  await same('FCALL', 'status', '0');
  await same('FCALL', 'types', '0');
  await same('FCALL', 'stdlib', '0');
  await same('HSET', 'calls:h', 'f', 'v');
  await same('FCALL', 'resp3', '0');
  await same('FCALL', 'reg', '0');
  await same('FCALL', 'nested', '0');
  await same('FCALL', 'evalit', '0');
  await same('FCALL', 'flushit', '0');
  // EVAL scripts do not see functions' globals, nor the other way round.
  await same('EVAL', "return redis.call('fcall', 'echo', 0)", '0');
  await same('EVAL', 'return type(register_function)', '0');
  await same('MULTI');
  await same('FCALL', 'setk', '1', 'calls:m', 'in-multi');
  await same('FCALL', 'getk', '1', 'calls:m');
  await same('EXEC');
  await same('FUNCTION', 'FLUSH');
  await same('FLUSHALL');
});

test('FUNCTION LIST, DELETE, FLUSH, STATS, KILL, HELP and argument errors as redis-server answers them', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server', timeout: 30_000 }, async () => {
  await same('FUNCTION', 'FLUSH');
  await same('FUNCTION', 'LIST');
  await same('FUNCTION', 'STATS');
  await same('FUNCTION', 'LOAD', lib('lista', "redis.register_function{function_name='fa', callback=function() return 1 end, description='first'}"));
  await same('FUNCTION', 'LIST');
  await same('FUNCTION', 'LIST', 'WITHCODE');
  await same('FUNCTION', 'LIST', 'withcode', 'libraryname', 'list*');
  await same('FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch*');
  await same('FUNCTION', 'LIST', 'LIBRARYNAME');
  await same('FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE');
  await same('FUNCTION', 'LIST', 'LIBRARYNAME', 'a', 'LIBRARYNAME', 'b');
  await same('FUNCTION', 'LIST', 'foo');
  await same('FUNCTION', 'STATS');
  await same('FUNCTION', 'STATS', 'x');
  await same('FUNCTION', 'LOAD', lib('listb', "redis.register_function('fb1', function() return 1 end) redis.register_function('fb2', function() return 1 end)"));
  await same('FUNCTION', 'STATS');
  await same('FUNCTION', 'DELETE', 'nope');
  await same('FUNCTION', 'DELETE', 'LISTA');
  await same('FUNCTION', 'DELETE', 'lista');
  await same('FUNCTION', 'DELETE');
  // Functions of a library come in hash order, which differs between servers: one function per library here.
  await same('FUNCTION', 'LIST', 'LIBRARYNAME', 'lista');
  await same('FCALL', 'fa', '0');
  await same('FCALL', 'fb2', '0');
  await same('FUNCTION', 'KILL');
  await same('FUNCTION', 'KILL', 'x');
  await same('FUNCTION', 'FLUSH', 'x');
  await same('FUNCTION', 'FLUSH', 'SYNC', 'x');
  await same('FUNCTION', 'FLUSH', 'ASYNC');
  await same('FUNCTION', 'FLUSH', 'sync');
  await same('FUNCTION', 'STATS');
  await same('FUNCTION', 'HELP');
  await same('FUNCTION', 'NOSUCH');
  await same('FUNCTION');
  await same('FUNCTION', 'DUMP', 'x');
  await same('FUNCTION', 'RESTORE');
  await same('FUNCTION', 'RESTORE', 'x', 'FLUSH', 'y');
  await same('FUNCTION', 'RESTORE', 'x', 'bad');
  await same('FUNCTION', 'RESTORE', 'x');
  await a.command('HELLO', '3');
  await b.command('HELLO', '3');
  await same('FUNCTION', 'LOAD', lib('r3', "redis.register_function{function_name='r3', callback=function() return 1 end, flags={'no-writes', 'allow-stale'}}"));
  await same('FUNCTION', 'LIST');
  await same('FUNCTION', 'STATS');
  await same('FUNCTION', 'FLUSH');
  await a.command('HELLO', '2');
  await b.command('HELLO', '2');
  // Name, arity, flags, key positions and ACL categories (this server has no command tips).
  const head = (reply) => reply.slice(0, reply.lastIndexOf('+@') + reply.slice(reply.lastIndexOf('+@')).indexOf('\r\n') + 2);
  for (const name of ['function|load', 'function|delete', 'function|flush', 'function|list', 'function|dump', 'function|restore', 'function|stats', 'function|kill', 'function|help', 'fcall']) {
    const mineInfo = await a.command('COMMAND', 'INFO', name);
    const theirs = await b.command('COMMAND', 'INFO', name);
    assert.equal(head(mineInfo), head(theirs), name);
    compared++;
  }
});

test('FUNCTION DUMP and RESTORE: round trips, policies and payloads moving between the servers', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server', timeout: 30_000 }, async () => {
  await same('FUNCTION', 'FLUSH');
  const one = lib('d1', "redis.register_function('d1f', function() return 'one' end)");
  const two = lib('d2', "redis.register_function{function_name='d2f', callback=function() return 'two' end, flags={'no-writes'}, description='second'}");
  await same('FUNCTION', 'LOAD', one);
  await same('FUNCTION', 'LOAD', two);
  const mineDump = bulk(await a.command('FUNCTION', 'DUMP'));
  const theirDump = bulk(await b.command('FUNCTION', 'DUMP'));
  const sorted = async (conn) => {
    const out = [];
    for (const name of ['d1', 'd2', 'd3']) out.push(await conn.command('FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', name));
    return out;
  };
  const expected = await sorted(b);
  assert.deepEqual(await sorted(a), expected);
  // Each server restores the other's payload.
  for (const [conn, payload] of [[a, theirDump], [b, mineDump]]) {
    // Which library collides first follows the payload's order, Redis's hash order.
    assert.match(await conn.command('FUNCTION', 'RESTORE', payload), /^-ERR Library d[12] already exists\r\n$/);
    assert.equal(await conn.command('FUNCTION', 'RESTORE', payload, 'REPLACE'), '+OK\r\n');
    assert.equal(await conn.command('FUNCTION', 'FLUSH'), '+OK\r\n');
    assert.equal(await conn.command('FUNCTION', 'RESTORE', payload), '+OK\r\n');
    assert.deepEqual(await sorted(conn), expected);
    assert.equal(await conn.command('FUNCTION', 'RESTORE', payload, 'FLUSH'), '+OK\r\n');
    assert.deepEqual(await sorted(conn), expected);
    assert.equal(await conn.command('FCALL', 'd2f', '0'), '$3\r\ntwo\r\n');
  }
  // A library whose function collides with one of the payload's, under another library name.
  await same('FUNCTION', 'DELETE', 'd1');
  await same('FUNCTION', 'LOAD', lib('d3', "redis.register_function('d1f', function() return 'three' end)"));
  await same('FUNCTION', 'RESTORE', theirDump, 'REPLACE');
  await same('FUNCTION', 'RESTORE', theirDump, 'APPEND');
  assert.deepEqual(await sorted(a), await sorted(b));
  await same('FUNCTION', 'RESTORE', theirDump, 'flush');
  assert.deepEqual(await sorted(a), expected);
  assert.deepEqual(await sorted(b), expected);
  // Damaged payloads.
  const damaged = theirDump.slice(0, -1) + String.fromCharCode(theirDump.charCodeAt(theirDump.length - 1) ^ 1);
  await same('FUNCTION', 'RESTORE', damaged);
  await same('FUNCTION', 'RESTORE', 'short');
  const empty = bulk(await b.command('FUNCTION', 'DUMP'));
  await same('FUNCTION', 'FLUSH');
  const emptyDump = await same('FUNCTION', 'DUMP');
  await same('FUNCTION', 'RESTORE', bulk(emptyDump));
  await same('FUNCTION', 'RESTORE', empty);
  // A key's DUMP payload is not a function payload.
  await same('SET', 'dumped', 'v');
  const keyDump = bulk(await b.command('DUMP', 'dumped'));
  await same('FUNCTION', 'RESTORE', keyDump);
  await same('DEL', 'dumped');
  // Redis 7.0-rc's record (opcode 246: name, engine, description, body) is still read.
  const rc = (description) => {
    const str = (x) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x, 'latin1')]);
    const body = Buffer.concat([
      Buffer.from([246]), str('rclib'), str('LUA'),
      ...(description === undefined ? [Buffer.from([0])] : [Buffer.from([1]), str(description)]),
      str("redis.register_function('rcf', function() return 'rc' end)"), Buffer.from([10, 0]),
    ]);
    return Buffer.concat([body, crc64(body)]).toString('latin1');
  };
  await same('FUNCTION', 'RESTORE', rc(undefined));
  await same('FCALL', 'rcf', '0');
  await same('FUNCTION', 'RESTORE', rc('a description'), 'FLUSH');
  await same('FUNCTION', 'LIST', 'WITHCODE');
  await same('FUNCTION', 'FLUSH');
  // A payload with a library that does not load.
  await same('FUNCTION', 'LOAD', lib('bad', "redis.register_function('same', function() return 1 end)"));
  await same('FUNCTION', 'LOAD', lib('bad2', "redis.register_function('same2', function() return 1 end)"));
  const pair = bulk(await b.command('FUNCTION', 'DUMP'));
  await same('FUNCTION', 'DELETE', 'bad');
  await same('FUNCTION', 'LOAD', lib('other', "redis.register_function('same', function() return 1 end)"));
  await same('FUNCTION', 'RESTORE', pair, 'REPLACE');
  await same('FUNCTION', 'FLUSH');
});

test('libraries in dump.rdb move between redis-server and this server both ways', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server', timeout: 60_000 }, async (t) => {
  const codes = [
    lib('rdb1', "redis.register_function('rdb1f', function(keys, args) return {keys[1], args[1]} end)"),
    lib('rdb2', `-- ${'a long comment that LZF compresses well '.repeat(20)}\nredis.register_function{function_name='rdb2f', callback=function() return redis.call('get', 'k') end, flags={'no-writes'}, description='reads k'}`),
  ];
  const listed = async (client) => {
    const out = [];
    for (const name of ['rdb1', 'rdb2']) out.push(JSON.stringify(await client.call('FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', name)));
    return out;
  };
  const fromRedis = tempDir();
  const redis = await startInDir(t, fromRedis, ['--save', '', '--appendonly', 'no'], { redis: true });
  for (const code of codes) await redis.client.call('FUNCTION', 'LOAD', code);
  await redis.client.set('k', 'v');
  const expected = await listed(redis.client);
  await redis.client.save();
  const loaded = await startInDir(t, fromRedis, ['--save', '', '--enable-debug-command', 'yes']);
  assert.deepEqual(await listed(loaded.client), expected, "ours loads Redis 7.0's dump.rdb with functions");
  assert.equal(await loaded.client.call('FCALL_RO', 'rdb2f', '0'), 'v');
  assert.equal(await loaded.client.get('k'), 'v');

  const fromOurs = tempDir();
  const mineServer = await startInDir(t, fromOurs, ['--save', '']);
  for (const code of codes) await mineServer.client.call('FUNCTION', 'LOAD', code);
  await mineServer.client.set('k', 'w');
  await mineServer.client.save();
  const redisLoads = await startInDir(t, fromOurs, ['--save', '', '--appendonly', 'no'], { redis: true });
  assert.deepEqual(await listed(redisLoads.client), expected, 'Redis loads our dump.rdb with functions');
  assert.deepEqual(await redisLoads.client.call('FCALL', 'rdb1f', '1', 'x', 'y'), ['x', 'y']);
  assert.equal(await redisLoads.client.get('k'), 'w');
  // And ours loads its own file back, DEBUG RELOAD included.
  const again = await startInDir(t, fromOurs, ['--save', '', '--enable-debug-command', 'yes']);
  assert.deepEqual(await listed(again.client), expected);
  await again.client.call('FUNCTION', 'DELETE', 'rdb1');
  await again.client.call('FUNCTION', 'LOAD', lib('extra', "redis.register_function('ex', function() return 1 end)"));
  await again.client.call('DEBUG', 'RELOAD');
  assert.deepEqual(await listed(again.client), ['[]', expected[1]]);
  assert.equal(await again.client.call('FCALL', 'ex', '0'), 1);
});

test('FUNCTION LOAD, DELETE, FLUSH and RESTORE reach the append-only file and replay at start-up', { skip: !ours && 'our server only', timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const first = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  const c = first.client;
  await c.call('FUNCTION', 'LOAD', lib('aof1', "redis.register_function('aof1f', function(k, a) return redis.call('set', k[1], a[1]) end)"));
  await c.call('FUNCTION', 'LOAD', lib('aof2', "redis.register_function('aof2f', function() return 2 end)"));
  await c.call('FUNCTION', 'LOAD', lib('aof3', "redis.register_function('aof3f', function() return 3 end)"));
  await c.call('FUNCTION', 'DELETE', 'aof2');
  const payload = await c.callBuffer('FUNCTION', 'DUMP');
  await c.call('FUNCTION', 'FLUSH');
  await c.call('FUNCTION', 'RESTORE', payload);
  await c.call('FUNCTION', 'LOAD', 'REPLACE', lib('aof3', "redis.register_function('aof3f', function() return 33 end)"));
  assert.equal(await c.call('FCALL', 'aof1f', '1', 'written', 'by-function'), 'OK');
  // A failed load is not recorded (its replay would fail too).
  await assert.rejects(c.call('FUNCTION', 'LOAD', lib('aof3', "redis.register_function('x', function() end)")), /already exists/);
  first.proc.kill('SIGTERM');
  await once(first.proc, 'exit');
  const second = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  const names = (await second.client.call('FUNCTION', 'LIST')).map((l) => l[1]).sort();
  assert.deepEqual(names, ['aof1', 'aof3']);
  assert.equal(await second.client.call('FCALL', 'aof3f', '0'), 33);
  assert.equal(await second.client.get('written'), 'by-function');
  // A rewrite puts the libraries in the new base.
  await second.client.call('BGREWRITEAOF');
  for (let i = 0; i < 100 && /aof_rewrite_in_progress:1/.test(await second.client.info('persistence')); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  second.proc.kill('SIGTERM');
  await once(second.proc, 'exit');
  const third = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  assert.deepEqual((await third.client.call('FUNCTION', 'LIST')).map((l) => l[1]).sort(), ['aof1', 'aof3']);
  assert.equal(await third.client.get('written'), 'by-function');
});

test('how many replies were compared with redis-server', { skip: (!HAVE_REDIS || !ours) && 'needs redis-server' }, () => {
  assert.ok(compared > 150, `compared ${compared}`);
  console.log(`# functions: ${compared} replies compared with redis-server`);
});
