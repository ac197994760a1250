// redis-cli --rdb and --functions-rdb against our server (REPLCONF rdb-only and
// rdb-filter-only): the real redis-cli fetches the snapshot, then a real
// redis-server loads the file and shows what it holds. Both with a disk-based
// and a disk-less master, since a filtered snapshot is disk-less either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HAVE_REDIS, rawConnect, resp, waitFor } from './helpers.mjs';
import { connect, field, ours, redisServer } from './replication-fixtures.mjs';

const run = promisify(execFile);
const LIBRARY = "#!lua name=lib1\nredis.register_function('func1', function() return 123 end)";

/** What a real redis-server finds in `file`: its keys and function libraries. */
async function loadedByRedis(file) {
  const dir = file.slice(0, file.lastIndexOf('/'));
  const redis = await redisServer(['--dir', dir, '--dbfilename', file.slice(dir.length + 1)]);
  const client = connect(redis.port);
  const loaded = { keys: await client.dbsize(), libraries: (await client.function('LIST')).map((library) => library[1]) };
  await redis.stop();
  return loaded;
}

for (const diskless of ['no', 'yes']) {
  test(`redis-cli --rdb and --functions-rdb from a master with repl-diskless-sync ${diskless}`, { skip: !HAVE_REDIS, timeout: 60_000 }, async () => {
    const server = await ours(['--repl-diskless-sync', diskless, '--enable-debug-command', 'yes']);
    const master = connect(server.port);
    await master.debug('POPULATE', '1000', 'key', '10');
    await master.function('LOAD', LIBRARY);
    const dir = mkdtempSync(join(tmpdir(), 'rdb-dump-'));
    try {
      const { stderr } = await run('redis-cli', ['-p', String(server.port), '--rdb', join(dir, 'all.rdb')]);
      assert.match(stderr, /Transfer finished with success/);
      assert.deepEqual(await loadedByRedis(join(dir, 'all.rdb')), { keys: 1000, libraries: ['lib1'] });

      const functions = await run('redis-cli', ['-p', String(server.port), '--functions-rdb', join(dir, 'functions.rdb')]);
      // Filtered, it comes disk-less (with the EOF mark) even from a disk-based master.
      assert.match(functions.stderr, /writing bytes of bulk transfer until EOF marker/);
      assert.deepEqual(await loadedByRedis(join(dir, 'functions.rdb')), { keys: 0, libraries: ['lib1'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // An rdb-only replica is let go once it has its snapshot, and was never fed the stream.
    await waitFor('the rdb-only replicas to go', async () => (await field(master, 'connected_slaves')) === '0');
    assert.equal((server.output().match(/RDB transfer completed, rdb only replica \(127\.0\.0\.1:<unknown-replica-port>\) should be disconnected asap/g) ?? []).length, 2);
  });
}

test('REPLCONF rdb-only and rdb-filter-only take values as Redis does, with its errors', async () => {
  const server = await ours();
  const client = connect(server.port);
  const replconf = (...args) => client.call('REPLCONF', ...args).catch((error) => error.message);
  assert.equal(await replconf('rdb-only', '1'), 'OK');
  assert.equal(await replconf('rdb-only', '0'), 'OK');
  assert.equal(await replconf('rdb-only', '2'), 'ERR value is out of range, value must between 0 and 1');
  assert.equal(await replconf('rdb-only', 'x'), 'ERR value is not an integer or out of range');
  assert.equal(await replconf('rdb-filter-only', ''), 'OK');
  assert.equal(await replconf('rdb-filter-only', 'functions FUNCTIONS'), 'OK');
  assert.equal(await replconf('rdb-filter-only', '"functions'), 'ERR Missing rdb-filter-only values');
  assert.equal(await replconf('rdb-filter-only', 'functions keys'), 'ERR Unsupported rdb-filter-only option: keys');
});

test('a filtered snapshot needs capa eof: SYNC without it is refused', async () => {
  const server = await ours();
  const conn = await rawConnect(server.port);
  const expected = '+OK\r\n-ERR Filtered replica requires EOF capability\r\n';
  assert.equal(await conn.roundTrip(resp('REPLCONF', 'rdb-filter-only', 'functions') + resp('SYNC'), expected), expected);
  conn.close();
});

test('redis-cli --replica gets an empty snapshot, then the stream', { timeout: 30_000 }, async () => {
  const server = await ours();
  const master = connect(server.port);
  await master.set('before', 'x');
  const replica = execFile('redis-cli', ['-p', String(server.port), '--replica']);
  let output = '';
  replica.stdout.on('data', (d) => (output += d));
  replica.stderr.on('data', (d) => (output += d));
  try {
    // It asks for nothing of the data (rdb-filter-only ""), and starts the stream with its first ACK, a second later.
    await waitFor('the snapshot', () => /SYNC done after \d+ bytes/.test(output));
    await waitFor('the replica online', async () => /state=online/.test((await field(master, 'slave0')) ?? '') && /REPLCONF ACK 0/.test(output));
    await master.set('after', 'y');
    await waitFor('the stream', () => output.includes('"set","after","y"'));
    assert.doesNotMatch(output, /before/);
  } finally {
    replica.kill();
  }
});
