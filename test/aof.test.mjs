// The append-only file: Redis 7's multi-part layout (manifest, RDB base,
// incremental file), replay at start-up, durability under kill -9 with
// appendfsync always, BGREWRITEAOF, a torn last command, and directories
// moving between this server and a real redis-server 7.0 both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, freePort, startInDir, tempDirs } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const tempDir = tempDirs('noderedis-aof-');
/** A server with the append-only file on (and no save points), in `dir`. */
const start = (t, dir, args = [], options = {}) => startInDir(t, dir, ['--appendonly', 'yes', '--save', '', ...args], options);

const killed = (proc) => new Promise((resolve) => {
  if (proc.exitCode !== null || proc.signalCode !== null) resolve();
  else proc.once('exit', resolve);
  proc.kill('SIGKILL');
});

async function contents(c) {
  const out = {};
  for (const key of (await c.keys('*')).sort()) {
    const type = await c.type(key);
    out[key] = type === 'string' ? await c.get(key)
      : type === 'list' ? await c.lrange(key, 0, -1)
        : type === 'set' ? (await c.smembers(key)).sort()
          : type === 'zset' ? await c.zrange(key, 0, -1, 'WITHSCORES')
            : Object.entries(await c.hgetall(key)).sort();
  }
  return out;
}

async function writeSome(c) {
  await c.set('s', 'v');
  await c.set('ttl', 'v', 'EX', 1000);
  await c.rpush('l', 'a', 'b', 'c');
  await c.lpop('l');
  await c.sadd('set', 1, 2, 3, 4, 5);
  await c.spop('set', 2);
  await c.zadd('z', 1, 'a', 2, 'b');
  await c.hset('h', 'f', 'v', 'g', 'w');
  await c.incrbyfloat('f', '1.25');
  await c.multi().set('tx1', '1').incr('tx2').exec();
  await c.set('gone', 'x');
  await c.del('gone');
}

test('every acknowledged write survives kill -9 with appendfsync always', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--appendfsync', 'always']);
  let acknowledged = 0;
  const writer = (async () => {
    for (let i = 0; ; i++) {
      try {
        await s.client.set(`k${i}`, `v${i}`);
        acknowledged = i + 1;
      } catch {
        return;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await killed(s.proc);
  await writer;
  assert.ok(acknowledged > 10, `${acknowledged} writes acknowledged before the kill`);
  const again = await start(t, dir);
  const values = await again.client.mget(...Array.from({ length: acknowledged }, (_, i) => `k${i}`));
  assert.deepEqual(values.map((v, i) => (v === `v${i}` ? null : i)).filter((i) => i !== null), [], 'no acknowledged key is missing');
});

test('replay rebuilds every type; BGREWRITEAOF starts a new base and increment', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir);
  await writeSome(s.client);
  const expected = await contents(s.client);
  const incr = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
  assert.match(incr, /MULTI[\s\S]*tx1[\s\S]*EXEC/, 'a transaction is wrapped in MULTI/EXEC');
  assert.match(incr, /PXAT/, 'relative expiry is written as an absolute time');
  assert.equal(await s.client.bgrewriteaof(), 'Background append only file rewriting started');
  for (let i = 0; i < 200 && /aof_rewrite_in_progress:1/.test(await s.client.info('persistence')); i++) await new Promise((r) => setTimeout(r, 10));
  await s.client.set('after-rewrite', '1');
  expected['after-rewrite'] = '1';
  assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(),
    ['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
  await killed(s.proc);
  const again = await start(t, dir);
  assert.deepEqual(await contents(again.client), expected);
});

test('GETDEL is written as the DEL it did, UNLINK with lazyfree-lazy-user-del yes, as redis-server writes it', async (t) => {
  for (const [lazy, expected] of [['no', 'DEL'], ['yes', 'UNLINK']]) {
    const dir = tempDir();
    const s = await start(t, dir, ['--lazyfree-lazy-user-del', lazy], { redis: !ours });
    await s.client.set('gone', 'v');
    assert.equal(await s.client.getdel('gone'), 'v');
    assert.equal(await s.client.getdel('gone'), null);
    const incr = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    assert.ok(incr.endsWith(`*2\r\n$${expected.length}\r\n${expected}\r\n$4\r\ngone\r\n`), JSON.stringify(incr));
    assert.ok(!/GETDEL/i.test(incr), 'a GETDEL that found nothing is not written either');
  }
});

test('a torn last command is cut off with aof-load-truncated yes, and refused with no', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--appendfsync', 'always']);
  await s.client.set('whole', '1');
  await killed(s.proc);
  const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  fs.appendFileSync(incr, '*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval');
  const port = await freePort();
  const refused = launch(['--port', String(port), '--dir', dir, '--appendonly', 'yes', '--aof-load-truncated', 'no']);
  assert.equal(await refused.exited, 1);
  assert.match(refused.output(), /# Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof\. You can: 1\) Make a backup/);
  const loaded = await start(t, dir);
  assert.equal(await loaded.client.get('whole'), '1');
  assert.equal(await loaded.client.exists('torn'), 0);
  assert.match(loaded.output(), /!!! Truncating the AOF appendonly\.aof\.1\.incr\.aof at offset \d+ !!!/);
  assert.match(loaded.output(), /AOF appendonly\.aof\.1\.incr\.aof loaded anyway because aof-load-truncated is enabled/);
});


test('a torn last command that claims 99999999999 arguments is cut off like any other', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--appendfsync', 'always']);
  await s.client.set('whole', '1');
  await killed(s.proc);
  fs.appendFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), '*99999999999\r\n$3\r\nSET\r\n');
  const loaded = await start(t, dir);
  assert.equal(await loaded.client.get('whole'), '1');
  assert.match(loaded.output(), /AOF appendonly\.aof\.1\.incr\.aof loaded anyway because aof-load-truncated is enabled/);
});
test('append-only directories move between redis-server and this server both ways', { skip: !ours && 'our server only' }, async (t) => {
  const fromRedis = tempDir();
  const redis = await start(t, fromRedis, ['--appendfsync', 'always'], { redis: true });
  await writeSome(redis.client);
  const expected = await contents(redis.client);
  await killed(redis.proc);
  const loaded = await start(t, fromRedis);
  assert.deepEqual(await contents(loaded.client), expected, "ours loads Redis 7.0's appendonlydir");
  const fromOurs = tempDir();
  const mine = await start(t, fromOurs, ['--appendfsync', 'always']);
  await writeSome(mine.client);
  const written = await contents(mine.client);
  await killed(mine.proc);
  const redisLoads = await start(t, fromOurs, [], { redis: true });
  assert.deepEqual(await contents(redisLoads.client), written, 'Redis loads our appendonlydir');
});

test('DEBUG LOADAOF rebuilds the dataset from the file, without appending the replay again', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--enable-debug-command', 'yes']);
  await writeSome(s.client);
  const expected = await contents(s.client);
  const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  const before = fs.statSync(incr).size;
  assert.equal(await s.client.debug('LOADAOF'), 'OK');
  assert.deepEqual(await contents(s.client), expected);
  assert.equal(fs.statSync(incr).size, before, 'the replay added nothing to the file');
});

test('with appendonly off, BGREWRITEAOF still writes the files and DEBUG LOADAOF reads them', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--appendonly', 'no', '--enable-debug-command', 'yes']);
  await s.client.set('x', '10', 'EX', 1000);
  assert.equal(await s.client.bgrewriteaof(), 'Background append only file rewriting started');
  for (let i = 0; i < 200 && /aof_rewrite_in_progress:1/.test(await s.client.info('persistence')); i++) await new Promise((r) => setTimeout(r, 10));
  await s.client.set('later', 'not in the file');
  assert.equal(await s.client.debug('LOADAOF'), 'OK');
  assert.equal(await s.client.get('x'), '10');
  assert.ok((await s.client.ttl('x')) > 900);
  assert.equal(await s.client.exists('later'), 0);
});
