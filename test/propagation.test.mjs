// What the replication stream carries, where Redis rewrites commands: the pops that pick one of
// several keys or wait for one (BLPOP, LMPOP, BZPOPMIN, ZMPOP, ...), SWAPDB, a blocked client whose
// key turns out expired when it is woken, SET ... PXAT, RESTORE with a TTL, redis.set_repl, and a
// transaction that makes the server a replica half-way. Each scenario runs against our server and a
// real redis-server, and both streams must be the literal expected here (Redis's test suite reads
// these streams). The stream is read as the suite reads it, through a plain SYNC, which must start
// at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedClients, freePort, rawConnect, sleep, startServer, waitFor, HAVE_REDIS } from './helpers.mjs';
import { connect, redisServer, stopAfter } from './replication-fixtures.mjs';

/** Attaches as an old-style replica (SYNC, as the suite's attach_to_replication_stream) and skips the snapshot. */
async function attach(port) {
  // Well under the 5 s repl-diskless-sync-delay: a SYNC (no `capa eof`) gets a disk snapshot at once.
  const conn = await rawConnect(port, 3000);
  conn.write('SYNC\r\n');
  let header = await conn.readUntil('\r\n');
  while (header.startsWith('\n')) header = header.slice(1);
  const length = Number(/^\$(\d+)\r\n$/.exec(header)[1]);
  assert.equal((await conn.read(length)).slice(0, 5), 'REDIS');
  return conn;
}

/** The next command of the stream, its arguments as sent. */
async function nextCommand(conn) {
  const count = Number(/^\*(\d+)\r\n$/.exec(await conn.readUntil('\r\n'))[1]);
  const args = [];
  for (let i = 0; i < count; i++) {
    const length = Number(/^\$(\d+)\r\n$/.exec(await conn.readUntil('\r\n'))[1]);
    args.push((await conn.read(length + 2)).slice(0, -2));
  }
  return args;
}

/** Runs `body(m, b)` (two clients) on the server at `port`; returns the stream it produced, up to the closing marker. */
async function streamOf(port, body) {
  const m = connect(port);
  const b = connect(port);
  await m.config('SET', 'repl-ping-replica-period', '3600');
  const conn = await attach(port);
  try {
    await body(m, b);
    await m.call('SET', 'end', '1');
    const stream = [];
    for (let command = await nextCommand(conn); command[1] !== 'end'; command = await nextCommand(conn)) stream.push(command);
    return normalized(stream);
  } finally {
    conn.close();
  }
}

/** Command names compared case-blind (Redis keeps the client's spelling), absolute times as a placeholder. */
const normalized = (stream) =>
  stream.map(([name, ...rest]) => {
    const upper = name.toUpperCase();
    if (upper === 'PEXPIREAT') return ['PEXPIREAT', rest[0], '<time>'];
    if (upper === 'SET' && rest[2]?.toUpperCase() === 'PXAT') return ['SET', rest[0], rest[1], rest[2], '<time>'];
    if (upper === 'RESTORE') return ['RESTORE', rest[0], rest[1] === '0' ? '0' : '<time>', '<payload>', ...rest.slice(3)];
    return [upper, ...rest];
  });

/** The pops, SWAPDB and a waiter woken on an expired key. */
async function pops(m, b) {
  await m.call('FLUSHALL');
  await m.call('RPUSH', 'l', 'a', 'b', 'c');
  await m.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', '5');
  await m.call('RPUSH', 'l2', 'x', 'y');
  await m.call('BLPOP', 'l', 'l2', '0');
  await m.call('BRPOP', 'l2', '0');
  let served = b.call('BLPOP', 'w', '0');
  await blockedClients(m, 1);
  await m.call('RPUSH', 'w', '1');
  assert.deepEqual(await served, ['w', '1']);
  served = b.call('BLMPOP', '0', '1', 'w', 'RIGHT', 'COUNT', '2');
  await blockedClients(m, 1);
  await m.call('RPUSH', 'w', '1', '2', '3');
  assert.deepEqual(await served, ['w', ['3', '2']]);
  await m.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
  await m.call('ZMPOP', '1', 'z', 'MAX', 'COUNT', '2');
  await m.call('BZPOPMIN', 'z', '0');
  served = b.call('BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '10');
  await blockedClients(m, 1);
  await m.call('ZADD', 'z', '1', 'a', '2', 'b');
  assert.deepEqual(await served, ['z', [['a', '1'], ['b', '2']]]);
  served = b.call('BZPOPMAX', 'z', '0');
  await blockedClients(m, 1);
  await m.call('ZADD', 'z', '1', 'a');
  assert.deepEqual(await served, ['z', 'a', '1']);
  await m.call('SWAPDB', '0', '1');
  await m.call('SWAPDB', '1', '1');
  // A waiter woken by SWAPDB onto a logically expired key stays blocked; the key's deletion is all that travels.
  await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  await m.select(1);
  await m.call('RPUSH', 'k', 'hello');
  await m.call('PEXPIRE', 'k', '50');
  const waiter = await b.call('CLIENT', 'ID');
  served = b.call('BRPOP', 'k', '0');
  await blockedClients(m, 1);
  await sleep(80);
  await m.call('SWAPDB', '1', '0');
  await blockedClients(m, 1);
  assert.equal(await m.call('CLIENT', 'UNBLOCK', String(waiter)), 1);
  assert.equal(await served, null);
  await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
}

const POPS = [
  ['SELECT', '0'],
  ['FLUSHALL'],
  ['RPUSH', 'l', 'a', 'b', 'c'],
  ['LPOP', 'l', '3'],
  ['RPUSH', 'l2', 'x', 'y'],
  ['LPOP', 'l2'],
  ['RPOP', 'l2'],
  ['RPUSH', 'w', '1'],
  ['LPOP', 'w'],
  ['RPUSH', 'w', '1', '2', '3'],
  ['RPOP', 'w', '2'],
  ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
  ['ZPOPMAX', 'z', '2'],
  ['ZPOPMIN', 'z'],
  ['ZADD', 'z', '1', 'a', '2', 'b'],
  ['ZPOPMIN', 'z', '2'],
  ['ZADD', 'z', '1', 'a'],
  ['ZPOPMAX', 'z'],
  ['SWAPDB', '0', '1'],
  ['SWAPDB', '1', '1'],
  ['SELECT', '1'],
  ['RPUSH', 'k', 'hello'],
  ['PEXPIREAT', 'k', '<time>'],
  ['SWAPDB', '1', '0'],
  ['SELECT', '0'],
  ['DEL', 'k'],
  ['SELECT', '1'],
];

/** SET ... PXAT, RESTORE with a TTL or without, and a script's redis.set_repl. */
async function rewrites(m) {
  await m.call('FLUSHALL');
  await m.call('SET', 'k', 'v', 'PXAT', String(Date.now() + 100000));
  const payload = await m.callBuffer('DUMP', 'k');
  await m.call('RESTORE', 'r1', '100000', payload);
  await m.call('RESTORE', 'r2', '0', payload, 'IDLETIME', '5');
  await m.call('RESTORE', 'r3', String(Date.now() + 100000), payload, 'absttl');
  await m.call('EVAL', "redis.call('set','a','1'); redis.set_repl(redis.REPL_NONE); redis.call('set','b','2'); redis.set_repl(redis.REPL_AOF); redis.call('set','c','3'); redis.set_repl(redis.REPL_ALL); redis.call('set','d','4')", '0');
}

const REWRITES = [
  ['SELECT', '0'],
  ['FLUSHALL'],
  ['SET', 'k', 'v', 'PXAT', '<time>'],
  ['RESTORE', 'r1', '<time>', '<payload>', 'ABSTTL'],
  ['RESTORE', 'r2', '0', '<payload>', 'IDLETIME', '5'],
  ['RESTORE', 'r3', '<time>', '<payload>', 'absttl'],
  ['MULTI'],
  ['SET', 'a', '1'],
  ['SET', 'd', '4'],
  ['EXEC'],
];

/** REPLICAOF inside MULTI: EXEC still runs every queued command, and nothing of the transaction reaches the replicas. */
async function demotedInTransaction(m) {
  await m.call('SET', 'foo', 'bar');
  const nowhere = await freePort();
  const replies = await m.multi().set('foo2', 'bar').call('REPLICAOF', '127.0.0.1', String(nowhere)).set('foo3', 'bar').exec();
  assert.deepEqual(replies, [[null, 'OK'], [null, 'OK'], [null, 'OK']]);
  await assert.rejects(m.set('foo4', 'bar'), /^ReplyError: READONLY/);
  await m.call('REPLICAOF', 'NO', 'ONE');
}

const targets = [
  ['ours', async () => stopAfter(await startServer(['--save', '', '--enable-debug-command', 'yes']))],
  ['redis-server', () => redisServer(['--enable-debug-command', 'yes'])],
];

for (const [name, start] of targets) {
  const skip = name === 'redis-server' && !HAVE_REDIS && 'redis-server not installed';

  test(`${name}: multi-key and blocking pops travel as single-key pops, SWAPDB travels, an expired key woken on travels as DEL`, { timeout: 20000, skip }, async () => {
    const server = await start();
    assert.deepEqual(await streamOf(server.port, pops), POPS);
  });

  test(`${name}: SET PXAT, RESTORE's TTL made absolute, redis.set_repl choosing what replicas get`, { timeout: 20000, skip }, async () => {
    const server = await start();
    assert.deepEqual(await streamOf(server.port, rewrites), REWRITES);
  });

  test(`${name}: a transaction that makes the server a replica runs whole and does not travel`, { timeout: 20000, skip }, async () => {
    const server = await start();
    // The stream ends with the replica link (the marker cannot follow): it must hold the SET before, and no more.
    const m = connect(server.port);
    await m.config('SET', 'repl-ping-replica-period', '3600');
    const conn = await attach(server.port);
    try {
      await demotedInTransaction(m);
      assert.deepEqual(normalized([await nextCommand(conn), await nextCommand(conn)]), [['SELECT', '0'], ['SET', 'foo', 'bar']]);
      await assert.rejects(nextCommand(conn), /timed out|closed/);
    } finally {
      conn.close();
    }
  });

  test(`${name}: BGREWRITEAOF and CONFIG SET appendonly yes inside EXEC are scheduled, and then run`, { timeout: 20000, skip }, async () => {
    const server = await start();
    const m = connect(server.port);
    const forks = async () => Number(/total_forks:(\d+)/.exec(await m.info('stats'))[1]);
    const before = await forks();
    assert.deepEqual(await m.multi().set('foo', 'bar').bgrewriteaof().exec(), [[null, 'OK'], [null, 'Background append only file rewriting scheduled']]);
    await waitFor('the scheduled rewrite to start', async () => (await forks()) > before);
    await waitFor('the rewrite to end', async () => /aof_rewrite_in_progress:0/.test(await m.info('persistence')) && /aof_rewrite_scheduled:0/.test(await m.info('persistence')));
    const next = await forks();
    assert.deepEqual(await m.multi().set('foo', 'bar').config('SET', 'appendonly', 'yes').exec(), [[null, 'OK'], [null, 'OK']]);
    await waitFor('the AOF rewrite to start', async () => (await forks()) > next);
  });
}
