// Streams in Redis's own formats: an RDB file or DUMP payload written by one
// server (ours or redis-server 7.0.15) is read by the other, and the stream
// (entries, IDs, counters, groups, pending entries, consumers) is the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { blockedClients, startInDir, tempDirs } from './helpers.mjs';

const tempDir = tempDirs('noderedis-streams-');

/** A stream with several nodes, deleted entries, 64-bit IDs and values, an entry with its own fields, and two groups. */
async function build(client) {
  const pipeline = client.pipeline();
  for (let i = 1; i <= 250; i++) pipeline.xadd('s', `${i}-1`, 'f', `v${i}`, 'n', String(i));
  pipeline.xadd('s', '300-1', 'other', 'x', 'and', '-12');
  pipeline.xadd('s', '1700000000000-5', 'f', 'big', 'n', '18446744073709551615');
  pipeline.xdel('s', '5-1', '6-1');
  pipeline.xgroup('CREATE', 's', 'g1', '0');
  pipeline.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', 's', '>');
  pipeline.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', 's', '>');
  pipeline.xack('s', 'g1', '1-1');
  pipeline.xgroup('CREATE', 's', 'g0', '$');
  pipeline.xgroup('CREATECONSUMER', 's', 'g0', 'idle');
  pipeline.xadd('small', '1-1', 'a', '1', 'b', '2');
  pipeline.xadd('small', '2-1', 'a', '3');
  pipeline.xadd('emptied', 'MAXLEN', '0', '5-5', 'a', 'b');
  await pipeline.exec();
}

/** XINFO STREAM FULL without what differs by design: times, and the radix tree's inner node count. */
async function described(client, key) {
  const info = await client.call('XINFO', 'STREAM', key, 'FULL');
  const text = JSON.stringify(info);
  return text.replace(/"radix-tree-nodes",\d+/, '"radix-tree-nodes",N').replace(/"(seen-time|delivery-time|active-time)",\d+/g, '"$1",T');
}

const KEYS = ['s', 'small', 'emptied'];

async function describeAll(client) {
  const out = {};
  for (const key of KEYS) out[key] = await described(client, key);
  out.range = JSON.stringify(await client.xrange('s', '-', '+'));
  return out;
}

for (const [writer, reader] of [['ours', 'redis'], ['redis', 'ours']]) {
  test(`an RDB file with streams written by ${writer} loads in ${reader}`, async (t) => {
    const dir = tempDir();
    const source = await startInDir(t, dir, ['--save', '', '--appendonly', 'no'], { redis: writer === 'redis' });
    await build(source.client);
    const expected = await describeAll(source.client);
    await source.client.save();
    const other = tempDir();
    copyFileSync(join(dir, 'dump.rdb'), join(other, 'dump.rdb'));
    const target = await startInDir(t, other, ['--save', '', '--appendonly', 'no'], { redis: reader === 'redis' });
    assert.deepEqual(await describeAll(target.client), expected);
    // The loaded stream goes on as the original would.
    assert.equal(await target.client.xadd('s', '*', 'f', 'later').then((id) => BigInt(id.split('-')[0]) >= 1700000000000n), true);
    assert.deepEqual(await target.client.xpending('s', 'g1'), await source.client.xpending('s', 'g1'));
  });

  test(`DUMP of a stream from ${writer} RESTOREs in ${reader}`, async (t) => {
    const source = await startInDir(t, tempDir(), ['--save', '', '--appendonly', 'no'], { redis: writer === 'redis' });
    const target = await startInDir(t, tempDir(), ['--save', '', '--appendonly', 'no'], { redis: reader === 'redis' });
    await build(source.client);
    for (const key of KEYS) {
      const payload = await source.client.dumpBuffer(key);
      assert.equal(await target.client.restore(key, 0, payload), 'OK');
      assert.equal(await described(target.client, key), await described(source.client, key));
    }
  });
}

test('a blocked XREADGROUP served later is recorded in the AOF as its claims, and replays', async (t) => {
  const dir = tempDir();
  const args = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const first = await startInDir(t, dir, args);
  await first.client.xgroup('CREATE', 's', 'g', '$', 'MKSTREAM');
  const reader = first.client.duplicate();
  t.after(() => reader.disconnect());
  const served = reader.xreadgroup('GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
  await blockedClients(first.client, 1);
  await first.client.xadd('s', '5-1', 'f', 'v');
  assert.deepEqual(await served, [['s', [['5-1', ['f', 'v']]]]]);
  const expected = await first.client.xpending('s', 'g', '-', '+', 10);
  const aof = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
  assert.doesNotMatch(aof, /XREADGROUP/i);
  assert.match(aof, /XCLAIM/i);
  first.proc.kill('SIGKILL');
  await once(first.proc, 'exit');

  const second = await startInDir(t, dir, args);
  const pending = await second.client.xpending('s', 'g', '-', '+', 10);
  assert.deepEqual(pending.map(([id, consumer, , deliveries]) => [id, consumer, deliveries]), expected.map(([id, consumer, , deliveries]) => [id, consumer, deliveries]));
  assert.equal((await second.client.xinfo('GROUPS', 's'))[0][7], '5-1');
});

test('XADD reaches the AOF with the ID it generated and an approximate trim made exact, and replays to the same stream', async (t) => {
  const dir = tempDir();
  const args = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--stream-node-max-entries', '3'];
  const first = await startInDir(t, dir, args);
  const c = first.client;
  for (let i = 0; i < 10; i++) await c.xadd('s', '*', 'f', String(i));
  await c.xadd('s', '9999999999999-*', 'f', 'star');
  await c.xadd('s', 'MAXLEN', '~', '4', 'LIMIT', '100', '*', 'f', 'trimmed');
  await c.xadd('s', 'MINID', '~', '0-1', '99999999999999-1', 'f', 'kept');
  const expected = [await c.xrange('s', '-', '+'), await c.xlen('s')];
  const aof = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
  assert.doesNotMatch(aof, /\r\n\*\r\n/, 'no * ID left in the AOF');
  assert.doesNotMatch(aof, /LIMIT|~/i);
  assert.match(aof, /\r\n9999999999999-0\r\n/);
  first.proc.kill('SIGKILL');
  await once(first.proc, 'exit');
  const second = await startInDir(t, dir, args);
  assert.deepEqual([await second.client.xrange('s', '-', '+'), await second.client.xlen('s')], expected);
});
