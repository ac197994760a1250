// `npm run bench:rdb-load`: how long loading a dump.rdb takes, with Redis's deep payload
// checks (sanitize-dump-payload yes) and without (no), ours and redis-server's, from the
// same file. redis-server writes it: BENCH_KEYS keys (default 1000000), 70% strings of
// 100 bytes (DEBUG POPULATE) and 10% each of small hashes, sorted sets and lists (5
// elements, listpack-encoded, which is where the deep checks have work to do). Each figure
// is the "DB loaded from disk" time the server logs, the median of BENCH_ROUNDS (3).
// A measurement, not a test. BENCH_SAVE=1 keeps the table as bench/results/rdb-load.json.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from './control.mjs';
import { have, median, saveRows, startServer, stopServers } from './servers.mjs';
import { freePort, MAIN, SERVER_NODE_FLAGS } from '../test/helpers.mjs';

const keys = Number(process.env.BENCH_KEYS ?? 1_000_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

if (!have('redis-server')) {
  console.error('redis-server not found: apt-get install redis-server');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'bench-rdb-load-'));
const FILL = `
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('HSET', 'h:' .. i, 'name', 'user' .. i, 'email', 'u' .. i .. '@example.com', 'age', i % 90, 'city', 'Palermo', 'plan', 'free')
  redis.call('ZADD', 'z:' .. i, 1, 'alice', 2, 'bob', 3, 'carol', 4, 'dave', i % 100, 'eve')
  redis.call('RPUSH', 'l:' .. i, 'job:0001', 'job:0002', 'job:0003', 'job:0004', 'job:' .. i)
end`;

/** Writes dir/dump.rdb with redis-server. */
async function writeDataset() {
  const writer = await startServer('redis', ['--dir', dir, '--enable-debug-command', 'yes', '--lua-time-limit', '0']);
  const conn = await connect(writer.port);
  try {
    const each = Math.round(keys * 0.1);
    const steps = [['DEBUG', 'POPULATE', String(keys - 3 * each), 'key', '100']];
    for (let from = 0; from < each; from += 10000) steps.push(['EVAL', FILL.replace("for i = 1, n", `for i = ${from + 1}, ${from} + n`), '0', String(Math.min(10000, each - from))]);
    for (const step of steps) {
      const reply = await conn.call(...step);
      if (reply instanceof Error) throw reply;
    }
    console.error(`dataset: ${await conn.call('DBSIZE')} keys`);
    await conn.call('SAVE');
  } finally {
    conn.close();
    stopServers([writer]);
  }
}

/** Starts `kind` on a copy of the dataset with sanitize-dump-payload `sanitize`; resolves with the load time it logs, in s. */
async function loadTime(kind, sanitize) {
  const own = mkdtempSync(join(dir, `${kind}-`));
  copyFileSync(join(dir, 'dump.rdb'), join(own, 'dump.rdb'));
  const port = await freePort();
  const args = ['--port', String(port), '--dir', own, '--save', '', '--appendonly', 'no', '--sanitize-dump-payload', sanitize];
  const proc = kind === 'ours' ? spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN, ...args]) : spawn('redis-server', args);
  let output = '';
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind}: no load time after 300 s:\n${output}`)), 300_000);
      const seen = (chunk) => {
        output += chunk;
        const match = /DB loaded from disk: ([\d.]+) seconds/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      proc.stdout.on('data', seen);
      proc.stderr.on('data', seen);
      proc.on('exit', (code) => reject(new Error(`${kind} exited (${code}) before loading:\n${output}`)));
    });
  } finally {
    proc.kill('SIGKILL');
    rmSync(own, { recursive: true, force: true });
  }
}

try {
  await writeDataset();
  const rows = [];
  for (const kind of ['ours', 'redis']) {
    const times = {};
    for (const sanitize of ['no', 'yes']) {
      const samples = [];
      for (let round = 0; round < rounds; round++) samples.push(await loadTime(kind, sanitize));
      times[sanitize] = median(samples);
    }
    rows.push({ server: kind, keys, 'load s, sanitize no': times.no.toFixed(2), 'load s, sanitize yes': times.yes.toFixed(2), 'yes / no': (times.yes / times.no).toFixed(2) });
  }
  rows.push({ server: 'ours / redis', keys, 'load s, sanitize no': (rows[0]['load s, sanitize no'] / rows[1]['load s, sanitize no']).toFixed(2), 'load s, sanitize yes': (rows[0]['load s, sanitize yes'] / rows[1]['load s, sanitize yes']).toFixed(2), 'yes / no': '-' });
  const description = `Loading a dump.rdb of ${keys} keys (70% strings, 10% each small hashes, sorted sets, lists), median of ${rounds} rounds`;
  console.log(description);
  console.table(rows);
  saveRows('rdb-load', rows, description);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
