// What replaying an append-only file may do that a client may not, as Redis
// 7.0 replays it (integration/aof): a PEXPIREAT in the past is kept as the
// key's time, not acted on, until the load ends; scripts write on a read-only
// replica; and while DEBUG LOADAOF runs a slow script, other clients are
// told -LOADING, not -BUSY. Each scenario runs against redis-server too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { HAVE_REDIS, startInDir, tempDirs, waitFor } from './helpers.mjs';

const tempDir = tempDirs('noderedis-aof-replay-');
const targets = [['ours', false], ...(HAVE_REDIS ? [['redis-server', true]] : [])];

/** A command as the file holds it; arguments are byte strings (latin1). */
const command = (...args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`;

/** A directory whose append-only files are one increment holding these commands. */
function aofDir(...commands) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'appendonlydir'));
  fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
  fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), commands.join(''), 'latin1');
  return dir;
}

for (const [name, redis] of targets) {
  test(`${name}: RPUSH after a past PEXPIREAT in the file adds to the expired list, which is gone once loaded`, async (t) => {
    const dir = aofDir(command('rpush', 'list', 'foo'), command('pexpireat', 'list', '1000'), command('rpush', 'list', 'bar'));
    const { client } = await startInDir(t, dir, ['--appendonly', 'yes', '--save', ''], { redis });
    assert.equal(await client.llen('list'), 0);
    assert.equal(await client.exists('list'), 0);
  });

  test(`${name}: RESTORE with a past ABSTTL in the file stores the key, which RPUSH extends, until the load ends`, async (t) => {
    // DUMP of a list holding "foo", as redis-server 7.0 writes it.
    const payload = '\x12\x01\x02\x0c\x0c\x00\x00\x00\x01\x00\x83foo\x04\xff\n\x00\xcc7E\xd63\xc8\xf3\x19';
    const dir = aofDir(command('restore', 'list', '1000', payload, 'ABSTTL'), command('rpush', 'list', 'bar'));
    const { client } = await startInDir(t, dir, ['--appendonly', 'yes', '--save', ''], { redis });
    assert.equal(await client.exists('list'), 0);
  });

  test(`${name}: scripts in the file write on a read-only replica`, async (t) => {
    const dir = aofDir(
      command('select', '9'),
      command('eval', 'redis.call("set",KEYS[1],"100")', '1', 'foo'),
      command('eval', 'redis.call("incr",KEYS[1])', '1', 'foo'),
      command('eval', 'redis.call("incr",KEYS[1])', '1', 'foo'),
    );
    const { client } = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '', '--replica-read-only', 'yes', '--replicaof', '127.0.0.1 0'], { redis });
    await client.select(9);
    assert.equal(await client.get('foo'), '102');
    // A client's own script still may not write here.
    await assert.rejects(client.eval('return redis.call("set",KEYS[1],"1")', 1, 'foo'), /READONLY/);
  });

  test(`${name}: while DEBUG LOADAOF runs a slow script, other clients get -LOADING`, async (t) => {
    const dir = tempDir();
    const { client, port } = await startInDir(t, dir, ['--appendonly', 'yes', '--save', '', '--lua-time-limit', '1', '--aof-use-rdb-preamble', 'no', '--enable-debug-command', 'yes'], { redis });
    await waitFor('the first rewrite', async () => (await client.info('persistence')).includes('aof_rewrite_in_progress:0'));
    const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    const slow = "redis.call('set',KEYS[1],'y'); for i=1,1500000 do redis.call('ping') end return 'ok'";
    fs.appendFileSync(incr, command('select', '9') + command('eval', slow, '1', 'x'), 'latin1');
    const loader = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    loader.on('error', () => {});
    await loader.connect();
    t.after(() => loader.disconnect());
    const loaded = loader.debug('loadaof');
    let refusal;
    await waitFor('a refused PING', async () => {
      try {
        await client.ping();
        return false;
      } catch (error) {
        refusal = error.message;
        return true;
      }
    }, 20000);
    assert.match(refusal, /^LOADING/);
    assert.equal(await loaded, 'OK');
    await client.select(9);
    assert.equal(await client.get('x'), 'y');
  });
}
