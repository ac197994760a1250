// The request reader on its own: a whole command inside one read takes a fast
// path, a command spread over reads goes through the checking state machine
// and redis-parser. Both must agree on every input, valid or not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestReader } from '../dist/protocol/request.js';

const limits = { protoMaxBulkLen: 512 * 1024 * 1024, clientQueryBufferLimit: 1024 * 1024 * 1024, authRequired: false };

/** Feeds `bytes` in pieces of `step` bytes (all at once for 0); returns the commands and the outcome. */
function read(bytes, step, readerLimits = limits) {
  const commands = [];
  const reader = new RequestReader(readerLimits, (batch) => commands.push(...batch));
  const buffer = Buffer.from(bytes, 'latin1');
  const size = step === 0 ? buffer.length : step;
  let outcome = null;
  for (let i = 0; i < buffer.length && outcome === null; i += size) outcome = reader.feed(buffer.subarray(i, i + size));
  return { commands, outcome };
}

const resp = (...args) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

describe('request reader', () => {
  it('keeps nothing of a read: a command split across reads survives its buffer being overwritten, as the shared read buffer is', () => {
    const bytes = Buffer.from(resp('SET', 'key', 'v'.repeat(100)) + resp('GET', 'key'), 'latin1');
    const commands = [];
    const reader = new RequestReader(limits, (batch) => commands.push(...batch));
    const shared = Buffer.alloc(bytes.length);
    for (const [from, to] of [[0, 7], [7, 30], [30, bytes.length]]) {
      bytes.copy(shared, 0, from, to);
      assert.equal(reader.feed(shared.subarray(0, to - from)), null);
      shared.fill('#');
    }
    assert.deepEqual(commands, [['SET', 'key', 'v'.repeat(100)], ['GET', 'key']]);
  });

  it('refuses a multibulk count beyond 2^31 - 1 arriving whole, and waits on a huge one that may still come', () => {
    assert.deepEqual(read('*4294967296\r\n$4\r\nPING\r\n', 0).outcome, { protocolError: 'Protocol error: invalid multibulk length' });
    assert.deepEqual(read('*2147483647\r\n$4\r\nPING\r\n', 0), { commands: [], outcome: null });
  });

  it('hands over the commands of a read together, those before a protocol error included', () => {
    const batches = [];
    const reader = new RequestReader(limits, (batch) => batches.push([...batch]));
    assert.equal(reader.feed(Buffer.from(resp('PING') + resp('ECHO', 'a'), 'latin1')), null);
    assert.deepEqual(reader.feed(Buffer.from(resp('PING') + '*1\r\n$x\r\n', 'latin1')), { protocolError: 'Protocol error: invalid bulk length' });
    assert.deepEqual(batches, [[['PING'], ['ECHO', 'a']], [['PING']]]);
  });

  it('gives back short arguments byte for byte, however often they repeat or share a slot of the table of recent ones', () => {
    const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
    // Few distinct bytes, so that repeats and arguments differing only by leading zero bytes are common.
    const short = fc.oneof(fc.string({ unit: byte, minLength: 1, maxLength: 9 }), fc.string({ unit: fc.constantFrom('\0', 'a'), minLength: 1, maxLength: 9 }));
    fc.assert(
      fc.property(fc.array(fc.array(short, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 }), (commands) => {
        for (let round = 0; round < 2; round++) assert.deepEqual(read(commands.map((args) => resp(...args)).join(''), 0).commands, commands);
      }),
      { numRuns: 500 },
    );
    // 5000 distinct arguments fill every slot many times over, and share their last four bytes: each comes back as itself.
    const distinct = Array.from({ length: 5000 }, (_, i) => [`${String(i).padStart(4, '0')}abcd`]);
    for (let round = 0; round < 2; round++) assert.deepEqual(read(distinct.map((args) => resp(...args)).join(''), 0).commands, distinct);
  });

  it('reads whole and byte-by-byte input alike, errors included', () => {
    const fragments = ['*', '$', '\r\n', '\r', '-1', '0', '01', '1', '2', '3', '12', '-', 'PING', 'x', ' ', '"', '\0'];
    const piece = fc.oneof(
      fc.constantFrom(...fragments),
      fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 3 }).map((args) => resp(...args)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }).map((parts) => parts.join('')), fc.integer({ min: 1, max: 7 }), (bytes, step) => {
        assert.deepEqual(read(bytes, 0), read(bytes, step));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the arguments of pipelined commands as latin1 strings, any bytes', () => {
    const arg = fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a).toString('latin1'));
    fc.assert(
      fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (commands) => {
        const { commands: got, outcome } = read(commands.map((c) => resp(...c)).join(''), 0);
        assert.equal(outcome, null);
        assert.deepEqual(got, commands);
      }),
    );
  });

  it('applies the size limits to a command that arrives whole', () => {
    const small = { ...limits, protoMaxBulkLen: 4 };
    assert.deepEqual(read(resp('GET', 'abcde'), 0, small).outcome, { protocolError: 'Protocol error: invalid bulk length' });
    assert.deepEqual(read(resp('GET', 'abcd'), 0, small).commands, [['GET', 'abcd']]);
    const unauthenticated = { ...limits, authRequired: true };
    const many = resp(...Array.from({ length: 11 }, () => 'a'));
    assert.deepEqual(read(many, 0, unauthenticated).outcome, { protocolError: 'Protocol error: unauthenticated multibulk length' });
    assert.deepEqual(read(resp('SET', 'k', 'v'.repeat(16385)), 0, unauthenticated).outcome, {
      protocolError: 'Protocol error: unauthenticated bulk length',
    });
  });
});
