// SHUTDOWN with replicas attached, as Redis 7.0 does it: writes pause and the
// master waits (up to shutdown-timeout) for every replica to acknowledge the
// stream before it exits; SHUTDOWN ABORT ends the wait. Every wait is bounded,
// and a stopped replica is always continued before it is stopped for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { waitFor } from './helpers.mjs';
import { connect, infoField as field, ours } from './replication-fixtures.mjs';

/** A master with one replica in sync holding k=1, and the replica stopped (SIGSTOP). */
async function masterWithStoppedReplica() {
  const master = await ours();
  const replica = await ours(['--replicaof', '127.0.0.1', String(master.port)]);
  const m = connect(master.port);
  const r = connect(replica.port);
  await m.set('k', '1');
  await waitFor('the replica in sync', async () => (await r.get('k')) === '1' && Number(field(await m.info('replication'), 'slave0')?.match(/offset=(\d+)/)?.[1]) === Number(field(await m.info('replication'), 'master_repl_offset')));
  replica.proc.kill('SIGSTOP');
  return { master, replica, m, r };
}

test('SHUTDOWN waits for a lagging replica to acknowledge the last write, then exits', { timeout: 30_000 }, async () => {
  const { master, replica, m, r } = await masterWithStoppedReplica();
  assert.equal(await m.incr('k'), 2);
  const shutdown = connect(master.port).call('SHUTDOWN').catch((e) => e.message);
  await waitFor('the shutdown waiting', async () => Number(field(await m.info('server'), 'shutdown_in_milliseconds')) > 0);
  assert.equal(field(await m.info('clients'), 'blocked_clients'), '1', 'the SHUTDOWN client waits');
  assert.equal(field(await m.info('clients'), 'connected_clients'), '2', 'the replica is not counted as a client');
  replica.proc.kill('SIGCONT');
  assert.equal(await master.exited, 0);
  assert.match(await shutdown, /Connection is closed|ECONNRESET/);
  assert.equal(await r.get('k'), '2', 'the replica got the write before the master exited');
  assert.match(master.output(), /Waiting for replicas before shutting down\./);
  assert.match(master.output(), /1 of 1 replicas are in sync when shutting down\./);
  assert.doesNotMatch(master.output(), /Lagging replica/);
});

test('SHUTDOWN ABORT ends the wait: the waiting SHUTDOWN clients get an error and the server goes on', { timeout: 30_000 }, async () => {
  const { master, replica, m } = await masterWithStoppedReplica();
  await m.incr('k');
  const first = connect(master.port).call('SHUTDOWN').catch((e) => e.message);
  const second = connect(master.port).call('SHUTDOWN').catch((e) => e.message);
  await waitFor('both SHUTDOWN clients waiting', async () => field(await m.info('clients'), 'blocked_clients') === '2');
  assert.equal(await m.call('SHUTDOWN', 'ABORT'), 'OK');
  assert.equal(await first, 'ERR Errors trying to SHUTDOWN. Check logs.');
  assert.equal(await second, 'ERR Errors trying to SHUTDOWN. Check logs.');
  assert.equal(field(await m.info('server'), 'shutdown_in_milliseconds'), undefined);
  assert.equal(await m.set('after', 'x'), 'OK', 'writes are no longer paused');
  await assert.rejects(m.call('SHUTDOWN', 'ABORT'), /ERR No shutdown in progress\./);
  assert.match(master.output(), /Shutdown manually aborted\./);
  replica.proc.kill('SIGCONT');
});

test('with shutdown-timeout passed, the master exits anyway and logs the lagging replica', { timeout: 30_000 }, async () => {
  const { master, m } = await masterWithStoppedReplica();
  await m.config('SET', 'shutdown-timeout', '1');
  await m.incr('k');
  master.proc.kill('SIGTERM');
  assert.equal(await master.exited, 0);
  assert.match(master.output(), /Lagging replica \S+ reported offset \d+ behind master, lag=\d+, state=online\./);
  assert.match(master.output(), /0 of 1 replicas are in sync when shutting down\./);
});

test('a SIGTERM while DEBUG PAUSE-CRON holds the cron waits for it, and SHUTDOWN ABORT cancels it', { timeout: 30_000 }, async () => {
  const server = await ours(['--enable-debug-command', 'yes']);
  const c = connect(server.port);
  await c.call('DEBUG', 'PAUSE-CRON', '1');
  server.proc.kill('SIGTERM');
  await waitFor('the signal logged', () => /Received SIGTERM scheduling shutdown/.test(server.output()));
  assert.equal(await c.call('SHUTDOWN', 'ABORT'), 'OK');
  assert.match(server.output(), /Shutdown manually aborted/);
  await c.call('DEBUG', 'PAUSE-CRON', '0');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await c.ping(), 'PONG', 'the aborted shutdown does not come back with the cron');
  await assert.rejects(c.call('SHUTDOWN', 'ABORT'), /No shutdown in progress/);
});

test('once SHUTDOWN has closed its connection, a new connection is refused: the listener stops first', { timeout: 30_000 }, async () => {
  for (let round = 0; round < 5; round++) {
    const server = await ours();
    const c = connect(server.port);
    await c.ping();
    await c.call('SHUTDOWN', 'NOSAVE').catch(() => {});
    const refused = await new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', (error) => resolve(error.code === 'ECONNREFUSED'));
    });
    assert.ok(refused, `round ${round}: the port still accepted`);
    await server.exited;
  }
});

test('SHUTDOWN ABORT ends only the shutdown\'s own write pause: a CLIENT PAUSE set before it stays', { timeout: 30_000 }, async () => {
  const { master, replica, m } = await masterWithStoppedReplica();
  await m.incr('k');
  await m.call('CLIENT', 'PAUSE', '5000', 'WRITE');
  const shutdown = connect(master.port).call('SHUTDOWN').catch((e) => e.message);
  await waitFor('the SHUTDOWN client waiting', async () => field(await m.info('clients'), 'blocked_clients') === '1');
  assert.equal(await m.call('SHUTDOWN', 'ABORT'), 'OK');
  assert.equal(await shutdown, 'ERR Errors trying to SHUTDOWN. Check logs.');
  const writer = connect(master.port);
  const write = writer.set('held', 'x');
  await waitFor('the write held by the client pause', async () => field(await m.info('clients'), 'blocked_clients') === '1');
  await m.call('CLIENT', 'UNPAUSE');
  assert.equal(await write, 'OK');
  replica.proc.kill('SIGCONT');
});
