// LOLWUT compared with a real redis-server 7.0.15: byte for byte wherever
// Redis's output does not depend on its clock-seeded rand() (the version
// line, argument errors, version numbers wrapping at 2^32, Schotter with at
// most two rows of squares, which stand straight), and by its geometry where
// it does (the disordered rows, the skyline).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HAVE_REDIS, replyConnection, startRedis, startServer } from './helpers.mjs';

let mine;
let reference;
let ours;
let redis;

before(async () => {
  mine = await startServer(['--save', '']);
  ours = await replyConnection(mine.port);
  if (HAVE_REDIS) {
    reference = await startRedis();
    redis = reference.conn;
  }
});

after(async () => {
  ours?.close();
  reference?.stop();
  await mine?.stop();
});

async function same(...args) {
  const reply = await ours.command(...args);
  if (redis) assert.equal(reply, await redis.command(...args), args.join(' '));
  return reply;
}

/** The text of a RESP2 bulk reply. */
const bulkText = (reply) => reply.slice(reply.indexOf('\r\n') + 2, -2);

test('the version line, argument errors and version numbers are the same bytes as redis-server', async () => {
  assert.equal(bulkText(await same('LOLWUT')), 'Redis ver. 7.0.15\n');
  for (const args of [
    ['VERSION'], ['5'], ['VERSION', '7'], ['version', '4'], ['VERSION', '59'], ['VERSION', '-1'], ['VERSION', '0'],
    ['VERSION', 'x'], ['VERSION', '5.0'], ['VERSION', '99999999999999999999'], ['VERSION', '5', 'x'], ['VERSION', '5', '10', 'x'],
    ['VERSION', '5', '10', '4', 'x'], ['VERSION', '6', 'x'], ['VERSION', '6', '10', 'x'], ['VERSION', '7', 'x'],
    // 2^32 + 5 is 5 to Redis's unsigned int.
    ['VERSION', '4294967301', '10', '3', '2'], ['VERSION', '5', '0', '0', '0'], ['VERSION', '5', '-3', '-3', '-3'],
    ['VERSION', '5', '3', '1', '1', 'extra'], ['VERSION', '5', '1', '1', '1'], ['VERSION', '5', '2', '1', '1'],
  ]) {
    await same('LOLWUT', ...args);
  }
});

test('RESP3: a verbatim txt string', async () => {
  const protocol = (version) => Promise.all([ours, redis].filter(Boolean).map((c) => c.command('HELLO', version)));
  await protocol('3');
  try {
    assert.equal(await same('LOLWUT'), '=22\r\ntxt:Redis ver. 7.0.15\n\r\n');
    await same('LOLWUT', 'VERSION', '5', '10', '3', '2');
  } finally {
    await protocol('2');
  }
});

test('Schotter with its straight rows only: the same bytes for any size (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: -5, max: 1010 }),
      fc.integer({ min: -2, max: 205 }),
      fc.integer({ min: -1, max: 2 }),
      async (columns, perRow, perCol) => {
        const reply = await same('LOLWUT', 'VERSION', '5', String(columns), String(perRow), String(perCol));
        assert.ok(bulkText(reply).endsWith('\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n'));
      },
    ),
    { numRuns: 150 },
  );
  // The defaults (66 columns, 8 per row) with two rows.
  await same('LOLWUT', 'VERSION', '5', '66', '8', '2');
});

/** Braille rows of a Schotter reply, without the trailer. */
const schotterRows = (reply) => Buffer.from(bulkText(reply), 'latin1').toString('utf8').split('\n').slice(0, -2);

test('Schotter in disorder: the canvas of redis-server, braille only, and the first row the same', async (t) => {
  if (!redis) return t.skip('redis-server is not installed');
  for (const args of [[], ['66', '8', '12'], ['40', '6', '6'], ['100', '20', '30'], ['7', '3', '200']]) {
    const mineRows = schotterRows(await ours.command('LOLWUT', 'VERSION', '5', ...args));
    const redisRows = schotterRows(await redis.command('LOLWUT', 'VERSION', '5', ...args));
    assert.equal(mineRows.length, redisRows.length, args.join(' '));
    for (const row of mineRows) assert.match(row, /^[\u2800-\u28ff]*$/u);
    assert.deepEqual(mineRows.map((r) => [...r].length), redisRows.map((r) => [...r].length));
    // The squares that turn and move, from the third row on, stay clear of the first four pixel rows.
    assert.equal(mineRows[0], redisRows[0]);
  }
});

const CELL = /\x1b\[(0;30;40m|0;90;100m|0;37;47m|0;97;107m) \x1b\[0m/g;
const WHITE = '\x1b[0;97;107m \x1b[0m';

/** The skyline's rows of cells, checked to hold only the four grays, and its trailer. */
function skyline(reply) {
  const text = bulkText(reply);
  const lines = text.split('\n');
  const trailer = lines.splice(-3);
  const rows = lines.map((line) => {
    assert.equal(line.replace(CELL, ''), '', 'only the four gray cells');
    return line.match(CELL) ?? [];
  });
  return { rows, trailer };
}

test('the skyline: size, the four grays, an empty sky and the trailer, as redis-server draws it', async (t) => {
  for (const [args, columns, height] of [[[], 80, 20], [['30', '10'], 30, 10], [['1', '1'], 1, 1], [['0', '-4'], 1, 1], [['1200', '3'], 1000, 3], [['5', '1001'], 5, 1000]]) {
    const replies = [await ours.command('LOLWUT', 'VERSION', '6', ...args)];
    if (redis) replies.push(await redis.command('LOLWUT', 'VERSION', '6', ...args));
    for (const reply of replies) {
      const { rows, trailer } = skyline(reply);
      assert.equal(rows.length, height);
      for (const row of rows) assert.equal(row.length, columns);
      // No building reaches the top row.
      if (height > 1) assert.ok(rows[0].every((cell) => cell === WHITE));
      assert.deepEqual(trailer, [
        'Dedicated to the 8 bit game developers of past and present.',
        'Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15',
        '',
      ]);
    }
    if (!redis) t.diagnostic('redis-server is not installed: only our skyline was checked');
  }
});

test('COMMAND INFO lolwut is redis-server\'s', async () => {
  await same('COMMAND', 'INFO', 'lolwut');
});
