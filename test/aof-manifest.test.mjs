// Multi-part AOF by Redis 7.0's rules: manifests Redis refuses stop our server
// too, with the same log lines and exit status (checked against redis-server on
// the same directory); old single-file AOFs are upgraded; rewrites switch the
// manifest, delete history files (or keep them with aof-disable-auto-gc) and
// lose no acknowledged write across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launch, freePort, startInDir, tempDirs, HAVE_REDIS } from './helpers.mjs';

const tempDir = tempDirs('noderedis-aofmp-');
const cmd = (...args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** A directory with `files` (name -> text) in appendonlydir. */
function aofDir(files) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'appendonlydir'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'appendonlydir', name), text);
  return dir;
}

const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no exit within ${ms} ms`)), ms)),
]);

/** Starts our server in `dir` with appendonly yes and expects it to exit; returns its status and log lines without their prefix. */
async function refusedByUs(dir) {
  const s = launch(['--port', String(await freePort()), '--dir', dir, '--appendonly', 'yes', '--save', '']);
  try {
    const code = await withTimeout(s.exited, 10_000, 'our server');
    return { code, lines: logLines(s.output()) };
  } finally {
    s.proc.kill('SIGKILL');
  }
}

async function refusedByRedis(dir) {
  const proc = spawn('redis-server', ['--port', String(await freePort()), '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  try {
    const code = await withTimeout(new Promise((resolve) => proc.on('exit', resolve)), 10_000, 'redis-server');
    return { code, lines: logLines(out) };
  } finally {
    proc.kill('SIGKILL');
  }
}

/** The warning lines of a log, without pid and time, and without Redis's start-up banner lines. */
function logLines(output) {
  return output.split(/\r?\n(?=\d+:[A-Z] )/).map((l) => l.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ ([#*.-]) /, '$1 ').trimEnd())
    .filter((l) => l.startsWith('# ') && !/oO0OoO0OoO0Oo|Redis version=|Configuration loaded|Server initialized|WARNING/.test(l));
}

const base1 = cmd('set', 'k1', 'v1');
const incr1 = cmd('set', 'k2', 'v2');
const LONG = 'file appendonly.aof.1.base.aof seq 1 type b '.repeat(30);
const CASES = [
  ['a missing file', 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    /Unable to obtain the AOF file appendonly\.aof\.1\.incr\.aof length\. stat: No such file or directory/, { 'appendonly.aof.2.incr.aof': incr1 }],
  ['sequence numbers that do not increase', 'file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n', /Found a non-monotonic sequence number/],
  ['a blank line', 'file appendonly.aof.1.incr.aof seq 1 type i\n\nfile appendonly.aof.3.incr.aof seq 3 type i\n', /Invalid AOF manifest file format/],
  ['a duplicate base', 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n', /Found duplicate base file information/],
  ['an unknown type', 'file appendonly.aof.1.base.aof seq 1 type x\nfile appendonly.aof.1.incr.aof seq 1 type i\n', /Unknown AOF file type/],
  ['a missing key', 'filx appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n', /Invalid AOF manifest file format/],
  ['a line too short', 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof type i\n', /Invalid AOF manifest file format/],
  ['a line too long', `${LONG}\nfile appendonly.aof.1.incr.aof seq 1 type i\n`, /The AOF manifest file contains too long line/],
  ['an odd number of words', 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i newkey\n', /Invalid AOF manifest file format/],
  ['a path for a file name', 'file ../appendonly.aof.1.base.aof seq 1 type b\n', /File can't be a path, just a filename/],
  ['no lines', '', /Found an empty AOF manifest/],
];

for (const [what, manifest, message, extra] of CASES) {
  test(`a manifest with ${what} stops the server with Redis's message`, { timeout: 25_000 }, async () => {
    const files = { 'appendonly.aof.manifest': manifest, 'appendonly.aof.1.base.aof': base1, 'appendonly.aof.1.incr.aof': incr1, 'appendonly.aof.3.incr.aof': incr1, 'appendonly.aof.2.base.aof': base1, ...extra };
    if (what === 'a missing file') delete files['appendonly.aof.1.incr.aof'];
    const ours = await refusedByUs(aofDir(files));
    assert.equal(ours.code, 1, ours.lines.join('\n'));
    assert.match(ours.lines.join('\n'), message);
    if (HAVE_REDIS) {
      const redis = await refusedByRedis(aofDir(files));
      assert.equal(redis.code, ours.code);
      assert.deepEqual(ours.lines, redis.lines);
    }
  });
}

test('a manifest the suite accepts loads: extra keys, gaps in sequence numbers, empty files, comments', async (t) => {
  const dir = aofDir({
    'appendonly.aof.manifest': '# a comment\nfile appendonly.aof.1.base.aof seq 1 type b newkey newvalue\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    'appendonly.aof.1.base.aof': base1,
    'appendonly.aof.1.incr.aof': '',
    'appendonly.aof.3.incr.aof': `#TS:1628217470\r\n${cmd('set', 'k3', 'v3')}#TS:1628217471\r\n`,
  });
  const s = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  assert.deepEqual(await s.client.mget('k1', 'k2', 'k3'), ['v1', null, 'v3']);
  assert.match(s.output(), /DB loaded from incr file appendonly\.aof\.3\.incr\.aof/);
});

test('an unknown command, bad format and unfinished MULTI are refused with Redis\'s last log line', async () => {
  for (const [incr, truncated, last] of [
    [cmd('set', 'foo', 'hello') + cmd('bla', 'foo') + cmd('set', 'a', 'b'), 'yes', /Unknown command 'bla' reading the append only file appendonly\.aof\.1\.incr\.aof$/],
    [cmd('set', 'foo', 'hello') + '!!!' + cmd('set', 'a', 'b'), 'yes', /Bad file format reading the append only file appendonly\.aof\.1\.incr\.aof: make a backup/],
    [cmd('set', 'foo', 'hello') + cmd('multi') + cmd('set', 'bar', 'world'), 'no', /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof\. You can/],
  ]) {
    const dir = aofDir({ 'appendonly.aof.manifest': 'file appendonly.aof.1.incr.aof seq 1 type i\n', 'appendonly.aof.1.incr.aof': incr });
    const s = launch(['--port', String(await freePort()), '--dir', dir, '--appendonly', 'yes', '--aof-load-truncated', truncated]);
    assert.equal(await withTimeout(s.exited, 10_000, 'our server'), 1);
    assert.match(s.stdout().trimEnd().split('\n').pop(), last);
  }
});

test('an unfinished MULTI is cut off with aof-load-truncated yes, and appending continues after it', async (t) => {
  const dir = aofDir({
    'appendonly.aof.manifest': 'file appendonly.aof.1.incr.aof seq 1 type i\n',
    'appendonly.aof.1.incr.aof': cmd('set', 'foo', 'hello') + cmd('multi') + cmd('set', 'bar', 'world'),
  });
  const s = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  assert.match(s.output(), /Revert incomplete MULTI\/EXEC transaction in AOF file appendonly\.aof\.1\.incr\.aof/);
  assert.deepEqual(await s.client.mget('foo', 'bar'), ['hello', null]);
  await s.client.set('after', '1');
  assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1'), cmd('set', 'foo', 'hello') + cmd('SELECT', '0') + cmd('set', 'after', '1'));
});

test('an old single-file appendonly.aof (with an RDB preamble too) moves into the AOF directory and loads', async (t) => {
  // The preamble file: an RDB that redis-server writes, then commands after it.
  const dir = tempDir();
  const first = await startInDir(t, dir, ['--save', '', '--appendonly', 'no']);
  await first.client.set('k1', 'v1');
  await first.client.save();
  first.proc.kill('SIGKILL');
  const rdb = fs.readFileSync(path.join(dir, 'dump.rdb'));
  fs.rmSync(path.join(dir, 'dump.rdb'));
  fs.writeFileSync(path.join(dir, 'appendonly.aof'), Buffer.concat([rdb, Buffer.from(cmd('set', 'k2', 'v2'), 'latin1')]));
  const s = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  assert.deepEqual(await s.client.mget('k1', 'k2'), ['v1', 'v2']);
  assert.match(s.output(), /Reading RDB preamble from AOF file\.\.\.[\s\S]*Reading the remaining AOF tail\.\.\./);
  assert.equal(fs.existsSync(path.join(dir, 'appendonly.aof')), false);
  assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
  assert.equal(await s.client.bgrewriteaof(), 'Background append only file rewriting started');
  await rewriteFinished(s.client);
  assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(), ['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
});

async function rewriteFinished(client) {
  for (let i = 0; i < 500; i++) {
    if (/aof_rewrite_in_progress:0/.test(await client.info('persistence'))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the rewrite did not finish');
}

test('a rewrite under writes loses no acknowledged write across kill -9 and restart', async (t) => {
  const dir = tempDir();
  const s = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '', '--appendfsync', 'always']);
  for (let i = 0; i < 2000; i++) s.client.set(`pre${i}`, 'x'.repeat(100));
  await s.client.ping();
  let acknowledged = 0;
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        await s.client.set(`k${i}`, `v${i}`);
        acknowledged = i + 1;
      } catch {
        return;
      }
    }
  })();
  await s.client.duplicate().bgrewriteaof();
  const other = s.client.duplicate();
  await rewriteFinished(other);
  await other.bgrewriteaof();
  await rewriteFinished(other);
  other.disconnect();
  // fsync per write is slow on a busy disk: let enough writes land (10 s at most) before the kill.
  for (const deadline = Date.now() + 10000; acknowledged < 50 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 20));
  stop = true;
  await writer;
  s.proc.kill('SIGKILL');
  assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
    'file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n');
  const again = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '']);
  assert.ok(acknowledged > 10, `${acknowledged} writes acknowledged`);
  const values = await again.client.mget(...Array.from({ length: acknowledged }, (_, i) => `k${i}`));
  assert.deepEqual(values.map((v, i) => (v === `v${i}` ? null : i)).filter((i) => i !== null), [], 'no acknowledged key is missing');
  assert.equal(await again.client.dbsize(), 2000 + acknowledged);
});

test('aof-disable-auto-gc keeps history files until it is turned off; appendonly yes at run time writes a first base', async (t) => {
  const dir = tempDir();
  const s = await startInDir(t, dir, ['--appendonly', 'no', '--save', '', '--enable-debug-command', 'yes']);
  await s.client.set('a', '1');
  await s.client.config('SET', 'appendonly', 'yes');
  await rewriteFinished(s.client);
  const manifest = () => fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
  assert.equal(manifest(), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
  assert.match(s.output(), /Creating AOF incr file temp-appendonly\.aof\.incr on background rewrite/);
  await s.client.config('SET', 'aof-disable-auto-gc', 'yes');
  await s.client.bgrewriteaof();
  await rewriteFinished(s.client);
  assert.equal(manifest(), 'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
  await s.client.config('SET', 'aof-disable-auto-gc', 'no');
  assert.equal(manifest(), 'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
  assert.equal(fs.existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.base.rdb')), false);
  await s.client.set('b', '2');
  const digest = await s.client.debug('DIGEST');
  assert.equal(await s.client.debug('LOADAOF'), 'OK');
  assert.equal(await s.client.debug('DIGEST'), digest);
});

test('aof-timestamp-enabled annotates increments and command bases; aof-use-rdb-preamble no writes a base of commands', async (t) => {
  const dir = tempDir();
  const s = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '', '--aof-timestamp-enabled', 'yes', '--aof-use-rdb-preamble', 'no', '--enable-debug-command', 'yes']);
  const aofdir = path.join(dir, 'appendonlydir');
  assert.ok(fs.existsSync(path.join(aofdir, 'appendonly.aof.1.base.aof')));
  await s.client.set('foo', 'bar');
  await s.client.rpush('list', 'a', 'b');
  await s.client.set('ttl', 'x', 'PX', 100000);
  assert.match(fs.readFileSync(path.join(aofdir, 'appendonly.aof.1.incr.aof'), 'latin1'), /^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT/);
  await s.client.bgrewriteaof();
  await rewriteFinished(s.client);
  assert.match(fs.readFileSync(path.join(aofdir, 'appendonly.aof.2.base.aof'), 'latin1'), /^#TS:\d+\r\n/);
  const digest = await s.client.debug('DIGEST');
  assert.equal(await s.client.debug('LOADAOF'), 'OK');
  assert.equal(await s.client.debug('DIGEST'), digest);
  assert.ok((await s.client.pttl('ttl')) > 90000);
});
