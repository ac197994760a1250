// Pending entries lists large enough to span many chunks (128 IDs each),
// with runs of thousands of IDs in one millisecond (their order keys tie, so
// the IDs themselves decide): random XACK, XCLAIM, XPENDING and XREADGROUP
// history reads, every reply compared byte for byte with a redis-server
// 7.0.15 started here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HAVE_REDIS, useReplyPair } from './helpers.mjs';

const pair = useReplyPair();

/** An extended XPENDING's idle times differ by the servers' timing. */
const comparable = (reply) => reply.replace(/(\r\n\$2\r\nc[12]\r\n):\d+\r\n/g, '$1:IDLE\r\n');

async function both(...args) {
  const mineReply = await pair.a.command(...args);
  assert.equal(comparable(mineReply), comparable(await pair.b.command(...args)), args.join(' '));
  return mineReply;
}

/** IDs: 5000 in millisecond 7 (sequences past 4095 tie on order key), then 1000 one per millisecond. */
const ids = [...Array.from({ length: 5000 }, (_, i) => `7-${i}`), ...Array.from({ length: 1000 }, (_, i) => `${100 + i}-0`)];
const pick = fc.nat({ max: ids.length - 1 }).map((i) => ids[i]);

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('ack'), picks: fc.array(pick, { minLength: 1, maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('claim'), to: fc.constantFrom('c1', 'c2'), picks: fc.array(pick, { minLength: 1, maxLength: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('pending'), from: pick, count: fc.integer({ min: 1, max: 300 }), consumer: fc.constantFrom('', 'c1', 'c2') }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('history'), consumer: fc.constantFrom('c1', 'c2'), from: pick, count: fc.integer({ min: 1, max: 200 }) }) },
);

test('XACK, XCLAIM, XPENDING and history reads over a PEL of 6000 IDs: replies as redis-server', { skip: !HAVE_REDIS }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
      await both('DEL', 's');
      for (let i = 0; i < ids.length; i += 500) {
        const script = "for i = 1, #ARGV do redis.call('XADD', KEYS[1], ARGV[i], 'f', i) end";
        await both('EVAL', script, '1', 's', ...ids.slice(i, i + 500));
      }
      await both('XGROUP', 'CREATE', 's', 'g', '0');
      // Half to each consumer, interleaved, so both PELs span many chunks.
      for (let i = 0; i < ids.length / 100; i++) await both('XREADGROUP', 'GROUP', 'g', i % 2 ? 'c2' : 'c1', 'COUNT', '100', 'STREAMS', 's', '>');
      for (const o of ops) {
        if (o.t === 'ack') await both('XACK', 's', 'g', ...o.picks);
        else if (o.t === 'claim') await both('XCLAIM', 's', 'g', o.to, '0', ...o.picks, 'JUSTID');
        else if (o.t === 'pending') await both('XPENDING', 's', 'g', o.from, '+', String(o.count), ...(o.consumer ? [o.consumer] : []));
        else await both('XREADGROUP', 'GROUP', 'g', o.consumer, 'COUNT', String(o.count), 'STREAMS', 's', o.from);
        await both('XPENDING', 's', 'g');
      }
    }),
    { numRuns: 15 },
  );
});
