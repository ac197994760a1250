// Streams: XADD and trimming, ranges, XDEL, XSETID, XREAD, consumer groups
// (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO, with the
// replies compared byte for byte with a real redis-server 7.0.15 started here;
// then blocking XREAD/XREADGROUP and the generic key commands on streams.
// IDs are fixed wherever Redis would use the clock, so both servers agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { blockedClients, HAVE_REDIS, replyConnection, startRedis, startServer } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';

let mine;
let reference;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (HAVE_REDIS && ours) {
    reference = await startRedis();
    b = reference.conn;
  }
});

after(async () => {
  a?.close();
  reference?.stop();
  await mine?.stop();
});

/** Runs each command line on both servers; the replies must be the same bytes. */
async function same(lines) {
  await a.command('FLUSHALL');
  await b?.command('FLUSHALL');
  for (const args of lines) {
    const mineReply = await a.command(...args);
    if (b !== undefined) assert.equal(mineReply, await b.command(...args), args.map((x) => JSON.stringify(x)).join(' '));
  }
}

const split = (text) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));

test('XADD IDs, arguments and errors', async () => {
  await same(split(`
    XADD s 1-1 a 1
    XADD s 1-1 a 1
    XADD s 1-* b 2
    XADD s 0-0 a 1
    XADD s 2 a 1 b
    XADD s 3-1 a 1 b 2
    XADD s abc a 1
    XADD s NOMKSTREAM 4 a 1
    XADD missing NOMKSTREAM 4 a 1
    EXISTS missing
    XADD s MAXLEN
    XADD s MAXLEN 5
    XADD s MAXLEN -1 7 a 1
    XADD s MAXLEN = 1 LIMIT 10 6 a 1
    XADD s MINID 5 MAXLEN 2 7 a 1
    XADD s LIMIT 5 7 a 1
    XADD t 5-18446744073709551615 a 1
    XADD t 5-* a 1
    XADD t 18446744073709551615-18446744073709551615 a 1
    XADD t * a 1
    XADD t 18446744073709551615-* a 1
    XADD u 01 a b
    XADD u 0-* a b
    XRANGE u - +
    XLEN s
    XLEN missing
    TYPE s
    OBJECT ENCODING s
    SET str x
    XADD str 1 a 1
    XLEN str
    XRANGE str - +
  `));
});

test('trimming by length and by ID, exact and by whole nodes', async () => {
  const lines = [['CONFIG', 'SET', 'stream-node-max-entries', '10']];
  for (let i = 1; i <= 55; i++) lines.push(['XADD', 's', `${i}-0`, 'f', String(i)]);
  lines.push(
    ['XLEN', 's'],
    ['XTRIM', 's', 'MAXLEN', '~', '33'],
    ['XLEN', 's'],
    ['XTRIM', 's', 'MAXLEN', '~', '30', 'LIMIT', '5'],
    ['XTRIM', 's', 'MAXLEN', '~', '30', 'LIMIT', '10'],
    ['XTRIM', 's', 'MAXLEN', '=', '28'],
    ['XRANGE', 's', '-', '+', 'COUNT', '2'],
    ['XTRIM', 's', 'MINID', '~', '40'],
    ['XTRIM', 's', 'MINID', '40'],
    ['XRANGE', 's', '-', '(42'],
    ['XADD', 's', 'MAXLEN', '~', '5', '56-0', 'f', 'v'],
    ['XLEN', 's'],
    ['XTRIM', 's'],
    ['XTRIM', 's', 'FOO', '1'],
    ['XTRIM', 's', 'LIMIT', '2', 'MAXLEN', '1'],
    ['XTRIM', 's', 'MAXLEN', '1', 'MINID', '1'],
    ['XTRIM', 'missing', 'MAXLEN', '1'],
    ['XINFO', 'STREAM', 's'],
    ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
  );
  await same(lines);
});

test('XRANGE / XREVRANGE bounds, exclusive ends and COUNT', async () => {
  await same(split(`
    XADD s 1-0 a 1
    XADD s 1-5 b 2
    XADD s 2-0 c 3
    XADD s 3-7 d 4
    XRANGE s - +
    XRANGE s 1 1
    XRANGE s (1-0 +
    XRANGE s - (3-7
    XRANGE s (18446744073709551615-18446744073709551615 +
    XRANGE s - (0-0
    XRANGE s ( +
    XRANGE s (- +
    XRANGE s - + COUNT 2
    XRANGE s - + COUNT 0
    XRANGE s - + COUNT -3
    XRANGE s - + COUNT x
    XRANGE s - + LIMIT 1
    XREVRANGE s + -
    XREVRANGE s + - COUNT 1
    XREVRANGE s (3-7 (1-0
    XREVRANGE s 2 2
    XRANGE missing - +
  `));
});

test('XDEL, XSETID and the counters XINFO STREAM shows', async () => {
  await same(split(`
    XADD s 1-0 a 1
    XADD s 2-0 b 2
    XADD s 3-0 c 3
    XDEL s 1-0 9-9
    XDEL s bad
    XDEL missing bad
    XINFO STREAM s
    XDEL s 3-0
    XINFO STREAM s
    XSETID s 1-0
    XSETID s 100-0 ENTRIESADDED 0
    XSETID s 100-0 ENTRIESADDED -1
    XSETID s 100-0 ENTRIESADDED 50 MAXDELETEDID 200-0
    XSETID s 100-0 ENTRIESADDED 50 MAXDELETEDID 50-0
    XSETID s 100-0 FOO
    XSETID missing 1-1
    XINFO STREAM s
    XINFO STREAM s FULL
    XINFO STREAM s FULL COUNT 1
    XINFO STREAM s FOO
    XINFO STREAM missing
    XDEL s 2-0
    EXISTS s
    XINFO STREAM s
  `));
});

test('consumer groups: create, read, acknowledge, pending, lag', async () => {
  await same(split(`
    XGROUP CREATE s g $
    XGROUP CREATE s g $ MKSTREAM
    XGROUP CREATE s g $ MKSTREAM
    XGROUP CREATE s g2 0 ENTRIESREAD -5
    XGROUP CREATE s g2 0 FOO
    XGROUP CREATE s g3 0 ENTRIESREAD 3
    XADD s 1-0 a 1
    XADD s 2-0 b 2
    XADD s 3-0 c 3
    XINFO GROUPS s
    XREADGROUP GROUP g alice COUNT 1 STREAMS s >
    XREADGROUP GROUP g bob STREAMS s >
    XREADGROUP GROUP g bob STREAMS s >
    XREADGROUP GROUP g alice STREAMS s 0
    XREADGROUP GROUP g alice STREAMS s $
    XREADGROUP GROUP nog alice STREAMS s >
    XREADGROUP GROUP g alice STREAMS missing >
    XREADGROUP GROUP g alice STREAMS s
    XREADGROUP GROUP g alice COUNT 1 STREAMS s
    XREADGROUP alice STREAMS s >
    XINFO GROUPS s
    XPENDING s g
    XPENDING s g - + 0
    XPENDING s g - +
    XPENDING s g x + 10
    XPENDING s nog
    XACK s g 1-0 9-9
    XACK s g bad
    XACK s nog bad
    XACK missing g 1-0
    XPENDING s g
    XDEL s 2-0
    XREADGROUP GROUP g bob STREAMS s 0
    XINFO GROUPS s
    XCLAIM s g carol 0 2-0 3-0 FOO
    XCLAIM s g carol abc 2-0
    XCLAIM s nog carol 0 2-0
    XCLAIM s g carol 0 2-0 3-0 JUSTID
    XPENDING s g
    XAUTOCLAIM s g dave 0 0 COUNT 0
    XAUTOCLAIM s g dave 0 0 COUNT x
    XAUTOCLAIM s g dave 0 0 FOO
    XAUTOCLAIM s nog dave 0 0
    XAUTOCLAIM s g dave 0 0 JUSTID
    XAUTOCLAIM s g dave 0 (0-0 COUNT 1 JUSTID
    XPENDING s g
    XGROUP SETID s g 0 ENTRIESREAD 0
    XGROUP SETID s g $
    XGROUP SETID s nog 0
    XGROUP SETID missing g 0
    XGROUP CREATE missing g 0
    XINFO GROUPS s
    XGROUP CREATECONSUMER s g erin
    XGROUP CREATECONSUMER s g erin
    XGROUP CREATECONSUMER s nog erin
    XGROUP DELCONSUMER s g dave
    XGROUP DELCONSUMER s g zed
    XGROUP DESTROY s g2
    XGROUP DESTROY s g2
    XGROUP DESTROY s
    XGROUP FOO s g
    XGROUP HELP
    XINFO HELP
    XINFO FOO s
    XINFO GROUPS missing
    XINFO CONSUMERS s nog
    XADD s 4-0 d 4
    XREADGROUP GROUP g newc NOACK STREAMS s >
    XINFO GROUPS s
    XPENDING s g
  `));
});

test('XREAD arguments and replies, RESP2 and RESP3', async () => {
  const lines = split(`
    XADD s 1-0 a 1
    XADD s 2-0 b 2
    XADD t 5-0 c 3
    XREAD STREAMS s 0
    XREAD COUNT 1 STREAMS s t 0 0
    XREAD STREAMS s t 1-0 5-0
    XREAD STREAMS s $
    XREAD STREAMS s
    XREAD STREAMS s missing 0 0
    XREAD STREAMS s >
    XREAD GROUP g c STREAMS s 0
    XREAD NOACK STREAMS s 0
    XREAD COUNT x STREAMS s 0
    XREAD BLOCK -1 STREAMS s 0
    XREAD BLOCK x STREAMS s 0
    XREAD FOO STREAMS s 0
    XREAD COUNT 1
    MULTI
    XREAD BLOCK 0 STREAMS s $
    EXEC
  `);
  await same(lines);
  await a.command('HELLO', '3');
  await b?.command('HELLO', '3');
  for (const args of lines.slice(3, 6)) {
    const mineReply = await a.command(...args);
    if (b !== undefined) assert.equal(mineReply, await b.command(...args));
  }
  await a.command('HELLO', '2');
  await b?.command('HELLO', '2');
});

test('blocking XREAD is served by XADD, with $ and COUNT, and times out with a null array', async (t) => {
  const r = new Redis({ port: mine.port });
  const waiter = new Redis({ port: mine.port });
  t.after(() => {
    r.disconnect();
    waiter.disconnect();
  });
  await r.flushall();
  await r.xadd('s', '1-0', 'a', '1');
  const pending = waiter.xread('BLOCK', '0', 'STREAMS', 's', '$');
  await blockedClients(r, 1);
  await r.xadd('s', '2-0', 'b', '2');
  assert.deepEqual(await pending, [['s', [['2-0', ['b', '2']]]]]);

  const timedOut = await waiter.xread('BLOCK', '50', 'STREAMS', 's', '$');
  assert.equal(timedOut, null);

  // A key that does not exist yet: $ means 0-0, so its first entry serves the client.
  const onMissing = waiter.xread('BLOCK', '0', 'STREAMS', 'later', '$');
  await blockedClients(r, 1);
  await r.set('later', 'not a stream');
  await r.del('later');
  await r.xadd('later', '3-0', 'c', '3');
  assert.deepEqual(await onMissing, [['later', [['3-0', ['c', '3']]]]]);
});

test('blocking XREADGROUP gets new entries into the PEL, and errors when the group or key goes', async (t) => {
  const r = new Redis({ port: mine.port });
  const waiter = new Redis({ port: mine.port });
  t.after(() => {
    r.disconnect();
    waiter.disconnect();
  });
  await r.flushall();
  await r.xgroup('CREATE', 's', 'g', '$', 'MKSTREAM');
  const pending = waiter.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>');
  await blockedClients(r, 1);
  await r.xadd('s', '1-0', 'a', '1');
  assert.deepEqual(await pending, [['s', [['1-0', ['a', '1']]]]]);
  const summary = await r.xpending('s', 'g');
  assert.deepEqual(summary, [1, '1-0', '1-0', [['c1', '1']]]);

  // The error arrives while this test still awaits other commands: catch it at once.
  const failure = (promise) => promise.then(() => assert.fail('expected an error'), (error) => error.message);
  const destroyed = failure(waiter.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>'));
  await blockedClients(r, 1);
  await r.xgroup('DESTROY', 's', 'g');
  assert.equal(await destroyed, 'NOGROUP the consumer group this client was blocked on no longer exists');

  await r.xgroup('CREATE', 's', 'g', '$');
  const deleted = failure(waiter.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>'));
  await blockedClients(r, 1);
  await r.del('s');
  assert.equal(await deleted, 'UNBLOCKED the stream key no longer exists');
});

test('XCLAIM and XAUTOCLAIM move pending entries between consumers', async (t) => {
  const r = new Redis({ port: mine.port });
  t.after(() => r.disconnect());
  await r.flushall();
  await r.xgroup('CREATE', 's', 'g', '0', 'MKSTREAM');
  for (let i = 1; i <= 3; i++) await r.xadd('s', `${i}-0`, 'f', String(i));
  await r.xreadgroup('GROUP', 'g', 'alice', 'STREAMS', 's', '>');
  assert.deepEqual(await r.xclaim('s', 'g', 'bob', '3600000', '1-0'), []);
  assert.deepEqual(await r.xclaim('s', 'g', 'bob', '0', '1-0', 'RETRYCOUNT', '7'), [['1-0', ['f', '1']]]);
  const [, , , count] = (await r.xpending('s', 'g', '-', '+', '10', 'bob'))[0];
  assert.equal(count, 7);
  await r.xdel('s', '2-0');
  const [cursor, claimed, gone] = await r.xautoclaim('s', 'g', 'carol', '0', '0', 'COUNT', '2');
  assert.equal(cursor, '3-0');
  assert.deepEqual(claimed, [['1-0', ['f', '1']]]);
  assert.deepEqual(gone, ['2-0']);
  const consumers = await r.xinfo('CONSUMERS', 's', 'g');
  assert.deepEqual(
    consumers.map((c) => [c[1], c[3]]),
    [['alice', 1], ['bob', 0], ['carol', 1]],
  );
});

test('streams as keys: COPY, RENAME, SCAN TYPE, expiry, MEMORY USAGE, keyspace events', async (t) => {
  const r = new Redis({ port: mine.port });
  const sub = new Redis({ port: mine.port });
  t.after(() => {
    r.disconnect();
    sub.disconnect();
  });
  await r.flushall();
  await r.xadd('s', '1-0', 'a', '1');
  await r.xgroup('CREATE', 's', 'g', '0');
  await r.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
  assert.equal(await r.copy('s', 'copy'), 1);
  await r.xadd('s', '2-0', 'b', '2');
  assert.equal(await r.xlen('copy'), 1);
  assert.deepEqual(await r.xpending('copy', 'g'), [1, '1-0', '1-0', [['c', '1']]]);
  await r.rename('copy', 'moved');
  assert.equal(await r.type('moved'), 'stream');
  await r.set('str', 'x');
  assert.deepEqual((await r.scan('0', 'TYPE', 'stream'))[1].sort(), ['moved', 's']);
  assert.ok((await r.memory('USAGE', 's')) > 0);
  await r.pexpire('moved', 20);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(await r.exists('moved'), 0);

  await r.config('SET', 'notify-keyspace-events', 'Et');
  const events = [];
  await sub.subscribe('__keyevent@0__:xadd', '__keyevent@0__:xtrim', '__keyevent@0__:xdel', '__keyevent@0__:xgroup-create', '__keyevent@0__:xsetid');
  sub.on('message', (channel) => events.push(channel.split(':')[1]));
  await r.xadd('s', 'MAXLEN', '1', '3-0', 'c', '3');
  await r.xdel('s', '3-0');
  await r.xgroup('CREATE', 's', 'g2', '$');
  await r.xsetid('s', '9-0');
  await r.ping();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(events, ['xadd', 'xtrim', 'xdel', 'xgroup-create', 'xsetid']);
  await r.config('SET', 'notify-keyspace-events', '');
});
