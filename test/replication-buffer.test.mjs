// The shared replication buffer (Redis 7.0's): the backlog and every replica use one copy of the
// stream, the backlog outgrows repl-backlog-size while a replica still needs old bytes (and a
// partial resync can use them), and a replica's output limit counts its share. Each scenario runs
// with our master and with a real redis-server master, replicas being ours, and asserts the same.
// Replicas are stopped with SIGSTOP so that their sockets stop taking the stream; the fixtures
// continue and stop every process after the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, waitFor, HAVE_REDIS } from './helpers.mjs';
import { connect, field, infoField, ours, redisServer } from './replication-fixtures.mjs';

const MB = 1024 * 1024;
const masters = HAVE_REDIS ? ['ours', 'redis'] : ['ours'];
const settings = ['--repl-backlog-size', '16384', '--client-output-buffer-limit', 'replica 0 0 0', '--repl-diskless-sync-delay', '0'];

async function master(kind, args = settings) {
  const server = kind === 'ours' ? await ours(args) : await redisServer(args);
  return { server, client: connect(server.port) };
}

const num = async (client, name) => Number(await field(client, name));

/** A replica of ours following `port`, once its link is up and it has everything. */
async function replica(masterClient, port) {
  const server = await ours();
  const client = connect(server.port);
  await client.replicaof('127.0.0.1', port);
  await inSync(masterClient, client);
  return { server, client };
}

async function inSync(masterClient, replicaClient, ms = 15000) {
  await waitFor('the replica to catch up', async () => {
    const offset = await num(masterClient, 'master_repl_offset');
    const r = await replicaClient.info('replication');
    return infoField(r, 'master_link_status') === 'up' && Number(infoField(r, 'slave_repl_offset')) >= offset;
  }, ms);
}

/** `count` values of 1 MB each (more than loopback sockets take from a stopped reader). */
async function writeMegabytes(client, count, prefix) {
  const value = 'v'.repeat(MB);
  const pipeline = client.pipeline();
  for (let i = 0; i < count; i++) pipeline.set(`${prefix}${i}`, value);
  await pipeline.exec();
}

for (const kind of masters) {
  test(`${kind} master: stopped replicas keep the stream in one shared buffer, trimmed once they take it`, async () => {
    const { server, client } = await master(kind);
    const replicas = [await replica(client, server.port), await replica(client, server.port)];
    for (const r of replicas) r.server.proc.kill('SIGSTOP');
    await writeMegabytes(client, 16, 'big:');
    const histlen = await num(client, 'repl_backlog_histlen');
    const memory = await num(client, 'mem_total_replication_buffers');
    // The backlog holds what the stopped replicas still need, far past its 16 kB.
    assert.ok(histlen > 8 * MB, `histlen ${histlen}`);
    // One copy for both replicas and the backlog, not one each.
    assert.ok(memory >= histlen && memory < 1.5 * 16 * MB, `memory ${memory}, histlen ${histlen}`);
    for (const r of replicas) r.server.proc.kill('SIGCONT');
    for (const r of replicas) await inSync(client, r.client);
    await client.set('after', 'x'.repeat(64 * 1024));
    await waitFor('the backlog to shrink to about its size', async () => (await num(client, 'repl_backlog_histlen')) < 256 * 1024, 15000);
    assert.ok((await num(client, 'mem_total_replication_buffers')) < 512 * 1024);
    assert.equal(await num(client, 'connected_slaves'), 2);
  });

  test(`${kind} master: a partial resync uses what a replica waiting for its snapshot holds beyond repl-backlog-size, and the output limit drops that replica`, async () => {
    const { server, client } = await master(kind);
    const away = await replica(client, server.port);
    // A snapshot of 10 keys at a second each: the new replica waits, and the buffer keeps the stream for it.
    for (let i = 0; i < 10; i++) await client.set(`k${i}`, 'v');
    await client.config('SET', 'rdb-key-save-delay', '1000000');
    const held = await ours();
    const heldClient = connect(held.port);
    await heldClient.replicaof('127.0.0.1', server.port);
    await waitFor('the snapshot for the new replica', async () => (await num(client, 'rdb_bgsave_in_progress')) === 1 && (await heldClient.role())[3] === 'sync');
    // Away to a master that is not there, while 16 MB go by.
    await away.client.replicaof('127.0.0.1', await freePort());
    await waitFor('the master to lose the replica', async () => (await num(client, 'connected_slaves')) === 1);
    await writeMegabytes(client, 16, 'gone:');
    const histlen = await num(client, 'repl_backlog_histlen');
    assert.ok(histlen > 16 * MB, `histlen ${histlen}`);
    const partial = await num(client, 'sync_partial_ok');
    await away.client.replicaof('127.0.0.1', server.port);
    await inSync(client, away.client);
    assert.equal(await num(client, 'sync_partial_ok'), partial + 1);
    assert.equal(await away.client.strlen('gone:15'), MB);

    // Its share of the buffer is over the limit now: the waiting replica goes, and its part with it.
    held.proc.kill('SIGSTOP');
    await client.config('SET', 'client-output-buffer-limit', 'replica 128kb 0 0');
    await client.set('trigger', 'x'.repeat(64 * 1024));
    await waitFor('the waiting replica to be dropped', async () => (await num(client, 'connected_slaves')) === 1);
    await waitFor('the buffer to shrink', async () => (await num(client, 'repl_backlog_histlen')) < MB, 15000);
    await client.config('SET', 'rdb-key-save-delay', '0');
    held.proc.kill('SIGCONT');
  });

  test(`${kind} master: a partial resync succeeds when the replica output limit is below repl-backlog-size`, async () => {
    const { server, client } = await master(kind, ['--repl-backlog-size', '20mb', '--client-output-buffer-limit', 'replica 512kb 0 0', '--repl-diskless-sync-delay', '0']);
    const r = await replica(client, server.port);
    await client.client('KILL', 'TYPE', 'replica');
    await writeMegabytes(client, 4, 'while-away:');
    await inSync(client, r.client);
    // 4 MB over a 512 kB limit, but within the backlog: continued, not dropped.
    await writeMegabytes(client, 4, 'after:');
    await inSync(client, r.client);
    assert.equal(await num(client, 'sync_full'), 1);
    assert.equal(await num(client, 'sync_partial_ok'), 1);
    assert.equal(await r.client.strlen('after:3'), MB);
  });
}

for (const kind of masters) {
  test(`${kind} master: a replica sent elsewhere and back continues the stream in the database it had selected`, async () => {
    const { server, client } = await master(kind);
    const r = await replica(client, server.port);
    await client.select(9);
    await client.set('before', '1');
    await inSync(client, r.client);
    await r.client.replicaof('127.0.0.1', await freePort());
    await waitFor('the master to lose the replica', async () => (await num(client, 'connected_slaves')) === 0);
    // No SELECT in what follows: the stream is still in database 9.
    await client.set('during', '2');
    const partial = await num(client, 'sync_partial_ok');
    await r.client.replicaof('127.0.0.1', server.port);
    await inSync(client, r.client);
    assert.equal(await num(client, 'sync_partial_ok'), partial + 1);
    await r.client.select(9);
    assert.deepEqual([await r.client.get('before'), await r.client.get('during')], ['1', '2']);
    await r.client.select(0);
    assert.equal(await r.client.dbsize(), 0);
  });
}

for (const kind of masters) {
  test(`${kind} master: a replica killed inside a transaction that outgrows the backlog leaves the master serving (Redis's diskless swapdb test does this)`, async () => {
    const { server, client } = await master(kind, ['--repl-diskless-sync-delay', '0']);
    const { client: replicaClient } = await replica(client, server.port);
    const value = 'A'.repeat(16384);
    const transaction = client.multi().client('KILL', 'TYPE', 'replica').config('SET', 'repl-backlog-size', '16384');
    for (let i = 0; i < 10; i++) transaction.set(`key:${i}`, value);
    const results = await transaction.exec();
    assert.deepEqual(results.map(([error]) => error), new Array(12).fill(null));
    assert.equal(await client.ping(), 'PONG');
    await inSync(client, replicaClient);
    assert.equal(await replicaClient.get('key:9'), value);
  });
}
