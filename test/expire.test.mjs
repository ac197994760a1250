// Expiry: the EXPIRE family and its NX/XX/GT/LT options, TTL queries, PERSIST,
// lazy and active expiry. Every expectation is what Redis 7.0.15 replies.
// The server runs with DEBUG enabled so tests can switch active expiry off.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, sleep } from './helpers.mjs';

let r;

const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const NX_CONFLICT = { message: 'ERR NX and XX, GT or LT options at the same time are not compatible' };
const GT_LT_CONFLICT = { message: 'ERR GT and LT options at the same time are not compatible' };
const badExpire = (cmd) => ({ message: `ERR invalid expire time in '${cmd}' command` });
const nowSec = () => Math.floor(Date.now() / 1000);

useServer(['--enable-debug-command', 'yes'], (_server, client) => {
  r = client;
});

beforeEach(async () => {
  await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
});


/** The db0 line of INFO keyspace, or undefined when db0 is empty. */
async function keyspaceLine(db = 0) {
  const info = await r.info('keyspace');
  return info.split('\r\n').find((line) => line.startsWith(`db${db}:`));
}

async function infoField(section, name) {
  const info = await r.info(section);
  const line = info.split('\r\n').find((l) => l.startsWith(`${name}:`));
  return line === undefined ? undefined : line.slice(name.length + 1);
}

// ---------------------------------------------------------------- EXPIRE family basics

test('EXPIRE sets a TTL in seconds and replies 1', async () => {
  await r.set('k', 'v');
  assert.equal(await r.expire('k', 100), 1);
  const ttl = await r.ttl('k');
  assert.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl}`);
});

test('PEXPIRE sets a TTL in milliseconds', async () => {
  await r.set('k', 'v');
  assert.equal(await r.pexpire('k', 12345), 1);
  const pttl = await r.pttl('k');
  assert.ok(pttl > 12000 && pttl <= 12345, `pttl ${pttl}`);
  assert.equal(await r.ttl('k'), 12);
});

test('EXPIREAT sets an absolute expiry in seconds', async () => {
  await r.set('k', 'v');
  const at = nowSec() + 1000;
  assert.equal(await r.expireat('k', at), 1);
  assert.equal(await r.call('EXPIRETIME', 'k'), at);
  assert.equal(await r.call('PEXPIRETIME', 'k'), at * 1000);
  const ttl = await r.ttl('k');
  assert.ok(ttl >= 998 && ttl <= 1000, `ttl ${ttl}`);
});

test('PEXPIREAT sets an absolute expiry in milliseconds', async () => {
  await r.set('k', 'v');
  const base = nowSec() + 500;
  const at = base * 1000 + 123;
  assert.equal(await r.pexpireat('k', at), 1);
  assert.equal(await r.call('PEXPIRETIME', 'k'), at);
  // Like TTL, EXPIRETIME rounds the milliseconds to the nearest second.
  assert.equal(await r.call('EXPIRETIME', 'k'), base);
  await r.pexpireat('k', base * 1000 + 700);
  assert.equal(await r.call('EXPIRETIME', 'k'), base + 1);
});

test('the EXPIRE family replies 0 for a missing key', async () => {
  assert.equal(await r.expire('missing', 100), 0);
  assert.equal(await r.pexpire('missing', 100), 0);
  assert.equal(await r.expireat('missing', nowSec() + 100), 0);
  assert.equal(await r.pexpireat('missing', Date.now() + 100), 0);
  assert.equal(await r.expire('missing', -1), 0);
  assert.equal(await r.exists('missing'), 0);
});

test('EXPIRE replaces an existing TTL', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.expire('k', 500), 1);
  assert.ok((await r.ttl('k')) > 400);
  assert.equal(await r.expire('k', 50), 1);
  assert.ok((await r.ttl('k')) <= 50);
});

test('the EXPIRE family refuses a non-integer time', async () => {
  await r.set('k', 'v');
  for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
    await assert.rejects(r.call(cmd, 'k', 'abc'), NOT_INT, cmd);
    await assert.rejects(r.call(cmd, 'k', '1.5'), NOT_INT, cmd);
    await assert.rejects(r.call(cmd, 'k', ''), NOT_INT, cmd);
  }
  assert.equal(await r.ttl('k'), -1);
});

test('the EXPIRE family refuses times that overflow', async () => {
  await r.set('k', 'v');
  await assert.rejects(r.expire('k', '9223372036854775807'), badExpire('expire'));
  await assert.rejects(r.expire('k', '9223372036854776'), badExpire('expire'));
  await assert.rejects(r.pexpire('k', '9223372036854775807'), badExpire('pexpire'));
  await assert.rejects(r.expireat('k', '9223372036854775807'), badExpire('expireat'));
  await assert.rejects(r.expire('missing', '9223372036854776'), badExpire('expire'));
  assert.equal(await r.ttl('k'), -1);
});

test('PEXPIREAT accepts the largest 64-bit time', async () => {
  await r.set('k', 'v');
  assert.equal(await r.pexpireat('k', '9223372036854775807'), 1);
  assert.equal(await r.exists('k'), 1);
  assert.ok((await r.ttl('k')) > 9e15);
});

test('a negative or zero EXPIRE deletes the key at once', async () => {
  await r.set('a', 'v');
  assert.equal(await r.expire('a', -1), 1);
  assert.equal(await r.exists('a'), 0);
  await r.set('b', 'v');
  assert.equal(await r.expire('b', 0), 1);
  assert.equal(await r.exists('b'), 0);
  await r.set('c', 'v');
  assert.equal(await r.pexpire('c', -100), 1);
  assert.equal(await r.get('c'), null);
  assert.equal(await r.dbsize(), 0);
});

test('an EXPIREAT/PEXPIREAT in the past deletes the key at once', async () => {
  await r.set('a', 'v');
  assert.equal(await r.expireat('a', nowSec() - 10), 1);
  assert.equal(await r.exists('a'), 0);
  await r.set('b', 'v');
  assert.equal(await r.pexpireat('b', 1), 1);
  assert.equal(await r.exists('b'), 0);
  await r.set('c', 'v');
  assert.equal(await r.expireat('c', 0), 1);
  assert.equal(await r.dbsize(), 0);
});

// ---------------------------------------------------------------- NX / XX / GT / LT

test('EXPIRE NX sets a TTL only when the key has none', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'NX'), 1);
  assert.equal(await r.call('EXPIRE', 'k', '500', 'NX'), 0);
  assert.ok((await r.ttl('k')) <= 100);
});

test('EXPIRE XX sets a TTL only when the key has one', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'XX'), 0);
  assert.equal(await r.ttl('k'), -1);
  await r.expire('k', 100);
  assert.equal(await r.call('EXPIRE', 'k', '500', 'XX'), 1);
  assert.ok((await r.ttl('k')) > 400);
});

test('EXPIRE GT only extends a TTL, and never applies to a key without one', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'GT'), 0);
  assert.equal(await r.ttl('k'), -1);
  await r.expire('k', 100);
  assert.equal(await r.call('EXPIRE', 'k', '50', 'GT'), 0);
  assert.equal(await r.call('EXPIRE', 'k', '200', 'GT'), 1);
  const ttl = await r.ttl('k');
  assert.ok(ttl > 150 && ttl <= 200, `ttl ${ttl}`);
});

test('EXPIRE LT only shortens a TTL, and always applies to a key without one', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'LT'), 1);
  assert.ok((await r.ttl('k')) <= 100);
  assert.equal(await r.call('EXPIRE', 'k', '300', 'LT'), 0);
  assert.equal(await r.call('EXPIRE', 'k', '50', 'LT'), 1);
  assert.ok((await r.ttl('k')) <= 50);
});

test('EXPIRE XX GT and XX LT combine', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'XX', 'LT'), 0);
  assert.equal(await r.ttl('k'), -1);
  await r.expire('k', 100);
  assert.equal(await r.call('PEXPIRE', 'k', '200000', 'XX', 'GT'), 1);
  assert.equal(await r.call('EXPIRE', 'k', '150', 'XX', 'LT'), 1);
  const ttl = await r.ttl('k');
  assert.ok(ttl > 140 && ttl <= 150, `ttl ${ttl}`);
});

test('a GT/LT that does not apply leaves a past time unapplied', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '0', 'GT'), 0);
  assert.equal(await r.exists('k'), 1);
  await r.expire('k', 100);
  assert.equal(await r.call('EXPIRE', 'k', '-5', 'GT'), 0);
  assert.equal(await r.exists('k'), 1);
  assert.equal(await r.call('EXPIRE', 'k', '-5', 'LT'), 1);
  assert.equal(await r.exists('k'), 0);
});

test('NX/XX/GT/LT work with PEXPIRE, EXPIREAT and PEXPIREAT', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('PEXPIREAT', 'k', String(Date.now() + 100_000), 'XX'), 0);
  assert.equal(await r.call('EXPIREAT', 'k', String(nowSec() + 100), 'NX'), 1);
  assert.equal(await r.call('EXPIREAT', 'k', String(nowSec() + 50), 'GT'), 0);
  assert.equal(await r.call('PEXPIREAT', 'k', String(Date.now() + 300_000), 'GT'), 1);
  assert.equal(await r.call('PEXPIRE', 'k', '400000', 'LT'), 0);
  assert.equal(await r.call('PEXPIRE', 'k', '20000', 'LT'), 1);
  const pttl = await r.pttl('k');
  assert.ok(pttl > 19000 && pttl <= 20000, `pttl ${pttl}`);
});

test('options are case-insensitive and may repeat', async () => {
  await r.set('k', 'v');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'nx'), 1);
  assert.equal(await r.call('EXPIRE', 'k', '200', 'Gt', 'gt'), 1);
  assert.equal(await r.call('EXPIRE', 'k', '300', 'xx', 'XX'), 1);
  await r.persist('k');
  assert.equal(await r.call('EXPIRE', 'k', '100', 'NX', 'NX'), 1);
});

test('NX with XX, GT or LT is refused', async () => {
  await r.set('k', 'v');
  for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
    for (const opts of [['NX', 'XX'], ['XX', 'NX'], ['NX', 'GT'], ['LT', 'NX'], ['NX', 'XX', 'GT']]) {
      await assert.rejects(r.call(cmd, 'k', '100', ...opts), NX_CONFLICT, `${cmd} ${opts.join(' ')}`);
    }
  }
  assert.equal(await r.ttl('k'), -1);
});

test('GT with LT is refused', async () => {
  await r.set('k', 'v');
  for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
    await assert.rejects(r.call(cmd, 'k', '100', 'GT', 'LT'), GT_LT_CONFLICT, cmd);
    await assert.rejects(r.call(cmd, 'k', '100', 'XX', 'LT', 'GT'), GT_LT_CONFLICT, cmd);
  }
});

test('an unknown option is refused, naming it', async () => {
  await r.set('k', 'v');
  await assert.rejects(r.call('EXPIRE', 'k', '100', 'foo'), { message: 'ERR Unsupported option foo' });
  await assert.rejects(r.call('PEXPIREAT', 'k', '100', 'NX', 'Bar'), { message: 'ERR Unsupported option Bar' });
  await assert.rejects(r.call('EXPIRE', 'missing', '100', 'NX', 'XX'), NX_CONFLICT);
  assert.equal(await r.ttl('k'), -1);
});

// ---------------------------------------------------------------- TTL / PTTL / EXPIRETIME / PEXPIRETIME / PERSIST

test('TTL, PTTL, EXPIRETIME, PEXPIRETIME are -2 for a missing key and -1 without TTL', async () => {
  for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) {
    assert.equal(await r.call(cmd, 'missing'), -2, cmd);
  }
  await r.set('k', 'v');
  for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) {
    assert.equal(await r.call(cmd, 'k'), -1, cmd);
  }
});

test('PERSIST removes a TTL and replies 1, else 0', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  assert.equal(await r.persist('k'), 1);
  assert.equal(await r.ttl('k'), -1);
  assert.equal(await r.persist('k'), 0);
  assert.equal(await r.persist('missing'), 0);
  assert.equal(await r.get('k'), 'v');
});

test('a persisted key no longer expires', async () => {
  await r.call('SET', 'k', 'v', 'PX', '100');
  await r.persist('k');
  await sleep(200);
  assert.equal(await r.get('k'), 'v');
});

// ---------------------------------------------------------------- millisecond precision, lazy expiry

test('a key with PX 100 is there at ~50ms and gone at ~150ms', async () => {
  await r.call('SET', 'k', 'v', 'PX', '100');
  await sleep(50);
  assert.equal(await r.get('k'), 'v');
  assert.equal(await r.exists('k'), 1);
  await sleep(100);
  assert.equal(await r.get('k'), null);
  assert.equal(await r.exists('k'), 0);
});

test('PEXPIRE 100 takes effect with millisecond precision', async () => {
  await r.set('k', 'v');
  await r.pexpire('k', 100);
  await sleep(50);
  assert.equal(await r.exists('k'), 1);
  const pttl = await r.pttl('k');
  assert.ok(pttl > 0 && pttl <= 60, `pttl ${pttl}`);
  await sleep(100);
  assert.equal(await r.exists('k'), 0);
  assert.equal(await r.pttl('k'), -2);
});

test('an expired key reads as missing before anything reclaims it', async () => {
  await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  await r.call('SET', 'a', 'v', 'PX', '20');
  await r.call('SET', 'b', 'v', 'PX', '20');
  await r.call('SET', 'c', 'v', 'PX', '20');
  await sleep(60);
  assert.equal(await r.get('a'), null);
  assert.equal(await r.exists('b'), 0);
  assert.equal(await r.ttl('c'), -2);
  assert.equal(await r.dbsize(), 0);
});

test('SET clears the TTL, SET KEEPTTL keeps it', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  await r.set('k', 'w');
  assert.equal(await r.ttl('k'), -1);
  await r.expire('k', 100);
  await r.call('SET', 'k', 'x', 'KEEPTTL');
  assert.ok((await r.ttl('k')) > 90);
  assert.equal(await r.get('k'), 'x');
});

test('modifying commands keep the TTL, overwriting commands clear it', async () => {
  await r.call('SET', 'n', '1', 'EX', '100');
  await r.incr('n');
  await r.incrbyfloat('n', '1.5');
  await r.append('n', '0');
  await r.setrange('n', 0, '4');
  assert.ok((await r.ttl('n')) > 90);
  await r.getset('n', '1');
  assert.equal(await r.ttl('n'), -1);
  await r.expire('n', 100);
  await r.mset('n', '2');
  assert.equal(await r.ttl('n'), -1);
  await r.expire('n', 100);
  await r.del('n');
  await r.set('n', '3');
  assert.equal(await r.ttl('n'), -1);
});

test('a TTL belongs to the key in its own database', async () => {
  await r.call('SET', 'k', 'v', 'EX', '100');
  await r.select(1);
  await r.set('k', 'v');
  assert.equal(await r.ttl('k'), -1);
  await r.select(0);
  assert.ok((await r.ttl('k')) > 90);
});

// ---------------------------------------------------------------- active expiry, INFO keyspace

test('INFO keyspace counts keys and keys with a TTL', async () => {
  await r.mset('a', '1', 'b', '2', 'c', '3');
  await r.expire('a', 1000);
  const line = await keyspaceLine();
  assert.match(line, /^db0:keys=3,expires=1,avg_ttl=\d+$/);
  await r.select(2);
  await r.set('z', '1');
  assert.equal(await keyspaceLine(2), 'db2:keys=1,expires=0,avg_ttl=0');
  assert.equal(await keyspaceLine(1), undefined);
});

test('the active expiry cycle reclaims keys nobody touches', async () => {
  const before = Number(await infoField('stats', 'expired_keys'));
  const pipeline = r.pipeline();
  // Long enough for the keys to still be there when counted below on a busy machine.
  for (let i = 0; i < 1000; i++) pipeline.set(`k${i}`, 'v', 'PX', 300);
  await pipeline.exec();
  await r.select(1);
  for (let i = 0; i < 100; i++) await r.set(`other${i}`, 'v', 'PX', 300);
  await r.select(0);
  assert.ok((await r.dbsize()) > 0);
  await sleep(1500);
  assert.equal(await r.dbsize(), 0);
  assert.equal(await keyspaceLine(0), undefined);
  assert.equal(await keyspaceLine(1), undefined);
  await r.select(1);
  assert.equal(await r.dbsize(), 0);
  const after = Number(await infoField('stats', 'expired_keys'));
  assert.ok(after - before >= 1100, `expired_keys went from ${before} to ${after}`);
});

test('DEBUG SET-ACTIVE-EXPIRE 0 stops the active expiry cycle', async () => {
  assert.equal(await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), 'OK');
  const pipeline = r.pipeline();
  for (let i = 0; i < 1000; i++) pipeline.set(`k${i}`, 'v', 'PX', 50);
  await pipeline.exec();
  await sleep(600);
  // DBSIZE does not expire keys: they are all still counted.
  assert.equal(await r.dbsize(), 1000);
  assert.match(await keyspaceLine(), /^db0:keys=1000,expires=1000,avg_ttl=\d+$/);
  // Each read finds its key expired and removes it.
  assert.equal(await r.get('k0'), null);
  assert.equal(await r.exists('k1'), 0);
  assert.equal(await r.dbsize(), 998);
  // Switched back on, the cycle reclaims the rest.
  assert.equal(await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'), 'OK');
  await sleep(1500);
  assert.equal(await r.dbsize(), 0);
});

test('active expiry leaves keys without TTL and keys not yet due', async () => {
  const pipeline = r.pipeline();
  for (let i = 0; i < 200; i++) pipeline.set(`short${i}`, 'v', 'PX', 30);
  for (let i = 0; i < 50; i++) pipeline.set(`long${i}`, 'v', 'EX', 100);
  for (let i = 0; i < 50; i++) pipeline.set(`forever${i}`, 'v');
  await pipeline.exec();
  await sleep(1200);
  assert.equal(await r.dbsize(), 100);
  assert.match(await keyspaceLine(), /^db0:keys=100,expires=50,avg_ttl=\d+$/);
});
