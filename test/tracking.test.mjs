// Client-side caching: CLIENT TRACKING in default, BCAST, OPTIN/OPTOUT and
// NOLOOP modes, redirection to RESP2 subscribers, RESP3 invalidation pushes,
// flushes, the tracking table limit and the introspection commands. Every
// expectation is what Redis 7.0.15 sends (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, rawFor, exchange, drain, extraClient, sleep } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});

/** A raw RESP3 connection with tracking turned on with `options`. */
async function resp3Tracking(t, ...options) {
  const conn = await rawFor(t, server.port);
  conn.write('*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n');
  await drain(conn);
  await exchange(conn, [['CLIENT', 'TRACKING', 'ON', ...options]], '+OK\r\n');
  return conn;
}

const invalidate = (...keys) => `>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join('')}`;

test('a RESP3 client is told when a key it read changes', async (t) => {
  await r.set('k', 'v1');
  const conn = await resp3Tracking(t);
  await exchange(conn, [['GET', 'k']], '$2\r\nv1\r\n');
  await r.set('k', 'v2');
  assert.equal(await conn.read(invalidate('k').length), invalidate('k'));
  await r.set('k', 'v3');
  await exchange(conn, [['PING']], '+PONG\r\n', 'the key is forgotten after one invalidation');
});

test('keys a script reads are tracked for the client that ran it', async (t) => {
  await r.set('k', 'v1');
  const conn = await resp3Tracking(t);
  await exchange(conn, [['EVAL', "return redis.call('GET', KEYS[1])", '1', 'k']], '$2\r\nv1\r\n');
  await r.set('k', 'v2');
  assert.equal(await conn.read(invalidate('k').length), invalidate('k'));
});

test("as Redis, a script's read tracks the keys its EVAL declared, not the key read; a read-only script's own keys are not tracked", async (t) => {
  const conn = await resp3Tracking(t);
  await exchange(conn, [['EVAL', "redis.call('SET', 'other', 'x')", '2', 'a', 'b']], '_\r\n');
  await r.mset('a', '1', 'b', '1');
  await exchange(conn, [['EVAL_RO', "redis.call('PING')", '2', 'a', 'b']], '_\r\n');
  await r.mset('a', '2', 'b', '2');
  await exchange(conn, [['PING']], '+PONG\r\n', 'no read, nothing tracked');
  await exchange(conn, [['EVAL', "redis.call('GET', 'other')", '2', 'a', 'b']], '_\r\n');
  await r.set('other', 'y');
  await r.mset('b', '3', 'a', '3');
  assert.equal(await conn.read((invalidate('b') + invalidate('a')).length), invalidate('b') + invalidate('a'));
  await exchange(conn, [['PING']], '+PONG\r\n', 'the key the script read is not tracked');
});

test("a client's own change is invalidated after its reply", async (t) => {
  await r.hset('h', 'f', '1');
  const conn = await resp3Tracking(t);
  await exchange(conn, [['HGET', 'h', 'f']], '$1\r\n1\r\n');
  await exchange(conn, [['HDEL', 'h', 'f']], ':1\r\n' + invalidate('h'));
  await exchange(conn, [['SET', 'a', '1'], ['GET', 'a'], ['MULTI'], ['INCR', 'a'], ['GET', 'a'], ['EXEC']],
    '+OK\r\n$1\r\n1\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n$1\r\n2\r\n' + invalidate('a'));
});

test('NOLOOP leaves out changes made by the client itself', async (t) => {
  const conn = await resp3Tracking(t, 'NOLOOP');
  await exchange(conn, [['GET', 'k'], ['SET', 'k', '1'], ['GET', 'k']], '_\r\n+OK\r\n$1\r\n1\r\n');
  await r.set('k', '2');
  assert.equal(await conn.read(invalidate('k').length), invalidate('k'));
});

test('invalidations can be redirected to a RESP2 subscriber of __redis__:invalidate', async (t) => {
  const redirect = extraClient(t, server.port, { enableReadyCheck: false });
  const id = await redirect.client('ID');
  await redirect.subscribe('__redis__:invalidate');
  const messages = [];
  redirect.on('messageBuffer', (channel, message) => messages.push([String(channel), message]));
  const tracker = extraClient(t, server.port);
  assert.equal(await tracker.client('TRACKING', 'ON', 'REDIRECT', id), 'OK');
  assert.equal(await tracker.client('GETREDIR'), id);
  await r.mset('a', '1', 'b', '2');
  await tracker.mget('a', 'b');
  await r.del('a', 'b');
  await r.flushall();
  while (messages.length < 3) await sleep(5);
  assert.deepEqual(messages.map(([channel, message]) => [channel, Array.isArray(message) ? message.map(String) : message]), [
    ['__redis__:invalidate', ['a']],
    ['__redis__:invalidate', ['b']],
    ['__redis__:invalidate', null],
  ]);
});

test('BCAST sends every change under the prefixes, once per event-loop turn', async (t) => {
  const conn = await resp3Tracking(t, 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'job:');
  await r.mset('user:2', 'x', 'other', 'y', 'user:1', 'z');
  assert.equal(await conn.read(invalidate('user:1', 'user:2').length), invalidate('user:1', 'user:2'));
  await r.set('job:7', 'x');
  assert.equal(await conn.read(invalidate('job:7').length), invalidate('job:7'));
  await exchange(conn, [['CLIENT', 'TRACKINGINFO']],
    '%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$4\r\njob:\r\n$5\r\nuser:\r\n');
});

test('OPTIN tracks only after CLIENT CACHING YES, OPTOUT all but after CLIENT CACHING NO', async (t) => {
  await r.mset('in1', '1', 'in2', '2', 'out1', '1', 'out2', '2');
  const optin = await resp3Tracking(t, 'OPTIN');
  await exchange(optin, [['GET', 'in1'], ['CLIENT', 'CACHING', 'YES'], ['GET', 'in2']], '$1\r\n1\r\n+OK\r\n$1\r\n2\r\n');
  const optout = await resp3Tracking(t, 'OPTOUT');
  await exchange(optout, [['GET', 'out1'], ['CLIENT', 'CACHING', 'NO'], ['GET', 'out2']], '$1\r\n1\r\n+OK\r\n$1\r\n2\r\n');
  await r.mset('in1', 'x', 'in2', 'x', 'out1', 'x', 'out2', 'x');
  assert.equal(await optin.read(invalidate('in2').length), invalidate('in2'));
  assert.equal(await optout.read(invalidate('out1').length), invalidate('out1'));
  await exchange(optin, [['PING']], '+PONG\r\n', 'nothing else for OPTIN');
  await exchange(optout, [['PING']], '+PONG\r\n', 'nothing else for OPTOUT');
});

test('a RESP3 client whose redirect target went away is told so', async (t) => {
  const target = extraClient(t, server.port);
  const id = await target.client('ID');
  const conn = await resp3Tracking(t, 'REDIRECT', String(id));
  await exchange(conn, [['GET', 'k']], '_\r\n');
  await target.quit();
  await sleep(50);
  await r.set('k', 'v');
  const broken = `>2\r\n$21\r\ntracking-redir-broken\r\n:${id}\r\n`;
  assert.equal(await conn.read(broken.length), broken);
  await exchange(conn, [['CLIENT', 'TRACKINGINFO']],
    `%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n:${id}\r\n$8\r\nprefixes\r\n*0\r\n`);
});

test('a redirect target that quit is gone as soon as its +OK is out, as in Redis (Redis\'s tracking unit changes the key at once)', async (t) => {
  const target = await rawFor(t, server.port);
  target.write('CLIENT ID\r\n');
  const id = Number((await target.readUntil('\r\n')).slice(1, -2));
  const conn = await resp3Tracking(t, 'REDIRECT', String(id));
  await exchange(conn, [['GET', 'k']], '_\r\n');
  await exchange(target, [['QUIT']], '+OK\r\n');
  await r.set('k', 'v');
  const broken = `>2\r\n$21\r\ntracking-redir-broken\r\n:${id}\r\n`;
  assert.equal(await conn.read(broken.length), broken);
});

test('the tracking table is kept under tracking-table-max-keys by invalidating keys', async (t) => {
  const conn = await resp3Tracking(t);
  await exchange(conn, [['GET', 'k1'], ['GET', 'k2'], ['GET', 'k3']], '_\r\n_\r\n_\r\n');
  assert.match(await r.info('stats'), /tracking_total_keys:3\r\ntracking_total_items:3\r\ntracking_total_prefixes:0\r\n/);
  await r.config('SET', 'tracking-table-max-keys', 1);
  t.after(() => r.config('SET', 'tracking-table-max-keys', 1000000));
  assert.equal(await conn.read(invalidate('k1').length * 2), invalidate('k1') + invalidate('k2'));
  assert.match(await r.info('stats'), /tracking_total_keys:1\r\n/);
  assert.match(await r.info('clients'), /tracking_clients:1\r\n/);
});

test('CLIENT TRACKING argument and mode errors', async (t) => {
  const c = extraClient(t, server.port);
  await assert.rejects(c.client('TRACKING', 'ON', 'PREFIX', 'a'), /^ReplyError: ERR PREFIX option requires BCAST mode to be enabled$/);
  await assert.rejects(c.client('TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'),
    /^ReplyError: ERR Prefix 'ab' overlaps with another provided prefix 'a'\. Prefixes for a single client must not overlap\.$/);
  await assert.rejects(c.client('TRACKING', 'ON', 'BCAST', 'OPTIN'), /^ReplyError: ERR OPTIN and OPTOUT are not compatible with BCAST$/);
  await assert.rejects(c.client('TRACKING', 'ON', 'OPTIN', 'OPTOUT'), /^ReplyError: ERR You can't specify both OPTIN mode and OPTOUT mode$/);
  await assert.rejects(c.client('TRACKING', 'ON', 'REDIRECT', 999999), /^ReplyError: ERR The client ID you want redirect to does not exist$/);
  await assert.rejects(c.client('TRACKING', 'MAYBE'), /^ReplyError: ERR syntax error$/);
  await assert.rejects(c.client('CACHING', 'YES'), /^ReplyError: ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled$/);
  assert.equal(await c.client('TRACKING', 'ON', 'BCAST', 'PREFIX', 'x:'), 'OK');
  await assert.rejects(c.client('TRACKING', 'ON'), /^ReplyError: ERR You can't switch BCAST mode on\/off before disabling tracking/);
  await assert.rejects(c.client('TRACKING', 'ON', 'BCAST', 'PREFIX', 'x:y'), /^ReplyError: ERR Prefix 'x:y' overlaps with an existing prefix 'x:'/);
  assert.equal(await c.client('TRACKING', 'OFF'), 'OK');
  assert.equal(await c.client('GETREDIR'), -1);
  assert.equal(await c.client('TRACKING', 'ON', 'OPTIN'), 'OK');
  await assert.rejects(c.client('CACHING', 'NO'), /^ReplyError: ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode\.$/);
  await assert.rejects(c.client('TRACKING', 'ON', 'OPTOUT'), /^ReplyError: ERR You can't switch OPTIN\/OPTOUT mode before disabling tracking/);
  assert.match(await c.client('INFO'), / flags=t .* redir=0 /);
});
