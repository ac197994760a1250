// What the replication stream carries for the pops that pick one of several keys or wait for one
// (BLPOP, LMPOP, BZPOPMIN, ZMPOP, ...), for SWAPDB, and for a blocked client whose key turns out
// expired when it is woken: the same scenario runs against our server and a real redis-server,
// and both streams must be the literal expected here (Redis's test suite reads these streams).
// The stream is read as the suite reads it, through a plain SYNC, which must start at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedClients, rawConnect, resp, sleep, startServer, HAVE_REDIS } from './helpers.mjs';
import { connect, redisServer, stopAfter } from './replication-fixtures.mjs';

/** Attaches as an old-style replica (SYNC, as the suite's attach_to_replication_stream) and skips the snapshot. */
async function attach(port) {
  // Well under the 5 s repl-diskless-sync-delay: a SYNC (no `capa eof`) gets a disk snapshot at once.
  const conn = await rawConnect(port, 3000);
  conn.write('SYNC\r\n');
  let header = await conn.readUntil('\r\n');
  while (header.startsWith('\n')) header = header.slice(1);
  const length = Number(/^\$(\d+)\r\n$/.exec(header)[1]);
  assert.equal((await conn.read(length)).slice(0, 5), 'REDIS');
  return conn;
}

/** The next command of the stream, its arguments as sent. */
async function nextCommand(conn) {
  const count = Number(/^\*(\d+)\r\n$/.exec(await conn.readUntil('\r\n'))[1]);
  const args = [];
  for (let i = 0; i < count; i++) {
    const length = Number(/^\$(\d+)\r\n$/.exec(await conn.readUntil('\r\n'))[1]);
    args.push((await conn.read(length + 2)).slice(0, -2));
  }
  return args;
}

/** Runs the scenario on the server at `port`; returns the stream it produced, up to the closing marker. */
async function scenario(port) {
  const m = connect(port);
  const b = connect(port);
  await m.config('SET', 'repl-ping-replica-period', '3600');
  const conn = await attach(port);
  try {
    await m.call('FLUSHALL');
    await m.call('RPUSH', 'l', 'a', 'b', 'c');
    await m.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', '5');
    await m.call('RPUSH', 'l2', 'x', 'y');
    await m.call('BLPOP', 'l', 'l2', '0');
    await m.call('BRPOP', 'l2', '0');
    let served = b.call('BLPOP', 'w', '0');
    await blockedClients(m, 1);
    await m.call('RPUSH', 'w', '1');
    assert.deepEqual(await served, ['w', '1']);
    served = b.call('BLMPOP', '0', '1', 'w', 'RIGHT', 'COUNT', '2');
    await blockedClients(m, 1);
    await m.call('RPUSH', 'w', '1', '2', '3');
    assert.deepEqual(await served, ['w', ['3', '2']]);
    await m.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    await m.call('ZMPOP', '1', 'z', 'MAX', 'COUNT', '2');
    await m.call('BZPOPMIN', 'z', '0');
    served = b.call('BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '10');
    await blockedClients(m, 1);
    await m.call('ZADD', 'z', '1', 'a', '2', 'b');
    assert.deepEqual(await served, ['z', [['a', '1'], ['b', '2']]]);
    served = b.call('BZPOPMAX', 'z', '0');
    await blockedClients(m, 1);
    await m.call('ZADD', 'z', '1', 'a');
    assert.deepEqual(await served, ['z', 'a', '1']);
    await m.call('SWAPDB', '0', '1');
    await m.call('SWAPDB', '1', '1');
    // A waiter woken by SWAPDB onto a logically expired key stays blocked; the key's deletion is all that travels.
    await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await m.select(1);
    await m.call('RPUSH', 'k', 'hello');
    await m.call('PEXPIRE', 'k', '50');
    const waiter = await b.call('CLIENT', 'ID');
    served = b.call('BRPOP', 'k', '0');
    await blockedClients(m, 1);
    await sleep(80);
    await m.call('SWAPDB', '1', '0');
    await blockedClients(m, 1);
    assert.equal(await m.call('CLIENT', 'UNBLOCK', String(waiter)), 1);
    assert.equal(await served, null);
    await m.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await m.call('SET', 'end', '1');
    const stream = [];
    for (let command = await nextCommand(conn); command[1] !== 'end'; command = await nextCommand(conn)) stream.push(command);
    return stream;
  } finally {
    conn.close();
  }
}

const EXPECTED = [
  ['SELECT', '0'],
  ['FLUSHALL'],
  ['RPUSH', 'l', 'a', 'b', 'c'],
  ['LPOP', 'l', '3'],
  ['RPUSH', 'l2', 'x', 'y'],
  ['LPOP', 'l2'],
  ['RPOP', 'l2'],
  ['RPUSH', 'w', '1'],
  ['LPOP', 'w'],
  ['RPUSH', 'w', '1', '2', '3'],
  ['RPOP', 'w', '2'],
  ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
  ['ZPOPMAX', 'z', '2'],
  ['ZPOPMIN', 'z'],
  ['ZADD', 'z', '1', 'a', '2', 'b'],
  ['ZPOPMIN', 'z', '2'],
  ['ZADD', 'z', '1', 'a'],
  ['ZPOPMAX', 'z'],
  ['SWAPDB', '0', '1'],
  ['SWAPDB', '1', '1'],
  ['SELECT', '1'],
  ['RPUSH', 'k', 'hello'],
  ['PEXPIREAT', 'k', '<time>'],
  ['SWAPDB', '1', '0'],
  ['SELECT', '0'],
  ['DEL', 'k'],
  ['SELECT', '1'],
];

/** Command names compared case-blind (Redis keeps the client's spelling), PEXPIREAT's time as a placeholder. */
const normalized = (stream) =>
  stream.map(([name, ...rest]) => (name.toUpperCase() === 'PEXPIREAT' ? ['PEXPIREAT', rest[0], '<time>'] : [name.toUpperCase(), ...rest]));

test('ours: multi-key and blocking pops travel as single-key pops, SWAPDB travels, an expired key woken on travels as DEL', { timeout: 20000 }, async () => {
  const server = stopAfter(await startServer(['--save', '', '--enable-debug-command', 'yes']));
  assert.deepEqual(normalized(await scenario(server.port)), EXPECTED);
});

test('redis-server: the same scenario gives the same stream', { timeout: 20000, skip: !HAVE_REDIS && 'redis-server not installed' }, async () => {
  const server = await redisServer(['--enable-debug-command', 'yes']);
  assert.deepEqual(normalized(await scenario(server.port)), EXPECTED);
});
