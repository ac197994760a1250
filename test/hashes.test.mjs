// Hash commands: HSET/HGET family, counters, whole-hash reads, HRANDFIELD, HSCAN,
// encodings, RESP3 reply shapes, and a model test against a JS Map.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useServer, rawConnect, resp } from './helpers.mjs';
import { HashValue } from '../dist/store/hash.js';
import { CursorTable } from '../dist/store/cursors.js';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const NOT_FLOAT = { message: 'ERR value is not a valid float' };
const HASH_NOT_INT = { message: 'ERR hash value is not an integer' };
const HASH_NOT_FLOAT = { message: 'ERR hash value is not a float' };
const OVERFLOW = { message: 'ERR increment or decrement would overflow' };
const WRONGTYPE = { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const arity = (cmd) => ({ message: `ERR wrong number of arguments for '${cmd}' command` });

useServer(['--enable-debug-command', 'yes'], (s, client) => {
  server = s;
  r = client;
});

/** Runs `body` with hash-max-listpack-entries/value changed, restoring the defaults afterwards. */
async function withListpackLimits(entries, value, body) {
  await r.config('SET', 'hash-max-listpack-entries', String(entries), 'hash-max-listpack-value', String(value));
  try {
    await body();
  } finally {
    await r.config('SET', 'hash-max-listpack-entries', '512', 'hash-max-listpack-value', '64');
  }
}

/** Sends raw RESP on a fresh RESP3 connection and returns the exact reply bytes of each command. */
async function resp3(commands) {
  const conn = await rawConnect(server.port);
  try {
    conn.write(resp('HELLO', '3'));
    await readReply(conn);
    const out = [];
    for (const args of commands) {
      conn.write(resp(...args));
      out.push(await readReply(conn));
    }
    return out;
  } finally {
    conn.close();
  }
}

/** Reads one complete RESP2/RESP3 reply from a raw connection, returned as its exact text. */
async function readReply(conn) {
  let text = '';
  const line = async () => {
    let l = '';
    while (!l.endsWith('\r\n')) l += await conn.read(1);
    text += l;
    return l.slice(0, -2);
  };
  const one = async () => {
    const header = await line();
    const type = header[0];
    const n = Number(header.slice(1));
    if (type === '$' || type === '=' || type === '!') {
      if (n >= 0) text += await conn.read(n + 2);
    } else if (type === '*' || type === '~' || type === '>') {
      for (let i = 0; i < n; i++) await one();
    } else if (type === '%' || type === '|') {
      for (let i = 0; i < 2 * n; i++) await one();
      if (type === '|') await one();
    }
  };
  await one();
  return text;
}

// ---------------------------------------------------------------- HSET / HGET / HMSET / HSETNX

test('HSET creates a hash and returns how many fields are new', async () => {
  assert.equal(await r.call('HSET', 'h', 'a', '1', 'b', '2'), 2);
  assert.equal(await r.call('HSET', 'h', 'a', 'x', 'c', '3'), 1);
  assert.equal(await r.call('HGET', 'h', 'a'), 'x');
  assert.equal(await r.call('HGET', 'h', 'c'), '3');
  assert.equal(await r.type('h'), 'hash');
});

test('HSET with the same field twice counts it once and keeps the last value', async () => {
  assert.equal(await r.call('HSET', 'h', 'f', '1', 'f', '2'), 1);
  assert.equal(await r.call('HGET', 'h', 'f'), '2');
  assert.equal(await r.call('HLEN', 'h'), 1);
});

test('HSET and HMSET with a field lacking its value are refused with their own name', async () => {
  await assert.rejects(r.call('HSET', 'h', 'a', '1', 'b'), arity('hset'));
  await assert.rejects(r.call('HMSET', 'h', 'a', '1', 'b'), arity('hmset'));
  await assert.rejects(r.call('HSET', 'h', 'a'), arity('hset'));
  assert.equal(await r.exists('h'), 0);
});

test('HMSET sets several fields and replies OK', async () => {
  assert.equal(await r.call('HMSET', 'h', 'a', '1', 'b', '2'), 'OK');
  assert.deepEqual(await r.call('HMGET', 'h', 'a', 'b'), ['1', '2']);
});

test('HGET of a missing key or field is nil', async () => {
  assert.equal(await r.call('HGET', 'missing', 'f'), null);
  await r.call('HSET', 'h', 'a', '1');
  assert.equal(await r.call('HGET', 'h', 'nope'), null);
});

test('HSET keeps the TTL of an existing hash', async () => {
  await r.call('HSET', 'h', 'a', '1');
  await r.expire('h', 100);
  await r.call('HSET', 'h', 'b', '2');
  await r.call('HDEL', 'h', 'a');
  const ttl = await r.ttl('h');
  assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
});

test('HSETNX sets only a missing field, creating the hash if needed', async () => {
  assert.equal(await r.call('HSETNX', 'h', 'f', 'one'), 1);
  assert.equal(await r.call('HSETNX', 'h', 'f', 'two'), 0);
  assert.equal(await r.call('HGET', 'h', 'f'), 'one');
  assert.equal(await r.call('HSETNX', 'h', 'g', 'two'), 1);
  assert.equal(await r.call('HLEN', 'h'), 2);
});

test('HMGET returns values in order with nil for missing fields, all nil for a missing key', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2');
  assert.deepEqual(await r.call('HMGET', 'h', 'b', 'zz', 'a', 'b'), ['2', null, '1', '2']);
  assert.deepEqual(await r.call('HMGET', 'missing', 'a', 'b'), [null, null]);
});

test('fields and values are binary safe, empty ones included', async () => {
  const field = Buffer.from([0, 1, 0xff, 0x0d, 0x0a, 0x80, 0x20]);
  const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.equal(await r.call('HSET', 'h', field, value, '', ''), 2);
  assert.deepEqual(await r.callBuffer('HGET', 'h', field), value);
  assert.equal(await r.call('HGET', 'h', ''), '');
  assert.equal(await r.call('HEXISTS', 'h', ''), 1);
  assert.equal(await r.call('HSTRLEN', 'h', field), 256);
  // A 256-byte value makes it a hashtable, whose order Redis does not fix.
  const all = await r.callBuffer('HGETALL', 'h');
  const pairs = [[all[0], all[1]], [all[2], all[3]]].sort((a, b) => a[0].length - b[0].length);
  assert.deepEqual(pairs, [[Buffer.alloc(0), Buffer.alloc(0)], [field, value]]);
  // Field names differing only in a high byte are distinct.
  await r.call('HSET', 'h2', Buffer.from([0xe9]), 'latin', Buffer.from([0xc3, 0xa9]), 'utf8');
  assert.equal(await r.call('HLEN', 'h2'), 2);
  assert.equal(await r.call('HGET', 'h2', Buffer.from([0xe9])), 'latin');
});

// ---------------------------------------------------------------- HDEL / HLEN / HSTRLEN / HEXISTS

test('HDEL returns how many fields existed, counting a repeated field once', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  assert.equal(await r.call('HDEL', 'h', 'x', 'y'), 0);
  assert.equal(await r.call('HDEL', 'h', 'a', 'a', 'c', 'z'), 2);
  assert.deepEqual(await r.call('HGETALL', 'h'), ['b', '2']);
  assert.equal(await r.call('HDEL', 'missing', 'a'), 0);
});

test('a hash emptied by HDEL is deleted, even with fields left to delete', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2');
  await r.expire('h', 100);
  assert.equal(await r.call('HDEL', 'h', 'a', 'b', 'c'), 2);
  assert.equal(await r.exists('h'), 0);
  assert.equal(await r.type('h'), 'none');
  // Recreated, it has no TTL left over.
  await r.call('HSET', 'h', 'a', '1');
  assert.equal(await r.ttl('h'), -1);
});

test('HLEN counts fields, 0 for a missing key', async () => {
  assert.equal(await r.call('HLEN', 'h'), 0);
  await r.call('HSET', 'h', 'a', '1', 'b', '2');
  assert.equal(await r.call('HLEN', 'h'), 2);
});

test('HSTRLEN is the byte length of a value, 0 for a missing field or key', async () => {
  for (const v of ['-9223372036854775808', '9223372036854775807', '9223372036854775808', '', '0', '-1', 'x', '-0', '007']) {
    await r.call('HSET', 'h', 'f', v);
    assert.equal(await r.call('HSTRLEN', 'h', 'f'), v.length, v);
  }
  assert.equal(await r.call('HSTRLEN', 'h', 'nope'), 0);
  assert.equal(await r.call('HSTRLEN', 'missing', 'f'), 0);
});

test('HEXISTS answers 1 or 0', async () => {
  await r.call('HSET', 'h', 'a', '1');
  assert.equal(await r.call('HEXISTS', 'h', 'a'), 1);
  assert.equal(await r.call('HEXISTS', 'h', 'b'), 0);
  assert.equal(await r.call('HEXISTS', 'missing', 'a'), 0);
});

// ---------------------------------------------------------------- HKEYS / HVALS / HGETALL

test('HKEYS, HVALS and HGETALL of a small hash follow insertion order, updates in place', async () => {
  await r.call('HSET', 'h', 'z', '1', 'a', '2', 'm', '3');
  await r.call('HSET', 'h', 'z', 'updated');
  await r.call('HDEL', 'h', 'a');
  await r.call('HSET', 'h', 'a', 'back');
  assert.deepEqual(await r.call('HKEYS', 'h'), ['z', 'm', 'a']);
  assert.deepEqual(await r.call('HVALS', 'h'), ['updated', '3', 'back']);
  assert.deepEqual(await r.call('HGETALL', 'h'), ['z', 'updated', 'm', '3', 'a', 'back']);
});

test('HKEYS, HVALS and HGETALL of a missing key are empty', async () => {
  assert.deepEqual(await r.call('HKEYS', 'missing'), []);
  assert.deepEqual(await r.call('HVALS', 'missing'), []);
  assert.deepEqual(await r.call('HGETALL', 'missing'), []);
});

test('HGETALL of a large hash holds every pair once', async () => {
  const args = [];
  for (let i = 0; i < 1000; i++) args.push(`f${i}`, `v${i}`);
  await r.call('HSET', 'h', ...args);
  await r.call('HDEL', 'h', 'f10', 'f500');
  const flat = await r.call('HGETALL', 'h');
  assert.equal(flat.length, 998 * 2);
  const seen = new Map();
  for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
  assert.equal(seen.size, 998);
  assert.equal(seen.get('f999'), 'v999');
  assert.equal(seen.has('f500'), false);
  assert.deepEqual((await r.call('HKEYS', 'h')).sort(), [...seen.keys()].sort());
  assert.deepEqual((await r.call('HVALS', 'h')).sort(), [...seen.values()].sort());
});

// ---------------------------------------------------------------- HINCRBY / HINCRBYFLOAT

test('HINCRBY creates the key and the field from 0', async () => {
  assert.equal(await r.call('HINCRBY', 'h', 'n', '5'), 5);
  assert.equal(await r.call('HINCRBY', 'h', 'n', '-7'), -2);
  assert.equal(await r.call('HGET', 'h', 'n'), '-2');
  assert.equal(await r.call('HINCRBY', 'h', 'm', '0'), 0);
  assert.equal(await r.call('HGET', 'h', 'm'), '0');
});

test('HINCRBY works beyond 32 and 53 bits and detects 64-bit overflow', async () => {
  await r.call('HSET', 'h', 'n', '17179869184');
  assert.equal(await r.call('HINCRBY', 'h', 'n', '17179869184'), 34359738368);
  await r.call('HSET', 'h', 'big', '9223372036854775806');
  await r.call('HINCRBY', 'h', 'big', '1');
  assert.equal(await r.call('HGET', 'h', 'big'), '9223372036854775807');
  await assert.rejects(r.call('HINCRBY', 'h', 'big', '1'), OVERFLOW);
  await r.call('HSET', 'h', 'low', '-9223372036854775484');
  await r.call('HINCRBY', 'h', 'low', '-1');
  assert.equal(await r.call('HGET', 'h', 'low'), '-9223372036854775485');
  await assert.rejects(r.call('HINCRBY', 'h', 'low', '-10000'), OVERFLOW);
  assert.equal(await r.call('HGET', 'h', 'low'), '-9223372036854775485');
});

test('HINCRBY refuses a stored value that is not a strict integer', async () => {
  for (const v of [' 11', '11 ', '1.5', '', 'abc', '+1', '01', '9223372036854775808']) {
    await r.call('HSET', 'h', 'f', v);
    await assert.rejects(r.call('HINCRBY', 'h', 'f', '1'), HASH_NOT_INT, JSON.stringify(v));
    assert.equal(await r.call('HGET', 'h', 'f'), v);
  }
});

test('HINCRBY checks its increment before the key', async () => {
  await assert.rejects(r.call('HINCRBY', 'h', 'f', 'x'), NOT_INT);
  await assert.rejects(r.call('HINCRBY', 'h', 'f', '1.0'), NOT_INT);
  await assert.rejects(r.call('HINCRBY', 'h', 'f', '9223372036854775808'), NOT_INT);
  assert.equal(await r.exists('h'), 0);
  await r.set('s', 'v');
  await assert.rejects(r.call('HINCRBY', 's', 'f', 'x'), NOT_INT);
  await assert.rejects(r.call('HINCRBY', 's', 'f', '1'), WRONGTYPE);
});

test('HINCRBYFLOAT adds and formats like INCRBYFLOAT', async () => {
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'f', '1.23'), '1.23');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'f', '0.77'), '2');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'f', '-0.1'), '1.9');
  await r.call('HSET', 'h', 'g', '10.50');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'g', '0.1'), '10.6');
  await r.call('HSET', 'h', 'e', '5.0e3');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'e', '2.0e2'), '5200');
  assert.equal(await r.call('HGET', 'h', 'e'), '5200');
  await r.call('HSET', 'h', 'i', '17179869184');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'i', '17179869184'), '34359738368');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'z', '-0'), '0');
  assert.equal(await r.call('HINCRBYFLOAT', 'h', 'x', '.5'), '0.5');
});

test('HINCRBYFLOAT refuses a stored value that is not a float', async () => {
  for (const v of [' 11', '11 ', 'abc', '', '1\x002', 'nan']) {
    await r.call('HSET', 'h', 'f', v);
    await assert.rejects(r.call('HINCRBYFLOAT', 'h', 'f', '1'), HASH_NOT_FLOAT, JSON.stringify(v));
  }
});

test('HINCRBYFLOAT refuses a bad increment, an infinite increment and an infinite result', async () => {
  await assert.rejects(r.call('HINCRBYFLOAT', 'h', 'f', 'abc'), NOT_FLOAT);
  await assert.rejects(r.call('HINCRBYFLOAT', 'h', 'f', 'nan'), NOT_FLOAT);
  await assert.rejects(r.call('HINCRBYFLOAT', 'h', 'f', '+inf'), { message: 'ERR value is NaN or Infinity' });
  assert.equal(await r.exists('h'), 0);
  await r.call('HSET', 'h', 'f', 'inf');
  await assert.rejects(r.call('HINCRBYFLOAT', 'h', 'f', '1'), { message: 'ERR increment would produce NaN or Infinity' });
  assert.equal(await r.call('HGET', 'h', 'f'), 'inf');
  await r.set('s', 'v');
  await assert.rejects(r.call('HINCRBYFLOAT', 's', 'f', 'abc'), NOT_FLOAT);
  await assert.rejects(r.call('HINCRBYFLOAT', 's', 'f', '1'), WRONGTYPE);
});

// ---------------------------------------------------------------- HRANDFIELD

test('HRANDFIELD without a count returns one field, nil for a missing key', async () => {
  assert.equal(await r.call('HRANDFIELD', 'missing'), null);
  await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  const seen = new Set();
  for (let i = 0; i < 100; i++) seen.add(await r.call('HRANDFIELD', 'h'));
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
});

test('HRANDFIELD with a count of 0 or a missing key is an empty array', async () => {
  assert.deepEqual(await r.call('HRANDFIELD', 'missing', '5'), []);
  assert.deepEqual(await r.call('HRANDFIELD', 'missing', '-5', 'WITHVALUES'), []);
  await r.call('HSET', 'h', 'a', '1');
  assert.deepEqual(await r.call('HRANDFIELD', 'h', '0'), []);
  assert.deepEqual(await r.call('HRANDFIELD', 'h', '0', 'WITHVALUES'), []);
});

for (const [encoding, extra] of [['listpack', 'j'], ['hashtable', 'x'.repeat(100)]]) {
  test(`HRANDFIELD counts on a ${encoding} hash: distinct when positive, repeating when negative`, async () => {
    const fields = ['a', 'b', 'c', 'd', 'e', '6', '7', '8', '9', extra];
    const model = new Map(fields.map((f, i) => [f, `v${i}`]));
    await r.call('HSET', 'h', ...[...model].flat());
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), encoding);

    // Negative: exactly |count| picks, repeats allowed, roughly uniform.
    const picks = await r.call('HRANDFIELD', 'h', '-1000');
    assert.equal(picks.length, 1000);
    const counts = new Map();
    for (const f of picks) counts.set(f, (counts.get(f) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [...model.keys()].sort());
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - 100) ** 2 / 100, 0);
    assert.ok(chiSquare < 40, `chi square ${chiSquare}`);
    const withValues = await r.call('HRANDFIELD', 'h', '-20', 'WITHVALUES');
    assert.equal(withValues.length, 40);
    for (let i = 0; i < 40; i += 2) assert.equal(withValues[i + 1], model.get(withValues[i]));

    // Positive, at least the size: the whole hash.
    for (const count of ['10', '20']) {
      assert.deepEqual((await r.call('HRANDFIELD', 'h', count)).sort(), [...model.keys()].sort());
      const all = await r.call('HRANDFIELD', 'h', count, 'WITHVALUES');
      assert.equal(all.length, 20);
      for (let i = 0; i < 20; i += 2) assert.equal(all[i + 1], model.get(all[i]));
    }

    // Positive, below the size: distinct fields, and every one shows up eventually.
    for (const count of [9, 8, 2, 1]) {
      const seen = new Set();
      for (let round = 0; round < 200 && seen.size < 10; round++) {
        const some = await r.call('HRANDFIELD', 'h', String(count), 'WITHVALUES');
        assert.equal(some.length, count * 2);
        const names = some.filter((_, i) => i % 2 === 0);
        assert.equal(new Set(names).size, count);
        for (let i = 0; i < some.length; i += 2) {
          assert.equal(some[i + 1], model.get(some[i]));
          seen.add(some[i]);
        }
      }
      assert.equal(seen.size, 10, `count ${count}`);
    }
  });
}

test('random draws of a hash table stay exact through any interleaving of writes and deletes', () => {
  const limits = { maxEntries: 0, maxValue: 64 };
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set'), field: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('del'), field: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('one') }),
    fc.record({ kind: fc.constant('distinct'), count: fc.integer({ min: 1, max: 30 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const hash = new HashValue();
      const model = new Map();
      let version = 0;
      for (const o of ops) {
        if (o.kind === 'set') {
          const value = `v${version++}`;
          assert.equal(hash.set(`f${o.field}`, value, limits), !model.has(`f${o.field}`));
          model.set(`f${o.field}`, value);
        } else if (o.kind === 'del') {
          assert.equal(hash.delete(`f${o.field}`), model.delete(`f${o.field}`));
        } else if (model.size > 0 && o.kind === 'one') {
          const slot = hash.randomSlot();
          assert.ok(model.has(hash.fieldAt(slot)), `${hash.fieldAt(slot)} is not in the hash`);
          assert.equal(hash.valueAt(slot), model.get(hash.fieldAt(slot)));
        } else if (model.size > 0) {
          const count = Math.min(o.count, model.size - 1);
          const fields = [...hash.distinctSlots(count)].map((slot) => hash.fieldAt(slot));
          assert.equal(new Set(fields).size, count);
          for (const field of fields) assert.ok(model.has(field), `${field} is not in the hash`);
        }
        assert.equal(hash.size, model.size);
      }
    }),
    { numRuns: 300 },
  );
});

test('HRANDFIELD checks the count and options before the key', async () => {
  await r.call('HSET', 'h', 'a', '1');
  await r.set('s', 'v');
  await assert.rejects(r.call('HRANDFIELD', 'h', 'x'), NOT_INT);
  await assert.rejects(r.call('HRANDFIELD', 's', 'x'), NOT_INT);
  await assert.rejects(r.call('HRANDFIELD', 'missing', '1', 'WITHSCORES'), SYNTAX);
  await assert.rejects(r.call('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'), SYNTAX);
  await assert.rejects(r.call('HRANDFIELD', 's', '1', 'x'), SYNTAX);
  await assert.rejects(r.call('HRANDFIELD', 's', '1'), WRONGTYPE);
  await assert.rejects(r.call('HRANDFIELD', 's'), WRONGTYPE);
  assert.deepEqual(await r.call('HRANDFIELD', 'h', '1', 'withvalues'), ['a', '1']);
});

test('HRANDFIELD refuses counts out of range', async () => {
  await r.call('HSET', 'h', 'a', '1');
  await assert.rejects(r.call('HRANDFIELD', 'h', '-9223372036854775808'), {
    message: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  });
  await assert.rejects(r.call('HRANDFIELD', 'h', '-9223372036854770000', 'WITHVALUES'), { message: 'ERR value is out of range' });
  await assert.rejects(r.call('HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'), { message: 'ERR value is out of range' });
  await assert.rejects(r.call('HRANDFIELD', 'missing', '-9223372036854775808', 'WITHVALUES'), /value is out of range/);
  // The largest count allowed with values still works when the hash is small.
  assert.deepEqual(await r.call('HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES'), ['a', '1']);
  assert.deepEqual(await r.call('HRANDFIELD', 'h', '9223372036854775807'), ['a']);
});

test(
  'HRANDFIELD refuses a negative count whose reply could not be built',
  { skip: process.env.TEST_TARGET === 'redis' && 'ours only: Redis starts buffering such a reply until memory runs out' },
  async () => {
    await r.call('HSET', 'h', 'a', '1');
    await assert.rejects(r.call('HRANDFIELD', 'h', '-100000000000'), {
      message: 'ERR the reply would exceed the largest reply this server can build',
    });
    assert.equal((await r.call('HRANDFIELD', 'h', '-100000')).length, 100000);
  },
);

// ---------------------------------------------------------------- HSCAN

test('HSCAN of a small hash returns everything at once with cursor 0', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  assert.deepEqual(await r.call('HSCAN', 'h', '0'), ['0', ['a', '1', 'b', '2', 'c', '3']]);
  assert.deepEqual(await r.call('HSCAN', 'h', '0', 'COUNT', '1'), ['0', ['a', '1', 'b', '2', 'c', '3']]);
  assert.deepEqual(await r.call('HSCAN', 'h', '0', 'MATCH', '[ab]'), ['0', ['a', '1', 'b', '2']]);
  assert.deepEqual(await r.call('HSCAN', 'missing', '0'), ['0', []]);
});

test('HSCAN walks a large hash with a cursor, MATCH filtering fields', async () => {
  const args = [];
  for (let i = 0; i < 1000; i++) args.push(`f${i}`, `v${i}`);
  await r.call('HSET', 'h', ...args);
  assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
  const seen = new Map();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, flat] = await r.call('HSCAN', 'h', cursor, 'COUNT', '50');
    for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  assert.ok(calls > 5, `${calls} calls`);
  assert.equal(seen.size, 1000);
  for (const [f, v] of seen) assert.equal(v, `v${f.slice(1)}`);

  const matched = new Set();
  cursor = '0';
  do {
    const [next, flat] = await r.call('HSCAN', 'h', cursor, 'MATCH', 'f1*', 'COUNT', '100');
    for (let i = 0; i < flat.length; i += 2) matched.add(flat[i]);
    cursor = next;
  } while (cursor !== '0');
  assert.equal(matched.size, 111);
});

test('HSCAN returns every field present for the whole scan, and ends, while the hash grows faster than COUNT', async () => {
  const args = [];
  for (let i = 0; i < 600; i++) args.push(`keep:${i}`, 'v', `churn:${i}`, 'v');
  await r.call('HSET', 'h', ...args);
  const seen = new Set();
  let cursor = '0';
  let round = 0;
  do {
    const [next, flat] = await r.call('HSCAN', 'h', cursor, 'COUNT', '20');
    for (let i = 0; i < flat.length; i += 2) seen.add(flat[i]);
    cursor = next;
    // Between calls: delete some churn fields, add new ones, update kept ones.
    await r.call('HDEL', 'h', `churn:${round * 7 % 600}`, `churn:${(round * 13 + 5) % 600}`);
    // Many new fields at a time, so the hash's table grows several times during the scan.
    const added = Array.from({ length: 40 }, (_, i) => [`new:${round}:${i}`, 'x']).flat();
    await r.call('HSET', 'h', ...added, `keep:${round % 600}`, 'changed');
    round++;
  } while (cursor !== '0');
  for (let i = 0; i < 600; i++) assert.ok(seen.has(`keep:${i}`), `keep:${i} missing`);
});

test('HSCAN errors: cursor first, then the key type, then the options', async () => {
  await r.call('HSET', 'h', 'a', '1');
  await r.set('s', 'v');
  await assert.rejects(r.call('HSCAN', 'h', 'abc'), { message: 'ERR invalid cursor' });
  await assert.rejects(r.call('HSCAN', 's', 'abc'), { message: 'ERR invalid cursor' });
  await assert.rejects(r.call('HSCAN', 's', '0', 'COUNT', '0'), WRONGTYPE);
  await assert.rejects(r.call('HSCAN', 'h', '0', 'COUNT', '0'), SYNTAX);
  await assert.rejects(r.call('HSCAN', 'h', '0', 'COUNT', 'x'), NOT_INT);
  await assert.rejects(r.call('HSCAN', 'h', '0', 'TYPE', 'string'), SYNTAX);
  await assert.rejects(r.call('HSCAN', 'h', '0', 'MATCH'), SYNTAX);
  // A missing key is an empty, finished scan whatever the options.
  assert.deepEqual(await r.call('HSCAN', 'missing', '0', 'COUNT', '0'), ['0', []]);
});

test('the parked walk behind HSCAN meets every pair present throughout, under any interleaving of writes', () => {
  const limits = { maxEntries: 0, maxValue: 64 };
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set'), field: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('del'), field: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('scan'), count: fc.integer({ min: 1, max: 5 }) }),
  );
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40 })), fc.array(op, { maxLength: 200 }), (initial, ops) => {
      const hash = new HashValue();
      for (const f of initial) hash.set(`f${f}`, 'v', limits);
      if (hash.size === 0) return;
      const cursors = new CursorTable();
      const throughout = new Set(initial.map((f) => `f${f}`));
      const seen = new Set();
      let cursor = 0;
      let started = false;
      let pairsAtStart = 0;
      const step = (count) => {
        if (!started) pairsAtStart = hash.size;
        const [next, pairs] = cursors.take(cursor, hash, () => hash.scan(), count, () => true);
        for (const [field, value] of pairs) {
          assert.equal(hash.get(field), value);
          seen.add(field);
        }
        cursor = next;
        started = true;
      };
      for (const o of ops) {
        if (started && cursor === 0) break;
        if (o.kind === 'scan') step(o.count);
        else if (o.kind === 'set') hash.set(`f${o.field}`, 'w', limits);
        else if (hash.delete(`f${o.field}`)) throughout.delete(`f${o.field}`);
        if (hash.size === 0) return;
      }
      // Finish the walk: it ends within as many steps as the hash had pairs when it began (and one to say so).
      for (let guard = 0; !(started && cursor === 0); guard++) {
        assert.ok(guard <= (started ? pairsAtStart : hash.size) + 1, 'the walk does not end');
        step(1);
      }
      for (const f of throughout) assert.ok(seen.has(f), `${f} missed`);
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------- types, encodings, copies

test('every hash command refuses a key of another type', async () => {
  await r.set('s', 'v');
  const calls = [
    ['HSET', 's', 'f', 'v'], ['HSETNX', 's', 'f', 'v'], ['HMSET', 's', 'f', 'v'], ['HGET', 's', 'f'],
    ['HMGET', 's', 'f'], ['HDEL', 's', 'f'], ['HLEN', 's'], ['HSTRLEN', 's', 'f'], ['HEXISTS', 's', 'f'],
    ['HKEYS', 's'], ['HVALS', 's'], ['HGETALL', 's'], ['HINCRBY', 's', 'f', '1'], ['HINCRBYFLOAT', 's', 'f', '1'],
    ['HRANDFIELD', 's'], ['HSCAN', 's', '0'],
  ];
  for (const args of calls) await assert.rejects(r.call(...args), WRONGTYPE, args[0]);
  await r.call('HSET', 'h', 'f', 'v');
  await assert.rejects(r.get('h'), WRONGTYPE);
  await assert.rejects(r.call('APPEND', 'h', 'x'), WRONGTYPE);
  assert.equal(await r.get('s'), 'v');
});

test('a hash is a listpack until it has too many fields, then a hashtable for good', async () => {
  await withListpackLimits(4, 64, async () => {
    await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'listpack');
    await r.call('HSET', 'h', 'e', '5');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
    await r.call('HDEL', 'h', 'a', 'b', 'c', 'd');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
    // A new hash starts small again; the old alias names the same setting.
    await r.config('SET', 'hash-max-ziplist-entries', '1');
    await r.call('HSET', 'h2', 'a', '1');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h2'), 'listpack');
    await r.call('HSETNX', 'h2', 'b', '2');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h2'), 'hashtable');
  });
});

test('lowered limits convert a listpack hash at its next write, even an update', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  await withListpackLimits(2, 64, async () => {
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'listpack');
    await r.call('HSETNX', 'h', 'a', 'x');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'listpack');
    await r.call('HDEL', 'h', 'zz');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'listpack');
    await r.call('HSET', 'h', 'a', 'x');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
  });
});

test('a long field or value makes a hash a hashtable, whichever command writes it', async () => {
  await withListpackLimits(512, 8, async () => {
    await r.call('HSET', 'a', 'f', '12345678');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'a'), 'listpack');
    await r.call('HSET', 'a', 'g', '123456789');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'a'), 'hashtable');

    await r.call('HSET', 'b', '123456789', 'v');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'b'), 'hashtable');

    await r.call('HSET', 'c', 'tmp', '0');
    await r.call('HINCRBYFLOAT', 'c', 'tmp', '0.000005');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'c'), 'listpack');
    await r.call('HINCRBYFLOAT', 'c', 'tmp', '0.0000005');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'c'), 'hashtable');

    await r.call('HINCRBY', 'd', 'abcdefghi', '1');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'd'), 'hashtable');
    await r.call('HSETNX', 'e', 'f', 'x'.repeat(9));
    assert.equal(await r.call('OBJECT', 'ENCODING', 'e'), 'hashtable');
  });
});

test('COPY of a hash is independent of the original and keeps its encoding', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2');
  assert.equal(await r.call('COPY', 'h', 'h2'), 1);
  await r.call('HSET', 'h2', 'c', '3');
  await r.call('HDEL', 'h2', 'a');
  await r.call('HINCRBY', 'h', 'b', '10');
  assert.deepEqual(await r.call('HGETALL', 'h'), ['a', '1', 'b', '12']);
  assert.deepEqual(await r.call('HGETALL', 'h2'), ['b', '2', 'c', '3']);

  await r.call('HSET', 'big', 'f', 'x'.repeat(100));
  await r.call('COPY', 'big', 'big2', 'DB', '1');
  await r.call('SELECT', '1');
  assert.equal(await r.call('OBJECT', 'ENCODING', 'big2'), 'hashtable');
  assert.equal(await r.call('HSTRLEN', 'big2', 'f'), 100);
  await r.call('SELECT', '0');
});

test('DEBUG DIGEST-VALUE is the same for equal hashes written in another order', async () => {
  await r.call('HSET', 'h1', 'a', '1', 'b', '2', 'c', '3');
  await r.call('HSET', 'h2', 'c', '3', 'x', '9', 'a', '1', 'b', '2');
  await r.call('HDEL', 'h2', 'x');
  const [d1, d2] = await r.call('DEBUG', 'DIGEST-VALUE', 'h1', 'h2');
  assert.equal(d1, d2);
  await r.call('HSET', 'h2', 'a', '2');
  const [e1, e2] = await r.call('DEBUG', 'DIGEST-VALUE', 'h1', 'h2');
  assert.notEqual(e1, e2);
});

test('an expired hash is gone for the hash commands', async () => {
  await r.call('HSET', 'h', 'a', '1');
  await r.pexpire('h', 20);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(await r.call('HGET', 'h', 'a'), null);
  assert.equal(await r.call('HLEN', 'h'), 0);
  assert.equal(await r.call('HSET', 'h', 'b', '2'), 1);
  assert.deepEqual(await r.call('HGETALL', 'h'), ['b', '2']);
});

test('COMMAND INFO describes the hash commands as Redis does', async () => {
  const info = await r.call('COMMAND', 'INFO', 'hset', 'hget', 'hrandfield', 'hscan', 'hgetall', 'hincrbyfloat');
  const head = info.map((entry) => entry.slice(0, 6));
  assert.deepEqual(head, [
    ['hset', -4, ['write', 'denyoom', 'fast'], 1, 1, 1],
    ['hget', 3, ['readonly', 'fast'], 1, 1, 1],
    ['hrandfield', -2, ['readonly'], 1, 1, 1],
    ['hscan', -3, ['readonly'], 1, 1, 1],
    ['hgetall', 2, ['readonly'], 1, 1, 1],
    ['hincrbyfloat', 4, ['write', 'denyoom', 'fast'], 1, 1, 1],
  ]);
});

// ---------------------------------------------------------------- RESP3

test('RESP3: HGETALL is a map, HKEYS and HSCAN arrays, missing values null', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2');
  const replies = await resp3([
    ['HGETALL', 'h'],
    ['HGETALL', 'missing'],
    ['HKEYS', 'h'],
    ['HMGET', 'h', 'a', 'zz'],
    ['HGET', 'missing', 'a'],
    ['HSCAN', 'h', '0'],
    ['HRANDFIELD', 'missing'],
    ['HRANDFIELD', 'missing', '3', 'WITHVALUES'],
    ['HINCRBYFLOAT', 'h', 'n', '1.5'],
  ]);
  assert.deepEqual(replies, [
    '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n',
    '%0\r\n',
    '*2\r\n$1\r\na\r\n$1\r\nb\r\n',
    '*2\r\n$1\r\n1\r\n_\r\n',
    '_\r\n',
    '*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n',
    '_\r\n',
    '*0\r\n',
    '$3\r\n1.5\r\n',
  ]);
});

test('RESP3: HRANDFIELD WITHVALUES is an array of field-value pairs', async () => {
  await r.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
  const [all, one, repeated, plain] = await resp3([
    ['HRANDFIELD', 'h', '5', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '1', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '-4', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '-2'],
  ]);
  assert.equal(all, '*3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n');
  assert.match(one, /^\*1\r\n\*2\r\n\$1\r\n([abc])\r\n\$1\r\n[123]\r\n$/);
  assert.match(repeated, /^\*4\r\n(\*2\r\n\$1\r\n[abc]\r\n\$1\r\n[123]\r\n){4}$/);
  assert.match(plain, /^\*2\r\n(\$1\r\n[abc]\r\n){2}$/);
});

// ---------------------------------------------------------------- model test

test('random HSET/HSETNX/HDEL/HINCRBY/HINCRBYFLOAT sequences agree with a Map model', async () => {
  const field = fc.constantFrom('a', 'b', 'c', 'd', '', '\x00', '\xff');
  const value = fc.oneof(
    fc.constantFrom('0', '1', '-1', '10', '9223372036854775807', '-9223372036854775808', 'x', ' 1', '1.5', ''),
    fc.integer({ min: -1000, max: 1000 }).map(String),
  );
  const increment = fc.oneof(
    fc.integer({ min: -100, max: 100 }).map(String),
    fc.constantFrom('9223372036854775807', '-9223372036854775808', '1'),
  );
  const command = fc.oneof(
    fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }).map((pairs) => ['HSET', ...pairs.flat()]),
    fc.tuple(field, value).map(([f, v]) => ['HSETNX', f, v]),
    fc.array(field, { minLength: 1, maxLength: 3 }).map((fs) => ['HDEL', ...fs]),
    fc.tuple(field, increment).map(([f, n]) => ['HINCRBY', f, n]),
    fc.tuple(field, fc.constantFrom('0.5', '-1.25', '3', '1e2')).map(([f, n]) => ['HINCRBYFLOAT', f, n]),
  );

  /**
   * The model: applies a command to a Map and checks the server's reply to it
   * (`error` is the error message or null).
   */
  function check(model, [name, ...args], error, reply) {
    const label = [name, ...args].join(' ');
    const expectError = () => assert.ok(error, `${label} should fail`);
    const expectReply = (expected) => assert.equal(error === null ? String(reply) : error, String(expected), label);
    switch (name) {
      case 'HSET': {
        let created = 0;
        for (let i = 0; i < args.length; i += 2) {
          if (!model.has(args[i])) created++;
          model.set(args[i], args[i + 1]);
        }
        return expectReply(created);
      }
      case 'HSETNX':
        if (model.has(args[0])) return expectReply(0);
        model.set(args[0], args[1]);
        return expectReply(1);
      case 'HDEL': {
        let deleted = 0;
        for (const f of args) if (model.delete(f)) deleted++;
        return expectReply(deleted);
      }
      case 'HINCRBY': {
        const current = model.get(args[0]) ?? '0';
        if (!/^(0|-?[1-9][0-9]*)$/.test(current)) return expectError();
        const big = BigInt(current);
        if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) return expectError();
        const sum = big + BigInt(args[1]);
        if (sum > 2n ** 63n - 1n || sum < -(2n ** 63n)) return expectError();
        model.set(args[0], String(sum));
        // ioredis reads integer replies as doubles: compare only exact ones (HGETALL checks the rest).
        if (sum <= 2n ** 53n && sum >= -(2n ** 53n)) expectReply(sum);
        else assert.equal(error, null, label);
        return undefined;
      }
      case 'HINCRBYFLOAT': {
        const current = model.get(args[0]) ?? '0';
        if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(current)) return expectError();
        assert.equal(error, null, label);
        // Near 2^63 Redis rounds in long double; trust its digits there, check them elsewhere.
        if (Math.abs(Number(current)) < 1e15) assert.equal(Number(reply), Number(current) + Number(args[1]), label);
        model.set(args[0], reply);
        return undefined;
      }
    }
    throw new Error(name);
  }

  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
      await r.del('m');
      const model = new Map();
      const pipeline = r.pipeline();
      for (const c of commands) pipeline.call(c[0], 'm', ...c.slice(1));
      pipeline.call('HGETALL', 'm');
      pipeline.exists('m');
      const results = await pipeline.exec();
      commands.forEach((c, i) => check(model, c, results[i][0]?.message ?? null, results[i][1]));
      const [, flat] = results[commands.length];
      assert.deepEqual(flat, [...model].flat());
      assert.equal(results[commands.length + 1][1], model.size > 0 ? 1 : 0);
    }),
    { numRuns: 300 },
  );
});

test('a packed (listpack) hash behaves as the hash table and as a Map, with binary fields and lengths past one varint byte', () => {
  const text = fc.oneof(
    fc.constantFrom('', 'a', 'b', '\x00', '\xff', '\x80\x81'),
    fc.string({ maxLength: 6 }).map((s) => Buffer.from(s).toString('latin1')),
    fc.integer({ min: 120, max: 20000 }).map((n) => 'L'.repeat(n)),
  );
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set'), field: text, value: text }),
    fc.record({ kind: fc.constant('del'), field: text }),
    fc.record({ kind: fc.constant('get'), field: text }),
  );
  const roomy = { maxEntries: 1000, maxValue: 1 << 30 };
  const table = { maxEntries: 0, maxValue: 0 };
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const packed = new HashValue();
      const big = new HashValue();
      const model = new Map();
      for (const o of ops) {
        if (o.kind === 'set') {
          assert.equal(packed.set(o.field, o.value, roomy), !model.has(o.field));
          big.set(o.field, o.value, table);
          model.set(o.field, o.value);
        } else if (o.kind === 'del') {
          assert.equal(packed.delete(o.field), model.has(o.field));
          big.delete(o.field);
          model.delete(o.field);
        } else {
          assert.equal(packed.get(o.field), model.get(o.field));
          assert.equal(packed.has(o.field), model.has(o.field));
        }
      }
      assert.equal(packed.encoding(), 'listpack');
      assert.equal(packed.size, model.size);
      assert.equal(packed.bytes, big.bytes);
      const pairs = [];
      packed.forEach((f, v) => pairs.push([f, v]));
      // Insertion order, as Redis's listpack keeps it.
      assert.deepEqual(pairs, [...model]);
      for (let slot = 0; slot < packed.size; slot++) assert.deepEqual([packed.fieldAt(slot), packed.valueAt(slot)], pairs[slot]);
      assert.equal(packed.canonical(), big.canonical());
      assert.equal(packed.clone().canonical(), packed.canonical());
      // Converting keeps every pair and the order.
      if (model.size > 0) {
        packed.set(pairs[0][0], pairs[0][1], table);
        assert.equal(packed.encoding(), 'hashtable');
        const after = [];
        packed.forEach((f, v) => after.push([f, v]));
        assert.deepEqual(after, pairs);
      }
    }),
    { numRuns: 300 },
  );
});
