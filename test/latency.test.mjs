// LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP) and INFO
// latencystats against a redis-server 7.0.15 started beside ours. Replies
// that carry no timing are compared byte for byte, in RESP2 and RESP3; events
// come from DEBUG SLEEP over latency-monitor-threshold, and their reports are
// compared with every number masked (the sleeps differ by a millisecond or two).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { HAVE_REDIS, replyConnection, sleep, startRedis, startServer } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const skip = (!HAVE_REDIS || !ours) && 'needs redis-server';
const DEBUG = ['--enable-debug-command', 'yes'];

let mine;
let reference;
/** Byte-level connections: [ours, redis]. */
let conns;
/** ioredis clients (RESP2, parsed): [ours, redis]. */
let clients;

before(async () => {
  if (skip) return;
  mine = await startServer(DEBUG);
  reference = await startRedis(DEBUG);
  conns = [await replyConnection(mine.port), reference.conn];
  clients = [new Redis({ port: mine.port }), new Redis({ port: reference.port })];
});

after(async () => {
  for (const c of clients ?? []) c.disconnect();
  conns?.[0].close();
  reference?.stop();
  await mine?.stop();
});

/** Runs `args` on both servers; returns [ours, redis] raw replies. */
const both = (...args) => Promise.all(conns.map((c) => c.command(...args)));

/** Each command on both servers, the replies the same bytes. */
async function same(...lines) {
  for (const args of lines) {
    const [got, expected] = await both(...args);
    assert.equal(got, expected, args.join(' '));
  }
}

/** A reply with every run of digits replaced, for reports that carry milliseconds and seconds. */
const masked = (reply) => reply.replace(/\d+/g, 'N');

/** Both servers back to no events, threshold `ms`. */
async function fresh(ms) {
  await both('CONFIG', 'SET', 'latency-monitor-threshold', String(ms));
  await both('LATENCY', 'RESET');
}

test('replies and errors that carry no timing are those of Redis (RESP2 and RESP3)', { skip }, async () => {
  await fresh(0);
  const lines = [
    ['LATENCY', 'LATEST'], ['LATENCY', 'HISTORY', 'command'], ['LATENCY', 'HISTORY', 'blabla'],
    ['LATENCY', 'RESET'], ['LATENCY', 'RESET', 'a', 'b'], ['LATENCY', 'GRAPH', 'nope'],
    ['LATENCY', 'DOCTOR'], ['LATENCY', 'HELP'], ['LATENCY', 'help'],
    ['LATENCY'], ['LATENCY', 'FOO'], ['LATENCY', 'LATEST', 'extra'], ['LATENCY', 'HISTORY'],
    ['LATENCY', 'HISTORY', 'a', 'b'], ['LATENCY', 'GRAPH'], ['LATENCY', 'DOCTOR', 'x'], ['LATENCY', 'HELP', 'x'],
    ['LATENCY', 'HISTOGRAM', 'nosuchcommand'], ['LATENCY', 'HISTOGRAM', 'get|x'], ['LATENCY', 'HISTOGRAM', 'config|get|x'],
  ];
  await same(...lines);
  // With the monitor on and nothing seen, DOCTOR says so.
  await both('CONFIG', 'SET', 'latency-monitor-threshold', '100');
  await same(['LATENCY', 'DOCTOR']);
  await both('HELLO', '3');
  try {
    await same(...lines);
  } finally {
    await both('HELLO', '2');
  }
});

test('a DEBUG SLEEP over the threshold is a "command" event in LATEST and HISTORY', { skip }, async () => {
  await fresh(50);
  await both('DEBUG', 'SLEEP', '0');
  await same(['LATENCY', 'LATEST']);
  await both('DEBUG', 'SLEEP', '0.08');
  const [latest, expected] = await Promise.all(clients.map((c) => c.call('LATENCY', 'LATEST')));
  assert.equal(latest.length, 1);
  assert.equal(latest.length, expected.length);
  const [name, time, latencyMs, maxMs] = latest[0];
  assert.equal(name, expected[0][0]);
  assert.equal(name, 'command');
  assert.ok(Math.abs(time - Date.now() / 1000) < 5, `time ${time}`);
  assert.ok(latencyMs >= 80 && latencyMs < 500, `latency ${latencyMs}`);
  assert.equal(maxMs, latencyMs);
  const history = await clients[0].call('LATENCY', 'HISTORY', 'command');
  assert.deepEqual(history, [[time, latencyMs]]);
  // Within the same second a smaller spike leaves the sample and the maximum alone.
  await both('DEBUG', 'SLEEP', '0.06');
  const [again] = await clients[0].call('LATENCY', 'LATEST');
  if (again[1] === time) assert.deepEqual(again, latest[0]);
});

test('GRAPH and DOCTOR of two spikes in two seconds read as Redis writes them', { skip, timeout: 10_000 }, async () => {
  await fresh(50);
  await both('DEBUG', 'SLEEP', '0.1');
  await sleep(1100);
  await both('DEBUG', 'SLEEP', '0.2');
  const [graph, expectedGraph] = await both('LATENCY', 'GRAPH', 'command');
  assert.equal(masked(graph), masked(expectedGraph));
  const [doctor, expectedDoctor] = await both('LATENCY', 'DOCTOR');
  assert.equal(masked(doctor), masked(expectedDoctor));
  assert.match(doctor, /1\. command: 2 latency spikes/);
  const [history] = await Promise.all(clients.map((c) => c.call('LATENCY', 'HISTORY', 'command')));
  assert.equal(history.length, 2);
  assert.ok(history[0][0] < history[1][0], 'oldest first');
  await both('HELLO', '3');
  try {
    const [graph3, expectedGraph3] = await both('LATENCY', 'GRAPH', 'command');
    assert.equal(masked(graph3), masked(expectedGraph3));
    assert.match(graph3, /^=\d+\r\ntxt:/);
  } finally {
    await both('HELLO', '2');
  }
});

test('RESET counts the events it drops, names in any case, unknown names for nothing', { skip }, async () => {
  await fresh(50);
  await both('DEBUG', 'SLEEP', '0.06');
  await same(['LATENCY', 'RESET', 'nope', 'COMMAND', 'command'], ['LATENCY', 'LATEST'], ['LATENCY', 'RESET']);
  await both('DEBUG', 'SLEEP', '0.06');
  await same(['LATENCY', 'RESET'], ['LATENCY', 'RESET']);
  // Below the threshold, or with the monitor off, nothing is recorded.
  await both('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  await both('DEBUG', 'SLEEP', '0.06');
  await both('CONFIG', 'SET', 'latency-monitor-threshold', '500');
  await both('DEBUG', 'SLEEP', '0.06');
  await same(['LATENCY', 'LATEST'], ['LATENCY', 'RESET']);
  await both('CONFIG', 'SET', 'latency-monitor-threshold', '0');
});

/** LATENCY HISTOGRAM as { command: [calls, {bucket: cumulative count}] }, from ioredis's flat RESP2 arrays. */
function histograms(flat) {
  const out = {};
  for (let i = 0; i < flat.length; i += 2) {
    const [callsLabel, calls, bucketsLabel, buckets] = flat[i + 1];
    assert.deepEqual([callsLabel, bucketsLabel], ['calls', 'histogram_usec']);
    const cdf = {};
    for (let j = 0; j < buckets.length; j += 2) cdf[buckets[j]] = buckets[j + 1];
    out[flat[i]] = [calls, cdf];
  }
  return out;
}

test('HISTOGRAM: the commands with samples, containers by subcommand, buckets as Redis cuts them', { skip }, async () => {
  await both('CONFIG', 'RESETSTAT');
  // 2.5 ms lies in Redis's bucket of 2^21..2^22 ns, reported as 4227 us, on both servers.
  for (let i = 0; i < 3; i++) await both('DEBUG', 'SLEEP', '0.0025');
  await both('SET', 'k', 'v');
  await both('CONFIG', 'GET', 'hz');
  await both('GET', 'k');
  const [mineAll, redisAll] = await Promise.all(clients.map((c) => c.call('LATENCY', 'HISTOGRAM')));
  const [mineH, redisH] = [histograms(mineAll), histograms(redisAll)];
  // Redis lists commands in its dictionary's (randomly seeded) order.
  assert.deepEqual(Object.keys(mineH).sort(), Object.keys(redisH).sort());
  // A sleep never ends early, but a busy machine can end it late, so only the lowest bucket is pinned.
  for (const [calls, cdf] of [mineH.debug, redisH.debug]) {
    assert.equal(calls, 3);
    assert.equal(Object.keys(cdf).map(Number).sort((x, y) => x - y)[0], 4227);
  }
  for (const [name, [calls, cdf]] of Object.entries(mineH)) {
    assert.equal(calls, redisH[name][0], name);
    const counts = Object.values(cdf);
    assert.equal(counts.at(-1), calls, `${name}: cumulative up to the calls`);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y), `${name}: cumulative`);
  }
  const selected = async (...names) => {
    const replies = await Promise.all(clients.map((c) => c.call('LATENCY', 'HISTOGRAM', ...names)));
    return replies.map((flat) => {
      const names = [];
      for (let i = 0; i < flat.length; i += 2) names.push(flat[i]);
      return names.sort();
    });
  };
  for (const names of [['set', 'GET'], ['config'], ['config|get', 'CONFIG|GET', 'nope'], ['debug', 'latency'], ['client|list']]) {
    const [got, expected] = await selected(...names);
    assert.deepEqual(got, expected, names.join(' '));
  }
  await both('CONFIG', 'RESETSTAT');
  await same(['LATENCY', 'HISTOGRAM', 'set']);
});

/** INFO latencystats as { command: [percentile names] }. */
const percentiles = (info) =>
  Object.fromEntries(
    info.split('\r\n').filter((l) => l.startsWith('latency_percentiles_usec_')).map((l) => {
      const [name, values] = l.slice('latency_percentiles_usec_'.length).split(':');
      return [name, values.split(',').map((v) => v.split('=')[0])];
    }),
  );

test('INFO latencystats: a line per command, percentiles named as configured, none while tracking is off', { skip }, async () => {
  try {
    for (const setting of ['50 99 99.9', '0 50.5 100', '', '99.99']) {
      await both('CONFIG', 'SET', 'latency-tracking-info-percentiles', setting);
      await same(['CONFIG', 'GET', 'latency-tracking-info-percentiles']);
      await both('CONFIG', 'RESETSTAT');
      await both('SET', 'k', 'v');
      await both('DEBUG', 'SLEEP', '0.0025');
      const [mineInfo, redisInfo] = await Promise.all(clients.map((c) => c.info('latencystats')));
      assert.deepEqual(percentiles(mineInfo), percentiles(redisInfo), setting);
      assert.match(mineInfo, /^# Latencystats\r\n/);
    }
    await same(['CONFIG', 'SET', 'latency-tracking-info-percentiles', '101'], ['CONFIG', 'SET', 'latency-tracking-info-percentiles', 'x']);
    await both('CONFIG', 'SET', 'latency-tracking', 'no');
    await both('CONFIG', 'RESETSTAT');
    await both('SET', 'k', 'v');
    await same(['INFO', 'latencystats'], ['LATENCY', 'HISTOGRAM', 'set']);
  } finally {
    await both('CONFIG', 'SET', 'latency-tracking', 'yes');
    await both('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
  }
});

test('an active expiry cycle over the threshold is an "expire-cycle" event', { skip, timeout: 20_000 }, async () => {
  await fresh(5);
  try {
    // 200k keys expiring together keep the cycle busy for its whole time budget (25 ms at hz 10) on both servers.
    await both('FLUSHALL');
    await both('EVAL', "for i = 1, 200000 do redis.call('set', 'k' .. i, 'v', 'PX', 100) end", '0');
    for (const c of clients) {
      const deadline = Date.now() + 10_000;
      while ((await c.dbsize()) > 0 && Date.now() < deadline) await sleep(50);
    }
    const [mineLatest, redisLatest] = await Promise.all(clients.map((c) => c.call('LATENCY', 'LATEST')));
    const cycle = (latest) => latest.find((e) => e[0] === 'expire-cycle');
    assert.ok(cycle(redisLatest), JSON.stringify(redisLatest));
    assert.ok(cycle(mineLatest), JSON.stringify(mineLatest));
    assert.ok(cycle(mineLatest)[2] >= 5);
  } finally {
    await both('CONFIG', 'SET', 'latency-monitor-threshold', '0');
    await both('FLUSHALL');
  }
});
