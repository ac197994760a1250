// Client management: CLIENT PAUSE / UNPAUSE, the idle `timeout` and who is
// exempt from it. Every expectation is what Redis 7.0.15 does (check with
// TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { useServer, sleep, extraClient, rawFor, exchange, blockedClients, waitFor } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});

/** Milliseconds `promise` takes to settle. */
async function timed(promise) {
  const started = Date.now();
  const value = await promise;
  return { value, ms: Date.now() - started };
}

test('CLIENT PAUSE WRITE holds writes until it ends; reads go on', async (t) => {
  const writer = extraClient(t, server.port);
  await writer.ping();
  assert.equal(await r.client('PAUSE', 300, 'WRITE'), 'OK');
  const write = timed(writer.set('k', 'v'));
  assert.equal(await r.get('k'), null, 'reads run during the pause');
  assert.equal(await r.dbsize(), 0);
  const { value, ms } = await write;
  assert.equal(value, 'OK');
  assert.ok(ms >= 200, `the write waited for the pause (${ms} ms)`);
  assert.equal(await r.get('k'), 'v');
});

test('INFO counts clients held by a pause in blocked_clients, as Redis does', async (t) => {
  const writer = extraClient(t, server.port);
  await writer.ping();
  await r.client('PAUSE', 5000, 'WRITE');
  const write = writer.set('held', 'v');
  await blockedClients(r, 1);
  await r.client('UNPAUSE');
  assert.equal(await write, 'OK');
  await blockedClients(r, 0);
});

test('a pause of writes lets scripts that declare no-writes run, in MULTI too', async (t) => {
  const other = extraClient(t, server.port);
  await other.ping();
  await r.client('PAUSE', 5000, 'WRITE');
  try {
    assert.equal(await other.eval("#!lua flags=no-writes\nreturn 'read'", 0), 'read');
    const sha = await other.script('LOAD', '#!lua flags=no-writes\nreturn 2');
    assert.equal(await other.evalsha(sha, 0), 2);
    assert.deepEqual(await other.multi().eval('#!lua flags=no-writes\nreturn 12', 0).exec(), [[null, 12]]);
    const write = other.eval('#!lua\nreturn 1', 0);
    await blockedClients(r, 1);
    await r.client('UNPAUSE');
    assert.equal(await write, 1);
  } finally {
    await r.client('UNPAUSE');
  }
});

test('commands pipelined behind a held one keep their order', async (t) => {
  const conn = await rawFor(t, server.port);
  await r.client('PAUSE', 200, 'WRITE');
  // The GET would run at once on its own; behind the held SET it waits its turn.
  await exchange(conn, [['SET', 'k', '1'], ['GET', 'k'], ['INCR', 'k'], ['GET', 'k']], '+OK\r\n$1\r\n1\r\n:2\r\n$1\r\n2\r\n');
});

test('CLIENT UNPAUSE releases the held clients at once', async (t) => {
  const writer = extraClient(t, server.port);
  await writer.ping();
  await r.client('PAUSE', 100000, 'WRITE');
  const write = timed(writer.incr('n'));
  await sleep(50);
  assert.match(await r.client('LIST'), /flags=b .*cmd=incr/, 'the held client shows as blocked on its command');
  assert.equal(await r.client('UNPAUSE'), 'OK');
  const { value, ms } = await write;
  assert.equal(value, 1);
  assert.ok(ms < 2000);
});

test('CLIENT PAUSE ALL holds every command, reads too', async (t) => {
  const reader = extraClient(t, server.port);
  await reader.ping();
  await r.client('PAUSE', 300, 'ALL');
  const { value, ms } = await timed(reader.ping());
  assert.equal(value, 'PONG');
  assert.ok(ms >= 200, `PING waited (${ms} ms)`);
});

test('under PAUSE WRITE an EXEC waits if the transaction writes', async (t) => {
  const other = extraClient(t, server.port);
  await other.ping();
  await r.client('PAUSE', 300, 'WRITE');
  const reads = await timed(other.multi().get('a').dbsize().exec());
  assert.deepEqual(reads.value, [[null, null], [null, 0]]);
  assert.ok(reads.ms < 200, 'a read-only transaction runs at once');
  await r.client('UNPAUSE');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI']], '+OK\r\n');
  await r.client('PAUSE', 300, 'WRITE');
  const started = Date.now();
  await exchange(conn, [['SET', 'a', '1'], ['EXEC']], '+QUEUED\r\n*1\r\n+OK\r\n');
  assert.ok(Date.now() - started >= 200, 'a writing transaction waited');
});

test('keys do not expire during a pause; an expired key reads as missing', async () => {
  await r.set('soon', 'v', 'PX', 50);
  await r.client('PAUSE', 100000, 'WRITE');
  try {
    await sleep(300);
    assert.equal(await r.get('soon'), null);
    assert.equal(await r.dbsize(), 1, 'neither the read nor the background cycle deleted it');
  } finally {
    await r.client('UNPAUSE');
  }
  assert.equal(await r.get('soon'), null);
  assert.equal(await r.dbsize(), 0);
});

test('CLIENT PAUSE argument errors', async () => {
  await assert.rejects(r.client('PAUSE', 10, 'READ'), /^ReplyError: ERR CLIENT PAUSE mode must be WRITE or ALL$/);
  await assert.rejects(r.client('PAUSE', -1), /^ReplyError: ERR timeout is negative$/);
  await assert.rejects(r.client('PAUSE', 'soon'), /^ReplyError: ERR timeout is not an integer or out of range$/);
  await assert.rejects(r.client('PAUSE'), /wrong number of arguments for 'client\|pause' command/);
  await assert.rejects(r.client('UNPAUSE', 'now'), /wrong number of arguments for 'client\|unpause' command/);
});

test('timeout closes idle clients, but not subscribers, blocked clients or monitors', async (t) => {
  const idle = extraClient(t, server.port, { retryStrategy: () => null });
  const subscriber = extraClient(t, server.port, { enableReadyCheck: false, retryStrategy: () => null });
  const blocked = extraClient(t, server.port, { retryStrategy: () => null });
  const monitor = await rawFor(t, server.port);
  await exchange(monitor, [['MONITOR']], '+OK\r\n');
  await idle.ping();
  await subscriber.subscribe('news');
  const pop = blocked.blpop('nothing', 0);
  const closed = new Promise((resolve) => idle.once('end', resolve));
  await r.config('SET', 'timeout', 1);
  try {
    await closed;
    assert.equal(await r.rpush('nothing', 'x'), 1);
    assert.deepEqual(await pop, ['nothing', 'x'], 'the blocked client was still there');
    assert.equal(await r.publish('news', 'hi'), 1, 'the subscriber is still there');
    await r.echo('still-there');
    assert.match(await monitor.readUntil('still-there'), /"echo" "still-there$/, 'the monitor still receives');
  } finally {
    await r.config('SET', 'timeout', 0);
  }
});

/** The server's resident memory, as INFO reports it. */
async function rss() {
  return Number(/used_memory_rss:(\d+)/.exec(await r.info('memory'))[1]);
}

test('a subscriber that stops reading is closed at the pubsub hard limit; memory stays bounded', async (t) => {
  const subscriber = await rawFor(t, server.port);
  await exchange(subscriber, [['SUBSCRIBE', 'flood']], '*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n');
  subscriber.socket.pause();
  const before = await rss();
  // 200 MB in 64 KB messages: small enough that the server's garbage is collected young, not counted as growth.
  const message = 'm'.repeat(64 * 1024);
  let delivered = 0;
  for (let batch = 0; batch < 32; batch++) {
    const pipeline = r.pipeline();
    for (let i = 0; i < 100; i++) pipeline.publish('flood', message);
    for (const [, receivers] of await pipeline.exec()) delivered += receivers;
  }
  const after = await rss();
  assert.ok(delivered > 0 && delivered < 3200, `deliveries stopped once the subscriber was dropped (${delivered})`);
  assert.equal(await r.pubsub('NUMSUB', 'flood').then((reply) => reply[1]), 0);
  assert.ok(after - before < 100 * 1024 * 1024, `RSS grew by ${((after - before) / 1048576).toFixed(1)} MB for 200 MB published`);
});

test('the soft limit closes a subscriber that stays over it for its seconds', async (t) => {
  await r.config('SET', 'client-output-buffer-limit', 'pubsub 0 256kb 1');
  t.after(() => r.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'));
  const subscriber = await rawFor(t, server.port);
  await exchange(subscriber, [['SUBSCRIBE', 'slow']], '*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n');
  subscriber.socket.pause();
  const message = 'm'.repeat(64 * 1024);
  const started = Date.now();
  let receivers = 1;
  while (receivers === 1 && Date.now() - started < 5000) {
    receivers = await r.publish('slow', message);
    await sleep(50);
  }
  assert.equal(receivers, 0, 'the subscriber was closed');
  assert.ok(Date.now() - started >= 1000, 'not before the soft limit had lasted a second');
});

test('a client that pipelines without reading keeps being served and gets every reply once it reads, as in Redis', async (t) => {
  const value = 'v'.repeat(1024 * 1024);
  await r.set('big', value);
  const socket = net.connect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.pause();
  const count = 40;
  socket.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(count));
  // Redis reads on and buffers what the client owes (normal clients have no output limit by default).
  await waitFor('the replies buffered', async () => {
    const line = (await r.client('LIST')).split('\n').find((l) => / cmd=get /.test(l));
    return Number(/ omem=(\d+)/.exec(line ?? '')?.[1] ?? 0) > 16 * 1024 * 1024;
  });
  assert.equal(await r.ping(), 'PONG', 'other clients are served meanwhile');
  // Compare as the bytes arrive: 200 MB is too much to collect first.
  const reply = Buffer.from(`$${value.length}\r\n${value}\r\n`, 'latin1');
  const expectedTotal = reply.length * count;
  let received = 0;
  let mismatch = -1;
  socket.on('data', (chunk) => {
    for (let i = 0; i < chunk.length && mismatch < 0; i++) {
      if (chunk[i] !== reply[(received + i) % reply.length]) mismatch = received + i;
    }
    received += chunk.length;
  });
  socket.resume();
  const deadline = Date.now() + 20_000;
  while (received < expectedTotal && mismatch < 0 && Date.now() < deadline) await sleep(20);
  assert.equal(mismatch, -1, 'every byte is the expected reply');
  assert.equal(received, expectedTotal);
});

test("CLIENT INFO's qbuf is the query buffer holding the running command, as Redis counts it", async (t) => {
  const conn = await rawFor(t, server.port);
  const qbufOf = async (request) => {
    conn.write(request);
    const reply = await conn.readUntil('\n\r\n');
    return Number(/ qbuf=(\d+) /.exec(reply)[1]);
  };
  assert.equal(await qbufOf('*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n'), 26);
  // Inline, with a command behind it in the same read: the whole read is counted.
  assert.equal(await qbufOf('CLIENT INFO\r\nPING\r\n'), 19);
  assert.equal(await conn.read(7), '+PONG\r\n');
});

test('MONITOR shows passwords of AUTH and HELLO AUTH as (redacted)', async (t) => {
  const monitor = await rawFor(t, server.port);
  await exchange(monitor, [['MONITOR']], '+OK\r\n');
  await assert.rejects(r.call('AUTH', 'not-real'));
  await assert.rejects(r.call('AUTH', 'not-real', 'not-a-password'));
  await assert.rejects(r.call('HELLO', '2', 'AUTH', 'not-real', 'not-a-password'));
  await r.echo('done');
  const lines = (await monitor.readUntil('"done"')).split('\r\n').map((l) => l.replace(/^\+[\d.]+ \[\d+ [^\]]+\] /, ''));
  assert.deepEqual(lines, ['"AUTH" "(redacted)"', '"AUTH" "(redacted)" "(redacted)"', '"HELLO" "2" "AUTH" "(redacted)" "(redacted)"', '"echo" "done"']);
});

test('CONFIG SET port moves the listener; a port in use is refused and the whole CONFIG SET rolled back', async (t) => {
  const admin = await rawFor(t, server.port);
  const busy = net.createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  t.after(() => busy.close());
  const busyPort = busy.address().port;
  const maxmemory = await r.config('GET', 'maxmemory');
  await exchange(admin, [['CONFIG', 'SET', 'maxmemory', '10mb', 'port', String(busyPort)]],
    "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n");
  assert.deepEqual(await r.config('GET', 'maxmemory'), maxmemory, 'maxmemory went back too');
  assert.deepEqual(await r.config('GET', 'port'), ['port', String(server.port)]);
  const freePort = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const oldPort = server.port;
  await exchange(admin, [['CONFIG', 'SET', 'port', String(freePort)]], '+OK\r\n');
  t.after(async () => {
    const back = net.connect(freePort, '127.0.0.1');
    await once(back, 'connect');
    back.write(`*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$4\r\nport\r\n$${String(oldPort).length}\r\n${oldPort}\r\n`);
    await once(back, 'data');
    back.destroy();
  });
  const moved = net.connect(freePort, '127.0.0.1');
  await once(moved, 'connect');
  moved.write('PING\r\n');
  assert.equal(String((await once(moved, 'data'))[0]), '+PONG\r\n');
  moved.destroy();
  await exchange(admin, [['PING']], '+PONG\r\n', 'connections made before the move stay');
});

/** Whether a TCP connection to host:port is accepted. */
async function accepts(host, port) {
  const socket = net.connect(port, host);
  try {
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([error]) => Promise.reject(error))]);
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

test('CONFIG SET bind moves the listeners; an address that cannot be bound is refused, the whole CONFIG SET rolled back and the old addresses listen again', async (t) => {
  const admin = await rawFor(t, server.port);
  const bind = await r.config('GET', 'bind');
  const maxmemory = await r.config('GET', 'maxmemory');
  const ipv6 = await accepts('::1', server.port);
  await exchange(admin, [['CONFIG', 'SET', 'maxmemory', '10mb', 'bind', '999.999.999.999']],
    "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n", 5000);
  assert.deepEqual(await r.config('GET', 'maxmemory'), maxmemory, 'maxmemory went back too');
  assert.deepEqual(await r.config('GET', 'bind'), bind);
  assert.ok(await accepts('127.0.0.1', server.port), 'listening at the old address again');
  if (ipv6) assert.ok(await accepts('::1', server.port), 'at both old addresses');
  await exchange(admin, [['CONFIG', 'SET', 'bind', '127.0.0.1']], '+OK\r\n');
  t.after(() => r.config('SET', 'bind', bind[1]));
  assert.ok(await accepts('127.0.0.1', server.port));
  if (ipv6) assert.equal(await accepts('::1', server.port), false, 'no longer at ::1');
  await exchange(admin, [['PING']], '+PONG\r\n', 'connections made before the move stay');
});
