// Keyspace notifications (notify-keyspace-events): which events strings,
// generic key commands, expiry and lists publish, on which channels, in which
// order, and that disabled classes stay silent. Every expectation is what
// Redis 7.0.15 publishes (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedClients, useServer, keyEvents, sleep, extraClient } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});

const events = (t, flags, run) => keyEvents(t, server.port, flags, run);

test('CONFIG GET answers the flags in canonical order', async () => {
  for (const [set, get] of [['KEA', 'AKE'], ['Elg', 'glE'], ['Kx$m', '$xKm'], ['g$lshzxetd', 'AKE'.slice(0, 1)], ['', ''], ['nE', 'nE']]) {
    await r.config('SET', 'notify-keyspace-events', set);
    assert.deepEqual(await r.config('GET', 'notify-keyspace-events'), ['notify-keyspace-events', get]);
  }
  await assert.rejects(r.config('SET', 'notify-keyspace-events', 'KEQ'), /Invalid event class character/);
  await r.config('SET', 'notify-keyspace-events', '');
});

test('string commands', async (t) => {
  await r.set('exists', '1');
  const seen = await events(t, 'E$g', async () => {
    await r.set('s', 'v');
    await r.set('s', 'v', 'EX', 100);
    await r.set('exists', 'x', 'NX');
    await r.setex('se', 100, 'v');
    await r.setnx('exists', 'v');
    await r.setnx('nx', 'v');
    await r.getset('nx', 'w');
    await r.mset('m1', '1', 'm2', '2');
    await r.msetnx('m1', '1', 'm3', '3');
    await r.incr('n');
    await r.decrby('n', 5);
    await r.incrbyfloat('f', '1.5');
    await r.append('s', 'x');
    await r.setrange('s', 5, 'y');
    await r.setbit('bits', 3, 1);
    await r.getex('s', 'EX', 50);
    await r.getex('s', 'PERSIST');
    await r.getex('s', 'PERSIST');
    await r.getdel('s');
    await r.getdel('s');
  });
  assert.deepEqual(seen, [
    'E 0 set s',
    'E 0 set s', 'E 0 expire s',
    'E 0 set se', 'E 0 expire se',
    'E 0 set nx',
    'E 0 set nx',
    'E 0 set m1', 'E 0 set m2',
    'E 0 incrby n', 'E 0 incrby n',
    'E 0 incrbyfloat f',
    'E 0 append s',
    'E 0 setrange s',
    'E 0 setbit bits',
    'E 0 expire s',
    'E 0 persist s',
    'E 0 del s',
  ]);
});

test('generic key commands', async (t) => {
  await r.mset('a', '1', 'b', '2', 'c', '3', 'd', '4');
  const seen = await events(t, 'Eg', async () => {
    await r.del('a', 'missing', 'b');
    await r.unlink('c');
    await r.rename('d', 'e');
    await r.copy('e', 'f');
    await r.move('f', 1);
    await r.expire('e', 100);
    await r.expire('missing', 100);
    await r.persist('e');
    await r.persist('e');
    await r.pexpire('e', -1);
  });
  assert.deepEqual(seen, [
    'E 0 del a', 'E 0 del b',
    'E 0 del c',
    'E 0 rename_from d', 'E 0 rename_to e',
    'E 0 copy_to f',
    'E 0 move_from f', 'E 1 move_to f',
    'E 0 expire e',
    'E 0 persist e',
    'E 0 del e',
  ]);
});

test('keyspace channels carry the event, keyevent channels the key', async (t) => {
  const seen = await events(t, 'KE$', () => r.set('k', 'v'));
  assert.deepEqual(seen, ['K 0 k set', 'E 0 set k']);
  const spaceOnly = await events(t, 'K$', () => r.set('k', 'v'));
  assert.deepEqual(spaceOnly, ['K 0 k set']);
});

test('classes that are off publish nothing', async (t) => {
  const seen = await events(t, 'El', async () => {
    await r.set('k', 'v');
    await r.del('k');
    await r.rpush('l', 'a');
  });
  assert.deepEqual(seen, ['E 0 rpush l']);
  const none = await events(t, 'A', () => r.set('k', 'v'));
  assert.deepEqual(none, [], 'A without K or E selects no channel');
});

test('new keys and key misses have classes of their own', async (t) => {
  await r.set('old', 'v');
  const seen = await events(t, 'Enm$', async () => {
    await r.set('fresh', 'v');
    await r.set('old', 'w');
    await r.get('nothing');
    await r.get('fresh');
    await r.rpush('list', 'a');
  });
  assert.deepEqual(seen, ['E 0 new fresh', 'E 0 set fresh', 'E 0 set old', 'E 0 keymiss nothing', 'E 0 new list']);
});

test('expiry publishes expired, on access and from the background cycle', async (t) => {
  const seen = await events(t, 'Ex', async () => {
    await r.set('lazy', 'v', 'PX', 1);
    await r.set('active', 'v', 'PX', 1);
    await sleep(10);
    await r.get('lazy');
    // The background cycle runs ten times a second.
    for (let i = 0; i < 50 && (await r.dbsize()) > 0; i++) await sleep(20);
  });
  assert.deepEqual(seen, ['E 0 expired lazy', 'E 0 expired active']);
});

test('list commands', async (t) => {
  const seen = await events(t, 'Elg', async () => {
    await r.rpush('l', 'a', 'b', 'c', 'd');
    await r.lpush('l', 'z');
    await r.lpushx('missing', 'x');
    await r.rpushx('l', 'e');
    await r.lset('l', 0, 'y');
    await r.linsert('l', 'BEFORE', 'b', 'ab');
    await r.linsert('l', 'BEFORE', 'nope', 'x');
    await r.lrem('l', 0, 'ab');
    await r.lrem('l', 0, 'nope');
    await r.ltrim('l', 0, 3);
    await r.lmove('l', 'dst', 'LEFT', 'RIGHT');
    await r.rpoplpush('l', 'dst');
    await r.lpop('l');
    await r.rpop('l', 5);
    await r.lmpop(1, 'dst', 'RIGHT', 'COUNT', 10);
    await r.rpush('s', '3', '1', '2');
    await r.sort('s', 'STORE', 'sorted');
    await r.sort('missing', 'STORE', 'sorted');
  });
  assert.deepEqual(seen, [
    'E 0 rpush l',
    'E 0 lpush l',
    'E 0 rpush l',
    'E 0 lset l',
    'E 0 linsert l',
    'E 0 lrem l',
    'E 0 ltrim l',
    'E 0 rpush dst', 'E 0 lpop l',
    'E 0 lpush dst', 'E 0 rpop l',
    'E 0 lpop l',
    'E 0 rpop l', 'E 0 del l',
    'E 0 rpop dst', 'E 0 del dst',
    'E 0 rpush s',
    'E 0 sortstore sorted',
    'E 0 del sorted',
  ]);
});

test('a blocked pop served by a push publishes the push, then the pop', async (t) => {
  const blocked = extraClient(t, server.port);
  const seen = await events(t, 'El', async () => {
    const popped = blocked.blpop('q', 0);
    await blockedClients(r, 1);
    await r.rpush('q', 'job');
    assert.deepEqual(await popped, ['q', 'job']);
  });
  assert.deepEqual(seen, ['E 0 rpush q', 'E 0 lpop q']);
});

test('commands in a transaction publish when EXEC runs them', async (t) => {
  const seen = await events(t, 'E$', async () => {
    const tx = r.multi();
    tx.set('t1', 'a');
    tx.set('t2', 'b');
    await tx.exec();
  });
  assert.deepEqual(seen, ['E 0 set t1', 'E 0 set t2']);
});
