// `npm run bench:replication`: what replication costs and how fast a full sync is,
// ours and redis-server's in the same run (issue #15's figures).
//   - Write throughput of a master with 2 replicas attached, as a ratio to the same
//     master without replicas: redis-benchmark SET (-r 100000), BENCH_ROUNDS rounds of
//     about BENCH_SECONDS each, alternating without and with replicas (detached with
//     REPLICAOF NO ONE in between), for ours (replicas of ours) and for redis-server
//     (replicas of redis-server), with the master's own CPU per request, since the
//     replicas share the machine's cores.
//   - A full sync of BENCH_KEYS keys (DEBUG POPULATE, 100-byte values): the time from
//     REPLICAOF on an empty replica to its link being up with every key loaded, for
//     each pairing of master and replica (redis→redis, ours→redis, redis→ours, ours→ours),
//     disk-based and disk-less (repl-diskless-sync).
// A measurement, not a test. Options: BENCH_SECONDS (3), BENCH_ROUNDS (3), BENCH_PIPELINES
// ("1 16"), BENCH_KEYS (1000000), BENCH_SAVE=1 (bench/results/replication.json).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, info, sleep } from './control.mjs';
import { cpuMicros, have, median, saveRows, startServer, stopServers } from './servers.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const pipelines = (process.env.BENCH_PIPELINES ?? '1 16').split(/\s+/).map(Number);
const keys = Number(process.env.BENCH_KEYS ?? 1_000_000);

for (const tool of ['redis-server', 'redis-benchmark']) {
  if (!have(tool)) {
    console.error(`${tool} not found: apt-get install redis-server redis-tools`);
    process.exit(1);
  }
}

const dirs = [];
/** A server of `kind` with a directory of its own: a replica writes the RDB it receives there, as a disk-based master does. */
function server(kind, args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-repl-'));
  dirs.push(dir);
  return startServer(kind, ['--dir', dir, ...args]);
}

/**
 * SET against `master` for about `seconds` (the count from a short first run): { rps, cpu }, cpu being
 * the master's own CPU time per request in µs (the replicas' is theirs), steadier than throughput here,
 * where the replicas take turns with the master on the same cores.
 */
function setRate(master, pipeline) {
  const run = (count) => {
    const out = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(master.port), '-n', String(count), '-c', '50', '-P', String(pipeline), '-r', '100000', '-t', 'set', '--csv'], { encoding: 'utf8' });
    return Number(out.trim().split('\n')[1].split(',')[1].replace(/"/g, ''));
  };
  const count = Math.max(10000, Math.round(run(20000) * seconds));
  const before = cpuMicros(master.proc.pid);
  const rps = run(count);
  const after = cpuMicros(master.proc.pid);
  return { rps, cpu: (after.user + after.system - before.user - before.system) / count };
}

/** Waits until `conn`'s INFO replication satisfies `done`; resolves with the ms it took. */
async function until(conn, done, timeoutMs) {
  const started = performance.now();
  for (;;) {
    const fields = await info(conn, 'replication', 5000);
    if (done(fields)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`replication not done after ${timeoutMs} ms: ${JSON.stringify(fields)}`);
    await sleep(20);
  }
}

const replicate = (conn, master) => conn.call('REPLICAOF', '127.0.0.1', String(master.port));

async function throughput(kind) {
  const master = await server(kind, ['--repl-diskless-sync-delay', '0']);
  const replicas = [await server(kind), await server(kind)];
  const m = await connect(master.port);
  const r = await Promise.all(replicas.map((x) => connect(x.port)));
  const rows = [];
  try {
    for (const pipeline of pipelines) {
      const alone = [];
      const attached = [];
      for (let round = 0; round < rounds; round++) {
        alone.push(setRate(master, pipeline));
        await Promise.all(r.map((c) => replicate(c, master)));
        await until(m, (f) => f.connected_slaves === '2' && [0, 1].every((i) => /state=online/.test(f[`slave${i}`] ?? '')), 60000);
        attached.push(setRate(master, pipeline));
        await Promise.all(r.map((c) => c.call('REPLICAOF', 'NO', 'ONE')));
        await until(m, (f) => f.connected_slaves === '0', 10000);
      }
      const middle = (samples, key) => median(samples.map((x) => x[key]));
      const [without, withReplicas] = [middle(alone, 'rps'), middle(attached, 'rps')];
      const [cpuAlone, cpuAttached] = [middle(alone, 'cpu'), middle(attached, 'cpu')];
      console.error(`${kind} -P ${pipeline}: ${Math.round(without)} req/s alone, ${Math.round(withReplicas)} with 2 replicas`);
      rows.push({
        server: kind,
        pipeline,
        'SET req/s, no replicas': Math.round(without),
        'SET req/s, 2 replicas': Math.round(withReplicas),
        ratio: (withReplicas / without).toFixed(2),
        'master CPU µs/req, no replicas': cpuAlone.toFixed(2),
        'master CPU µs/req, 2 replicas': cpuAttached.toFixed(2),
        'CPU ratio': (cpuAlone / cpuAttached).toFixed(2),
      });
    }
  } finally {
    m.close();
    r.forEach((c) => c.close());
    stopServers([master, ...replicas]);
  }
  return rows;
}

async function fullSync(masterKind, replicaKind, diskless) {
  const master = await server(masterKind, ['--enable-debug-command', 'yes', '--repl-diskless-sync', diskless ? 'yes' : 'no', '--repl-diskless-sync-delay', '0']);
  const replica = await server(replicaKind);
  const m = await connect(master.port);
  const r = await connect(replica.port);
  try {
    const populated = await m.call('DEBUG', 'POPULATE', String(keys), 'key', '100');
    if (populated instanceof Error) throw populated;
    await replicate(r, master);
    const ms = await until(r, (f) => f.master_link_status === 'up', 600000);
    const size = await r.call('DBSIZE');
    console.error(`full sync ${masterKind} -> ${replicaKind} (${diskless ? 'disk-less' : 'disk'}): ${(ms / 1000).toFixed(2)} s`);
    return { master: masterKind, replica: replicaKind, transfer: diskless ? 'disk-less' : 'disk', keys: size, 'full sync s': (ms / 1000).toFixed(2) };
  } finally {
    m.close();
    r.close();
    stopServers([master, replica]);
  }
}

const throughputRows = [];
const syncRows = [];
try {
  throughputRows.push(...(await throughput('ours')), ...(await throughput('redis')));
  for (const diskless of [false, true]) {
    for (const [masterKind, replicaKind] of [['redis', 'redis'], ['ours', 'redis'], ['redis', 'ours'], ['ours', 'ours']]) {
      syncRows.push(await fullSync(masterKind, replicaKind, diskless));
    }
  }
} finally {
  // Let the stopped servers finish writing before their directories go.
  await sleep(500);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
const description = `SET with -c 50 -r 100000, about ${seconds} s per run, median of ${rounds} rounds; full sync of ${keys} keys of 100 bytes`;
console.log(description);
console.table(throughputRows);
console.table(syncRows);
saveRows('replication', [...throughputRows, ...syncRows], description);
