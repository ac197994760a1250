// Scripts as the libraries built on them use them: ioredis defineCommand, the EVALSHA-then-EVAL
// fallback of redlock, rate-limiter-flexible's Redis limiter and a BullMQ queue with a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { useServer } from './helpers.mjs';

let server;
let r;
useServer([], (s, client) => {
  server = s;
  r = client;
});

test('ioredis defineCommand runs a script by EVALSHA, loading it on NOSCRIPT', async () => {
  const client = new Redis({ port: server.port });
  client.defineCommand('incrAndGet', { numberOfKeys: 1, lua: "redis.call('INCRBY', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])" });
  assert.equal(await client.incrAndGet('n', 5), '5');
  assert.equal(await client.incrAndGet('n', 2), '7');
  await client.script('FLUSH');
  assert.equal(await client.incrAndGet('n', 1), '8');
  await client.quit();
});

test('EVALSHA of an unknown script answers NOSCRIPT, then EVAL runs it (redlock fallback)', async () => {
  const lua = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
  const sha = (await r.script('LOAD', lua)).toString();
  await r.script('FLUSH');
  await assert.rejects(r.evalsha(sha, 1, 'lock', 'me'), /^ReplyError: NOSCRIPT No matching script\. Please use EVAL\./);
  await r.set('lock', 'me');
  assert.equal(await r.eval(lua, 1, 'lock', 'me'), 1);
  assert.equal(await r.evalsha(sha, 1, 'lock', 'me'), 0);
  assert.deepEqual(await r.script('EXISTS', sha, '0'.repeat(40)), [1, 0]);
});

test("rate-limiter-flexible's Redis limiter counts points and refuses past the limit", async () => {
  const client = new Redis({ port: server.port, enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
  const limiter = new RateLimiterRedis({ storeClient: client, points: 3, duration: 10, keyPrefix: 'rl' });
  const first = await limiter.consume('user1');
  assert.equal(first.remainingPoints, 2);
  await limiter.consume('user1');
  await limiter.consume('user1');
  await assert.rejects(limiter.consume('user1'), (res) => res.remainingPoints === 0 && res.msBeforeNext > 0);
  assert.equal(await r.get('rl:user1'), '4');
  await client.quit();
});

test('a BullMQ queue, worker and queue events process jobs end to end', { timeout: 30000 }, async () => {
  const connection = { host: '127.0.0.1', port: server.port };
  const queue = new Queue('jobs', { connection });
  // QueueEvents reads the queue's event stream with XREAD BLOCK.
  const events = new QueueEvents('jobs', { connection });
  await events.waitUntilReady();
  const completedEvents = [];
  events.on('completed', ({ jobId, returnvalue }) => completedEvents.push([jobId, String(returnvalue)]));
  const processed = [];
  const worker = new Worker(
    'jobs',
    async (job) => {
      processed.push(job.data.n);
      if (job.data.n === 3) throw new Error('three fails once');
      return job.data.n * 2;
    },
    { connection },
  );
  const jobs = [];
  for (let n = 1; n <= 5; n++) jobs.push(await queue.add('double', { n }, { priority: n % 2 === 0 ? 1 : undefined }));
  const delayed = await queue.add('double', { n: 6 }, { delay: 300 });
  const results = await Promise.allSettled([...jobs, delayed].map((job) => job.waitUntilFinished(events, 10000)));
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.message)), [2, 4, 'three fails once', 8, 10, 12]);
  assert.deepEqual(processed.slice().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
  const counts = await queue.getJobCounts('completed', 'failed', 'wait', 'delayed', 'active');
  assert.deepEqual(counts, { completed: 5, failed: 1, wait: 0, delayed: 0, active: 0 });
  assert.equal(completedEvents.length, 5);
  assert.deepEqual((await queue.getFailed()).map((j) => j.failedReason), ['three fails once']);
  await worker.close();
  await events.close();
  await queue.close();
});

test('MONITOR shows EVAL and FCALL before the commands they run, which come from "lua"', async (t) => {
  // Lazy: only its duplicate, the MONITOR connection, connects; its own ready-check INFO would show up in the feed.
  const monitor = new Redis({ port: server.port, lazyConnect: true });
  t.after(() => monitor.disconnect());
  const lines = [];
  const feed = await monitor.monitor();
  t.after(() => feed.disconnect());
  feed.on('monitor', (time, args, source) => lines.push(`${source} ${args.join(' ')}`));
  await r.eval("redis.call('set', KEYS[1], ARGV[1])", 1, 'foo', 'bar');
  await r.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=mon\nredis.register_function('setit', function(keys, args) return redis.call('set', keys[1], args[1]) end)");
  await r.call('FCALL', 'setit', '1', 'foo', 'baz');
  await r.ping();
  for (let i = 0; i < 100 && !lines.some((l) => l.endsWith('ping')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const shown = lines.map((l) => l.replace(/^[0-9.:]+ /, 'client ').replace(/^\S+:\d+ /, 'client '));
  assert.deepEqual(shown.filter((l) => !l.includes('FUNCTION')), [
    'client eval redis.call(\'set\', KEYS[1], ARGV[1]) 1 foo bar',
    'lua set foo bar',
    'client FCALL setit 1 foo baz',
    'lua set foo baz',
    'client ping',
  ]);
});
