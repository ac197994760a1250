// The master's side of a full sync as Redis runs it: replicas that share a
// disk-based snapshot in progress, a snapshot nobody needs any more stopped,
// FLUSHALL stopping one, a disk-less transfer stalled on a stopped replica,
// a chained replica kept across REPLICAOF until the new master's data
// replaces ours, and a replica link that makes replies closed.
// Every process started here is stopped after the tests (replication-fixtures.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childrenOf, processAlive, rawConnect, resp, sleep, waitFor } from './helpers.mjs';
import { connect, field, ours } from './replication-fixtures.mjs';

/** How many of the server's log lines contain `text`. */
const logCount = (server, text) => server.output().split('\n').filter((line) => line.includes(text)).length;

async function fill(client, n, prefix = 'k') {
  const pipeline = client.pipeline();
  for (let i = 0; i < n; i++) pipeline.set(`${prefix}${i}`, 'x'.repeat(100));
  await pipeline.exec();
}

const replicaStates = async (master) => (await master.info('replication')).match(/state=\w+/g) ?? [];

test('a replica that asks during a disk-based sync shares it; the save stops once no replica waits for it (without save points)', { timeout: 60_000 }, async () => {
  const m = await ours(['--repl-diskless-sync', 'no', '--rdb-key-save-delay', '200000']);
  const r1 = await ours();
  const r2 = await ours();
  const master = connect(m.port);
  await fill(master, 10);
  await connect(r1.port).replicaof('127.0.0.1', m.port);
  await waitFor('the save', async () => (await field(master, 'rdb_bgsave_in_progress')) === '1');
  await connect(r2.port).replicaof('127.0.0.1', m.port);
  await waitFor('the second replica', () => logCount(m, 'Waiting for end of BGSAVE for SYNC') === 1);
  assert.deepEqual(await replicaStates(master), ['state=wait_bgsave', 'state=wait_bgsave']);
  assert.equal(logCount(m, 'Starting BGSAVE for SYNC'), 1);
  // One leaves: the other still waits for the file.
  await connect(r1.port).replicaof('no', 'one');
  await sleep(200);
  assert.equal(await field(master, 'rdb_bgsave_in_progress'), '1');
  await connect(r2.port).replicaof('no', 'one');
  await waitFor('the save to stop', async () => (await field(master, 'rdb_bgsave_in_progress')) === '0');
  // With save points the file is a backup too: it is finished.
  await master.config('SET', 'save', '900 1');
  await connect(r1.port).replicaof('127.0.0.1', m.port);
  await waitFor('the save', async () => (await field(master, 'rdb_bgsave_in_progress')) === '1');
  await connect(r1.port).replicaof('no', 'one');
  await sleep(300);
  assert.equal(await field(master, 'rdb_bgsave_in_progress'), '1');
});

test('FLUSHALL stops a disk-less sync in progress; the replica asks again and gets the empty dataset', { timeout: 60_000 }, async () => {
  const m = await ours(['--repl-diskless-sync', 'yes', '--rdb-key-save-delay', '100000']);
  const r = await ours(['--repl-diskless-load', 'swapdb']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await fill(master, 50);
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the load', async () => (await field(replica, 'loading')) === '1');
  assert.deepEqual(await replicaStates(master), ['state=wait_bgsave']);
  assert.equal(logCount(m, 'Background RDB transfer started by pid'), 1);
  await master.flushall();
  await waitFor('a second transfer', () => logCount(m, 'Background RDB transfer started by pid') === 2);
  assert.equal(logCount(m, 'SYNC failed'), 1);
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up');
  assert.equal(await replica.dbsize(), 0);
  assert.equal(logCount(m, 'Diskless rdb transfer, done reading from pipe, 1 replicas still up.'), 1);
});

test('a disk-less transfer held back by a stopped replica drops it after repl-timeout and finishes for the others', { timeout: 60_000 }, async () => {
  // The transfer starts once both replicas wait for it.
  const m = await ours(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '30', '--repl-diskless-sync-max-replicas', '2',
    '--rdbcompression', 'no', '--enable-debug-command', 'yes']);
  const slow = await ours();
  const fast = await ours();
  const master = connect(m.port);
  // Enough that the stopped replica's socket fills long before the snapshot ends.
  await master.debug('POPULATE', '3000', 'big', '10000');
  await master.config('SET', 'repl-timeout', '2');
  await connect(slow.port).replicaof('127.0.0.1', m.port);
  await waitFor('the slow replica to ask', async () => (await field(master, 'connected_slaves')) === '1');
  slow.proc.kill('SIGSTOP');
  try {
    await connect(fast.port).replicaof('127.0.0.1', m.port);
    await waitFor('the timeout', () => logCount(m, 'Disconnecting timedout replica (full sync)') === 1, 20_000);
    await waitFor('the transfer to end', () => logCount(m, 'Diskless rdb transfer, done reading from pipe, 1 replicas still up.') === 1, 20_000);
  } finally {
    slow.proc.kill('SIGCONT');
  }
  const fastClient = connect(fast.port);
  await waitFor('the fast replica', async () => (await field(fastClient, 'master_link_status')) === 'up', 20_000);
  assert.equal(await fastClient.dbsize(), 3000);
});

test('REPLICAOF keeps our own replicas until the new master full-syncs us; its data replaces ours down the chain', { timeout: 60_000 }, async () => {
  const m1 = await ours();
  const m2 = await ours(['--rdb-key-save-delay', '100000']);
  const mid = await ours();
  const sub = await ours();
  await connect(m1.port).set('from', 'm1');
  await fill(connect(m2.port), 20, 'm2-');
  const middle = connect(mid.port);
  await middle.replicaof('127.0.0.1', m1.port);
  await waitFor('the first sync', async () => (await field(middle, 'master_link_status')) === 'up');
  const subClient = connect(sub.port);
  await subClient.replicaof('127.0.0.1', mid.port);
  await waitFor('the chained sync', async () => (await field(subClient, 'master_link_status')) === 'up');
  const replid = await field(middle, 'master_replid');
  // The new master's snapshot is slow: meanwhile the chain stays as it was.
  await middle.replicaof('127.0.0.1', m2.port);
  await waitFor('the new full sync', async () => (await field(middle, 'master_sync_in_progress')) === '1');
  assert.equal(await field(middle, 'connected_slaves'), '1');
  assert.equal(await field(subClient, 'master_link_status'), 'up');
  assert.equal(await field(subClient, 'master_replid'), replid);
  assert.equal(logCount(sub, 'Connection with master lost'), 0);
  await connect(m2.port).config('SET', 'rdb-key-save-delay', '0');
  await waitFor('the new data down the chain', async () => (await subClient.dbsize()) === 20 && (await field(subClient, 'master_link_status')) === 'up', 20_000);
  assert.equal(await subClient.get('from'), null);
  assert.equal(await field(subClient, 'master_replid'), await field(connect(m2.port), 'master_replid'));
});

test('a replica link whose command makes a reply is closed, as Redis logs it; PSYNC with a bad offset is refused', { timeout: 30_000 }, async () => {
  const m = await ours(['--repl-diskless-sync', 'no']);
  const master = connect(m.port);
  const link = await rawConnect(m.port);
  link.write(resp('PSYNC', '?', '-1'));
  assert.match(await link.readUntil('\r\n'), /^\+FULLRESYNC [0-9a-f]{40} 0\r\n$/);
  link.write(resp('GET', 'foo'));
  await link.waitClosed();
  assert.equal(logCount(m, "== CRITICAL == This master is sending an error to its replica: 'ERR Replica can't interact with the keyspace' after processing the command 'get'"), 1);
  assert.equal(logCount(m, "Replica generated a reply to command 'get', disconnecting it: id="), 1);
  const other = await rawConnect(m.port);
  other.write(resp('SYNC'));
  await sleep(100);
  other.write(resp('PING'));
  await other.waitClosed();
  assert.equal(logCount(m, "Replica generated a reply to command 'ping', disconnecting it:"), 1);
  await assert.rejects(master.call('PSYNC', 'replicationid', 'offset_str'), /^ReplyError: ERR value is not an integer or out of range$/);
  assert.equal(logCount(m, 'asks for synchronization but with a wrong offset'), 1);
  assert.equal(await master.ping(), 'PONG');
});

test('a disk-less transfer is relayed by a child: killing it fails the sync, the replica asks again and gets everything; killing the master ends it', { skip: process.platform !== 'linux', timeout: 60_000 }, async () => {
  const master = await ours(['--repl-diskless-sync', 'yes']);
  const m = connect(master.port);
  await fill(m, 2000);
  await m.config('SET', 'rdb-key-save-delay', '2000');
  const replica = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const r = connect(replica.port);
  const children = () => childrenOf(master.proc.pid);
  const [relay] = await waitFor('the relay child', () => children().length === 1 && children());
  assert.equal(await field(m, 'rdb_bgsave_in_progress'), '1');
  assert.match(master.output(), new RegExp(`Background RDB transfer started by pid ${relay}\\b`));
  process.kill(relay, 'SIGKILL');
  await waitFor('the failure', () => /Background transfer terminated by signal 9/.test(master.output()));
  assert.match(master.output(), /SYNC failed\. BGSAVE child returned an error/);
  await waitFor('the save over', async () => (await field(m, 'rdb_bgsave_in_progress')) === '0');
  await m.config('SET', 'rdb-key-save-delay', '0');
  await waitFor('the replica synced', async () => (await field(r, 'master_link_status')) === 'up' && (await r.dbsize()) === 2000, 30_000);

  // A child whose master dies stops too: its input ends.
  await m.config('SET', 'rdb-key-save-delay', '2000');
  await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const [second] = await waitFor('a second relay child', () => children().length === 1 && children());
  master.proc.kill('SIGKILL');
  await waitFor('the orphaned relay gone', () => !processAlive(second));
});
