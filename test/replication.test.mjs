// Replication both ways with a real redis-server: our master feeding a
// redis-server replica, a redis-server master feeding ours, ours feeding
// ours, partial resyncs after a dropped link, WAIT, READONLY and ROLE, and
// the stream itself (expiry as DEL, MULTI/EXEC, script effects) read raw.
// Every wait is bounded and every process started here is stopped in `after`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launch, rawConnect, resp, sleep, waitFor, HAVE_REDIS } from './helpers.mjs';
import { connect, infoField, ours, redisServer, stopAfter } from './replication-fixtures.mjs';

/** Waits until the replica's link is up and it has processed everything the master sent. */
async function inSync(master, replica) {
  await waitFor('the replica to catch up', async () => {
    // The master's offset first: the replica may be further on by a PING since.
    const m = await master.info('replication');
    const r = await replica.info('replication');
    if (infoField(r, 'master_link_status') !== 'up') return false;
    return Number(infoField(r, 'slave_repl_offset')) >= Number(infoField(m, 'master_repl_offset'));
  });
}

/** Every key of every database with its type, value and whether it has a TTL, for key-by-key comparison. */
async function keyspace(client) {
  const out = {};
  for (let db = 0; db < 3; db++) {
    await client.select(db);
    for (const key of (await client.keys('*')).sort()) {
      const type = await client.type(key);
      const value =
        type === 'string' ? await client.get(key)
          : type === 'hash' ? Object.entries(await client.hgetall(key)).sort()
            : type === 'list' ? await client.lrange(key, 0, -1)
              : type === 'set' ? (await client.smembers(key)).sort()
                : type === 'zset' ? await client.zrange(key, 0, -1, 'WITHSCORES')
                  : type === 'stream' ? await client.xrange(key, '-', '+')
                    : type;
      out[`${db}:${key}`] = [type, value, (await client.pttl(key)) > 0];
    }
  }
  await client.select(0);
  return out;
}

/** A write load of every type, scripts, MULTI and expiry, across databases. */
async function writeLoad(client, tag) {
  await client.set(`s:${tag}`, 'v');
  await client.set(`ex:${tag}`, 'v', 'EX', 1000);
  await client.incrbyfloat(`f:${tag}`, 1.5);
  await client.hset(`h:${tag}`, 'a', '1', 'b', '2');
  await client.rpush(`l:${tag}`, 'a', 'b', 'c');
  await client.sadd(`set:${tag}`, 'x', 'y');
  await client.spop(`set:${tag}`);
  await client.zadd(`z:${tag}`, 1, 'a', 2, 'b');
  await client.xadd(`x:${tag}`, '1-1', 'f', 'v');
  await client.multi().incr(`m:${tag}`).lpush(`ml:${tag}`, 'q').exec();
  await client.eval("redis.call('set', KEYS[1], 'lua'); return redis.call('incr', KEYS[2])", 2, `e:${tag}`, `ei:${tag}`);
  await client.select(1);
  await client.set(`db1:${tag}`, 'one');
  await client.select(0);
}

test('our master feeds a redis-server replica, by full sync and then the stream', { skip: !HAVE_REDIS && 'needs redis-server', timeout: 20000 }, async () => {
  const master = await ours();
  const m = connect(master.port);
  await writeLoad(m, 'before');
  const replicaServer = await redisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const r = connect(replicaServer.port);
  await inSync(m, r);
  await writeLoad(m, 'after');
  await m.set('gone', 'x', 'PX', 50);
  await sleep(120);
  assert.equal(await m.get('gone'), null);
  await inSync(m, r);
  assert.deepEqual(await keyspace(r), await keyspace(m));
  assert.equal(await r.exists('gone'), 0);
  const info = await m.info('replication');
  assert.equal(infoField(info, 'connected_slaves'), '1');
  assert.match(infoField(info, 'slave0'), new RegExp(`^ip=127\\.0\\.0\\.1,port=${replicaServer.port},state=online,offset=\\d+,lag=\\d+$`));
  assert.equal(await m.wait(1, 2000), 1);
  const role = await m.role();
  assert.equal(role[0], 'master');
  assert.deepEqual(role[2][0].slice(0, 2), ['127.0.0.1', String(replicaServer.port)]);
  assert.match(await m.client('LIST'), /flags=S /);
});

test('a redis-server master feeds our replica; it refuses writes, follows the stream and resyncs partially', { skip: !HAVE_REDIS && 'needs redis-server', timeout: 20000 }, async () => {
  const masterServer = await redisServer(['--repl-diskless-sync', 'no']);
  const m = connect(masterServer.port);
  await writeLoad(m, 'before');
  const replica = await ours(['--replicaof', '127.0.0.1', String(masterServer.port)]);
  const r = connect(replica.port);
  await inSync(m, r);
  await writeLoad(m, 'after');
  await inSync(m, r);
  assert.deepEqual(await keyspace(r), await keyspace(m));
  await assert.rejects(r.set('k', 'v'), /^ReplyError: READONLY You can't write against a read only replica\.$/);
  const role = await r.role();
  assert.deepEqual(role.slice(0, 4), ['slave', '127.0.0.1', masterServer.port, 'connected']);
  const before = Number(infoField(await m.info('stats'), 'sync_partial_ok'));
  await m.client('KILL', 'TYPE', 'replica');
  await m.set('after-kill', '1');
  await inSync(m, r);
  assert.equal(await r.get('after-kill'), '1');
  assert.equal(Number(infoField(await m.info('stats'), 'sync_partial_ok')), before + 1);
});

test("a redis-server master with its default disk-less delay keeps our replica waiting with newlines before +FULLRESYNC: the sync still succeeds", { skip: !HAVE_REDIS && 'needs redis-server', timeout: 20000 }, async () => {
  // Redis 7.0's defaults: repl-diskless-sync yes, repl-diskless-sync-delay 5.
  const masterServer = await redisServer(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '2']);
  const m = connect(masterServer.port);
  await m.set('k', 'v');
  const replica = await ours(['--replicaof', '127.0.0.1', String(masterServer.port)]);
  const r = connect(replica.port);
  await waitFor('the replica in sync', async () => infoField(await r.info('replication'), 'master_link_status') === 'up' && (await r.get('k')) === 'v', 10000);
  assert.doesNotMatch(replica.output(), /Unexpected reply to PSYNC/);
});

test('CLIENT PAUSE WRITE on our replica holds the master\'s writes: read, not applied, until the pause ends', { timeout: 20000 }, async () => {
  const master = await ours();
  const m = connect(master.port);
  const replica = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const r = connect(replica.port);
  await waitFor('the link up', async () => infoField(await r.info('replication'), 'master_link_status') === 'up');
  // Through the stream, so that the SELECT is behind us and what follows is the write alone.
  await m.set('foo', 'bar');
  await waitFor('the replica in sync', async () => (await r.get('foo')) === 'bar');
  const applied = infoField(await r.info('replication'), 'slave_repl_offset');
  await r.call('CLIENT', 'PAUSE', '100000', 'WRITE');
  await m.set('foo2', 'bar2');
  const masterOffset = infoField(await m.info('replication'), 'master_repl_offset');
  await waitFor('the write read', async () => infoField(await r.info('replication'), 'slave_read_repl_offset') === masterOffset);
  assert.equal(infoField(await r.info('replication'), 'slave_repl_offset'), applied);
  assert.equal(await r.get('foo2'), null);
  await r.call('CLIENT', 'UNPAUSE');
  await waitFor('the write applied', async () => (await r.get('foo2')) === 'bar2');
  assert.equal(infoField(await r.info('replication'), 'slave_repl_offset'), masterOffset);
});

test('ours feeds ours: partial resync after the link drops, WAIT, promotion keeps the replication id', { timeout: 20000 }, async () => {
  const master = await ours(['--repl-ping-replica-period', '1']);
  const m = connect(master.port);
  await writeLoad(m, 'before');
  const replica = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const r = connect(replica.port);
  await inSync(m, r);
  assert.equal(await m.wait(1, 2000), 1);
  assert.equal(await m.wait(2, 200), 1);
  await writeLoad(m, 'after');
  await inSync(m, r);
  assert.deepEqual(await keyspace(r), await keyspace(m));
  const info = await r.info('replication');
  assert.equal(infoField(info, 'role'), 'slave');
  assert.equal(infoField(info, 'master_port'), String(master.port));
  assert.equal(infoField(info, 'slave_read_only'), '1');
  // Killing the link from the replica's side: it reconnects and continues from the backlog.
  await r.client('KILL', 'TYPE', 'master');
  await m.set('after-kill', '1');
  await inSync(m, r);
  assert.equal(await r.get('after-kill'), '1');
  assert.equal(infoField(await m.info('stats'), 'sync_partial_ok'), '1');
  assert.equal(infoField(await m.info('stats'), 'sync_full'), '1');
  // Promoted, the replica keeps the master's id as its second one.
  const masterId = infoField(await m.info('replication'), 'master_replid');
  await r.replicaof('NO', 'ONE');
  const promoted = await r.info('replication');
  assert.equal(infoField(promoted, 'role'), 'master');
  assert.equal(infoField(promoted, 'master_replid2'), masterId);
  await r.set('writable', '1');
  // min-replicas-to-write with no replica left refuses writes.
  await waitFor('the master to see the replica gone', async () => infoField(await m.info('replication'), 'connected_slaves') === '0');
  await m.config('SET', 'min-replicas-to-write', '1');
  await assert.rejects(m.set('k', 'v'), /NOREPLICAS Not enough good replicas to write\./);
  await m.config('SET', 'min-replicas-to-write', '0');
});

/** A raw replica: PSYNC, the RDB payload skipped; returns the connection positioned at the stream. */
async function rawReplica(port) {
  const conn = await rawConnect(port, 5000);
  conn.write(resp('REPLCONF', 'listening-port', '1') + resp('PSYNC', '?', '-1'));
  assert.equal(await conn.read(5), '+OK\r\n');
  assert.match(await conn.readUntil('\r\n'), /^\+FULLRESYNC [0-9a-f]{40} \d+\r\n$/);
  let header = await conn.readUntil('\r\n');
  while (header === '\n' || header === '\r\n') header = await conn.readUntil('\r\n');
  const length = Number(/^\$(\d+)\r\n$/.exec(header.replace(/^\n+/, ''))[1]);
  assert.equal((await conn.read(length)).slice(0, 5), 'REDIS');
  return conn;
}

test('the stream: SELECT, expiry as DEL, MULTI/EXEC around transactions and script effects', { timeout: 15000 }, async () => {
  const master = await ours(['--repl-diskless-sync', 'no']);
  const m = connect(master.port);
  const conn = await rawReplica(master.port);
  try {
    await m.set('a', '1', 'PX', 30);
    await sleep(80);
    await m.get('a');
    await m.multi().set('b', '1').incr('c').exec();
    await m.eval("redis.call('set', KEYS[1], 'x'); redis.call('del', KEYS[1]); return 1", 1, 'd');
    await m.select(2);
    await m.set('e', '2');
    const expected =
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*5\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\nPXAT\r\n';
    assert.equal(await conn.read(expected.length), expected);
    const at = await conn.readUntil('\r\n');
    assert.match(at, /^\$13\r\n$/);
    await conn.readUntil('\r\n');
    const rest =
      resp('DEL', 'a') +
      // Commands travel as the client (or the script) spelled them, as in Redis.
      resp('MULTI') + resp('set', 'b', '1') + resp('incr', 'c') + resp('EXEC') +
      resp('MULTI') + resp('set', 'd', 'x') + resp('del', 'd') + resp('EXEC') +
      resp('SELECT', '2') + resp('set', 'e', '2');
    assert.equal(await conn.read(rest.length), rest);
  } finally {
    conn.close();
  }
});

test('PSYNC from the backlog: +CONTINUE with the missing part of the stream', { timeout: 15000 }, async () => {
  const master = await ours();
  const m = connect(master.port);
  const conn = await rawReplica(master.port);
  conn.close();
  await m.set('x', '1');
  const info = await m.info('replication');
  const replid = infoField(info, 'master_replid');
  const offset = Number(infoField(info, 'master_repl_offset'));
  const missing = resp('SELECT', '0') + resp('set', 'x', '1');
  const again = await rawConnect(master.port, 5000);
  try {
    again.write(resp('REPLCONF', 'capa', 'psync2') + resp('PSYNC', replid, String(offset - missing.length + 1)));
    assert.equal(await again.read(5), '+OK\r\n');
    assert.equal(await again.read(`+CONTINUE ${replid}\r\n`.length), `+CONTINUE ${replid}\r\n`);
    assert.equal(await again.read(missing.length), missing);
  } finally {
    again.close();
  }
  const unknown = await rawConnect(master.port, 5000);
  try {
    unknown.write(resp('PSYNC', '0'.repeat(40), '5'));
    assert.match(await unknown.readUntil('\r\n'), /^\+FULLRESYNC /);
  } finally {
    unknown.close();
  }
});

test('a chain: redis-server replicates from our replica of our master, under a write load during the disk-less sync', { skip: !HAVE_REDIS && 'needs redis-server', timeout: 30000 }, async () => {
  const master = await ours();
  const m = connect(master.port);
  await writeLoad(m, 'before');
  // Writes keep coming while the snapshot is made and sent: they must follow it, not be read as part of it.
  let writing = true;
  const load = (async () => {
    for (let i = 0; writing; i++) await m.set(`load:${i}`, String(i));
  })();
  const middle = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const mid = connect(middle.port);
  const tail = await redisServer(['--replicaof', '127.0.0.1', String(middle.port)]);
  const t = connect(tail.port);
  await inSync(m, mid);
  await inSync(mid, t);
  writing = false;
  await load;
  await writeLoad(m, 'after');
  await inSync(m, mid);
  await inSync(mid, t);
  const expected = await keyspace(m);
  assert.deepEqual(await keyspace(mid), expected);
  assert.deepEqual(await keyspace(t), expected);
  // The chain shares one history: the same id and offset all along.
  const id = infoField(await m.info('replication'), 'master_replid');
  assert.equal(infoField(await mid.info('replication'), 'master_replid'), id);
  assert.equal(infoField(await t.info('replication'), 'master_replid'), id);
});

test('a replica killed with SIGKILL comes back from its snapshot and catches up', { timeout: 30000 }, async () => {
  const master = await ours();
  const m = connect(master.port);
  await writeLoad(m, 'before');
  const dir = mkdtempSync(join(tmpdir(), 'repl-replica-'));
  try {
    const port = await freePort();
    const args = ['--port', String(port), '--dir', dir, '--save', '', '--replicaof', '127.0.0.1', String(master.port)];
    const first = launch(args);
    stopAfter(first);
    await first.ready(port);
    const r1 = connect(port);
    await inSync(m, r1);
    r1.disconnect();
    first.proc.kill('SIGKILL');
    await first.exited;
    await writeLoad(m, 'while-down');
    const second = launch(args);
    stopAfter(second);
    await second.ready(port);
    const r2 = connect(port);
    await inSync(m, r2);
    assert.deepEqual(await keyspace(r2), await keyspace(m));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
