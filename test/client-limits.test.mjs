// Clients under pressure: client-output-buffer-limit enforced as replies are
// queued, and maxmemory-clients evicting the clients that use most memory.
// Every expectation is what Redis 7.0.15 does (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, rawFor, exchange, resp, waitFor, extraClient, clientNamed as clientOf } from './helpers.mjs';

let server;
let r;

useServer(['--enable-debug-command', 'yes'], (s, client) => {
  server = s;
  r = client;
});

const clientNamed = (name) => clientOf(r, name);

/** A raw connection named `name` that has sent `bytes` bytes of an argument it never finishes. */
async function holdingQueryBuffer(t, name, bytes) {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', name]], '+OK\r\n');
  conn.write(`*2\r\n$${bytes + 10}\r\n${'v'.repeat(bytes)}`);
  await waitFor(`${name}'s query buffer`, async () => Number((await clientNamed(name))?.qbuf ?? 0) >= bytes);
  return conn;
}

test('a subscriber that does not read is closed at the pubsub hard limit while another subscriber gets every message', { timeout: 20_000 }, async (t) => {
  await r.config('SET', 'client-output-buffer-limit', 'pubsub 256kb 0 0');
  t.after(() => r.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'));
  const slow = await rawFor(t, server.port);
  await exchange(slow, [['CLIENT', 'SETNAME', 'slow'], ['SUBSCRIBE', 'news']], '+OK\r\n*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
  slow.socket.pause();
  const reader = extraClient(t, server.port);
  let received = 0;
  reader.on('message', () => received++);
  await reader.subscribe('news');
  const message = 'm'.repeat(16 * 1024);
  let published = 0;
  let receivers = 2;
  while (receivers === 2 && published < 2000) {
    receivers = await r.publish('news', message);
    published++;
  }
  assert.equal(receivers, 1, 'the slow subscriber was dropped');
  assert.equal(await clientNamed('slow'), undefined);
  // The kernel's buffers took the first messages; beyond them 256 KB queued: never much more than that.
  assert.ok(published > 16, `published ${published} messages before the limit`);
  await waitFor('every message at the reading subscriber', () => received === published);
  assert.equal(await r.publish('news', 'after'), 1, 'the reading subscriber is still there');
  assert.match(server.output(), /Client id=\d+ addr=\S+ .*name=slow .* scheduled to be closed ASAP for overcoming of output buffer limits\./);
});

test('a reply past the normal hard limit is never sent: the client is closed, others are served', async (t) => {
  await r.config('SET', 'client-output-buffer-limit', 'normal 100000 0 0');
  t.after(() => r.config('SET', 'client-output-buffer-limit', 'normal 0 0 0'));
  await r.set('big', 'x'.repeat(60_000));
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['GET', 'big']], `$60000\r\n${'x'.repeat(60_000)}\r\n`);
  // The socket would take it at once, but the reply alone is past the limit.
  conn.write(resp('MGET', 'big', 'big'));
  await conn.waitClosed();
  assert.equal(await conn.read(1), '', 'nothing of the reply arrived');
  assert.equal(await r.ping(), 'PONG');
});

test('the soft limit closes a client that stays over it, even when nothing more is sent to it', { timeout: 10_000 }, async (t) => {
  await r.config('SET', 'client-output-buffer-limit', 'pubsub 0 100kb 1');
  t.after(() => r.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'));
  const slow = await rawFor(t, server.port);
  await exchange(slow, [['CLIENT', 'SETNAME', 'soft'], ['SUBSCRIBE', 'news']], '+OK\r\n*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
  slow.socket.pause();
  const message = 'm'.repeat(64 * 1024);
  await waitFor('the subscriber over its soft limit', async () => {
    await Promise.all(Array.from({ length: 8 }, () => r.publish('news', message)));
    return Number((await clientNamed('soft'))?.omem ?? 0) > 100 * 1024;
  });
  const over = Date.now();
  assert.ok(await clientNamed('soft'), 'not closed as soon as it passes the soft limit');
  await waitFor('the subscriber closed', async () => (await clientNamed('soft')) === undefined, 4000);
  assert.ok(Date.now() - over >= 900, 'closed once over it for its second');
});

test('maxmemory-clients evicts the client using most memory, and only as many as needed', async (t) => {
  await r.client('SETNAME', 'control');
  await r.client('NO-EVICT', 'on');
  // On first: Redis measures a client for eviction only once it is active with the limit on.
  await r.config('SET', 'maxmemory-clients', '1gb');
  t.after(async () => {
    await r.config('SET', 'maxmemory-clients', '0');
    await r.client('NO-EVICT', 'off');
  });
  await holdingQueryBuffer(t, 'small', 100_000);
  await holdingQueryBuffer(t, 'medium', 400_000);
  await holdingQueryBuffer(t, 'large', 1_600_000);
  const totals = Object.fromEntries(await Promise.all(['control', 'small', 'medium', 'large'].map(async (n) => [n, Number((await clientNamed(n))['tot-mem'])])));
  assert.ok(totals.large >= 1_600_000 && totals.large < 2_000_000, `tot-mem counts the query buffer (${totals.large})`);
  const normal = Number(/mem_clients_normal:(\d+)/.exec(await r.info('memory'))[1]);
  assert.ok(normal >= totals.small + totals.medium + totals.large, `mem_clients_normal counts every client (${normal})`);
  const evictedBefore = Number(/evicted_clients:(\d+)/.exec(await r.info('stats'))[1]);
  // Room for all but the largest.
  await r.config('SET', 'maxmemory-clients', String(totals.control + totals.small + totals.medium + 1000));
  assert.equal(await clientNamed('large'), undefined, 'the largest client was evicted');
  assert.ok(await clientNamed('medium'), 'the others stay');
  assert.ok(await clientNamed('small'));
  assert.equal(Number(/evicted_clients:(\d+)/.exec(await r.info('stats'))[1]), evictedBefore + 1);
  // A percentage of maxmemory: 1% of 20 MB leaves room for the small client only.
  await r.config('SET', 'maxmemory', String(20 * 1024 * 1024));
  t.after(() => r.config('SET', 'maxmemory', '0'));
  await r.config('SET', 'maxmemory-clients', '1%');
  assert.equal(await clientNamed('medium'), undefined);
  assert.ok(await clientNamed('small'));
  assert.ok(await clientNamed('control'), 'CLIENT NO-EVICT on exempts a client');
});

test('a client is evicted while its query buffer grows past maxmemory-clients', async (t) => {
  await r.client('NO-EVICT', 'on');
  await r.config('SET', 'maxmemory-clients', '1mb');
  t.after(async () => {
    await r.config('SET', 'maxmemory-clients', '0');
    await r.client('NO-EVICT', 'off');
  });
  const evictedBefore = Number(/evicted_clients:(\d+)/.exec(await r.info('stats'))[1]);
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', 'growing']], '+OK\r\n');
  conn.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1500000\r\n${'v'.repeat(1_200_000)}`);
  await conn.waitClosed();
  assert.equal(await clientNamed('growing'), undefined);
  assert.equal(Number(/evicted_clients:(\d+)/.exec(await r.info('stats'))[1]), evictedBefore + 1);
  assert.equal(await r.exists('k'), 0, 'its command never ran');
});

test('CLIENT NO-EVICT on exempts a client over maxmemory-clients until it turns it off', async (t) => {
  await r.client('NO-EVICT', 'on');
  await r.config('SET', 'maxmemory-clients', '1gb');
  t.after(async () => {
    await r.config('SET', 'maxmemory-clients', '0');
    await r.client('NO-EVICT', 'off');
  });
  await r.set('big', 'x'.repeat(1024 * 1024));
  const exempt = await rawFor(t, server.port);
  await exchange(exempt, [['CLIENT', 'SETNAME', 'exempt'], ['CLIENT', 'NO-EVICT', 'on']], '+OK\r\n+OK\r\n');
  exempt.socket.pause();
  exempt.write(resp('GET', 'big').repeat(32));
  await waitFor('replies owed to the exempt client', async () => Number((await clientNamed('exempt'))?.omem ?? 0) > 4 * 1024 * 1024);
  await holdingQueryBuffer(t, 'plain', 400_000);
  await r.config('SET', 'maxmemory-clients', '2mb');
  assert.ok(await clientNamed('exempt'), 'the exempt client stays over the limit');
  assert.equal(await clientNamed('plain'), undefined, 'the others go');
  exempt.write(resp('CLIENT', 'NO-EVICT', 'off'));
  await waitFor('the client evicted once it turned NO-EVICT off', async () => (await clientNamed('exempt')) === undefined);
});

test('the reply buffer (CLIENT LIST rbs, rbp, in tot-mem) shrinks for an idle client and grows back for a busy one, as Redis resizes it', async (t) => {
  const stat = async (name) => Number(new RegExp(`${name}:(\\d+)`).exec(await r.info('stats'))[1]);
  const shrinks = await stat('reply_buffer_shrinks');
  const expands = await stat('reply_buffer_expands');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', 'buffered']], '+OK\r\n');
  const fresh = await clientNamed('buffered');
  assert.equal(fresh.rbs, '16384', 'every client starts with 16 KB');
  assert.equal(await r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', '100'), 'OK');
  t.after(() => r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'RESET'));
  const idle = await waitFor('the idle client\'s buffer to shrink', async () => {
    const c = await clientNamed('buffered');
    return Number(c.rbs) >= 1024 && Number(c.rbs) < 2046 && c;
  });
  assert.equal(Number(fresh['tot-mem']) - Number(idle['tot-mem']), 16384 - Number(idle.rbs), 'tot-mem counts the buffer');
  assert.ok((await stat('reply_buffer_shrinks')) > shrinks);
  await r.set('bigval', 'x'.repeat(32768));
  assert.equal(await r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'NEVER'), 'OK');
  await waitFor('the busy client\'s buffer to grow back', async () => {
    conn.write('GET bigval\r\n');
    await conn.readUntil('x\r\n');
    const rbs = Number((await clientNamed('buffered')).rbs);
    return rbs >= 16384 && rbs < 32768;
  });
  assert.ok((await stat('reply_buffer_expands')) > expands);
  // The cron may have grown the buffer after the loop's last write, whose peak the smaller size capped.
  conn.write('GET bigval\r\n');
  await conn.readUntil('x\r\n');
  assert.equal(Number((await clientNamed('buffered')).rbp), 16384, 'its peak is what one write put in it');
  await assert.rejects(r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'soon'), { message: 'ERR value is not an integer or out of range' });
  await assert.rejects(r.call('DEBUG', 'REPLYBUFFER', 'SIZE', '1'), { message: "ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP." });
});
