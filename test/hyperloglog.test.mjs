// HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. Replies and the
// values' bytes (GET) are compared with a real redis-server 7.0.15 started
// here: random command sequences (fast-check) through the sparse → dense
// promotion at several hll-sparse-max-bytes, corrupted values and crafted
// sparse opcode sequences (INVALIDOBJ where Redis gives it), DUMP/RESTORE
// and dump.rdb both ways, WATCH and the append-only file after PFCOUNT caches its estimate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import Redis from 'ioredis';
import { freePort, keyEvents, replyConnection, startInDir, startServer, tempDirs, waitForPort } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
/** Whether redis-server runs beside ours to compare with. */
const differential = haveRedis && ours;
const tempDir = tempDirs('noderedis-hll-');

let mine;
let redisProc;
let redisPort;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (differential) {
    redisPort = await freePort();
    redisProc = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', tempDir()], { stdio: 'ignore' });
    await waitForPort(redisPort, redisProc);
    b = await replyConnection(redisPort);
  }
});

after(async () => {
  a?.close();
  b?.close();
  redisProc?.kill('SIGKILL');
  await mine?.stop();
});

/** Runs a command on both servers; the replies must be the same bytes. Returns ours. */
async function both(...args) {
  const reply = await a.command(...args);
  if (b !== undefined) assert.equal(reply, await b.command(...args), args.map((x) => JSON.stringify(x).slice(0, 60)).join(' '));
  return reply;
}

async function fresh(sparseMaxBytes = 3000) {
  await both('FLUSHALL');
  await both('CONFIG', 'SET', 'hll-sparse-max-bytes', String(sparseMaxBytes));
}

/** Both servers hold the same bytes at each key. */
async function sameValues(keys) {
  for (const key of keys) await both('GET', key);
}

const bulk = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('PFADD, PFCOUNT, GET: sparse opcodes, promotion at 3000 bytes, cached estimate bytes', async () => {
  await fresh();
  assert.equal(await both('PFADD', 'h'), ':1\r\n');
  assert.equal(await both('PFADD', 'h'), ':0\r\n');
  await both('GET', 'h');
  assert.equal(await both('PFCOUNT', 'h'), ':0\r\n');
  await both('GET', 'h');
  await both('PFADD', 'h', 'a', 'b', 'c', '', '\x00\xff', 'x'.repeat(1000));
  await both('PFDEBUG', 'DECODE', 'h');
  await both('PFCOUNT', 'h');
  await both('GET', 'h');
  for (let i = 0; i < 30; i++) {
    await both('PFADD', 'h', ...bulk(`e${i}:`, 100));
    await both('PFDEBUG', 'ENCODING', 'h');
    await both('STRLEN', 'h');
    await both('PFCOUNT', 'h');
  }
  assert.equal(await both('PFDEBUG', 'ENCODING', 'h'), '+dense\r\n');
  await sameValues(['h']);
  await both('PFADD', 'h', ...bulk('more', 20000));
  await both('PFCOUNT', 'h');
  await sameValues(['h']);
  await both('PFDEBUG', 'GETREG', 'h');
});

test('random PFADD / PFCOUNT / PFMERGE / PFDEBUG sequences leave the same bytes as Redis', { skip: !differential && 'needs redis-server' }, async () => {
  const key = fc.constantFrom('x', 'y', 'z');
  const element = fc.oneof(
    fc.integer({ min: 0, max: 5000 }).map(String),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', '\x00', '\xff\xfe', 'a'.repeat(33)),
  );
  const op = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(key, fc.array(element, { maxLength: 8 })).map(([k, els]) => ['PFADD', k, ...els]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.integer({ min: 1, max: 2500 }), fc.integer({ min: 0, max: 1e6 })).map(([k, n, seed]) => ['PFADD', k, ...bulk(`${seed}-`, n)]) },
    { weight: 3, arbitrary: fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['PFCOUNT', ...ks]) },
    { weight: 2, arbitrary: fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['PFMERGE', ...ks]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('ENCODING', 'DECODE', 'TODENSE'), key).map(([sub, k]) => ['PFDEBUG', sub, k]) },
    { weight: 2, arbitrary: key.map((k) => ['GET', k]) },
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(3000, 400, 60, 0), fc.array(op, { maxLength: 14 }), async (sparseMaxBytes, ops) => {
      await fresh(sparseMaxBytes);
      for (const args of ops) await both(...args);
      await sameValues(['x', 'y', 'z']);
    }),
    { numRuns: 60 },
  );
  await both('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
});

test('PFMERGE: empty source list, missing sources, dense inputs make a dense destination', async () => {
  await fresh();
  assert.equal(await both('PFMERGE', 'd'), '+OK\r\n');
  await sameValues(['d']);
  await both('PFMERGE', 'd');
  await both('PFMERGE', 'e', 'nope1', 'nope2');
  await both('PFADD', 's1', ...bulk('a', 50));
  await both('PFADD', 's2', ...bulk('b', 3000));
  await both('PFADD', 'd', 'zz');
  await both('PFMERGE', 'd', 's1');
  await both('PFDEBUG', 'ENCODING', 'd');
  await both('PFMERGE', 'd', 's2', 's1');
  await both('PFDEBUG', 'ENCODING', 'd');
  await both('PFCOUNT', 'd', 's1', 's2', 'missing');
  await sameValues(['d', 'e', 's1', 's2']);
});

test('type errors and corrupted values: WRONGTYPE and INVALIDOBJ where Redis gives them', async () => {
  await fresh();
  await both('SET', 'str', 'hello world, no HLL here');
  await both('SET', 'int', '12345');
  await both('RPUSH', 'list', 'a');
  for (const k of ['str', 'int', 'list']) {
    await both('PFADD', k, 'a');
    await both('PFCOUNT', k);
    await both('PFCOUNT', 'missing', k);
    await both('PFMERGE', 'dst', k);
    await both('PFMERGE', k, 'missing');
    await both('PFDEBUG', 'ENCODING', k);
  }
  await both('EXISTS', 'dst');
  await both('PFDEBUG', 'ENCODING', 'missing');
  await both('PFADD', 'h', 'a', 'b', 'c');
  await both('PFDEBUG', 'NOSUCH', 'h');
  await both('PFDEBUG', 'TODENSE', 'h');
  await both('PFDEBUG', 'TODENSE', 'h');
  await both('PFDEBUG', 'DECODE', 'h');
  // Wrong dense length, a bad magic, an unknown encoding, trailing garbage on a sparse value.
  await both('SETRANGE', 'h', 4, '\x01');
  await both('PFCOUNT', 'h');
  await both('PFADD', 'bad', 'a', 'b');
  await both('APPEND', 'bad', 'hello');
  await both('PFCOUNT', 'bad');
  await both('PFCOUNT', 'bad', 'h');
  await both('PFMERGE', 'm', 'bad');
  await both('PFDEBUG', 'GETREG', 'bad');
  await both('PFDEBUG', 'TODENSE', 'bad');
  await both('PFADD', 'bad', ...bulk('q', 200));
  await sameValues(['bad']);
  await both('SETRANGE', 'h', 0, 'HYLX');
  await both('PFCOUNT', 'h');
  await both('SETRANGE', 'h', 0, 'HYLL\x02');
  await both('PFADD', 'h', 'a');
});

test('randomly corrupted values: same replies and bytes as Redis, never a crash', { skip: !differential && 'needs redis-server' }, async () => {
  const corruption = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 2500 }), corruption, fc.integer({ min: 0, max: 1e6 }), async (n, changes, seed) => {
      await fresh();
      await both('PFADD', 'h', ...bulk(`${seed}:`, n));
      const length = Number((await a.command('STRLEN', 'h')).slice(1, -2));
      for (const [pos, byte] of changes) await both('SETRANGE', 'h', pos % length, String.fromCharCode(byte));
      await both('PFADD', 'h', ...bulk(`${seed}+`, 5));
      await both('GET', 'h');
      await both('PFCOUNT', 'h', 'missing');
      await both('PFCOUNT', 'h');
      await both('PFMERGE', 'm', 'h');
      await both('PFDEBUG', 'DECODE', 'h');
      await both('PFDEBUG', 'TODENSE', 'h');
      await sameValues(['h', 'm']);
    }),
    { numRuns: 150 },
  );
});

/** Sparse opcodes: ZERO of 1-64, XZERO of 1-16384, VAL of value 1-32 and length 1-4. */
const zeros = (n) => String.fromCharCode(n - 1);
const xzeros = (n) => String.fromCharCode(0x40 | ((n - 1) >> 8), (n - 1) & 0xff);
const val = (value, n) => String.fromCharCode(0x80 | ((value - 1) << 2) | (n - 1));
const SPARSE_HEADER = 'HYLL\x01\x00\x00\x00' + '\x00'.repeat(7) + '\x80';

/** Every command that validates a sparse value, each on a fresh copy of `body`; replies and both keys' bytes as Redis's. */
async function sparseBodyAnswersAsRedis(body) {
  for (const args of [['PFCOUNT', 'h'], ['PFCOUNT', 'h', 'missing'], ['PFMERGE', 'm', 'h'], ['PFDEBUG', 'TODENSE', 'h'], ['PFDEBUG', 'GETREG', 'h'], ['PFDEBUG', 'DECODE', 'h'], ['PFADD', 'h', 'a', 'b', 'c', 'd']]) {
    await both('FLUSHALL');
    await both('SET', 'h', SPARSE_HEADER + body);
    await both(...args);
    await sameValues(['h', 'm']);
  }
}

test('sparse opcodes that pass the last register, stop short of it or run on after it are INVALIDOBJ as in Redis', { skip: !differential && 'needs redis-server' }, async () => {
  await fresh();
  for (const body of [
    xzeros(16384) + val(1, 1), // a VAL after exactly 16384 registers
    xzeros(16383) + val(1, 1) + val(2, 1),
    xzeros(16384) + zeros(1),
    xzeros(16384) + xzeros(5),
    xzeros(16383) + val(1, 2), // a VAL across the end
    xzeros(16382) + val(1, 4) + zeros(10),
    xzeros(16383) + zeros(2), // zeros across the end
    xzeros(16000) + xzeros(1000) + val(3, 1),
    xzeros(16000), // short
    xzeros(16384).slice(0, 1), // an XZERO cut short by the end of the value
    xzeros(16000) + zeros(64).repeat(6) + xzeros(16384).slice(0, 1),
    xzeros(16384).repeat(5),
    '',
    val(1, 1) + xzeros(16383), // valid
  ]) {
    await sparseBodyAnswersAsRedis(body);
  }
});

test('random sparse opcode sequences: same validation, replies and bytes as Redis', { skip: !differential && 'needs redis-server' }, async () => {
  await fresh();
  const opcode = fc.oneof(
    fc.integer({ min: 1, max: 64 }).map(zeros),
    fc.integer({ min: 1, max: 16384 }).map(xzeros),
    fc.tuple(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 4 })).map(([v, n]) => val(v, n)),
  );
  // Mostly a valid prefix filled up to near the end, so that the last opcodes decide.
  const body = fc.tuple(fc.integer({ min: 0, max: 16384 }), fc.array(opcode, { maxLength: 6 }), fc.boolean()).map(([lead, ops, cut]) => {
    const text = (lead > 0 ? xzeros(lead) : '') + ops.join('');
    return cut ? text.slice(0, -1) : text;
  });
  await fc.assert(fc.asyncProperty(body, sparseBodyAnswersAsRedis), { numRuns: 60 });
});

test('crafted registers: the estimate of a dense value whose registers are all 63 (infinite) is what Redis replies', async () => {
  await fresh();
  await both('PFADD', 'h', 'a');
  await both('PFDEBUG', 'TODENSE', 'h');
  await both('SETRANGE', 'h', 16, '\xff'.repeat(12288));
  await both('PFCOUNT', 'h');
  await both('GET', 'h');
  await both('SETRANGE', 'h', 16, '\x33'.repeat(12288));
  await both('SETRANGE', 'h', 15, '\x80');
  await both('PFCOUNT', 'h');
  await both('PFCOUNT', 'h', 'h');
  // A cached estimate is returned as stored, whatever the registers say.
  await both('SETRANGE', 'h', 8, '\x01\x02\x03\x04\x05\x06\x07\x08');
  await both('PFCOUNT', 'h');
  await both('SETRANGE', 'h', 8, '\xff\xff\xff\xff\xff\xff\xff\x7f');
  await both('PFCOUNT', 'h');
});

test('DUMP from redis-server RESTOREs on ours and back: same bytes, same estimates', { skip: !differential && 'needs redis-server' }, async () => {
  const ioMine = new Redis({ port: mine.port });
  const ioRedis = new Redis({ port: redisPort });
  try {
    for (const [from, to] of [[ioRedis, ioMine], [ioMine, ioRedis]]) {
      await fresh();
      await from.pfadd('sparse', ...bulk('s', 100));
      await from.pfadd('dense', ...bulk('d', 5000));
      await from.pfcount('dense');
      for (const key of ['sparse', 'dense']) {
        const dumped = await from.dumpBuffer(key);
        await to.restore(`${key}:copy`, 0, dumped);
        assert.deepEqual(await to.getBuffer(`${key}:copy`), await from.getBuffer(key));
        assert.equal(await to.pfcount(`${key}:copy`), await from.pfcount(key));
      }
    }
  } finally {
    ioMine.disconnect();
    ioRedis.disconnect();
  }
});

test('HyperLogLogs in a dump.rdb saved by either server load on the other: same bytes, same estimates', { skip: !differential && 'needs redis-server' }, async (t) => {
  const keys = ['sparse', 'dense', 'cached', 'empty', 'merged'];
  for (const redisFirst of [true, false]) {
    const dir = tempDir();
    const first = await startInDir(t, dir, ['--save', ''], { redis: redisFirst });
    const source = await replyConnection(first.port);
    t.after(() => source.close());
    await source.command('PFADD', 'sparse', ...bulk('s', 100));
    await source.command('PFADD', 'dense', ...bulk('d', 5000));
    await source.command('PFADD', 'cached', ...bulk('c', 300));
    await source.command('PFCOUNT', 'cached');
    await source.command('PFADD', 'empty');
    await source.command('PFMERGE', 'merged', 'sparse', 'dense');
    const values = [];
    for (const key of keys) values.push(await source.command('GET', key));
    await source.command('SAVE');
    // The estimates and edits that follow the save, on the saving server and then on the loading one.
    const followUps = [['PFCOUNT', 'cached'], ['PFCOUNT', 'sparse'], ['PFCOUNT', 'dense', 'sparse'], ['PFADD', 'sparse', 'new'], ['GET', 'sparse'], ['PFDEBUG', 'ENCODING', 'merged']];
    const replies = [];
    for (const args of followUps) replies.push(await source.command(...args));
    first.proc.kill('SIGKILL');
    const second = await startInDir(t, dir, ['--save', ''], { redis: !redisFirst });
    const loaded = await replyConnection(second.port);
    t.after(() => loaded.close());
    const what = redisFirst ? 'ours loads Redis\'s dump.rdb' : 'Redis loads ours';
    for (let i = 0; i < keys.length; i++) assert.equal(await loaded.command('GET', keys[i]), values[i], `${keys[i]}: ${what}`);
    for (let i = 0; i < followUps.length; i++) assert.equal(await loaded.command(...followUps[i]), replies[i], `${followUps[i].join(' ')}: ${what}`);
  }
});

test('PFCOUNT that caches its estimate is a change (WATCH), one that reads the cache is not', async () => {
  const clients = [new Redis({ port: mine.port }), ...(b ? [new Redis({ port: redisPort })] : [])];
  try {
    for (const c of clients) {
      const other = c.duplicate();
      await c.flushall();
      await c.pfadd('h', 'a', 'b');
      await c.watch('h');
      await other.pfcount('h');
      assert.equal(await c.multi().get('x').exec(), null);
      await c.watch('h');
      await other.pfcount('h');
      assert.deepEqual(await c.multi().get('x').exec(), [[null, null]]);
      other.disconnect();
    }
  } finally {
    clients.forEach((c) => c.disconnect());
  }
});

test('the append-only file records PFCOUNT when it cached an estimate', async (t) => {
  const dir = tempDir();
  const server = await startInDir(t, dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
  await server.client.pfadd('h', 'a', 'b', 'c');
  await server.client.pfcount('h');
  await server.client.pfcount('h');
  await server.client.pfcount('missing');
  const aofDir = join(dir, 'appendonlydir');
  const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'));
  const text = readFileSync(join(aofDir, incr), 'latin1');
  assert.equal(text.match(/PFCOUNT/gi)?.length, 1, text);
  assert.match(text, /PFADD/i);
});

test('keyspace events: pfadd for PFADD that changed something and for every PFMERGE', async (t) => {
  const run = async (port) => {
    const c = new Redis({ port });
    t.after(() => c.disconnect());
    await c.flushall();
    return keyEvents(t, port, 'KEA', async () => {
      await c.pfadd('h', 'a');
      await c.pfadd('h', 'a');
      await c.pfcount('h');
      await c.pfmerge('m', 'h');
      await c.pfmerge('m');
    });
  };
  const seen = await run(mine.port);
  assert.ok(seen.includes('E 0 pfadd h'), seen.join('\n'));
  if (b) assert.deepEqual(seen, await run(redisPort));
});

test('COMMAND INFO of the HyperLogLog commands is Redis\'s', { skip: !differential && 'needs redis-server' }, async () => {
  for (const name of ['pfadd', 'pfcount', 'pfmerge', 'pfdebug', 'pfselftest']) await both('COMMAND', 'INFO', name);
  await both('COMMAND', 'GETKEYS', 'PFMERGE', 'd', 's1', 's2');
  await both('COMMAND', 'GETKEYS', 'PFDEBUG', 'GETREG', 'k');
  await both('PFADD');
  await both('PFDEBUG', 'GETREG');
});

test('PFSELFTEST passes', async () => {
  assert.equal(await a.command('PFSELFTEST'), '+OK\r\n');
});
