// TLS, unix sockets and the process files: the TLS listener with mutual
// authentication (ioredis, node-redis, redis-cli --tls), certificates made
// here with openssl as Redis's gen-test-certs.sh makes them, reloading them
// with CONFIG SET, hostile handshakes; then unixsocket, pidfile, port 0 and
// start-up failures.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { parse } from 'yaml';
import { freePort, launch, sleep, tempDirs } from './helpers.mjs';

const tempDir = tempDirs('noderedis-tls-');
let certs;

const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA, and a server and a client certificate it signed (the server's for 127.0.0.1 and localhost). */
function makeCertificates(dir, name = 'server') {
  const path = (file) => join(dir, file);
  if (!existsSync(path('ca.crt'))) {
    openssl('genrsa', '-out', path('ca.key'), '2048');
    openssl('req', '-x509', '-new', '-nodes', '-sha256', '-key', path('ca.key'), '-days', '2', '-subj', '/O=Test/CN=Test CA', '-out', path('ca.crt'));
  }
  const extensions = path(`${name}.ext`);
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=digitalSignature,keyEncipherment\n');
  for (const who of [name, `${name}-client`]) {
    openssl('genrsa', '-out', path(`${who}.key`), '2048');
    openssl('req', '-new', '-sha256', '-key', path(`${who}.key`), '-subj', `/O=Test/CN=${who}`, '-out', path(`${who}.csr`));
    openssl('x509', '-req', '-sha256', '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '2',
      '-in', path(`${who}.csr`), '-out', path(`${who}.crt`), '-extfile', extensions);
  }
  return {
    dir,
    ca: path('ca.crt'),
    cert: path(`${name}.crt`),
    key: path(`${name}.key`),
    clientCert: path(`${name}-client.crt`),
    clientKey: path(`${name}-client.key`),
  };
}

before(() => {
  certs = makeCertificates(tempDir());
});

/** Our server with only a TLS listener (port 0); `args` adds directives. */
async function startTls(t, args = []) {
  const tlsPort = await freePort();
  const server = launch([
    '--port', '0', '--tls-port', String(tlsPort), '--save', '',
    '--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, ...args,
  ]);
  t.after(() => server.stop());
  await waitForTls(tlsPort, server);
  return { ...server, tlsPort };
}

/** Waits until a TCP connection to `port` is accepted (the TLS listener is up). */
async function waitForTls(port, server) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (server.proc.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`TLS port ${port} never opened: ${server.output()}`);
}

const clientTls = () => ({ ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });

function ioredisTls(t, port, options = clientTls()) {
  const client = new Redis({ port, host: '127.0.0.1', tls: options, retryStrategy: () => null, maxRetriesPerRequest: 0, lazyConnect: true });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  return client;
}

test('ioredis over mutual TLS: commands, pipelining, pub/sub, blocking pops and big values', async (t) => {
  const { tlsPort } = await startTls(t);
  const r = ioredisTls(t, tlsPort);
  await r.connect();
  assert.equal(await r.set('k', 'v'), 'OK');
  assert.equal(await r.get('k'), 'v');
  const pipeline = r.pipeline();
  for (let i = 0; i < 2000; i++) pipeline.incr('counter');
  const results = await pipeline.exec();
  assert.deepEqual(results.at(-1), [null, 2000]);
  const big = 'x'.repeat(8 * 1024 * 1024);
  await r.set('big', big);
  assert.equal((await r.get('big')).length, big.length);

  const sub = ioredisTls(t, tlsPort);
  await sub.connect();
  const message = once(sub, 'message');
  await sub.subscribe('news');
  assert.equal(await r.publish('news', 'hello'), 1);
  assert.deepEqual(await message, ['news', 'hello']);

  const blocked = ioredisTls(t, tlsPort);
  await blocked.connect();
  const popped = blocked.blpop('queue', 0);
  await sleep(50);
  await r.rpush('queue', 'job');
  assert.deepEqual(await popped, ['queue', 'job']);
});

test('node-redis and redis-cli --tls connect with a client certificate', async (t) => {
  const { tlsPort } = await startTls(t);
  const client = createClient({ socket: { host: '127.0.0.1', port: tlsPort, tls: true, ...clientTls() } });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.disconnect().catch(() => {}));
  await client.set('from-node-redis', '1');
  const cli = execFileSync('redis-cli', ['-p', String(tlsPort), '--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey, 'GET', 'from-node-redis'], { encoding: 'latin1' });
  assert.equal(cli.trim(), '1');
});

test('tls-auth-clients yes refuses a client without a certificate; optional and no accept it', async (t) => {
  const strict = await startTls(t);
  const anonymous = ioredisTls(t, strict.tlsPort, { ca: readFileSync(certs.ca) });
  await assert.rejects(anonymous.connect().then(() => anonymous.ping()));
  for (const mode of ['optional', 'no']) {
    const relaxed = await startTls(t, ['--tls-auth-clients', mode]);
    const r = ioredisTls(t, relaxed.tlsPort, { ca: readFileSync(certs.ca) });
    await r.connect();
    assert.equal(await r.ping(), 'PONG', mode);
  }
});

test('plaintext, garbage and stalled handshakes on the TLS port cost only their own connections', { timeout: 30_000 }, async (t) => {
  const server = await startTls(t);
  const stalled = [];
  for (let i = 0; i < 200; i++) {
    const s = net.connect(server.tlsPort, '127.0.0.1');
    s.on('error', () => {});
    stalled.push(s);
  }
  t.after(() => stalled.forEach((s) => s.destroy()));
  const garbage = net.connect(server.tlsPort, '127.0.0.1');
  garbage.on('error', () => {});
  await once(garbage, 'connect');
  garbage.write('PING\r\n*1\r\n$4\r\nPING\r\n\x16\x03\x01\xff\xff garbage');
  await once(garbage, 'close');
  // A whole handshake record of garbage is refused at once, not left to the handshake timeout.
  const badRecord = net.connect(server.tlsPort, '127.0.0.1');
  badRecord.on('error', () => {});
  badRecord.resume();
  await once(badRecord, 'connect');
  const sentAt = performance.now();
  badRecord.write(Buffer.concat([Buffer.from('1603010010', 'hex'), Buffer.alloc(16, 0x41)]));
  await once(badRecord, 'close');
  assert.ok(performance.now() - sentAt < 5000);
  const r = ioredisTls(t, server.tlsPort);
  await r.connect();
  assert.equal(await r.ping(), 'PONG');
  // 500 more connections of random bytes, 64 kB each: memory stays bounded and the TLS client is served.
  const before = processUsage(server.proc.pid);
  for (let round = 0; round < 10; round++) {
    const written = [];
    for (let i = 0; i < 50; i++) {
      const s = net.connect(server.tlsPort, '127.0.0.1');
      s.on('error', () => {});
      t.after(() => s.destroy());
      written.push(Promise.race([once(s, 'connect').then(() => new Promise((resolve) => s.write(randomBytes(64 * 1024), resolve))), once(s, 'close'), sleep(5000)]));
    }
    await Promise.all(written);
    assert.equal(await r.ping(), 'PONG');
  }
  const after = processUsage(server.proc.pid);
  assert.ok(after.rss - before.rss < 30_000, `RSS ${before.rss} -> ${after.rss} kB`);
  assert.equal(server.proc.exitCode, null);
});

/** The server's resident memory in kB and open descriptors, from /proc. */
function processUsage(pid) {
  const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
  return { rss, fds: readdirSync(`/proc/${pid}/fd`).length };
}

test('thousands of handshakes that never finish: bounded by maxclients, dropped after the timeout, other clients served', { timeout: 40_000 }, async (t) => {
  const maxclients = 1000;
  const server = await startTls(t, ['--maxclients', String(maxclients)]);
  const served = ioredisTls(t, server.tlsPort);
  await served.connect();
  const before = processUsage(server.proc.pid);
  // A TLS record header promising a ClientHello that never comes.
  const stalled = [];
  let closedByServer = 0;
  t.after(() => stalled.forEach((s) => s.destroy()));
  // In batches, each let through the kernel's accept queue before the next.
  for (let batch = 0; batch < 12; batch++) {
    const settled = [];
    for (let i = 0; i < 250; i++) {
      const s = net.connect(server.tlsPort, '127.0.0.1', () => s.write(Buffer.from('1603010200', 'hex')));
      s.on('error', () => {});
      s.on('close', () => closedByServer++);
      settled.push(Promise.race([once(s, 'connect'), once(s, 'close'), sleep(5000)]));
      stalled.push(s);
    }
    await Promise.all(settled);
    assert.equal(await served.ping(), 'PONG');
  }
  let rejected = 0;
  for (let i = 0; i < 50 && rejected < 3000 - maxclients; i++) {
    rejected = Number((await served.info('stats')).match(/rejected_connections:(\d+)/)[1]);
    await sleep(50);
  }
  const during = processUsage(server.proc.pid);
  // The served client holds one of the maxclients places.
  assert.ok(during.fds - before.fds <= maxclients, `descriptors ${before.fds} -> ${during.fds}`);
  assert.ok(rejected >= 3000 - maxclients, `rejected ${rejected}`);
  assert.ok(during.rss - before.rss < maxclients * 200, `RSS ${before.rss} -> ${during.rss} kB`);
  // While they wait, the established client is served promptly.
  const started = performance.now();
  for (let i = 0; i < 100; i++) assert.equal(await served.get('nothing'), null);
  assert.ok(performance.now() - started < 2000);
  // The handshake timeout (10 s) frees every place.
  for (let i = 0; i < 130 && closedByServer < stalled.length; i++) await sleep(100);
  assert.equal(closedByServer, stalled.length);
  const fresh = ioredisTls(t, server.tlsPort);
  await fresh.connect();
  assert.equal(await fresh.ping(), 'PONG');
  assert.equal(server.proc.exitCode, null);
});

test('CONFIG SET tls-cert-file gives new connections the new certificate; a bad one is refused', async (t) => {
  const server = await startTls(t);
  const r = ioredisTls(t, server.tlsPort);
  await r.connect();
  const subject = async () => {
    const socket = tls.connect({ port: server.tlsPort, host: '127.0.0.1', ...clientTls() });
    await once(socket, 'secureConnect');
    const cn = socket.getPeerCertificate().subject.CN;
    socket.destroy();
    return cn;
  };
  assert.equal(await subject(), 'server');
  const renewed = makeCertificates(certs.dir, 'renewed');
  assert.equal(await r.config('SET', 'tls-cert-file', renewed.cert, 'tls-key-file', renewed.key), 'OK');
  assert.equal(await subject(), 'renewed');
  assert.equal(await r.ping(), 'PONG', 'the established connection carries on');
  await assert.rejects(r.config('SET', 'tls-cert-file', join(certs.dir, 'missing.crt')), /Unable to update TLS configuration/);
  assert.equal(await r.config('GET', 'tls-cert-file').then(([, v]) => v), renewed.cert);
});

test('unixsocket: ioredis, node-redis and redis-cli -s connect; CLIENT LIST names the path; the file goes at shutdown', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'redis.sock');
  const pidfile = join(dir, 'redis.pid');
  const port = await freePort();
  const server = launch(['--port', String(port), '--unixsocket', path, '--unixsocketperm', '700', '--pidfile', pidfile, '--save', '']);
  t.after(() => server.stop());
  await server.ready(port);
  // The pid file is written once every listener is up, just after the TCP port opens.
  for (let i = 0; i < 50 && !existsSync(pidfile); i++) await sleep(20);
  assert.equal(statSync(path).mode & 0o777, 0o700);
  assert.equal(readFileSync(pidfile, 'latin1'), `${server.proc.pid}\n`);
  const r = new Redis({ path });
  t.after(() => r.disconnect());
  await r.set('via', 'unix');
  const list = await r.client('LIST');
  assert.match(list, new RegExp(`addr=${path}:0 laddr=${path}:0 `));
  assert.match(list, / flags=U /);
  const nodeRedis = createClient({ socket: { path } });
  await nodeRedis.connect();
  assert.equal(await nodeRedis.get('via'), 'unix');
  await nodeRedis.disconnect();
  assert.equal(execFileSync('redis-cli', ['-s', path, 'GET', 'via'], { encoding: 'latin1' }).trim(), 'unix');
  await server.stop();
  assert.equal(existsSync(path), false, 'socket file removed');
  assert.equal(existsSync(pidfile), false, 'pid file removed');
});

test('port 0 without other listeners exits; a taken port logs Redis lines and exits 1; the logo names the PID', async (t) => {
  const nowhere = launch(['--port', '0', '--save', '']);
  assert.equal(await nowhere.exited, 1);
  assert.match(nowhere.output(), /Configured to not listen anywhere, exiting\./);

  const holder = net.createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  const taken = holder.address().port;
  const clash = launch(['--port', String(taken), '--bind', '127.0.0.1', '--save', '']);
  assert.equal(await clash.exited, 1);
  assert.match(clash.output(), new RegExp(`Could not create server TCP listening socket 127\\.0\\.0\\.1:${taken}: Address already in use`));
  assert.match(clash.output(), new RegExp(`Failed listening on port ${taken} \\(TCP\\), aborting\\.`));

  const port = await freePort();
  const shown = launch(['--port', String(port), '--always-show-logo', 'yes', '--save', '']);
  t.after(() => shown.stop());
  await shown.ready(port);
  // The banner follows the listeners' opening by a moment.
  for (let i = 0; i < 50 && !shown.output().includes('Port:'); i++) await sleep(20);
  assert.match(shown.output(), new RegExp(` PID: ${shown.proc.pid}\\b`));
  assert.match(shown.output(), new RegExp(`Port: ${port}\\b`));
});

test("docker-compose.yml's TLS service serves redis-cli --tls with the mounted certificates", async (t) => {
  const service = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')).services['noderedis-tls'];
  assert.deepEqual(service.profiles, ['tls']);
  assert.deepEqual(service.ports, ['6380:6380']);
  assert.ok(service.volumes.includes('./certs:/certs:ro'));
  // Run its command here: the mounted files and /data become this test's, port 6380 a free one.
  const tlsPort = await freePort();
  const mounted = { '/certs/redis.crt': certs.cert, '/certs/redis.key': certs.key, '/certs/ca.crt': certs.ca, '/data': tempDir(), '6380': String(tlsPort) };
  const args = service.command.map((arg) => mounted[arg] ?? arg);
  assert.ok(args.some((arg) => arg === certs.cert) && args.includes(String(tlsPort)), args.join(' '));
  const server = launch(args);
  t.after(() => server.stop());
  await waitForTls(tlsPort, server);
  const cli = execFileSync('redis-cli', ['-p', String(tlsPort), '--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey, 'PING'], { encoding: 'latin1', timeout: 5000 });
  assert.equal(cli.trim(), 'PONG');
});
