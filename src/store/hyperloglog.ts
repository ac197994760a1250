/**
 * HyperLogLog sketches in Redis's exact byte format, held in plain string
 * values: a 16-byte header (`HYLL`, an encoding byte, three unused bytes,
 * the cached cardinality as 8 little-endian bytes whose top bit marks it
 * stale), then either the sparse run-length opcodes or 16384 dense 6-bit
 * registers packed from the low bits up. A key's bytes after any sequence of
 * commands must equal Redis's, so the sparse edits (how opcodes split and
 * merge) and the promotion to dense follow Redis's rules step by step.
 *
 * The string stays the value; a sketch is a mutable byte copy of it. Copying
 * 12 KB back and forth for every PFADD would dominate the command, so the
 * last few sketches are remembered by the string they were made from (or
 * produced): a command working on the same unchanged value finds its sketch
 * again, and any other write to the key stores a different string, which
 * simply misses.
 */

/** Registers: 2^14, indexed by the low 14 bits of the hash. */
const P = 14;
export const REGISTERS = 1 << P;
/** Bits of the hash left for the run of zeros, whose length + 1 a register keeps (at most Q + 1). */
const Q = 64 - P;
const HEADER = 16;
const DENSE = 0;
const SPARSE = 1;
export const DENSE_SIZE = HEADER + (REGISTERS * 6) / 8;
/** Byte 15 is the cardinality's most significant byte; its top bit says the cached value is stale. */
const STALE_BYTE = 15;
const STALE_BIT = 0x80;

/* Sparse opcodes: ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx yyyyyyyy (1-16384),
 * VAL 1vvvvvxx (1-4 registers of value 1-32). */
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const valOp = (value: number, len: number): number => 0x80 | ((value - 1) << 2) | (len - 1);
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 3) + 1;

const ALPHA_INF = 0.721347520444481703680;
const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;

// ---------------------------------------------------------------------------
// MurmurHash64A, seed 0xadc83b19, in 32-bit halves (no BigInt on the hot path).

const SEED = 0xadc83b19;
const M_LO = 0x5bd1e995;
const M_HI = 0xc6a4a793;
/*
 * The running hash (H_LO, H_HI), the last product (P_LO, P_HI) and the
 * pattern found (INDEX, COUNT). Numbers past 2^30 kept in plain variables
 * would be boxed on every store; a typed array holds them unboxed.
 */
const H_LO = 0;
const H_HI = 1;
const P_LO = 2;
const P_HI = 3;
const INDEX = 4;
const COUNT = 5;
const state = new Uint32Array(6);

/** (hi:lo) × 0xc6a4a7935bd1e995 mod 2^64 into the product; the low halves' full product is built from 16-bit pieces. */
function mulM(lo: number, hi: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * 0xe995;
  const p01 = a0 * 0x5bd1;
  const p10 = a1 * 0xe995;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  state[P_LO] = (mid << 16) | (p00 & 0xffff);
  state[P_HI] = a1 * 0x5bd1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(hi, M_LO) + Math.imul(lo, M_HI);
}

function hashBegin(length: number): void {
  mulM(length, 0);
  state[H_LO] = state[P_LO] ^ SEED;
  state[H_HI] = state[P_HI];
}

/** Mixes one 8-byte little-endian block. */
function hashBlock(kLo: number, kHi: number): void {
  mulM(kLo, kHi);
  mulM(state[P_LO] ^ (state[P_HI] >>> 15), state[P_HI]);
  mulM(state[H_LO] ^ state[P_LO], state[H_HI] ^ state[P_HI]);
  state[H_LO] = state[P_LO];
  state[H_HI] = state[P_HI];
}

function hashEnd(): void {
  mulM(state[H_LO] ^ (state[H_HI] >>> 15), state[H_HI]);
  state[H_LO] = state[P_LO] ^ (state[P_HI] >>> 15);
  state[H_HI] = state[P_HI];
}

/** MurmurHash64A of a latin1 string's bytes, left in the state. */
function hashString(s: string): void {
  const length = s.length;
  hashBegin(length);
  const blocks = length - (length & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    hashBlock(
      s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24),
      s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24),
    );
  }
  const rest = length & 7;
  if (rest !== 0) {
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < rest; j++) {
      if (j < 4) lo |= s.charCodeAt(i + j) << (8 * j);
      else hi |= s.charCodeAt(i + j) << (8 * (j - 4));
    }
    mulM(state[H_LO] ^ lo, state[H_HI] ^ hi);
    state[H_LO] = state[P_LO];
    state[H_HI] = state[P_HI];
  }
  hashEnd();
}

/** The register index from the hash's low 14 bits; count = 1 + the trailing zeros of the other 50 (bit 50 set so it stops at 51). */
function pattern(): void {
  const lo = state[H_LO];
  const hi = state[H_HI];
  state[INDEX] = lo & (REGISTERS - 1);
  const low = (lo >>> P) | (hi << (32 - P));
  if (low !== 0) {
    state[COUNT] = 32 - Math.clz32(low & -low);
  } else {
    const high = (hi >>> P) | (1 << (Q - 32));
    state[COUNT] = 64 - Math.clz32(high & -high);
  }
}

/** The register and count an element sets, as [index, count] (tests and PFSELFTEST). */
export function patternOf(element: string): [number, number] {
  hashString(element);
  pattern();
  return [state[INDEX], state[COUNT]];
}

// ---------------------------------------------------------------------------
// The estimator: Otmar Ertl's improved raw estimate, "New cardinality
// estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284).

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (previous !== z);
  return z / 3;
}

/**
 * The cardinality from a histogram of register values (64 slots: a dense
 * register can hold up to 63, beyond what any hash produces). Redis rounds
 * with llroundl, which gives LLONG_MIN for what does not fit (a sketch of
 * crafted registers can estimate infinity); that reads back as 2^63.
 */
function estimate(histogram: Int32Array): number {
  const m = REGISTERS;
  let z = m * tau((m - histogram[Q + 1]) / m);
  for (let j = Q; j >= 1; j--) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * sigma(histogram[0] / m);
  const e = Math.round((ALPHA_INF * m * m) / z);
  return e < TWO_63 ? e : TWO_63;
}

/**
 * Registers unpacked to one byte each, the form a union is computed in.
 * Their words are what the loops below work on: four registers at a time.
 */
export class Registers {
  readonly bytes = new Uint8Array(REGISTERS);
  readonly words = new Uint32Array(this.bytes.buffer);
}

/**
 * The cardinality of unpacked registers (a PFCOUNT of several keys merges
 * into these). Four histograms, one per byte of a word, then summed: one
 * histogram would make each increment wait for the previous one whenever
 * neighbouring registers hold the same value, as most do. Measured: half
 * the time of a register-by-register count.
 */
export function registersCardinality(registers: Registers): number {
  const lanes = new Int32Array(256);
  const words = registers.words;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    lanes[w & 63]++;
    lanes[64 + ((w >>> 8) & 63)]++;
    lanes[128 + ((w >>> 16) & 63)]++;
    lanes[192 + (w >>> 24)]++;
  }
  const histogram = new Int32Array(64);
  for (let j = 0; j < 64; j++) histogram[j] = lanes[j] + lanes[64 + j] + lanes[128 + j] + lanes[192 + j];
  return estimate(histogram);
}

/**
 * Raises each byte of `into` to the same byte of `from`, four at a time.
 * Registers are below 64, so in each byte `(x | 0x80) - y` keeps its top
 * bit exactly when x >= y and never borrows from the next byte; that bit,
 * spread over its byte, picks x or y.
 */
function maxWords(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) {
    const x = into[i] | 0;
    const y = from[i] | 0;
    const keep = Math.imul(((((x | 0x80808080) - y) | 0) & 0x80808080) >>> 7, 0xff);
    into[i] = (x & keep) | (y & ~keep);
  }
}

/** A cardinality as the integer reply Redis gives: above 2^53 exactly, and 2^63 as C's cast to long long makes it. */
export function cardinalityReply(card: number): number | bigint {
  if (card <= Number.MAX_SAFE_INTEGER) return card;
  return card >= TWO_63 ? -(1n << 63n) : BigInt(card);
}

// ---------------------------------------------------------------------------
// Validation straight on the string, so the commands need no copy to check a value or read its cache.

/** Whether a string value is an HLL as Redis accepts one: header, a known encoding, the exact dense size. */
export function isHyperLogLog(value: string): boolean {
  if (value.length < HEADER || value.charCodeAt(0) !== 72 || value.charCodeAt(1) !== 89 || value.charCodeAt(2) !== 76 || value.charCodeAt(3) !== 76) {
    return false;
  }
  const encoding = value.charCodeAt(4);
  return encoding === SPARSE || (encoding === DENSE && value.length === DENSE_SIZE);
}

/** The cached cardinality of a valid HLL string, or undefined when it is stale. */
export function cachedCardinality(value: string): number | bigint | undefined {
  if (value.charCodeAt(STALE_BYTE) & STALE_BIT) return undefined;
  let lo = 0;
  let hi = 0;
  for (let i = 3; i >= 0; i--) {
    lo = lo * 256 + value.charCodeAt(8 + i);
    hi = hi * 256 + value.charCodeAt(12 + i);
  }
  return hi < 1 << 21 ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

// ---------------------------------------------------------------------------
// Remembered sketches, by the string each one currently equals.

const RECENT = 4;
const recentValues: string[] = [];
const recentSketches: HyperLogLog[] = [];

function recall(value: string): HyperLogLog | undefined {
  for (let i = 0; i < recentValues.length; i++) if (recentValues[i] === value) return recentSketches[i];
  return undefined;
}

/** Puts the sketch first, now known as `value` (the string it was known as before no longer matches it). */
function remember(value: string, sketch: HyperLogLog): void {
  const i = recentSketches.indexOf(sketch);
  if (i !== -1) {
    recentSketches.splice(i, 1);
    recentValues.splice(i, 1);
  }
  recentSketches.unshift(sketch);
  recentValues.unshift(value);
  if (recentSketches.length > RECENT) {
    recentSketches.pop();
    recentValues.pop();
  }
}

/** Thrown (as INVALIDOBJ by the commands) when a sparse sketch's opcodes do not cover exactly 16384 registers. */
export class CorruptedHyperLogLog extends Error {}

export class HyperLogLog {
  /** The value's bytes, then room to grow a sparse sketch; the byte at `length` plays the sds terminator Redis reads past the end (0, as a fresh value has it). */
  private bytes: Buffer;
  private length: number;
  /** How many dense registers hold each value, kept once computed so that a count after adds costs no scan. */
  private histogram: Int32Array | undefined = undefined;
  /** A dense sketch's registers unpacked, kept once a union needed them (PFCOUNT of several keys repeats), in step with every add. */
  private unpacked: Registers | undefined = undefined;

  private constructor(bytes: Buffer, length: number) {
    this.bytes = bytes;
    this.length = length;
  }

  /** The sketch of a string value, or undefined when the value is not a valid HLL. Mutations must end in toString(). */
  static of(value: string): HyperLogLog | undefined {
    const known = recall(value);
    if (known !== undefined) return known;
    if (!isHyperLogLog(value)) return undefined;
    const bytes = Buffer.alloc(value.length + 4);
    bytes.write(value, 'latin1');
    const sketch = new HyperLogLog(bytes, value.length);
    remember(value, sketch);
    return sketch;
  }

  /** A new sketch: sparse, every register zero (XZERO:16384), cached cardinality 0. */
  static empty(): HyperLogLog {
    const bytes = Buffer.alloc(HEADER + 2 + 4);
    bytes.set([72, 89, 76, 76, SPARSE]);
    bytes[HEADER] = 0x40 | ((SPARSE_XZERO_MAX_LEN - 1) >> 8);
    bytes[HEADER + 1] = (SPARSE_XZERO_MAX_LEN - 1) & 0xff;
    return new HyperLogLog(bytes, HEADER + 2);
  }

  get isDense(): boolean {
    return this.bytes[4] === DENSE;
  }

  /** The value as stored; the sketch is remembered as that string from now on. */
  toString(): string {
    const value = this.bytes.toString('latin1', 0, this.length);
    remember(value, this);
    return value;
  }

  /**
   * Adds an element: 1 when a register grew, 0 when none did. A sparse sketch
   * turns dense when the value does not fit an opcode or the edit would
   * grow it past `sparseMaxBytes`. Throws CorruptedHyperLogLog when it
   * cannot find the register (or convert), having changed nothing.
   */
  add(element: string, sparseMaxBytes: number): 0 | 1 {
    hashString(element);
    pattern();
    return this.set(state[INDEX], state[COUNT], sparseMaxBytes);
  }

  /** Raises register `index` to `count` if it is lower (the edit behind add and PFMERGE). */
  set(index: number, count: number, sparseMaxBytes: number): 0 | 1 {
    if (this.bytes[4] === DENSE) return this.denseSet(index, count);
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  invalidateCardinality(): void {
    this.bytes[STALE_BYTE] |= STALE_BIT;
  }

  /** Stores a freshly computed cardinality in the header (an estimate of 2^63 lands stale, as in Redis). */
  cacheCardinality(card: number): void {
    let lo = card % TWO_32;
    let hi = Math.floor(card / TWO_32);
    for (let i = 0; i < 4; i++) {
      this.bytes[8 + i] = lo & 0xff;
      this.bytes[12 + i] = hi & 0xff;
      lo = Math.floor(lo / 256);
      hi = Math.floor(hi / 256);
    }
  }

  /** The estimated cardinality from the registers (ignoring the cache); throws CorruptedHyperLogLog for a bad sparse sketch. */
  cardinality(): number {
    if (this.bytes[4] === DENSE) return estimate(this.denseHistogram());
    const histogram = new Int32Array(64);
    const b = this.bytes;
    const end = this.length;
    let index = 0;
    for (let p = HEADER; p < end; ) {
      const op = b[p];
      if (isZero(op)) {
        const run = (op & 0x3f) + 1;
        index += run;
        histogram[0] += run;
        p++;
      } else if (isXzero(op)) {
        const run = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        index += run;
        histogram[0] += run;
        p += 2;
      } else {
        const run = valLen(op);
        index += run;
        histogram[valValue(op)] += run;
        p++;
      }
    }
    if (index !== REGISTERS) throw new CorruptedHyperLogLog();
    return estimate(histogram);
  }

  /** Raises each of `max` to this sketch's register; throws CorruptedHyperLogLog for a bad sparse sketch. */
  mergeInto(max: Registers): void {
    if (this.bytes[4] === DENSE) {
      maxWords(max.words, this.unpackedRegisters().words);
      return;
    }
    const bytes = max.bytes;
    const valid = this.walkValues((i, value) => {
      if (value > bytes[i]) bytes[i] = value;
    });
    if (!valid) throw new CorruptedHyperLogLog();
  }

  private unpackedRegisters(): Registers {
    if (this.unpacked !== undefined) return this.unpacked;
    const registers = new Registers();
    const out = registers.bytes;
    const b = this.bytes;
    for (let r = 0, p = HEADER; r < REGISTERS; r += 4, p += 3) {
      const b0 = b[p];
      const b1 = b[p + 1];
      const b2 = b[p + 2];
      out[r] = b0 & 63;
      out[r + 1] = ((b0 >> 6) | (b1 << 2)) & 63;
      out[r + 2] = ((b1 >> 4) | (b2 << 4)) & 63;
      out[r + 3] = b2 >> 2;
    }
    return (this.unpacked = registers);
  }

  /** Converts a sparse sketch to dense (header kept, cached cardinality included); false when it already was. */
  toDense(): boolean {
    if (this.bytes[4] === DENSE) return false;
    const dense = Buffer.alloc(DENSE_SIZE + 1);
    dense.set(this.bytes.subarray(0, HEADER));
    dense[4] = DENSE;
    if (!this.walkValues((i, value) => setRegister(dense, i, value))) throw new CorruptedHyperLogLog();
    this.bytes = dense;
    this.length = DENSE_SIZE;
    this.histogram = undefined;
    this.unpacked = undefined;
    return true;
  }

  /** Every register, for PFDEBUG GETREG (the sketch must be dense). */
  registers(): number[] {
    const out = new Array<number>(REGISTERS);
    for (let i = 0; i < REGISTERS; i++) out[i] = getRegister(this.bytes, i);
    return out;
  }

  /** The sparse opcodes as PFDEBUG DECODE spells them: `z:len`, `Z:len`, `v:value,len`. */
  decode(): string {
    const b = this.bytes;
    const parts: string[] = [];
    for (let p = HEADER; p < this.length; ) {
      const op = b[p];
      if (isZero(op)) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if (isXzero(op)) {
        parts.push(`Z:${(((op & 0x3f) << 8) | b[p + 1]) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return parts.join(' ');
  }

  /**
   * Calls `visit` for each register a sparse sketch's VAL opcodes set, and
   * answers whether the opcodes cover exactly the 16384 registers. A VAL run
   * that would pass the last register stops the walk and makes the sketch
   * corrupted even when the runs before it ended exactly at the last
   * register: the redis-server 7.0.15 we compare with (Debian's, which
   * carries the CVE-2025-32023 fix) refuses such a value in PFMERGE, PFCOUNT
   * of several keys and the conversion to dense, where 7.0.15's own source
   * accepted it.
   */
  private walkValues(visit: (index: number, value: number) => void): boolean {
    const b = this.bytes;
    const end = this.length;
    let index = 0;
    for (let p = HEADER; p < end; ) {
      const op = b[p];
      if (isZero(op)) {
        index += (op & 0x3f) + 1;
        p++;
      } else if (isXzero(op)) {
        index += (((op & 0x3f) << 8) | b[p + 1]) + 1;
        p += 2;
      } else {
        let run = valLen(op);
        const value = valValue(op);
        if (index + run > REGISTERS) return false;
        while (run-- > 0) visit(index++, value);
        p++;
      }
    }
    return index === REGISTERS;
  }

  private denseHistogram(): Int32Array {
    if (this.histogram !== undefined) return this.histogram;
    const histogram = new Int32Array(64);
    const b = this.bytes;
    for (let p = HEADER; p < DENSE_SIZE; p += 3) {
      const b0 = b[p];
      const b1 = b[p + 1];
      const b2 = b[p + 2];
      histogram[b0 & 63]++;
      histogram[((b0 >> 6) | (b1 << 2)) & 63]++;
      histogram[((b1 >> 4) | (b2 << 4)) & 63]++;
      histogram[b2 >> 2]++;
    }
    return (this.histogram = histogram);
  }

  private denseSet(index: number, count: number): 0 | 1 {
    const old = getRegister(this.bytes, index);
    if (count <= old) return 0;
    setRegister(this.bytes, index, count);
    if (this.histogram !== undefined) {
      this.histogram[old]--;
      this.histogram[count]++;
    }
    if (this.unpacked !== undefined) this.unpacked.bytes[index] = count;
    return 1;
  }

  /** Redis's in-place sparse edit: find the opcode, split it around the register, merge equal neighbours. */
  private sparseSet(index: number, count: number, sparseMaxBytes: number): 0 | 1 {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    // An XZERO split in three grows the value by up to 3 bytes, and the terminator follows.
    if (this.bytes.length < this.length + 4) {
      const grown = Buffer.alloc(this.length * 2 + 4);
      grown.set(this.bytes.subarray(0, this.length + 1));
      this.bytes = grown;
    }
    const b = this.bytes;
    let end = this.length;

    // Step 1: the opcode covering the register, and the one before it.
    let p = HEADER;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if (isZero(op)) {
        span = (op & 0x3f) + 1;
      } else if (isVal(op)) {
        span = valLen(op);
      } else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) throw new CorruptedHyperLogLog();
    const op = b[p];
    const next = isXzero(op) ? p + 2 : p + 1;

    // Step 2: trivial in-place updates, else the replacement sequence.
    let updatedInPlace = false;
    if (isVal(op)) {
      if (valValue(op) >= count) return 0;
      if (valLen(op) === 1) {
        b[p] = valOp(count, 1);
        updatedInPlace = true;
      }
    } else if (isZero(op) && (op & 0x3f) === 0) {
      b[p] = valOp(count, 1);
      updatedInPlace = true;
    }
    if (!updatedInPlace) {
      const seq: number[] = [];
      const last = first + span - 1;
      if (isVal(op)) {
        const current = valValue(op);
        if (index !== first) seq.push(valOp(current, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(current, last - index));
      } else {
        if (index !== first) pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZeros(seq, last - index);
      }
      // Step 3: put the sequence in place of the opcode, moving what follows.
      const delta = seq.length - (isXzero(op) ? 2 : 1);
      if (delta > 0 && this.length + delta > sparseMaxBytes) return this.promote(index, count);
      if (delta !== 0 && next < end) b.copyWithin(next + delta, next, end);
      end += delta;
      // Terminated before the copy, as Redis does: an XZERO cut short by the end of a corrupted value overflows onto it.
      b[end] = 0;
      for (let i = 0; i < seq.length; i++) b[p + i] = seq[i];
    }

    // Step 4: merge runs of equal VALs, scanning up to five opcodes from the one before.
    p = prev >= 0 ? prev : HEADER;
    for (let scan = 5; p < end && scan-- > 0; ) {
      const o = b[p];
      if (isXzero(o)) {
        p += 2;
        continue;
      }
      if (isZero(o)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(b[p + 1])) {
        const value = valValue(o);
        const len = valLen(o) + valLen(b[p + 1]);
        if (value === valValue(b[p + 1]) && len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(value, len);
          b.copyWithin(p, p + 1, end + 1);
          b[--end] = 0;
          continue;
        }
      }
      p++;
    }
    this.length = end;
    this.invalidateCardinality();
    return 1;
  }

  private promote(index: number, count: number): 1 {
    this.toDense();
    this.denseSet(index, count);
    return 1;
  }
}

/** Zero registers as one ZERO opcode, or an XZERO for more than 64. */
function pushZeros(seq: number[], len: number): void {
  if (len > SPARSE_ZERO_MAX_LEN) seq.push(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
  else seq.push(len - 1);
}

/* Dense register i: 6 bits from bit 6i of the registers, low bits first; the
 * byte after the last register exists (the terminator), so no bounds test. */
function getRegister(b: Uint8Array, i: number): number {
  const byte = HEADER + ((i * 6) >> 3);
  const shift = (i * 6) & 7;
  return ((b[byte] >> shift) | (b[byte + 1] << (8 - shift))) & 63;
}

function setRegister(b: Uint8Array, i: number, value: number): void {
  const byte = HEADER + ((i * 6) >> 3);
  const shift = (i * 6) & 7;
  b[byte] = (b[byte] & ~(63 << shift)) | (value << shift);
  b[byte + 1] = (b[byte + 1] & ~(63 >> (8 - shift))) | (value >> (8 - shift));
}

// ---------------------------------------------------------------------------
// PFSELFTEST: the checks Redis runs on its own implementation.

const TEST_CYCLES = 1000;

/**
 * Register access (random values written and read back, neighbours intact),
 * then ten million distinct 8-byte elements added to a dense and a sparse
 * sketch: at each power of ten they must agree, the sparse one must still be
 * sparse while small, and the estimate must be within six standard errors.
 * Returns Redis's TESTFAILED text, or undefined when everything passed.
 */
export function selfTest(sparseMaxBytes: number): string | undefined {
  const raw = Buffer.alloc(DENSE_SIZE + 1);
  const expected = new Uint8Array(REGISTERS);
  for (let cycle = 0; cycle < TEST_CYCLES; cycle++) {
    for (let i = 0; i < REGISTERS; i++) {
      const value = (Math.random() * 64) | 0;
      expected[i] = value;
      setRegister(raw, i, value);
    }
    for (let i = 0; i < REGISTERS; i++) {
      const value = getRegister(raw, i);
      if (value !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${value}`;
    }
  }

  const dense = HyperLogLog.empty();
  dense.toDense();
  const sparse = HyperLogLog.empty();
  const relativeError = 1.04 / Math.sqrt(REGISTERS);
  const seedLo = (Math.random() * TWO_32) >>> 0;
  const seedHi = (Math.random() * TWO_32) >>> 0;
  let checkpoint = 1;
  for (let j = 1; j <= 10_000_000; j++) {
    hashBegin(8);
    hashBlock(j ^ seedLo, seedHi);
    hashEnd();
    pattern();
    dense.set(state[INDEX], state[COUNT], sparseMaxBytes);
    sparse.set(state[INDEX], state[COUNT], sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.isDense) return 'TESTFAILED sparse encoding not used';
    const card = dense.cardinality();
    if (card !== sparse.cardinality()) return 'TESTFAILED dense/sparse disagree';
    // At 10 a collision is statistically likely now and then: one off is allowed.
    const maxError = j === 10 ? 1 : Math.ceil(relativeError * 6 * checkpoint);
    const error = Math.abs(checkpoint - card);
    if (error > maxError) return `TESTFAILED Too big error. card:${checkpoint} abserr:${error}`;
    checkpoint *= 10;
  }
  return undefined;
}
