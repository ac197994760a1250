// Scripts on a replica whose master link is down (replica-serve-stale-data
// no): a shebang's flags decide at dispatch, as Redis's evalGetCommandFlags
// makes them the command's. TEST_TARGET=redis runs the same expectations against redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { startServer } from './helpers.mjs';

const errorOf = (promise) => promise.then((r) => assert.fail(`expected an error, got ${JSON.stringify(r)}`), (e) => e.message);
const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

test('a stale replica refuses scripts by their declared flags', async (t) => {
  const server = await startServer();
  const client = new Redis({ port: server.port });
  t.after(async () => {
    client.disconnect();
    await server.stop();
  });
  await client.config('SET', 'replica-serve-stale-data', 'no');
  await client.replicaof('127.0.0.1', '1');
  assert.equal(await errorOf(client.eval("return redis.call('get','x')", 1, 'x')), MASTERDOWN);
  assert.equal(await errorOf(client.eval('#!lua flags=no-writes\nreturn 1', 0)), MASTERDOWN);
  assert.equal(await errorOf(client.eval('#!lua\nreturn 1', 0)), "READONLY You can't write against a read only replica.");
  assert.equal(await client.eval('#!lua flags=allow-stale,no-writes\nreturn 1', 0), 1);
  assert.match(await errorOf(client.eval("#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", 1, 'x')), /^ERR Can not execute the command on a stale replica script: /);
  assert.equal(await client.eval("#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", 0), 'foobar');
  await client.replicaof('NO', 'ONE');
});
