// watchdog-period: when the event loop is held longer than the period (DEBUG
// SLEEP here), the log gets Redis's "--- WATCHDOG TIMER EXPIRED ---" block
// with the stack the main thread is stuck in, once per stall; period 0 or a
// shorter stall logs nothing. As in Redis, a disk-less load longer than the
// period logs it too (Redis's integration/replication relies on that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, useServer, waitFor } from './helpers.mjs';
import { connect, field, ours } from './replication-fixtures.mjs';

let server;
let client;
useServer(['--enable-debug-command', 'yes'], (s, c) => {
  server = s;
  client = c;
});

const expiries = () => (server.stdout().match(/--- WATCHDOG TIMER EXPIRED ---/g) ?? []).length;

test('CONFIG SET watchdog-period raises a period under two cron intervals to that, as Redis does', async () => {
  assert.equal(await client.config('SET', 'watchdog-period', '50'), 'OK');
  assert.deepEqual(await client.config('GET', 'watchdog-period'), ['watchdog-period', '200']);
  await client.config('SET', 'watchdog-period', '0');
  assert.deepEqual(await client.config('GET', 'watchdog-period'), ['watchdog-period', '0']);
});

test('a stall longer than the period logs the expiry once, with the stack of the stuck command', { timeout: 20_000 }, async () => {
  await client.config('SET', 'watchdog-period', '200');
  const before = expiries();
  await client.debug('SLEEP', '1');
  await waitFor('the stack trace', () => server.stdout().lastIndexOf(':signal-handler (') > server.stdout().lastIndexOf('WATCHDOG TIMER EXPIRED'));
  const log = server.stdout();
  const block = log.slice(log.lastIndexOf(`${server.proc.pid}:signal-handler (`, log.lastIndexOf('--- WATCHDOG')));
  assert.match(block, new RegExp(`^${server.proc.pid}:signal-handler \\(\\d+\\) \\n--- WATCHDOG TIMER EXPIRED ---\\n\\n------ STACK TRACE ------\\nEIP:\\n`));
  assert.match(block, /\nBacktrace:\n(.*\n)*at sleepSync .*\n(.*\n)*at Object\.debug .*\n/);
  assert.match(block, new RegExp(`\\n${server.proc.pid}:signal-handler \\(\\d+\\) --------\\n\\n$`));
  // As Redis's one-shot timer: one stall, one report, however many periods it lasted.
  assert.equal(expiries(), before + 1);
  await client.config('SET', 'watchdog-period', '0');
});

test('no report for a stall shorter than the period, nor with the watchdog off', { timeout: 20_000 }, async () => {
  const before = expiries();
  await client.config('SET', 'watchdog-period', '1000');
  await client.debug('SLEEP', '0.3');
  await client.config('SET', 'watchdog-period', '0');
  await client.debug('SLEEP', '0.5');
  await sleep(300);
  assert.equal(expiries(), before);
});

test("as Redis's cron, the watchdog is not armed while a replica loads its master's disk-less snapshot", { timeout: 30_000 }, async () => {
  const m = await ours(['--repl-diskless-sync', 'yes', '--enable-debug-command', 'yes']);
  const r = await ours(['--repl-diskless-load', 'on-empty-db', '--watchdog-period', '200']);
  const master = connect(m.port);
  const replica = connect(r.port);
  await master.debug('POPULATE', '100', 'master', '1000');
  // About a second and a half of transfer.
  await master.config('SET', 'rdb-key-save-delay', '15000');
  await replica.replicaof('127.0.0.1', m.port);
  await waitFor('the load to start', () => r.stdout().includes('MASTER <-> REPLICA sync: Loading DB in memory'));
  const loadStart = r.stdout().indexOf('Loading DB in memory');
  await waitFor('the expiry', () => r.stdout().indexOf('--- WATCHDOG TIMER EXPIRED ---', loadStart) > 0);
  // Nothing went wrong meanwhile: one full sync, still loading, and it completes.
  assert.equal(await field(replica, 'loading'), '1');
  assert.equal(await field(master, 'sync_full'), '1');
  assert.doesNotMatch(r.stdout(), /Reconnecting to MASTER/);
  await waitFor('the sync', async () => (await field(replica, 'master_link_status')) === 'up');
  assert.equal(await replica.dbsize(), 100);
});
