// `npm run bench`: redis-benchmark against our server and, in the same run,
// against a redis-server started beside it (when installed); prints requests
// per second and the ratio. A measurement, not a test: it never fails on speed.
//
// Two kinds of rows: redis-benchmark's own tests (-t), and the commands of
// COMMANDS below, each run as a redis-benchmark custom command after a setup
// that gives both servers the same data (a Lua script, which both run alike).
//
// Options (environment): BENCH_REQUESTS (default 200000), BENCH_WARMUP (500000 per test
// and depth, unmeasured), BENCH_CLIENTS (50),
// BENCH_TESTS (set,get,lpush,lpop,sadd,hset,zadd), BENCH_COMMANDS (names from COMMANDS,
// default all; "none" for none), BENCH_ACL (1: SET and GET again as a user restricted to
// ~key:* +@read +@write, to compare with the default user's rows, printed as ratios in a table
// of their own; 0 to skip), BENCH_PIPELINES ("1 16"), BENCH_ROUNDS (3). Each figure
// is the median of the rounds, the servers taking turns, since a 2-core machine
// shared with redis-benchmark is noisy. BENCH_SAVE=1 also writes the table to
// bench/results/throughput.json for the README's chart (bench/chart.mjs).
import { execFileSync } from 'node:child_process';
import { have, median, saveRows, startServers, stopServers } from './servers.mjs';

const requests = Number(process.env.BENCH_REQUESTS ?? 200000);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const tests = process.env.BENCH_TESTS ?? 'set,get,lpush,lpop,sadd,hset,zadd';
const pipelines = (process.env.BENCH_PIPELINES ?? '1 16').split(/\s+/).map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = Number(process.env.BENCH_WARMUP ?? 500000);

/** `count` stream entries with IDs 1-0, 2-0, ... and one small field each. */
const FILL_STREAM = "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-0', 'f', 'v') end";

/**
 * Custom commands: `setup` (a Lua script, its keys, then its arguments: `count` is
 * the number of requests the round will send) runs before every round, since
 * some of these commands consume what the setup made.
 */
const COMMANDS = [
  { name: 'XADD', setup: ["redis.call('DEL', KEYS[1])", ['bench:xadd']], command: ['XADD', 'bench:xadd', '*', 'field', 'value'] },
  {
    name: 'XRANGE (10 entries)',
    setup: [`redis.call('DEL', KEYS[1]) ${FILL_STREAM}`, ['bench:xrange'], '1000'],
    command: ['XRANGE', 'bench:xrange', '-', '+', 'COUNT', '10'],
  },
  {
    name: 'XREADGROUP (COUNT 1)',
    setup: [`redis.call('DEL', KEYS[1]) ${FILL_STREAM} redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0')`, ['bench:group'], 'count'],
    command: ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'bench:group', '>'],
  },
  {
    // Every entry delivered and pending; random IDs ack about two thirds of them over the round.
    name: 'XACK',
    setup: [
      `redis.call('DEL', KEYS[1]) ${FILL_STREAM} redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0') redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', KEYS[1], '>')`,
      ['bench:ack'],
      'count',
    ],
    command: ['XACK', 'bench:ack', 'g', '__rand_int__-0'],
    random: 'count',
  },
  // A random element each: the sketch turns dense early in the round, as any busy one does.
  { name: 'PFADD', setup: ["redis.call('DEL', KEYS[1])", ['bench:hll']], command: ['PFADD', 'bench:hll', 'e:__rand_int__'] },
  {
    // The union of two dense sketches: every register of both read, nothing cached.
    name: 'PFCOUNT (2 dense keys)',
    setup: [
      "redis.call('DEL', KEYS[1], KEYS[2]) for i = 1, 5000 do redis.call('PFADD', KEYS[1], 'a' .. i) redis.call('PFADD', KEYS[2], 'b' .. i) end",
      ['bench:hll1', 'bench:hll2'],
    ],
    command: ['PFCOUNT', 'bench:hll1', 'bench:hll2'],
  },
  // The digits of __rand_int__ after the point: random positions within a degree of Palermo.
  { name: 'GEOADD', setup: ["redis.call('DEL', KEYS[1])", ['bench:geoadd']], command: ['GEOADD', 'bench:geoadd', '13.__rand_int__', '38.__rand_int__', 'm:__rand_int__'] },
  {
    // 1000 points on a grid of a degree square; the circle holds about 30 of them.
    name: 'GEOSEARCH (10 km, ~30 found, WITHDIST ASC)',
    setup: [
      "redis.call('DEL', KEYS[1]) for i = 0, 999 do redis.call('GEOADD', KEYS[1], 13 + (i % 32) / 32, 38 + math.floor(i / 32) / 32, 'p' .. i) end",
      ['bench:geosearch'],
    ],
    command: ['GEOSEARCH', 'bench:geosearch', 'FROMLONLAT', '13.5', '38.5', 'BYRADIUS', '10', 'km', 'ASC', 'WITHDIST'],
  },
  {
    // Fixed offsets: __rand_int__ is zero-padded, which an integer argument refuses.
    name: 'BITFIELD (SET u8, GET i16, INCRBY i32 SAT)',
    setup: ["redis.call('DEL', KEYS[1]) redis.call('SETBIT', KEYS[1], 100000, 0)", ['bench:bitfield']],
    command: ['BITFIELD', 'bench:bitfield', 'SET', 'u8', '#100', '255', 'GET', 'i16', '1003', 'OVERFLOW', 'SAT', 'INCRBY', 'i32', '50000', '7'],
  },
];
const wantedCommands = (process.env.BENCH_COMMANDS ?? COMMANDS.map((c) => c.name).join(',')).split(',').map((n) => n.trim().toUpperCase());
const commands = COMMANDS.filter((c) => wantedCommands.some((w) => c.name.toUpperCase().startsWith(w)));

/** Runs redis-benchmark with `extra` arguments (-t tests, or a custom command) and returns { test: requestsPerSecond }. */
function benchmark(port, pipeline, count, extra, random = 100000) {
  const out = execFileSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-n', String(count), '-c', String(clients), '-P', String(pipeline), '--csv', '-r', String(random), ...extra],
    // stderr dropped: a restricted user cannot read CONFIG, and redis-benchmark warns about it.
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const result = {};
  for (const line of out.split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cells.length > 1) result[cells[0]] = Number(cells[1]);
  }
  return result;
}

const standardTests = (port, pipeline, count) => (tests === 'none' ? {} : benchmark(port, pipeline, count, ['-t', tests]));

/** One custom command's round: its setup, then its requests; { name: requestsPerSecond }. */
function customCommand(port, pipeline, count, spec) {
  const [script, keys, ...args] = spec.setup;
  execFileSync('redis-cli', ['-p', String(port), 'EVAL', script, String(keys.length), ...keys, ...args.map((a) => (a === 'count' ? String(count) : a))]);
  const [rps] = Object.values(benchmark(port, pipeline, count, spec.command, spec.random === 'count' ? count : 100000));
  return { [spec.name]: rps };
}

const aclRows = process.env.BENCH_ACL !== '0';
const RESTRICTED = ['ACL', 'SETUSER', 'bench', 'on', '>bench', '~key:*', '+@read', '+@write'];

const restrictedName = (test) => `${test} (ACL user ~key:* +@read +@write)`;

/** SET and GET as the restricted user, named apart from the default user's rows. */
function restrictedUser(port, pipeline, count) {
  const rows = benchmark(port, pipeline, count, ['--user', 'bench', '-a', 'bench', '-t', 'set,get']);
  return Object.fromEntries(Object.entries(rows).map(([test, rps]) => [restrictedName(test), rps]));
}

/** What the ACL check costs each server: the restricted user's SET and GET against the default user's, measured back to back. */
function aclCost(results, pipeline) {
  return ['SET', 'GET'].map((test) => ({
    test,
    pipeline,
    ...Object.fromEntries(Object.entries(results).map(([name, byTest]) => [`${name}: restricted / default`, (byTest[restrictedName(test)] / byTest[test]).toFixed(2)])),
  }));
}

function measure(port, pipeline, count) {
  const result = standardTests(port, pipeline, count);
  if (aclRows) Object.assign(result, restrictedUser(port, pipeline, count));
  for (const spec of commands) Object.assign(result, customCommand(port, pipeline, count, spec));
  return result;
}

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

const servers = await startServers();
if (aclRows) for (const s of servers) execFileSync('redis-cli', ['-p', String(s.port), ...RESTRICTED]);

try {
  const rows = [];
  const aclRatios = [];
  for (const pipeline of pipelines) {
    // Warm up at this depth first: the JIT compiles the pipelined path only after some
    // hundreds of thousands of commands, and a long-running server is past that point.
    for (const s of servers) measure(s.port, pipeline, warmup);
    const samples = {};
    for (let round = 0; round < rounds; round++) {
      for (const s of servers) {
        for (const [test, rps] of Object.entries(measure(s.port, pipeline, requests))) {
          ((samples[s.name] ??= {})[test] ??= []).push(rps);
        }
      }
    }
    const results = {};
    for (const [name, tests] of Object.entries(samples)) {
      results[name] = Object.fromEntries(Object.entries(tests).map(([test, values]) => [test, median(values)]));
    }
    if (aclRows) aclRatios.push(...aclCost(results, pipeline));
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
  const description = `redis-benchmark -n ${requests} -c ${clients} -r 100000 after ${warmup} warm-up requests, median of ${rounds} rounds`;
  console.log(description);
  console.table(rows);
  if (aclRows) {
    console.log('The ACL check: requests per second as the restricted user over those as the default user');
    console.table(aclRatios);
    saveRows('acl', aclRatios, `${description}; ratios of the medians`);
  }
  saveRows('throughput', rows, description);
} finally {
  stopServers(servers);
}
