import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './helpers.mjs';

let r;
useServer([], (_server, client) => {
  r = client;
});

beforeEach(async () => {
  await r.rpush('l', '3', '1', '2', '10');
  await r.sadd('s', 'b', 'a', 'c');
  await r.zadd('z', 3, 'c', 1, 'a', 2, 'b');
  await r.mset('w_1', '30', 'w_2', '20', 'w_3', '10', 'w_10', '5', 'o_1', 'one', 'o_2', 'two');
  await r.hset('h_1', 'f', 'x');
});

test('SORT orders numbers numerically, ALPHA orders bytes, DESC and LIMIT apply', async () => {
  assert.deepEqual(await r.sort('l'), ['1', '2', '3', '10']);
  assert.deepEqual(await r.sort('l', 'ALPHA'), ['1', '10', '2', '3']);
  assert.deepEqual(await r.sort('l', 'DESC', 'LIMIT', 1, 2), ['3', '2']);
  assert.deepEqual(await r.sort('s', 'ALPHA'), ['a', 'b', 'c']);
  assert.deepEqual(await r.sort('z', 'ALPHA', 'DESC'), ['c', 'b', 'a']);
  assert.deepEqual(await r.sort('l', 'LIMIT', 10, 2), []);
  assert.deepEqual(await r.sort('missing'), []);
});

test('SORT BY a pattern sorts by the looked-up values; GET projects values, # and hash fields', async () => {
  assert.deepEqual(await r.sort('l', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*', 'GET', 'h_*->f'), [
    '10', null, null, '3', null, null, '2', 'two', null, '1', 'one', 'x',
  ]);
  await assert.rejects(r.sort('l', 'BY', 'h_*->f'), { message: "ERR One or more scores can't be converted into double" });
});

test('SORT BY without * keeps the collection order; a set is then sorted when stored', async () => {
  assert.deepEqual(await r.sort('l', 'BY', 'nosort', 'DESC', 'LIMIT', 0, 2), ['10', '2']);
  assert.deepEqual(await r.sort('z', 'BY', 'nosort', 'LIMIT', 1, 5), ['b', 'c']);
  assert.equal(await r.sort('s', 'BY', 'nosort', 'STORE', 'dst'), 3);
  assert.deepEqual(await r.lrange('dst', 0, -1), ['a', 'b', 'c']);
});

test('SORT STORE writes a list (missing GET values as empty strings) and deletes the key for an empty result', async () => {
  assert.equal(await r.sort('l', 'BY', 'w_*', 'ALPHA', 'GET', 'o_*', 'STORE', 'out'), 4);
  assert.deepEqual(await r.lrange('out', 0, -1), ['', 'two', 'one', '']);
  await r.set('gone', 'x');
  assert.equal(await r.sort('missing', 'STORE', 'gone'), 0);
  assert.equal(await r.exists('gone'), 0);
});

test('SORT errors: non-numeric elements, wrong type, syntax; SORT_RO has no STORE', async () => {
  await assert.rejects(r.sort('s'), { message: "ERR One or more scores can't be converted into double" });
  await r.set('str', 'v');
  await assert.rejects(r.sort('str'), { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
  await assert.rejects(r.sort('l', 'BOGUS'), { message: 'ERR syntax error' });
  await assert.rejects(r.call('SORT_RO', 'l', 'STORE', 'x'), { message: 'ERR syntax error' });
  assert.deepEqual(await r.call('SORT_RO', 'l', 'DESC'), ['10', '3', '2', '1']);
});
