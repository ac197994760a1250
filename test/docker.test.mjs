// No Docker engine runs here, so the container setup is checked piecewise: the
// compose file parses and wires what a user needs, and the image's start
// command (ENTRYPOINT + CMD) serves when run directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { SERVER_NODE_FLAGS, startServer } from './helpers.mjs';

const root = new URL('../', import.meta.url);

/** The image's start command: ENTRYPOINT and CMD in their JSON (exec) form. */
function dockerfileCommand() {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8');
  const last = (instruction) => JSON.parse([...text.matchAll(new RegExp(`^${instruction} (\\[.*\\])$`, 'gm'))].at(-1)[1]);
  return { entrypoint: last('ENTRYPOINT'), cmd: last('CMD') };
}

test('docker-compose.yml defines the service with port, volume, healthcheck and a reachable configuration', () => {
  const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
  const service = compose.services.noderedis;
  assert.deepEqual(service.ports, ['6379:6379']);
  assert.ok(service.volumes.some((v) => v.endsWith(':/data')));
  assert.ok('noderedis-data' in compose.volumes);
  assert.equal(service.healthcheck.test[0], 'CMD');
  const command = service.command.join(' ');
  assert.match(command, /--bind 0\.0\.0\.0/);
  // Clients come through Docker's network, so protected mode must be off or a password set.
  assert.ok(/--protected-mode no/.test(command) || /--requirepass/.test(command));
});

test('the Dockerfile builds in two stages and runs as a non-root user on port 6379', () => {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8');
  assert.equal([...text.matchAll(/^FROM /gm)].length, 2);
  assert.match(text, /^USER node$/m);
  assert.match(text, /^EXPOSE 6379$/m);
  const { entrypoint, cmd } = dockerfileCommand();
  assert.deepEqual(entrypoint, ['node', ...SERVER_NODE_FLAGS, '/app/dist/main.js']);
  assert.ok(cmd.includes('--bind'));
});

test('the image start command and the compose healthcheck work when run directly', async () => {
  const { cmd } = dockerfileCommand();
  const dir = mkdtempSync(join(tmpdir(), 'noderedis-data-'));
  const args = cmd.map((a) => (a === '/data' ? dir : a));
  const server = await startServer([...args, '--protected-mode', 'no']);
  try {
    const r = new Redis({ port: server.port, host: '127.0.0.1' });
    assert.equal(await r.ping(), 'PONG');
    assert.equal(await r.config('GET', 'dir').then((x) => x[1]), dir);
    await r.quit();
    const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
    const [, program, ...rest] = compose.services.noderedis.healthcheck.test;
    const probe = spawnSync(program === 'node' ? process.execPath : program, rest.map((a) => a.replaceAll('6379', String(server.port))), { timeout: 5000 });
    assert.equal(probe.status, 0, String(probe.stderr));
  } finally {
    await server.stop();
  }
});
