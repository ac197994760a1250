/**
 * The memory estimate behind used_memory, maxmemory and MEMORY USAGE: what a
 * key and its value cost in V8's heap, from counts and lengths kept up to
 * date by every write, so the total is never found by walking the keyspace.
 * The constants are V8's layouts on a 64-bit build (pointer compression off).
 */

/** A latin1 string object: map, hash and length (12 bytes) plus its characters, in 8-byte words. */
export const stringBytes = (length: number): number => (length + 19) & ~7;

/** One entry of a Map: key, value and chain slots, plus its share of the buckets. */
export const MAP_ENTRY = 32;

/** One entry of a Set: key and chain slots, plus its share of the buckets. */
export const SET_ENTRY = 24;

/** A Buffer object over its own backing store, beside the bytes. */
export const BUFFER_OBJECT = 96;

/** One element slot of a JS array. */
export const ARRAY_SLOT = 8;

/** A string's cost beyond its characters, on average over the rounding to 8 bytes. */
export const STRING_OVERHEAD = 16;

/** A collection object with its empty structures. */
export const COLLECTION_BASE = 128;

/** A key's entry in the expires map: the entry and the time (a heap number). */
export const EXPIRE_ENTRY = MAP_ENTRY + 16;

/** The server's memory before any data: what used_memory reports for an empty dataset. */
export const BASELINE_BYTES = 1024 * 1024;
