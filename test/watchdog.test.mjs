// watchdog-period: when the event loop is held longer than the period (DEBUG
// SLEEP here), the log gets Redis's "--- WATCHDOG TIMER EXPIRED ---" block
// with the stack the main thread is stuck in, once per stall; period 0 or a
// shorter stall logs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, useServer, waitFor } from './helpers.mjs';

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
