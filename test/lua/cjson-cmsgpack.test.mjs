// cjson and cmsgpack, byte for byte against the libraries of a real
// redis-server 7.0.15: the same Lua values are built on both sides (in
// Redis by a script, here as LuaTables filled in the same order), encoded,
// and the bytes (or the decoded values, or the error messages) compared.
//
// Output whose order follows a table's next() order (cjson objects,
// msgpack maps) is compared exactly when src/scripting/lua/table.ts is the
// PUC-layout table; while it is still the Map-backed placeholder, those
// cases are compared after decoding both and sorting the keys, and the exact
// comparison is reported as skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import Redis from 'ioredis';
import { freePort, waitForPort } from '../helpers.mjs';
import { createCjsonLib, JSON_NULL } from '../../dist/scripting/lua/lib/cjson.js';
import { createCmsgpackLib } from '../../dist/scripting/lua/lib/cmsgpack.js';
import { LuaTable } from '../../dist/scripting/lua/table.js';
import { LuaError, where } from '../../dist/scripting/lua/value.js';

let proc;
let redis;

before(async () => {
  const port = await freePort();
  proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port, proc);
  redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
});

after(async () => {
  redis?.disconnect();
  proc?.kill('SIGKILL');
});

// ---------------------------------------------------------------------------
// Lua values on both sides.
//
// A model is undefined | boolean | number | string | { entries: [[k, v], ...] }
// | { seq: n, v } (n copies of v at 1..n) | { map: n } (keys "k1".."kn" -> i).
// Tables are filled by assignments in entry order, from an empty table, on
// both sides; entry values are never nil.

const PRELUDE = `
local INF, NINF, NAN, NZ = 1/0, -1/0, 0/0, -tonumber('0')
local function T(kv) local t = {} for i = 1, #kv, 2 do t[kv[i]] = kv[i + 1] end return t end
local function S(n, v) local t = {} for i = 1, n do t[i] = v end return t end
local function M(n) local t = {} for i = 1, n do t['k' .. i] = i end return t end
local function NEST(n, k) local t = 1 for i = 1, n do local u = {} u[k] = t t = u end return t end
local function D(v)
  local ty = type(v)
  if ty == 'nil' then return 'N'
  elseif ty == 'boolean' then return v and 'T' or 'F'
  elseif ty == 'number' then return 'n' .. string.format('%.17g', v) .. ';'
  elseif ty == 'string' then return 's' .. #v .. ':' .. v
  elseif ty == 'table' then
    local parts = {'t'}
    for k, x in pairs(v) do parts[#parts + 1] = D(k); parts[#parts + 1] = D(x) end
    parts[#parts + 1] = 'e'
    return table.concat(parts)
  elseif ty == 'userdata' then return 'U'
  else return '?' .. ty end
end
local function DEPTH(v) local d = 0 while type(v) == 'table' do local k, x = next(v) d = d + 1 if x == nil then return d .. ':empty' end v = x end return d .. ':' .. D(v) end
local function DA(...) local parts = {} for i = 1, select('#', ...) do parts[i] = D((select(i, ...))) end return table.concat(parts, '|') end
`;

function luaString(s) {
  if (s.length > 64 && s === s[0].repeat(s.length)) return `string.rep(${luaString(s[0])}, ${s.length})`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 32 ? s[i] : '\\' + String(c).padStart(3, '0');
  }
  return out + '"';
}

function luaNumber(n) {
  if (n !== n) return 'NAN';
  if (n === Infinity) return 'INF';
  if (n === -Infinity) return 'NINF';
  if (n === 0 && 1 / n < 0) return 'NZ';
  const s = Number.isInteger(n) && Math.abs(n) < 2 ** 53 ? String(n) : n.toPrecision(17);
  return `(${s})`;
}

function luaSource(m) {
  switch (typeof m) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return String(m);
    case 'number':
      return luaNumber(m);
    case 'string':
      return luaString(m);
    default:
      if (m === NULL_MODEL) return 'cjson.null';
      if (m.seq !== undefined) return `S(${m.seq}, ${luaSource(m.v)})`;
      if (m.map !== undefined) return `M(${m.map})`;
      if (m.nest !== undefined) return `NEST(${m.nest}, ${luaSource(m.key)})`;
      return `T({${m.entries.map(([k, v]) => `${luaSource(k)}, ${luaSource(v)}`).join(', ')}})`;
  }
}

const NULL_MODEL = { null: true };

function build(m) {
  if (typeof m !== 'object') return m;
  if (m === NULL_MODEL) return JSON_NULL;
  const t = new LuaTable(0, 0);
  if (m.seq !== undefined) {
    const v = build(m.v);
    for (let i = 1; i <= m.seq; i++) t.set(i, v);
  } else if (m.map !== undefined) {
    for (let i = 1; i <= m.map; i++) t.set('k' + i, i);
  } else if (m.nest !== undefined) {
    let inner = 1;
    for (let i = 1; i <= m.nest; i++) {
      const u = new LuaTable(0, 0);
      u.set(m.key, inner);
      inner = u;
    }
    return inner;
  } else {
    for (const [k, v] of m.entries) t.set(build(k), build(v));
  }
  return t;
}

/** Could the encoding depend on next() order: a table of two or more keys that are not exactly 1..n. */
function orderSensitive(m) {
  if (typeof m !== 'object' || m === NULL_MODEL) return false;
  if (m.map !== undefined) return m.map > 1;
  if (m.seq !== undefined) return orderSensitive(m.v);
  if (m.nest !== undefined) return false;
  const keys = new Map();
  for (const [k, v] of m.entries) {
    keys.set(typeof k === 'object' ? k : k, true);
    if (orderSensitive(k) || orderSensitive(v)) return true;
  }
  if (keys.size < 2) return false;
  let i = 1;
  for (const k of keys.keys()) if (k !== i++) return true;
  return false;
}

function hugeIntegerKey(m) {
  if (typeof m !== 'object' || m === NULL_MODEL || m.entries === undefined) return false;
  return m.entries.some(([k, v]) => (typeof k === 'number' && k > 2 ** 31 - 1) || hugeIntegerKey(k) || hugeIntegerKey(v));
}

// Dumps: the tree of a value, as D() prints it in Redis and as built here from our values.

function parseDump(s) {
  let i = 0;
  function value() {
    const c = s[i++];
    switch (c) {
      case 'N':
        return ['nil'];
      case 'T':
        return ['bool', true];
      case 'F':
        return ['bool', false];
      case 'U':
        return ['null'];
      case 'n': {
        const end = s.indexOf(';', i);
        const text = s.slice(i, end);
        i = end + 1;
        const v = text === 'nan' || text === '-nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
        return ['num', v];
      }
      case 's': {
        const colon = s.indexOf(':', i);
        const len = Number(s.slice(i, colon));
        const str = s.slice(colon + 1, colon + 1 + len);
        i = colon + 1 + len;
        return ['str', str];
      }
      case 't': {
        const entries = [];
        while (s[i] !== 'e') entries.push([value(), value()]);
        i++;
        return ['table', entries];
      }
      default:
        throw new Error(`bad dump at ${i - 1}: ${JSON.stringify(s.slice(i - 1, i + 20))}`);
    }
  }
  const out = [];
  if (s.length === 0) return out;
  for (;;) {
    out.push(value());
    if (i >= s.length) return out;
    assert.equal(s[i++], '|');
  }
}

function tree(v) {
  if (v === undefined) return ['nil'];
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'number') return ['num', v];
  if (typeof v === 'string') return ['str', v];
  if (v === JSON_NULL) return ['null'];
  if (v instanceof LuaTable) {
    const entries = [];
    for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) entries.push([tree(e[0]), tree(e[1])]);
    return ['table', entries];
  }
  return ['?' + typeof v];
}

/** DEPTH() of the prelude, for values nested too deep to dump. */
function depthSignature(v) {
  let d = 0;
  while (v instanceof LuaTable && v !== JSON_NULL) {
    const e = v.next(undefined);
    d++;
    if (e === undefined) return `${d}:empty`;
    v = e[1];
  }
  const t = tree(v);
  return `${d}:` + (t[0] === 'num' ? `n${t[1]};` : t[0] === 'str' ? `s${t[1].length}:${t[1]}` : JSON.stringify(t));
}

function sortTree(t) {
  if (t[0] !== 'table') return t;
  const entries = t[1].map(([k, v]) => [sortTree(k), sortTree(v)]);
  entries.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
  return ['table', entries];
}

/**
 * A table keyed by tables: PUC Lua hashes a table key by its address, so
 * the order next() gives such a table is Redis's accident, not Lua's rule;
 * those tables are compared sorted, every other in next() order.
 */
function sortTableKeyed(t) {
  if (t[0] !== 'table') return t;
  const entries = t[1].map(([k, v]) => [sortTableKeyed(k), sortTableKeyed(v)]);
  if (entries.some(([k]) => k[0] === 'table')) entries.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
  return ['table', entries];
}

// Running things.

/** The script's result as a latin1 string, or { error } for an error reply. */
async function evalRedis(body, ...args) {
  try {
    const reply = await redis.callBuffer('EVAL', PRELUDE + body, '0', ...args.map((a) => Buffer.from(a, 'latin1')));
    return Buffer.isBuffer(reply) ? reply.toString('latin1') : reply;
  } catch (e) {
    return { error: e.message };
  }
}

/** Call one of our functions as a script line would: [true, ...results] or [false, message]. */
function ours(f, ...args) {
  where.pos = 'user_script:1: ';
  try {
    return [true, ...f(...args)];
  } catch (e) {
    if (e instanceof LuaError) return [false, e.value];
    throw e;
  } finally {
    where.pos = '';
  }
}

function normalizeMessage(m) {
  return String(m).replace(/^(ER)?user_script:\d+: /, '$1user_script:L: ');
}

/** Redis's side of a protected call: "OK" + the result bytes, or "ER" + message. */
function pcallBody(expr) {
  return `local ok, r = pcall(function() return ${expr} end) if ok then return 'OK' .. r else return 'ER' .. tostring(r) end`;
}

/** Same, the results dumped. */
function pcallDumpBody(expr) {
  return `local function PD(ok, ...) if ok then return 'OK' .. DA(...) else return 'ER' .. tostring((...)) end end return PD(pcall(function() return ${expr} end))`;
}

function oursBytes(f, ...args) {
  const r = ours(f, ...args);
  return r[0] ? 'OK' + r[1] : 'ER' + r[1];
}

function oursDump(f, ...args) {
  const r = ours(f, ...args);
  return r[0] ? { ok: r.slice(1).map(tree) } : { error: normalizeMessage(r[1]) };
}

function redisDump(reply) {
  assert.equal(typeof reply, 'string', `script failed: ${JSON.stringify(reply)}`);
  return reply.startsWith('OK') ? { ok: parseDump(reply.slice(2)) } : { error: normalizeMessage(reply.slice(2)) };
}

function assertSameDump(theirs, mine, exact, label) {
  if (exact || theirs.error !== undefined || mine.error !== undefined) {
    assert.deepStrictEqual(mine, theirs, label);
  } else {
    assert.deepStrictEqual(mine.ok.map(sortTree), theirs.ok.map(sortTree), label);
  }
}

const cjson = createCjsonLib();
const cmsgpack = createCmsgpackLib();
const f = (lib, name) => lib.get(name);

let exactOrder = false;
const skipped = { count: 0 };

test('probe: is LuaTable the PUC-order table yet?', (t) => {
  const probe = new LuaTable(0, 3);
  probe.set('a', 1);
  const b = new LuaTable(3, 0);
  for (let i = 1; i <= 3; i++) b.set(i, i);
  probe.set('b', b);
  probe.set('c', 'x');
  const out = f(cjson, 'encode')(probe)[0];
  exactOrder = out === '{"a":1,"c":"x","b":[1,2,3]}';
  if (!exactOrder) t.diagnostic(`LuaTable is still the placeholder (${out}): order-dependent outputs are compared with sorted keys`);
});

// ---------------------------------------------------------------------------
// Arbitraries.

/** The placeholder table's next() is linear, so tables of 65536 entries wait for the real one. */
function bigOnlyWithRealTable(m) {
  if (exactOrder) return m;
  if (m.seq > 1000) return { seq: 1000, v: m.v };
  if (m.map > 1000) return { map: 1000 };
  return m;
}

const INT_EDGES = [
  0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53,
  2 ** 63 - 1024, 2 ** 63, 2 ** 64, -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1,
  -(2 ** 32), -(2 ** 53), -(2 ** 63), -(2 ** 63) - 2048, -(2 ** 64),
];

const number = fc.oneof(
  fc.constantFrom(...INT_EDGES),
  fc.integer(),
  fc.integer({ min: -40, max: 300 }),
  fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(Number),
  fc.double(),
  fc.float().map(Math.fround),
  fc.constantFrom(0.1, 1.5, -2.5, 1e300, -1e-300, 3.4028234663852886e38, 3.4028235677973366e38, 1e15, 1e16, 123456789012345.6, 5e-324),
);

const latin1 = fc.uint8Array({ maxLength: 40 }).map((a) => String.fromCharCode(...a));
const string = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) .map((s) => s.replace(/[^\x00-\xff]/g, '?')) },
  { weight: 3, arbitrary: latin1 },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 1, 15, 31, 32, 33, 255, 256, 65535, 65536, 70000), fc.integer({ min: 0, max: 255 }))
      .map(([n, c]) => String.fromCharCode(c).repeat(n)),
  },
);

const key = fc.oneof(
  fc.integer({ min: -3, max: 30 }).map((n) => (n === 0 ? 0 : n)),
  fc.constantFrom(1.5, -0.5, 1e10, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e300),
  fc.string({ maxLength: 6 }).map((s) => s.replace(/[^\x00-\xff]/g, '?')),
  fc.boolean(),
);

function valueArbitrary({ booleanKeys }) {
  const keyArb = booleanKeys ? key : key.filter((k) => typeof k !== 'boolean');
  return fc.letrec((tie) => ({
    value: fc.oneof({ maxDepth: 4 }, fc.boolean(), number, string, tie('table')),
    table: fc.oneof(
      fc.array(tie('value'), { maxLength: 20 }).map((vs) => ({ entries: vs.map((v, i) => [i + 1, v]) })),
      fc
        .array(tie('value'), { maxLength: 20 })
        .chain((vs) => fc.array(fc.boolean(), { minLength: vs.length, maxLength: vs.length }).map((keep) => ({ entries: vs.map((v, i) => [i + 1, v]).filter((_, i) => keep[i]) }))),
      fc.array(fc.tuple(keyArb, tie('value')), { maxLength: 10 }).map((entries) => ({ entries })),
      fc.constantFrom({ seq: 15, v: 1 }, { seq: 16, v: 'x' }, { seq: 65535, v: 7 }, { seq: 65536, v: true }, { map: 15 }, { map: 16 }, { map: 65535 }, { map: 65536 }).map(bigOnlyWithRealTable),
    ),
  })).value;
}

// ---------------------------------------------------------------------------
// cmsgpack

function checkExactOr(t, sensitive) {
  if (sensitive && !exactOrder) skipped.count++;
}

async function comparePack(models) {
  const expr = `cmsgpack.pack(${models.map(luaSource).join(', ')})`;
  const theirs = await evalRedis(pcallBody(expr));
  const mine = oursBytes(f(cmsgpack, 'pack'), ...models.map(build));
  const sensitive = models.some(orderSensitive);
  if (exactOrder || !sensitive || !theirs.startsWith('OK')) {
    assert.equal(mine, theirs, `pack(${expr.slice(0, 300)})`);
  } else {
    skipped.count++;
    assert.equal(mine.length, theirs.length);
    const unpack = f(cmsgpack, 'unpack');
    assert.deepStrictEqual(unpack(mine.slice(2)).map(tree).map(sortTree), unpack(theirs.slice(2)).map(tree).map(sortTree));
  }
}

test('cmsgpack.pack: integers, floats and strings at every size boundary', async () => {
  const models = [...INT_EDGES, ...INT_EDGES.map((n) => n + 1), ...INT_EDGES.map((n) => n - 1), 0.5, -0.5, 1e300, NaN, Infinity, -Infinity, -0, 3.4e38, 1e39, 1.401298464324817e-45, 1e-46];
  for (const m of models) await comparePack([m]);
  for (const n of [0, 1, 31, 32, 33, 255, 256, 257, 65535, 65536, 65537]) await comparePack(['z'.repeat(n)]);
  await comparePack([undefined]);
  await comparePack([true, false, undefined, 'x', 1]);
  await comparePack([{ entries: [] }]);
  for (const n of [15, 16, 65535, 65536]) {
    await comparePack([bigOnlyWithRealTable({ seq: n, v: 1 })]);
    await comparePack([bigOnlyWithRealTable({ map: n })]);
  }
});

test('cmsgpack.pack: random values (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(valueArbitrary({ booleanKeys: true }), { minLength: 1, maxLength: 3 }), async (models) => {
      await comparePack(models);
    }),
    { numRuns: 300 },
  );
});

test('cmsgpack.pack: nesting beyond 16 tables packs nil; functions and cjson.null pack nil', async () => {
  for (const depth of [14, 15, 16, 17, 18, 25]) {
    let m = { entries: [[1, 'leaf']] };
    for (let i = 1; i < depth; i++) m = { entries: [[1, m]] };
    await comparePack([m]);
    let km = { entries: [['k', 1]] };
    for (let i = 1; i < depth; i++) km = { entries: [[km.entries.length ? 'x' : 'y', km]] };
    await comparePack([km]);
  }
  await comparePack([NULL_MODEL, { entries: [[1, NULL_MODEL], [2, 3]] }]);
  const theirs = await evalRedis(pcallBody('cmsgpack.pack(type, 1)'));
  assert.equal(oursBytes(f(cmsgpack, 'pack'), () => [], 1), theirs);
});

test('cmsgpack.pack: errors', async () => {
  assert.equal(normalizeMessage(oursBytes(f(cmsgpack, 'pack'))), normalizeMessage(await evalRedis(pcallBody('cmsgpack.pack()'))));
  const many = await evalRedis(pcallBody("cmsgpack.pack(unpack(S(4001, 1)))"));
  assert.equal(normalizeMessage(oursBytes(f(cmsgpack, 'pack'), ...new Array(4001).fill(1))), normalizeMessage(many));
  const ok = await evalRedis(pcallBody("cmsgpack.pack(unpack(S(4000, 1)))"));
  assert.equal(oursBytes(f(cmsgpack, 'pack'), ...new Array(4000).fill(1)), ok);
});

/** A deeply nested decoding result: its depth and leaf, or the error. */
async function compareDeep(expr, f, ...args) {
  const theirs = await evalRedis(`local ok, r = pcall(function() return ${expr} end) if ok then return 'OK' .. DEPTH(r) else return 'ER' .. tostring(r) end`, ...args.filter((a) => typeof a === 'string'));
  const r = ours(f, ...args);
  const mine = r[0] ? 'OK' + depthSignature(r[1]) : 'ER' + r[1];
  assert.equal(normalizeMessage(mine), normalizeMessage(theirs), `${expr} ${String(args[0]).slice(0, 30)}`);
}

async function compareUnpack(fname, bytes, ...extra) {
  const argList = ['ARGV[1]', ...extra.map(luaSource)].join(', ');
  const order = (dump) => (dump.ok === undefined ? dump : { ok: dump.ok.map(sortTableKeyed) });
  const theirs = order(redisDump(await evalRedis(pcallDumpBody(`cmsgpack.${fname}(${argList})`), bytes)));
  const mine = order(oursDump(f(cmsgpack, fname), bytes, ...extra.map(build)));
  assert.deepStrictEqual(mine, theirs, `${fname}(${JSON.stringify(bytes.slice(0, 60))}, ${extra.join(', ')})`);
}

test('cmsgpack.unpack: what Redis packed comes back as Redis unpacks it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(valueArbitrary({ booleanKeys: true }), { minLength: 1, maxLength: 3 }), async (models) => {
      const packed = await evalRedis(`return cmsgpack.pack(${models.map(luaSource).join(', ')})`);
      const theirs = redisDump(await evalRedis(pcallDumpBody('cmsgpack.unpack(ARGV[1])'), packed));
      const mine = oursDump(f(cmsgpack, 'unpack'), packed);
      if (exactOrder) assert.deepStrictEqual(mine, theirs);
      else assertSameDump(theirs, mine, false);
    }),
    { numRuns: 150 },
  );
});

const msgpackBytes = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.array(
    fc.oneof(
      fc.constantFrom(
        [0xc0], [0xc2], [0xc3], [0xc1], [0xc4, 1, 65], [0xc5, 0, 1, 65], [0xc7, 1, 1, 0], [0xd4, 1, 2], [0xd9, 3, 97, 98, 99], [0xd9, 5, 97],
        [0xda, 0, 2, 120, 121], [0xdb, 0, 0, 0, 1, 122], [0xdb, 255, 255, 255, 255], [0xcc, 200], [0xcd, 255, 255], [0xce, 255, 255, 255, 255],
        [0xcf, 255, 255, 255, 255, 255, 255, 255, 255], [0xcf, 128, 0, 0, 0, 0, 0, 0, 0], [0xcf, 0, 32, 0, 0, 0, 0, 0, 1], [0xd0, 128], [0xd1, 128, 0],
        [0xd2, 128, 0, 0, 0], [0xd3, 128, 0, 0, 0, 0, 0, 0, 0], [0xd3, 255, 255, 255, 255, 255, 255, 255, 255], [0xca, 0x7f, 0xc0, 0, 0],
        [0xca, 0xff, 0x80, 0, 0], [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], [0xcb, 0, 0, 0, 0, 0, 0, 0, 1], [0x92], [0x81], [0x82], [0xdc, 0, 2],
        [0xdd, 0, 0, 0, 1], [0xde, 0, 1], [0xdf, 0, 0, 0, 1], [0x81, 0xc0, 1], [0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 1], [0x81, 1, 0xc0],
        [0x92, 0xc0, 1], [0x93, 1, 0xc0, 3], [0xa3, 102, 111, 111], [0xa5, 1], [0xff], [0xe0], [0x7f], [0x80], [0x90],
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => [b]),
    ),
    { maxLength: 8 },
  ).map((parts) => Uint8Array.from(parts.flat())),
).map((a) => String.fromCharCode(...a));

test('cmsgpack.unpack, unpack_one, unpack_limit: arbitrary bytes, offsets and limits (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(msgpackBytes, async (bytes) => {
      await compareUnpack('unpack', bytes);
    }),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(msgpackBytes, fc.integer({ min: -2, max: 30 }), fc.integer({ min: -1, max: 5 }), async (bytes, offset, limit) => {
      await compareUnpack('unpack_one', bytes, offset);
      await compareUnpack('unpack_limit', bytes, limit, offset);
      await compareUnpack('unpack_limit', bytes, limit);
    }),
    { numRuns: 150 },
  );
});

test('cmsgpack.unpack: argument errors, stack limits and deep nesting', async () => {
  await compareUnpack('unpack_one', '\x01\x02\x03');
  await compareUnpack('unpack_one', '');
  await compareUnpack('unpack', '');
  await compareUnpack('unpack_limit', '\x01\x02\x03', 0, 0);
  await compareUnpack('unpack_limit', '\x01\x02\x03', 2, 1.5);
  await compareUnpack('unpack_limit', '\x01\x02\x03', 1, 4);
  await compareUnpack('unpack_limit', '\x01\x02\x03', 1, 3);
  await compareUnpack('unpack_one', '\x01\x02\x03', 'x');
  for (const fname of ['unpack', 'unpack_one']) {
    const theirs = redisDump(await evalRedis(pcallDumpBody(`cmsgpack.${fname}({})`)));
    assert.deepStrictEqual(oursDump(f(cmsgpack, fname), build({ entries: [] })), theirs);
  }
  const theirs = redisDump(await evalRedis(pcallDumpBody(`cmsgpack.unpack_limit('x')`)));
  assert.deepStrictEqual(oursDump(f(cmsgpack, 'unpack_limit'), 'x'), theirs);
  // Many top-level values: the C decoder's stack check.
  for (const n of [7998, 7999, 8000, 9000]) await compareUnpack('unpack', '\x01'.repeat(n));
  await compareUnpack('unpack_limit', '\x01'.repeat(8000), 8000);
  await compareUnpack('unpack_limit', '\x01'.repeat(8000), 7999);
  // Deep arrays and maps.
  for (const n of [100, 3990, 3997, 3998, 3999, 4000, 4001, 5000]) {
    await compareDeep('cmsgpack.unpack(ARGV[1])', f(cmsgpack, 'unpack'), '\x91'.repeat(n) + '\x01');
    await compareDeep('cmsgpack.unpack(ARGV[1])', f(cmsgpack, 'unpack'), '\x81\x01'.repeat(n) + '\x01');
    await compareDeep('cmsgpack.unpack(ARGV[1])', f(cmsgpack, 'unpack'), '\x91'.repeat(n) + '\x90');
  }
});

// ---------------------------------------------------------------------------
// cjson.encode

async function compareEncode(model, { setup = '', ourSetup = () => {}, lib = cjson } = {}) {
  const expr = `cjson.encode(${luaSource(model)})`;
  const theirs = await evalRedis(setup + pcallBody(expr));
  ourSetup(lib);
  const mine = oursBytes(f(lib, 'encode'), build(model));
  const sensitive = orderSensitive(model);
  if (!exactOrder && sensitive && hugeIntegerKey(model)) {
    // Whether such a table is an array depends on the order its keys come in (the C code's (int) conversion).
    skipped.count++;
    return;
  }
  if (exactOrder || !sensitive || !theirs.startsWith('OK') || !mine.startsWith('OK')) {
    if (sensitive && !exactOrder) {
      // Which error comes first may depend on the order; only compare when both agree it is an error.
      if (theirs.startsWith('ER') && mine.startsWith('ER')) return;
    }
    assert.equal(normalizeMessage(mine), normalizeMessage(theirs), expr.slice(0, 300));
  } else {
    skipped.count++;
    assert.equal(mine.length, theirs.length, expr.slice(0, 300));
    const decode = f(createCjsonLib(), 'decode');
    assert.deepStrictEqual(sortTree(tree(decode(mine.slice(2))[0])), sortTree(tree(decode(theirs.slice(2))[0])), expr.slice(0, 300));
  }
}

test('cjson.encode: random values (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(valueArbitrary({ booleanKeys: false }), async (model) => {
      await compareEncode(model);
    }),
    { numRuns: 400 },
  );
});

test('cjson.encode: numbers, strings, sparse arrays, special values, errors', async () => {
  for (const n of [...INT_EDGES, 0.1, 1 / 3, 1e15, 1e16, 1e21, 123456789012345.6, 5e-324, 1e-5, 1e-4, -0, NaN, Infinity, -Infinity]) await compareEncode(n);
  let all = '';
  for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
  await compareEncode(all);
  await compareEncode('a/b"c\\d\x7f\x80\xff');
  await compareEncode(undefined);
  await compareEncode(NULL_MODEL);
  await compareEncode({ entries: [[1, NULL_MODEL], [3, true]] });
  await compareEncode({ entries: [] });
  for (const max of [10, 11, 20, 21, 22, 100]) {
    await compareEncode({ entries: [[max, 1]] });
    await compareEncode({ entries: [[1, 1], [max, 2]] });
  }
  await compareEncode({ entries: [[1e10, 1]] });
  await compareEncode({ entries: [[2 ** 31, 'a']] });
  await compareEncode({ entries: [[2 ** 31 - 1, 'a']] });
  await compareEncode({ entries: [[Infinity, 'a']] });
  await compareEncode({ entries: [[true, 'a']] });
  await compareEncode({ entries: [[1.5, 'a']] });
  await compareEncode({ entries: [['x', NaN]] });
  const fn = await evalRedis(pcallBody('cjson.encode(type)'));
  assert.equal(normalizeMessage(oursBytes(f(cjson, 'encode'), () => [])), normalizeMessage(fn));
  const fnInTable = await evalRedis(pcallBody('cjson.encode({type})'));
  const withFunction = new LuaTable(0, 0);
  withFunction.set(1, () => []);
  assert.equal(normalizeMessage(oursBytes(f(cjson, 'encode'), withFunction)), normalizeMessage(fnInTable));
  for (const expr of ['cjson.encode()', 'cjson.encode(1, 2)', 'cjson.encode(nil)']) {
    const theirs = await evalRedis(pcallBody(expr));
    const args = expr === 'cjson.encode()' ? [] : expr === 'cjson.encode(nil)' ? [undefined] : [1, 2];
    assert.equal(normalizeMessage(oursBytes(f(cjson, 'encode'), ...args)), normalizeMessage(theirs), expr);
  }
});

test('cjson.encode: nesting limits (the depth setting and the C stack check)', async () => {
  const nest = (depth, obj) => ({ nest: depth, key: obj ? 'a' : 1 });
  for (const depth of [999, 1000, 1001]) {
    await compareEncode(nest(depth, false));
    await compareEncode(nest(depth, true));
  }
  const setup = 'local cjson = cjson.new() cjson.encode_max_depth(10000) ';
  const ourSetup = (lib) => f(lib, 'encode_max_depth')(10000);
  const lib = createCjsonLib();
  for (const depth of [3998, 3999, 4000]) await compareEncode(nest(depth, true), { setup, ourSetup, lib });
  for (const depth of [7997, 7998, 7999]) await compareEncode(nest(depth, false), { setup, ourSetup, lib });
});

test('cjson.encode: number precision and invalid-number settings', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 14 }), fc.array(number, { minLength: 1, maxLength: 8 }), async (p, nums) => {
      const model = { entries: nums.map((n, i) => [i + 1, n === n && Math.abs(n) !== Infinity ? n : 0]) };
      const lib = createCjsonLib();
      await compareEncode(model, { setup: `local cjson = cjson.new() cjson.encode_number_precision(${p}) `, ourSetup: (l) => f(l, 'encode_number_precision')(p), lib });
    }),
    { numRuns: 150 },
  );
  for (const setting of ['true', 'false', '"on"', '"off"', '"null"']) {
    const lib = createCjsonLib();
    const value = setting === 'true' ? true : setting === 'false' ? false : JSON.parse(setting);
    await compareEncode({ entries: [[1, NaN], [2, Infinity], [3, -Infinity], [4, 1.5]] }, {
      setup: `local cjson = cjson.new() cjson.encode_invalid_numbers(${setting}) `,
      ourSetup: (l) => f(l, 'encode_invalid_numbers')(value),
      lib,
    });
  }
});

test('cjson configuration functions: results and errors', async () => {
  const T = () => new LuaTable(0, 0);
  const calls = [
    ['encode_sparse_array', []], ['encode_sparse_array', [true]], ['encode_sparse_array', [true, 3, 20]], ['encode_sparse_array', ['on', 0, 0]],
    ['encode_sparse_array', ['off']], ['encode_sparse_array', ['maybe']], ['encode_sparse_array', [T()]], ['encode_sparse_array', [undefined, -1]],
    ['encode_sparse_array', [undefined, 'x']], ['encode_sparse_array', [undefined, 2, 2 ** 32 + 5]], ['encode_sparse_array', [1, 2, 3, 4]],
    ['encode_sparse_array', [false, 2, 10]], ['encode_max_depth', []], ['encode_max_depth', [0]], ['encode_max_depth', [5]], ['encode_max_depth', ['7']],
    ['encode_max_depth', [1000]], ['encode_max_depth', [1, 2]], ['decode_max_depth', []], ['decode_max_depth', [0]], ['decode_max_depth', [12.7]],
    ['decode_max_depth', [1000]], ['encode_number_precision', []], ['encode_number_precision', [0]], ['encode_number_precision', [15]],
    ['encode_number_precision', [3]], ['encode_number_precision', [14]], ['encode_keep_buffer', []], ['encode_keep_buffer', [false]],
    ['encode_keep_buffer', ['on']], ['encode_keep_buffer', [1]], ['encode_invalid_numbers', []], ['encode_invalid_numbers', ['null']],
    ['encode_invalid_numbers', [true]], ['encode_invalid_numbers', ['off']], ['encode_invalid_numbers', ['x']], ['decode_invalid_numbers', []],
    ['decode_invalid_numbers', [false]], ['decode_invalid_numbers', ['on']], ['decode_invalid_numbers', [2]],
  ];
  const lib = createCjsonLib();
  try {
    for (const [fname, args] of calls) {
      const argText = args.map((a) => (a instanceof LuaTable ? '{}' : luaSource(a))).join(', ');
      const theirs = redisDump(await evalRedis(pcallDumpBody(`cjson.${fname}(${argText})`)));
      assert.deepStrictEqual(oursDump(f(lib, fname), ...args), theirs, `${fname}(${argText})`);
    }
  } finally {
    await evalRedis('cjson.encode_sparse_array(false, 2, 10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) cjson.encode_number_precision(14) cjson.encode_invalid_numbers(false) cjson.decode_invalid_numbers(true) return 1');
  }
  const meta = redisDump(await evalRedis(pcallDumpBody('cjson._NAME, cjson._VERSION, type(cjson.new), cjson.new() ~= cjson')));
  assert.deepStrictEqual({ ok: [tree(lib.get('_NAME')), tree(lib.get('_VERSION')), ['str', 'function'], ['bool', true]] }, meta);
  const msgMeta = redisDump(await evalRedis(pcallDumpBody('cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION')));
  assert.deepStrictEqual({ ok: ['_NAME', '_VERSION', '_COPYRIGHT', '_DESCRIPTION'].map((k) => tree(cmsgpack.get(k))) }, msgMeta);
  // Field order of the library tables as lua_next sees them (exact only with the PUC table).
  const names = (await evalRedis('local o = {} for k in pairs(cjson) do o[#o + 1] = k end return table.concat(o, " ")')).split(' ');
  const ourNames = [];
  for (let e = lib.next(undefined); e !== undefined; e = lib.next(e[0])) ourNames.push(e[0]);
  if (exactOrder) assert.deepStrictEqual(ourNames, names);
  else assert.deepStrictEqual([...ourNames].sort(), [...names].sort());
});

// ---------------------------------------------------------------------------
// cjson.decode

async function compareDecode(text, { setup = '', ourSetup = () => {}, lib = cjson } = {}) {
  const theirs = redisDump(await evalRedis(setup + pcallDumpBody('cjson.decode(ARGV[1])'), text));
  ourSetup(lib);
  const mine = oursDump(f(lib, 'decode'), text);
  assertSameDump(theirs, mine, exactOrder, `decode(${JSON.stringify(text.slice(0, 200))})`);
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const jsonToken = fc.constantFrom(
  '{', '}', '[', ']', ',', ':', ' ', '\t', '\n', '\r', '\f', '"a"', '"', '\\', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00"', '"\\u12"',
  '"\\x"', '"\\/"', 'true', 'false', 'null', 'tru', 'nul', 'nan', 'NaN', '-nan', 'inf', 'Infinity', '-Infinity', 'infinit', '+1', '-', '01', '0x1F',
  '0x', '-0x1p3', '1e5', '1e', '1.', '.5', '-0', '1e400', '-1e-400', '123456789012345678901234567890', '0.1', '\x00', '\x80\xff', 'x', '"\x01"',
  '"\x00"', 'N', 'I', 'f',
);

test('cjson.decode: valid JSON and token soup (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(jsonValue, async (v) => {
      const text = Buffer.from(JSON.stringify(v), 'utf8').toString('latin1');
      await compareDecode(text);
    }),
    { numRuns: 250 },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(jsonToken, { maxLength: 10 }), async (tokens) => {
      await compareDecode(tokens.join(''));
    }),
    { numRuns: 400 },
  );
  await fc.assert(
    fc.asyncProperty(jsonValue, fc.nat(), fc.constantFrom('', ',', ']', '}', ':', 'x', '"', '\\'), async (v, cut, junk) => {
      const text = JSON.stringify(v);
      const at = cut % (text.length + 1);
      await compareDecode(text.slice(0, at) + junk + text.slice(at));
    }),
    { numRuns: 200 },
  );
});

test('cjson.decode: numbers through strtod, with and without invalid numbers', async () => {
  await fc.assert(
    fc.asyncProperty(number, async (n) => {
      await compareDecode(String(n));
      await compareDecode(`[${n.toPrecision(17)}]`);
    }),
    { numRuns: 150 },
  );
  const forms = ['0x10', '0X1p-2', '0x1.8p1', '0xffffffffffffffffffff', '0x.8', '-0x', 'inf', '-inf', 'Infinity', 'nan', 'NaN(123)', '+5', '007', '-01', '1e+', '1.5e-3x'];
  const lib = createCjsonLib();
  for (const text of forms) await compareDecode(text, { lib });
  for (const text of forms) {
    await compareDecode(text, { setup: 'local cjson = cjson.new() cjson.decode_invalid_numbers(false) ', ourSetup: (l) => f(l, 'decode_invalid_numbers')(false), lib });
  }
});

test('cjson.decode: nesting limits, UTF-16 detection, argument errors', async () => {
  for (const n of [999, 1000, 1001]) {
    await compareDeep('cjson.decode(ARGV[1])', f(cjson, 'decode'), '['.repeat(n) + ']'.repeat(n));
    await compareDeep('cjson.decode(ARGV[1])', f(cjson, 'decode'), '{"a":'.repeat(n) + '1' + '}'.repeat(n));
  }
  const lib = createCjsonLib();
  f(lib, 'decode_max_depth')(100000);
  const expr = '(function() local c = cjson.new() c.decode_max_depth(100000) return c.decode(ARGV[1]) end)()';
  for (const n of [3997, 3998, 3999, 4000]) await compareDeep(expr, f(lib, 'decode'), '{"a":'.repeat(n) + '1' + '}'.repeat(n));
  for (const n of [7997, 7998, 7999, 8000]) await compareDeep(expr, f(lib, 'decode'), '['.repeat(n) + ']'.repeat(n));
  await compareDecode('\x00{}');
  await compareDecode('{\x00}');
  await compareDecode('1\x00garbage');
  await compareDecode('');
  for (const expr of ['cjson.decode()', 'cjson.decode(1, 2)', 'cjson.decode(nil)', 'cjson.decode({})', 'cjson.decode(12)']) {
    const theirs = redisDump(await evalRedis(pcallDumpBody(expr)));
    const args = { 'cjson.decode()': [], 'cjson.decode(1, 2)': [1, 2], 'cjson.decode(nil)': [undefined], 'cjson.decode({})': [new LuaTable(0, 0)], 'cjson.decode(12)': [12] }[expr];
    assert.deepStrictEqual(oursDump(f(cjson, 'decode'), ...args), theirs, expr);
  }
});

test('cjson: encode(decode(x)) round trips as in Redis', async () => {
  await fc.assert(
    fc.asyncProperty(jsonValue, async (v) => {
      const text = Buffer.from(JSON.stringify(v), 'utf8').toString('latin1');
      const theirs = await evalRedis(pcallBody('cjson.encode(cjson.decode(ARGV[1]))'), text);
      const decoded = ours(f(cjson, 'decode'), text);
      const mine = decoded[0] ? oursBytes(f(cjson, 'encode'), decoded[1]) : 'ER' + decoded[1];
      if (exactOrder || !/[{]/.test(text)) assert.equal(mine, theirs, text);
      else {
        skipped.count++;
        assert.equal(mine.length, theirs.length);
      }
    }),
    { numRuns: 200 },
  );
});

test('exact next() order comparisons', { skip: false }, (t) => {
  if (!exactOrder) t.skip(`${skipped.count} order-dependent comparisons were made with sorted keys: LuaTable is still the placeholder`);
});
