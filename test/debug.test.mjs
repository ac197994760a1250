// DEBUG POPULATE and DEBUG CONFIG-REWRITE-FORCE-ALL, byte for byte against a
// redis-server started beside ours (Redis's suite fills databases with
// POPULATE and checks config rewriting with CONFIG-REWRITE-FORCE-ALL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, HAVE_REDIS, launch, replyConnection, startInDir, startRedis, startServer, tempDirs, waitForPort } from './helpers.mjs';

const tempDir = tempDirs('noderedis-debug-');

/** Our server and a redis-server, both with DEBUG enabled, and a reply connection to ours. */
async function pair(t) {
  const ours = await startServer(['--enable-debug-command', 'yes', '--save', '']);
  const conn = await replyConnection(ours.port);
  const redis = await startRedis(['--enable-debug-command', 'yes']);
  t.after(async () => {
    conn.close();
    redis.stop();
    await ours.stop();
  });
  return { ours: conn, redis: redis.conn };
}

const POPULATE_CASES = [
  ['DEBUG', 'POPULATE', '3'],
  ['DEBUG', 'POPULATE', '2', 'p', '3'],
  ['DEBUG', 'POPULATE', '1', 'big', '12'],
  ['DEBUG', 'POPULATE', '1', 'x'.repeat(140)],
  ['DEBUG', 'POPULATE', '-1'],
  ['DEBUG', 'POPULATE', 'abc'],
  ['DEBUG', 'POPULATE', '1', 'q', '-5'],
  ['DEBUG', 'POPULATE', '1', 'q', '5', 'extra'],
  ['DEBUG', 'POPULATE'],
  ['DEBUG', 'POPULATE', '0'],
];

test('DEBUG POPULATE replies, names keys and fills values as Redis does', { skip: !HAVE_REDIS }, async (t) => {
  const { ours, redis } = await pair(t);
  const both = async (...args) => {
    const [a, b] = [await ours.command(...args), await redis.command(...args)];
    assert.equal(a, b, args.join(' ').slice(0, 60));
    return a;
  };
  await both('SET', 'key:1', 'kept');
  for (const args of POPULATE_CASES) await both(...args);
  assert.equal(await both('DBSIZE'), ':7\r\n');
  // An existing key keeps its value.
  assert.equal(await both('GET', 'key:1'), '$4\r\nkept\r\n');
  for (const key of ['key:0', 'key:2', 'p:0', 'p:1', 'big:0', `${'x'.repeat(125)}:`]) await both('GET', key);
  assert.equal(await both('GET', 'big:0'), '$12\r\nvalue:0\0\0\0\0\0\r\n');
  assert.equal(await both('GET', 'p:1'), '$3\r\nval\r\n');
});

test('DEBUG POPULATE touches watched keys but leaves the change count alone', { skip: !HAVE_REDIS }, async (t) => {
  const { ours, redis } = await pair(t);
  const changes = async (conn) => /rdb_changes_since_last_save:(\d+)/.exec(await conn.command('INFO', 'persistence'))[1];
  for (const conn of [ours, redis]) {
    const before = await changes(conn);
    assert.equal(await conn.command('WATCH', 'key:0'), '+OK\r\n');
    assert.equal(await conn.command('DEBUG', 'POPULATE', '5'), '+OK\r\n');
    assert.equal(await conn.command('MULTI'), '+OK\r\n');
    await conn.command('PING');
    assert.equal(await conn.command('EXEC'), '*-1\r\n');
    assert.equal(await changes(conn), before);
  }
});

test('keys made by DEBUG POPULATE never reach the append-only file', async (t) => {
  for (const redis of HAVE_REDIS ? [false, true] : [false]) {
    const dir = tempDir();
    const { client } = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '', '--enable-debug-command', 'yes'], { redis });
    await client.set('written', '1');
    assert.equal(await client.call('DEBUG', 'POPULATE', '10'), 'OK');
    assert.equal(await client.dbsize(), 11);
    // LOADAOF rebuilds the dataset from the file: only the SET is there.
    assert.equal(await client.call('DEBUG', 'LOADAOF'), 'OK');
    assert.deepEqual(await client.keys('*'), ['written'], redis ? 'redis-server' : 'ours');
  }
});

test('DEBUG CONFIG-REWRITE-FORCE-ALL writes every directive, defaults included', async (t) => {
  for (const redis of HAVE_REDIS ? [false, true] : [false]) {
    const who = redis ? 'redis-server' : 'ours';
    const dir = tempDir();
    const file = path.join(dir, 'redis.conf');
    const port = await freePort();
    fs.writeFileSync(file, `port ${port}\ndir ${dir}\nsave ""\nenable-debug-command yes\nhz 15\n`);
    const server = redis ? spawn('redis-server', [file], { stdio: 'ignore' }) : launch([file]).proc;
    t.after(() => server.kill('SIGKILL'));
    await waitForPort(port, server);
    const client = new Redis({ port, retryStrategy: () => null });
    t.after(() => client.disconnect());
    assert.equal(await client.config('REWRITE'), 'OK');
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /^maxmemory-samples /m, who);
    assert.equal(await client.call('DEBUG', 'CONFIG-REWRITE-FORCE-ALL'), 'OK');
    const forced = fs.readFileSync(file, 'utf8');
    assert.match(forced, /^hz 15$/m, who);
    assert.match(forced, /^maxmemory-samples 5$/m, who);
    assert.match(forced, /^acllog-max-len 128$/m, who);
    await assert.rejects(client.call('DEBUG', 'CONFIG-REWRITE-FORCE-ALL', 'x'), /Unknown subcommand or wrong number of arguments for 'CONFIG-REWRITE-FORCE-ALL'/i, who);
  }
});
