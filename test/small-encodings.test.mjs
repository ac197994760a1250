// Small sorted sets (listpack) and intsets are packed strings here, converted
// to the large forms at Redis's thresholds: random command sequences run
// against our server and a redis-server side by side must get the same raw
// replies, OBJECT ENCODING included, across the conversions (thresholds
// lowered with CONFIG SET) and through DUMP/RESTORE both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HAVE_REDIS, replyConnection, startRedis, startServer } from './helpers.mjs';

let ours;
let redis;
let oursConn;

before(async () => {
  if (!HAVE_REDIS) return;
  ours = await startServer([]);
  oursConn = await replyConnection(ours.port);
  redis = await startRedis();
});

after(async () => {
  oursConn?.close();
  await ours?.stop();
  redis?.stop();
});

/** Sends one command to both servers and checks the raw replies match. */
async function both(...args) {
  const [mine, theirs] = await Promise.all([oursConn.command(...args), redis.conn.command(...args)]);
  assert.equal(mine, theirs, `${args.join(' ')}`);
  return mine;
}

/** Both servers' set members, sorted (a hashtable's order is its own). */
async function sortedMembers(key) {
  const parse = (reply) => reply.split('\r\n').filter((_, i) => i > 0 && i % 2 === 0).sort();
  const [mine, theirs] = await Promise.all([oursConn.command('SMEMBERS', key), redis.conn.command('SMEMBERS', key)]);
  assert.deepEqual(parse(mine), parse(theirs), `SMEMBERS ${key}`);
}

/** A reply's bulk payload (DUMP), as a latin1 string. */
function bulk(reply) {
  const header = reply.indexOf('\r\n');
  return reply.slice(header + 2, reply.length - 2);
}

/** DUMP on each server RESTOREd on the other: the copies must read back the same on both. */
async function crossRestore(key, read) {
  const [mine, theirs] = await Promise.all([oursConn.command('DUMP', key), redis.conn.command('DUMP', key)]);
  if (mine.startsWith('$-1')) return;
  assert.equal(await redis.conn.command('RESTORE', `${key}:from-ours`, '0', bulk(mine), 'REPLACE'), '+OK\r\n');
  assert.equal(await oursConn.command('RESTORE', `${key}:from-ours`, '0', bulk(theirs), 'REPLACE'), '+OK\r\n');
  await read(`${key}:from-ours`);
  await both('OBJECT', 'ENCODING', `${key}:from-ours`);
}

const long = 'L'.repeat(70);
// Past 254 bytes a length takes 5 bytes in the packed form.
const huge = 'H'.repeat(300);
const zmember = fc.constantFrom('a', 'b', 'c', 'aa', 'ab', 'b\x00', '\xff', '\x00', '', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', long, huge);
// Integral scores are packed in 1 or 4 bytes: the bounds of each.
const zscore = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.constantFrom('1.5', '-0', '0', '1e20', '-inf', '+inf', '3.25', '127', '128', '-128', '-129', '2147483647', '2147483648', '-2147483648', '-2147483649'),
);
const zbound = fc.constantFrom('-inf', '+inf', '0', '(0', '1', '(1', '-2', '3', '(3.25');
const lexBound = fc.constantFrom('-', '+', '[a', '(a', '[b', '(b\x00', '[m3', '(m', '[\xff');

/**
 * The commands, with scores from `score`. Lex ranges are only defined when
 * every score is the same (Redis's answers otherwise depend on how it walks
 * its structures), so they come with a single score only.
 */
const zops = (score, lex) => fc.oneof(
  fc.record({ args: fc.tuple(fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'], ['CH']), fc.array(fc.tuple(score, zmember), { minLength: 1, maxLength: 5 })) }).map(
    ({ args: [flags, pairs] }) => ['ZADD', 'z', ...flags, ...pairs.flat()],
  ),
  ...(lex ? [] : [fc.tuple(score, zmember).map(([s, m]) => ['ZINCRBY', 'z', s, m])]),
  fc.array(zmember, { minLength: 1, maxLength: 3 }).map((ms) => ['ZREM', 'z', ...ms]),
  fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 }), fc.boolean()).map(([a, b, rev]) => ['ZRANGE', 'z', a, b, ...(rev ? ['REV'] : []), 'WITHSCORES']),
  fc.tuple(zbound, zbound, fc.boolean(), fc.integer({ min: -1, max: 3 })).map(([a, b, rev, off]) => [
    'ZRANGE', 'z', a, b, 'BYSCORE', ...(rev ? ['REV'] : []), ...(off >= 0 ? ['LIMIT', off, 2] : []), 'WITHSCORES',
  ]),
  fc.tuple(zbound, zbound).map(([a, b]) => ['ZCOUNT', 'z', a, b]),
  zmember.map((m) => ['ZSCORE', 'z', m]),
  fc.array(zmember, { minLength: 1, maxLength: 3 }).map((ms) => ['ZMSCORE', 'z', ...ms]),
  fc.tuple(zmember, fc.boolean()).map(([m, rev]) => [rev ? 'ZREVRANK' : 'ZRANK', 'z', m]),
  fc.tuple(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 })).map(([a, b]) => ['ZREMRANGEBYRANK', 'z', a, b]),
  fc.tuple(zbound, zbound).map(([a, b]) => ['ZREMRANGEBYSCORE', 'z', a, b]),
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 })).map(([max, n]) => [max ? 'ZPOPMAX' : 'ZPOPMIN', 'z', n]),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2, max: 2 })).map(([a, b]) => ['ZRANGESTORE', 'zdst', 'z', a, b]),
  fc.constant(['ZCARD', 'z']),
  fc.constant(['OBJECT', 'ENCODING', 'z']),
  ...(lex
    ? [
        fc.tuple(lexBound, lexBound, fc.boolean()).map(([a, b, rev]) => ['ZRANGE', 'z', a, b, 'BYLEX', ...(rev ? ['REV'] : [])]),
        fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZLEXCOUNT', 'z', a, b]),
        fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZREMRANGEBYLEX', 'z', a, b]),
      ]
    : []),
);

test('sorted sets: random commands agree with redis-server across listpack and skiplist', { timeout: 120_000 }, async (t) => {
  if (!HAVE_REDIS) return t.skip('redis-server is not installed');
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.array(zops(zscore, false), { minLength: 1, maxLength: 30 }), fc.array(zops(fc.constant('0'), true), { minLength: 1, maxLength: 30 })), fc.constantFrom([128, 64], [4, 64], [128, 1], [3, 2], [128, 1000]), async (ops, [entries, value]) => {
      await both('FLUSHALL');
      await both('CONFIG', 'SET', 'zset-max-listpack-entries', String(entries), 'zset-max-listpack-value', String(value));
      for (const op of ops) {
        await both(...op.map(String));
        // ZSCAN order is the dict's in a skiplist: compare it on listpacks only.
        if ((await both('OBJECT', 'ENCODING', 'z')) === '$8\r\nlistpack\r\n') await both('ZSCAN', 'z', '0');
      }
      await both('OBJECT', 'ENCODING', 'zdst');
      const read = (key) => both('ZRANGE', key, '0', '-1', 'WITHSCORES');
      await read('z');
      await crossRestore('z', read);
    }),
    { numRuns: 120 },
  );
  await both('CONFIG', 'SET', 'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64');
});

const smember = fc.constantFrom('0', '1', '2', '-1', '10', '9', '-10', '123456789012', '9223372036854775807', '-9223372036854775808',
  '9223372036854775808', '01', '+1', '1,2', '', 'a', 'tag', '1 ');

const sop = fc.oneof(
  fc.array(smember, { minLength: 1, maxLength: 5 }).map((ms) => ['SADD', 's', ...ms]),
  fc.array(smember, { minLength: 1, maxLength: 3 }).map((ms) => ['SREM', 's', ...ms]),
  smember.map((m) => ['SISMEMBER', 's', m]),
  fc.array(smember, { minLength: 1, maxLength: 3 }).map((ms) => ['SMISMEMBER', 's', ...ms]),
  fc.constant(['SCARD', 's']),
  fc.constant(['OBJECT', 'ENCODING', 's']),
  fc.constant(['SINTERSTORE', 'sdst', 's', 's']),
  fc.tuple(smember, smember).map(([a, b]) => ['SMOVE', 's', 'other', a === b ? a : b]),
);

test('sets: random commands agree with redis-server across intset and hashtable', { timeout: 120_000 }, async (t) => {
  if (!HAVE_REDIS) return t.skip('redis-server is not installed');
  await fc.assert(
    fc.asyncProperty(fc.array(sop, { minLength: 1, maxLength: 30 }), fc.constantFrom(512, 3), async (ops, maxIntset) => {
      await both('FLUSHALL');
      await both('CONFIG', 'SET', 'set-max-intset-entries', String(maxIntset));
      for (const op of ops) {
        await both(...op);
        // An intset lists its members in numeric order: that order must match too.
        if ((await both('OBJECT', 'ENCODING', 's')) === '$6\r\nintset\r\n') {
          await both('SMEMBERS', 's');
          await both('SSCAN', 's', '0');
        }
      }
      await both('OBJECT', 'ENCODING', 'sdst');
      await sortedMembers('s');
      await sortedMembers('other');
      await crossRestore('s', sortedMembers);
    }),
    { numRuns: 120 },
  );
  await both('CONFIG', 'SET', 'set-max-intset-entries', '512');
});

test('SPOP and SRANDMEMBER on an intset draw members that are there, and SPOP removes them', async (t) => {
  if (!HAVE_REDIS) return t.skip('redis-server is not installed');
  await both('FLUSHALL');
  await both('SADD', 's', '5', '-3', '17', '100', '2');
  const members = new Set(['5', '-3', '17', '100', '2']);
  for (let i = 0; i < 20; i++) assert.ok(members.has(bulk(await oursConn.command('SRANDMEMBER', 's'))));
  const popped = bulk(await oursConn.command('SPOP', 's'));
  assert.ok(members.has(popped));
  members.delete(popped);
  assert.equal(await oursConn.command('SISMEMBER', 's', popped), ':0\r\n');
  assert.equal(await oursConn.command('SCARD', 's'), ':4\r\n');
  assert.equal(await oursConn.command('OBJECT', 'ENCODING', 's'), '$6\r\nintset\r\n');
  const rest = (await oursConn.command('SMEMBERS', 's')).split('\r\n').filter((_, i) => i > 0 && i % 2 === 0);
  assert.deepEqual(rest, [...members].sort((a, b) => Number(a) - Number(b)));
});

const lelement = fc.constantFrom('a', 'b', 'job:1', '', '\x00', '\xff', '7', '-3', 'x'.repeat(64), 'y'.repeat(65));

const lop = fc.oneof(
  fc.tuple(fc.boolean(), fc.array(lelement, { minLength: 1, maxLength: 4 })).map(([left, es]) => [left ? 'LPUSH' : 'RPUSH', 'l', ...es]),
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 })).map(([left, n]) => [left ? 'LPOP' : 'RPOP', 'l', n]),
  fc.boolean().map((left) => [left ? 'LPOP' : 'RPOP', 'l']),
  fc.tuple(fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 })).map(([a, b]) => ['LRANGE', 'l', a, b]),
  fc.tuple(fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 })).map(([a, b]) => ['LTRIM', 'l', a, b]),
  fc.integer({ min: -6, max: 6 }).map((i) => ['LINDEX', 'l', i]),
  fc.tuple(fc.integer({ min: -6, max: 6 }), lelement).map(([i, e]) => ['LSET', 'l', i, e]),
  fc.tuple(fc.boolean(), lelement, lelement).map(([before, pivot, e]) => ['LINSERT', 'l', before ? 'BEFORE' : 'AFTER', pivot, e]),
  fc.tuple(fc.integer({ min: -2, max: 2 }), lelement).map(([n, e]) => ['LREM', 'l', n, e]),
  fc.tuple(lelement, fc.integer({ min: -2, max: 2 }).filter((n) => n !== 0), fc.integer({ min: 0, max: 2 })).map(([e, rank, count]) => ['LPOS', 'l', e, 'RANK', rank, 'COUNT', count]),
  fc.tuple(fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map(([from, to]) => ['LMOVE', 'l', 'l2', from, to]),
  fc.constant(['LMOVE', 'l', 'l', 'RIGHT', 'LEFT']),
  fc.constant(['LLEN', 'l']),
);

test('lists: random commands agree with redis-server across the packed and ring forms', { timeout: 120_000 }, async (t) => {
  if (!HAVE_REDIS) return t.skip('redis-server is not installed');
  // Pushes that cross 128 elements turn the packed form into the ring.
  const grow = fc.integer({ min: 0, max: 140 }).map((n) => (n === 0 ? [] : [['RPUSH', 'l', ...Array.from({ length: n }, (_, i) => String(i % 9))]]));
  await fc.assert(
    fc.asyncProperty(grow, fc.array(lop, { minLength: 1, maxLength: 30 }), async (setup, ops) => {
      await both('FLUSHALL');
      for (const op of [...setup, ...ops]) await both(...op.map(String));
      const read = (key) => both('LRANGE', key, '0', '-1');
      await read('l');
      await read('l2');
      await crossRestore('l', read);
    }),
    { numRuns: 120 },
  );
});
