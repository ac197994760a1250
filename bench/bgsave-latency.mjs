// `npm run bench:bgsave`: client latency while a background save runs, against the same
// server idle, ours and redis-server's in the same run (issue #17 asks for the p99 during
// BGSAVE to stay within 2x of the idle p99). Each server gets BENCH_KEYS keys (default
// 1000000, DEBUG POPULATE, 100-byte values); then redis-benchmark GET and SET (-c 50,
// without pipelining, random keys) runs for about BENCH_SECONDS (5) idle, and again while
// BGSAVE is started over and over so that a save is under way for the whole run.
// A measurement, not a test. BENCH_SAVE=1 keeps the table as bench/results/bgsave.json.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, info, sleep } from './control.mjs';
import { have, saveRows, startServer, stopServers } from './servers.mjs';

const keys = Number(process.env.BENCH_KEYS ?? 1_000_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const run = promisify(execFile);

for (const tool of ['redis-server', 'redis-benchmark']) {
  if (!have(tool)) {
    console.error(`${tool} not found: apt-get install redis-server redis-tools`);
    process.exit(1);
  }
}

/** redis-benchmark of `test` for `count` requests: { rps, p50, p99 } (ms). */
async function benchmark(port, test, count) {
  const { stdout } = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', String(count), '-c', '50', '-r', String(keys), '-t', test, '--csv']);
  const [header, line] = stdout.trim().split('\n').map((l) => l.split(',').map((c) => c.replace(/"/g, '')));
  const column = (name) => Number(line[header.indexOf(name)]);
  return { rps: column('rps'), p50: column('p50_latency_ms'), p99: column('p99_latency_ms') };
}

/** Keeps a BGSAVE under way until `stop()` is true; resolves with the number of saves started. */
async function keepSaving(conn, stop) {
  let saves = 0;
  while (!stop()) {
    if ((await info(conn, 'persistence', 5000)).rdb_bgsave_in_progress === '0') {
      const reply = await conn.call('BGSAVE');
      if (!(reply instanceof Error)) saves++;
    }
    await sleep(10);
  }
  return saves;
}

const rows = [];
const dirs = [];
try {
  for (const kind of ['ours', 'redis']) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-bgsave-'));
    dirs.push(dir);
    const server = await startServer(kind, ['--dir', dir, '--enable-debug-command', 'yes']);
    const conn = await connect(server.port);
    try {
      const populated = await conn.call('DEBUG', 'POPULATE', String(keys), 'key', '100');
      if (populated instanceof Error) throw populated;
      for (const test of ['get', 'set']) {
        const count = Math.max(10000, Math.round((await benchmark(server.port, test, 20000)).rps * seconds));
        const idle = await benchmark(server.port, test, count);
        let done = false;
        const saving = keepSaving(conn, () => done);
        await sleep(100);
        const during = await benchmark(server.port, test, count).finally(() => (done = true));
        const saves = await saving;
        while ((await info(conn, 'persistence', 5000)).rdb_bgsave_in_progress !== '0') await sleep(50);
        rows.push({
          server: kind,
          test: test.toUpperCase(),
          'idle p50/p99 ms': `${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)}`,
          'during BGSAVE p50/p99 ms': `${during.p50.toFixed(2)} / ${during.p99.toFixed(2)}`,
          'p99 ratio': (during.p99 / idle.p99).toFixed(1),
          'req/s idle': Math.round(idle.rps),
          'req/s during': Math.round(during.rps),
          saves,
        });
        console.error(rows.at(-1));
      }
    } finally {
      conn.close();
      stopServers([server]);
    }
  }
  const description = `redis-benchmark -c 50 -r ${keys}, about ${seconds} s idle and ${seconds} s during back-to-back BGSAVEs of ${keys} keys`;
  console.log(description);
  console.table(rows);
  saveRows('bgsave', rows, description);
} finally {
  await sleep(500);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
