// `npm run bench:scripting`: Lua scripting against our server and redis-server in the same run.
// - EVALSHA of `return redis.call('GET', KEYS[1])` through redis-benchmark, with and without -P 16;
// - a BullMQ-shaped script (cmsgpack.unpack of an argument, cjson.encode, HSET/ZADD/LPUSH/INCR/PUBLISH)
//   through a loader of our own, since its argument is binary;
// - pure Lua: one EVAL each of an arithmetic loop, string building and table inserts;
// - the compile time of BullMQ's largest script (SCRIPT LOAD, first time).
// A measurement, not a test. Options: BENCH_REQUESTS (200000), BENCH_CLIENTS (50), BENCH_ROUNDS (3).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { have, median, startServers, stopServers } from './servers.mjs';
import { resp } from '../test/helpers.mjs';
import { GET_SCRIPT, JOB_SCRIPT, cmsgpackJob, load } from './scripting-workloads.mjs';

const requests = Number(process.env.BENCH_REQUESTS ?? 200000);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const PURE_LUA = {
  'arithmetic loop (10M iterations)': 'local s = 0 for i = 1, 10000000 do s = s + i % 7 * 2 end return s',
  'string building (100k pieces)': "local t = {} for i = 1, 100000 do t[#t + 1] = tostring(i) .. ',' end return #table.concat(t)",
  'table inserts (1M)': 'local t = {} for i = 1, 1000000 do t[i] = i end local n = 0 for k, v in pairs(t) do n = n + v end return n',
};

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1' }).trim();
}

function redisBenchmark(port, pipeline, sha) {
  const out = execFileSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '-r', '100000', '--csv', 'evalsha', sha, '1', 'key:__rand_int__'],
    { encoding: 'utf8' },
  );
  const line = out.split('\n').find((l) => l.startsWith('"evalsha'));
  return Number(line.split(',')[1].replace(/"/g, ''));
}

function evalTime(port, script) {
  const started = performance.now();
  cli(port, 'eval', script, '0');
  return performance.now() - started;
}

function largestBullmqScript() {
  const require = createRequire(import.meta.url);
  const dir = new URL('.', `file://${require.resolve('bullmq')}`).pathname.replace(/cjs\/?$/, '') + 'commands';
  let best;
  for (const dirName of [dir, dir.replace('/dist/', '/dist/cjs/')]) {
    try {
      for (const f of readdirSync(dirName)) {
        if (!f.endsWith('.lua')) continue;
        const size = statSync(`${dirName}/${f}`).size;
        if (!best || size > best.size) best = { file: f, size, path: `${dirName}/${f}` };
      }
    } catch {
      // not this layout
    }
  }
  return best;
}

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

const servers = await startServers();
try {
  const rows = [];
  const add = (test, results, unit = 'req/s') => {
    const ours = results.ours;
    const redis = results.redis;
    rows.push({ test, unit, ours: Math.round(ours), redis: redis === undefined ? '-' : Math.round(redis), ratio: redis === undefined ? '-' : (unit === 'ms' ? redis / ours : ours / redis).toFixed(2) });
  };
  const sha = {};
  for (const s of servers) sha[s.name] = cli(s.port, 'script', 'load', GET_SCRIPT);
  for (const pipeline of [1, 16]) {
    const samples = {};
    for (const s of servers) redisBenchmark(s.port, pipeline, sha[s.name]);
    for (let r = 0; r < rounds; r++) for (const s of servers) (samples[s.name] ??= []).push(redisBenchmark(s.port, pipeline, sha[s.name]));
    add(`EVALSHA GET -P ${pipeline}`, Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])));
  }
  for (const pipeline of [1, 16]) {
    const samples = {};
    for (const s of servers) {
      const jobSha = cli(s.port, 'script', 'load', JOB_SCRIPT);
      const request = resp('EVALSHA', jobSha, '1', 'bench:queue', cmsgpackJob);
      await load(s.port, [request], requests / 4, pipeline, clients);
      for (let r = 0; r < rounds; r++) (samples[s.name] ??= []).push((await load(s.port, [request], requests / 2, pipeline, clients)).perSecond);
      cli(s.port, 'flushall');
    }
    add(`BullMQ-shaped script -P ${pipeline}`, Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])));
  }
  for (const [name, script] of Object.entries(PURE_LUA)) {
    const samples = {};
    for (let r = 0; r < rounds; r++) for (const s of servers) (samples[s.name] ??= []).push(evalTime(s.port, script));
    add(`pure Lua: ${name}`, Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])), 'ms');
  }
  const big = largestBullmqScript();
  if (big) {
    const source = readFileSync(big.path, 'latin1');
    const times = {};
    for (const s of servers) {
      const started = performance.now();
      cli(s.port, 'script', 'load', source);
      times[s.name] = performance.now() - started;
    }
    add(`SCRIPT LOAD of BullMQ's ${big.file} (${big.size} bytes, incl. redis-cli start)`, times, 'ms');
  }
  console.log(`${clients} clients, ${requests} requests per figure, median of ${rounds} rounds; ratio > 1 means we are faster`);
  console.table(rows);
} finally {
  stopServers(servers);
}
