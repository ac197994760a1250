// EVAL against redis-server 7.0.15: every script of the corpus must get the same reply, byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HAVE_REDIS, replyConnection, startRedis, startServer } from './helpers.mjs';
import { EVAL_CORPUS } from './lua/corpus.mjs';

let ours;
let reference;
let oursConn;
let redisConn;
before(async () => {
  if (!HAVE_REDIS) return;
  ours = await startServer([]);
  reference = await startRedis();
  oursConn = await replyConnection(ours.port);
  redisConn = reference.conn;
});
after(async () => {
  oursConn?.close();
  await ours?.stop();
  reference?.stop();
});

for (const [script, ...rest] of EVAL_CORPUS) {
  test(`EVAL ${JSON.stringify(script).slice(0, 90)} answers as Redis does`, { skip: !HAVE_REDIS && 'redis-server is not installed' }, async () => {
    const args = ['EVAL', script, ...rest.map(String)];
    await oursConn.command('FLUSHALL');
    await redisConn.command('FLUSHALL');
    const expected = await redisConn.command(...args);
    const actual = await oursConn.command(...args);
    assert.equal(actual, expected);
  });
}

/**
 * Command sequences run on both servers, reply by reply. Two pseudo commands
 * read statistics that carry timings: ['@cmdstat', name] is the calls,
 * rejected_calls and failed_calls of INFO commandstats, ['@info', section,
 * field] one field of INFO.
 */
const SEQUENCES = {
  'errors of refused and failing script commands are counted once': [
    ['CONFIG', 'RESETSTAT'], ['CONFIG', 'SET', 'maxmemory', '1'],
    ['EVAL', "return redis.call('set','x','y')", '1', 'x'],
    ['INFO', 'errorstats'], ['@cmdstat', 'set'], ['@cmdstat', 'eval'],
    ['CONFIG', 'RESETSTAT'],
    ['EVAL', "local t = redis.pcall('set','x','y') return t['err']", '1', 'x'],
    ['INFO', 'errorstats'], ['@cmdstat', 'set'], ['@cmdstat', 'eval'],
    ['CONFIG', 'RESETSTAT'],
    ['EVAL', "return redis.pcall('set','x','y')", '1', 'x'],
    ['INFO', 'errorstats'], ['@info', 'stats', 'total_error_replies'], ['@cmdstat', 'eval'],
    ['EVAL', '#!lua flags=\nreturn 1', '0'],
    ['CONFIG', 'SET', 'maxmemory', '0'], ['CONFIG', 'RESETSTAT'],
    ['EVAL', "return redis.call('select',99)", '0'],
    ['INFO', 'errorstats'], ['@cmdstat', 'select'], ['@cmdstat', 'eval'],
    ['CONFIG', 'RESETSTAT'],
    ['EVAL_RO', "return redis.call('set','x','y')", '1', 'x'],
    ['INFO', 'errorstats'], ['@cmdstat', 'set'], ['@cmdstat', 'eval_ro'],
  ],
  'min-replicas-to-write without replicas refuses writes': [
    ['SET', 'x', '1'], ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
    ['SET', 'x', '2'], ['GET', 'x'],
    ['EVAL', "return redis.call('set','x','y')", '1', 'x'],
    ['EVAL', '#!lua\nreturn redis.call("get", KEYS[1])', '1', 'x'],
    ['EVAL', '#!lua flags=no-writes\nreturn redis.call("get", KEYS[1])', '1', 'x'],
    ['MULTI'], ['SET', 'x', '3'], ['EXEC'],
    ['CONFIG', 'SET', 'min-replicas-to-write', '0'], ['SET', 'x', '4'],
  ],
  'read-only commands refuse scripts that may write': [
    ['EVAL_RO', '#!lua\nreturn 1', '0'], ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'], ['EVAL_RO', 'return 1', '0'],
    ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=ro\nredis.register_function('w', function() return 1 end)"],
    ['FCALL_RO', 'w', '0'], ['FCALL_RO', 'w', 'x'], ['FCALL_RO', 'nosuch', '0'], ['FUNCTION', 'DELETE', 'ro'],
  ],
  'a refused EXEC aborts the transaction and says why': [
    ['MULTI'], ['SET', 'a', '1'], ['EXEC', 'extra'], ['EXEC'], ['GET', 'a'],
  ],
  'CLUSTER without cluster support': [
    ['CLUSTER', 'INFO'], ['CLUSTER', 'KEYSLOT', 'foo'], ['CLUSTER', 'NOSUCH'], ['CLUSTER', 'INFO', 'extra'],
    ['EVAL', "return redis.pcall('cluster', 'reset')", '0'],
    ['EVAL', "return redis.pcall('cluster', 'info')", '0'],
  ],
  'SORT of a set by a constant is ordered inside scripts': [
    ['SADD', 'myset', 'a', 'b', 'c', 'z', 'aa', 'aaa', 'azz', 'm'],
    ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_')", '1', 'myset'],
    ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')", '1', 'myset'],
  ],
  'a table that contains itself ends in the stack limit error': [
    ['EVAL', 'local a = {} local b = {a} a[1] = b return a', '0'],
    ['EVAL', 'local a = {} a[1] = a return {map = {k = a}}', '0'],
    ['EVAL', "redis.setresp(3) local a = {} a[1] = a return {set = {[a] = true}}", '0'],
    ['EVAL', 'local a = {} a[1] = {map = {k = a}} return a', '0'],
  ],
  'INFO memory counts cached scripts': [
    ['SCRIPT', 'FLUSH'], ['EVAL', 'return 1', '0'], ['EVAL', 'return 2', '0'],
    ['@info', 'memory', 'number_of_cached_scripts'], ['SCRIPT', 'FLUSH'], ['@info', 'memory', 'number_of_cached_scripts'],
  ],
};

async function run(conn, args) {
  if (args[0] === '@cmdstat') {
    const info = await conn.command('INFO', 'commandstats');
    const line = info.split('\r\n').find((l) => l.startsWith(`cmdstat_${args[1]}:`)) ?? '';
    return line.replace(/usec=[^,]*,usec_per_call=[^,]*,/, '');
  }
  if (args[0] === '@info') {
    const info = await conn.command('INFO', args[1]);
    return info.split('\r\n').find((l) => l.startsWith(`${args[2]}:`));
  }
  return conn.command(...args);
}

for (const [name, commands] of Object.entries(SEQUENCES)) {
  test(`as Redis: ${name}`, { skip: !HAVE_REDIS && 'redis-server is not installed' }, async () => {
    await oursConn.command('FLUSHALL');
    await redisConn.command('FLUSHALL');
    for (const args of commands) {
      const expected = await run(redisConn, args);
      const actual = await run(oursConn, args);
      assert.equal(actual, expected, JSON.stringify(args));
    }
  });
}
