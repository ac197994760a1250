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

/** How many of the server's log lines contain `text`. */
const logCount = (server, text) => server.output().split('\n').filter((line) => line.includes(text)).length;

test('a swapdb replica whose transfer is cut again and again discards each partial load, keeps its old data, logs the short read and retries', { timeout: 90_000 }, async () => {
  const m = await ours(['--rdb-key-save-delay', '2000', '--rdbcompression', 'no']);
  const r = await ours(['--repl-diskless-load', 'swapdb']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await fill(master, 300);
  await replica.set('mine', 'old');
  await replica.replicaof('127.0.0.1', m.port);
  for (let cut = 1; cut <= 4; cut++) {
    await waitFor(`load ${cut} to start`, () => logCount(r, 'MASTER <-> REPLICA sync: Loading DB in memory') >= cut);
    assert.equal(await master.client('KILL', 'TYPE', 'replica'), 1);
    await waitFor(`short read ${cut}`, () => logCount(r, 'Internal error in RDB reading offset 0') >= cut);
    // The lines that follow the short read may reach the log pipe a moment after it.
    await waitFor(`reconnection ${cut}`, () => logCount(r, 'Reconnecting to MASTER 127.0.0.1:' + m.port + ' after failure') >= cut);
  }
  assert.equal(logCount(r, 'MASTER <-> REPLICA sync: Discarding temporary DB in background'), 4);
  assert.equal(logCount(r, 'Reconnecting to MASTER 127.0.0.1:' + m.port + ' after failure'), 4);
  assert.equal(logCount(r, 'Finished with success'), 0);
  // Hold the next transfer back: between attempts the old data is what the replica serves.
  await master.config('SET', 'repl-diskless-sync-delay', '60');
  await master.client('KILL', 'TYPE', 'replica');
  await waitFor('the load to stop', async () => (await field(replica, 'loading')) === '0');
  assert.deepEqual(await replica.keys('*'), ['mine']);
  assert.equal(await replica.get('mine'), 'old');
  // Then one that completes: the master's data replaces it.
  await master.config('SET', 'rdb-key-save-delay', '0', 'repl-diskless-sync-delay', '0');
  await master.client('KILL', 'TYPE', 'replica');
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up', 20_000);
  assert.equal(await replica.dbsize(), 300);
  assert.equal(await replica.get('mine'), null);
  assert.equal(logCount(r, 'Finished with success'), 1);
});

test('an empty on-empty-db replica cut mid-transfer stays empty, then syncs on the retry', { timeout: 60_000 }, async () => {
  const m = await ours(['--rdb-key-save-delay', '5000']);
  const r = await ours(['--repl-diskless-load', 'on-empty-db']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await fill(master, 200);
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the load', async () => (await field(replica, 'loading')) === '1');
  await master.config('SET', 'repl-diskless-sync-delay', '60');
  await master.client('KILL', 'TYPE', 'replica');
  await waitFor('the short read', () => logCount(r, 'Internal error in RDB') === 1);
  assert.equal(await field(replica, 'loading'), '0');
  assert.equal(await replica.dbsize(), 0);
  // Nothing was set aside: there is no temporary dataset to discard.
  assert.equal(logCount(r, 'Discarding temporary DB'), 0);
  await master.config('SET', 'rdb-key-save-delay', '0', 'repl-diskless-sync-delay', '0');
  await master.client('KILL', 'TYPE', 'replica');
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up', 20_000);
  assert.equal(await replica.dbsize(), 200);
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
