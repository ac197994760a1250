// MULTI/EXEC edge cases against a redis-server 7.0.15 started beside ours:
// each scenario runs, step by step, on two connections to each server, and
// every reply must be the same bytes. The cases are those of Redis's
// unit/multi that need no replica: commands refused inside MULTI (SAVE,
// SHUTDOWN), EXEC's own arity, queueing errors, errors inside EXEC (CONFIG
// SET), a server state that changes between MULTI and EXEC (maxmemory,
// min-replicas-to-write), blocking commands inside a transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HAVE_REDIS, monitorLines, replyConnection, startRedis, startServer } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const skip = (!HAVE_REDIS || !ours) && 'needs redis-server';

let mine;
let reference;
/** Per server, two connections: [[ours A, ours B], [redis A, redis B]]. */
let conns;

before(async () => {
  if (skip) return;
  mine = await startServer([]);
  reference = await startRedis();
  conns = [
    [await replyConnection(mine.port), await replyConnection(mine.port)],
    [reference.conn, await replyConnection(reference.port)],
  ];
});

after(async () => {
  for (const c of conns?.flat() ?? []) if (c !== reference?.conn) c.close();
  reference?.stop();
  await mine?.stop();
});

/** Settings the scenarios change, put back after each. */
const RESTORE = [['CONFIG', 'SET', 'maxmemory', '0'], ['CONFIG', 'SET', 'min-replicas-to-write', '0'], ['DISCARD'], ['FLUSHALL']];

/** Runs `steps` ([connection 0 or 1, ...args]) on both servers; every reply must match. */
async function same(steps) {
  for (const [a, b] of conns) for (const args of RESTORE) await Promise.all([a.command(...args), b.command(...args)]);
  try {
    for (const [who, ...args] of steps) {
      const [got, expected] = await Promise.all(conns.map((pair) => pair[who].command(...args)));
      assert.equal(got, expected, `${who}: ${args.join(' ')}`);
    }
  } finally {
    for (const [a] of conns) for (const args of RESTORE) await a.command(...args);
  }
}

const SCENARIOS = {
  'SAVE and SHUTDOWN are refused inside MULTI, and EXEC then aborts': [
    [0, 'MULTI'], [0, 'SET', 'foo', 'bar'], [0, 'SAVE'], [0, 'EXEC'], [0, 'GET', 'foo'],
    [0, 'MULTI'], [0, 'SET', 'foo', 'bar'], [0, 'SHUTDOWN'], [0, 'SHUTDOWN', 'NOSAVE'], [0, 'EXEC'], [0, 'GET', 'foo'],
    [0, 'MULTI'], [0, 'BGSAVE', 'SCHEDULE'], [0, 'DISCARD'],
  ],
  "EXEC's and DISCARD's own arity inside and outside MULTI": [
    [0, 'EXEC', 'x'], [0, 'DISCARD', 'x'], [0, 'MULTI', 'x'],
    [0, 'MULTI'], [0, 'SET', 'a', '1'], [0, 'EXEC', 'x'], [0, 'EXEC'], [0, 'GET', 'a'],
    [0, 'MULTI'], [0, 'SET', 'a', '1'], [0, 'DISCARD', 'x'], [0, 'EXEC'], [0, 'GET', 'a'],
    // A refused EXEC outside MULTI still discards: the watches go.
    [0, 'WATCH', 'k'], [0, 'EXEC', 'x'], [1, 'SET', 'k', '1'], [0, 'MULTI'], [0, 'PING'], [0, 'EXEC'],
    // A RESP2 subscriber may not EXEC: refused the same way.
    [1, 'SUBSCRIBE', 'ch'], [1, 'EXEC'], [1, 'MULTI'], [1, 'UNSUBSCRIBE', 'ch'],
  ],
  'queueing errors (arity, unknown command or subcommand) abort EXEC; run-time errors do not': [
    [0, 'MULTI'], [0, 'SET', 'a'], [0, 'SET', 'b', '2'], [0, 'EXEC'], [0, 'EXISTS', 'b'],
    [0, 'MULTI'], [0, 'NOSUCHCOMMAND', 'x'], [0, 'EXEC'],
    [0, 'MULTI'], [0, 'CONFIG', 'NOSUCH'], [0, 'EXEC'],
    [0, 'SET', 's', 'str'],
    [0, 'MULTI'], [0, 'LPUSH', 's', 'x'], [0, 'INCR', 'n'], [0, 'SET', 'k', 'v', 'EX', '0'], [0, 'GET', 's'], [0, 'EXEC'],
    [0, 'MULTI'], [0, 'MULTI'], [0, 'WATCH', 'x'], [0, 'PING'], [0, 'EXEC'],
  ],
  'a CONFIG SET that fails inside EXEC is an error in its place': [
    [0, 'MULTI'], [0, 'SET', 'foo', 'bar'], [0, 'CONFIG', 'SET', 'maxmemory', 'bla'], [0, 'CONFIG', 'SET', 'nosuch', '1'],
    [0, 'CONFIG', 'SET', 'maxmemory', '100mb', 'maxmemory', '1mb'], [0, 'CONFIG', 'GET', 'maxmemory'], [0, 'EXEC'],
  ],
  'over maxmemory, EXEC of reads runs and EXEC with a write aborts with OOM': [
    [0, 'SET', 'x', 'value'],
    [0, 'MULTI'], [0, 'GET', 'x'], [0, 'PING'], [1, 'CONFIG', 'SET', 'maxmemory', '1'], [0, 'EXEC'],
    [1, 'CONFIG', 'SET', 'maxmemory', '0'],
    [0, 'MULTI'], [0, 'SET', 'x', '1'], [0, 'GET', 'x'], [1, 'CONFIG', 'SET', 'maxmemory', '1'], [0, 'EXEC'], [0, 'GET', 'x'],
    [1, 'CONFIG', 'SET', 'maxmemory', '0'],
  ],
  'over maxmemory while queueing: a write is refused and aborts EXEC, DISCARD still works': [
    [1, 'CONFIG', 'SET', 'maxmemory', '1'],
    [0, 'MULTI'], [0, 'SET', 'x', '1'], [0, 'GET', 'x'], [0, 'EXEC'],
    [0, 'MULTI'], [0, 'SET', 'x', '1'], [0, 'DISCARD'], [0, 'PING'],
    [0, 'MULTI'], [0, 'DEL', 'x'], [0, 'EXEC'],
    [1, 'CONFIG', 'SET', 'maxmemory', '0'],
  ],
  'min-replicas-to-write set between MULTI and EXEC aborts a transaction with writes only': [
    [0, 'SET', 'xx', '1'],
    [0, 'MULTI'], [0, 'INCR', 'xx'], [1, 'CONFIG', 'SET', 'min-replicas-to-write', '2'], [0, 'EXEC'], [0, 'GET', 'xx'],
    [0, 'MULTI'], [0, 'GET', 'xx'], [0, 'EXEC'],
    [0, 'MULTI'], [0, 'INCR', 'xx'], [0, 'EXEC'],
    [1, 'CONFIG', 'SET', 'min-replicas-to-write', '0'],
  ],
  'blocking commands inside MULTI answer at once, whatever their timeout': [
    [0, 'XGROUP', 'CREATE', 's{t}', 'g', '$', 'MKSTREAM'],
    [0, 'MULTI'],
    [0, 'BLPOP', 'empty_list{t}', '0'], [0, 'BRPOP', 'empty_list{t}', '0'],
    [0, 'BRPOPLPUSH', 'empty_list1{t}', 'empty_list2{t}', '0'], [0, 'BLMOVE', 'empty_list1{t}', 'empty_list2{t}', 'LEFT', 'LEFT', '0'],
    [0, 'BZPOPMIN', 'empty_zset{t}', '0'], [0, 'BZPOPMAX', 'empty_zset{t}', '0'], [0, 'BLMPOP', '0', '1', 'empty_list{t}', 'LEFT'],
    [0, 'XREAD', 'BLOCK', '0', 'STREAMS', 's{t}', '$'], [0, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's{t}', '>'],
    [0, 'BLPOP', 'empty_list{t}', '-1'], [0, 'BLPOP', 'empty_list{t}', 'x'],
    [0, 'EXEC'],
  ],
  'FLUSHALL while one client watches several keys, and WATCH after it': [
    [0, 'MSET', 'a', 'a', 'b', 'b'], [0, 'WATCH', 'b', 'a'], [0, 'FLUSHALL'], [0, 'PING'],
    [0, 'MULTI'], [0, 'PING'], [0, 'EXEC'],
    [0, 'MSET', 'a', 'a'], [0, 'WATCH', 'a'], [1, 'FLUSHALL'], [0, 'MULTI'], [0, 'PING'], [0, 'EXEC'],
  ],
};

for (const [name, steps] of Object.entries(SCENARIOS)) {
  test(name, { skip }, () => same(steps));
}

test('MONITOR shows a transaction as Redis does: MULTI, the commands at EXEC, and a refused EXEC', { skip }, async () => {
  const commands = [
    ['MULTI'], ['SET', 'a'], ['EXEC'], ['EXEC', 'x'],
    ['MULTI'], ['SET', 'b', '1'], ['EXEC', 'x'],
    ['WATCH', 'k'], ['EXEC', 'x'], ['MULTI'], ['SET', 'c', '1'], ['INCR', 'c'], ['EXEC'], ['DISCARD'],
    ['MULTI'], ['SET', 'd', '1'], ['DISCARD'],
  ];
  const [got, expected] = await Promise.all([mine.port, reference.port].map((port) => monitorLines(port, commands)));
  assert.deepEqual(got, expected);
});
