// High availability under Debian's redis-sentinel: three sentinels (quorum 2)
// watch a master of ours and two replicas of ours. The master is killed with
// SIGKILL under an ioredis load that follows the sentinels; a replica must be
// promoted, the other repointed, the old master turned into a replica when it
// comes back, and no write that WAIT saw on both replicas may be lost. The
// lost writes and the downtime are printed. Every wait is bounded; every
// process started here is killed in `after`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { freePort, launch, sleep, waitFor, waitForPort } from './helpers.mjs';

const HAVE_SENTINEL = spawnSync('redis-sentinel', ['--version']).status === 0;
const processes = [];
const clients = [];
const dirs = [];
after(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(processes.map((p) => p.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** One of our servers on `port`, keeping its data in `dir` across restarts. */
const ours = (port, dir, args = []) => started(port, ['--port', String(port), '--dir', dir, '--save', '', '--repl-diskless-sync-delay', '0', ...args]);

/** Our server started with `args`, once it listens on `port`. */
async function started(port, args) {
  const server = launch(args);
  const handle = {
    port,
    kill: () => server.proc.kill('SIGKILL'),
    exited: server.exited,
    stop: async () => {
      if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
      await server.exited;
    },
  };
  processes.push(handle);
  await server.ready(port);
  return handle;
}

/** A sentinel on a port of its own watching the master on `masterPort`; `conf` gives the rest of its configuration. */
async function sentinel(masterPort, conf = [
  `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
  'sentinel down-after-milliseconds mymaster 1000',
  'sentinel failover-timeout mymaster 5000',
  'sentinel parallel-syncs mymaster 1',
]) {
  const port = await freePort();
  const dir = tempDir('sentinel-');
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, [...conf.filter((line) => !/^port /.test(line)), `port ${port}`, `dir ${dir}`, ''].join('\n'));
  const proc = spawn('redis-sentinel', [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  processes.push({
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  });
  await waitForPort(port, proc, () => output);
  return { port, output: () => output };
}

/** A client that reconnects: Sentinel kills normal clients (CLIENT KILL TYPE normal) when it reconfigures an instance. */
function connect(port) {
  const client = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const field = (info, name) => new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1];
const pairs = (flat) => Object.fromEntries(flat.reduce((out, v, i) => (i % 2 ? out : [...out, [v, flat[i + 1]]]), []));

test('Sentinel promotes a replica of ours when our master dies, ioredis follows, nothing acknowledged by both replicas is lost',
  { skip: !HAVE_SENTINEL && 'needs redis-sentinel', timeout: 150000 }, async () => {
    const [masterPort, port1, port2] = [await freePort(), await freePort(), await freePort()];
    const masterDir = tempDir('ha-master-');
    await ours(masterPort, masterDir);
    const replicaPorts = [port1, port2];
    for (const port of replicaPorts) await ours(port, tempDir('ha-replica-'), ['--replicaof', '127.0.0.1', String(masterPort)]);
    const m = connect(masterPort);
    await waitFor('both replicas online', async () => field(await m.info('replication'), 'connected_slaves') === '2', 10000);
    const sentinels = [];
    for (let i = 0; i < 3; i++) sentinels.push(await sentinel(masterPort));
    const s = sentinels.map((x) => connect(x.port));
    await waitFor('the sentinels to see each other and both replicas', async () => {
      for (const c of s) {
        const master = pairs(await c.call('SENTINEL', 'MASTER', 'mymaster'));
        if (master['num-other-sentinels'] !== '2' || master['num-slaves'] !== '2') return false;
      }
      return true;
    }, 20000);

    // The load: sequential writes through a sentinel-aware client, each followed by WAIT.
    const client = new Redis({
      sentinels: sentinels.map((x) => ({ host: '127.0.0.1', port: x.port })),
      name: 'mymaster',
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
      maxRetriesPerRequest: 3,
    });
    client.on('error', () => {});
    clients.push(client);
    const acked = new Map();
    let attempts = 0;
    let failures = 0;
    let lastOk = Date.now();
    let longestGap = 0;
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        attempts++;
        try {
          await client.set(`k:${i}`, String(i));
          const replicas = await client.wait(1, 1000);
          acked.set(`k:${i}`, replicas);
          const now = Date.now();
          longestGap = Math.max(longestGap, now - lastOk);
          lastOk = now;
        } catch {
          failures++;
          await sleep(20);
        }
      }
    })();
    await sleep(1000);
    const killedAt = Date.now();
    processes[0].kill();
    await processes[0].exited;

    const promoted = await waitFor('a promoted replica', async () => {
      const [host, port] = await s[0].call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
      return host === '127.0.0.1' && Number(port) !== masterPort ? Number(port) : false;
    }, 30000);
    assert.ok(replicaPorts.includes(promoted));
    const other = replicaPorts.find((p) => p !== promoted);
    const p = connect(promoted);
    const o = connect(other);
    await waitFor('the other replica to follow the new master', async () => {
      const info = await o.info('replication');
      return field(info, 'master_port') === String(promoted) && field(info, 'master_link_status') === 'up';
    }, 20000);
    assert.equal((await p.role())[0], 'master');
    await waitFor('writes to succeed again', async () => lastOk > killedAt, 20000);
    await sleep(1000);
    running = false;
    await load;

    let lostBoth = 0;
    let lostOne = 0;
    let lostUnacked = 0;
    for (const [key, replicas] of acked) {
      if ((await p.get(key)) !== null) continue;
      if (replicas >= 2) lostBoth++;
      else if (replicas === 1) lostOne++;
      else lostUnacked++;
    }
    console.log(`# sentinel failover: ${attempts} writes tried, ${acked.size} acknowledged, ${failures} failed; ` +
      `lost: ${lostBoth} seen by 2 replicas, ${lostOne} seen by 1, ${lostUnacked} seen by none; ` +
      `writes resumed ${lastOk > killedAt ? 'yes' : 'no'}, longest gap between acknowledged writes ${longestGap} ms`);
    assert.equal(lostBoth, 0);

    // The old master comes back empty-handed: Sentinel makes it a replica of the new one. That takes
    // up to about 30 s: Sentinel asks a replica for INFO every 10 s, and converts an instance reporting
    // the master role only at an INFO more than 8 s after the first such report and 8 s up. A sentinel
    // whose timer stalled over 2 s (a loaded machine) is in TILT mode for 30 s more and converts nothing.
    await ours(masterPort, masterDir);
    const back = connect(masterPort);
    // What the old master last said of itself, for the failure message: which step did not happen.
    let seen = 'nothing';
    // The master is whichever the sentinels name now: a loaded machine can stall the new one past
    // down-after-milliseconds (1 s here), and the sentinels then fail over again, to the other replica.
    let current = promoted;
    await waitFor('the old master to become a replica of the new one', async () => {
      current = Number((await s[0].call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))[1]);
      const info = await back.info('replication');
      seen = `role ${field(info, 'role')}, master_port ${field(info, 'master_port')}, link ${field(info, 'master_link_status')} (master now ${current}, promoted first ${promoted})`;
      return field(info, 'role') === 'slave' && field(info, 'master_port') === String(current) && field(info, 'master_link_status') === 'up';
    }, 90000).catch(async (error) => {
      const views = [];
      for (const c of s) {
        const entry = (await c.call('SENTINEL', 'REPLICAS', 'mymaster')).map(pairs).find((r) => r.port === String(masterPort));
        views.push(`tilt ${field(await c.info('sentinel'), 'sentinel_tilt')}, flags ${entry?.flags ?? 'not listed'}`);
      }
      throw new Error(`${error.message}; last seen: ${seen}; the sentinels' view of it: ${views.join(' / ')}`);
    });
    if (current !== promoted) console.log(`# sentinel failover: failed over a second time, to ${current}`);
    const last = [...acked.keys()].at(-1);
    assert.equal(await back.get(last), await (current === promoted ? p : connect(current)).get(last));
  });

test("docker-compose.yml's ha profile: its master, replicas and sentinels, run here as written, find each other and fail over",
  { skip: !HAVE_SENTINEL && 'needs redis-sentinel', timeout: 60000 }, async () => {
    const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'));
    const ha = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('ha'));
    assert.deepEqual(ha.map(([name]) => name), ['noderedis-master', 'noderedis-replica-1', 'noderedis-replica-2',
      'noderedis-sentinel-1', 'noderedis-sentinel-2', 'noderedis-sentinel-3']);
    // Each container listens on 6379 and names the master by its service name: here each gets a
    // port of its own, the master's name is 127.0.0.1 and /data a directory of the test's.
    const servers = ha.filter(([, service]) => service.image.startsWith('noderedis-server'));
    const ports = await Promise.all(servers.map(() => freePort()));
    const masterPort = ports[0];
    for (const [i, [, service]] of servers.entries()) {
      const args = service.command.map((arg, at, all) => {
        if (arg === '6379') return String(all[at - 1] === '--port' ? ports[i] : masterPort);
        return { 'noderedis-master': '127.0.0.1', '/data': tempDir('ha-compose-') }[arg] ?? arg;
      });
      await started(ports[i], args);
    }
    const master = connect(masterPort);
    await waitFor('both replicas online', async () => field(await master.info('replication'), 'connected_slaves') === '2', 10000);

    const conf = readFileSync(new URL('../docker/sentinel.conf', import.meta.url), 'utf8');
    for (const [, service] of ha.filter(([, s]) => s.image.startsWith('redis:'))) {
      assert.ok(service.volumes.includes('./docker/sentinel.conf:/etc/sentinel/sentinel.conf:ro'));
      assert.match(service.command.join(' '), /redis-sentinel \/tmp\/sentinel\.conf/);
    }
    const lines = conf.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.replace('noderedis-master 6379', `127.0.0.1 ${masterPort}`))
      // The failover itself is what this test waits for: the file's 5 s before declaring the master down become 1 s.
      .map((line) => line.replace(/down-after-milliseconds mymaster \d+/, 'down-after-milliseconds mymaster 1000'));
    const sentinels = [];
    for (let i = 0; i < 3; i++) sentinels.push(connect((await sentinel(masterPort, lines)).port));
    await waitFor('the sentinels to see each other and both replicas', async () => {
      for (const c of sentinels) {
        const state = pairs(await c.call('SENTINEL', 'MASTER', 'mymaster'));
        if (state['num-other-sentinels'] !== '2' || state['num-slaves'] !== '2') return false;
      }
      return true;
    }, 20000);
    await master.set('before', 'failover');
    assert.equal(await master.wait(2, 5000), 2);
    processes.find((p) => p.port === masterPort).kill();
    const promoted = await waitFor('a promoted replica', async () => {
      const [, port] = await sentinels[0].call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
      return Number(port) !== masterPort ? Number(port) : false;
    }, 30000);
    assert.ok(ports.slice(1).includes(promoted));
    const now = connect(promoted);
    assert.equal((await now.role())[0], 'master');
    assert.equal(await now.get('before'), 'failover');
  });
