// `npm run bench:tls`: GET and SET over TLS through redis-benchmark --tls, against our
// server's tls-port and redis-server's in the same run, with the certificates made here
// by openssl (a CA and a server certificate; clients are not asked for one). A
// measurement, not a test. Options: BENCH_REQUESTS (100000), BENCH_CLIENTS (50),
// BENCH_PIPELINES ("1 16"), BENCH_ROUNDS (3); BENCH_SAVE=1 keeps the table as bench/results/tls.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { have, median, saveRows, startServers, stopServers } from './servers.mjs';

const requests = Number(process.env.BENCH_REQUESTS ?? 100000);
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const pipelines = (process.env.BENCH_PIPELINES ?? '1 16').split(/\s+/).map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

for (const tool of ['redis-benchmark', 'openssl']) {
  if (!have(tool)) {
    console.error(`${tool} not found`);
    process.exit(1);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
const file = (name) => join(dir, name);
const openssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=Bench CA', '-keyout', file('ca.key'), '-out', file('ca.crt'));
writeFileSync(file('ext'), 'subjectAltName=IP:127.0.0.1\n');
openssl('req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
openssl('x509', '-req', '-sha256', '-days', '1', '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-in', file('server.csr'), '-out', file('server.crt'), '-extfile', file('ext'));

const servers = await startServers([], ['--tls-cert-file', file('server.crt'), '--tls-key-file', file('server.key'), '--tls-ca-cert-file', file('ca.crt'), '--tls-auth-clients', 'no']);

function benchmark(port, pipeline) {
  const out = execFileSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '--tls', '--cacert', file('ca.crt'), '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '-r', '100000', '-t', 'get,set', '--csv'],
    { encoding: 'utf8' },
  );
  const result = {};
  for (const line of out.split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cells.length > 1) result[cells[0]] = Number(cells[1]);
  }
  return result;
}

try {
  const rows = [];
  for (const pipeline of pipelines) {
    for (const s of servers) benchmark(s.tlsPort, pipeline);
    const samples = {};
    for (let round = 0; round < rounds; round++) {
      for (const s of servers) for (const [test, rps] of Object.entries(benchmark(s.tlsPort, pipeline))) ((samples[test] ??= {})[s.name] ??= []).push(rps);
    }
    for (const [test, byServer] of Object.entries(samples)) {
      const ours = median(byServer.ours);
      const redis = byServer.redis ? median(byServer.redis) : undefined;
      rows.push({ test: `${test} over TLS`, pipeline, 'ours req/s': Math.round(ours), 'redis req/s': redis ? Math.round(redis) : '-', ratio: redis ? (ours / redis).toFixed(2) : '-' });
    }
  }
  const description = `redis-benchmark --tls -n ${requests} -c ${clients}, median of ${rounds} rounds`;
  console.log(description);
  console.table(rows);
  saveRows('tls', rows, description);
} finally {
  stopServers(servers);
  rmSync(dir, { recursive: true, force: true });
}
