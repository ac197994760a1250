// Scripts on a replica whose master link is down (replica-serve-stale-data
// no), over maxmemory, short of replicas or under CLIENT PAUSE WRITE: a
// shebang's or a function's flags decide at dispatch, as Redis's
// evalGetCommandFlags and fcallGetCommandFlags make them the command's.
// TEST_TARGET=redis runs the same expectations against redis-server.
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

const READONLY = "READONLY You can't write against a read only replica.";
const RO_WITH_WRITE_FLAG = 'ERR Can not execute a script with write flag using *_ro command.';
const FLAGGED = [
  "redis.register_function('w', function() return redis.call('set', 'k', 'v') end)",
  "redis.register_function('r', function() return redis.call('get', 'k') end)",
  "redis.register_function{function_name='nw', callback=function() return redis.call('get', 'k') end, flags={'no-writes'}}",
  "redis.register_function{function_name='ao', callback=function() return redis.call('set', 'k', 'v') end, flags={'allow-oom'}}",
  "redis.register_function{function_name='as', callback=function() return redis.call('get', 'k') end, flags={'allow-stale', 'no-writes'}}",
  "redis.register_function{function_name='asecho', callback=function() return redis.call('echo', 'hi') end, flags={'allow-stale', 'no-writes'}}",
].join('\n');

async function functionsServer(t) {
  const server = await startServer();
  const client = new Redis({ port: server.port });
  t.after(async () => {
    client.disconnect();
    await server.stop();
  });
  await client.call('FUNCTION', 'LOAD', `#!lua name=flagged\n${FLAGGED}`);
  await client.set('k', 'v0');
  return { server, client };
}

test('a replica refuses FCALL by the flags of the function, before it runs', async (t) => {
  const { client } = await functionsServer(t);
  await client.replicaof('127.0.0.1', '1');
  // Without no-writes a function counts as a write: refused as a write command is, with no script position.
  assert.equal(await errorOf(client.call('FCALL', 'w', '0')), READONLY);
  assert.equal(await errorOf(client.call('FCALL', 'r', '0')), READONLY);
  assert.equal(await errorOf(client.call('FCALL_RO', 'r', '0')), READONLY);
  assert.equal(await client.call('FCALL', 'nw', '0'), 'v0');
  assert.equal(await errorOf(client.multi().call("FCALL", "w", "0").exec()), "EXECABORT Transaction discarded because of previous errors.");
  await client.config('SET', 'replica-serve-stale-data', 'no');
  assert.equal(await errorOf(client.call('FCALL', 'nw', '0')), MASTERDOWN);
  assert.equal(await errorOf(client.call('FCALL', 'w', '0')), READONLY);
  assert.equal(await client.call('FCALL', 'asecho', '0'), 'hi');
  assert.match(await errorOf(client.call('FCALL_RO', 'as', '0')), /^ERR Can not execute the command on a stale replica script: as, on @user_function:6\.$/);
  await client.config('SET', 'replica-read-only', 'no');
  assert.equal(await errorOf(client.call('FCALL', 'w', '0')), MASTERDOWN);
  await client.replicaof('NO', 'ONE');
});

test('over maxmemory or short of replicas, FCALL_RO of a write function gets the refusal of the server first', async (t) => {
  const { client } = await functionsServer(t);
  await client.config('SET', 'maxmemory', '1');
  assert.equal(await errorOf(client.call('FCALL_RO', 'w', '0')), "OOM command not allowed when used memory > 'maxmemory'.");
  assert.equal(await errorOf(client.call('FCALL', 'r', '0')), "OOM command not allowed when used memory > 'maxmemory'.");
  assert.equal(await errorOf(client.call('FCALL_RO', 'ao', '0')), RO_WITH_WRITE_FLAG);
  assert.equal(await client.call('FCALL', 'nw', '0'), 'v0');
  await client.config('SET', 'maxmemory', '0');
  await client.config('SET', 'min-replicas-to-write', '1');
  assert.equal(await errorOf(client.call('FCALL_RO', 'w', '0')), 'NOREPLICAS Not enough good replicas to write.');
  assert.equal(await client.call('FCALL_RO', 'nw', '0'), 'v0');
  await client.config('SET', 'min-replicas-to-write', '0');
});

test('CLIENT PAUSE WRITE holds back FCALL of a write function, not of a no-writes one', async (t) => {
  const { server, client } = await functionsServer(t);
  const other = new Redis({ port: server.port });
  t.after(() => other.disconnect());
  await client.call('CLIENT', 'PAUSE', '300', 'WRITE');
  const started = Date.now();
  assert.equal(await other.call('FCALL', 'nw', '0'), 'v0');
  assert.ok(Date.now() - started < 200, 'a no-writes function runs during the pause');
  assert.equal(await other.call('FCALL', 'w', '0'), 'OK');
  assert.ok(Date.now() - started >= 250, `a write function waits for the pause (${Date.now() - started} ms)`);
});
