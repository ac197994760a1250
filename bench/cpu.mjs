// `node bench/cpu.mjs`: server CPU time per scripting request, ours against redis-server side by side.
// Throughput on a shared machine is noise; the CPU a server process spends (utime+stime of
// /proc/PID/stat) over N requests is not, or much less. For each workload and pipeline depth it
// warms each server up, then sends N requests with the raw-socket loader and prints µs of server
// CPU per request (its user-mode part in brackets), and redis-server's figure divided by ours (> 1: we spend less).
// Options: CPU_REQUESTS (200000), CPU_CLIENTS (50), CPU_ROUNDS (3, the median is shown),
// CPU_BASE=/path/to/other/worktree adds that tree's built server as "base", for A/B of a change;
// CPU_ONLY=plain,get,job picks workloads; CPU_PORT=n puts the servers on ports n, n+1, ... instead of free ones.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, resp, waitForPort } from '../test/helpers.mjs';
import { cpuMicros, have, median, spawnInOwnDir } from './servers.mjs';
import { GET_SCRIPT, JOB_SCRIPT, cmsgpackJob, load } from './scripting-workloads.mjs';

const requests = Number(process.env.CPU_REQUESTS ?? 200000);
const clients = Number(process.env.CPU_CLIENTS ?? 50);
const rounds = Number(process.env.CPU_ROUNDS ?? 3);
function nodeServer(tree) {
  const flags = readFileSync(`${tree}/src/main.ts`, 'utf8').split('\n', 1)[0].split(/\s+/).slice(3);
  return [process.execPath, [...flags, `${tree}/dist/main.js`, '--save', '', '--loglevel', 'warning']];
}

let nextPort = Number(process.env.CPU_PORT ?? 0);

async function start(name, [command, args]) {
  const port = nextPort ? nextPort++ : await freePort();
  const proc = spawnInOwnDir(command, [...args, '--port', String(port)]);
  await waitForPort(port, proc);
  return { name, port, proc };
}

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1' }).trim();
}

const here = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const servers = [await start('ours', nodeServer(here))];
if (process.env.CPU_BASE) servers.push(await start('base', nodeServer(process.env.CPU_BASE)));
if (have('redis-server')) servers.push(await start('redis', ['redis-server', ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']]));

const workloads = {
  plain: { label: 'GET (no script: the floor)', request: (_sha, i) => resp('GET', `key:${i}`) },
  get: { label: "EVALSHA return redis.call('GET', KEYS[1])", script: GET_SCRIPT, request: (sha, i) => resp('EVALSHA', sha, '1', `key:${i}`) },
  job: { label: 'BullMQ-shaped script', script: JOB_SCRIPT, request: (sha) => resp('EVALSHA', sha, '1', 'bench:queue', cmsgpackJob) },
};

try {
  const rows = [];
  for (const [key, w] of Object.entries(workloads)) {
    if (process.env.CPU_ONLY && !process.env.CPU_ONLY.split(',').includes(key)) continue;
    for (const pipeline of [1, 16]) {
      const row = { workload: `${w.label} -P ${pipeline}` };
      const figures = {};
      for (const s of servers) {
        const sha = w.script === undefined ? '' : cli(s.port, 'script', 'load', w.script);
        const reqs = Array.from({ length: 1024 }, (_, i) => w.request(sha, i));
        await load(s.port, reqs, requests / 2, pipeline, clients);
        const samples = [];
        for (let r = 0; r < rounds; r++) {
          const before = cpuMicros(s.proc.pid);
          const { total } = await load(s.port, reqs, requests, pipeline, clients);
          const after = cpuMicros(s.proc.pid);
          samples.push({ user: (after.user - before.user) / total, system: (after.system - before.system) / total });
        }
        cli(s.port, 'flushall');
        const chosen = median(samples.map((x) => x.user + x.system));
        const sample = samples.find((x) => x.user + x.system === chosen);
        figures[s.name] = chosen;
        row[`${s.name} µs`] = `${chosen.toFixed(2)} (${sample.user.toFixed(2)}u)`;
      }
      if (figures.redis !== undefined) row['redis/ours'] = (figures.redis / figures.ours).toFixed(2);
      if (figures.base !== undefined) row['base/ours'] = (figures.base / figures.ours).toFixed(2);
      rows.push(row);
    }
  }
  console.log(`server CPU (utime+stime) per request; ${clients} clients, ${requests} requests per sample, median of ${rounds}`);
  console.table(rows);
} finally {
  for (const s of servers) s.proc.kill('SIGTERM');
}
