// Start-up loading as Redis does it: the server accepts connections while it
// reads dump.rdb, answers -LOADING to what may not run then, shows its progress
// in INFO persistence, and then serves the data. key-load-delay and
// loading-process-events-interval-bytes slow the load down so that a test can
// look at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, HAVE_REDIS, launch, rawConnect, resp, startInDir, tempDirs, waitFor, waitForPort } from './helpers.mjs';

const newDir = tempDirs('noderedis-loading-');
const KEYS = 20000;
const SLOW = ['--key-load-delay', '100', '--loading-process-events-interval-bytes', '1024'];
const LOADING = '-LOADING Redis is loading the dataset in memory\r\n';

/** A directory whose dump.rdb holds KEYS keys of 1000 bytes (about 20 MB), written by our server. */
async function bigSnapshot(t) {
  const dir = newDir();
  const { client, proc } = await startInDir(t, dir, ['--save', '', '--enable-debug-command', 'yes']);
  await client.call('DEBUG', 'POPULATE', String(KEYS), 'key', '1000');
  await client.call('SAVE');
  proc.kill('SIGKILL');
  return dir;
}

/** One raw reply line (or bulk header) for `args`. */
async function line(conn, ...args) {
  conn.write(resp(...args));
  return conn.readUntil('\r\n', 5000);
}

/** INFO persistence as a map, read over `conn`. */
async function persistenceInfo(conn) {
  conn.write(resp('INFO', 'persistence'));
  const header = await conn.readUntil('\r\n', 5000);
  const body = await conn.read(Number(header.slice(1, -2)) + 2, 5000);
  return Object.fromEntries(body.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')));
}

/** Starts `command` (ours or redis-server) on `dir` with SLOW and `args`; resolves with its port once it accepts connections. */
async function startSlow(t, dir, args = [], { redis = false } = {}) {
  const port = await freePort();
  const argv = ['--port', String(port), '--dir', dir, '--enable-debug-command', 'yes', ...SLOW, ...args];
  let proc;
  if (redis) {
    proc = spawn('redis-server', argv, { stdio: 'ignore' });
    await waitForPort(port, proc);
  } else {
    const server = launch(argv);
    await server.ready(port);
    proc = server.proc;
  }
  t.after(() => proc.kill('SIGKILL'));
  return { port, proc };
}

test('while dump.rdb loads, clients get -LOADING and INFO shows the progress; then the data is served', { timeout: 60_000 }, async (t) => {
  const dir = await bigSnapshot(t);
  const size = statSync(join(dir, 'dump.rdb')).size;
  const { port } = await startSlow(t, dir, ['--save', '']);
  const conn = await rawConnect(port);
  t.after(() => conn.socket.destroy());
  assert.equal(await line(conn, 'PING'), LOADING);
  assert.equal(await line(conn, 'GET', 'key:1'), LOADING);
  assert.equal(await line(conn, 'SET', 'k', 'v'), LOADING);
  // Commands flagged `loading` run.
  assert.equal(await line(conn, 'CONFIG', 'SET', 'maxmemory-clients', '0'), '+OK\r\n');
  const info = await persistenceInfo(conn);
  assert.equal(info.loading, '1');
  assert.equal(info.loading_total_bytes, String(size));
  assert.ok(Number(info.loading_loaded_bytes) < size, info.loading_loaded_bytes);
  assert.ok(Math.abs(Number(info.loading_start_time) - Date.now() / 1000) < 30, info.loading_start_time);
  assert.match(info.loading_loaded_perc, /^\d+\.\d\d$/);
  assert.match(info.loading_eta_seconds, /^\d+$/);
  // The used-mem the file records: at least the 20 MB of values it holds.
  assert.ok(Number(info.loading_rdb_used_mem) > KEYS * 1000, info.loading_rdb_used_mem);
  // A second look sees it moving on.
  await waitFor('the load to progress', async () => Number((await persistenceInfo(conn)).loading_loaded_bytes) > Number(info.loading_loaded_bytes), 10_000);
  await waitFor('the load to end', async () => (await line(conn, 'PING')) === '+PONG\r\n', 40_000);
  assert.equal(await line(conn, 'DBSIZE'), `:${KEYS}\r\n`);
  assert.equal(await line(conn, 'STRLEN', `key:${KEYS - 1}`), ':1000\r\n');
  const done = await persistenceInfo(conn);
  assert.equal(done.loading, '0');
  assert.equal(done.loading_total_bytes, undefined);
  assert.equal(done.rdb_last_load_keys_loaded, String(KEYS));
});

test('SIGTERM while loading exits without saving: dump.rdb is not replaced by part of it', { timeout: 60_000 }, async (t) => {
  const dir = await bigSnapshot(t);
  const before = statSync(join(dir, 'dump.rdb'));
  const { port, proc } = await startSlow(t, dir, ['--save', '3600 1']);
  const conn = await rawConnect(port);
  t.after(() => conn.socket.destroy());
  assert.equal(await line(conn, 'PING'), LOADING);
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.kill('SIGTERM');
  assert.equal(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]), 0);
  const after = statSync(join(dir, 'dump.rdb'));
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeMs, before.mtimeMs);
});

test('an append-only file replays the same way: -LOADING meanwhile, then every command applied', { timeout: 60_000 }, async (t) => {
  const dir = newDir();
  const writer = await startInDir(t, dir, ['--save', '', '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
  const pipeline = writer.client.pipeline();
  for (let i = 0; i < KEYS; i++) pipeline.set(`k${i}`, String(i));
  await pipeline.exec();
  writer.proc.kill('SIGKILL');
  const { port } = await startSlow(t, dir, ['--save', '', '--appendonly', 'yes']);
  const conn = await rawConnect(port);
  t.after(() => conn.socket.destroy());
  assert.equal(await line(conn, 'GET', 'k1'), LOADING);
  const info = await persistenceInfo(conn);
  assert.equal(info.loading, '1');
  assert.ok(Number(info.loading_total_bytes) > KEYS * 20, info.loading_total_bytes);
  await waitFor('the load to end', async () => (await line(conn, 'PING')) === '+PONG\r\n', 40_000);
  assert.equal(await line(conn, 'DBSIZE'), `:${KEYS}\r\n`);
  assert.equal(await line(conn, 'GET', `k${KEYS - 1}`), `$${String(KEYS - 1).length}\r\n`);
});

test('redis-server loading the same file answers the same way', { skip: !HAVE_REDIS, timeout: 60_000 }, async (t) => {
  const dir = await bigSnapshot(t);
  const replies = async (redis) => {
    const { port, proc } = await startSlow(t, dir, ['--save', ''], { redis });
    const conn = await rawConnect(port);
    const out = [await line(conn, 'PING'), await line(conn, 'GET', 'key:1'), await line(conn, 'CONFIG', 'SET', 'maxmemory-clients', '0')];
    const info = await persistenceInfo(conn);
    out.push(Object.keys(info).filter((k) => k.startsWith('loading')).join(','), info.loading, info.async_loading, info.loading_rdb_used_mem);
    conn.socket.destroy();
    proc.kill('SIGKILL');
    return out;
  };
  assert.deepEqual(await replies(false), await replies(true));
});
