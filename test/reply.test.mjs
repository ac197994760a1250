// The reply buffer, which encodes the common replies straight into bytes, against the
// string encoder that serves the rare ones: both must give the same RESP for any reply.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyBuffer, encode } from '../dist/protocol/reply.js';

const integers = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  fc.constantFrom(0, -0, 9, 10, -10, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 2 ** 63),
);
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const replies = fc.letrec((tie) => ({
  reply: fc.oneof({ depthSize: 'small' }, integers, latin1, fc.constant(null), fc.array(tie('reply'), { maxLength: 5 })),
})).reply;

describe('reply buffer', () => {
  it('encodes integers, strings, nils and nested arrays as the string encoder does, in RESP2 and RESP3', () => {
    fc.assert(
      fc.property(fc.array(replies, { maxLength: 6 }), fc.boolean(), (batch, resp3) => {
        const buffer = new ReplyBuffer();
        let expected = '';
        for (const reply of batch) {
          buffer.write(reply, resp3);
          expected = encode(reply, resp3, expected);
        }
        assert.equal(buffer.pending().toString('latin1'), expected);
      }),
      { numRuns: 2000 },
    );
  });
});
