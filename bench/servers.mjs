// The servers a benchmark compares: ours, and redis-server beside it when installed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, MAIN, SERVER_NODE_FLAGS, waitForPort } from '../test/helpers.mjs';

export const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** User and system CPU time of a process in µs (utime and stime of /proc/PID/stat). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * TICK_US, system: Number(fields[12]) * TICK_US };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * A server process working in a fresh directory, removed when it exits: a
 * dump.rdb where the benchmark was started (the suite leaves one) would be
 * loaded, and with it a replication backlog that every write then feeds.
 */
export function spawnInOwnDir(command, args) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const proc = spawn(command, args, { stdio: 'ignore', cwd: dir });
  proc.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return proc;
}

async function start(name, command, args, withTls) {
  const port = await freePort();
  let tlsPort;
  // freePort closes its probe, so a second call may hand out the same port again.
  while (withTls && (tlsPort === undefined || tlsPort === port)) tlsPort = await freePort();
  const tlsArgs = tlsPort === undefined ? [] : ['--tls-port', String(tlsPort), ...withTls];
  const proc = spawnInOwnDir(command, [...args, '--port', String(port), ...tlsArgs]);
  await waitForPort(port, proc);
  return { name, port, tlsPort, proc };
}

/** One server without persistence: `kind` is 'ours' or 'redis' (redis-server); arguments as for startServers. */
export function startServer(kind, extraArgs = [], tlsArgs = undefined) {
  return kind === 'ours'
    ? start('ours', process.execPath, [...SERVER_NODE_FLAGS, MAIN, '--save', '', '--loglevel', 'warning', ...extraArgs], tlsArgs)
    : start('redis', 'redis-server', ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...extraArgs], tlsArgs);
}

/**
 * Starts our server and, if installed, redis-server, both without persistence; stop them with stopServers.
 * `extraArgs` (e.g. ['--maxmemory', '50mb']) are passed to both; with `tlsArgs` (the certificate
 * directives) each also listens for TLS on a port of its own, its `tlsPort`.
 */
export async function startServers(extraArgs = [], tlsArgs = undefined) {
  const servers = [await startServer('ours', extraArgs, tlsArgs)];
  if (have('redis-server')) {
    servers.push(await startServer('redis', extraArgs, tlsArgs));
  } else {
    console.log('redis-server not installed: reporting our figures only');
  }
  return servers;
}

export function stopServers(servers) {
  for (const s of servers) s.proc.kill('SIGTERM');
}

/**
 * With BENCH_SAVE=1, keeps a run's table as bench/results/<name>.json, which
 * bench/chart.mjs draws as the README's chart; a run without it leaves the
 * committed figures alone.
 */
export function saveRows(name, rows, description, summary = undefined) {
  if (process.env.BENCH_SAVE !== '1') return;
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const saved = { description, date: new Date().toISOString().slice(0, 10), rows, ...(summary && { summary }) };
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(saved, null, 1)}\n`);
}
