// Transactions: MULTI/EXEC/DISCARD and optimistic locking with WATCH/UNWATCH.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, WatchError } from 'redis';
import { useServer, rawConnect, resp, sleep, extraClient, rawFor, exchange, drain } from './helpers.mjs';

let server;
let r;

const EXECABORT = '-EXECABORT Transaction discarded because of previous errors.\r\n';
const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';

useServer(['--enable-debug-command', 'yes'], (s, client) => {
  server = s;
  r = client;
});




/** WATCH `key`, let `change` happen, then MULTI/PING/EXEC: 'PONG' when EXEC ran, null when it aborted. */
async function execAfter(t, key, change) {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', key]], '+OK\r\n');
  await change();
  conn.write(resp('MULTI') + resp('PING') + resp('EXEC'));
  const head = await conn.read('+OK\r\n+QUEUED\r\n'.length);
  assert.equal(head, '+OK\r\n+QUEUED\r\n');
  const first = await conn.read(4);
  if (first === '*-1\r') {
    assert.equal(await conn.read(1), '\n');
    return null;
  }
  assert.equal(first + (await conn.read('+PONG\r\n'.length)), '*1\r\n+PONG\r\n');
  return 'PONG';
}


/** Turns active expiry off for one test, so stale keys stay in place until touched. */
async function withoutActiveExpire(t) {
  await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  t.after(() => r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'));
}

// ---------------------------------------------------------------- MULTI / EXEC / DISCARD

test('queued commands answer +QUEUED and EXEC returns their replies in order', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'k', 'v'], ['INCR', 'n'], ['GET', 'k'], ['PING'], ['EXEC']],
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:1\r\n$1\r\nv\r\n+PONG\r\n',
  );
  assert.equal(await r.get('k'), 'v');
});

test('nothing runs before EXEC', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['SET', 'k', 'v']], '+OK\r\n+QUEUED\r\n');
  assert.equal(await r.exists('k'), 0);
  await exchange(conn, [['EXEC']], '*1\r\n+OK\r\n');
  assert.equal(await r.get('k'), 'v');
});

test('an empty transaction answers an empty array', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['EXEC']], '+OK\r\n*0\r\n');
});

test('run-time errors take their place in the EXEC array and later commands still run', async (t) => {
  await r.set('s', 'str');
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['LPUSH', 's', 'x'], ['INCR', 's'], ['SET', 'after', '1'], ['GET', 's'], ['EXEC']],
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n' +
      `*4\r\n${WRONGTYPE}-ERR value is not an integer or out of range\r\n+OK\r\n$3\r\nstr\r\n`,
  );
  assert.equal(await r.get('after'), '1');
});

test('ioredis multi() gives [error, result] pairs with run-time errors in place', async () => {
  await r.set('s', 'str');
  const replies = await r.multi().set('a', '1').lpush('s', 'x').incr('a').exec();
  assert.equal(replies.length, 3);
  assert.deepEqual(replies[0], [null, 'OK']);
  assert.match(replies[1][0].message, /^WRONGTYPE /);
  assert.deepEqual(replies[2], [null, 2]);
});

test('an unknown command while queueing makes EXEC abort and run nothing', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'a', '1'], ['NOSUCHCOMMAND', 'x'], ['SET', 'b', '2'], ['EXEC']],
    "+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \r\n+QUEUED\r\n" + EXECABORT,
  );
  assert.equal(await r.exists('a', 'b'), 0);
  // The connection has left the transaction.
  await exchange(conn, [['PING']], '+PONG\r\n');
});

test('a wrong arity while queueing makes EXEC abort', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'a'], ['SET', 'b', '2'], ['EXEC'], ['EXISTS', 'b']],
    "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+QUEUED\r\n" + EXECABORT + ':0\r\n',
  );
});

test('an unknown subcommand while queueing makes EXEC abort', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'a', '1'], ['CONFIG', 'NOPE'], ['EXEC']],
    "+OK\r\n+QUEUED\r\n-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n" + EXECABORT,
  );
  assert.equal(await r.exists('a'), 0);
});

test('a command not allowed in a transaction is refused and aborts EXEC', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'a', '1'], ['SHUTDOWN'], ['EXEC']],
    '+OK\r\n+QUEUED\r\n-ERR Command not allowed inside a transaction\r\n' + EXECABORT,
  );
  assert.equal(await r.exists('a'), 0);
});

test('a queueing error is forgotten once the transaction ends (DISCARD or RESET)', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['NOPE'], ['DISCARD']], "+OK\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n+OK\r\n");
  await exchange(conn, [['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
  await exchange(conn, [['MULTI'], ['NOPE'], ['RESET']], "+OK\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n+RESET\r\n");
  await exchange(conn, [['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
});

test('nested MULTI is an error that does not abort the transaction', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SET', 'a', '1'], ['MULTI'], ['EXEC']],
    '+OK\r\n+QUEUED\r\n-ERR MULTI calls can not be nested\r\n*1\r\n+OK\r\n',
  );
});

test('WATCH inside MULTI is an error that does not abort the transaction', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['WATCH', 'x'], ['SET', 'a', '1'], ['EXEC']],
    '+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n',
  );
});

test('EXEC and DISCARD without MULTI are errors', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['EXEC'], ['DISCARD']], '-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n');
  await assert.rejects(r.exec(), { message: 'ERR EXEC without MULTI' });
  await assert.rejects(r.discard(), { message: 'ERR DISCARD without MULTI' });
});

test('DISCARD drops the queued commands and leaves the transaction', async (t) => {
  await r.rpush('l', 'a', 'b', 'c');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['DEL', 'l'], ['DISCARD'], ['EXEC']], '+OK\r\n+QUEUED\r\n+OK\r\n-ERR EXEC without MULTI\r\n');
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'c']);
});

test('RESET inside MULTI drops the transaction; QUIT closes the connection', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['SET', 'a', '1'], ['RESET'], ['EXEC']], '+OK\r\n+QUEUED\r\n+RESET\r\n-ERR EXEC without MULTI\r\n');
  assert.equal(await r.exists('a'), 0);
  await exchange(conn, [['MULTI'], ['SET', 'a', '1'], ['QUIT']], '+OK\r\n+QUEUED\r\n+OK\r\n');
  await conn.waitClosed();
  assert.equal(await r.exists('a'), 0);
});

test('SELECT inside MULTI applies to the rest of the transaction and stays afterwards', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['SELECT', '1'], ['SET', 'k', 'db1'], ['EXEC'], ['GET', 'k']],
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n$3\r\ndb1\r\n',
  );
  assert.equal(await r.exists('k'), 0);
});

test('MULTI where a command rewrites itself (SPOP) still answers per command', async () => {
  await r.sadd('set', 'a');
  assert.deepEqual(await r.multi().spop('set').exists('set').exec(), [
    [null, 'a'],
    [null, 0],
  ]);
});

test('RESP3: a transaction aborted by WATCH answers a null, and so does BLPOP inside EXEC', async (t) => {
  const conn = await rawFor(t, server.port);
  conn.write(resp('HELLO', '3'));
  await conn.read(1);
  await drain(conn);
  await exchange(conn, [['WATCH', 'x'], ['SET', 'x', '1'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n_\r\n');
  await exchange(conn, [['MULTI'], ['BLPOP', 'none', '0'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n_\r\n');
});

// ---------------------------------------------------------------- WATCH

test('EXEC runs when the watched keys did not change', async () => {
  await r.set('x', '1');
  assert.equal(await r.watch('x', 'y', 'z'), 'OK');
  assert.equal(await r.watch('w'), 'OK');
  assert.deepEqual(await r.multi().incr('x').exec(), [[null, 2]]);
});

test('WATCH needs at least one key', async () => {
  await assert.rejects(r.call('WATCH'), { message: "ERR wrong number of arguments for 'watch' command" });
});

test('a write by another client aborts EXEC with a null array', async (t) => {
  await r.set('x', '30');
  const other = extraClient(t, server.port);
  assert.equal(await execAfter(t, 'x', () => other.set('x', '40')), null);
});

test('a write by the watching client itself also aborts EXEC', async (t) => {
  await r.set('x', '30');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'x'], ['SET', 'x', '40'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n');
  // The aborted transaction ran nothing and left the watch behind.
  await exchange(conn, [['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
});

test('writes inside the transaction itself do not abort it', async (t) => {
  await r.set('x', '1');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'x'], ['MULTI'], ['SET', 'x', '2'], ['INCR', 'x'], ['EXEC']], '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:3\r\n');
});

test('DEL of a watched key aborts EXEC', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.del('x')), null);
});

test('a watched key that expires (PX 50, wait 100 ms) aborts EXEC', async (t) => {
  await r.set('x', 'v', 'PX', 50);
  assert.equal(await execAfter(t, 'x', () => sleep(100)), null);
});

test('a watched key that lazily expires on access aborts EXEC', async (t) => {
  await withoutActiveExpire(t);
  await r.set('x', 'v', 'PX', 50);
  assert.equal(await execAfter(t, 'x', async () => {
    await sleep(100);
    assert.equal(await r.exists('x'), 0);
  }), null);
});

test('a watched key that expires before EXEC aborts it even if nobody touched it', async (t) => {
  await withoutActiveExpire(t);
  await r.set('x', 'v', 'PX', 50);
  assert.equal(await execAfter(t, 'x', () => sleep(100)), null);
});

test('EXPIRE on a watched key aborts EXEC; a no-op EXPIRE does not', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.expire('x', 10)), null);
  assert.equal(await execAfter(t, 'missing', () => r.expire('missing', 10)), 'PONG');
});

test('watching a key that was already stale, and stays so, does not abort EXEC', async (t) => {
  await withoutActiveExpire(t);
  await r.set('x', 'v', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', async () => {}), 'PONG');
  // Its deletion is no change either.
  assert.equal(await execAfter(t, 'x', () => r.del('x')), 'PONG');
});

test('a stale watched key set again aborts EXEC', async (t) => {
  await withoutActiveExpire(t);
  await r.set('x', 'v', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', () => r.set('x', 'new')), null);
});

test('a missing watched key created by another client aborts EXEC', async (t) => {
  const other = extraClient(t, server.port);
  assert.equal(await execAfter(t, 'fresh', () => other.set('fresh', '1')), null);
  assert.equal(await execAfter(t, 'fresh2', () => other.rpush('fresh2', 'a')), null);
});

test('writes that change nothing do not abort EXEC', async (t) => {
  await r.sadd('s', 'a');
  assert.equal(await execAfter(t, 's', () => r.sadd('s', 'a')), 'PONG');
  assert.equal(await execAfter(t, 's', () => r.srem('s', 'zz')), 'PONG');
  assert.equal(await execAfter(t, 'missing', () => r.del('missing')), 'PONG');
  assert.equal(await execAfter(t, 's', () => r.get('x')), 'PONG');
});

test('a key with the same name in another database is a different key', async (t) => {
  await r.set('x', '1');
  const other = extraClient(t, server.port, { db: 1 });
  assert.equal(await execAfter(t, 'x', () => other.set('x', '2')), 'PONG');
});

test('WATCH remembers the database the key was watched in', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['SELECT', '5'], ['SET', 'x', '30'], ['WATCH', 'x'], ['SELECT', '1'], ['SET', 'x', '10'], ['SELECT', '5'], ['MULTI'], ['PING'], ['EXEC']],
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n',
  );
  await exchange(
    conn,
    [['SELECT', '1'], ['WATCH', 'x'], ['SELECT', '5'], ['SELECT', '1'], ['DEL', 'x'], ['MULTI'], ['PING'], ['EXEC']],
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n',
  );
});

test('FLUSHDB aborts EXEC when the watched key existed, not when it was missing', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.flushdb()), null);
  assert.equal(await execAfter(t, 'x', () => r.flushdb()), 'PONG');
});

test('FLUSHDB of another database does not touch the watched key', async (t) => {
  await r.set('x', '1');
  const other = extraClient(t, server.port, { db: 1 });
  await other.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => other.flushdb()), 'PONG');
});

test('FLUSHALL aborts EXEC when the watched key existed, not when it was missing', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.flushall()), null);
  assert.equal(await execAfter(t, 'x', () => r.flushall()), 'PONG');
});

test('FLUSHDB while watching a stale key does not abort EXEC', async (t) => {
  await withoutActiveExpire(t);
  await r.set('x', 'v', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', () => r.flushdb()), 'PONG');
});

test('FLUSHALL while one client watches several keys', async (t) => {
  await r.mset('a', 'a', 'b', 'b');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'b', 'a'], ['FLUSHALL'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n');
});

test('SWAPDB aborts EXEC when the watched key exists on either side', async (t) => {
  const db1 = extraClient(t, server.port, { db: 1 });
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), null); // x moves away
  assert.equal(await r.exists('x'), 0);
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), null); // x comes back
  await r.flushall();
  await db1.set('other', '1');
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), 'PONG'); // x exists nowhere
});

test('SWAPDB of a database with itself changes nothing', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 0)), 'PONG');
});

test('SWAPDB does not touch stale keys: stale to missing, missing to stale, stale to stale', async (t) => {
  await withoutActiveExpire(t);
  const db1 = extraClient(t, server.port, { db: 1 });
  await r.set('x', 'v', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), 'PONG');
  await r.flushall();
  await db1.set('x', 'v', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), 'PONG');
  await r.flushall();
  await r.set('x', 'a', 'PX', 1);
  await db1.set('x', 'b', 'PX', 1);
  await sleep(5);
  assert.equal(await execAfter(t, 'x', () => r.swapdb(0, 1)), 'PONG');
});

test('RENAME aborts EXEC for a watched source and a watched destination', async (t) => {
  await r.set('src', '1');
  assert.equal(await execAfter(t, 'src', () => r.rename('src', 'dst')), null);
  assert.equal(await execAfter(t, 'dst', () => r.rename('dst', 'src')), null);
  assert.equal(await execAfter(t, 'dst', () => r.rename('src', 'dst')), null);
});

test('MOVE, COPY, SORT STORE and GETDEL touch the keys they write', async (t) => {
  await r.set('x', '1');
  assert.equal(await execAfter(t, 'x', () => r.move('x', 1)), null);
  await r.set('s', '1');
  assert.equal(await execAfter(t, 'c', () => r.copy('s', 'c')), null);
  await r.lpush('foo', 'bar');
  assert.equal(await execAfter(t, 'foo', () => r.sort('emptylist', 'STORE', 'foo')), null);
  assert.equal(await execAfter(t, 's', () => r.getdel('s')), null);
});

test('UNWATCH forgets the watched keys and a change already seen', async (t) => {
  await r.set('x', '1');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'x'], ['SET', 'x', '2'], ['UNWATCH'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
  await exchange(conn, [['UNWATCH']], '+OK\r\n');
});

test('DISCARD forgets the watched keys and a change already seen', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['WATCH', 'x'], ['SET', 'x', '10'], ['MULTI'], ['DISCARD'], ['MULTI'], ['INCR', 'x'], ['EXEC']],
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:11\r\n',
  );
  await exchange(
    conn,
    [['WATCH', 'x'], ['MULTI'], ['DISCARD'], ['SET', 'x', '10'], ['MULTI'], ['INCR', 'x'], ['EXEC']],
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:11\r\n',
  );
});

test('RESET forgets the watched keys and a change already seen', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'x'], ['SET', 'x', '1'], ['RESET'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+RESET\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
});

test('after EXEC, successful or not, the keys are no longer watched', async (t) => {
  await r.set('x', '30');
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['WATCH', 'x'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
  await exchange(conn, [['SET', 'x', '40'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
  await exchange(conn, [['WATCH', 'x'], ['SET', 'x', '50'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n');
  await exchange(conn, [['SET', 'x', '60'], ['MULTI'], ['PING'], ['EXEC']], '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
});

test('EXEC without any WATCH runs whatever others do meanwhile', async (t) => {
  const other = extraClient(t, server.port);
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['INCR', 'n']], '+OK\r\n+QUEUED\r\n');
  await other.set('n', '41');
  await exchange(conn, [['EXEC']], '*1\r\n:42\r\n');
});

test('a watch dies with its connection', async (t) => {
  await r.set('x', '1');
  const conn = await rawConnect(server.port);
  await exchange(conn, [['WATCH', 'x']], '+OK\r\n');
  conn.close();
  await sleep(50);
  await r.set('x', '2');
  assert.equal(await execAfter(t, 'x', async () => {}), 'PONG');
});

// ---------------------------------------------------------------- blocking commands

test('blocking commands inside MULTI do not block: BLPOP on an empty list gives a null array', async (t) => {
  const conn = await rawFor(t, server.port);
  const started = Date.now();
  await exchange(
    conn,
    [['MULTI'], ['BLPOP', 'empty', '0'], ['BRPOP', 'empty', '0'], ['BLMOVE', 'e1', 'e2', 'LEFT', 'LEFT', '0'], ['BZPOPMIN', 'z', '0'], ['EXEC']],
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n*-1\r\n*-1\r\n$-1\r\n*-1\r\n',
  );
  assert.ok(Date.now() - started < 1000);
});

test('a blocking pop inside MULTI serves data pushed earlier in the same transaction', async () => {
  assert.deepEqual(await r.multi().rpush('l', 'a').blpop('l', 0).exec(), [
    [null, 1],
    [null, ['l', 'a']],
  ]);
});

test('a push inside MULTI/EXEC serves a client blocked in BLPOP once EXEC ends', async (t) => {
  const waiter = await rawFor(t, server.port);
  waiter.write(resp('BLPOP', 'l', '0'));
  await sleep(50);
  const conn = await rawFor(t, server.port);
  // Inside the transaction the list still holds both elements: the waiter is served after EXEC.
  await exchange(conn, [['MULTI'], ['RPUSH', 'l', 'a', 'b'], ['LLEN', 'l'], ['EXEC']], '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n:2\r\n');
  assert.equal(await waiter.read('*2\r\n$1\r\nl\r\n$1\r\na\r\n'.length), '*2\r\n$1\r\nl\r\n$1\r\na\r\n');
  assert.deepEqual(await r.lrange('l', 0, -1), ['b']);
});

test('a push popped again in the same transaction leaves the blocked client waiting', async (t) => {
  const waiter = await rawFor(t, server.port);
  waiter.write(resp('BLPOP', 'l', '0.3'));
  await sleep(50);
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['MULTI'], ['RPUSH', 'l', 'a'], ['LPOP', 'l'], ['EXEC']], '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n$1\r\na\r\n');
  // Only the timeout ends the wait.
  assert.equal(await waiter.read(5), '*-1\r\n');
});

// ---------------------------------------------------------------- clients

test('ioredis multi() pipelines a transaction', async () => {
  const replies = await r.multi().set('k', 'v').get('k').incr('n').incrby('n', 5).exec();
  assert.deepEqual(replies, [
    [null, 'OK'],
    [null, 'v'],
    [null, 1],
    [null, 6],
  ]);
});

test('ioredis multi() with a queueing error rejects with EXECABORT', async () => {
  await assert.rejects(r.multi().set('a', '1').call('NOSUCHCOMMAND').exec(), (error) => {
    assert.match(error.message, /^EXECABORT Transaction discarded because of previous errors/);
    return true;
  });
  assert.equal(await r.exists('a'), 0);
});

test('ioredis watch() + multi(): two clients increment a counter with optimistic locking', async (t) => {
  const ROUNDS = 100;
  await r.set('counter', '0');
  const clients = [extraClient(t, server.port), extraClient(t, server.port)];
  let retries = 0;
  const worker = async (client) => {
    for (let done = 0; done < ROUNDS; ) {
      await client.watch('counter');
      const value = Number(await client.get('counter'));
      // Give the other client a chance to interleave.
      await sleep(0);
      const result = await client.multi().set('counter', String(value + 1)).exec();
      if (result === null) retries++;
      else done++;
    }
  };
  await Promise.all(clients.map(worker));
  assert.equal(await r.get('counter'), String(2 * ROUNDS));
  assert.ok(retries > 0, 'the two clients never collided');
});

test('node-redis: multi().set().get().exec() and a WatchError after a conflicting write', async (t) => {
  const client = createClient({ url: `redis://127.0.0.1:${server.port}`, socket: { reconnectStrategy: false } });
  await client.connect();
  t.after(() => client.destroy());
  assert.deepEqual(await client.multi().set('k', 'v').get('k').exec(), ['OK', 'v']);
  await client.watch('k');
  await r.set('k', 'changed');
  await assert.rejects(client.multi().set('k', 'mine').exec(), WatchError);
  assert.equal(await r.get('k'), 'changed');
});

// ---------------------------------------------------------------- introspection

test('INFO counts errors replied from inside EXEC', async (t) => {
  await r.config('RESETSTAT');
  await r.set('s', 'str');
  const conn = await rawFor(t, server.port);
  await exchange(
    conn,
    [['MULTI'], ['LPUSH', 's', 'x'], ['INCR', 's'], ['EXEC']],
    `+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n${WRONGTYPE}-ERR value is not an integer or out of range\r\n`,
  );
  const info = await r.info('errorstats');
  assert.match(info, /errorstat_WRONGTYPE:count=1\r\n/);
  assert.match(info, /errorstat_ERR:count=1\r\n/);
  assert.match(await r.info('stats'), /total_error_replies:2\r\n/);
  const commandstats = await r.info('commandstats');
  assert.match(commandstats, /cmdstat_lpush:calls=1,.*,rejected_calls=0,failed_calls=1\r\n/);
  assert.match(commandstats, /cmdstat_exec:calls=1,.*,rejected_calls=0,failed_calls=0\r\n/);
});

/** CLIENT LIST's line for the client named `name`. */
const clientLine = (name) => r.client('LIST').then((list) => list.split('\n').find((l) => l.includes(` name=${name} `)));

test('CLIENT LIST shows a client in MULTI (flags=x, multi=queued count) and cmd=exec after EXEC', async (t) => {
  const conn = await rawFor(t, server.port);
  await exchange(conn, [['CLIENT', 'SETNAME', 'tx'], ['MULTI'], ['SET', 'a', '1'], ['GET', 'a']], '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n');
  const during = await clientLine('tx');
  assert.match(during, / flags=x /);
  assert.match(during, / multi=2 /);
  await exchange(conn, [['EXEC']], '*2\r\n+OK\r\n$1\r\n1\r\n');
  const line = () => clientLine('tx');
  const after = await line();
  assert.match(after, / flags=N /);
  assert.match(after, / multi=-1 /);
  assert.match(after, / cmd=exec /);
});

test(
  'CLIENT LIST shows the last queued command as cmd= while in MULTI',
  {},
  async (t) => {
    const conn = await rawFor(t, server.port);
    await exchange(conn, [['CLIENT', 'SETNAME', 'q'], ['MULTI'], ['GET', 'a']], '+OK\r\n+OK\r\n+QUEUED\r\n');
    assert.match(await clientLine('q'), / cmd=get /);
  },
);

test(
  'keys do not expire while EXEC runs: expiry uses the time EXEC started',
  {},
  async (t) => {
    const conn = await rawFor(t, server.port);
    await exchange(
      conn,
      [['SET', 'k', 'v', 'PX', '20'], ['MULTI'], ['GET', 'k'], ['DEBUG', 'SLEEP', '0.05'], ['GET', 'k'], ['EXISTS', 'k'], ['EXEC'], ['GET', 'k']],
      '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n$1\r\nv\r\n+OK\r\n$1\r\nv\r\n:1\r\n$-1\r\n',
      500,
    );
  },
);

test(
  'COMMAND INFO puts the transaction commands in @transaction; WATCH keys are RO only',
  async () => {
    const [multi, watch] = await r.command('INFO', 'multi', 'watch');
    assert.deepEqual(multi[6], ['@fast', '@transaction']);
    assert.deepEqual(watch[6], ['@fast', '@transaction']);
    assert.deepEqual(watch[8][0][1], ['RO']);
  },
);
