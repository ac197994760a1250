// The save child: BGSAVE and the AOF rewrite stream their bytes to a child
// process that owns temp-<childpid>.rdb, as Redis's forked child does, so a
// user (or Redis's own tests) can see it with `pgrep -P`, kill it, and get
// Redis's log lines, INFO fields and MISCONF refusals back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, HAVE_REDIS, processAlive, startInDir, tempDirs, waitFor } from './helpers.mjs';

const newDir = tempDirs('noderedis-save-child-');
const linux = process.platform === 'linux';

const field = async (client, name) => new RegExp(`${name}:(\\S+)`).exec(await client.info())?.[1];

const MISCONF = /MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\. Commands that may modify the data set are disabled/;

/** A server whose saves take about a second (1000 keys, 1 ms each), with save points so a failed save denies writes. */
async function slowSaver(t, extra = []) {
  const dir = newDir();
  const s = await startInDir(t, dir, ['--save', '3600 1', '--enable-debug-command', 'yes', ...extra]);
  await s.client.call('DEBUG', 'POPULATE', '1000');
  await s.client.config('SET', 'rdb-key-save-delay', '1000');
  return { ...s, dir };
}

test('BGSAVE writes through a child that owns temp-<pid>.rdb and shows in INFO', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  assert.equal(await s.client.bgsave(), 'Background saving started');
  const [child] = await waitFor('the save child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  assert.ok(existsSync(join(s.dir, `temp-${child}.rdb`)), readdirSync(s.dir).join(' '));
  await waitFor('keys counted as processed', async () => Number(await field(s.client, 'current_save_keys_processed')) > 0);
  assert.equal(await field(s.client, 'current_save_keys_total'), '1000');
  assert.equal(await field(s.client, 'rdb_bgsave_in_progress'), '1');
  assert.notEqual(await field(s.client, 'rdb_current_bgsave_time_sec'), '-1');
  assert.ok(Number(await field(s.client, 'latest_fork_usec')) > 0);

  await s.client.config('SET', 'rdb-key-save-delay', '0');
  await waitFor('the save to end', async () => (await field(s.client, 'rdb_bgsave_in_progress')) === '0', 15000);
  assert.equal(await field(s.client, 'rdb_last_bgsave_status'), 'ok');
  assert.deepEqual(readdirSync(s.dir), ['dump.rdb']);
  assert.match(s.output(), new RegExp(`Background saving started by pid ${child}\\b`));
  assert.deepEqual(childrenOf(s.proc.pid), []);
});

test('a save child killed by a signal fails the save, and writes and PING get MISCONF until a save succeeds', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  await s.client.bgsave();
  const [child] = await waitFor('the save child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  process.kill(child, 'SIGKILL');
  await waitFor('the failure', async () => (await field(s.client, 'rdb_last_bgsave_status')) === 'err');
  // The log reaches us through a pipe, which may lag behind the INFO reply.
  await waitFor('the log line', () => /# Background saving terminated by signal 9/.test(s.output()));
  assert.ok(!existsSync(join(s.dir, `temp-${child}.rdb`)), 'the dead child leaves no temp file behind');

  await assert.rejects(s.client.set('k', 'v'), MISCONF);
  await assert.rejects(s.client.ping(), MISCONF);
  assert.equal(await s.client.get('key:1'), 'value:1', 'reads still work');
  await assert.rejects(s.client.eval("return redis.call('SET', 'k', 'v')", 0), /MISCONF .* script: \w+, on @user_script:1\.$/);
  assert.equal(await s.client.eval('return 1', 0), 1, 'a compat script that writes nothing runs');
  assert.equal(await s.client.eval('#!lua flags=no-writes\nreturn 2', 0), 2);
  await assert.rejects(s.client.eval('#!lua\nreturn 3', 0), MISCONF);

  await s.client.config('SET', 'stop-writes-on-bgsave-error', 'no');
  assert.equal(await s.client.set('k', 'v'), 'OK', 'stop-writes-on-bgsave-error no lets writes through');
  await s.client.config('SET', 'stop-writes-on-bgsave-error', 'yes');
  await assert.rejects(s.client.set('k', 'v'), MISCONF);

  await s.client.config('SET', 'rdb-key-save-delay', '0');
  await s.client.bgsave();
  await waitFor('a good save', async () => (await field(s.client, 'rdb_last_bgsave_status')) === 'ok', 15000);
  assert.equal(await s.client.set('k', 'v'), 'OK');
  assert.equal(await s.client.ping(), 'PONG');
});

test('without save points a failed save denies nothing, as in Redis', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  await s.client.config('SET', 'save', '');
  await s.client.bgsave();
  const [child] = await waitFor('the save child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  process.kill(child, 'SIGKILL');
  await waitFor('the failure', async () => (await field(s.client, 'rdb_last_bgsave_status')) === 'err');
  assert.equal(await s.client.set('k', 'v'), 'OK');
});

test('the save child takes the background-child oom-score-adj class', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t, ['--oom-score-adj', 'absolute', '--oom-score-adj-values', '0 200 800']);
  await s.client.bgsave();
  const [child] = await waitFor('the save child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  assert.equal(Number(readFileSync(`/proc/${child}/oom_score_adj`, 'utf8')), 800);
  assert.equal(Number(readFileSync(`/proc/${s.proc.pid}/oom_score_adj`, 'utf8')), 0);
});

test('BGREWRITEAOF writes its rdb preamble through a child; killing it fails the rewrite and removes its temp file', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t, ['--appendonly', 'yes']);
  await waitFor('the initial rewrite', async () => (await field(s.client, 'aof_rewrite_in_progress')) === '0' && childrenOf(s.proc.pid).length === 0, 15000);
  await s.client.call('DEBUG', 'POPULATE', '1000');
  await s.client.config('SET', 'rdb-key-save-delay', '1000');
  assert.equal(await s.client.bgrewriteaof(), 'Background append only file rewriting started');
  const [child] = await waitFor('the rewrite child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  assert.ok(existsSync(join(s.dir, `temp-rewriteaof-bg-${child}.aof`)), readdirSync(s.dir).join(' '));
  process.kill(child, 'SIGKILL');
  await waitFor('the failure', async () => (await field(s.client, 'aof_last_bgrewrite_status')) === 'err');
  await waitFor('the log line', () => /Background AOF rewrite terminated by signal 9/.test(s.output()));
  assert.ok(!existsSync(join(s.dir, `temp-rewriteaof-bg-${child}.aof`)));
  assert.equal(await s.client.set('k', 'v'), 'OK', 'a failed rewrite does not deny writes');
});

test('SHUTDOWN NOSAVE during a BGSAVE kills the child and removes its temp file', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  await s.client.bgsave();
  const [child] = await waitFor('the save child', () => childrenOf(s.proc.pid).length === 1 && childrenOf(s.proc.pid));
  await s.client.call('SHUTDOWN', 'NOSAVE').catch(() => {});
  await new Promise((resolve) => s.proc.once('exit', resolve));
  assert.match(s.output(), /There is a child saving an \.rdb\. Killing it!/);
  assert.ok(!existsSync(join(s.dir, `temp-${child}.rdb`)), readdirSync(s.dir).join(' '));
  await waitFor('the child gone', () => !processAlive(child));
});

test('rdb-key-save-delay follows the last key too: a one-key BGSAVE lasts the delay, so its child can be seen', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await startInDir(t, newDir(), ['--save', '']);
  await s.client.set('k', 'v');
  await s.client.config('SET', 'rdb-key-save-delay', '1000000');
  await s.client.bgsave();
  assert.equal(childrenOf(s.proc.pid).length, 1);
  assert.equal(await field(s.client, 'rdb_bgsave_in_progress'), '1');
  await waitFor('the save to end', async () => (await field(s.client, 'rdb_bgsave_in_progress')) === '0', 5000);
  assert.equal(await field(s.client, 'rdb_last_bgsave_status'), 'ok');
});

test('a failed foreground SAVE is refused but, as in Redis, leaves rdb_last_bgsave_status and writes alone', { skip: !linux, timeout: 20000 }, async (t) => {
  const dir = newDir();
  const s = await startInDir(t, dir, ['--save', '3600 1']);
  await s.client.set('k', 'v');
  // A directory where the file should go makes the final rename fail.
  execFileSync('mkdir', [join(dir, 'dump.rdb')]);
  await assert.rejects(s.client.save(), /^ReplyError: ERR$/);
  assert.equal(await field(s.client, 'rdb_last_bgsave_status'), 'ok');
  assert.equal(await s.client.set('k', 'w'), 'OK');
  await assert.rejects(s.client.call('SHUTDOWN'), /Errors trying to SHUTDOWN\. Check logs\./);
  assert.equal(await s.client.ping(), 'PONG');
  await waitFor('the log line', () => /Error trying to save the DB, can't exit\./.test(s.output()));
});

test('with aof-use-rdb-preamble no the rewrite runs in-process but honours rdb-key-save-delay, and turning AOF off kills it', { timeout: 20000 }, async (t) => {
  const s = await startInDir(t, newDir(), ['--save', '', '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
  await waitFor('the initial rewrite', async () => (await field(s.client, 'aof_rewrite_in_progress')) === '0');
  await s.client.set('k', 'v');
  await s.client.config('SET', 'rdb-key-save-delay', '10000000');
  await s.client.bgrewriteaof();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await field(s.client, 'aof_rewrite_in_progress'), '1');
  await s.client.config('SET', 'appendonly', 'no');
  await waitFor('the log line', () => /Killing running AOF rewrite child: \d+/.test(s.output()));
  assert.equal(await field(s.client, 'aof_rewrite_in_progress'), '0');
});

test('current_cow_size counts what a running save holds twice: collections serialized at its start and old values of keys changed since', { timeout: 20000 }, async (t) => {
  const s = await slowSaver(t, ['--rdbcompression', 'no']);
  assert.equal(await field(s.client, 'current_cow_size'), '0');
  await s.client.rpush('list', 'a'.repeat(1000));
  await s.client.bgsave();
  const atStart = Number(await field(s.client, 'current_cow_size'));
  assert.ok(atStart >= 1000, `the list is serialized at the start: ${atStart}`);
  for (let i = 1; i <= 16; i++) await s.client.set(`key:${i}`, 'B'.repeat(500));
  const after = Number(await field(s.client, 'current_cow_size'));
  assert.ok(after >= atStart + 16 * 'value:10'.length, `old values kept: ${atStart} -> ${after}`);
  assert.equal(await field(s.client, 'current_cow_peak'), String(after));
  await s.client.config('SET', 'rdb-key-save-delay', '0');
  await waitFor('the save to end', async () => (await field(s.client, 'rdb_bgsave_in_progress')) === '0', 15000);
  assert.equal(await field(s.client, 'current_cow_size'), '0');
  assert.equal(await field(s.client, 'rdb_last_cow_size'), String(after));
});

test('the final save at shutdown writes temp-<server pid>.rdb in steps with writes paused; a second SIGINT exits at once and removes it', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  const temp = join(s.dir, `temp-${s.proc.pid}.rdb`);
  s.proc.kill('SIGINT');
  await waitFor('the final save', () => existsSync(temp));
  assert.equal(await s.client.get('key:1'), 'value:1', 'reads are served meanwhile');
  const write = s.client.set('late', 'x').then(() => 'acknowledged', () => 'dropped');
  await new Promise((resolve) => setTimeout(resolve, 200));
  s.proc.kill('SIGINT');
  const [code] = await new Promise((resolve) => s.proc.once('exit', (...args) => resolve(args)));
  assert.equal(code, 1);
  assert.equal(await write, 'dropped', 'a write held by the pause is never acknowledged');
  assert.match(s.output(), /You insist\.\.\. exiting now\./);
  assert.ok(!existsSync(temp));
});

test('a SHUTDOWN whose final save fails waits for it, then answers the error and the server goes on', { skip: !linux, timeout: 20000 }, async (t) => {
  const s = await slowSaver(t);
  await s.client.config('SET', 'rdb-key-save-delay', '100');
  execFileSync('mkdir', [join(s.dir, 'dump.rdb')]);
  await assert.rejects(s.client.call('SHUTDOWN'), /Errors trying to SHUTDOWN\. Check logs\./);
  assert.equal(await s.client.set('k', 'v'), 'OK', 'the pause is over');
  assert.equal(await field(s.client, 'rdb_last_bgsave_status'), 'ok');
  await assert.rejects(s.client.call('SHUTDOWN', 'ABORT'), /No shutdown in progress/);
});

test('INFO rdb_saves counts SAVE and BGSAVE, not DEBUG RELOAD or FLUSHALL, on both servers', { skip: !HAVE_REDIS, timeout: 20000 }, async (t) => {
  for (const redis of [false, true]) {
    const s = await startInDir(t, newDir(), ['--save', '3600 1', '--enable-debug-command', 'yes'], { redis });
    const saves = async () => Number(await field(s.client, 'rdb_saves'));
    const start = await saves();
    await s.client.set('k', 'v');
    await s.client.save();
    await s.client.bgsave();
    await waitFor('the BGSAVE over', async () => (await field(s.client, 'rdb_bgsave_in_progress')) === '0');
    await s.client.call('DEBUG', 'RELOAD');
    await s.client.flushall();
    assert.equal(await saves(), start + 2, redis ? 'redis-server' : 'ours');
  }
});

test("INFO's used_cpu_*_children follow the save children as the kernel counts them, also after INFO was asked before", { skip: !linux, timeout: 60000 }, async (t) => {
  const s = await startInDir(t, newDir(), ['--enable-debug-command', 'yes']);
  await s.client.call('DEBUG', 'POPULATE', '200000', 'k', '200');
  // Fields 16 and 17 of /proc/<pid>/stat: the reaped children's user and system ticks.
  const kernelTicks = () => readFileSync(`/proc/${s.proc.pid}/stat`, 'latin1').split(') ')[1].split(' ').slice(13, 15).map(Number);
  const reported = async () => [Number(await field(s.client, 'used_cpu_user_children')), Number(await field(s.client, 'used_cpu_sys_children'))];
  assert.deepEqual(await reported(), [0, 0]);
  // A save of 40 MB costs its child a few ticks; a few saves make sure some were counted.
  for (let i = 0; i < 10 && kernelTicks()[0] + kernelTicks()[1] === 0; i++) {
    assert.equal(await s.client.bgsave(), 'Background saving started');
    await waitFor('the save to end', async () => (await field(s.client, 'rdb_bgsave_in_progress')) === '0', 15000);
  }
  const ticks = kernelTicks();
  assert.ok(ticks[0] + ticks[1] > 0, 'the save children used no CPU the kernel counted');
  assert.deepEqual(await reported(), ticks.map((n) => n / 100));
});
