import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './helpers.mjs';

let r;
useServer([], (_server, client) => {
  r = client;
}, { flushEachTest: false });


test('SETBIT grows the string with zero bytes and returns the previous bit', async () => {
  await r.del('b');
  assert.equal(await r.setbit('b', 7, 1), 0);
  assert.equal(await r.setbit('b', 7, 1), 1);
  assert.equal(await r.setbit('b', 17, 1), 0);
  assert.deepEqual(await r.getBuffer('b'), Buffer.from([0x01, 0x00, 0x40]));
  assert.equal(await r.setbit('b', 7, 0), 1);
  assert.deepEqual(await r.getBuffer('b'), Buffer.from([0x00, 0x00, 0x40]));
});

test('GETBIT reads bits of a string, 0 past its end or for a missing key', async () => {
  await r.set('g', '`'); // 0x60 = 0110 0000
  assert.deepEqual(await Promise.all([0, 1, 2, 3, 100].map((i) => r.getbit('g', i))), [0, 1, 1, 0, 0]);
  assert.equal(await r.getbit('missing', 5), 0);
});

test('SETBIT and GETBIT refuse bad offsets and bit values with Redis error texts', async () => {
  await assert.rejects(r.setbit('b', -1, 1), { message: 'ERR bit offset is not an integer or out of range' });
  await assert.rejects(r.setbit('b', 4294967296, 1), { message: 'ERR bit offset is not an integer or out of range' });
  await assert.rejects(r.setbit('b', 0, 2), { message: 'ERR bit is not an integer or out of range' });
  await assert.rejects(r.getbit('b', 'x'), { message: 'ERR bit offset is not an integer or out of range' });
});

test('BITCOUNT counts set bits over the whole string, byte ranges and bit ranges', async () => {
  await r.set('c', 'foobar');
  assert.equal(await r.bitcount('c'), 26);
  assert.equal(await r.bitcount('c', 0, 0), 4);
  assert.equal(await r.bitcount('c', 1, 1), 6);
  assert.equal(await r.bitcount('c', -2, -1), 7);
  assert.equal(await r.call('BITCOUNT', 'c', 5, 30, 'BIT'), 17);
  assert.equal(await r.bitcount('c', -1, -2), 0);
  assert.equal(await r.bitcount('missing'), 0);
  await assert.rejects(r.call('BITCOUNT', 'c', 0), { message: 'ERR syntax error' });
  await assert.rejects(r.call('BITCOUNT', 'c', 0, 1, 'NIBBLE'), { message: 'ERR syntax error' });
});
