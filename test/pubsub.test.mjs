// Pub/sub: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE, PUBLISH/SPUBLISH, PUBSUB introspection,
// subscribed mode in RESP2 and push frames in RESP3.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { useServer, rawConnect, resp, sleep, extraClient, rawFor, exchange, drain } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});






/** Retries `check` until it stops throwing (server-side cleanup after a disconnect is asynchronous). */
/** An ioredis connection for subscribing: no INFO ready check, which a subscribed RESP2 connection would refuse. */
const subscriberClient = (t) => extraClient(t, server.port, { enableReadyCheck: false });

async function eventually(check, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

/** RESP2 encoding of a pub/sub frame: bulk strings, integers and null. */
function frame(...items) {
  let out = `*${items.length}\r\n`;
  for (const item of items) {
    if (item === null) out += '$-1\r\n';
    else if (typeof item === 'number') out += `:${item}\r\n`;
    else out += `$${Buffer.byteLength(item, 'latin1')}\r\n${item}\r\n`;
  }
  return out;
}

/** The same frame as a RESP3 push. */
const push = (...items) => '>' + frame(...items).slice(1);

// ---------------------------------------------------------------- subscribe / publish

test('SUBSCRIBE confirms each channel with the running count of channels and patterns', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'sc:a', 'sc:b']], frame('subscribe', 'sc:a', 1) + frame('subscribe', 'sc:b', 2));
  await exchange(conn, [['PSUBSCRIBE', 'sc:*']], frame('psubscribe', 'sc:*', 3));
  // Subscribing again changes nothing but is still confirmed.
  await exchange(conn, [['SUBSCRIBE', 'sc:a']], frame('subscribe', 'sc:a', 3));
  await exchange(conn, [['PSUBSCRIBE', 'sc:*']], frame('psubscribe', 'sc:*', 3));
});

test('PUBLISH delivers to channel subscribers and returns the number of receivers', async (t) => {
  const sub = await rawFor(t, server.port);
  await exchange(sub, [['SUBSCRIBE', 'pd:news']], frame('subscribe', 'pd:news', 1));
  assert.equal(await r.publish('pd:news', 'hello'), 1);
  assert.equal(await sub.read(frame('message', 'pd:news', 'hello').length), frame('message', 'pd:news', 'hello'));
  assert.equal(await r.publish('pd:other', 'nobody'), 0);
});

test('pattern subscribers get pmessage with the pattern, once per matching pattern', async (t) => {
  const sub = await rawFor(t, server.port);
  await exchange(
    sub,
    [['PSUBSCRIBE', 'pm:*', 'pm:?ews']],
    frame('psubscribe', 'pm:*', 1) + frame('psubscribe', 'pm:?ews', 2),
  );
  await exchange(sub, [['SUBSCRIBE', 'pm:news']], frame('subscribe', 'pm:news', 3));
  assert.equal(await r.publish('pm:news', 'x'), 3);
  // Channel subscribers first, then the patterns (in Redis's hash-table order, so unspecified).
  assert.equal(await sub.read(frame('message', 'pm:news', 'x').length), frame('message', 'pm:news', 'x'));
  const star = frame('pmessage', 'pm:*', 'pm:news', 'x');
  const single = frame('pmessage', 'pm:?ews', 'pm:news', 'x');
  const rest = await sub.read(star.length + single.length);
  assert.ok(rest === star + single || rest === single + star, JSON.stringify(rest));
  assert.equal(await r.publish('pm:sport', 'y'), 1);
  assert.equal(await sub.read(frame('pmessage', 'pm:*', 'pm:sport', 'y').length), frame('pmessage', 'pm:*', 'pm:sport', 'y'));
});

test('ioredis subscriber mode receives messages and pmessages', async (t) => {
  const sub = subscriberClient(t);
  assert.equal(await sub.subscribe('io:a', 'io:b'), 2);
  assert.equal(await sub.psubscribe('io:p*'), 3);
  const received = [];
  sub.on('message', (channel, message) => received.push(['message', channel, message]));
  sub.on('pmessage', (pattern, channel, message) => received.push(['pmessage', pattern, channel, message]));
  assert.equal(await r.publish('io:a', '1'), 1);
  assert.equal(await r.publish('io:b', '2'), 1);
  assert.equal(await r.publish('io:pq', '3'), 1);
  await eventually(() => assert.equal(received.length, 3));
  assert.deepEqual(received, [
    ['message', 'io:a', '1'],
    ['message', 'io:b', '2'],
    ['pmessage', 'io:p*', 'io:pq', '3'],
  ]);
  assert.equal(await sub.unsubscribe('io:a'), 2);
  assert.equal(await r.publish('io:a', 'gone'), 0);
});

test('many messages arrive complete and in publish order', async (t) => {
  const sub = subscriberClient(t);
  await sub.subscribe('ord:c');
  const received = [];
  sub.on('message', (_channel, message) => received.push(message));
  const pipeline = r.pipeline();
  for (let i = 0; i < 2000; i++) pipeline.publish('ord:c', String(i));
  const results = await pipeline.exec();
  assert.ok(results.every(([error, n]) => error === null && n === 1));
  await eventually(() => assert.equal(received.length, 2000), 5000);
  assert.deepEqual(received, Array.from({ length: 2000 }, (_, i) => String(i)));
});

test('messages from several publishers to several subscribers keep each publisher\'s order', async (t) => {
  const subs = [subscriberClient(t), subscriberClient(t)];
  const received = [[], []];
  for (const [i, sub] of subs.entries()) {
    await sub.subscribe('multi:c');
    sub.on('message', (_channel, message) => received[i].push(message));
  }
  const pub2 = subscriberClient(t);
  await Promise.all([
    Promise.all(Array.from({ length: 200 }, (_, i) => r.publish('multi:c', `a${i}`))),
    Promise.all(Array.from({ length: 200 }, (_, i) => pub2.publish('multi:c', `b${i}`))),
  ]);
  await eventually(() => assert.deepEqual(received.map((l) => l.length), [400, 400]));
  for (const list of received) {
    assert.deepEqual(list.filter((m) => m[0] === 'a'), Array.from({ length: 200 }, (_, i) => `a${i}`));
    assert.deepEqual(list.filter((m) => m[0] === 'b'), Array.from({ length: 200 }, (_, i) => `b${i}`));
  }
  // Both subscribers saw the same interleaving.
  assert.deepEqual(received[0], received[1]);
});

// ---------------------------------------------------------------- unsubscribe

test('UNSUBSCRIBE and PUNSUBSCRIBE with nothing subscribed answer with a nil name and count 0', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['UNSUBSCRIBE']], frame('unsubscribe', null, 0));
  await exchange(conn, [['PUNSUBSCRIBE']], frame('punsubscribe', null, 0));
  await exchange(conn, [['SUNSUBSCRIBE']], frame('sunsubscribe', null, 0));
  // Not in subscribed mode: ordinary commands still run.
  await exchange(conn, [['PING']], '+PONG\r\n');
});

test('UNSUBSCRIBE of a channel never subscribed is still confirmed with the current count', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'un:a']], frame('subscribe', 'un:a', 1));
  await exchange(conn, [['UNSUBSCRIBE', 'un:zzz']], frame('unsubscribe', 'un:zzz', 1));
  await exchange(conn, [['PUNSUBSCRIBE', 'un:*']], frame('punsubscribe', 'un:*', 1));
});

test('UNSUBSCRIBE without arguments drops every channel but keeps patterns', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['PSUBSCRIBE', 'ua:*']], frame('psubscribe', 'ua:*', 1));
  await exchange(conn, [['SUBSCRIBE', 'ua:x', 'ua:y']], frame('subscribe', 'ua:x', 2) + frame('subscribe', 'ua:y', 3));
  conn.write(resp('UNSUBSCRIBE'));
  // Redis walks its hash table, so the channel order is unspecified; the counts go down by one.
  const first = frame('unsubscribe', 'ua:x', 2);
  const frames = [await conn.read(first.length), await conn.read(first.length)];
  assert.deepEqual(
    frames.map((f) => f.replace(/ua:[xy]/, 'ua:?')),
    [frame('unsubscribe', 'ua:?', 2), frame('unsubscribe', 'ua:?', 1)],
  );
  assert.deepEqual(frames.map((f) => f.match(/ua:[xy]/)[0]).sort(), ['ua:x', 'ua:y']);
  assert.equal(await r.publish('ua:x', 'm'), 1); // the pattern still matches
  assert.equal(await conn.read(frame('pmessage', 'ua:*', 'ua:x', 'm').length), frame('pmessage', 'ua:*', 'ua:x', 'm'));
  await exchange(conn, [['PUNSUBSCRIBE']], frame('punsubscribe', 'ua:*', 0));
  await exchange(conn, [['PING']], '+PONG\r\n');
});

// ---------------------------------------------------------------- subscribed mode (RESP2)

test('a RESP2 subscriber may only manage subscriptions, PING, QUIT and RESET', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'rm:c']], frame('subscribe', 'rm:c', 1));
  const refused = (name) =>
    `-ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n`;
  await exchange(conn, [['GET', 'k']], refused('get'));
  await exchange(conn, [['set', 'k', 'v']], refused('set'));
  await exchange(conn, [['CLIENT', 'ID']], refused('client|id'));
  await exchange(conn, [['PUBLISH', 'rm:c', 'x']], refused('publish'));
  await exchange(conn, [['MULTI']], refused('multi'));
  // Errors that come before the subscribed-mode check keep their own text.
  await exchange(conn, [['GET']], "-ERR wrong number of arguments for 'get' command\r\n");
  await exchange(conn, [['NOSUCHCMD']], "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n");
  await exchange(conn, [['PING']], frame('pong', ''));
  await exchange(conn, [['PING', 'hi']], frame('pong', 'hi'));
  await exchange(conn, [['SSUBSCRIBE', 'rm:s']], frame('ssubscribe', 'rm:s', 1));
  await exchange(conn, [['UNSUBSCRIBE', 'rm:c']], frame('unsubscribe', 'rm:c', 0));
  // Still subscribed to a shard channel: still restricted.
  await exchange(conn, [['GET', 'k']], refused('get'));
  await exchange(conn, [['SUNSUBSCRIBE']], frame('sunsubscribe', 'rm:s', 0));
  await exchange(conn, [['GET', 'k']], '$-1\r\n');
  await exchange(conn, [['PING']], '+PONG\r\n');
});

test('QUIT is allowed in subscribed mode and the subscription goes with the connection', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'quit:c']], frame('subscribe', 'quit:c', 1));
  await exchange(conn, [['QUIT']], '+OK\r\n');
  await conn.waitClosed();
  await eventually(async () => assert.deepEqual(await r.pubsub('NUMSUB', 'quit:c'), ['quit:c', 0]));
});

test('RESET leaves subscribed mode and drops every subscription silently', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'rs:c']], frame('subscribe', 'rs:c', 1));
  await exchange(conn, [['PSUBSCRIBE', 'rs:*']], frame('psubscribe', 'rs:*', 2));
  await exchange(conn, [['SSUBSCRIBE', 'rs:s']], frame('ssubscribe', 'rs:s', 1));
  await exchange(conn, [['RESET']], '+RESET\r\n');
  assert.equal(await r.publish('rs:c', 'x'), 0);
  assert.equal(await r.spublish('rs:s', 'x'), 0);
  assert.deepEqual(await r.pubsub('NUMSUB', 'rs:c'), ['rs:c', 0]);
  await exchange(conn, [['GET', 'k']], '$-1\r\n');
});

test('closing a subscriber removes its channels, patterns and shard channels', async (t) => {
  const sub = await rawConnect(server.port);
  await exchange(sub, [['SUBSCRIBE', 'dc:a', 'dc:b']], frame('subscribe', 'dc:a', 1) + frame('subscribe', 'dc:b', 2));
  await exchange(sub, [['PSUBSCRIBE', 'dc:*']], frame('psubscribe', 'dc:*', 3));
  await exchange(sub, [['SSUBSCRIBE', 'dc:s']], frame('ssubscribe', 'dc:s', 1));
  assert.deepEqual(await r.pubsub('NUMSUB', 'dc:a', 'dc:b'), ['dc:a', 1, 'dc:b', 1]);
  sub.close();
  await eventually(async () => {
    assert.deepEqual(await r.pubsub('NUMSUB', 'dc:a', 'dc:b'), ['dc:a', 0, 'dc:b', 0]);
    assert.deepEqual(await r.pubsub('CHANNELS', 'dc:*'), []);
    assert.deepEqual(await r.pubsub('SHARDCHANNELS', 'dc:*'), []);
    assert.equal(await r.publish('dc:a', 'x'), 0);
    assert.equal(await r.pubsub('NUMPAT'), 0);
  });
});

// ---------------------------------------------------------------- RESP3

test('in RESP3 confirmations and messages are push frames and every command is allowed', async (t) => {
  const conn = await rawFor(t, server.port);
  conn.write(resp('HELLO', '3'));
  await drain(conn);
  await exchange(conn, [['SUBSCRIBE', 'r3:a', 'r3:b']], push('subscribe', 'r3:a', 1) + push('subscribe', 'r3:b', 2));
  await exchange(conn, [['PSUBSCRIBE', 'r3:*']], push('psubscribe', 'r3:*', 3));
  await exchange(conn, [['SET', 'r3:k', 'v'], ['GET', 'r3:k']], '+OK\r\n$1\r\nv\r\n');
  await exchange(conn, [['PING']], '+PONG\r\n');
  assert.equal(await r.publish('r3:a', 'hi'), 2);
  const expected = push('message', 'r3:a', 'hi') + push('pmessage', 'r3:*', 'r3:a', 'hi');
  assert.equal(await conn.read(expected.length), expected);
  // A subscriber publishing to itself gets the message before the reply.
  await exchange(conn, [['PUBLISH', 'r3:b', 'me']], push('message', 'r3:b', 'me') + push('pmessage', 'r3:*', 'r3:b', 'me') + ':2\r\n');
  await exchange(conn, [['UNSUBSCRIBE', 'r3:a']], push('unsubscribe', 'r3:a', 2));
  await exchange(conn, [['PUNSUBSCRIBE', 'r3:*']], push('punsubscribe', 'r3:*', 1));
  await exchange(conn, [['UNSUBSCRIBE']], push('unsubscribe', 'r3:b', 0));
  await exchange(conn, [['UNSUBSCRIBE']], push('unsubscribe', null, 0).replace('$-1\r\n', '_\r\n'));
});

// ---------------------------------------------------------------- shard channels

test('shard channels are their own namespace with their own count, unseen by patterns', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['SUBSCRIBE', 'sh:c']], frame('subscribe', 'sh:c', 1));
  await exchange(conn, [['PSUBSCRIBE', 'sh:*']], frame('psubscribe', 'sh:*', 2));
  await exchange(conn, [['SSUBSCRIBE', 'sh:c', 'sh:d']], frame('ssubscribe', 'sh:c', 1) + frame('ssubscribe', 'sh:d', 2));
  assert.equal(await r.spublish('sh:c', 'shard'), 1);
  assert.equal(await conn.read(frame('smessage', 'sh:c', 'shard').length), frame('smessage', 'sh:c', 'shard'));
  assert.equal(await r.spublish('sh:nobody', 'x'), 0);
  assert.deepEqual((await r.pubsub('SHARDCHANNELS', 'sh:*')).sort(), ['sh:c', 'sh:d']);
  assert.deepEqual(await r.pubsub('SHARDNUMSUB', 'sh:c', 'sh:x'), ['sh:c', 1, 'sh:x', 0]);
  assert.deepEqual(await r.pubsub('CHANNELS', 'sh:*'), ['sh:c']);
  await exchange(conn, [['SUNSUBSCRIBE', 'sh:c']], frame('sunsubscribe', 'sh:c', 1));
  await exchange(conn, [['UNSUBSCRIBE', 'sh:c']], frame('unsubscribe', 'sh:c', 1));
});

// ---------------------------------------------------------------- introspection

test('PUBSUB NUMSUB counts channel subscribers only, NUMPAT distinct patterns', async (t) => {
  const a = await rawFor(t, server.port);
  const b = await rawFor(t, server.port);
  await exchange(a, [['SUBSCRIBE', 'ns:x', 'ns:y']], frame('subscribe', 'ns:x', 1) + frame('subscribe', 'ns:y', 2));
  await exchange(b, [['SUBSCRIBE', 'ns:x']], frame('subscribe', 'ns:x', 1));
  await exchange(a, [['PSUBSCRIBE', 'ns:*']], frame('psubscribe', 'ns:*', 3));
  await exchange(b, [['PSUBSCRIBE', 'ns:*', 'ns:?']], frame('psubscribe', 'ns:*', 2) + frame('psubscribe', 'ns:?', 3));
  assert.deepEqual(await r.pubsub('NUMSUB', 'ns:x', 'ns:y', 'ns:z'), ['ns:x', 2, 'ns:y', 1, 'ns:z', 0]);
  assert.deepEqual(await r.pubsub('NUMSUB'), []);
  assert.equal(await r.pubsub('NUMPAT'), 2);
  assert.deepEqual((await r.pubsub('CHANNELS', 'ns:*')).sort(), ['ns:x', 'ns:y']);
  assert.deepEqual(await r.pubsub('CHANNELS', 'ns:[y]'), ['ns:y']);
  assert.ok((await r.pubsub('CHANNELS')).includes('ns:x'));
  assert.equal(await r.publish('ns:x', 'm'), 5); // two channel subscribers, three matching patterns
});

test('PUBSUB replies with subcommand errors as Redis does', async () => {
  await assert.rejects(r.call('PUBSUB', 'NOPE'), /^ReplyError: ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.$/);
  await assert.rejects(
    r.call('PUBSUB', 'CHANNELS', 'a', 'b'),
    /^ReplyError: ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.$/,
  );
  await assert.rejects(r.call('PUBSUB', 'NUMPAT', 'x'), /^ReplyError: ERR wrong number of arguments for 'pubsub\|numpat' command$/);
  await assert.rejects(r.call('PUBLISH', 'c'), /^ReplyError: ERR wrong number of arguments for 'publish' command$/);
  await assert.rejects(r.call('SUBSCRIBE'), /^ReplyError: ERR wrong number of arguments for 'subscribe' command$/);
  const help = await r.call('PUBSUB', 'HELP');
  assert.equal(help[0], 'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  assert.equal(help.at(-1), '    Prints this help.');
});

test('INFO stats and CLIENT LIST report subscriptions', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', 'subber']], '+OK\r\n');
  await exchange(conn, [['SUBSCRIBE', 'in:a', 'in:b']], frame('subscribe', 'in:a', 1) + frame('subscribe', 'in:b', 2));
  await exchange(conn, [['PSUBSCRIBE', 'in:*']], frame('psubscribe', 'in:*', 3));
  await exchange(conn, [['SSUBSCRIBE', 'in:s']], frame('ssubscribe', 'in:s', 1));
  const info = await r.info('stats');
  assert.match(info, /\r\npubsub_channels:2\r\n/);
  assert.match(info, /\r\npubsub_patterns:1\r\n/);
  assert.match(info, /\r\npubsubshard_channels:1\r\n/);
  const line = (await r.client('LIST')).split('\n').find((l) => l.includes(' name=subber '));
  assert.match(line, / flags=P /);
  assert.match(line, / sub=2 psub=1 ssub=1 /);
  const own = (await r.client('INFO'));
  assert.match(own, / flags=N .* sub=0 psub=0 ssub=0 /);
  // CLIENT KILL TYPE pubsub closes exactly the subscribers.
  assert.equal(await r.client('KILL', 'TYPE', 'pubsub'), 1);
  await conn.waitClosed();
  await eventually(async () => assert.match(await r.info('stats'), /\r\npubsub_channels:0\r\npubsub_patterns:0\r\n/));
});

test('SUBSCRIBE inside MULTI runs at EXEC and the connection is then in subscribed mode', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['SUBSCRIBE', 'mx:c'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n' + frame('subscribe', 'mx:c', 1));
  assert.equal(await r.publish('mx:c', 'v'), 1);
  assert.equal(await conn.read(frame('message', 'mx:c', 'v').length), frame('message', 'mx:c', 'v'));
  await exchange(
    conn,
    [['GET', 'x']],
    "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
  );
});

test('binary channel names and payloads pass through unchanged', async (t) => {
  const conn = await rawFor(t, server.port);
  const channel = 'bin:\x00\xff\r\n';
  await exchange(conn, [['SUBSCRIBE', channel]], frame('subscribe', channel, 1));
  const pub = await rawFor(t, server.port);
  await exchange(pub, [['PUBLISH', channel, '\x00\x01\xfe\xff']], ':1\r\n');
  const expected = frame('message', channel, '\x00\x01\xfe\xff');
  assert.equal(await conn.read(expected.length), expected);
});

test('a closed connection that was subscribed does not hold back other subscribers', async (t) => {
  const gone = subscriberClient(t);
  const stays = subscriberClient(t);
  await gone.subscribe('gone:c');
  await stays.subscribe('gone:c');
  const [message] = [once(stays, 'message')];
  await gone.quit();
  await eventually(async () => assert.deepEqual(await r.pubsub('NUMSUB', 'gone:c'), ['gone:c', 1]));
  assert.equal(await r.publish('gone:c', 'still'), 1);
  assert.deepEqual(await message, ['gone:c', 'still']);
});

test('CLIENT REPLY OFF silences replies but not confirmations or messages', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'REPLY', 'OFF'], ['SUBSCRIBE', 'ro:a', 'ro:b']], frame('subscribe', 'ro:a', 1) + frame('subscribe', 'ro:b', 2));
  await exchange(conn, [['PSUBSCRIBE', 'ro:*']], frame('psubscribe', 'ro:*', 3));
  assert.equal(await r.publish('ro:a', 'm'), 2);
  const expected = frame('message', 'ro:a', 'm') + frame('pmessage', 'ro:*', 'ro:a', 'm');
  assert.equal(await conn.read(expected.length), expected);
  await exchange(conn, [['PING'], ['UNSUBSCRIBE', 'ro:a']], frame('unsubscribe', 'ro:a', 2));
});

test('CLIENT LIST TYPE pubsub lists subscribers only', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', 'typed'], ['SUBSCRIBE', 'ty:c']], '+OK\r\n' + frame('subscribe', 'ty:c', 1));
  assert.match(await r.client('LIST', 'TYPE', 'pubsub'), / name=typed /);
  assert.doesNotMatch(await r.client('LIST', 'TYPE', 'normal'), / name=typed /);
});
