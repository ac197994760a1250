// `npm run bench:maxmemory`: does the server stay inside its memory limit?
// Each server (ours, then redis-server; one at a time, so they don't compete
// for the CPUs) starts with `--maxmemory 50mb --maxmemory-policy allkeys-lru`
// and takes SETs of random keys (redis-benchmark -t set -r 10000000 -P 16)
// for BENCH_SECONDS, with values of mixed sizes: one redis-benchmark process
// per size in BENCH_SIZES, in parallel, sharing BENCH_CLIENTS connections.
// Every second it samples INFO memory used_memory and maxmemory, INFO stats
// evicted_keys, DBSIZE and the process's RSS (/proc/<pid>/status), and prints
// them per server, then a summary: the largest used_memory/maxmemory ratio,
// the largest RSS and SETs per second (INFO commandstats).
// If a server's RSS passes BENCH_RSS_LIMIT_MB the load stops early, and the
// summary says so: a server that does not evict is an observation, not a crash.
// A measurement, not a test: it never fails on the numbers.
//
// Options (environment): BENCH_SECONDS (default 30), BENCH_MAXMEMORY (50mb),
// BENCH_POLICY (allkeys-lru), BENCH_SIZES ("32 512 4096"), BENCH_CLIENTS (50),
// BENCH_PIPELINE (16), BENCH_RSS_LIMIT_MB (1536).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, info, rss, sleep } from './control.mjs';
import { have, startServers, stopServers } from './servers.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const maxmemory = process.env.BENCH_MAXMEMORY ?? '50mb';
const policy = process.env.BENCH_POLICY ?? 'allkeys-lru';
const sizes = (process.env.BENCH_SIZES ?? '32 512 4096').split(/[\s,]+/).filter(Boolean).map(Number);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const pipeline = Number(process.env.BENCH_PIPELINE ?? 16);
const rssLimit = Number(process.env.BENCH_RSS_LIMIT_MB ?? 1536) * 1048576;
const SAMPLE_TIMEOUT_MS = 5000;

const mb = (bytes) => (bytes === undefined ? '-' : (bytes / 1048576).toFixed(1));

const alive = (proc) => proc.exitCode === null && proc.signalCode === null;

/** SET calls so far, from INFO commandstats. */
async function setCalls(conn, timeoutMs) {
  const stat = (await info(conn, 'commandstats', timeoutMs)).cmdstat_set;
  return stat ? Number(/calls=(\d+)/.exec(stat)[1]) : undefined;
}

/** Loads one server for `seconds`; returns its per-second rows and the summary row. */
async function run(s) {
  const conn = await connect(s.port);
  const setsBefore = (await setCalls(conn, SAMPLE_TIMEOUT_MS)) ?? 0;
  const perProcess = Math.max(1, Math.round(clients / sizes.length));
  const benchmarks = sizes.map((size) =>
    spawn(
      'redis-benchmark',
      ['-h', '127.0.0.1', '-p', String(s.port), '-t', 'set', '-r', '10000000', '-d', String(size),
        '-n', '1000000000', '-c', String(perProcess), '-P', String(pipeline), '-q'],
      { stdio: 'ignore' },
    ),
  );
  const started = performance.now();
  let stoppedEarly = '';
  let peakRss = 0;
  const watch = () => {
    const now = rss(s.proc.pid);
    if (now !== undefined) peakRss = Math.max(peakRss, now);
    if (!alive(s.proc)) stoppedEarly ||= `server exited (${s.proc.exitCode ?? s.proc.signalCode})`;
    else if (now > rssLimit) stoppedEarly ||= `RSS passed ${mb(rssLimit)} MB`;
    if (stoppedEarly) for (const b of benchmarks) if (alive(b)) b.kill('SIGTERM');
  };
  const guard = setInterval(watch, 200);

  const rows = [];
  let limit;
  let maxRatio = 0;
  let evicted;
  let keys;
  try {
    for (let second = 1; second <= seconds && !stoppedEarly; second++) {
      while (performance.now() - started < second * 1000 && !stoppedEarly) await sleep(50);
      if (stoppedEarly) break;
      const sampleRss = rss(s.proc.pid);
      const [memory, stats, dbsize] = await Promise.all([
        info(conn, 'memory', SAMPLE_TIMEOUT_MS),
        info(conn, 'stats', SAMPLE_TIMEOUT_MS),
        conn.call(SAMPLE_TIMEOUT_MS, 'DBSIZE'),
      ]);
      const used = memory.used_memory === undefined ? undefined : Number(memory.used_memory);
      if (memory.maxmemory !== undefined) limit = Number(memory.maxmemory);
      if (used !== undefined && limit) maxRatio = Math.max(maxRatio, used / limit);
      if (stats.evicted_keys !== undefined) evicted = Number(stats.evicted_keys);
      if (typeof dbsize === 'number') keys = dbsize;
      rows.push({
        second: ((performance.now() - started) / 1000).toFixed(1),
        'used_memory MB': mb(used),
        'RSS MB': mb(sampleRss),
        evicted_keys: stats.evicted_keys ?? '-',
        keys: typeof dbsize === 'number' ? dbsize : '-',
      });
    }
  } finally {
    clearInterval(guard);
    watch();
    const exited = benchmarks.filter(alive).map((b) => once(b, 'exit'));
    for (const b of benchmarks) if (alive(b)) b.kill('SIGTERM');
    await Promise.all(exited);
  }
  const elapsed = (performance.now() - started) / 1000;
  // The server may still be working through what it had buffered: give it time.
  const setsAfter = alive(s.proc) ? await setCalls(conn, 60_000) : undefined;
  conn.close();
  return {
    rows,
    summary: {
      server: s.name,
      seconds: elapsed.toFixed(1),
      'maxmemory MB': mb(limit),
      'max used_memory/maxmemory': limit ? maxRatio.toFixed(3) : '-',
      'max RSS MB': mb(peakRss),
      'last keys': keys ?? '-',
      'last evicted_keys': evicted ?? '-',
      'SETs/s': setsAfter === undefined ? '-' : Math.round((setsAfter - setsBefore) / elapsed),
      note: stoppedEarly ? `stopped early: ${stoppedEarly}` : '',
    },
  };
}

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

const servers = await startServers(['--maxmemory', maxmemory, '--maxmemory-policy', policy]);
const summaries = [];
try {
  for (const s of servers) {
    try {
      const { rows, summary } = await run(s);
      console.log(`${s.name}: --maxmemory ${maxmemory} --maxmemory-policy ${policy}, SET -r 10000000 -P ${pipeline}, values of ${sizes.join('/')} bytes`);
      console.table(rows);
      if (summary.note) console.log(`${s.name}: ${summary.note}`);
      summaries.push(summary);
    } finally {
      // Free this server's memory before the next one runs.
      const exited = alive(s.proc) ? once(s.proc, 'exit') : undefined;
      stopServers([s]);
      await exited;
    }
  }
  console.table(summaries);
} finally {
  stopServers(servers.filter((s) => alive(s.proc)));
}
