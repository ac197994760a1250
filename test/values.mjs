// fast-check generators of stored values of every type (the store's own
// classes from dist/), shared by the DUMP/RESTORE and snapshot property tests.
import fc from 'fast-check';
import { ListValue } from '../dist/store/list.js';
import { SetValue } from '../dist/store/set.js';
import { ZSetValue } from '../dist/store/zset.js';
import { HashValue } from '../dist/store/hash.js';

/** The encoding limits of a default configuration, as loading values needs them. */
export const LIMITS = {
  hashMaxListpackEntries: 128, hashMaxListpackValue: 64, setMaxIntsetEntries: 512, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64,
};

/** Any bytes, as the latin1 strings the store keeps. */
export const bytes = fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a).toString('latin1'));

const member = fc.oneof(bytes, fc.integer({ min: -1e9, max: 1e9 }).map(String));

/** A string, list, set, sorted set or hash value. */
export const storedValue = fc.oneof(
  bytes,
  fc.array(member, { minLength: 1, maxLength: 20 }).map((items) => new ListValue(items)),
  fc.uniqueArray(member, { minLength: 1, maxLength: 20 }).map((items) => SetValue.of(items, LIMITS.setMaxIntsetEntries)),
  fc.uniqueArray(fc.tuple(member, fc.double({ noNaN: true })), { minLength: 1, maxLength: 20, selector: ([m]) => m })
    .map((entries) => ZSetValue.fromEntries(LIMITS, entries)),
  fc.uniqueArray(fc.tuple(member, bytes), { minLength: 1, maxLength: 20, selector: ([f]) => f }).map((entries) => {
    const hash = new HashValue();
    for (const [f, v] of entries) hash.set(f, v, { maxEntries: LIMITS.hashMaxListpackEntries, maxValue: LIMITS.hashMaxListpackValue });
    return hash;
  }),
);

/** A value in a form equal for equal contents. */
export const canonical = (v) => (typeof v === 'string' ? v : v.canonical());
