// What the replication test files share: our servers and real redis-server processes on free
// ports, ioredis clients that do not reconnect, and INFO fields. Everything started through
// here is stopped after the importing file's tests (stopped processes are continued first).
import { after } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, startServer, waitForPort } from './helpers.mjs';

const started = [];
const clients = [];
after(async () => {
  for (const c of clients) c.disconnect();
  for (const s of started) if (s.proc.exitCode === null) s.proc.kill('SIGCONT');
  await Promise.all(started.map((s) => s.stop()));
});

/** Stops `server` (anything with stop()) after the file's tests. */
export function stopAfter(server) {
  started.push(server);
  return server;
}

/** Our server without save points, serving disk-less syncs at once; `args` adds directives. */
export async function ours(args = []) {
  const server = await startServer(['--save', '', '--repl-diskless-sync-delay', '0', ...args]);
  started.push(server);
  return server;
}

/** A real redis-server on a free port, in its own temporary directory; `output()` is what it logged. */
export async function redisServer(args = []) {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'repl-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', cwd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  exited.then(() => rmSync(cwd, { recursive: true, force: true }));
  const server = {
    port,
    proc,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  started.push(server);
  await waitForPort(port, proc, () => output);
  return server;
}

/** An ioredis client that fails fast instead of reconnecting. */
export function connect(port) {
  const client = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => null });
  clients.push(client);
  return client;
}

/** A field of an INFO reply's text. */
export const infoField = (info, name) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];

/** A field of the client's server's INFO (all sections). */
export const field = async (client, name) => infoField(await client.info('all'), name);
