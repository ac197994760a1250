// Disk-less sync as it streams: the master sends its snapshot to the
// replica's socket as it is made (rdb-key-save-delay slows it so the
// transfer can be watched), and a replica under repl-diskless-load swapdb
// shows loading meanwhile, answers -LOADING, and keeps its old data when the
// transfer fails. Also a real redis-server replica reading the stream.
// Every process started here is stopped after the tests (replication-fixtures.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, HAVE_REDIS } from './helpers.mjs';
import { connect, field, ours as anyOurs, redisServer } from './replication-fixtures.mjs';

/** Ours, with disk-less syncs. */
const ours = (args = []) => anyOurs(['--repl-diskless-sync', 'yes', ...args]);

async function fill(client, n) {
  const pipeline = client.pipeline();
  for (let i = 0; i < n; i++) pipeline.set(`m${i}`, 'x'.repeat(100));
  await pipeline.exec();
}

test('a swapdb replica shows loading and answers -LOADING while the stream comes; a failed transfer leaves its old data', { timeout: 60_000 }, async () => {
  const m = await ours(['--rdb-key-save-delay', '20000']);
  const r = await ours(['--repl-diskless-load', 'swapdb']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await fill(master, 200);
  await replica.set('mine', 'old');
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the replica to load', async () => (await field(replica, 'loading')) === '1');
  assert.equal(await field(replica, 'async_loading'), '0');
  assert.equal(await field(master, 'rdb_bgsave_in_progress'), '1');
  await assert.rejects(replica.get('mine'), /^ReplyError: LOADING Redis is loading the dataset in memory$/);
  // The master drops it mid-transfer: the load fails, the snapshot stops, the old data is back.
  await master.config('SET', 'repl-diskless-sync-delay', '60');
  await master.client('KILL', 'TYPE', 'replica');
  await waitFor('the load to stop', async () => (await field(replica, 'loading')) === '0');
  assert.equal(await replica.get('mine'), 'old');
  assert.equal(await replica.dbsize(), 1);
  await waitFor('the master snapshot to stop', async () => (await field(master, 'rdb_bgsave_in_progress')) === '0');
  // Then a transfer that completes: the master's data replaces it.
  await master.config('SET', 'rdb-key-save-delay', '0', 'repl-diskless-sync-delay', '0');
  await replica.replicaof('no', 'one');
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up');
  assert.equal(await replica.dbsize(), 200);
  assert.equal(await replica.get('mine'), null);
});

test('a swapdb replica that already follows the master loads asynchronously: reads are served, no_async_loading commands get -LOADING', { timeout: 60_000 }, async () => {
  const m = await ours();
  const r = await ours(['--repl-diskless-load', 'swapdb', '--replica-read-only', 'no']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the first sync', async () => (await field(replica, 'master_link_status')) === 'up');
  await fill(master, 200);
  await replica.set('mine', 'kept');
  await master.config('SET', 'rdb-key-save-delay', '20000', 'repl-backlog-size', '16384');
  // A full resync of the same history (the backlog no longer has what the replica misses).
  await master.multi().client('KILL', 'TYPE', 'replica').set('big', 'y'.repeat(40000)).exec();
  await waitFor('the replica to load asynchronously', async () => (await field(replica, 'async_loading')) === '1');
  assert.equal(await field(replica, 'loading'), '0');
  assert.equal(await replica.get('mine'), 'kept');
  await assert.rejects(replica.config('SET', 'appendonly', 'no'), /^ReplyError: LOADING/);
  await assert.rejects(replica.replicaof('no', 'one'), /^ReplyError: LOADING/);
  await master.config('SET', 'rdb-key-save-delay', '0');
  await waitFor('the load to end', async () => (await field(replica, 'async_loading')) === '0' && (await field(replica, 'master_link_status')) === 'up');
  assert.equal(await replica.get('mine'), null);
  assert.equal(await replica.dbsize(), 201);
});

test('a real redis-server replica reads our streamed disk-less snapshot', { skip: !HAVE_REDIS, timeout: 60_000 }, async () => {
  const m = await ours();
  const master = connect(m.port);
  await fill(master, 5000);
  const r = await redisServer(['--repl-diskless-load', 'swapdb']);
  const replica = connect(r.port);
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up');
  assert.equal(await replica.dbsize(), 5000);
  assert.equal(await replica.get('m4999'), 'x'.repeat(100));
});
