// `npm run bench`: redis-benchmark against our server and, in the same run,
// against a redis-server started beside it (when installed); prints requests
// per second and the ratio. A measurement, not a test: it never fails on speed.
//
// Options (environment): BENCH_REQUESTS (default 200000), BENCH_WARMUP (500000 per test
// and depth, unmeasured), BENCH_CLIENTS (50),
// BENCH_TESTS (set,get,lpush,lpop,sadd,hset,zadd), BENCH_PIPELINES ("1 16"), BENCH_ROUNDS (3). Each figure
// is the median of the rounds, the servers taking turns, since a 2-core machine
// shared with redis-benchmark is noisy.
import { execFileSync } from 'node:child_process';
import { have, median, startServers, stopServers } from './servers.mjs';

const requests = Number(process.env.BENCH_REQUESTS ?? 200000);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const tests = process.env.BENCH_TESTS ?? 'set,get,lpush,lpop,sadd,hset,zadd';
const pipelines = (process.env.BENCH_PIPELINES ?? '1 16').split(/\s+/).map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = Number(process.env.BENCH_WARMUP ?? 500000);

/** Runs redis-benchmark and returns { test: requestsPerSecond }. */
function benchmark(port, pipeline, count = requests) {
  const out = execFileSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-n', String(count), '-c', String(clients), '-P', String(pipeline), '-t', tests, '--csv', '-r', '100000'],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const result = {};
  for (const line of out.split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cells.length > 1) result[cells[0]] = Number(cells[1]);
  }
  return result;
}

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

const servers = await startServers();

try {
  const rows = [];
  for (const pipeline of pipelines) {
    // Warm up at this depth first: the JIT compiles the pipelined path only after some
    // hundreds of thousands of commands, and a long-running server is past that point.
    for (const s of servers) benchmark(s.port, pipeline, warmup);
    const samples = {};
    for (let round = 0; round < rounds; round++) {
      for (const s of servers) {
        for (const [test, rps] of Object.entries(benchmark(s.port, pipeline))) {
          ((samples[s.name] ??= {})[test] ??= []).push(rps);
        }
      }
    }
    const results = {};
    for (const [name, tests] of Object.entries(samples)) {
      results[name] = Object.fromEntries(Object.entries(tests).map(([test, values]) => [test, median(values)]));
    }
    for (const test of Object.keys(results.ours)) {
      const ours = results.ours[test];
      const redis = results.redis?.[test];
      rows.push({
        test,
        pipeline,
        'ours req/s': Math.round(ours),
        'redis req/s': redis ? Math.round(redis) : '-',
        ratio: redis ? (ours / redis).toFixed(2) : '-',
      });
    }
  }
  console.log(`redis-benchmark -n ${requests} -c ${clients} -r 100000 after ${warmup} warm-up requests, median of ${rounds} rounds`);
  console.table(rows);
} finally {
  stopServers(servers);
}
