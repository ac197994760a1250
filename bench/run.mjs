// `npm run bench`: redis-benchmark against our server and, in the same run,
// against a redis-server started beside it (when installed). For every workload it
// prints requests per second, p50/p99 latency and the server's CPU time per request
// (utime + stime of /proc/PID/stat over the run: steadier than throughput, which the
// benchmark client on the same cores caps), with ratios to redis-server. A measurement,
// not a test: it never fails on speed.
//
// Workloads: redis-benchmark's own tests (-t), SET and GET again as a user restricted
// to ~key:* +@read +@write (to show what the ACL check costs), and the commands of
// COMMANDS below, each run as a redis-benchmark custom command after a setup that gives
// both servers the same data (a Lua script, which both run alike).
//
// Time-based: an unmeasured warm-up of BENCH_WARMUP requests per workload and depth (the
// JIT compiles the pipelined path only after some hundreds of thousands of commands, and a
// long-running server is past that point) also gives each server's rate, from which every
// measured round sends about BENCH_SECONDS' worth. BENCH_ROUNDS rounds, the servers taking
// turns; each figure is the median of the rounds.
//
// Options (environment): BENCH_SECONDS (2), BENCH_WARMUP (100000), BENCH_ROUNDS (3),
// BENCH_CLIENTS (50), BENCH_PIPELINES ("1 16"), BENCH_TESTS (set,get,lpush,lpop,sadd,hset,zadd;
// "none" for none), BENCH_COMMANDS (names from COMMANDS, default all; "none" for none),
// BENCH_ACL (0 skips the restricted user's rows), BENCH_SAVE=1 (also writes the tables to
// bench/results/throughput.json and acl.json for the README's chart, bench/chart.mjs).
import { execFileSync } from 'node:child_process';
import { cpuMicros, have, median, saveRows, startServers, stopServers } from './servers.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const warmup = Number(process.env.BENCH_WARMUP ?? 100000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const pipelines = (process.env.BENCH_PIPELINES ?? '1 16').split(/\s+/).map(Number);
const tests = process.env.BENCH_TESTS ?? 'set,get,lpush,lpop,sadd,hset,zadd';
const aclRows = process.env.BENCH_ACL !== '0';

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

const RESTRICTED = ['ACL', 'SETUSER', 'bench', 'on', '>bench', '~key:*', '+@read', '+@write'];
const restrictedName = (test) => `${test} (ACL user ~key:* +@read +@write)`;

/** Every workload: its name, the redis-benchmark arguments that run it, and the setup (a custom command's) before each run. */
const workloads = [
  ...(tests === 'none' ? [] : tests.split(',')).map((t) => ({ name: t.toUpperCase(), group: t.toUpperCase(), args: ['-t', t] })),
  ...(aclRows ? ['set', 'get'] : []).map((t) => ({ name: restrictedName(t.toUpperCase()), group: t.toUpperCase(), args: ['--user', 'bench', '-a', 'bench', '-t', t] })),
  ...COMMANDS.filter((c) => wantedCommands.some((w) => c.name.toUpperCase().startsWith(w))).map((c) => ({
    name: c.name,
    group: c.name,
    args: c.command,
    setup: c.setup,
    random: c.random,
  })),
];

/** One redis-benchmark run of `count` requests of a workload: { rps, p50, p99 (ms), cpu (server µs per request) }. */
function run(server, pipeline, count, workload) {
  if (workload.setup !== undefined) {
    const [script, keys, ...args] = workload.setup;
    execFileSync('redis-cli', ['-p', String(server.port), 'EVAL', script, String(keys.length), ...keys, ...args.map((a) => (a === 'count' ? String(count) : a))]);
  }
  const random = workload.random === 'count' ? count : 100000;
  const before = cpuMicros(server.proc.pid);
  const out = execFileSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(server.port), '-n', String(count), '-c', String(clients), '-P', String(pipeline), '--csv', '-r', String(random), ...workload.args],
    // stderr dropped: a restricted user cannot read CONFIG, and redis-benchmark warns about it.
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const after = cpuMicros(server.proc.pid);
  const [header, line] = out.trim().split('\n').map((l) => l.split(',').map((c) => c.replace(/"/g, '')));
  const column = (name) => Number(line[header.indexOf(name)]);
  const cpu = (after.user + after.system - before.user - before.system) / count;
  return { rps: column('rps'), p50: column('p50_latency_ms'), p99: column('p99_latency_ms'), cpu };
}

const geomean = (values) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const latency = (figures) => `${figures.p50.toFixed(2)} / ${figures.p99.toFixed(2)}`;

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

const servers = await startServers();
if (aclRows) for (const s of servers) execFileSync('redis-cli', ['-p', String(s.port), ...RESTRICTED]);

try {
  const rows = [];
  const aclRatios = [];
  const summary = [];
  for (const pipeline of pipelines) {
    const results = {};
    // A workload and its restricted-user twin are measured in the same rounds, in turns whose
    // order flips every round, so that their ratio is not the order's (the first SET also creates keys).
    for (const group of new Set(workloads.map((w) => w.group))) {
      const members = workloads.filter((w) => w.group === group);
      const counts = new Map();
      for (const w of members) for (const s of servers) counts.set(`${w.name}|${s.name}`, Math.max(10000, Math.round(run(s, pipeline, warmup, w).rps * seconds)));
      const samples = new Map();
      for (let round = 0; round < rounds; round++) {
        for (const s of servers) {
          for (const w of round % 2 === 0 ? members : [...members].reverse()) {
            const key = `${w.name}|${s.name}`;
            (samples.get(key) ?? samples.set(key, []).get(key)).push(run(s, pipeline, counts.get(key), w));
          }
        }
      }
      for (const w of members) {
        for (const s of servers) {
          const taken = samples.get(`${w.name}|${s.name}`);
          const middle = (key) => median(taken.map((x) => x[key]));
          (results[s.name] ??= {})[w.name] = { rps: middle('rps'), p50: middle('p50'), p99: middle('p99'), cpu: middle('cpu') };
        }
      }
    }
    const throughputRatios = [];
    const cpuRatios = [];
    for (const workload of workloads) {
      const ours = results.ours[workload.name];
      const redis = results.redis?.[workload.name];
      if (redis) {
        throughputRatios.push(ours.rps / redis.rps);
        cpuRatios.push(redis.cpu / ours.cpu);
      }
      rows.push({
        test: workload.name,
        pipeline,
        'ours req/s': Math.round(ours.rps),
        'redis req/s': redis ? Math.round(redis.rps) : '-',
        ratio: redis ? (ours.rps / redis.rps).toFixed(2) : '-',
        'ours CPU µs/req': ours.cpu.toFixed(2),
        'redis CPU µs/req': redis ? redis.cpu.toFixed(2) : '-',
        'CPU efficiency': redis ? (redis.cpu / ours.cpu).toFixed(2) : '-',
        'ours p50/p99 ms': latency(ours),
        'redis p50/p99 ms': redis ? latency(redis) : '-',
      });
    }
    if (results.redis) {
      summary.push({ pipeline, 'throughput ratio (geomean)': geomean(throughputRatios).toFixed(2), 'CPU efficiency (geomean)': geomean(cpuRatios).toFixed(2) });
    }
    if (aclRows) {
      for (const test of ['SET', 'GET'].filter((t) => results.ours[t] !== undefined)) {
        const ratios = Object.entries(results).flatMap(([name, byTest]) => [
          [`${name}: req/s restricted / default`, (byTest[restrictedName(test)].rps / byTest[test].rps).toFixed(2)],
          [`${name}: CPU µs/req restricted / default`, (byTest[restrictedName(test)].cpu / byTest[test].cpu).toFixed(2)],
        ]);
        aclRatios.push({ test, pipeline, ...Object.fromEntries(ratios) });
      }
    }
  }
  const description = `redis-benchmark -c ${clients} -r 100000, about ${seconds} s per run after ${warmup} warm-up requests, median of ${rounds} rounds; CPU efficiency is redis-server's CPU time per request over ours (above 1: we spend less)`;
  console.log(description);
  console.table(rows);
  if (summary.length > 0) console.table(summary);
  if (aclRows) {
    console.log('The ACL check: the restricted user\'s requests per second and CPU per request over the default user\'s');
    console.table(aclRatios);
    saveRows('acl', aclRatios, `${description}; ratios of the medians`);
  }
  saveRows('throughput', rows, description, summary);
} finally {
  stopServers(servers);
}
