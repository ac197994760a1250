// Scripts that run past busy-reply-threshold: the rest of the server answers
// BUSY, SCRIPT KILL / FUNCTION KILL stop what has not written, SHUTDOWN NOSAVE
// stops the server. TEST_TARGET=redis runs the same expectations against redis-server.
import { test } from 'node:test';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import Redis from 'ioredis';
import { blockedClients, rawConnect, resp, sleep, startServer } from './helpers.mjs';

const EVAL_BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const FUNCTION_BUSY = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
const LOOP = 'local a = 1 while true do a = a + 1 end';

/** A server with a short threshold, and two connected clients: one to run the script, one to look on. */
async function busyServer(t) {
  const server = await startServer();
  const runner = new Redis({ port: server.port });
  const other = new Redis({ port: server.port });
  t.after(async () => {
    runner.disconnect();
    other.disconnect();
    await server.stop();
  });
  await Promise.all([runner.ping(), other.ping()]);
  await other.config('SET', 'busy-reply-threshold', '50');
  return { server, runner, other };
}

const errorOf = (promise) => promise.then((r) => assert.fail(`expected an error, got ${JSON.stringify(r)}`), (e) => e.message);

/** Waits until `client` is answered BUSY, i.e. the script is past the threshold. */
async function untilBusy(client) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const reply = await client.ping().catch((e) => e.message);
    if (reply.startsWith('BUSY')) return reply;
    if (Date.now() > deadline) throw new Error('the script never became busy');
    await sleep(20);
  }
}

test('a timed-out EVAL: BUSY for others, only SCRIPT KILL stops it, and the server carries on', async (t) => {
  const { runner, other } = await busyServer(t);
  const running = errorOf(runner.eval(LOOP, 0));
  assert.equal(await untilBusy(other), EVAL_BUSY);
  assert.equal(await errorOf(other.get('x')), EVAL_BUSY);
  assert.equal(await errorOf(other.call('FUNCTION', 'KILL')), EVAL_BUSY);
  assert.equal(await errorOf(other.call('FUNCTION', 'STATS')), EVAL_BUSY);
  assert.equal(await errorOf(other.call('SHUTDOWN')), EVAL_BUSY);
  // MULTI is served; what is queued is refused, so EXEC aborts the transaction.
  assert.equal(await other.multi({ pipeline: false }), 'OK');
  assert.equal(await errorOf(other.call('SET', 'x', '1')), EVAL_BUSY);
  assert.equal(await errorOf(other.call('EXEC')), `EXECABORT Transaction discarded because of: ${EVAL_BUSY}`);
  assert.equal(await other.call('SCRIPT', 'KILL'), 'OK');
  assert.match(await running, /^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/);
  assert.equal(await other.ping(), 'PONG');
  assert.equal(await runner.get('x'), null);
  assert.equal(await errorOf(other.call('SCRIPT', 'KILL')), 'NOTBUSY No scripts in execution right now.');
});

test('a connection opened during a busy script is served: redis-cli SCRIPT KILL', async (t) => {
  const { server, runner, other } = await busyServer(t);
  const running = errorOf(runner.eval(LOOP, 0));
  await untilBusy(other);
  const fresh = await rawConnect(server.port);
  t.after(() => fresh.close());
  fresh.write(resp('PING'));
  assert.equal(await fresh.readUntil(`-${EVAL_BUSY}\r\n`), `-${EVAL_BUSY}\r\n`);
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(server.port), 'SCRIPT', 'KILL'], { timeout: 5000 });
  assert.equal(stdout, 'OK\n');
  assert.match(await running, /killed by user/);
});

test('pcall cannot catch the kill', async (t) => {
  const { runner, other } = await busyServer(t);
  const running = errorOf(runner.eval("local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", 0));
  await untilBusy(other);
  assert.equal(await other.call('SCRIPT', 'KILL'), 'OK');
  assert.match(await running, /^ERR Script killed by user with SCRIPT KILL\.\.\./);
  assert.equal(await other.ping(), 'PONG');
});

test('a busy function: FUNCTION STATS shows it, SCRIPT KILL refuses, FUNCTION KILL stops it', async (t) => {
  const { runner, other } = await busyServer(t);
  await other.call('FUNCTION', 'LOAD', `#!lua name=busy\nredis.register_function('spin', function() ${LOOP} end)`);
  const running = errorOf(runner.call('FCALL', 'spin', '0'));
  assert.equal(await untilBusy(other), FUNCTION_BUSY);
  const [label, script] = await other.call('FUNCTION', 'STATS');
  assert.equal(label, 'running_script');
  assert.deepEqual(script.slice(0, 4), ['name', 'spin', 'command', ['FCALL', 'spin', '0']]);
  assert.equal(script[4], 'duration_ms');
  assert.ok(script[5] >= 50, `duration ${script[5]}`);
  assert.equal(await errorOf(other.call('SCRIPT', 'KILL')), FUNCTION_BUSY);
  assert.equal(await other.call('FUNCTION', 'KILL'), 'OK');
  assert.match(await running, /^ERR Script killed by user with SCRIPT KILL\.\.\. script: spin, on @user_function:2\.$/);
});

test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE still stops the server', async (t) => {
  const { server, runner, other } = await busyServer(t);
  runner.eval(`redis.call('SET', KEYS[1], 'y') ${LOOP}`, 1, 'x').catch(() => {});
  await untilBusy(other);
  assert.equal(
    await errorOf(other.call('SCRIPT', 'KILL')),
    'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
  );
  assert.equal(await errorOf(other.ping()), EVAL_BUSY);
  other.call('SHUTDOWN', 'NOSAVE').catch(() => {});
  assert.equal(await server.exited, 0);
});

test('below the threshold a slow script only delays the others', async (t) => {
  const { runner, other } = await busyServer(t);
  await other.config('SET', 'busy-reply-threshold', '5000');
  const slow = runner.eval('local n = 0 for i = 1, 30000000 do n = n + i end return n', 0);
  await sleep(20);
  assert.equal(await other.ping(), 'PONG');
  assert.equal(await slow, 450000015000000);
});

test('a client blocked on a key the timed-out script pushed to waits for the whole script', async (t) => {
  const { server, runner, other } = await busyServer(t);
  const waiter = new Redis({ port: server.port });
  t.after(() => waiter.disconnect());
  const popped = waiter.blpop('x', 0);
  await blockedClients(other, 1);
  // Spins for 400 ms between its two pushes, by the server's clock.
  const script = `
    redis.call('LPUSH', KEYS[1], 'y')
    local t0 = redis.call('TIME')
    while true do
      local t = redis.call('TIME')
      if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 400000 then break end
    end
    redis.call('LPUSH', KEYS[1], 'z')
    return 'done'`;
  const running = runner.eval(script, 1, 'x');
  await untilBusy(other);
  // HELLO is served during a busy script; before the fix the command after it served the waiter 'y'.
  assert.equal((await other.call('HELLO', '2'))[0], 'server');
  assert.equal(await running, 'done');
  assert.deepEqual(await popped, ['x', 'z']);
});

test('whoever SHUTDOWN NOSAVE disconnects is refused when connecting again at once', async (t) => {
  const { server, runner, other } = await busyServer(t);
  // Connected before many others, so that the server closing every connection takes a while after closing this one.
  const asker = await rawConnect(server.port);
  const bystanders = [];
  for (let i = 0; i < 1000; i++) {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    bystanders.push(socket);
  }
  t.after(() => bystanders.forEach((s) => s.destroy()));
  runner.eval(`redis.call('SET', KEYS[1], 'y') ${LOOP}`, 1, 'x').catch(() => {});
  await untilBusy(other);
  const again = new Promise((resolve) => {
    asker.socket.on('close', () => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('connect', () => resolve('accepted'));
      socket.on('error', (error) => resolve(error.code));
    });
  });
  asker.write(resp('SHUTDOWN', 'NOSAVE'));
  assert.equal(await again, 'ECONNREFUSED');
  assert.equal(await server.exited, 0);
});
