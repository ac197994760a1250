// The replication history in RDB files (the repl-id, repl-offset and
// repl-stream-db aux fields, as Redis 7.0 writes them): a master or a replica
// restarted on its snapshot continues by partial resync instead of a full
// one; a master propagates the deletion of keys it found expired while
// loading. Ours with ours, and with real redis-server both ways. Every
// process started here is killed in `after`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, launch, waitFor, waitForPort, HAVE_REDIS } from './helpers.mjs';

const procs = [];
const clients = [];
const dirs = [];
after(async () => {
  for (const c of clients) c.disconnect();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.on('exit', r)) : undefined)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'repl-restart-'));
  dirs.push(dir);
  return dir;
}

/** A server (ours or redis-server) on a fixed port and directory, so that it can be restarted on its files. */
async function node({ port, dir, redis = false, args = [] }) {
  const argv = ['--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...args];
  let proc;
  if (redis) {
    proc = spawn('redis-server', argv, { stdio: 'ignore' });
    await waitForPort(port, proc);
  } else {
    const launched = launch(argv);
    proc = launched.proc;
    await launched.ready(port);
  }
  procs.push(proc);
  const client = new Redis({ port, retryStrategy: () => null, maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return { port, dir, redis, args, proc, client };
}

/** SHUTDOWN SAVE, then the same server again on the same port and files. */
async function restart(server) {
  // Once its replicas have acknowledged everything, SHUTDOWN does not wait for them, and sends
  // them no REPLCONF GETACK *, which would move the offset this file's tests check.
  await waitFor('the replicas to acknowledge the whole stream', async () => {
    const info = await server.client.info('replication');
    const offset = /^master_repl_offset:(\d+)/m.exec(info)[1];
    return [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].every((m) => m[1] === offset);
  });
  const exited = new Promise((resolve) => server.proc.on('exit', resolve));
  await server.client.call('SHUTDOWN', 'SAVE').catch(() => {});
  await exited;
  server.client.disconnect();
  return node(server);
}

async function field(client, name) {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(await client.info('all'))?.[1];
}

async function synced(master, replica) {
  await waitFor('the replica to catch up', async () => {
    const offset = Number(await field(master, 'master_repl_offset'));
    return (await field(replica, 'master_link_status')) === 'up' && Number(await field(replica, 'slave_repl_offset')) === offset;
  });
}

async function contents(client) {
  const out = {};
  for (let db = 0; db < 2; db++) {
    await client.select(db);
    for (const key of (await client.keys('*')).sort()) out[`${db}:${key}`] = await client.get(key);
  }
  await client.select(0);
  return out;
}

test('our master restarted on its RDB keeps its history as id 2: its replica (ours) continues by partial resync', { timeout: 60_000 }, async () => {
  const m = await node({ port: await freePort(), dir: tempDir() });
  const r = await node({ port: await freePort(), dir: tempDir() });
  await r.client.replicaof('127.0.0.1', m.port);
  await m.client.set('a', '1');
  await m.client.select(1);
  await m.client.set('b', '2');
  await m.client.select(0);
  await synced(m.client, r.client);
  const replid = await field(m.client, 'master_replid');
  const offset = Number(await field(m.client, 'master_repl_offset'));

  const m2 = await restart(m);
  assert.notEqual(await field(m2.client, 'master_replid'), replid);
  assert.equal(await field(m2.client, 'master_replid2'), replid);
  assert.equal(Number(await field(m2.client, 'second_repl_offset')), offset + 1);
  assert.equal(Number(await field(m2.client, 'master_repl_offset')), offset);
  assert.equal(Number(await field(m2.client, 'repl_backlog_first_byte_offset')), offset + 1);
  await synced(m2.client, r.client);
  assert.equal(await field(m2.client, 'sync_partial_ok'), '1');
  assert.equal(await field(m2.client, 'sync_full'), '0');
  // The stream goes on in the right database.
  await m2.client.select(1);
  await m2.client.set('c', '3');
  await synced(m2.client, r.client);
  assert.deepEqual(await contents(r.client), await contents(m2.client));
});

test('keys found expired when a master loads its RDB leave its replica too (DELs in the backlog)', { timeout: 60_000 }, async () => {
  // No PING to the replica (and the SELECT before it) may slip in between reading the offset and the restart.
  const m = await node({ port: await freePort(), dir: tempDir(), args: ['--enable-debug-command', 'yes', '--repl-ping-replica-period', '3600'] });
  const r = await node({ port: await freePort(), dir: tempDir() });
  await r.client.replicaof('127.0.0.1', m.port);
  await m.client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  for (let i = 0; i < 20; i++) await m.client.set(`short${i}`, 'v', 'PX', '200');
  await m.client.set('stays', 'v');
  await synced(m.client, r.client);
  const offset = Number(await field(m.client, 'master_repl_offset'));
  await new Promise((resolve) => setTimeout(resolve, 300));

  const m2 = await restart(m);
  assert.equal(await field(m2.client, 'rdb_last_load_keys_expired'), '20');
  const histlen = Number(await field(m2.client, 'repl_backlog_histlen'));
  assert.ok(histlen > 0);
  assert.equal(Number(await field(m2.client, 'master_repl_offset')), offset + histlen);
  await synced(m2.client, r.client);
  assert.equal(await field(m2.client, 'sync_partial_ok'), '1');
  assert.deepEqual(await r.client.keys('*'), ['stays']);
});

test('our replica restarted on its RDB continues from its offset (partial resync, no full one)', { timeout: 60_000 }, async () => {
  const m = await node({ port: await freePort(), dir: tempDir() });
  const rPort = await freePort();
  const r = await node({ port: rPort, dir: tempDir(), args: ['--replicaof', '127.0.0.1', String(m.port)] });
  await m.client.select(1);
  await m.client.set('x', '1');
  await synced(m.client, r.client);
  const r2 = await restart(r);
  // Written while the replica was away: it arrives from the backlog.
  await m.client.set('y', '2');
  await synced(m.client, r2.client);
  assert.equal(await field(m.client, 'sync_full'), '1');
  assert.equal(await field(m.client, 'sync_partial_ok'), '1');
  assert.deepEqual(await contents(r2.client), { '1:x': '1', '1:y': '2' });
});

test('with real redis-server: its replica survives our restart by partial resync, ours survives its restart, and it reads our aux fields', { skip: !HAVE_REDIS, timeout: 90_000 }, async () => {
  // A redis-server replica of our master.
  const m = await node({ port: await freePort(), dir: tempDir() });
  const r = await node({ port: await freePort(), dir: tempDir(), redis: true });
  await r.client.replicaof('127.0.0.1', m.port);
  await m.client.set('k', 'v1');
  await synced(m.client, r.client);
  const m2 = await restart(m);
  await m2.client.set('k', 'v2');
  await synced(m2.client, r.client);
  assert.equal(await field(m2.client, 'sync_partial_ok'), '1');
  assert.equal(await r.client.get('k'), 'v2');

  // Our replica of a redis-server master, restarted.
  const rm = await node({ port: await freePort(), dir: tempDir(), redis: true });
  const ours = await node({ port: await freePort(), dir: tempDir(), args: ['--replicaof', '127.0.0.1', String(rm.port)] });
  await rm.client.set('z', '1');
  await synced(rm.client, ours.client);
  const ours2 = await restart(ours);
  await rm.client.set('z', '2');
  await synced(rm.client, ours2.client);
  assert.equal(await field(rm.client, 'sync_partial_ok'), '1');
  assert.equal(await ours2.client.get('z'), '2');

  // redis-server started on our master's snapshot finds the history in it.
  await m2.client.call('SAVE');
  const replid = await field(m2.client, 'master_replid');
  const offset = Number(await field(m2.client, 'master_repl_offset'));
  const copy = tempDir();
  await import('node:fs').then((fs) => fs.writeFileSync(join(copy, 'dump.rdb'), readFileSync(join(m.dir, 'dump.rdb'))));
  const fromOurs = await node({ port: await freePort(), dir: copy, redis: true });
  assert.equal(await field(fromOurs.client, 'master_replid2'), replid);
  assert.equal(Number(await field(fromOurs.client, 'second_repl_offset')), offset + 1);
});
