// RDB snapshots: SAVE, loading at start-up, DEBUG RELOAD, SHUTDOWN with and
// without saving, refusing a damaged file, and dump.rdb files moving between
// this server and a real redis-server 7.0 in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { HAVE_REDIS, launch, freePort, startInDir, tempDirs, waitFor } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const tempDir = tempDirs('noderedis-rdb-');
const start = startInDir;

async function fill(c) {
  await c.set('str', 'hello');
  await c.set('int', '-12345');
  await c.set('bin', Buffer.from([0, 0xff, 13, 10]));
  await c.set('ttl', 'x', 'EX', 1000);
  await c.rpush('list', 'a', 'b', ...Array.from({ length: 200 }, (_, i) => `e${i}`));
  await c.sadd('intset', 1, 2, 3);
  await c.sadd('set', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  await c.zadd('zset', 1.5, 'a', '-inf', 'b', ...Array.from({ length: 200 }, (_, i) => [i, `z${i}`]).flat());
  await c.hset('hash', 'f', 'v', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await c.select(3);
  await c.set('in-db-3', 'yes');
  await c.select(0);
}

async function snapshot(c) {
  const out = {};
  for (const db of [0, 3]) {
    await c.select(db);
    for (const key of (await c.keys('*')).sort()) {
      const type = await c.type(key);
      const value = type === 'string' ? (await c.getBuffer(key)).toString('hex')
        : type === 'list' ? await c.lrange(key, 0, -1)
          : type === 'set' ? (await c.smembers(key)).sort()
            : type === 'zset' ? await c.zrange(key, 0, -1, 'WITHSCORES')
              : Object.entries(await c.hgetall(key)).sort();
      out[`${db}:${key}`] = [type, value, (await c.ttl(key)) > 0];
    }
  }
  await c.select(0);
  return out;
}

test('SAVE writes dump.rdb; a server started on it has the same data, TTLs included', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const first = await start(t, dir);
  await fill(first.client);
  const before = await snapshot(first.client);
  const lastsave = await first.client.lastsave();
  assert.equal(await first.client.save(), 'OK');
  assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')));
  assert.ok((await first.client.lastsave()) >= lastsave);
  assert.match(await first.client.info('persistence'), /rdb_changes_since_last_save:0\r\n/);
  first.proc.kill('SIGKILL');
  const second = await start(t, dir);
  assert.deepEqual(await snapshot(second.client), before);
});

test('DEBUG RELOAD saves and loads back the same data', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--enable-debug-command', 'yes']);
  await fill(s.client);
  const before = await snapshot(s.client);
  assert.equal(await s.client.debug('RELOAD'), 'OK');
  assert.deepEqual(await snapshot(s.client), before);
});

test('FLUSHALL saves the emptied dataset when save points are set, as redis-server does', async (t) => {
  const changes = async (client) => Number((await client.info('persistence')).match(/rdb_changes_since_last_save:(\d+)/)[1]);
  for (const redis of HAVE_REDIS ? [false, true] : [false]) {
    const dir = tempDir();
    const s = await start(t, dir, ['--save', '3600 1'], { redis });
    await s.client.set('gone', '1');
    await s.client.save();
    await s.client.set('key', 'value');
    await s.client.flushall();
    assert.equal(await changes(s.client), 0, redis ? 'redis-server' : 'ours');
    const without = await start(t, tempDir(), ['--save', ''], { redis });
    await without.client.set('key', 'value');
    await without.client.flushall();
    assert.ok(await changes(without.client) > 0);
    // The file on disk is the empty dataset: a restart finds nothing.
    await s.client.shutdown('NOSAVE').catch(() => {});
    await new Promise((resolve) => (s.proc.exitCode !== null ? resolve() : s.proc.once('exit', resolve)));
    const again = await start(t, dir, ['--save', ''], { redis });
    assert.equal(await again.client.dbsize(), 0);
  }
});

test('SHUTDOWN saves when save points are set; SHUTDOWN NOSAVE does not', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--save', '3600 1']);
  await s.client.set('kept', '1');
  await s.client.shutdown().catch(() => {});
  await new Promise((resolve) => (s.proc.exitCode !== null ? resolve() : s.proc.once('exit', resolve)));
  const again = await start(t, dir, ['--save', '3600 1']);
  assert.equal(await again.client.get('kept'), '1');
  await again.client.set('lost', '1');
  await again.client.shutdown('NOSAVE').catch(() => {});
  await new Promise((resolve) => (again.proc.exitCode !== null ? resolve() : again.proc.once('exit', resolve)));
  const third = await start(t, dir);
  assert.equal(await third.client.get('lost'), null);
});

test('a damaged dump.rdb is refused at start-up, naming the file and the offset', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir);
  await fill(s.client);
  await s.client.save();
  const file = path.join(dir, 'dump.rdb');
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
  const port = await freePort();
  const proc = launch(['--port', String(port), '--dir', dir]);
  const code = await proc.exited;
  assert.equal(code, 1);
  assert.match(proc.output(), new RegExp(`Checking RDB file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n(.*\n)*.*\\[offset \\d+\\] `));
  assert.match(proc.output(), /Terminating server after rdb file reading failure\.\n$/);
});

test('dump.rdb files move between redis-server and this server both ways', { skip: !ours && 'our server only' }, async (t) => {
  const fromRedis = tempDir();
  const redis = await start(t, fromRedis, ['--save', ''], { redis: true });
  await fill(redis.client);
  const expected = await snapshot(redis.client);
  await redis.client.save();
  const loaded = await start(t, fromRedis);
  assert.deepEqual(await snapshot(loaded.client), expected, 'ours loads Redis 7.0\'s dump.rdb');
  const fromOurs = tempDir();
  const mine = await start(t, fromOurs);
  await fill(mine.client);
  await mine.client.save();
  const redisLoads = await start(t, fromOurs, ['--save', ''], { redis: true });
  assert.deepEqual(await snapshot(redisLoads.client), await snapshot(mine.client), 'Redis loads our dump.rdb');
});

/** The lines a load logs of the file's aux fields, without the log's prefix. */
const auxLines = (log) =>
  log.split('\n').map((line) => line.replace(/^.*? [*#-] /, '')).filter((line) => /^(Loading RDB produced|RDB age|RDB memory usage|RDB is base AOF|Done loading RDB)/.test(line));

/**
 * The aux lines that redis-server and ours log loading what `prepare` leaves in a directory
 * (each server gets a copy), with `args`: the same, but for the age, which may fall a second apart.
 */
async function sameLoadLines(t, prepare, args) {
  const source = tempDir();
  await prepare(source);
  const load = async (redis) => {
    const dir = tempDir();
    fs.cpSync(source, dir, { recursive: true });
    const logfile = path.join(dir, 'load.log');
    const s = await start(t, dir, ['--save', '', ...args, ...(redis ? ['--logfile', logfile] : [])], { redis });
    return auxLines(redis ? fs.readFileSync(logfile, 'latin1') : s.output());
  };
  const expected = await load(true);
  const actual = await load(false);
  const age = (lines) => Number(lines.find((line) => line.startsWith('RDB age'))?.match(/\d+/)[0]);
  assert.ok(Math.abs(age(actual) - age(expected)) <= 1, `${actual} against ${expected}`);
  const ageless = (lines) => lines.filter((line) => !line.startsWith('RDB age'));
  assert.deepEqual(ageless(actual), ageless(expected));
  return expected;
}

test("loading a dump.rdb logs what its aux fields say, in redis-server's words", { skip: !ours && 'our server only' }, async (t) => {
  const lines = await sameLoadLines(t, async (dir) => {
    const writer = await start(t, dir, ['--save', ''], { redis: true });
    await fill(writer.client);
    await writer.client.save();
    writer.proc.kill('SIGKILL');
  }, []);
  assert.equal(lines.length, 4);
});

test("an AOF's RDB base written by redis-server logs the same lines, with RDB is base AOF", { skip: !ours && 'our server only' }, async (t) => {
  const lines = await sameLoadLines(t, async (dir) => {
    const writer = await start(t, dir, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { redis: true });
    await fill(writer.client);
    writer.proc.kill('SIGKILL');
  }, ['--appendonly', 'yes']);
  assert.ok(lines.includes('RDB is base AOF'), String(lines));
});

test("an AOF's RDB base written by our rewrite says it is one: redis-server and ours log RDB is base AOF", { skip: !ours && 'our server only' }, async (t) => {
  const lines = await sameLoadLines(t, async (dir) => {
    const writer = await start(t, dir, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    await fill(writer.client);
    await writer.client.bgrewriteaof();
    await waitFor('the rewrite to end', async () => (await writer.client.info('persistence')).includes('aof_rewrite_in_progress:0'), 10_000);
    writer.proc.kill('SIGKILL');
  }, ['--appendonly', 'yes']);
  assert.ok(lines.includes('RDB is base AOF'), String(lines));
});

/** A numeric aux field of an RDB file's header (stored as an integer-encoded string, as both servers write them). */
function auxInteger(file, name) {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.from(`\xfa${String.fromCharCode(name.length)}${name}`, 'latin1'));
  assert.ok(at > 0, `no ${name} field`);
  const value = at + 2 + name.length;
  const encoding = bytes[value];
  if (encoding === 0xc0) return bytes.readInt8(value + 1);
  if (encoding === 0xc1) return bytes.readInt16LE(value + 1);
  if (encoding === 0xc2) return bytes.readInt32LE(value + 1);
  return Number(bytes.toString('latin1', value + 1, value + 1 + (encoding & 0x3f)));
}

test("a snapshot's used-mem is the server's used_memory, clients' share included, as Redis records it", async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--save', '']);
  await s.client.set('k', 'v'.repeat(1000));
  // Idle connections: their buffers are in used_memory, not in the keyspace.
  const others = await Promise.all(Array.from({ length: 40 }, () => new Promise((resolve) => {
    const socket = net.connect(s.port, '127.0.0.1', () => resolve(socket));
  })));
  t.after(() => others.forEach((socket) => socket.destroy()));
  await waitFor('the connections to be accepted', async () => (await s.client.info('clients')).includes('connected_clients:41'));
  const used = Number((await s.client.info('memory')).match(/used_memory:(\d+)/)[1]);
  await s.client.save();
  const recorded = auxInteger(path.join(dir, 'dump.rdb'), 'used-mem');
  assert.ok(Math.abs(recorded - used) < 16 * 1024, `used-mem ${recorded}, used_memory ${used}`);
});

test('BGSAVE writes the data as it was when it started while commands keep changing it', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir);
  const c = s.client;
  for (let batch = 0; batch < 20; batch++) {
    const pipeline = c.pipeline();
    for (let i = 0; i < 10000; i++) pipeline.set(`k${batch * 10000 + i}`, `v${batch * 10000 + i}`);
    await pipeline.exec();
  }
  await c.rpush('list', 'before');
  assert.equal(await c.bgsave(), 'Background saving started');
  // Changed while the snapshot is being written (the last keys, written last): none of this may reach the file.
  await c.set('k199999', 'changed');
  await c.del('k199998');
  await c.set('new-key', 'x');
  await c.rpush('list', 'after');
  await c.rename('k199997', 'renamed');
  let inProgress = true;
  for (let i = 0; i < 500 && inProgress; i++) {
    inProgress = /rdb_bgsave_in_progress:1/.test(await c.info('persistence'));
    if (inProgress) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(inProgress, false);
  assert.match(await c.info('persistence'), /rdb_last_bgsave_status:ok/);
  s.proc.kill('SIGKILL');
  const loaded = await start(t, dir);
  const l = loaded.client;
  assert.equal(await l.dbsize(), 200001);
  assert.equal(await l.get('k199999'), 'v199999');
  assert.equal(await l.get('k199998'), 'v199998');
  assert.equal(await l.get('k199997'), 'v199997');
  assert.equal(await l.exists('new-key', 'renamed'), 0);
  assert.deepEqual(await l.lrange('list', 0, -1), ['before']);
});

test('any dataset survives a snapshot written and loaded back (property)', async () => {
  const fc = (await import('fast-check')).default;
  const { Keyspace } = await import('../dist/store/keyspace.js');
  const { SnapshotWriter, loadSnapshot } = await import('../dist/persistence/snapshot.js');
  const { storedValue, bytes, canonical, LIMITS } = await import('./values.mjs');
  const entry = fc.record({ db: fc.integer({ min: 0, max: 3 }), key: bytes, value: storedValue, ttl: fc.option(fc.integer({ min: 1000, max: 1e9 })) });
  const dump = (keyspace) => keyspace.dbs.map((db) => [...db.data.entries()]
    .map(([k, v]) => [k, canonical(v), db.expireTime(k) ?? null])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const file = path.join(tempDir(), 'dump.rdb');
  const settings = { lfuLogFactor: 10, lfuDecayTime: 1 };
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
      const source = new Keyspace(4, settings);
      const now = Date.now();
      for (const { db, key, value, ttl } of entries) {
        source.dbs[db].set(key, value);
        if (ttl !== null) source.dbs[db].setExpire(key, now + ttl);
      }
      new SnapshotWriter(source, file).finish();
      const target = new Keyspace(4, settings);
      loadSnapshot(target, file, LIMITS);
      assert.deepEqual(dump(target), dump(source));
    }),
    { numRuns: 200 },
  );
});

test('RDB files of version 11 and 12 load, with the set listpacks of Redis 7.2', async () => {
  const { Keyspace } = await import('../dist/store/keyspace.js');
  const { loadSnapshot } = await import('../dist/persistence/snapshot.js');
  const { crc64 } = await import('../dist/persistence/rdb.js');
  // A set as a listpack: members "a", "b" and the integer 1.
  const listpack = Buffer.from([15, 0, 0, 0, 3, 0, 0x81, 0x61, 0x02, 0x81, 0x62, 0x02, 0x01, 0x01, 0xff]);
  const dir = tempDir();
  for (const version of ['0011', '0012']) {
    const body = Buffer.concat([
      Buffer.from(`REDIS${version}`), Buffer.from([0xfe, 0x00, 20, 1]), Buffer.from('s'), Buffer.from([listpack.length]), listpack, Buffer.from([0xff]),
    ]);
    const file = path.join(dir, `v${version}.rdb`);
    fs.writeFileSync(file, Buffer.concat([body, crc64(body)]));
    const keyspace = new Keyspace(16, { lfuLogFactor: 10, lfuDecayTime: 1 });
    assert.equal(loadSnapshot(keyspace, file, (await import('./values.mjs')).LIMITS).loaded, 1);
    assert.deepEqual([...keyspace.dbs[0].data.get('s').members()].sort(), ['1', 'a', 'b']);
  }
  // A stream record (type 21, Redis 7.2) cut short: refused with where reading stopped.
  const streams = Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xfe, 0x00, 21, 1]), Buffer.from('x'), Buffer.from([0xff])]);
  const file = path.join(dir, 'stream.rdb');
  fs.writeFileSync(file, Buffer.concat([streams, crc64(streams)]));
  const { LIMITS } = await import('./values.mjs');
  assert.throws(() => loadSnapshot(new Keyspace(16, { lfuLogFactor: 10, lfuDecayTime: 1 }), file, LIMITS), /Bad RDB file .* at offset \d+: encoded value where a length belongs/);
});

test('SIGTERM saves first when save points are set (docker stop)', { skip: !ours && 'our server only' }, async (t) => {
  const dir = tempDir();
  const s = await start(t, dir, ['--save', '3600 1']);
  await s.client.set('kept-on-sigterm', '1');
  const exited = new Promise((resolve) => s.proc.once('exit', resolve));
  s.proc.kill('SIGTERM');
  await exited;
  const again = await start(t, dir);
  assert.equal(await again.client.get('kept-on-sigterm'), '1');
});
