// GEO commands compared byte for byte (raw RESP) with a real redis-server
// 7.0.15 started here: random GEOADD (NX/XX/CH, the coordinate limits),
// GEODIST in every unit, GEOHASH, GEOPOS, GEOSEARCH / GEOSEARCHSTORE and
// GEORADIUS / GEORADIUSBYMEMBER (and their _RO forms) with every option in
// random order, over clusters of points near the poles, the antimeridian
// and elsewhere; the stored sets after each command; RESP3 coordinates;
// the error replies; geo sets moving between the servers by DUMP / RESTORE
// and by dump.rdb, both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fc from 'fast-check';
import { freePort, replyConnection, startInDir, startServer, tempDirs, waitForPort } from './helpers.mjs';

const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const differential = haveRedis && process.env.TEST_TARGET !== 'redis';
const skip = !differential && 'needs redis-server';
const tempDir = tempDirs('noderedis-geo-');

let mine;
let redisProc;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (differential) {
    const port = await freePort();
    redisProc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', tempDir()], { stdio: 'ignore' });
    await waitForPort(port, redisProc);
    b = await replyConnection(port);
  }
});

after(async () => {
  a?.close();
  b?.close();
  redisProc?.kill('SIGKILL');
  await mine?.stop();
});

const show = (args) => args.map((x) => JSON.stringify(x)).join(' ');

/** Runs a command on both servers; the replies must be the same bytes. */
async function both(...args) {
  const reply = await a.command(...args);
  assert.equal(reply, await b.command(...args), show(args));
  return reply;
}

const KEYS = ['g', 'dst', 'dst2', 'd'];

/** Members and scores (as printed) of a RESP2 `ZRANGE ... WITHSCORES` reply. */
function pairs(reply) {
  const lines = reply.split('\r\n').filter((_, i) => i > 0 && i % 2 === 0);
  return { members: lines.filter((_, i) => i % 2 === 0), scores: lines.filter((_, i) => i % 2 === 1) };
}

/**
 * Both servers hold the same members and scores at every key a test writes.
 * Distances stored by STOREDIST may differ in their last bits (see the todo
 * test at the end): a score that is not an integer (a geohash) may be a few
 * units in the last place away from Redis's.
 */
async function sameSets(after) {
  for (const key of KEYS) {
    const args = ['ZRANGE', key, '0', '-1', 'WITHSCORES'];
    const reply = await a.command(...args);
    const theirs = await b.command(...args);
    if (reply === theirs) continue;
    const what = `${key} after ${show(after)}`;
    const [x, y] = [pairs(reply), pairs(theirs)];
    assert.deepEqual(x.members, y.members, what);
    x.scores.forEach((text, i) => {
      if (text === y.scores[i]) return;
      const [mine, redis] = [Number(text), Number(y.scores[i])];
      assert.ok(!Number.isInteger(mine) && Math.abs(mine - redis) <= 4 * Number.EPSILON * Math.abs(redis), `${what}: score ${text}, Redis ${y.scores[i]}`);
    });
  }
}

// ---------------------------------------------------------------- generators

const LAT_MAX = 85.05112878;
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** Where clusters sit: the poles' limits, both sides of the antimeridian, the origin, Sicily, anywhere. */
const centre = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      [0, 0], [180, 0], [-180, 0], [179.9999, LAT_MAX], [-180, -LAT_MAX], [0, LAT_MAX], [0, -LAT_MAX],
      [179.95, 84.9], [-179.95, -84.9], [-179.999, 70], [179.5, -66.5], [13.361389, 38.115556], [-122.27652, 37.805186],
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -LAT_MAX, max: LAT_MAX, noNaN: true })) },
);

/** A coordinate as a client might write it: shortest form, fixed decimals, or an exponent. */
const spelled = (x, how) => (how === 0 ? String(x) : how < 9 ? x.toFixed(how) : x.toExponential(how - 9));
const spelling = fc.integer({ min: 0, max: 12 });

/** A point near `c`, `spread` degrees at most away, inside the limits (toFixed may round onto a limit, never past it). */
const near = (c) =>
  fc
    .tuple(fc.constantFrom(1e-6, 1e-4, 0.01, 0.5, 3, 30), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), spelling)
    .map(([spread, dx, dy, how]) => [spelled(clamp(c[0] + dx * spread, -180, 180), how), spelled(clamp(c[1] + dy * spread, -LAT_MAX, LAT_MAX), how)])
    .map(([lon, lat]) => [Math.abs(Number(lon)) > 180 ? String(Math.sign(Number(lon)) * 180) : lon, Math.abs(Number(lat)) > LAT_MAX ? String(Math.sign(Number(lat)) * LAT_MAX) : lat]);

/** Now and then a pair outside the limits or not a number. */
const badPoint = fc.constantFrom(['180.0000001', '0'], ['-180.5', '10'], ['0', '85.05112879'], ['0', '-90'], ['x', '1'], ['1', ''], ['inf', '0'], ['nan', '0']);

/** Mostly members of the scene's cluster (p0...p20), sometimes new or odd names. */
const member = fc.oneof({ weight: 6, arbitrary: fc.nat(15).map((i) => `p${i}`) }, fc.constantFrom('m0', 'm1', '', 'a b', '\x00\xff'));
const unit = fc.constantFrom('m', 'km', 'mi', 'ft', 'M', 'Km', 'MI', 'FT');
const distanceArg = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('0', '1', '10', '100', '1000', '5000', '20000', '0.5', '1e3') },
  { weight: 10, arbitrary: fc.double({ min: 0, max: 3000, noNaN: true }).map((x) => String(x)) },
  { weight: 1, arbitrary: fc.constantFrom('40000', '1e7') },
  { weight: 1, arbitrary: fc.constantFrom('-1', 'x', '') },
);
const count = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 12 }).map(String) }, fc.constantFrom('0', '-1', 'x'));

/** GEOSEARCH options other than FROM/BY, each a group of words, in any order. */
const resultOptions = (withs) =>
  fc
    .record({
      order: fc.constantFrom([], [], ['ASC'], ['DESC'], ['asc']),
      count: fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 8, arbitrary: count.map((n) => ['COUNT', n]) }, { weight: 8, arbitrary: count.map((n) => ['COUNT', n, 'ANY']) }, fc.constant(['ANY'])),
      withs: withs ? fc.subarray(['WITHCOORD', 'WITHDIST', 'WITHHASH']) : fc.constant([]),
    })
    .chain(({ order, count: c, withs: w }) => fc.shuffledSubarray([order, c, ...w.map((x) => [x])], { minLength: 2 + w.length }))
    .map((groups) => groups.flat());

const from = (c) =>
  fc.oneof(
    member.map((m) => ['FROMMEMBER', m]),
    near(c).map(([lon, lat]) => ['FROMLONLAT', lon, lat]),
  );
const by = fc.oneof(
  fc.tuple(distanceArg, unit).map(([r, u]) => ['BYRADIUS', r, u]),
  fc.tuple(distanceArg, distanceArg, unit).map(([w, h, u]) => ['BYBOX', w, h, u]),
);

/** GEORADIUS's STORE / STOREDIST options (both may come; the last wins). */
const store = fc.constantFrom([], [], [], ['STORE', 'dst'], ['STOREDIST', 'dst'], ['STORE', 'dst', 'STOREDIST', 'dst2'], ['STOREDIST', 'dst2', 'STORE', 'dst']);

function commandsNear(c) {
  const addFlags = fc.constantFrom([], [], ['NX'], ['XX'], ['CH'], ['XX', 'CH'], ['CH', 'nx'], ['NX', 'XX']);
  const triple = fc.oneof({ weight: 40, arbitrary: near(c) }, badPoint).chain((p) => member.map((m) => [...p, m]));
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(addFlags, fc.array(triple, { minLength: 1, maxLength: 5 })).map(([f, ts]) => ['GEOADD', 'g', ...f, ...ts.flat()]) },
    { weight: 2, arbitrary: fc.tuple(member, member, fc.option(unit)).map(([m1, m2, u]) => ['GEODIST', 'g', m1, m2, ...(u === null ? [] : [u])]) },
    { weight: 1, arbitrary: fc.array(member, { maxLength: 4 }).map((ms) => ['GEOHASH', 'g', ...ms]) },
    { weight: 1, arbitrary: fc.array(member, { maxLength: 4 }).map((ms) => ['GEOPOS', 'g', ...ms]) },
    {
      weight: 5,
      arbitrary: fc.tuple(from(c), by, resultOptions(true)).chain(([f, s, o]) => fc.shuffledSubarray([f, s, o], { minLength: 3 })).map((gs) => ['GEOSEARCH', 'g', ...gs.flat()]),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(from(c), by, resultOptions(false), fc.boolean())
        .chain(([f, s, o, dist]) => fc.shuffledSubarray([f, s, o, dist ? ['STOREDIST'] : []], { minLength: 4 }))
        .map((gs) => ['GEOSEARCHSTORE', 'dst', 'g', ...gs.flat()]),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('GEORADIUS', 'GEORADIUS_RO'), near(c), distanceArg, unit, resultOptions(true), store)
        .map(([name, p, r, u, o, s]) => [name, 'g', ...p, r, u, ...o, ...(name === 'GEORADIUS' ? s : [])]),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO'), member, distanceArg, unit, resultOptions(true), store)
        .map(([name, m, r, u, o, s]) => [name, 'g', m, r, u, ...o, ...(name === 'GEORADIUSBYMEMBER' ? s : [])]),
    },
    { weight: 1, arbitrary: member.map((m) => ['ZREM', 'g', m]) },
  );
}

/** A cluster of points around a centre, then commands that search around it. */
const scene = centre.chain((c) =>
  fc.record({
    points: fc.array(near(c).chain((p) => fc.nat(20).map((i) => [...p, `p${i}`])), { minLength: 1, maxLength: 40 }),
    commands: fc.array(commandsNear(c), { minLength: 1, maxLength: 10 }),
  }),
);

// ---------------------------------------------------------------- tests

test('random GEO commands around the poles, the antimeridian and elsewhere reply and store what Redis does', { skip }, async () => {
  await fc.assert(
    fc.asyncProperty(scene, async ({ points, commands }) => {
      await both('FLUSHALL');
      await both('GEOADD', 'g', ...points.flat());
      for (const args of commands) {
        await both(...args);
        await sameSets(args);
      }
    }),
    { numRuns: 250 },
  );
});

test('dense clusters: searches of every size over hundreds of points, COUNT ANY stopping mid-cell', { skip }, async () => {
  await fc.assert(
    fc.asyncProperty(
      centre,
      fc.integer({ min: 0, max: 1e6 }),
      fc.array(fc.tuple(fc.constantFrom('1', '50', '300', '2000', '9000', '0.01'), fc.constantFrom('km', 'm'), fc.integer({ min: 1, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
      async (c, seed, searches) => {
        await both('FLUSHALL');
        // A deterministic spray of 300 points in a few degrees around the centre.
        let s = seed;
        const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
        const args = [];
        for (let i = 0; i < 300; i++) {
          const lon = clamp(c[0] + next() * 4, -180, 180);
          const lat = clamp(c[1] + next() * 2, -LAT_MAX, LAT_MAX);
          args.push(String(lon), String(lat), `p${i}`);
        }
        await both('GEOADD', 'g', ...args);
        for (const [r, u, n, any] of searches) {
          const limit = ['COUNT', String(n), ...(any ? ['ANY'] : [])];
          await both('GEOSEARCH', 'g', 'FROMLONLAT', String(c[0]), String(c[1]), 'BYRADIUS', r, u, ...limit, 'WITHDIST');
          await both('GEOSEARCH', 'g', 'FROMMEMBER', 'p7', 'BYBOX', r, r, u, ...limit);
          await both('GEOSEARCH', 'g', 'FROMMEMBER', 'p3', 'BYRADIUS', r, u, 'DESC', 'WITHHASH');
          await both('GEORADIUS', 'g', String(c[0]), String(c[1]), r, u, ...limit, 'STOREDIST', 'dst');
          await both('GEOSEARCHSTORE', 'dst2', 'g', 'FROMLONLAT', String(c[0]), String(c[1]), 'BYBOX', r, String(Number(r) * 2), u, ...limit);
          await sameSets(['searches', r, u]);
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('GEOADD NX / XX / CH, GEOPOS / GEOHASH / GEODIST at the limits of the coordinates', { skip }, async () => {
  await both('FLUSHALL');
  const limits = [
    ['180', '85.05112878', 'ne'], ['-180', '-85.05112878', 'sw'], ['180', '-85.05112878', 'se'], ['-180', '85.05112878', 'nw'],
    ['0', '0', 'zero'], ['-0', '-0', 'negzero'], ['179.99999999', '0.00000001', 'east'], ['-179.99999999', '-0.00000001', 'west'],
    ['13.361389', '38.115556', 'Palermo'], ['15.087269', '37.502669', 'Catania'],
  ];
  await both('GEOADD', 'g', ...limits.flat());
  for (const flags of [['NX'], ['XX'], ['CH'], ['XX', 'CH'], ['NX', 'CH'], ['ch', 'xx'], ['NX', 'XX'], ['CH', 'CH']]) {
    await both('GEOADD', 'g', ...flags, '1', '1', 'zero', '2', '2', 'new');
    await sameSets(['GEOADD', ...flags]);
  }
  const names = limits.map((l) => l[2]);
  await both('GEOPOS', 'g', ...names, 'missing');
  await both('GEOHASH', 'g', ...names, 'missing');
  for (const u of ['m', 'km', 'mi', 'ft', 'KM']) {
    for (const [x, y] of [['ne', 'sw'], ['ne', 'nw'], ['east', 'west'], ['Palermo', 'Catania'], ['zero', 'negzero'], ['zero', 'zero'], ['ne', 'missing']]) {
      await both('GEODIST', 'g', x, y, u);
    }
  }
  await both('GEODIST', 'g', 'Palermo', 'Catania');
  await both('GEOPOS', 'missing', 'a');
  await both('GEOHASH', 'missing', 'a', 'b');
  await both('GEOPOS', 'g');
  await both('GEOHASH', 'g');
  await both('GEODIST', 'missing', 'a', 'b');
  // Scores that no GEOADD makes: GEOPOS and GEOHASH decode them all the same.
  await both('ZADD', 'g', '-1', 'neg', '4503599627370496', 'top', '1e300', 'huge', '0.5', 'half', 'inf', 'inf');
  await both('GEOPOS', 'g', 'neg', 'top', 'huge', 'half', 'inf');
  await both('GEOHASH', 'g', 'neg', 'top', 'huge', 'half', 'inf');
  await both('GEODIST', 'g', 'neg', 'top');
  await both('GEOSEARCH', 'g', 'FROMMEMBER', 'top', 'BYRADIUS', '100', 'km', 'WITHCOORD', 'WITHHASH');
  await both('GEOSEARCH', 'g', 'FROMMEMBER', 'neg', 'BYBOX', '30000', '30000', 'km');
});

test('searches that cover the whole Earth, a zero radius, a box straddling the antimeridian', { skip }, async () => {
  await both('FLUSHALL');
  const args = [];
  // Latitudes not mirrored about the equator: mirrored points are equally far from a centre on it (see the todo test at the end).
  for (let lon = -180; lon <= 180; lon += 22.5) for (let lat = -84; lat <= 85; lat += 17) args.push(String(lon), String(lat), `${lon},${lat}`);
  await both('GEOADD', 'g', ...args);
  for (const [r, u] of [['0', 'm'], ['20000', 'km'], ['40000', 'km'], ['1e9', 'm'], ['12500', 'mi'], ['3000', 'km']]) {
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', r, u, 'ASC', 'WITHDIST');
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '180', '85.05112878', 'BYRADIUS', r, u, 'DESC', 'COUNT', '5');
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '-180', '0', 'BYBOX', r, r, u, 'ASC', 'WITHCOORD');
    await both('GEOSEARCH', 'g', 'FROMMEMBER', '180,84', 'BYBOX', r, '100', u, 'COUNT', '3', 'ANY');
    await both('GEORADIUS', 'g', '179.9', '-85', r, u, 'WITHHASH', 'COUNT', '4');
  }
  await both('GEOADD', 'g', '179.999', '10', 'e1', '-179.999', '10', 'w1', '179.5', '10.2', 'e2', '-179.5', '9.8', 'w2');
  await both('GEOSEARCH', 'g', 'FROMLONLAT', '180', '10', 'BYBOX', '200', '100', 'km', 'ASC', 'WITHDIST', 'WITHCOORD');
  await both('GEOSEARCH', 'g', 'FROMMEMBER', 'w1', 'BYRADIUS', '100', 'km', 'ASC', 'WITHDIST');
  await both('GEOSEARCH', 'g', 'FROMMEMBER', 'e1', 'BYRADIUS', '0', 'km', 'WITHDIST');
});

test('equal distances keep the scan order through ASC and DESC sorts of over a hundred points; keywords in any case', { skip }, async () => {
  await both('FLUSHALL');
  // Members at one position have the same score, hence exactly the same distance whatever the libm.
  const args = [];
  const positions = [['13.5', '38.5'], ['13.52', '38.5'], ['13.48', '38.51'], ['13.5', '38.47'], ['13.56', '38.53'], ['13.44', '38.44']];
  for (let i = 0; i < 130; i++) args.push(...positions[(i * 7) % positions.length], `m${(i * 37) % 130}`);
  await both('GEOADD', 'g', ...args);
  for (const n of ['2000', '3000', '5000', '10000']) {
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '13.5', '38.5', 'BYRADIUS', n, 'm', 'ASC', 'WITHDIST');
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '13.501', '38.499', 'BYBOX', n, n, 'm', 'DESC', 'WITHDIST', 'WITHHASH');
    await both('GEOSEARCH', 'g', 'FROMMEMBER', 'm5', 'byradius', n, 'M', 'Desc', 'count', '30', 'WithDist');
    await both('GEORADIUS', 'g', '13.5', '38.5', n, 'Km', 'asc', 'COUNT', '100', 'withcoord');
    await both('GEORADIUS', 'g', '13.52', '38.5', n, 'mI', 'DESC', 'STOREDIST', 'dst');
    await sameSets(['searches', n]);
  }
});

test('GEOSEARCHSTORE and GEORADIUS STORE / STOREDIST: scores, an empty result deletes, the destination\'s type', { skip }, async () => {
  await both('FLUSHALL');
  await both('GEOADD', 'g', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge');
  await both('SET', 'dst', 'string');
  await both('GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC');
  await sameSets(['store 1']);
  await both('GEOSEARCHSTORE', 'dst2', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST', 'COUNT', '1');
  await sameSets(['store 2']);
  await both('GEORADIUS', 'g', '15', '37', '200', 'km', 'STOREDIST', 'dst2');
  await both('GEORADIUSBYMEMBER', 'g', 'Palermo', '100', 'mi', 'STORE', 'dst', 'DESC');
  await sameSets(['store 3']);
  await both('GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '-100', '0', 'BYRADIUS', '1', 'km');
  await both('GEORADIUS', 'g', '-100', '0', '1', 'km', 'STORE', 'dst2');
  await both('GEOSEARCHSTORE', 'dst', 'missing', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km');
  await both('GEORADIUS', 'missing', '0', '0', '1', 'km', 'STORE', 'dst2');
  await both('EXISTS', 'dst', 'dst2');
  await both('GEOSEARCHSTORE', 'g', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '100', 'km', 'STOREDIST');
  await sameSets(['store onto the source']);
  await both('TYPE', 'g');
});

test('RESP3: coordinates are doubles, distances stay strings', { skip }, async () => {
  await Promise.all([a.command('HELLO', '3'), b.command('HELLO', '3')]);
  try {
    await both('FLUSHALL');
    await both('GEOADD', 'g', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '-180', '85.05112878', 'corner');
    await both('GEOPOS', 'g', 'Palermo', 'corner', 'missing');
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH');
    await both('GEORADIUS_RO', 'g', '15', '37', '200', 'km', 'WITHCOORD');
    await both('GEODIST', 'g', 'Palermo', 'Catania', 'km');
    await both('GEOHASH', 'g', 'Palermo', 'missing');
    await both('GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km');
  } finally {
    await Promise.all([a.command('HELLO', '2'), b.command('HELLO', '2')]);
  }
});

test('error replies: arguments, limits, options, types, in Redis\'s order of checks', { skip }, async () => {
  await both('FLUSHALL');
  await both('GEOADD', 'g', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
  await both('SET', 's', 'x');
  const lines = [
    ['GEOADD', 'g'], ['GEOADD', 'g', '1', '2'], ['GEOADD', 'g', '1', '2', 'a', '3'], ['GEOADD', 'g', 'NX', 'XX', '1', '2', 'a'],
    ['GEOADD', 'g', 'NX', '1', '2'], ['GEOADD', 'g', 'GT', '1', '2', 'a'], ['GEOADD', 'g', '181', '0', 'a'], ['GEOADD', 'g', '0', '86', 'a'],
    ['GEOADD', 'g', '1', '1', 'ok', '200', '0', 'bad'], ['GEOADD', 'g', 'x', '0', 'a'], ['GEOADD', 'g', '0', 'nan', 'a'], ['GEOADD', 's', '1', '1', 'a'],
    ['GEOADD', 's', '500', '1', 'a'], ['GEOADD', 'g', '1e400', '0', 'a'],
    ['GEODIST', 'g', 'Palermo'], ['GEODIST', 'g', 'Palermo', 'Catania', 'yd'], ['GEODIST', 'g', 'Palermo', 'Catania', 'km', 'x'],
    ['GEODIST', 's', 'a', 'b'], ['GEODIST', 'missing', 'a', 'b', 'parsec'], ['GEOPOS', 's', 'a'], ['GEOHASH', 's', 'a'], ['GEOPOS'], ['GEOHASH'],
    ['GEOSEARCH', 'g', 'BYRADIUS', '10', 'km'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37'], ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'], ['GEOSEARCH', 'g', 'FROMMEMBER', 'nobody', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'missing', 'FROMMEMBER', 'nobody', 'BYRADIUS', '1', 'km'], ['GEOSEARCH', 'g', 'FROMLONLAT', '200', '37', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '-1', 'km'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', 'x', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'yd'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '-1', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', 'x', 'km'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', 'x', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'ANY'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT', 'x'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'x'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STOREDIST'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'NOPE'], ['GEOSEARCH', 's', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '15', 'BYRADIUS', '1', 'km'], ['GEOSEARCH', 'g', 'FROMMEMBER'], ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'WITHDIST'], ['GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'WITHCOORD', 'STOREDIST'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'x'], ['GEOSEARCHSTORE', 'd', 's', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
    ['GEORADIUS', 'g', '15', '37', '200', 'km', 'WITHDIST', 'STORE', 'd'], ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE'], ['GEORADIUS', 'g', '15', '37', '200'],
    ['GEORADIUS', 'g', '15', '37', '-200', 'km'], ['GEORADIUS', 'g', '15', '37', '200', 'km', 'FROMMEMBER', 'x'], ['GEORADIUS', 'g', '15', '37', '200', 'km', 'BYBOX', '1', '1', 'km'],
    ['GEORADIUS', 'g', '190', '37', '200', 'km'], ['GEORADIUS', 's', '15', '37', '200', 'km'], ['GEORADIUS', 'g', '15', '37', '200', 'km', 'ANY', 'COUNT', '1'],
    ['GEORADIUS_RO', 'g', '15', '37', '200', 'km', 'STORE', 'd'], ['GEORADIUS_RO', 'g', '15', '37', '200', 'km', 'STOREDIST', 'd'],
    ['GEORADIUSBYMEMBER', 'g', 'nobody', '1', 'km'], ['GEORADIUSBYMEMBER', 'missing', 'nobody', '1', 'km'], ['GEORADIUSBYMEMBER', 'g', 'Palermo', '1', 'yd'],
    ['GEORADIUSBYMEMBER', 'missing', 'nobody', '1', 'yd'], ['GEORADIUSBYMEMBER', 'missing', 'x', '1', 'km', 'WITHDIST', 'STORE', 'd'],
    ['GEORADIUSBYMEMBER_RO', 'g', 'Palermo', '1', 'km', 'STORE', 'd'], ['GEORADIUSBYMEMBER', 's', 'x', '1', 'km'],
    ['GEORADIUS', 'g', '15', '37', '200', 'km', 'COUNT', '2', 'ANY', 'DESC', 'WITHDIST', 'STOREDIST', 'd'],
  ];
  for (const args of lines) {
    await both(...args);
    await sameSets(args);
  }
  await both('EXISTS', 'd');
});

// ---------------------------------------------------------------- interop

/** Geo sets of both encodings: a listpack of a few points (the limits included) and a skiplist of 500. */
async function fillGeo(conn) {
  await conn.command('GEOADD', 'small', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '0', '0', 'zero', '13.361389', '38.115556', 'Palermo');
  const args = [];
  for (let i = 0; i < 500; i++) args.push(String(-180 + ((i * 7.31) % 360)), String(-85 + ((i * 3.17) % 170)), `p${i}`);
  await conn.command('GEOADD', 'big', ...args);
}

const GEO_KEYS = ['small', 'big'];

/** What both copies of the sets must answer alike: members, scores, positions, a search, the encoding. */
const geoChecks = (key) => [
  ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
  ['GEOPOS', key, 'ne', 'sw', 'Palermo', 'p1', 'p499'],
  ['GEOHASH', key, 'ne', 'zero', 'p2'],
  ['GEOSEARCH', key, 'FROMLONLAT', '10', '10', 'BYRADIUS', '3000', 'km', 'ASC', 'WITHCOORD', 'WITHHASH'],
  ['OBJECT', 'ENCODING', key],
];

/** The bulk string of a RESP2 bulk reply. */
const bulkOf = (reply) => reply.slice(reply.indexOf('\r\n') + 2, -2);

test('geo sets DUMPed by either server RESTORE on the other with the same points', { skip }, async () => {
  for (const [from, to] of [[b, a], [a, b]]) {
    await both('FLUSHALL');
    await fillGeo(from);
    for (const key of GEO_KEYS) {
      const dumped = await from.command('DUMP', key);
      assert.equal(await to.command('RESTORE', `${key}:copy`, '0', bulkOf(dumped)), '+OK\r\n');
      const [checks, copies] = [geoChecks(key), geoChecks(`${key}:copy`)];
      for (let i = 0; i < checks.length; i++) assert.equal(await to.command(...copies[i]), await from.command(...checks[i]), show(checks[i]));
      // Restored back where it came from, the payload is the same bytes.
      assert.equal(await from.command('RESTORE', `${key}:back`, '0', bulkOf(await to.command('DUMP', `${key}:copy`))), '+OK\r\n');
      assert.equal(await from.command('DUMP', `${key}:back`), dumped);
    }
  }
});

test('geo sets in a dump.rdb saved by either server load on the other', { skip }, async (t) => {
  for (const redisFirst of [true, false]) {
    const dir = tempDir();
    const first = await startInDir(t, dir, ['--save', ''], { redis: redisFirst });
    const source = await replyConnection(first.port);
    t.after(() => source.close());
    await fillGeo(source);
    const expected = [];
    for (const key of GEO_KEYS) for (const args of geoChecks(key)) expected.push(await source.command(...args));
    await source.command('SAVE');
    first.proc.kill('SIGKILL');
    const second = await startInDir(t, dir, ['--save', ''], { redis: !redisFirst });
    const loaded = await replyConnection(second.port);
    t.after(() => loaded.close());
    const seen = [];
    for (const key of GEO_KEYS) for (const args of geoChecks(key)) seen.push(await loaded.command(...args));
    assert.deepEqual(seen, expected, redisFirst ? 'ours loads Redis\'s dump.rdb' : 'Redis loads ours');
  }
});

test('distances agree with Redis to the last bit: STOREDIST scores, ties between mirrored points', {
  skip,
  // Known gap: V8's Math.sin/cos/asin (fdlibm) and glibc's libm round differently in 3-8% of calls (and glibc is
  // not correctly rounded either), so a haversine distance differs in its last bits about one time in five. Replies
  // print distances with 4 decimals, where that shows only at a rounding boundary; STOREDIST stores the double itself.
  todo: 'distances are computed with V8\'s libm, not glibc\'s',
}, async () => {
  await both('FLUSHALL');
  await both('GEOADD', 'g', '112.5', '34', 'north', '112.5', '-34', 'south', '179.5', '-66.5', 'a', '178.68', '-67.1', 'b');
  // North and south are the same distance away in glibc's arithmetic, so they stay in scan order.
  await both('GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '20000', 'km', 'ASC');
  await both('GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '179.5', '-66.5', 'BYRADIUS', '20000', 'km', 'STOREDIST');
  await both('ZRANGE', 'dst', '0', '-1', 'WITHSCORES');
});
