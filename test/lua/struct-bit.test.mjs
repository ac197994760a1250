// struct and bit, against the libraries of a real redis-server 7.0.15: the
// same calls run in a script there and on our functions here, and the
// results (bytes, numbers, error messages) are compared exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import Redis from 'ioredis';
import { freePort, waitForPort } from '../helpers.mjs';
import { createStructLib } from '../../dist/scripting/lua/lib/struct.js';
import { createBitLib } from '../../dist/scripting/lua/lib/bit.js';
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

const PRELUDE = `
local INF, NINF, NAN, NZ = 1/0, -1/0, 0/0, -tonumber('0')
local function D(v)
  local ty = type(v)
  if ty == 'nil' then return 'N'
  elseif ty == 'boolean' then return v and 'T' or 'F'
  elseif ty == 'number' then return 'n' .. string.format('%.17g', v) .. ';'
  elseif ty == 'string' then return 's' .. #v .. ':' .. v
  else return '?' .. ty end
end
local function DA(...) local parts = {} for i = 1, select('#', ...) do parts[i] = D((select(i, ...))) end return table.concat(parts, '|') end
local function PD(ok, ...) if ok then return 'OK' .. DA(...) else return 'ER' .. tostring((...)) end end
`;

const TABLE = { table: true };

function luaString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 32 ? s[i] : '\\' + String(c).padStart(3, '0');
  }
  return out + '"';
}

function luaSource(v) {
  if (v === undefined) return 'nil';
  if (v === TABLE) return '{}';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return luaString(v);
  if (v !== v) return 'NAN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return 'NINF';
  if (v === 0 && 1 / v < 0) return 'NZ';
  return `(${Number.isInteger(v) && Math.abs(v) < 2 ** 53 ? String(v) : v.toPrecision(17)})`;
}

/** The NaN that Lua source `0/0` makes on x86: sign bit set, which glibc prints as "-nan". */
const LUA_NAN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0];

function toLua(v) {
  if (v !== v) return LUA_NAN;
  return v === TABLE ? new LuaTable(0, 0) : v;
}

function dumpValue(v) {
  if (v === undefined) return 'N';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'number') return `n${v};`;
  return '?' + typeof v;
}

/** A number of Redis's dump ("%.17g") as our dumpValue prints it. */
function normalizeNumber(text) {
  const v = text === 'nan' || text === '-nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
  return `n${Object.is(v, -0) ? '-0' : v};`;
}

/**
 * Redis's dump with its numbers re-read, so both sides print them the same
 * way. The values are walked one by one: a string's bytes (length-prefixed)
 * may look like a number.
 */
function normalizeDump(s) {
  if (!s.startsWith('OK')) return s.replace(/^(ER)user_script:\d+: /, '$1user_script:L: ');
  let out = 'OK';
  let at = 2;
  while (at < s.length) {
    if (s[at] === '|') out += s[at++];
    if (s[at] === 's') {
      const colon = s.indexOf(':', at);
      const end = colon + 1 + Number(s.slice(at + 1, colon));
      out += s.slice(at, end);
      at = end;
    } else if (s[at] === 'n') {
      const end = s.indexOf(';', at);
      out += normalizeNumber(s.slice(at + 1, end));
      at = end + 1;
    } else {
      const end = s.indexOf('|', at);
      out += s.slice(at, end < 0 ? s.length : end);
      at = end < 0 ? s.length : end;
    }
  }
  return out;
}

function oursDump(f, args) {
  where.pos = 'user_script:1: ';
  try {
    const results = f(...args.map(toLua));
    return 'OK' + results.map((v) => (Object.is(v, -0) ? 'n-0;' : dumpValue(v))).join('|');
  } catch (e) {
    if (e instanceof LuaError) return normalizeDump('ER' + e.value);
    throw e;
  } finally {
    where.pos = '';
  }
}

async function theirsDump(expr) {
  const reply = await redis.callBuffer('EVAL', `${PRELUDE} return PD(pcall(function() return ${expr} end))`, '0');
  return normalizeDump(reply.toString('latin1'));
}

async function compare(lib, libName, fname, args) {
  const expr = `${libName}.${fname}(${args.map(luaSource).join(', ')})`;
  const theirs = await theirsDump(expr);
  const mine = oursDump(lib.get(fname), args);
  assert.equal(mine, theirs, expr.slice(0, 400));
}

const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -40, max: 40 }),
  fc.constantFrom(0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 51, 2 ** 52, 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63), -(2 ** 64), 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e300, -0, NaN, Infinity, -Infinity),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number),
  fc.double(),
);

// ---------------------------------------------------------------------------
// bit

const bit = createBitLib();

const bitArg = fc.oneof(
  { weight: 8, arbitrary: number },
  { weight: 1, arbitrary: fc.constantFrom('12', ' 0x10 ', '1e3', '-7', 'abc', '', undefined, true, TABLE) },
);

test('bit: every function on random arguments (fast-check)', async () => {
  for (const fname of ['tobit', 'bnot', 'bswap']) {
    await fc.assert(
      fc.asyncProperty(bitArg, async (a) => {
        await compare(bit, 'bit', fname, [a]);
      }),
      { numRuns: 80 },
    );
  }
  for (const fname of ['band', 'bor', 'bxor']) {
    await fc.assert(
      fc.asyncProperty(fc.array(bitArg, { minLength: 0, maxLength: 5 }), async (args) => {
        await compare(bit, 'bit', fname, args);
      }),
      { numRuns: 80 },
    );
  }
  for (const fname of ['lshift', 'rshift', 'arshift', 'rol', 'ror']) {
    await fc.assert(
      fc.asyncProperty(bitArg, fc.oneof(fc.integer({ min: -40, max: 70 }), bitArg), async (a, n) => {
        await compare(bit, 'bit', fname, [a, n]);
      }),
      { numRuns: 80 },
    );
  }
  await fc.assert(
    fc.asyncProperty(bitArg, fc.option(fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom(2 ** 32 - 3, 2 ** 32 + 4, 'x', '5', undefined)), { nil: 'none' }), async (a, n) => {
      await compare(bit, 'bit', 'tohex', n === 'none' ? [a] : [a, n]);
    }),
    { numRuns: 150 },
  );
});

test('bit: fixed cases', async () => {
  const cases = [
    ['tobit', [0xffffffff]], ['tobit', [2 ** 32 + 1]], ['tobit', [-1]], ['tobit', [0.5]], ['tobit', [1.5]], ['tobit', [2 ** 52 + 0.5]], ['tobit', []],
    ['tohex', [1]], ['tohex', [-1]], ['tohex', [0x12345678, -8]], ['tohex', [0x12345678, 4]], ['tohex', [0x12345678, 0]], ['tohex', [0x12345678, 20]],
    ['tohex', [255, -2]], ['tohex', [1, undefined]], ['band', []], ['band', [1]], ['bor', [1, 2, 4, 8]], ['bxor', [1, TABLE, 'x']],
    ['lshift', [1, 31]], ['lshift', [1, 32]], ['rshift', [-1, 1]], ['arshift', [-256, 4]], ['rol', [0x80000001, 1]], ['ror', [1, 0]], ['bswap', [0x12345678]],
  ];
  for (const [fname, args] of cases) await compare(bit, 'bit', fname, args);
  const names = (await redis.eval('local o = {} for k in pairs(bit) do o[#o + 1] = k end table.sort(o) return table.concat(o, " ")', 0)).split(' ');
  const ours = [];
  for (let e = bit.next(undefined); e !== undefined; e = bit.next(e[0])) ours.push(e[0]);
  assert.deepStrictEqual(ours.sort(), names);
});

// ---------------------------------------------------------------------------
// struct

const struct = createStructLib();

const INT_OPTS = ['b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'i1', 'I2', 'i3', 'I5', 'i7', 'I8', 'i9', 'I12', 'i16', 'I32', 'i0'];
const formatItem = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...INT_OPTS) },
  { weight: 2, arbitrary: fc.constantFrom('f', 'd') },
  { weight: 2, arbitrary: fc.constantFrom('c1', 'c3', 'c0', 's', 'x') },
  { weight: 2, arbitrary: fc.constantFrom('<', '>', '!', '!1', '!2', '!4', '!8', '!16', ' ') },
  { weight: 1, arbitrary: fc.constantFrom('!3', 'i33', 'z', '5', 'c', 'i99999999999', '\x00i', '\xe9') },
);
const format = fc.array(formatItem, { maxLength: 6 }).map((items) => items.join(''));

/** Arguments suited to a format's items (with now and then a wrong one). */
function argsFor(fmt) {
  const items = fmt.match(/[a-zA-Z][0-9]*/g) ?? [];
  return fc.tuple(
    ...items.map((item) => {
      if (/^[cs]/.test(item)) return fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 6 }).map((s) => s.replace(/[^\x00-\xff]/g, '?')) }, { weight: 1, arbitrary: number });
      return fc.oneof({ weight: 8, arbitrary: number }, { weight: 1, arbitrary: fc.constantFrom('12', 'x', undefined, TABLE) });
    }),
  );
}

test('struct.pack: random formats and values (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(format.chain((fmt) => fc.tuple(fc.constant(fmt), argsFor(fmt))), async ([fmt, args]) => {
      await compare(struct, 'struct', 'pack', [fmt, ...args]);
    }),
    { numRuns: 400 },
  );
});

test('struct.unpack: random formats, data and offsets (fast-check)', async () => {
  const data = fc.uint8Array({ maxLength: 48 }).map((a) => String.fromCharCode(...a));
  await fc.assert(
    fc.asyncProperty(format, data, fc.option(fc.oneof(fc.integer({ min: -3, max: 50 }), fc.constantFrom(1.5, 'x', 2 ** 64)), { nil: 'none' }), async (fmt, bytes, offset) => {
      await compare(struct, 'struct', 'unpack', offset === 'none' ? [fmt, bytes] : [fmt, bytes, offset]);
    }),
    { numRuns: 400 },
  );
  // What pack produced, read back.
  await fc.assert(
    fc.asyncProperty(format.chain((fmt) => fc.tuple(fc.constant(fmt), argsFor(fmt))), async ([fmt, args]) => {
      const packed = oursDump(struct.get('pack'), [fmt, ...args]);
      if (!packed.startsWith('OKs')) return;
      const bytes = struct.get('pack')(fmt, ...args.map(toLua))[0];
      await compare(struct, 'struct', 'unpack', [fmt, bytes]);
    }),
    { numRuns: 200 },
  );
});

test('struct.size and fixed cases', async () => {
  await fc.assert(
    fc.asyncProperty(format, async (fmt) => {
      await compare(struct, 'struct', 'size', [fmt]);
    }),
    { numRuns: 200 },
  );
  const cases = [
    ['pack', []], ['pack', ['>L', NaN]], ['pack', ['>L', 2 ** 64]], ['pack', ['>L', 2 ** 63]], ['pack', ['>l', -(2 ** 64)]], ['pack', ['<i16', -1]],
    ['pack', ['>I16', 2 ** 63 + 2 ** 12]], ['pack', ['c5', 'ab']], ['pack', ['s', 'a\x00b']], ['pack', ['!4 b i', 1, 2]], ['pack', ['!8 b d', 1, 2.5]],
    ['pack', ['>d', NaN]], ['pack', ['<f', 1e40]], ['pack', ['>f', -0]], ['pack', ['i', 1.9]], ['pack', ['i', -1.9]],
    ['unpack', ['i', '\x01\x00\x00\x00', 0]], ['unpack', ['', 'abc', -5]], ['unpack', ['!8 b d', '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x40', 1]],
    ['unpack', ['!8d', '\x00\x00\x00\x00\x00\x00\xf0\x3f', -1]], ['unpack', ['b c0', '\x03abcd']], ['unpack', ['c0', 'abc']], ['unpack', ['c1 c0', '2abc']],
    ['unpack', ['s', 'abc']], ['unpack', ['s s', 'ab\x00cd\x00']], ['unpack', ['>i9', '\xff'.repeat(9)]], ['unpack', ['<I9', '\x01' + '\x00'.repeat(8)]],
    ['unpack', ['>I32', '\x80' + '\x00'.repeat(31)]], ['unpack', ['<i32', '\x00'.repeat(31) + '\x80']], ['unpack', ['i0', 'x']], ['unpack', ['>L', '\xff'.repeat(8)]],
    ['unpack', ['<l', '\xff'.repeat(8)]], ['unpack', ['d', '\x00\x00\x00\x00\x00\x00\xf8\xff']], ['unpack', ['x', '']], ['unpack', ['i', 'abc']],
    ['unpack', ['b', 'abc', 4]], ['unpack', ['', 'abc', 4]], ['unpack', ['', 'abc', 5]], ['unpack', ['b', 'a', undefined]],
    ['size', ['s']], ['size', ['c0']], ['size', ['!8 b d']], ['size', ['z']], ['size', ['!']], ['size', ['?']],
  ];
  for (const [fname, args] of cases) await compare(struct, 'struct', fname, args);
  // Many results: the C stack check.
  for (const n of [3990, 3997, 3998, 3999, 4000, 5000]) {
    const fmt = 'b'.repeat(n);
    const expr = `struct.unpack(string.rep('b', ${n}), string.rep('a', ${n}))`;
    const reply = await redis.callBuffer('EVAL', `${PRELUDE} local r = {pcall(function() return ${expr} end)} if r[1] then return 'OK' .. #r else return 'ER' .. r[2] end`, '0');
    let mine;
    where.pos = 'user_script:1: ';
    try {
      mine = 'OK' + (struct.get('unpack')(fmt, 'a'.repeat(n)).length + 1);
    } catch (e) {
      mine = 'ER' + e.value;
    } finally {
      where.pos = '';
    }
    assert.equal(normalizeDump(mine), normalizeDump(reply.toString('latin1')), `unpack of ${n} items`);
  }
});
