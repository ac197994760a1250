// MIGRATE between our servers and real redis-servers in every direction:
// replies compared byte for byte with what redis-server answers to the same
// MIGRATE, all value types with their TTLs, COPY/REPLACE/KEYS/AUTH/AUTH2,
// timeouts and refused connections, cached connections, MULTI and scripts,
// other clients served while a MIGRATE waits, and the DEL in the AOF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import Redis from 'ioredis';
import { freePort, replyConnection, sleep, startServer, tempDirs, waitForPort } from './helpers.mjs';

const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const tempDir = tempDirs('noderedis-migrate-');

const HOST = '127.0.0.1';
/** Servers by role: ours (source with an AOF, target, idle-cache check) and, when installed, two redis-servers. */
let source;
let sourceDir;
let target;
let idleSource;
const redisProcs = [];
const servers = {};
/** A port that accepts connections and never answers, and one nobody listens on. */
let silent;
let silentPort;
let closedPort;

async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', tempDir()], { stdio: 'ignore' });
  redisProcs.push(proc);
  await waitForPort(port, proc);
  return port;
}

function client(port) {
  return new Redis({ port, host: HOST, maxRetriesPerRequest: 0 });
}

before(async () => {
  sourceDir = tempDir();
  source = await startServer(['--save', '', '--appendonly', 'yes', '--dir', sourceDir]);
  target = await startServer(['--save', '']);
  idleSource = await startServer(['--save', '']);
  servers.ours = { port: source.port, c: client(source.port) };
  servers.ours2 = { port: target.port, c: client(target.port) };
  if (haveRedis) {
    const [r1, r2] = await Promise.all([startRedis(), startRedis()]);
    servers.redis = { port: r1, c: client(r1) };
    servers.redis2 = { port: r2, c: client(r2) };
  }
  silent = net.createServer((socket) => socket.on('error', () => {}));
  silent.listen(0, HOST);
  await once(silent, 'listening');
  silentPort = silent.address().port;
  closedPort = await freePort();
  // The idle-release check comes last; its connection is made now so the other tests run while it ages.
  const idle = client(idleSource.port);
  await idle.set('idle', 'x');
  assert.equal(await idle.migrate(HOST, target.port, 'idle', 15, 5000, 'COPY'), 'OK');
  idle.disconnect();
});

after(async () => {
  for (const { c } of Object.values(servers)) c.disconnect();
  for (const proc of redisProcs) proc.kill('SIGKILL');
  silent?.close();
  await Promise.all([source?.stop(), target?.stop(), idleSource?.stop()]);
});

async function flushAll() {
  await Promise.all(Object.values(servers).map(({ c }) => c.flushall()));
}

const cachedSockets = async (c) => Number(/migrate_cached_sockets:(\d+)/.exec(await c.info('stats'))[1]);

/**
 * Runs `steps(src, dst, srcPort, dstPort)` with our server as the source and
 * then with redis-server as the source, against a target of the same kind
 * each time, and returns both transcripts; each step's replies are raw bytes.
 */
async function bothSources(targetKind, steps) {
  const transcripts = [];
  for (const kind of ['ours', 'redis']) {
    if (!servers[kind]) continue;
    const dstServer = servers[targetKind === 'ours' ? (kind === 'ours' ? 'ours2' : 'ours') : kind === 'redis' ? 'redis2' : 'redis'];
    await flushAll();
    const src = await replyConnection(servers[kind].port);
    const dst = await replyConnection(dstServer.port);
    try {
      transcripts.push(await steps(src, dst, dstServer.port));
    } finally {
      src.close();
      dst.close();
    }
  }
  return transcripts;
}

async function sameForBothSources(targetKind, steps) {
  const [ours, redis] = await bothSources(targetKind, steps);
  if (redis !== undefined) assert.deepEqual(ours, redis);
  return ours;
}

for (const targetKind of ['ours', 'redis']) {
  test(`replies match redis-server's, target ${targetKind}: move, COPY, REPLACE, BUSYKEY, NOKEY, KEYS, SELECT, syntax`, async () => {
    const log = await sameForBothSources(targetKind, async (src, dst, port) => {
      const out = [];
      const both = async (on, ...args) => out.push(`${args.map((a) => (a === port ? 'PORT' : a)).join(' ')} => ${await on.command(...args)}`);
      await both(src, 'SET', 'k', 'v');
      await both(src, 'MIGRATE', HOST, port, 'k', 0, 5000);
      await both(src, 'EXISTS', 'k');
      await both(dst, 'GET', 'k');
      await both(src, 'RPUSH', 'l', 'a', 'b');
      await both(src, 'MIGRATE', HOST, port, 'l', 0, 5000, 'COPY');
      await both(src, 'MIGRATE', HOST, port, 'l', 0, 5000, 'COPY');
      await both(src, 'RPUSH', 'l', 'c');
      await both(src, 'MIGRATE', HOST, port, 'l', 0, 5000, 'copy', 'replace');
      await both(dst, 'LRANGE', 'l', 0, -1);
      await both(src, 'MIGRATE', HOST, port, 'nokey', 0, 5000);
      await both(src, 'MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
      await both(dst, 'SET', 'c', 'busy');
      // Only the keys the target accepted go.
      await both(src, 'MIGRATE', HOST, port, '', 0, 5000, 'KEYS', 'a', 'nokey', 'b', 'c', 'd');
      for (const key of ['a', 'b', 'c', 'd', 'l']) await both(src, 'EXISTS', key);
      await both(src, 'MIGRATE', HOST, port, '', 0, 5000, 'KEYS', 'x', 'y');
      await both(src, 'MIGRATE', HOST, port, '', 0, 5000, 'KEYS');
      await both(src, 'MIGRATE', HOST, port, 'c', 0, 5000, 'KEYS', 'c');
      // Another database, then back: SELECT is sent only when it changes.
      await both(src, 'MIGRATE', HOST, port, 'c', 7, 5000);
      await both(dst, 'SELECT', 7);
      await both(dst, 'GET', 'c');
      await both(src, 'SET', 'e', '5');
      await both(src, 'MIGRATE', HOST, port, 'e', 0, 5000);
      await both(dst, 'SELECT', 0);
      await both(dst, 'GET', 'e');
      await both(src, 'SET', 'f', '6');
      await both(src, 'MIGRATE', HOST, port, 'f', 100000, 5000);
      await both(src, 'EXISTS', 'f');
      for (const bad of [['f', 'x', 5000], ['f', 0, 'x'], ['f', 0, 5000, 'BOGUS'], ['f', 0, 5000, 'AUTH'], ['f', 0, 5000, 'AUTH2', 'u']]) {
        await both(src, 'MIGRATE', HOST, port, ...bad);
      }
      await both(src, 'MIGRATE', HOST, port, 'f', 0);
      return out;
    });
    assert.ok(log.includes('MIGRATE 127.0.0.1 PORT nokey 0 5000 => +NOKEY\r\n'));
  });
}

test('AUTH and AUTH2 to a target with requirepass; a wrong password is the target error (same replies as redis-server)', async () => {
  for (const targetKind of ['ours', 'redis']) {
    await sameForBothSources(targetKind, async (src, dst, port) => {
      const out = [];
      const both = async (on, ...args) => out.push(`${args.map((a) => (a === port ? 'PORT' : a)).join(' ')} => ${await on.command(...args)}`);
      // No connection from an earlier test may be cached: it would be authenticated already.
      await dst.command('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await both(dst, 'CONFIG', 'SET', 'requirepass', 'secret');
      try {
        await both(src, 'SET', 'k', 'v');
        await both(src, 'MIGRATE', HOST, port, 'k', 0, 5000);
        await both(src, 'MIGRATE', HOST, port, 'k', 0, 5000, 'AUTH', 'wrong');
        await both(src, 'MIGRATE', HOST, port, 'k', 0, 5000, 'AUTH', 'secret');
        await both(src, 'SET', 'k2', 'v');
        await both(src, 'MIGRATE', HOST, port, 'k2', 0, 5000, 'AUTH2', 'default', 'nope');
        await both(src, 'MIGRATE', HOST, port, 'k2', 0, 5000, 'AUTH2', 'default', 'secret', 'COPY');
        await both(dst, 'AUTH', 'secret');
        await both(dst, 'MGET', 'k', 'k2');
        await both(src, 'EXISTS', 'k', 'k2');
      } finally {
        await dst.command('CONFIG', 'SET', 'requirepass', '');
      }
      return out;
    });
  }
});

/** One key of each type, with a TTL on some, written to `c`. */
async function writeAllTypes(c) {
  await c.set('str', 'hello\x00\xff');
  await c.set('int', '12345');
  await c.rpush('list', ...Array.from({ length: 200 }, (_, i) => `item${i}`));
  await c.rpush('smalllist', 'a', 'b');
  await c.hset('hash', { f1: 'v1', f2: 'v2' });
  await c.hset('bighash', Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, 'x'.repeat(i)])));
  await c.sadd('intset', 1, 2, 3);
  await c.sadd('set', 'a', 'b', 'c');
  await c.zadd('zset', 1, 'a', 2.5, 'b', -3, 'c');
  await c.zadd('bigzset', ...Array.from({ length: 300 }, (_, i) => [i / 7, `m${i}`]).flat());
  await c.xadd('stream', '1-1', 'f', 'v');
  await c.xadd('stream', '2-0', 'g', 'w');
  await c.xgroup('CREATE', 'stream', 'grp', '0');
  await c.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 1, 'STREAMS', 'stream', '>');
  await c.pexpire('str', 100000);
  await c.pexpire('bigzset', 50000);
}

const ALL_KEYS = ['str', 'int', 'list', 'smalllist', 'hash', 'bighash', 'intset', 'set', 'zset', 'bigzset', 'stream'];

/** What a key holds, read the same way on any server. */
async function contents(c, key) {
  const type = await c.type(key);
  const read = {
    string: () => c.getBuffer(key),
    list: () => c.lrange(key, 0, -1),
    hash: async () => Object.entries(await c.hgetall(key)).sort(),
    set: async () => (await c.smembers(key)).sort(),
    zset: () => c.zrange(key, 0, -1, 'WITHSCORES'),
    stream: async () => [await c.xrange(key, '-', '+'), await c.xinfo('GROUPS', key), await c.xpending(key, 'grp')],
  }[type];
  return [type, await read()];
}

for (const [from, to] of [['ours', 'ours2'], ['ours', 'redis'], ['redis', 'ours']]) {
  test(`every value type moves ${from} → ${to} with its TTL`, async (t) => {
    if (!servers[from] || !servers[to]) return t.skip('redis-server is not installed');
    await flushAll();
    const src = servers[from].c;
    const dst = servers[to].c;
    await writeAllTypes(src);
    const before = await Promise.all(ALL_KEYS.map((key) => contents(src, key)));
    assert.equal(await src.migrate(HOST, servers[to].port, '', 3, 5000, 'KEYS', ...ALL_KEYS), 'OK');
    assert.equal(await src.dbsize(), 0);
    await dst.select(3);
    try {
      assert.deepEqual(await Promise.all(ALL_KEYS.map((key) => contents(dst, key))), before);
      const strTtl = await dst.pttl('str');
      assert.ok(strTtl > 95000 && strTtl <= 100000, `str pttl ${strTtl}`);
      const zTtl = await dst.pttl('bigzset');
      assert.ok(zTtl > 45000 && zTtl <= 50000, `bigzset pttl ${zTtl}`);
      assert.equal(await dst.pttl('list'), -1);
    } finally {
      await dst.select(0);
    }
  });
}

test('a value larger than 64 KB (written in pieces) moves intact', async () => {
  await flushAll();
  const src = servers.ours.c;
  const big = Array.from({ length: 20000 }, (_, i) => `item ${i}`);
  await src.rpush('big', ...big);
  assert.equal(await src.migrate(HOST, target.port, 'big', 0, 10000), 'OK');
  assert.deepEqual(await servers.ours2.c.lrange('big', 0, -1), big);
});

test('a target that never answers: IOERR reading after the timeout, while other clients are served', async () => {
  await flushAll();
  const src = servers.ours.c;
  await src.set('k', 'v');
  const other = client(source.port);
  try {
    const started = Date.now();
    const pending = src.migrate(HOST, silentPort, 'k', 0, 500).catch((error) => error);
    await sleep(100);
    // The server is not stalled meanwhile, and CLIENT UNBLOCK does not touch a MIGRATE.
    const pingStarted = Date.now();
    assert.equal(await other.ping(), 'PONG');
    assert.ok(Date.now() - pingStarted < 200);
    const id = (await other.client('LIST')).split('\n').find((line) => line.includes('cmd=migrate'))?.match(/^id=(\d+)/)?.[1];
    assert.ok(id, 'the waiting MIGRATE shows in CLIENT LIST');
    assert.equal(await other.client('UNBLOCK', id), 0);
    const error = await pending;
    assert.equal(error.message, 'IOERR error or timeout reading to target instance');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(await src.get('k'), 'v');
  } finally {
    other.disconnect();
  }
});

test('failing connections: the same IOERR as redis-server (refused is a failed write there; only an unresolvable target fails to connect)', async () => {
  const replies = {};
  for (const kind of ['ours', 'redis']) {
    if (!servers[kind]) continue;
    const c = servers[kind].c;
    await c.set('k', 'v');
    const cached = await cachedSockets(c);
    replies[kind] = [];
    for (const [host, port] of [[HOST, closedPort], [HOST, 'notaport'], [HOST, -5], ['nosuchhost.invalid', 7000], ['localhost', closedPort]]) {
      replies[kind].push(await c.migrate(host, port, 'k', 0, 1000).catch((error) => error.message));
    }
    assert.equal(await c.get('k'), 'v');
    // A failed connection is not kept.
    assert.equal(await cachedSockets(c), cached);
  }
  assert.deepEqual(replies.ours.slice(0, 4), [
    'IOERR error or timeout writing to target instance',
    'IOERR error or timeout writing to target instance',
    'IOERR error or timeout connecting to the client',
    'IOERR error or timeout connecting to the client',
  ]);
  if (replies.redis) assert.deepEqual(replies.ours, replies.redis);
});

test('connections are cached and reused, and a dead cached one is replaced without an error', async () => {
  await flushAll();
  const src = servers.ours.c;
  const dst = servers.ours2.c;
  const before = await cachedSockets(src);
  await src.mset('a', '1', 'b', '2');
  assert.equal(await src.migrate(HOST, target.port, 'a', 0, 5000), 'OK');
  const connected = (await dst.info('stats')).match(/total_connections_received:(\d+)/)[1];
  assert.equal(await src.migrate(HOST, target.port, 'b', 0, 5000), 'OK');
  assert.equal((await dst.info('stats')).match(/total_connections_received:(\d+)/)[1], connected);
  assert.equal(await cachedSockets(src), before === 0 ? 1 : before);
  // The target drops every client but this one: the cached connection is dead, the next MIGRATE reconnects.
  await dst.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  await src.set('c', '3');
  assert.equal(await src.migrate(HOST, target.port, 'c', 0, 5000), 'OK');
  assert.equal(await dst.get('c'), '3');
});

test('MIGRATE inside MULTI and from a script runs to the end before anything else', async () => {
  await flushAll();
  const src = servers.ours.c;
  const dst = servers.ours2.c;
  const results = await src
    .multi()
    .set('m', '1')
    .migrate(HOST, target.port, 'm', 0, 5000)
    .exists('m')
    .migrate(HOST, silentPort, 'nothing', 0, 5000)
    .exec();
  assert.deepEqual(results, [[null, 'OK'], [null, 'OK'], [null, 0], [null, 'NOKEY']]);
  assert.equal(await dst.get('m'), '1');
  await src.set('s', '2');
  assert.equal(await src.eval(`return redis.call('migrate', ARGV[1], ARGV[2], 's', 0, 5000)`, 0, HOST, target.port), 'OK');
  assert.equal(await dst.get('s'), '2');
  await src.set('t', '3');
  const [error, exists] = await src.eval(
    `local r = redis.pcall('migrate', ARGV[1], ARGV[2], 't', 0, 300) return {r['err'], redis.call('exists', 't')}`, 0, HOST, silentPort);
  assert.equal(error, 'IOERR error or timeout reading to target instance');
  assert.equal(exists, 1);
});

test('a key written again while MIGRATE waits keeps its new value', async () => {
  await flushAll();
  const src = servers.ours.c;
  const other = client(source.port);
  try {
    await src.set('k', 'old');
    // The target is stalled, so the reply comes after the SET below.
    const stall = client(target.port);
    void stall.call('DEBUG', 'SLEEP', '0.3').catch(() => {});
    await sleep(50);
    const pending = src.migrate(HOST, target.port, 'k', 0, 5000);
    await sleep(50);
    await other.set('k', 'new');
    assert.equal(await pending, 'OK');
    assert.equal(await other.get('k'), 'new');
    assert.equal(await servers.ours2.c.get('k'), 'old');
    stall.disconnect();
  } finally {
    other.disconnect();
  }
});

test('the append-only file records the DEL of the migrated keys, not MIGRATE', async () => {
  await flushAll();
  const src = servers.ours.c;
  await src.mset('p', '1', 'q', '2', 'r', '3');
  await servers.ours2.c.set('r', 'busy');
  await assert.rejects(src.migrate(HOST, target.port, '', 0, 5000, 'KEYS', 'p', 'q', 'r'), /BUSYKEY/);
  await src.set('s', '4');
  assert.equal(await src.migrate(HOST, target.port, 's', 0, 5000, 'COPY'), 'OK');
  await sleep(50);
  const incr = fs.readFileSync(path.join(sourceDir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
  assert.ok(!/migrate/i.test(incr));
  assert.ok(incr.includes('*3\r\n$3\r\nDEL\r\n$1\r\np\r\n$1\r\nq\r\n'), JSON.stringify(incr.slice(-200)));
});

test('COMMAND GETKEYS and COMMAND INFO agree with redis-server', async (t) => {
  if (!servers.redis) return t.skip('redis-server is not installed');
  const ours = await replyConnection(source.port);
  const redis = await replyConnection(servers.redis.port);
  try {
    for (const args of [
      ['GETKEYS', 'MIGRATE', 'h', '1', 'k', '0', '0'],
      ['GETKEYS', 'MIGRATE', 'h', '1', '', '0', '0', 'COPY', 'AUTH2', 'keys', 'pw', 'KEYS', 'x', 'y'],
      ['GETKEYS', 'MIGRATE', 'h', '1', '', '0', '0', 'AUTH', 'keys', 'KEYS', 'x'],
      ['GETKEYS', 'MIGRATE', 'h', '1', 'k', '0', '0', 'KEYS', 'x'],
      ['GETKEYS', 'RESTORE-ASKING', 'k', '0', 'payload'],
    ]) {
      assert.equal(await ours.command('COMMAND', ...args), await redis.command('COMMAND', ...args), args.join(' '));
    }
    // ACL categories aside (Redis lists them per command), the same entries.
    for (const name of ['migrate', 'restore-asking']) {
      const [[oursInfo], [redisInfo]] = await Promise.all([servers.ours.c.command('INFO', name), servers.redis.c.command('INFO', name)]);
      assert.deepEqual([...oursInfo.slice(0, 6), oursInfo[8]], [...redisInfo.slice(0, 6), redisInfo[8]]);
    }
    // RESTORE-ASKING restores as RESTORE does without cluster mode.
    const payload = await servers.ours.c.callBuffer('DUMP', 'nothing');
    assert.equal(payload, null);
    await servers.ours.c.set('ra', 'v');
    const dumped = await servers.ours.c.dumpBuffer('ra');
    assert.equal(await servers.ours.c.call('RESTORE-ASKING', 'ra2', '0', dumped), 'OK');
    assert.equal(await servers.ours.c.get('ra2'), 'v');
  } finally {
    ours.close();
    redis.close();
  }
});

test('a cached connection is closed after 10 s unused', async () => {
  const idle = client(idleSource.port);
  try {
    assert.equal(await cachedSockets(idle), 1);
    // The connection was made in before(); Redis's rule is "unused for more than 10 whole seconds".
    const deadline = Date.now() + 13000;
    while ((await cachedSockets(idle)) !== 0) {
      assert.ok(Date.now() < deadline, 'still cached');
      await sleep(250);
    }
  } finally {
    idle.disconnect();
  }
});
