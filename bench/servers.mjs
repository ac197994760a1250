// The servers a benchmark compares: ours, and redis-server beside it when installed.
import { spawn, spawnSync } from 'node:child_process';
import { freePort, MAIN, SERVER_NODE_FLAGS, waitForPort } from '../test/helpers.mjs';

export const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function start(name, command, args) {
  const port = await freePort();
  const proc = spawn(command, [...args, '--port', String(port)], { stdio: 'ignore' });
  await waitForPort(port, proc);
  return { name, port, proc };
}

/**
 * Starts our server and, if installed, redis-server, both without persistence; stop them with stopServers.
 * `extraArgs` (e.g. ['--maxmemory', '50mb']) are passed to both.
 */
export async function startServers(extraArgs = []) {
  const servers = [await start('ours', process.execPath, [...SERVER_NODE_FLAGS, MAIN, '--save', '', '--loglevel', 'warning', ...extraArgs])];
  if (have('redis-server')) {
    servers.push(await start('redis', 'redis-server', ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...extraArgs]));
  } else {
    console.log('redis-server not installed: reporting our figures only');
  }
  return servers;
}

export function stopServers(servers) {
  for (const s of servers) s.proc.kill('SIGTERM');
}
