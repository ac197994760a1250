// FAILOVER (7.0's coordinated switch): the master pauses writes, waits for
// its replica to acknowledge everything, becomes that replica's replica and
// hands over with PSYNC ... FAILOVER, so nothing written is lost and both
// continue by partial resync. Ours to ours, ours to a real redis-server and
// a real redis-server to ours. Every process started here is stopped in `after`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, HAVE_REDIS } from './helpers.mjs';
import { connect, field, ours, redisServer as anyRedisServer } from './replication-fixtures.mjs';

/** A redis-server that serves disk-less syncs at once, as ours do here. */
const redisServer = (args = []) => anyRedisServer(['--repl-diskless-sync-delay', '0', ...args]);

async function linkUp(replica) {
  await waitFor('the replica link to be up', async () => (await field(replica, 'master_link_status')) === 'up');
}

async function synced(master, replica) {
  await waitFor('the replica to catch up', async () => {
    const offset = Number(await field(master, 'master_repl_offset'));
    return (await field(replica, 'master_link_status')) === 'up' && Number(await field(replica, 'slave_repl_offset')) >= offset;
  });
}

async function noFailover(client) {
  await waitFor('the failover to end', async () => (await field(client, 'master_failover_state')) === 'no-failover');
}

async function keysOf(client) {
  const out = {};
  for (const key of (await client.keys('*')).sort()) out[key] = await client.get(key);
  return out;
}

/** A master and two replicas, all connected. */
async function trio(make) {
  const [m, r1, r2] = [await make(), await make(), await make()];
  const [master, one, two] = [connect(m.port), connect(r1.port), connect(r2.port)];
  await one.replicaof('127.0.0.1', m.port);
  await two.replicaof('127.0.0.1', m.port);
  await linkUp(one);
  await linkUp(two);
  return { m, r1, r2, master, one, two };
}

test('FAILOVER: argument checks and errors as Redis gives them', { timeout: 30_000 }, async () => {
  const m = await ours();
  const master = connect(m.port);
  await assert.rejects(master.call('FAILOVER', 'TO', '127.0.0.1', '1'), /^ReplyError: ERR FAILOVER requires connected replicas\.$/);
  await assert.rejects(master.call('FAILOVER', 'ABORT'), /^ReplyError: ERR No failover in progress\.$/);
  await assert.rejects(master.call('FAILOVER', 'TIMEOUT', '0'), /^ReplyError: ERR FAILOVER timeout must be greater than 0$/);
  await assert.rejects(master.call('FAILOVER', 'TO', 'h'), /^ReplyError: ERR syntax error$/);
  await assert.rejects(master.call('FAILOVER', 'TO', 'h', 'x'), /^ReplyError: ERR value is not an integer or out of range$/);
  const r = await ours();
  const replica = connect(r.port);
  await replica.replicaof('127.0.0.1', m.port);
  await linkUp(replica);
  await assert.rejects(master.call('FAILOVER', 'FORCE', 'TIMEOUT', '100'), /requires both a timeout and target HOST and IP/);
  await assert.rejects(master.call('FAILOVER', 'TO', '127.0.0.1', String(r.port), 'FORCE'), /requires both a timeout and target HOST and IP/);
  await assert.rejects(master.call('FAILOVER', 'TO', 'invalidhost', String(r.port)), /^ReplyError: ERR FAILOVER target HOST and PORT is not a replica\.$/);
  await assert.rejects(replica.call('FAILOVER'), /^ReplyError: ERR FAILOVER is not valid when server is a replica\.$/);
  await assert.rejects(replica.call('PSYNC', 'x'.repeat(40), '1', 'FAILOVER'), /^ReplyError: ERR PSYNC FAILOVER replid must match my replid\.$/);
  await assert.rejects(master.call('PSYNC', 'x'.repeat(40), '1', 'FAILOVER'), /^ReplyError: ERR PSYNC FAILOVER can't be sent to a master\.$/);
});

test('FAILOVER TO a replica of ours: roles swap, nothing is lost, the others continue by partial resync', { timeout: 60_000 }, async () => {
  const { r1, master, one, two } = await trio(ours);
  for (let i = 0; i < 200; i++) master.set(`k${i}`, String(i));
  await master.set('last', 'before');
  assert.equal(await master.call('FAILOVER', 'TO', '127.0.0.1', String(r1.port)), 'OK');
  await noFailover(master);
  assert.equal((await master.role())[0], 'slave');
  assert.equal((await one.role())[0], 'master');
  const fullBefore = Number(await field(one, 'sync_full'));
  await two.replicaof('127.0.0.1', r1.port);
  await one.set('last', 'after');
  await synced(one, master);
  await synced(one, two);
  assert.deepEqual(await keysOf(master), await keysOf(one));
  assert.deepEqual(await keysOf(two), await keysOf(one));
  assert.equal(await master.get('last'), 'after');
  // The old master and the other replica continued the history: no full sync.
  assert.equal(Number(await field(one, 'sync_full')), fullBefore);
  assert.equal(Number(await field(one, 'sync_partial_ok')), 2);
  assert.equal((await master.role())[1], '127.0.0.1');
  assert.equal((await master.role())[2], r1.port);
});

test('FAILOVER to any replica waits for one that caught up; writes wait meanwhile and then get READONLY', { timeout: 60_000 }, async () => {
  const { r1, r2, master, one, two } = await trio(ours);
  await master.set('x', '1');
  await synced(master, one);
  await synced(master, two);
  // One replica stopped: the other one is picked.
  r1.proc.kill('SIGSTOP');
  try {
    await master.call('FAILOVER');
    assert.equal(await field(master, 'master_failover_state'), 'waiting-for-sync');
    const writer = connect((await master.config('GET', 'port'))[1]);
    const write = writer.set('x', '2').then(() => 'ok', (e) => e.message);
    // Reads still run while writes wait.
    assert.equal(await master.get('x'), '1');
    await noFailover(master);
    assert.match(await write, /^READONLY/);
    assert.equal((await two.role())[0], 'master');
    assert.equal((await master.role())[2], r2.port);
  } finally {
    r1.proc.kill('SIGCONT');
  }
  await one.replicaof('127.0.0.1', r2.port);
  await two.set('x', '3');
  await synced(two, one);
  await synced(two, master);
  assert.equal(await one.get('x'), '3');
  assert.equal(await master.get('x'), '3');
});

test('FAILOVER TIMEOUT without FORCE gives up; ABORT ends a waiting failover; FORCE fails over anyway', { timeout: 60_000 }, async () => {
  const { r1, master, one } = await trio(ours);
  r1.proc.kill('SIGSTOP');
  let stopped = true;
  try {
    await master.set('case', '1');
    await master.call('FAILOVER', 'TO', '127.0.0.1', String(r1.port), 'TIMEOUT', '300');
    await noFailover(master);
    assert.equal((await master.role())[0], 'master');
    assert.equal(await master.set('case', '2'), 'OK');

    await master.call('FAILOVER', 'TO', '127.0.0.1', String(r1.port), 'TIMEOUT', '60000');
    assert.equal(await field(master, 'master_failover_state'), 'waiting-for-sync');
    await assert.rejects(master.call('FAILOVER'), /^ReplyError: ERR FAILOVER already in progress\.$/);
    await assert.rejects(master.replicaof('no', 'one'), /^ReplyError: ERR REPLICAOF not allowed while failing over\.$/);
    assert.equal(await master.call('FAILOVER', 'ABORT'), 'OK');
    assert.equal(await field(master, 'master_failover_state'), 'no-failover');
    assert.equal(await master.set('case', '3'), 'OK');

    await master.call('FAILOVER', 'TO', '127.0.0.1', String(r1.port), 'TIMEOUT', '200', 'FORCE');
    await waitFor('the forced failover to start', async () => (await field(master, 'master_failover_state')) === 'failover-in-progress');
    assert.equal((await master.role())[0], 'slave');
    r1.proc.kill('SIGCONT');
    stopped = false;
    await noFailover(master);
  } finally {
    if (stopped) r1.proc.kill('SIGCONT');
  }
  assert.equal((await one.role())[0], 'master');
  await synced(one, master);
  assert.equal(await one.get('case'), '3');
});

test('FAILOVER aborts when the target refuses PSYNC, and the master serves again', { timeout: 60_000 }, async () => {
  const { r1, master, one } = await trio(ours);
  await one.call('ACL', 'SETUSER', 'default', '-psync');
  await master.set('k', 'v');
  await master.call('FAILOVER', 'TO', '127.0.0.1', String(r1.port));
  await noFailover(master);
  assert.equal((await master.role())[0], 'master');
  assert.equal(await master.set('k', 'w'), 'OK');
  await one.call('ACL', 'SETUSER', 'default', '+psync');
  await synced(master, one);
  assert.equal(await one.get('k'), 'w');
});

test('FAILOVER with real redis-server: ours hands over to it, and it hands back to ours', { skip: !HAVE_REDIS, timeout: 60_000 }, async () => {
  const m = await ours();
  const r = await redisServer();
  const master = connect(m.port);
  const replica = connect(r.port);
  await replica.replicaof('127.0.0.1', m.port);
  await linkUp(replica);
  for (let i = 0; i < 100; i++) master.set(`k${i}`, String(i));
  await master.set('side', 'ours');
  assert.equal(await master.call('FAILOVER', 'TO', '127.0.0.1', String(r.port)), 'OK');
  await noFailover(master);
  assert.equal((await replica.role())[0], 'master');
  assert.equal((await master.role())[0], 'slave');
  await replica.set('side', 'redis');
  await synced(replica, master);
  assert.deepEqual(await keysOf(master), await keysOf(replica));
  assert.equal(await field(replica, 'sync_partial_ok'), '1');
  assert.equal(await field(replica, 'sync_full'), '0');

  // And back: redis-server's FAILOVER sends PSYNC ... FAILOVER to ours.
  const [fullBefore, partialBefore] = [Number(await field(master, 'sync_full')), Number(await field(master, 'sync_partial_ok'))];
  assert.equal(await replica.call('FAILOVER', 'TO', '127.0.0.1', String(m.port)), 'OK');
  await noFailover(replica);
  assert.equal((await master.role())[0], 'master');
  assert.equal((await replica.role())[0], 'slave');
  await master.set('side', 'ours again');
  await synced(master, replica);
  assert.equal(await replica.get('side'), 'ours again');
  assert.equal(Number(await field(master, 'sync_full')), fullBefore);
  assert.equal(Number(await field(master, 'sync_partial_ok')), partialBefore + 1);
});
