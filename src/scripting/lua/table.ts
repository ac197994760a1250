/**
 * Lua 5.1 tables with PUC Lua 5.1.5's layout (ltable.c), reproduced node for
 * node, because scripts observe it: `next`/`pairs` order (and so what
 * cjson.encode or a reply built by iterating prints) and the border `#t`
 * picks among several are functions of that layout, and Redis answers with
 * PUC's.
 *
 * The layout: an array part for keys 1..sizearray and a hash part of 2^k
 * nodes (none: PUC's shared dummy node) chained by `next` indexes, filled by
 * Brent's variation of chained scatter with a `lastFree` cursor moving down,
 * and resized only when no free node is left, to the sizes a count of the
 * live keys asks for.
 *
 * The nodes only serve the order: lookups in a hash part of more than
 * SCANNED_NODES nodes go through `index`, a JS Map from key to node, so reads
 * never hash a string in JS; a smaller hash part is scanned instead, which
 * spares the most common tables (cmsgpack's and cjson's objects, small
 * records a script builds) a Map per resize. A key whose value became
 * nil stays in its node and in `index` (as in PUC between garbage
 * collections): next() can continue from it, setting it again reuses its
 * node, and a new key whose main position it occupies takes the node over.
 */
import { raise, type LuaValue } from './value.js';

/** ltable.c's MAXBITS: the largest array part and hash part are 2^MAXBITS. */
const MAXBITS = 26;
const MAXASIZE = 1 << MAXBITS;
const MAX_INT = 2147483647;

/**
 * A hash part is one array of nodes of four slots each (one allocation per
 * resize, not four): key, value, the slot of the next node in its collision
 * chain (-1 at the end), and the key's hash (kept so that moving and
 * rehashing nodes never hash a string again). Nodes are named by the slot of
 * their key, 4 * i.
 */
const KEY = 0;
const VAL = 1;
const NEXT = 2;
const HASH = 3;

/** What tables without a hash part share, as PUC's share the dummy node; never written (inserting into it rehashes first). */
const NO_NODES: LuaValue[] = [];
const NO_INDEX = new Map<LuaValue, number>();

/**
 * Hash parts of up to this many nodes have no index: comparing a key with at
 * most 8 others costs less than a Map lookup, and far less than creating the
 * Map at each of the resizes that take a table from 1 to 8 nodes.
 */
const SCANNED_NODES = 8;

const numBits = new Float64Array(1);
const numWords = new Uint32Array(numBits.buffer);

/** Tables and functions hash by address in PUC; a creation-order id stands in for it. */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;

/** rehash()'s nums[]: nums[i] counts integer keys in (2^(i-1), 2^i]. Used up before anything can rehash again. */
const nums = new Int32Array(MAXBITS + 1);

/** ceil(log2(x)) for x >= 1 (luaO_log2(x - 1) + 1). */
function ceilLog2(x: number): number {
  return 32 - Math.clz32(x - 1);
}

/** luaS_hash: seeded with the length, sampling at most ~32 bytes from the end. */
function stringHash(s: string): number {
  const len = s.length;
  let h = len | 0;
  const step = (len >> 5) + 1;
  for (let l1 = len; l1 >= step; l1 -= step) h ^= ((h << 5) + (h >>> 2) + s.charCodeAt(l1 - 1)) | 0;
  return h;
}

/**
 * The 32-bit value a key's main position derives from: luaS_hash for
 * strings; for numbers hashnum's sum of the two 32-bit words of the double
 * (little-endian, as on x86-64), except that 0 and -0 both go to node 0.
 */
function keyHash(key: LuaValue): number {
  switch (typeof key) {
    case 'string':
      return stringHash(key);
    case 'number':
      if (key === 0) return 0;
      numBits[0] = key;
      return (numWords[0] + numWords[1]) | 0;
    case 'boolean':
      return key ? 1 : 0;
    default: {
      const o = key as object;
      let id = objectIds.get(o);
      if (id === undefined) {
        id = ++lastObjectId;
        objectIds.set(o, id);
      }
      return id;
    }
  }
}

/**
 * mainposition, as a slot: strings and booleans mask the hash (hashpow2),
 * numbers and objects take it, unsigned, modulo an odd size (hashmod).
 */
function mainPosition(key: LuaValue, hash: number, size: number): number {
  const t = typeof key;
  return (t === 'string' || t === 'boolean' ? hash & (size - 1) : (hash >>> 0) % ((size - 1) | 1)) << 2;
}

/** countint: an integer key that the array part could hold is counted in its power-of-two slice. */
function countInt(key: LuaValue, counts: Int32Array): number {
  if (typeof key === 'number' && key > 0 && key <= MAXASIZE && Math.floor(key) === key) {
    counts[ceilLog2(key)]++;
    return 1;
  }
  return 0;
}

/**
 * Fresh arrays are copies of templates: copying a small packed array is much
 * cheaper than filling a new one, and small tables are created and rehashed
 * often.
 */
function templated(make: (size: number) => LuaValue[]): (size: number) => LuaValue[] {
  const templates: LuaValue[][] = [];
  return (size) => {
    if (size > 256) return make(size);
    return (templates[size] ??= make(size)).slice();
  };
}
const nils = templated((size) => new Array<LuaValue>(size).fill(undefined));
const copiedNodes = templated((size) => {
  const nodes = new Array<LuaValue>(4 * size);
  for (let i = 0; i < nodes.length; i += 4) {
    nodes[i + KEY] = undefined;
    nodes[i + VAL] = undefined;
    nodes[i + NEXT] = -1;
    nodes[i + HASH] = 0;
  }
  return nodes;
});

/** Array literals are cheaper still, for the sizes most tables have. */
function emptyNodes(size: number): LuaValue[] {
  const u = undefined;
  switch (size) {
    case 1:
      return [u, u, -1, 0];
    case 2:
      return [u, u, -1, 0, u, u, -1, 0];
    case 4:
      return [u, u, -1, 0, u, u, -1, 0, u, u, -1, 0, u, u, -1, 0];
    default:
      return copiedNodes(size);
  }
}

export class LuaTable {
  metatable: LuaTable | undefined = undefined;
  /** Redis's sandbox: writes raise "Attempt to modify a readonly table". */
  readonly = false;
  /** The array part: its length is PUC's sizearray; nil slots are undefined. */
  private arr: LuaValue[];
  private nodes: LuaValue[] = NO_NODES;
  /** Key to the slot of its node, dead keys included. */
  private index: Map<LuaValue, number> = NO_INDEX;
  /** Nodes from this slot up are known not to be free. */
  private lastFree = 0;

  /** The slot of `key`'s node, dead keys included; undefined when it has none. */
  private slot(key: LuaValue): number | undefined {
    const index = this.index;
    if (index !== NO_INDEX) return index.get(key);
    const nodes = this.nodes;
    // A free node's key is undefined: no key looked up here is (nil is never stored, and reads of t[nil] find nil either way).
    for (let i = 0; i < nodes.length; i += 4) if (nodes[i + KEY] === key) return i;
    return undefined;
  }

  /** lua_createtable / luaH_new: an array part of exactly narr slots, a hash part of ceil(log2(nrec)) nodes. */
  constructor(narr = 0, nrec = 0) {
    this.arr = narr === 0 ? [] : nils(narr);
    if (nrec > 0) this.setNodeVector(nrec);
  }

  /** Raw get (no metamethods). Any key; nil for absent. */
  get(key: LuaValue): LuaValue {
    if (typeof key === 'number') return this.getNum(key);
    const i = this.slot(key);
    return i === undefined ? undefined : this.nodes[i + VAL];
  }

  getStr(key: string): LuaValue {
    const i = this.slot(key);
    return i === undefined ? undefined : this.nodes[i + VAL];
  }

  /** key must be an integral number. */
  getInt(key: number): LuaValue {
    const a = this.arr;
    if (key >= 1 && key <= a.length) return a[key - 1];
    const i = this.slot(key);
    return i === undefined ? undefined : this.nodes[i + VAL];
  }

  private getNum(key: number): LuaValue {
    const a = this.arr;
    if (key >= 1 && key <= a.length && (key | 0) === key) return a[key - 1];
    const i = this.slot(key);
    return i === undefined ? undefined : this.nodes[i + VAL];
  }

  /**
   * Raw set (luaH_set and the store into the slot it returns). The caller has
   * checked that key is neither nil nor NaN. Setting nil keeps the key's node;
   * setting nil under an absent key even creates one (and may rehash), as PUC does.
   */
  set(key: LuaValue, value: LuaValue): void {
    if (typeof key === 'number') {
      this.setNum(key, value);
      return;
    }
    const i = this.slot(key);
    if (i !== undefined) this.nodes[i + VAL] = value;
    else this.newKey(key, value);
  }

  setStr(key: string, value: LuaValue): void {
    const i = this.slot(key);
    if (i !== undefined) this.nodes[i + VAL] = value;
    else this.newKey(key, value);
  }

  /** key must be an integral number. */
  setInt(key: number, value: LuaValue): void {
    const a = this.arr;
    if (key >= 1 && key <= a.length) {
      a[key - 1] = value;
      return;
    }
    const i = this.slot(key);
    if (i !== undefined) this.nodes[i + VAL] = value;
    else this.newKey(key, value);
  }

  private setNum(key: number, value: LuaValue): void {
    const a = this.arr;
    if (key >= 1 && key <= a.length && (key | 0) === key) {
      a[key - 1] = value;
      return;
    }
    const i = this.slot(key);
    if (i !== undefined) this.nodes[i + VAL] = value;
    else this.newKey(key, value);
  }

  /** Size of the array part (PUC's sizearray). */
  arraySize(): number {
    return this.arr.length;
  }

  /** luaH_resizearray: the array part becomes exactly n slots; the hash part keeps its size but is rebuilt. */
  resizeArray(n: number): void {
    this.resize(n, this.nodes.length >> 2);
  }

  /** `#t`: luaH_getn's border. */
  length(): number {
    const a = this.arr;
    let j = a.length;
    if (j > 0 && a[j - 1] === undefined) {
      let i = 0;
      while (j - i > 1) {
        const m = (i + j) >>> 1;
        if (a[m - 1] === undefined) j = m;
        else i = m;
      }
      return i;
    }
    if (this.nodes.length === 0) return j;
    return this.unboundSearch(j);
  }

  private unboundSearch(start: number): number {
    let i = start;
    let j = start + 1;
    while (this.getInt(j) !== undefined) {
      i = j;
      j *= 2;
      if (j > MAX_INT) {
        // PUC's fallback for tables built to defeat the doubling: a linear scan from 1.
        i = 1;
        while (this.getInt(i) !== undefined) i++;
        return i - 1;
      }
    }
    while (j - i > 1) {
      const m = Math.floor((i + j) / 2);
      if (this.getInt(m) === undefined) j = m;
      else i = m;
    }
    return i;
  }

  /**
   * next(t, key): the following key and its value, or undefined after the
   * last. Throws LuaError "invalid key to 'next'" for a key not in the table.
   */
  next(key: LuaValue): [LuaValue, LuaValue] | undefined {
    const p = this.nextIndex(this.findIndex(key));
    return p < 0 ? undefined : [this.keyAt(p), this.valueAt(p)];
  }

  /**
   * Allocation-free iteration over positions (array slots 0..sizearray-1,
   * then nodes): findIndex(key) is the position of a key (-1 for nil, the
   * start), nextIndex(p) the next position holding a value (-1 at the end).
   * A position is only valid until the next insertion of a new key (which
   * may rehash), so a loop that may run code between steps should continue
   * with nextIndex(findIndex(key)), as next() does.
   */
  findIndex(key: LuaValue): number {
    if (key === undefined) return -1;
    if (typeof key === 'number' && key >= 1 && key <= this.arr.length && (key | 0) === key) return key - 1;
    const i = this.slot(key);
    if (i === undefined) raise("invalid key to 'next'");
    return this.arr.length + (i >> 2);
  }

  nextIndex(p: number): number {
    const a = this.arr;
    const asize = a.length;
    for (p++; p < asize; p++) if (a[p] !== undefined) return p;
    const nodes = this.nodes;
    for (let i = (p - asize) << 2; i < nodes.length; i += 4) if (nodes[i + VAL] !== undefined) return asize + (i >> 2);
    return -1;
  }

  keyAt(p: number): LuaValue {
    const asize = this.arr.length;
    return p < asize ? p + 1 : this.nodes[((p - asize) << 2) + KEY];
  }

  valueAt(p: number): LuaValue {
    const asize = this.arr.length;
    return p < asize ? this.arr[p] : this.nodes[((p - asize) << 2) + VAL];
  }

  /** setnodevector: a fresh hash part of 2^ceil(log2(size)) empty nodes, or none. */
  private setNodeVector(size: number): void {
    if (size === 0) {
      this.nodes = NO_NODES;
      this.index = NO_INDEX;
      this.lastFree = 0;
      return;
    }
    const lsize = ceilLog2(size);
    if (lsize > MAXBITS) raise('table overflow');
    this.nodes = emptyNodes(1 << lsize);
    this.index = 1 << lsize > SCANNED_NODES ? new Map() : NO_INDEX;
    this.lastFree = this.nodes.length;
  }

  /** newkey: places a key absent from the table into the hash part, rehashing when no node is free. */
  private newKey(key: LuaValue, value: LuaValue): void {
    const nodes = this.nodes;
    if (nodes.length === 0) {
      this.rehash(key);
      this.set(key, value);
      return;
    }
    const size = nodes.length >> 2;
    const h = keyHash(key);
    let mp = mainPosition(key, h, size);
    if (nodes[mp + VAL] !== undefined) {
      const free = this.freePosition();
      if (free < 0) {
        this.rehash(key);
        this.set(key, value);
        return;
      }
      const other = nodes[mp + KEY];
      let prev = mainPosition(other, nodes[mp + HASH] as number, size);
      if (prev !== mp) {
        // The occupant is only chained here from its own main position: it moves out, the new key takes its place.
        while (nodes[prev + NEXT] !== mp) prev = nodes[prev + NEXT] as number;
        nodes[prev + NEXT] = free;
        nodes[free + KEY] = other;
        nodes[free + VAL] = nodes[mp + VAL];
        nodes[free + NEXT] = nodes[mp + NEXT];
        nodes[free + HASH] = nodes[mp + HASH];
        if (this.index !== NO_INDEX) this.index.set(other, free);
        nodes[mp + NEXT] = -1;
        nodes[mp + VAL] = undefined;
      } else {
        nodes[free + NEXT] = nodes[mp + NEXT];
        nodes[mp + NEXT] = free;
        mp = free;
      }
    } else if (nodes[mp + KEY] !== undefined) {
      // A dead key's node, taken over with its place in whatever chain it is in.
      if (this.index !== NO_INDEX) this.index.delete(nodes[mp + KEY]);
    }
    nodes[mp + KEY] = key;
    nodes[mp + VAL] = value;
    nodes[mp + HASH] = h;
    if (this.index !== NO_INDEX) this.index.set(key, mp);
  }

  /** getfreepos: nodes whose key is nil, searched downwards once; dead keys are not free. */
  private freePosition(): number {
    const nodes = this.nodes;
    while (this.lastFree > 0) {
      this.lastFree -= 4;
      if (nodes[this.lastFree + KEY] === undefined) return this.lastFree;
    }
    return -1;
  }

  /** rehash: sizes for the live keys plus the one being inserted; the array part is the largest 2^i more than half full. */
  private rehash(extraKey: LuaValue): void {
    for (let lg = 0; lg <= MAXBITS; lg++) nums[lg] = 0;
    const a = this.arr;
    const asize = a.length;
    let nasize = 0;
    let i = 1;
    for (let lg = 0, ttlg = 1; lg <= MAXBITS; lg++, ttlg *= 2) {
      let lim = ttlg;
      if (lim > asize) {
        lim = asize;
        if (i > lim) break;
      }
      let lc = 0;
      for (; i <= lim; i++) if (a[i - 1] !== undefined) lc++;
      nums[lg] += lc;
      nasize += lc;
    }
    let total = nasize;
    const nodes = this.nodes;
    for (let n = nodes.length - 4; n >= 0; n -= 4) {
      if (nodes[n + VAL] !== undefined) {
        nasize += countInt(nodes[n + KEY], nums);
        total++;
      }
    }
    nasize += countInt(extraKey, nums);
    total++;
    // computesizes
    let counted = 0;
    let inArray = 0;
    let optimal = 0;
    for (let lg = 0, twotoi = 1; twotoi >>> 1 < nasize; lg++, twotoi *= 2) {
      if (nums[lg] > 0) {
        counted += nums[lg];
        if (counted > twotoi >>> 1) {
          optimal = twotoi;
          inArray = counted;
        }
      }
      if (counted === nasize) break;
    }
    this.resize(optimal, total - inArray);
  }

  /** resize: the array part's vanishing slice goes to the hash part first, then the old nodes from the last down. */
  private resize(nasize: number, nhsize: number): void {
    const a = this.arr;
    const oldasize = a.length;
    const old = this.nodes;
    for (let i = oldasize; i < nasize; i++) a.push(undefined);
    this.setNodeVector(nhsize);
    if (nasize < oldasize) {
      const vanishing = a.slice(nasize);
      a.length = nasize;
      for (let i = 0; i < vanishing.length; i++) {
        if (vanishing[i] !== undefined) this.setNum(nasize + i + 1, vanishing[i]);
      }
    }
    for (let n = old.length - 4; n >= 0; n -= 4) {
      if (old[n + VAL] !== undefined) this.set(old[n + KEY], old[n + VAL]);
    }
  }
}

/**
 * luaO_fb2int(luaO_int2fb(n)): the size a table constructor with n items of
 * a kind asks for, as the "floating point byte" of NEWTABLE's operands
 * rounds it (up, to 8..15 times a power of two past 15).
 */
export function fb2intRound(n: number): number {
  let x = n;
  let e = 0;
  while (x >= 16) {
    x = (x + 1) >>> 1;
    e++;
  }
  return x * 2 ** e;
}
