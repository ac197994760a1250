// LuaTable against PUC Lua 5.1 itself: each case is a table constructor and
// a sequence of raw sets, deletes, traversals and `#`, run once as Lua source
// by lua5.1 and once on our class, and the logs (keys and values in `next`
// order, borders, lookups) must be equal token for token. Garbage collection
// is stopped in lua5.1: a cycle turns the keys of deleted entries into dead
// keys that a later set no longer finds, which our table (like PUC between
// collections) never does. The random test takes FC_SEED and FC_RUNS from
// the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { LuaTable, fb2intRound } from '../../dist/scripting/lua/table.js';
import { LuaError, where } from '../../dist/scripting/lua/value.js';

const HAVE_LUA = spawnSync('lua5.1', ['-v']).status === 0;
const SKIP = HAVE_LUA ? false : 'lua5.1 is not installed (apt-get install -y lua5.1); the comparison with PUC Lua is skipped';

// ---------------------------------------------------------------- cases
// A case: { items, ops }. items: the constructor's fields, each
// { pos: value } | { key, value } | { multi: [values] } (a call's results, last only).
// ops: ['set', k, v] (v undefined: nil) | ['len'] | ['dump'] | ['get', k]
// | ['travdel', m] (traverse, deleting every m-th visited key) | ['travset'] (traverse, reassigning each value)
// | ['push', v] (t[#t+1] = v).

function luaNum(n) {
  if (Object.is(n, -0)) return '(-Z)'; // a literal -0 would share its constant with 0
  if (n === Infinity) return 'math.huge';
  if (n === -Infinity) return '(-math.huge)';
  return n < 0 ? `(${n})` : String(n);
}

function luaStr(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += /[0-9A-Za-z_]/.test(s[i]) ? s[i] : `\\${c}`;
  }
  return out + '"';
}

function luaVal(v) {
  switch (typeof v) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return String(v);
    case 'number':
      return luaNum(v);
    default:
      return luaStr(v);
  }
}

function luaCase({ items, ops }) {
  const fields = items.map((it) => {
    if ('pos' in it) return luaVal(it.pos);
    if ('multi' in it) return `M(${it.multi.map(luaVal).join(', ')})`;
    return `[${luaVal(it.key)}] = ${luaVal(it.value)}`;
  });
  const body = ops.map((op) => {
    switch (op[0]) {
      case 'set':
        return `t[${luaVal(op[1])}] = ${luaVal(op[2])}`;
      case 'len':
        return `L[#L+1] = '#' .. #t`;
      case 'dump':
        return 'dump(t, L)';
      case 'get':
        return `L[#L+1] = D(t[${luaVal(op[1])}])`;
      case 'travdel':
        return `travdel(t, L, ${op[1]})`;
      case 'travset':
        return 'travset(t, L)';
      case 'push':
        return `t[#t+1] = ${luaVal(op[1])}`;
    }
    throw new Error(op[0]);
  });
  return `run(function(L)\nlocal t = {${fields.join(', ')}}\n${body.join('\n')}\ndump(t, L)\nL[#L+1] = '#' .. #t\nend)`;
}

const PRELUDE = `
collectgarbage('stop')
local Z = 0
local function M(...) return ... end
local function D(v)
  local ty = type(v)
  if ty == 'nil' then return 'N'
  elseif ty == 'boolean' then return v and 'T' or 'F'
  elseif ty == 'number' then return 'n' .. string.format('%.17g', v)
  else return 's' .. v:gsub('.', function(c) return string.format('%02x', c:byte()) end) end
end
local function dump(t, L)
  L[#L+1] = 'dump'
  local k, v = next(t)
  while k ~= nil do
    L[#L+1] = D(k); L[#L+1] = D(v)
    k, v = next(t, k)
  end
end
local function travdel(t, L, m)
  L[#L+1] = 'travdel'
  local i = 0
  for k in pairs(t) do
    i = i + 1
    L[#L+1] = D(k)
    if i % m == 0 then t[k] = nil end
  end
end
local function travset(t, L)
  L[#L+1] = 'travset'
  for k, v in pairs(t) do
    L[#L+1] = D(k)
    t[k] = type(v) == 'number' and v + 1000 or 'x'
  end
end
local function run(f)
  local L = {}
  f(L)
  io.write(table.concat(L, ' '), '\\n')
end
`;

function numText(n) {
  return Object.is(n, -0) ? '-0' : String(n);
}

function D(v) {
  switch (typeof v) {
    case 'undefined':
      return 'N';
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return 'n' + numText(v);
    default: {
      let hex = '';
      for (let i = 0; i < v.length; i++) hex += v.charCodeAt(i).toString(16).padStart(2, '0');
      return 's' + hex;
    }
  }
}

/** Lua's tokens with %.17g numbers rewritten as JS prints the same double. */
function normalize(token) {
  if (token[0] !== 'n') return token;
  const text = token.slice(1);
  const n = text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
  return 'n' + numText(n);
}

/** A constructor as PUC's code runs it: NEWTABLE with rounded sizes, keyed fields stored in order, positional ones by SETLIST in batches of 50. */
function construct(items) {
  let narr = 0;
  let nrec = 0;
  for (const it of items) {
    if ('pos' in it) narr++;
    else if ('key' in it) nrec++;
  }
  const t = new LuaTable(fb2intRound(narr), fb2intRound(nrec));
  let pending = [];
  let first = 1;
  const flush = () => {
    const last = first + pending.length - 1;
    if (last > t.arraySize()) t.resizeArray(last);
    pending.forEach((v, i) => t.setInt(first + i, v));
    first += pending.length;
    pending = [];
  };
  for (const it of items) {
    if ('key' in it) t.set(it.key, it.value);
    else pending.push(...('pos' in it ? [it.pos] : it.multi));
    if (pending.length === 50) flush();
  }
  if (pending.length > 0) flush();
  return t;
}

function dump(t, L) {
  L.push('dump');
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) L.push(D(e[0]), D(e[1]));
}

function jsCase({ items, ops }) {
  const L = [];
  const t = construct(items);
  for (const op of ops) {
    switch (op[0]) {
      case 'set':
        t.set(op[1], op[2]);
        break;
      case 'len':
        L.push('#' + t.length());
        break;
      case 'dump':
        dump(t, L);
        break;
      case 'get':
        L.push(D(t.get(op[1])));
        break;
      case 'travdel': {
        L.push('travdel');
        let i = 0;
        for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
          i++;
          L.push(D(e[0]));
          if (i % op[1] === 0) t.set(e[0], undefined);
        }
        break;
      }
      case 'travset':
        L.push('travset');
        for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
          L.push(D(e[0]));
          t.set(e[0], typeof e[1] === 'number' ? e[1] + 1000 : 'x');
        }
        break;
      case 'push':
        t.setInt(t.length() + 1, op[1]);
        break;
    }
  }
  dump(t, L);
  L.push('#' + t.length());
  return L;
}

/** Runs all cases in one lua5.1 process; one output line per case. */
function runLua(cases) {
  const program = PRELUDE + cases.map(luaCase).join('\n');
  const r = spawnSync('lua5.1', ['-'], { input: program, maxBuffer: 1 << 28, encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  lines.pop();
  assert.equal(lines.length, cases.length);
  return lines.map((line) => (line === '' ? [] : line.split(' ').map(normalize)));
}

function compare(cases) {
  const expected = runLua(cases);
  cases.forEach((c, i) => {
    assert.deepEqual(jsCase(c), expected[i], `case ${i}:\n${luaCase(c)}`);
  });
}

const sets = (keys, value = (i) => i + 1) => keys.map((k, i) => ['set', k, value(i)]);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// ---------------------------------------------------------------- comparisons with lua5.1

test('cjson.encode-style order of a small constructor', { skip: SKIP }, () => {
  compare([
    { items: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'c', value: 'x' }], ops: [] },
    { items: [], ops: sets(['a', 'b', 'c']) },
    { items: [{ pos: 1 }, { pos: 2 }, { pos: 3 }, { key: 'x', value: 1 }], ops: [] },
  ]);
  const t = construct([{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'c', value: 'x' }]);
  const keys = [];
  for (let e = t.next(undefined); e; e = t.next(e[0])) keys.push(e[0]);
  assert.deepEqual(keys, ['a', 'c', 'b']);
});

test('string keys inserted one by one, 1 to 200 keys', { skip: SKIP }, () => {
  const cases = [];
  for (let n = 1; n <= 200; n++) cases.push({ items: [], ops: sets(range(1, n).map((i) => 'k' + i)) });
  // Names that differ only where luaS_hash does not look (it samples long strings), and high bytes.
  const long = range(1, 60).map((i) => 'x'.repeat(40 + (i % 7)) + String.fromCharCode(65 + (i % 26)) + 'y'.repeat(i % 5));
  cases.push({ items: [], ops: sets(long) });
  cases.push({ items: [], ops: sets(range(0, 255).map((c) => String.fromCharCode(c) + String.fromCharCode(255 - c))) });
  cases.push({ items: [], ops: sets(['', 'a', 'aa', 'aaa', 'b', 'ab', 'ba']) });
  // With a dump after every insert, to see each intermediate layout.
  cases.push({ items: [], ops: range(1, 40).flatMap((i) => [['set', 'key' + i, i], ['dump']]) });
  compare(cases);
});

test('array and hash parts mixed', { skip: SKIP }, () => {
  const cases = [];
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 100]) {
    cases.push({ items: [], ops: sets(range(1, n)) });
    cases.push({ items: [], ops: sets(range(1, n).reverse()) });
    cases.push({ items: [], ops: range(1, n).flatMap((i) => [['set', i, i], ['set', 's' + i, i]]) });
    cases.push({ items: [], ops: sets(range(1, n).map((i) => i * 3)) });
    cases.push({ items: [], ops: sets(range(0, n).map((i) => 2 ** i)) });
    cases.push({ items: [], ops: [...sets(range(1, n)), ...range(1, n).filter((i) => i % 2).map((i) => ['set', i, undefined]), ['set', 'z', 1], ['set', n + 5, 1]] });
  }
  cases.push({ items: [], ops: range(1, 300).map((i) => ['push', i]) });
  cases.push({ items: [], ops: [...sets(range(1, 20).map((i) => 's' + i)), ...range(1, 50).map((i) => ['push', i])] });
  compare(cases);
});

test('deleting and reassigning during traversal', { skip: SKIP }, () => {
  const cases = [];
  const mixed = [...range(1, 12), ...range(1, 25).map((i) => 'k' + i), 0.5, -3, true, false, 100, 2 ** 40];
  for (const m of [1, 2, 3, 5]) {
    cases.push({ items: [], ops: [...sets(mixed), ['travdel', m], ['dump'], ...sets(mixed.slice(0, 20), (i) => -i), ['travdel', m]] });
  }
  cases.push({ items: [], ops: [...sets(mixed), ['travset'], ['travdel', 1], ...sets(mixed.slice().reverse())] });
  // Deleted keys stay until a rehash: setting them again, or colliding keys taking their nodes.
  cases.push({ items: [], ops: [...sets(range(1, 8).map((i) => 'a' + i)), ...range(1, 8).map((i) => ['set', 'a' + i, undefined]), ['dump'], ...sets(range(1, 8).map((i) => 'b' + i)), ['dump'], ...sets(range(1, 8).map((i) => 'a' + i))] });
  cases.push({ items: [], ops: [...sets(range(1, 30).map((i) => 'c' + i)), ...range(1, 30).map((i) => ['set', 'c' + i, undefined]), ...sets(range(1, 30).map((i) => 'c' + (31 - i)))] });
  compare(cases);
});

test('nil stored under absent keys still creates nodes', { skip: SKIP }, () => {
  compare([
    { items: [], ops: [['set', 'x', undefined], ['set', 'y', 1], ['set', 'z', 2]] },
    { items: [], ops: [['set', 1, undefined], ['set', 2, undefined], ['set', 1, 'a'], ['len']] },
    { items: [], ops: [...range(1, 20).map((i) => ['set', 'n' + i, undefined]), ...sets(range(1, 5).map((i) => 'n' + i))] },
    { items: [{ key: 'a', value: undefined }, { key: 'b', value: undefined }, { pos: undefined }, { pos: 2 }], ops: [['len'], ['set', 'c', 3], ['set', 'a', 1]] },
  ]);
});

test('holes and the border #t', { skip: SKIP }, () => {
  const cases = [];
  for (const n of [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 32]) {
    for (let hole = 1; hole <= n; hole += Math.max(1, n >> 2)) {
      cases.push({ items: range(1, n).map((i) => ({ pos: i })), ops: [['set', hole, undefined], ['len'], ['set', n + 1, 1], ['len'], ['set', n + 2, 1], ['len'], ['set', 2 * n + 5, 1], ['len']] });
      cases.push({ items: [], ops: [...sets(range(1, n)), ['set', hole, undefined], ['len'], ['push', 'p'], ['len']] });
    }
    cases.push({ items: [], ops: [...sets(range(1, n).reverse()), ['len'], ['set', 1, undefined], ['len']] });
    cases.push({ items: [{ multi: range(1, n).map((i) => (i % 3 === 0 ? undefined : i)) }], ops: [['len']] });
  }
  cases.push({ items: [{ pos: undefined }, { pos: undefined }, { pos: 3 }], ops: [['len']] });
  cases.push({ items: [{ pos: 1 }, { pos: 2 }, { pos: undefined }, { pos: 4 }], ops: [['len']] });
  cases.push({ items: [], ops: [['set', 1, 1], ['set', 2, 2], ['set', 4, 4], ['len'], ['set', 3, 3], ['len'], ['set', 8, 8], ['set', 5, 5], ['len']] });
  cases.push({ items: [], ops: [['set', 'x', 1], ...sets([2 ** 20, 2 ** 21, 1, 2, 3, 4]), ['len']] });
  compare(cases);
});

test('number keys: negative, fractional, huge, zero and minus zero, infinities', { skip: SKIP }, () => {
  const nums = [0, -0, -1, -2, 0.5, 1.5, -0.5, 1e-300, 1e300, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 26, 2 ** 26 + 1, Infinity, -Infinity, 3.25, 1e15, 123456789.125, 7, 3, 1];
  compare([
    { items: [], ops: [...sets(nums), ...nums.map((k) => ['get', k]), ['get', 3.0], ['get', 2]] },
    { items: [], ops: sets(nums.slice().reverse()) },
    { items: [], ops: [['set', -0, 'negzero'], ['get', 0], ['set', 0, 'zero'], ['dump']] },
    { items: [], ops: [...sets(range(1, 10)), ['set', 5.5, 1], ['set', 10.0, 'ten'], ['get', 10], ['len']] },
    { items: [], ops: [...sets(range(1, 40).map((i) => i / 4)), ['len']] },
    { items: [], ops: [...sets(range(1, 40).map((i) => -i * 1000.5))] },
  ]);
});

test('boolean keys', { skip: SKIP }, () => {
  compare([
    { items: [], ops: sets([true, false]) },
    { items: [], ops: sets([false, true, 'a', 'b', 1, 2, 'c']) },
    { items: [{ key: true, value: 1 }, { key: 'x', value: 2 }, { key: false, value: 3 }], ops: [['get', true], ['set', true, undefined], ['dump'], ['set', 'y', 4]] },
  ]);
});

test('constructor sizes (NEWTABLE rounding, SETLIST batches, a multi-valued last field)', { skip: SKIP }, () => {
  const cases = [];
  for (const np of [0, 1, 3, 8, 9, 15, 16, 17, 18, 23, 33, 49, 50, 51, 60, 100, 130]) {
    for (const nk of [0, 1, 2, 3, 5, 9, 17, 40]) {
      const items = [...range(1, nk).map((i) => ({ key: 'f' + i, value: i })), ...range(1, np).map((i) => ({ pos: i }))];
      cases.push({ items, ops: [['set', 'extra', 1], ['set', np + 1, 1], ['len']] });
    }
  }
  // Keyed fields interleaved with positional ones, some with integer keys the array part covers.
  cases.push({ items: [{ key: 1, value: 'k1' }, { pos: 'p1' }, { key: 2, value: 'k2' }, { pos: 'p2' }, { key: 5, value: 'k5' }, { key: 'x', value: 1 }], ops: [] });
  cases.push({ items: range(1, 120).map((i) => (i % 3 ? { pos: i } : { key: 's' + i, value: i })), ops: [] });
  cases.push({ items: [{ key: 7, value: 7 }, { key: 9, value: 9 }, { pos: 1 }, { multi: range(2, 12) }], ops: [['len']] });
  cases.push({ items: [{ pos: 1 }, { multi: [] }], ops: [['len']] });
  cases.push({ items: [{ key: 'a', value: 1 }, { multi: range(1, 70) }], ops: [['len'], ['set', 'b', 2]] });
  cases.push({ items: [...range(1, 55).map((i) => ({ pos: i })), { multi: range(56, 80) }], ops: [['len']] });
  compare(cases);
});

test('random operation sequences against lua5.1 (fast-check)', { skip: SKIP }, () => {
  const key = fc.oneof(
    fc.constantFrom('a', 'b', 'c', 'd', 'e', 'ab', 'ba', 'abc', 'k1', 'k2', 'k10', 'x', 'y', 'z'),
    fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1'), minLength: 1, maxLength: 3 }),
    fc.integer({ min: -3, max: 40 }),
    fc.constantFrom(0.5, 2.5, -1.5, 1e10 + 0.5, 2 ** 31, -0, 100, 1e300),
    fc.boolean(),
  );
  const value = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(undefined));
  const op = fc.oneof(
    { weight: 12, arbitrary: fc.tuple(fc.constant('set'), key, value) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('len')) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('get'), key) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('push'), fc.integer({ min: 1, max: 9 })) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('travdel'), fc.integer({ min: 1, max: 4 })) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('dump')) },
  );
  const item = fc.oneof(fc.record({ pos: value }), fc.record({ key, value }));
  // Bigger tables, through several rehashes with deleted keys in them.
  const bigKey = fc.oneof(fc.integer({ min: 0, max: 99 }).map((i) => 'k' + i), fc.integer({ min: -5, max: 150 }));
  const bigOp = fc.oneof(
    { weight: 20, arbitrary: fc.tuple(fc.constant('set'), bigKey, value) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('len')) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('travdel'), fc.integer({ min: 1, max: 4 })) },
  );
  const tcase = fc.oneof(
    { weight: 4, arbitrary: fc.record({ items: fc.array(item, { maxLength: 20 }), ops: fc.array(op, { maxLength: 80 }) }) },
    { weight: 1, arbitrary: fc.record({ items: fc.array(item, { maxLength: 60 }), ops: fc.array(bigOp, { maxLength: 400 }) }) },
  );
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  const cases = fc.sample(tcase, { numRuns: Number(process.env.FC_RUNS ?? 3000), seed });
  try {
    compare(cases);
  } catch (e) {
    e.message = `seed ${seed} (rerun with FC_SEED=${seed}): ${e.message}`;
    throw e;
  }
});

// ---------------------------------------------------------------- behaviour of its own

test('fb2intRound rounds as NEWTABLE operands do', () => {
  const expected = { 0: 0, 1: 1, 7: 7, 8: 8, 15: 15, 16: 16, 17: 18, 18: 18, 19: 20, 20: 20, 31: 32, 33: 36, 50: 52, 100: 104, 1000: 1024 };
  for (const [n, r] of Object.entries(expected)) assert.equal(fb2intRound(Number(n)), r, `n=${n}`);
});

test("next raises invalid key to 'next' for a key not in the table", () => {
  const t = new LuaTable();
  t.set('a', 1);
  where.pos = 'user_script:3: ';
  assert.throws(
    () => t.next('b'),
    (e) => e instanceof LuaError && e.value === "user_script:3: invalid key to 'next'",
  );
  assert.deepEqual(t.next('a'), undefined);
  t.set('a', undefined);
  assert.equal(t.next('a'), undefined, 'a deleted key can still be continued from');
  where.pos = '';
});

test('tables and functions as keys, and position-based iteration', () => {
  const t = new LuaTable();
  const keys = Array.from({ length: 50 }, (_, i) => (i % 2 ? new LuaTable() : () => [i]));
  keys.forEach((k, i) => t.set(k, i));
  keys.forEach((k, i) => assert.equal(t.get(k), i));
  const seen = new Set();
  for (let p = t.nextIndex(-1); p >= 0; p = t.nextIndex(p)) {
    seen.add(t.keyAt(p));
    assert.equal(t.valueAt(p), keys.indexOf(t.keyAt(p)));
    assert.equal(t.findIndex(t.keyAt(p)), p);
  }
  assert.equal(seen.size, 50);
  assert.equal(t.findIndex(undefined), -1);
});

test('integral floats and integers are one key; -0 is 0', () => {
  const t = new LuaTable();
  t.set(2.0, 'two');
  assert.equal(t.getInt(2), 'two');
  t.set(-0, 'zero');
  assert.equal(t.get(0), 'zero');
  t.set(1e9, 'big');
  assert.equal(t.getInt(1e9), 'big');
  assert.equal(t.get(1e9 + 0.5), undefined);
});
