// String commands: GET/SET and options, counters, ranges, LCS.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { useServer, sleep } from './helpers.mjs';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const NOT_FLOAT = { message: 'ERR value is not a valid float' };
const OVERFLOW = { message: 'ERR increment or decrement would overflow' };
const TOO_BIG = { message: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' };
const badExpire = (cmd) => ({ message: `ERR invalid expire time in '${cmd}' command` });

useServer([], (s, client) => {
  server = s;
  r = client;
});

// TODO collections: GET/SET GET/APPEND/INCR/STRLEN/GETRANGE/SETRANGE/LCS/MGET on a
// non-string key (WRONGTYPE, or nil for MGET) once lists/hashes/sets exist.

// ---------------------------------------------------------------- GET / SET

test('GET of a missing key is nil', async () => {
  assert.equal(await r.get('missing'), null);
});

test('SET then GET round-trips a value, including binary bytes', async () => {
  assert.equal(await r.set('k', 'hello'), 'OK');
  assert.equal(await r.get('k'), 'hello');
  const bytes = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x80]);
  await r.set('bin', bytes);
  assert.deepEqual(await r.getBuffer('bin'), bytes);
  await r.set('empty', '');
  assert.equal(await r.get('empty'), '');
  assert.equal(await r.exists('empty'), 1);
});

test('SET overwrites an existing value', async () => {
  await r.set('k', 'one');
  await r.set('k', 'two');
  assert.equal(await r.get('k'), 'two');
});

test('SET EX sets a TTL in seconds', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'EX', '100'), 'OK');
  const ttl = await r.ttl('k');
  assert.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl}`);
});

test('SET PX sets a TTL in milliseconds', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'PX', '100000'), 'OK');
  const pttl = await r.pttl('k');
  assert.ok(pttl > 99000 && pttl <= 100000, `pttl ${pttl}`);
});

test('SET EXAT sets an absolute expiry in seconds', async () => {
  const at = Math.floor(Date.now() / 1000) + 1000;
  assert.equal(await r.call('SET', 'k', 'v', 'EXAT', String(at)), 'OK');
  assert.equal(await r.call('EXPIRETIME', 'k'), at);
});

test('SET PXAT sets an absolute expiry in milliseconds', async () => {
  const at = Date.now() + 1_000_000;
  assert.equal(await r.call('SET', 'k', 'v', 'PXAT', String(at)), 'OK');
  assert.equal(await r.call('PEXPIRETIME', 'k'), at);
});

test('SET EXAT/PXAT in the past stores nothing (the key is expired at once)', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'PXAT', '1'), 'OK');
  assert.equal(await r.get('k'), null);
  await r.set('k2', 'old');
  assert.equal(await r.call('SET', 'k2', 'v', 'EXAT', '1'), 'OK');
  assert.equal(await r.exists('k2'), 0);
});

test('SET options are case-insensitive', async () => {
  assert.equal(await r.call('set', 'k', 'v', 'ex', '50', 'nx'), 'OK');
  assert.equal(await r.call('set', 'k', 'w', 'Xx', 'kEePtTl'), 'OK');
  assert.equal(await r.get('k'), 'w');
  assert.ok((await r.ttl('k')) > 0);
});

test('SET NX does not overwrite an existing key', async () => {
  await r.set('k', 'old');
  assert.equal(await r.call('SET', 'k', 'new', 'NX'), null);
  assert.equal(await r.get('k'), 'old');
});

test('SET NX creates a missing key', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'NX'), 'OK');
  assert.equal(await r.get('k'), 'v');
});

test('SET XX does not create a missing key', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'XX'), null);
  assert.equal(await r.exists('k'), 0);
});

test('SET XX overwrites an existing key', async () => {
  await r.set('k', 'old');
  assert.equal(await r.call('SET', 'k', 'new', 'XX'), 'OK');
  assert.equal(await r.get('k'), 'new');
});

test('SET clears an existing TTL', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  await r.set('k', 'w');
  assert.equal(await r.ttl('k'), -1);
});

test('SET KEEPTTL keeps the existing TTL', async () => {
  await r.call('SET', 'k', 'v', 'PX', '100000');
  assert.equal(await r.call('SET', 'k', 'w', 'KEEPTTL'), 'OK');
  assert.equal(await r.get('k'), 'w');
  const pttl = await r.pttl('k');
  assert.ok(pttl > 90000 && pttl <= 100000, `pttl ${pttl}`);
});

test('SET KEEPTTL on a key without TTL leaves it persistent', async () => {
  await r.set('k', 'v');
  await r.call('SET', 'k', 'w', 'KEEPTTL');
  assert.equal(await r.ttl('k'), -1);
});

test('SET GET returns the previous value, or nil for a new key', async () => {
  assert.equal(await r.call('SET', 'k', 'one', 'GET'), null);
  assert.equal(await r.get('k'), 'one');
  assert.equal(await r.call('SET', 'k', 'two', 'GET'), 'one');
  assert.equal(await r.get('k'), 'two');
});

test('SET NX GET returns the old value and does not overwrite', async () => {
  await r.set('k', 'old');
  assert.equal(await r.call('SET', 'k', 'new', 'NX', 'GET'), 'old');
  assert.equal(await r.get('k'), 'old');
  assert.equal(await r.call('SET', 'k2', 'new', 'NX', 'GET'), null);
  assert.equal(await r.get('k2'), 'new');
});

test('SET XX GET on a missing key returns nil and creates nothing', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'XX', 'GET'), null);
  assert.equal(await r.exists('k'), 0);
});

test('SET GET with EX sets the TTL and returns the old value', async () => {
  await r.set('k', 'old');
  assert.equal(await r.call('SET', 'k', 'new', 'GET', 'EX', '100'), 'old');
  assert.ok((await r.ttl('k')) > 90);
});

test('SET with conflicting options is a syntax error and changes nothing', async () => {
  await r.set('k', 'orig');
  const conflicts = [
    ['NX', 'XX'],
    ['XX', 'NX'],
    ['EX', '10', 'PX', '100'],
    ['PX', '100', 'EX', '10'],
    ['EX', '10', 'EXAT', '9999999999'],
    ['PXAT', '9999999999999', 'EXAT', '9999999999'],
    ['EX', '10', 'KEEPTTL'],
    ['KEEPTTL', 'PX', '100'],
    ['EX'],
    ['PX'],
    ['BOGUS'],
    ['NX', 'FOO'],
    ['PERSIST'],
  ];
  for (const opts of conflicts) {
    await assert.rejects(r.call('SET', 'k', 'v', ...opts), SYNTAX, opts.join(' '));
  }
  assert.equal(await r.get('k'), 'orig');
  assert.equal(await r.ttl('k'), -1);
});

test('SET accepts the same option twice; the last expire wins', async () => {
  assert.equal(await r.call('SET', 'k', 'v', 'EX', '10', 'EX', '200'), 'OK');
  const ttl = await r.ttl('k');
  assert.ok(ttl > 150 && ttl <= 200, `ttl ${ttl}`);
  assert.equal(await r.call('SET', 'k', 'v', 'NX', 'NX'), null);
  assert.equal(await r.call('SET', 'k', 'w', 'GET', 'GET'), 'v');
  assert.equal(await r.call('SET', 'k', 'x', 'XX', 'XX'), 'OK');
});

test('SET KEEPTTL KEEPTTL is accepted', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.call('SET', 'k', 'w', 'KEEPTTL', 'KEEPTTL'), 'OK');
  assert.ok((await r.ttl('k')) > 90);
});

test('SET with a zero, negative or overflowing expire is refused', async () => {
  await r.set('k', 'orig');
  for (const opts of [
    ['EX', '0'],
    ['EX', '-1'],
    ['PX', '0'],
    ['PX', '-100'],
    ['EXAT', '0'],
    ['EXAT', '-5'],
    ['PXAT', '0'],
    ['PXAT', '-1'],
    ['EX', '9223372036854776'],
    ['EX', '9223372036854775'],
    ['PX', '9223372036854775807'],
    ['EXAT', '9223372036854776'],
  ]) {
    await assert.rejects(r.call('SET', 'k', 'v', ...opts), badExpire('set'), opts.join(' '));
  }
  assert.equal(await r.get('k'), 'orig');
});

test('SET with a non-integer expire is refused', async () => {
  await assert.rejects(r.call('SET', 'k', 'v', 'EX', 'abc'), NOT_INT);
  await assert.rejects(r.call('SET', 'k', 'v', 'PX', '1.5'), NOT_INT);
  await assert.rejects(r.call('SET', 'k', 'v', 'EX', '99999999999999999999'), NOT_INT);
  assert.equal(await r.exists('k'), 0);
});

test('SET with a wrong number of arguments is an arity error', async () => {
  await assert.rejects(r.call('SET', 'k'), { message: "ERR wrong number of arguments for 'set' command" });
  await assert.rejects(r.call('GET'), { message: "ERR wrong number of arguments for 'get' command" });
  await assert.rejects(r.call('GET', 'a', 'b'), { message: "ERR wrong number of arguments for 'get' command" });
});

// ---------------------------------------------------------------- SETNX / SETEX / PSETEX / GETSET / GETDEL

test('SETNX sets only a missing key and replies 1 or 0', async () => {
  assert.equal(await r.setnx('k', 'one'), 1);
  assert.equal(await r.setnx('k', 'two'), 0);
  assert.equal(await r.get('k'), 'one');
});

test('SETEX stores a value with a TTL in seconds', async () => {
  assert.equal(await r.setex('k', 100, 'v'), 'OK');
  assert.equal(await r.get('k'), 'v');
  const ttl = await r.ttl('k');
  assert.ok(ttl >= 99 && ttl <= 100);
});

test('PSETEX stores a value with a TTL in milliseconds', async () => {
  assert.equal(await r.psetex('k', 100000, 'v'), 'OK');
  const pttl = await r.pttl('k');
  assert.ok(pttl > 99000 && pttl <= 100000);
});

test('SETEX/PSETEX with a zero or negative TTL are refused', async () => {
  await assert.rejects(r.call('SETEX', 'k', '0', 'v'), badExpire('setex'));
  await assert.rejects(r.call('SETEX', 'k', '-1', 'v'), badExpire('setex'));
  await assert.rejects(r.call('PSETEX', 'k', '0', 'v'), badExpire('psetex'));
  await assert.rejects(r.call('PSETEX', 'k', '-1', 'v'), badExpire('psetex'));
  await assert.rejects(r.call('SETEX', 'k', 'abc', 'v'), NOT_INT);
  assert.equal(await r.exists('k'), 0);
});

test('GETSET returns the old value and clears the TTL', async () => {
  assert.equal(await r.getset('k', 'one'), null);
  await r.expire('k', 100);
  assert.equal(await r.getset('k', 'two'), 'one');
  assert.equal(await r.get('k'), 'two');
  assert.equal(await r.ttl('k'), -1);
});

test('GETDEL returns the value and deletes the key', async () => {
  await r.set('k', 'v');
  assert.equal(await r.getdel('k'), 'v');
  assert.equal(await r.exists('k'), 0);
  assert.equal(await r.getdel('k'), null);
});

// ---------------------------------------------------------------- GETEX

test('GETEX without options returns the value and keeps the TTL', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.getex('k'), 'v');
  assert.ok((await r.ttl('k')) > 90);
});

test('GETEX EX / PX / EXAT / PXAT change the TTL', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('GETEX', 'k', 'EX', '100'), 'v');
  assert.ok((await r.ttl('k')) > 90);
  assert.equal(await r.call('GETEX', 'k', 'PX', '50000'), 'v');
  const pttl = await r.pttl('k');
  assert.ok(pttl > 40000 && pttl <= 50000, `pttl ${pttl}`);
  const at = Math.floor(Date.now() / 1000) + 500;
  assert.equal(await r.call('GETEX', 'k', 'EXAT', String(at)), 'v');
  assert.equal(await r.call('EXPIRETIME', 'k'), at);
  const atMs = Date.now() + 700000;
  assert.equal(await r.call('GETEX', 'k', 'PXAT', String(atMs)), 'v');
  assert.equal(await r.call('PEXPIRETIME', 'k'), atMs);
});

test('GETEX PERSIST removes the TTL', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.call('GETEX', 'k', 'PERSIST'), 'v');
  assert.equal(await r.ttl('k'), -1);
});

test('GETEX PERSIST PERSIST is accepted', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.call('GETEX', 'k', 'PERSIST', 'PERSIST'), 'v');
  assert.equal(await r.ttl('k'), -1);
});

test('GETEX with an absolute time in the past returns the value and deletes the key', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('GETEX', 'k', 'EXAT', '1'), 'v');
  assert.equal(await r.exists('k'), 0);
  await r.set('k', 'w');
  assert.equal(await r.call('GETEX', 'k', 'PXAT', '1'), 'w');
  assert.equal(await r.exists('k'), 0);
});

test('GETEX of a missing key is nil', async () => {
  assert.equal(await r.call('GETEX', 'missing', 'EX', '10'), null);
  assert.equal(await r.call('GETEX', 'missing'), null);
});

test('GETEX with conflicting or unknown options is a syntax error', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  for (const opts of [
    ['EX', '10', 'PERSIST'],
    ['PERSIST', 'EX', '10'],
    ['EX', '10', 'PX', '10'],
    ['KEEPTTL'],
    ['NX'],
    ['GET'],
    ['EX'],
    ['FOO'],
  ]) {
    await assert.rejects(r.call('GETEX', 'k', ...opts), SYNTAX, opts.join(' '));
  }
  assert.ok((await r.ttl('k')) > 90);
});

test('GETEX with a zero or negative expire is refused and keeps the key', async () => {
  await r.set('k', 'v');
  await assert.rejects(r.call('GETEX', 'k', 'EX', '0'), badExpire('getex'));
  await assert.rejects(r.call('GETEX', 'k', 'PX', '-5'), badExpire('getex'));
  await assert.rejects(r.call('GETEX', 'k', 'EX', '9223372036854776'), badExpire('getex'));
  await assert.rejects(r.call('GETEX', 'k', 'EX', 'x'), NOT_INT);
  assert.equal(await r.get('k'), 'v');
  assert.equal(await r.ttl('k'), -1);
});

// ---------------------------------------------------------------- MGET / MSET / MSETNX

test('MGET returns values in order with nil for missing keys', async () => {
  await r.set('a', '1');
  await r.set('c', '3');
  assert.deepEqual(await r.mget('a', 'b', 'c', 'a'), ['1', null, '3', '1']);
});

test('MSET sets several keys and clears their TTLs', async () => {
  await r.call('SET', 'a', 'old', 'EX', '100');
  assert.equal(await r.mset('a', '1', 'b', '2'), 'OK');
  assert.deepEqual(await r.mget('a', 'b'), ['1', '2']);
  assert.equal(await r.ttl('a'), -1);
});

test('MSET with a repeated key keeps the last value', async () => {
  await r.mset('a', '1', 'a', '2');
  assert.equal(await r.get('a'), '2');
});

test('MSET/MSETNX with an odd number of arguments is an arity error', async () => {
  await assert.rejects(r.call('MSET', 'a', '1', 'b'), { message: "ERR wrong number of arguments for 'mset' command" });
  await assert.rejects(r.call('MSETNX', 'a', '1', 'b'), { message: "ERR wrong number of arguments for 'msetnx' command" });
  await assert.rejects(r.call('MSET', 'a'), { message: "ERR wrong number of arguments for 'mset' command" });
  assert.equal(await r.exists('a'), 0);
});

test('MSETNX sets all keys when none exists', async () => {
  assert.equal(await r.msetnx('a', '1', 'b', '2'), 1);
  assert.deepEqual(await r.mget('a', 'b'), ['1', '2']);
});

test('MSETNX sets nothing when any key exists', async () => {
  await r.set('b', 'old');
  assert.equal(await r.msetnx('a', '1', 'b', '2'), 0);
  assert.equal(await r.exists('a'), 0);
  assert.equal(await r.get('b'), 'old');
});

// ---------------------------------------------------------------- APPEND / STRLEN

test('APPEND creates or extends a string and returns the new length', async () => {
  assert.equal(await r.append('k', 'Hello'), 5);
  assert.equal(await r.append('k', ' World'), 11);
  assert.equal(await r.get('k'), 'Hello World');
  assert.equal(await r.append('k', ''), 11);
});

test('APPEND to an integer-encoded value works on its text', async () => {
  await r.set('n', '12');
  assert.equal(await r.append('n', '34'), 4);
  assert.equal(await r.incr('n'), 1235);
});

test('APPEND keeps the TTL', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  await r.append('k', 'w');
  assert.ok((await r.ttl('k')) > 90);
});

test('STRLEN counts bytes, 0 for a missing key', async () => {
  assert.equal(await r.strlen('missing'), 0);
  await r.set('k', 'hello');
  assert.equal(await r.strlen('k'), 5);
  await r.set('u', 'é€');
  assert.equal(await r.strlen('u'), 5);
  await r.set('n', '-12345');
  assert.equal(await r.strlen('n'), 6);
});

// ---------------------------------------------------------------- GETRANGE / SUBSTR

test('GETRANGE with positive, negative and out-of-range indexes', async () => {
  await r.set('s', 'Hello World');
  const cases = [
    [0, -1, 'Hello World'],
    [0, 4, 'Hello'],
    [-3, -1, 'rld'],
    [5, 3, ''],
    [-1, -5, ''],
    [3, -100, ''],
    [-100, 100, 'Hello World'],
    [-100, -50, 'H'], // Redis 7.0 clamps both ends to 0
    [20, 30, ''],
    [0, 0, 'H'],
    [-1, -1, 'd'],
    [6, 1000, 'World'],
  ];
  for (const [start, end, expected] of cases) {
    assert.equal(await r.getrange('s', start, end), expected, `GETRANGE s ${start} ${end}`);
  }
});

test('GETRANGE of a missing or empty key is an empty string', async () => {
  assert.equal(await r.getrange('missing', 0, -1), '');
  await r.set('e', '');
  assert.equal(await r.getrange('e', 0, -1), '');
});

test('GETRANGE works on integer-encoded values and binary data', async () => {
  await r.set('n', '1234567');
  assert.equal(await r.getrange('n', 1, 3), '234');
  await r.set('b', Buffer.from([0, 0xff, 1, 0x80]));
  assert.deepEqual(await r.getrangeBuffer('b', 1, 2), Buffer.from([0xff, 1]));
});

test('GETRANGE with a non-integer index is refused', async () => {
  await r.set('s', 'abc');
  await assert.rejects(r.call('GETRANGE', 's', '0', 'x'), NOT_INT);
  await assert.rejects(r.call('GETRANGE', 's', '1.5', '2'), NOT_INT);
  await assert.rejects(r.call('GETRANGE', 's', '0', '9223372036854775808'), NOT_INT);
});

test('SUBSTR behaves like GETRANGE', async () => {
  await r.set('s', 'Hello World');
  assert.equal(await r.call('SUBSTR', 's', '0', '4'), 'Hello');
  assert.equal(await r.call('SUBSTR', 's', '-5', '-1'), 'World');
  assert.equal(await r.call('SUBSTR', 's', '50', '60'), '');
  assert.equal(await r.call('SUBSTR', 'missing', '0', '-1'), '');
});

// ---------------------------------------------------------------- SETRANGE

test('SETRANGE overwrites part of a string and returns the new length', async () => {
  await r.set('k', 'Hello World');
  assert.equal(await r.setrange('k', 6, 'Redis'), 11);
  assert.equal(await r.get('k'), 'Hello Redis');
  assert.equal(await r.setrange('k', 6, 'Everybody'), 15);
  assert.equal(await r.get('k'), 'Hello Everybody');
});

test('SETRANGE pads with zero bytes past the end', async () => {
  assert.equal(await r.setrange('k', 5, 'ab'), 7);
  assert.deepEqual(await r.getBuffer('k'), Buffer.from([0, 0, 0, 0, 0, 0x61, 0x62]));
  await r.set('s', 'xy');
  assert.equal(await r.setrange('s', 4, 'z'), 5);
  assert.deepEqual(await r.getBuffer('s'), Buffer.from([0x78, 0x79, 0, 0, 0x7a]));
});

test('SETRANGE with an empty value does not create the key and returns the current length', async () => {
  assert.equal(await r.setrange('missing', 10, ''), 0);
  assert.equal(await r.exists('missing'), 0);
  await r.set('k', 'abc');
  assert.equal(await r.setrange('k', 100, ''), 3);
  assert.equal(await r.get('k'), 'abc');
});

test('SETRANGE with a negative offset is refused', async () => {
  await assert.rejects(r.setrange('k', -1, 'x'), { message: 'ERR offset is out of range' });
  await assert.rejects(r.call('SETRANGE', 'k', 'x', 'y'), NOT_INT);
});

test('SETRANGE on an integer-encoded value edits its text', async () => {
  await r.set('n', '1234');
  assert.equal(await r.setrange('n', 1, '99'), 4);
  assert.equal(await r.get('n'), '1994');
});

test('SETRANGE keeps the TTL', async () => {
  await r.call('SET', 'k', 'hello', 'EX', '100');
  await r.setrange('k', 0, 'j');
  assert.equal(await r.get('k'), 'jello');
  assert.ok((await r.ttl('k')) > 90);
});

test('SETRANGE and APPEND beyond proto-max-bulk-len are refused', async () => {
  const [, original] = await r.config('GET', 'proto-max-bulk-len');
  assert.equal(original, '536870912');
  await r.config('SET', 'proto-max-bulk-len', '1mb');
  try {
    assert.deepEqual(await r.config('GET', 'proto-max-bulk-len'), ['proto-max-bulk-len', '1048576']);
    await assert.rejects(r.setrange('k', 1048576, 'x'), TOO_BIG);
    await assert.rejects(r.setrange('k', 1048570, 'xxxxxxxx'), TOO_BIG);
    assert.equal(await r.exists('k'), 0);
    assert.equal(await r.setrange('k', 1048575, 'x'), 1048576);
    await assert.rejects(r.append('k', 'y'), TOO_BIG);
    assert.equal(await r.strlen('k'), 1048576);
    // An empty patch never grows the string, so it is not checked.
    assert.equal(await r.setrange('k', 5_000_000, ''), 1048576);
  } finally {
    await r.config('SET', 'proto-max-bulk-len', original);
  }
});

test('SETRANGE beyond the default 512MB limit is refused', async () => {
  await assert.rejects(r.setrange('k', 536870912, 'x'), TOO_BIG);
  await assert.rejects(r.setrange('k', 536870911, 'xy'), TOO_BIG);
  assert.equal(await r.exists('k'), 0);
});

// ---------------------------------------------------------------- INCR / DECR / INCRBY / DECRBY

test('INCR/DECR on a missing key start from 0', async () => {
  assert.equal(await r.incr('a'), 1);
  assert.equal(await r.decr('b'), -1);
  assert.equal(await r.get('a'), '1');
  assert.equal(await r.get('b'), '-1');
});

test('INCRBY/DECRBY add and subtract', async () => {
  await r.set('n', '10');
  assert.equal(await r.incrby('n', 5), 15);
  assert.equal(await r.decrby('n', 20), -5);
  assert.equal(await r.incrby('n', -5), -10);
  assert.equal(await r.decrby('n', -10), 0);
  assert.equal(await r.get('n'), '0');
});

test('INCR keeps the TTL', async () => {
  await r.call('SET', 'n', '1', 'EX', '100');
  await r.incr('n');
  assert.ok((await r.ttl('n')) > 90);
});

test('INCR at INT64_MAX and DECR at INT64_MIN overflow', async () => {
  await r.set('n', '9223372036854775807');
  await assert.rejects(r.incr('n'), OVERFLOW);
  await assert.rejects(r.call('INCRBY', 'n', '1'), OVERFLOW);
  assert.equal(await r.get('n'), '9223372036854775807');
  await r.set('m', '-9223372036854775808');
  await assert.rejects(r.decr('m'), OVERFLOW);
  await assert.rejects(r.call('INCRBY', 'm', '-1'), OVERFLOW);
  assert.equal(await r.get('m'), '-9223372036854775808');
  await r.set('p', '5');
  await assert.rejects(r.call('DECRBY', 'p', '-9223372036854775807'), OVERFLOW);
  await assert.rejects(r.call('INCRBY', 'p', '9223372036854775807'), OVERFLOW);
});

test('DECRBY of INT64_MIN is refused as a decrement overflow', async () => {
  await r.set('n', '0');
  await assert.rejects(r.call('DECRBY', 'n', '-9223372036854775808'), { message: 'ERR decrement would overflow' });
  assert.equal(await r.get('n'), '0');
});

test('INCRBY reaches exactly INT64_MAX and INT64_MIN', async () => {
  const s = new Redis({ port: server.port, stringNumbers: true });
  try {
    await s.set('n', '9223372036854775800');
    assert.equal(await s.incrby('n', 7), '9223372036854775807');
    await s.set('m', '-9223372036854775800');
    assert.equal(await s.decrby('m', 8), '-9223372036854775808');
  } finally {
    await s.quit();
  }
});

test('INCR stays exact beyond 2^53', async () => {
  const s = new Redis({ port: server.port, stringNumbers: true });
  try {
    await s.set('n', '9007199254740993'); // 2^53 + 1, not a double
    assert.equal(await s.incr('n'), '9007199254740994');
    assert.equal(await s.get('n'), '9007199254740994');
    assert.equal(await s.incrby('n', '9007199254740993'), '18014398509481987');
    assert.equal(await s.decrby('n', '1'), '18014398509481986');
    assert.equal(await s.get('n'), '18014398509481986');
    assert.equal(await s.incrby('big', '-9223372036854775807'), '-9223372036854775807');
  } finally {
    await s.quit();
  }
});

test('INCR of a value that is not a canonical integer is refused', async () => {
  for (const bad of [' 1', '1 ', '+1', '01', '1.5', 'abc', '', '-0', '0x10', '1e3', '9223372036854775808', '-9223372036854775809']) {
    await r.set('n', bad);
    await assert.rejects(r.incr('n'), NOT_INT, JSON.stringify(bad));
    assert.equal(await r.get('n'), bad);
  }
});

test('INCRBY/DECRBY with a non-integer increment are refused', async () => {
  for (const bad of ['abc', ' 5', '+5', '1.0', '', '9223372036854775808']) {
    await assert.rejects(r.call('INCRBY', 'n', bad), NOT_INT, JSON.stringify(bad));
    await assert.rejects(r.call('DECRBY', 'n', bad), NOT_INT, JSON.stringify(bad));
  }
  assert.equal(await r.exists('n'), 0);
});

test('INCR stores an int-encoded value', async () => {
  await r.incr('n');
  assert.equal(await r.object('ENCODING', 'n'), 'int');
});

// ---------------------------------------------------------------- INCRBYFLOAT

test('INCRBYFLOAT adds decimals: 10.5 + 0.1 = 10.6', async () => {
  await r.set('f', '10.5');
  assert.equal(await r.incrbyfloat('f', '0.1'), '10.6');
  assert.equal(await r.get('f'), '10.6');
});

test('INCRBYFLOAT reads exponent notation and prints plain decimals', async () => {
  await r.set('f', '5.0e3');
  assert.equal(await r.incrbyfloat('f', '2.0e2'), '5200');
  assert.equal(await r.incrbyfloat('g', '1e3'), '1000');
  assert.equal(await r.incrbyfloat('h', '1.1e-1'), '0.11');
  assert.equal(await r.incrbyfloat('i', '1e20'), '100000000000000000000');
});

test('INCRBYFLOAT sums short decimals without binary noise (0.1 + 0.2 = 0.3)', async () => {
  assert.equal(await r.incrbyfloat('a', '0.1'), '0.1');
  assert.equal(await r.incrbyfloat('a', '0.2'), '0.3');
  await r.incrbyfloat('b', '0.1');
  await r.incrbyfloat('b', '0.1');
  assert.equal(await r.incrbyfloat('b', '0.1'), '0.3');
  await r.set('c', '1.1');
  assert.equal(await r.incrbyfloat('c', '2.2'), '3.3');
  await r.set('d', '10.6');
  assert.equal(await r.incrbyfloat('d', '-0.1'), '10.5');
});

test('INCRBYFLOAT formats integral results without a decimal point', async () => {
  await r.set('f', '1.5');
  assert.equal(await r.incrbyfloat('f', '1.5'), '3');
  assert.equal(await r.incrbyfloat('g', '3.0'), '3');
  assert.equal(await r.incrbyfloat('g', '-3'), '0');
  assert.equal(await r.incrbyfloat('h', '-5.5'), '-5.5');
  await r.set('n', '7');
  assert.equal(await r.incrbyfloat('n', '0.25'), '7.25');
});

test('INCRBYFLOAT refuses inf and nan', async () => {
  await r.set('f', '1');
  await assert.rejects(r.incrbyfloat('f', 'inf'), { message: 'ERR increment would produce NaN or Infinity' });
  await assert.rejects(r.incrbyfloat('f', '-inf'), { message: 'ERR increment would produce NaN or Infinity' });
  await assert.rejects(r.incrbyfloat('f', 'nan'), NOT_FLOAT);
  assert.equal(await r.get('f'), '1');
});

test('INCRBYFLOAT refuses a non-float increment or stored value', async () => {
  await assert.rejects(r.incrbyfloat('f', 'abc'), NOT_FLOAT);
  await assert.rejects(r.incrbyfloat('f', ' 1'), NOT_FLOAT);
  await assert.rejects(r.incrbyfloat('f', ''), NOT_FLOAT);
  await r.set('s', 'abc');
  await assert.rejects(r.incrbyfloat('s', '1'), NOT_FLOAT);
  await r.set('sp', '1 ');
  await assert.rejects(r.incrbyfloat('sp', '1'), NOT_FLOAT);
  assert.equal(await r.exists('f'), 0);
});

test('INCRBYFLOAT keeps the TTL', async () => {
  await r.call('SET', 'f', '1', 'EX', '100');
  await r.incrbyfloat('f', '0.5');
  assert.ok((await r.ttl('f')) > 90);
});

// ---------------------------------------------------------------- LCS

test('LCS returns the longest common subsequence', async () => {
  await r.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  assert.equal(await r.call('LCS', 'key1', 'key2'), 'mytext');
});

test('LCS LEN returns its length', async () => {
  await r.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  assert.equal(await r.call('LCS', 'key1', 'key2', 'LEN'), 6);
});

test('LCS IDX returns the matching ranges, last first', async () => {
  await r.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  assert.deepEqual(await r.call('LCS', 'key1', 'key2', 'IDX'), [
    'matches',
    [
      [[4, 7], [5, 8]],
      [[2, 3], [0, 1]],
    ],
    'len',
    6,
  ]);
});

test('LCS IDX MINMATCHLEN WITHMATCHLEN filters short matches and adds lengths', async () => {
  await r.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  assert.deepEqual(await r.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'), [
    'matches',
    [[[4, 7], [5, 8], 4]],
    'len',
    6,
  ]);
  assert.deepEqual(await r.call('LCS', 'key1', 'key2', 'IDX', 'WITHMATCHLEN'), [
    'matches',
    [
      [[4, 7], [5, 8], 4],
      [[2, 3], [0, 1], 2],
    ],
    'len',
    6,
  ]);
  // A negative minimum counts as no minimum.
  assert.deepEqual(await r.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '-5'), [
    'matches',
    [
      [[4, 7], [5, 8]],
      [[2, 3], [0, 1]],
    ],
    'len',
    6,
  ]);
});

test('LCS with a missing key treats it as an empty string', async () => {
  await r.set('key1', 'ohmytext');
  assert.equal(await r.call('LCS', 'key1', 'missing'), '');
  assert.equal(await r.call('LCS', 'key1', 'missing', 'LEN'), 0);
  assert.deepEqual(await r.call('LCS', 'missing', 'key1', 'IDX'), ['matches', [], 'len', 0]);
});

test('LCS LEN with IDX and unknown options are refused', async () => {
  await r.mset('key1', 'ohmytext', 'key2', 'mynewtext');
  await assert.rejects(r.call('LCS', 'key1', 'key2', 'LEN', 'IDX'), {
    message: 'ERR If you want both the length and indexes, please just use IDX.',
  });
  await assert.rejects(r.call('LCS', 'key1', 'key2', 'FOO'), SYNTAX);
  await assert.rejects(r.call('LCS', 'key1', 'key2', 'MINMATCHLEN'), SYNTAX);
  await assert.rejects(r.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', 'x'), NOT_INT);
});

test('LCS of identical strings is the whole string', async () => {
  await r.mset('a', 'abcdef', 'b', 'abcdef');
  assert.equal(await r.call('LCS', 'a', 'b'), 'abcdef');
  assert.deepEqual(await r.call('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'), ['matches', [[[0, 5], [0, 5], 6]], 'len', 6]);
});

test('a key written with PX expires after its TTL (string survives until then)', async () => {
  await r.call('SET', 'k', 'v', 'PX', '200');
  assert.equal(await r.get('k'), 'v');
  await sleep(300);
  assert.equal(await r.get('k'), null);
});
