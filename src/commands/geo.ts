/**
 * GEO commands: points kept in a sorted set whose scores are 52-bit
 * geohashes (see store/geohash.ts), so ZSCORE, ZRANGE, DUMP and the rest see
 * the same numbers as in Redis. GEOADD is ZADD with computed scores;
 * searches scan the score ranges of a 3x3 block of cells around the shape
 * and keep what lies inside it.
 */
import { ReplyError, syntaxError } from '../errors.js';
import { DoubleReply, NIL_ARRAY, type Reply } from '../protocol/reply.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  IndexBounds,
  cellScores,
  centreCosine,
  decodeScore,
  distance,
  distanceInShape,
  pointScore,
  scoreToGeohash,
  searchCells,
  type Shape,
} from '../store/geohash.js';
import { NOTIFY } from '../store/notify.js';
import { ZSetValue } from '../store/zset.js';
import { formatFixed } from '../util/numbers.js';
import { isKeyword } from '../util/keywords.js';
import { ZaddFlags, scoreArg, zaddScores } from './sortedsets.js';
import { numberArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec, ONE_KEY } from './types.js';

// ------------------------------------------------------------------ arguments and replies

/** A longitude and latitude pair at `args[at]`, checked against the geohash limits. */
function lonLatArgs(args: readonly string[], at: number): [number, number] {
  const lon = scoreArg(args[at]);
  const lat = scoreArg(args[at + 1]);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new ReplyError(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** Meters per unit. */
function unitArg(text: string): number {
  if (isKeyword(text, 'M')) return 1;
  if (isKeyword(text, 'KM')) return 1000;
  if (isKeyword(text, 'FT')) return 0.3048;
  if (isKeyword(text, 'MI')) return 1609.34;
  throw new ReplyError('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** A distance (never negative) as Redis prints one: four decimals, the last rounded half to even from the scaled double. */
function formatDistance(d: number): string {
  if (d === 0) return '0.0000';
  const scaled = d * 10000;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const n = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  // Pieces this short join into a flat string: no padded copy and slices per distance.
  const fraction = n % 10000;
  const point = fraction >= 1000 ? '.' : fraction >= 100 ? '.0' : fraction >= 10 ? '.00' : '.000';
  return (n - fraction) / 10000 + point + fraction;
}

/**
 * A coordinate as Redis's human long double output: `%.17Lf` of the exact
 * value with trailing zeros cut, a bulk string in RESP2 and a double in RESP3.
 */
function coordinateReply(ctx: CommandContext, value: number): Reply {
  let text = formatFixed(value, 17).replace(/\.?0+$/, '');
  if (text === '-0') text = '0';
  return ctx.client.resp === 3 ? new DoubleReply(value, text) : text;
}

// ------------------------------------------------------------------ GEOADD

/**
 * Where GEOADD's NX, XX and CH options end and its triples begin, once the
 * line is checked: whole triples, not both NX and XX (Redis's syntax error).
 */
function geoaddTriples(args: readonly string[]): number {
  let nx = false;
  let xx = false;
  let at = 2;
  for (; at < args.length; at++) {
    const opt = args[at];
    if (isKeyword(opt, 'NX')) nx = true;
    else if (isKeyword(opt, 'XX')) xx = true;
    else if (!isKeyword(opt, 'CH')) break;
  }
  if ((args.length - at) % 3 !== 0 || (nx && xx)) throw syntaxError();
  return at;
}

/**
 * The ZADD command line a GEOADD stands for (`zadd key [opts] score member
 * ...`), as Redis rewrites it; what the append-only file and replicas get.
 */
function geoaddAsZadd(args: readonly string[]): string[] {
  const at = geoaddTriples(args);
  const zargs = ['zadd', ...args.slice(1, at)];
  for (let i = at; i < args.length; i += 3) {
    const [lon, lat] = lonLatArgs(args, i);
    zargs.push(String(pointScore(lon, lat)), args[i + 2]);
  }
  return zargs;
}

/** GEOADD runs as that ZADD would, with the scores as numbers rather than printed and read back. */
function geoadd(ctx: CommandContext, args: string[]): Reply {
  const at = geoaddTriples(args);
  let flags = ZaddFlags.None;
  for (let i = 2; i < at; i++) {
    const opt = args[i];
    flags |= isKeyword(opt, 'NX') ? ZaddFlags.Nx : isKeyword(opt, 'XX') ? ZaddFlags.Xx : ZaddFlags.Ch;
  }
  const scores: number[] = [];
  for (let i = at; i < args.length; i += 3) {
    const [lon, lat] = lonLatArgs(args, i);
    scores.push(pointScore(lon, lat)!);
  }
  // ZADD's own syntax check: a GEOADD without triples is one.
  if (scores.length === 0) throw syntaxError();
  return zaddScores(ctx, args[1], flags, scores, args, at + 2, 3);
}

// ------------------------------------------------------------------ GEOPOS / GEOHASH / GEODIST

function geopos(ctx: CommandContext, args: string[]): Reply {
  const z = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset');
  const xy: [number, number] = [0, 0];
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    const score = z?.score(args[i]);
    if (score === undefined) {
      out.push(NIL_ARRAY);
      continue;
    }
    decodeScore(score, xy);
    out.push([coordinateReply(ctx, xy[0]), coordinateReply(ctx, xy[1])]);
  }
  return out;
}

function geohash(ctx: CommandContext, args: string[]): Reply {
  const z = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset');
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    const score = z?.score(args[i]);
    out.push(score === undefined ? null : scoreToGeohash(score));
  }
  return out;
}

function geodist(ctx: CommandContext, args: string[]): Reply {
  // The unit is checked before the key is even looked up.
  let perMeter = 1;
  if (args.length === 5) perMeter = unitArg(args[4]);
  else if (args.length > 5) throw syntaxError();
  const z = ctx.client.db.readCollection<ZSetValue>(args[1], 'zset');
  const score1 = z?.score(args[2]);
  const score2 = z?.score(args[3]);
  if (score1 === undefined || score2 === undefined) return null;
  const a: [number, number] = [0, 0];
  const b: [number, number] = [0, 0];
  decodeScore(score1, a);
  decodeScore(score2, b);
  return formatDistance(distance(a[0], a[1], b[0], b[1]) / perMeter);
}

// ------------------------------------------------------------------ searches

type Variant = 'georadius' | 'georadiusbymember' | 'geosearch' | 'geosearchstore';

/**
 * The points a search found, in parallel arrays reused from one search to
 * the next (commands never nest): the first `foundCount` entries are this
 * search's. Distances are in meters until the reply converts them.
 */
let foundCount = 0;
const foundMembers: string[] = [];
let foundScores: Float64Array = new Float64Array(64);
let foundLons: Float64Array = new Float64Array(64);
let foundLats: Float64Array = new Float64Array(64);
let foundDists: Float64Array = new Float64Array(64);

/** Positions in the found arrays, put in the reply's order. */
const order: number[] = [];

/** After a big search, lets go of its members and of the room it took (a small one's stay until the next search). */
function releaseFound(): void {
  if (foundCount <= 1024) return;
  foundMembers.length = 0;
  order.length = 0;
  mergeRoom.length = 0;
  foundScores = new Float64Array(64);
  foundLons = new Float64Array(64);
  foundLats = new Float64Array(64);
  foundDists = new Float64Array(64);
}

function addFound(member: string, score: number, lon: number, lat: number, dist: number): void {
  const i = foundCount++;
  if (i === foundScores.length) {
    const grow = (from: Float64Array): Float64Array => {
      const to = new Float64Array(from.length * 2);
      to.set(from);
      return to;
    };
    foundScores = grow(foundScores);
    foundLons = grow(foundLons);
    foundLats = grow(foundLats);
    foundDists = grow(foundDists);
  }
  foundMembers[i] = member;
  foundScores[i] = score;
  foundLons[i] = lon;
  foundLats[i] = lat;
  foundDists[i] = dist;
}

/** A mutable Shape while the arguments are read. */
type ShapeDraft = { -readonly [K in keyof Shape]: Shape[K] };

/** `radius unit` at `at`. */
function radiusArgs(shape: ShapeDraft, args: readonly string[], at: number): void {
  const radius = scoreArg(args[at], 'ERR need numeric radius');
  if (radius < 0) throw new ReplyError('ERR radius cannot be negative');
  shape.radius = radius;
  shape.conversion = unitArg(args[at + 1]);
  shape.kind = 'radius';
}

/** `width height unit` at `at`. */
function boxArgs(shape: ShapeDraft, args: readonly string[], at: number): void {
  const width = scoreArg(args[at], 'ERR need numeric width');
  const height = scoreArg(args[at + 1], 'ERR need numeric height');
  if (height < 0 || width < 0) throw new ReplyError('ERR height or width cannot be negative');
  shape.width = width;
  shape.height = height;
  shape.conversion = unitArg(args[at + 2]);
  shape.kind = 'box';
}

/** The centre of a search on a member: its decoded position. */
function memberCentre(shape: ShapeDraft, z: ZSetValue, member: string): void {
  const score = z.score(member);
  if (score === undefined) throw new ReplyError('ERR could not decode requested zset member');
  const xy: [number, number] = [0, 0];
  decodeScore(score, xy);
  shape.lon = xy[0];
  shape.lat = xy[1];
}

/**
 * Every point of `z` inside the shape into the found arrays, cell by cell
 * in Redis's order, each cell's points in score order. With `limit` (COUNT
 * ... ANY) the scan stops as soon as that many are found.
 */
function pointsInShape(z: ZSetValue, shape: Shape, limit: number): void {
  foundCount = 0;
  const xy: [number, number] = [0, 0];
  const cells = searchCells(shape);
  const centreCos = centreCosine(shape);
  const bounds = new IndexBounds(shape);
  // The index of the last cell scanned; 0 (the centre) never counts, as in Redis.
  let lastIndex = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null) continue;
    // With a huge radius neighbours can repeat: one equal to the cell scanned just before is skipped.
    const last = cells[lastIndex];
    if (lastIndex > 0 && last !== null && cell.lon === last.lon && cell.lat === last.lat && cell.step === last.step) continue;
    if (limit > 0 && foundCount >= limit) break;
    const [min, max] = cellScores(cell);
    const cursor = z.firstInScoreRange({ min, max, minExclusive: false, maxExclusive: true });
    while (cursor.valid) {
      const score = cursor.score;
      if (score >= max) break;
      if (bounds.locate(score, xy)) {
        const d = distanceInShape(shape, centreCos, xy[0], xy[1]);
        if (!(d < 0)) addFound(cursor.member, score, xy[0], xy[1], d);
        if (limit > 0 && foundCount >= limit) break;
      }
      cursor.next();
    }
    lastIndex = i;
  }
}

/** Where sortFound merges runs: kept from one search to the next, like the found arrays. */
const mergeRoom: number[] = [];

/** Runs this long are put in order by insertion before the merges. */
const SORT_RUN = 8;

/**
 * Puts the first `n` of `order` in order of distance, ascending or
 * descending, keeping equal distances in the order found: what C's qsort
 * (a merge sort in glibc) and Array.prototype.sort, both stable, give with
 * `ascending` or `descending`, without a comparator call per comparison.
 */
function sortFound(n: number, descending: boolean): void {
  const dists = foundDists;
  // Whether the point at position a goes after the one at b.
  const after = (a: number, b: number): boolean => (descending ? dists[a] < dists[b] : dists[a] > dists[b]);
  for (let base = 0; base < n; base += SORT_RUN) {
    const end = Math.min(base + SORT_RUN, n);
    for (let i = base + 1; i < end; i++) {
      const item = order[i];
      let j = i;
      for (; j > base && after(order[j - 1], item); j--) order[j] = order[j - 1];
      order[j] = item;
    }
  }
  let from = order;
  let to = mergeRoom;
  for (let width = SORT_RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) to[k++] = after(from[i], from[j]) ? from[j++] : from[i++];
      while (i < mid) to[k++] = from[i++];
      while (j < hi) to[k++] = from[j++];
    }
    const merged = to;
    to = from;
    from = merged;
  }
  if (from !== order) for (let i = 0; i < n; i++) order[i] = from[i];
}

const ascending = (a: number, b: number): number => (foundDists[a] > foundDists[b] ? 1 : foundDists[a] === foundDists[b] ? 0 : -1);
const descending = (a: number, b: number): number => -ascending(a, b);

/**
 * Puts the `k` first of `items` in order, as Redis's pqsort (a
 * Bentley-McIlroy quicksort that skips partitions outside the wanted
 * ranks): equal distances come out in the order it leaves them, so it is
 * followed step by step.
 */
function partialSort(items: number[], cmp: (a: number, b: number) => number, k: number): void {
  const swap = (i: number, j: number): void => {
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  };
  const swapRun = (i: number, j: number, n: number): void => {
    for (let x = 0; x < n; x++) swap(i + x, j + x);
  };
  const med3 = (a: number, b: number, c: number): number =>
    cmp(items[a], items[b]) < 0
      ? cmp(items[b], items[c]) < 0 ? b : cmp(items[a], items[c]) < 0 ? c : a
      : cmp(items[b], items[c]) > 0 ? b : cmp(items[a], items[c]) < 0 ? a : c;
  const wanted = (lo: number, n: number): boolean => !(k - 1 < lo || 0 > lo + n - 1);
  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let m = base + 1; m < base + n; m++) {
          for (let l = m; l > base && cmp(items[l - 1], items[l]) > 0; l--) swap(l, l - 1);
        }
        return;
      }
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let c: number;
        while (pb <= pc && (c = cmp(items[pb], items[base])) <= 0) {
          if (c === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (c = cmp(items[pc], items[base])) >= 0) {
          if (c === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const end = base + n;
      let r = Math.min(pa - base, pb - pa);
      swapRun(base, pb - r, r);
      r = Math.min(pd - pc, end - pd - 1);
      swapRun(pb, end - r, r);
      if ((r = pb - pa) > 1 && wanted(base, r)) sort(base, r);
      if ((r = pd - pc) > 1 && wanted(end - r, r)) {
        base = end - r;
        n = r;
        continue;
      }
      return;
    }
  };
  sort(0, items.length);
}

/**
 * GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms, without STORE),
 * GEOSEARCH and GEOSEARCHSTORE: Redis's georadiusGeneric, with its order
 * of checks and errors.
 */
function search(variant: Variant, storeAllowed: boolean) {
  const byMember = variant === 'georadiusbymember';
  const isSearch = variant === 'geosearch' || variant === 'geosearchstore';
  return (ctx: CommandContext, args: string[]): Reply => {
    const db = ctx.client.db;
    const z = db.readCollection<ZSetValue>(args[variant === 'geosearchstore' ? 2 : 1], 'zset');
    const shape: ShapeDraft = { lon: 0, lat: 0, conversion: 1, kind: 'radius', radius: 0, width: 0, height: 0 };
    let storeKey: string | undefined;
    let optionsAt: number;
    if (variant === 'georadius') {
      [shape.lon, shape.lat] = lonLatArgs(args, 2);
      radiusArgs(shape, args, 4);
      optionsAt = 6;
    } else if (byMember) {
      // Without the set there is nothing to search: the options still decide the reply.
      if (z !== undefined) {
        memberCentre(shape, z, args[2]);
        radiusArgs(shape, args, 3);
      }
      optionsAt = 5;
    } else {
      optionsAt = 2;
      if (variant === 'geosearchstore') {
        optionsAt = 3;
        storeKey = args[1];
      }
    }

    let withDist = false;
    let withHash = false;
    let withCoord = false;
    let fromMember = false;
    let fromLonLat = false;
    let byRadius = false;
    let byBox = false;
    let sort: 'none' | 'asc' | 'desc' = 'none';
    let any = false;
    let storeDist = false;
    let count = 0;
    for (let i = optionsAt; i < args.length; i++) {
      const opt = args[i];
      const left = args.length - 1 - i;
      if (isKeyword(opt, 'WITHDIST')) withDist = true;
      else if (isKeyword(opt, 'WITHHASH')) withHash = true;
      else if (isKeyword(opt, 'WITHCOORD')) withCoord = true;
      else if (isKeyword(opt, 'ANY')) any = true;
      else if (isKeyword(opt, 'ASC')) sort = 'asc';
      else if (isKeyword(opt, 'DESC')) sort = 'desc';
      else if (isKeyword(opt, 'COUNT') && left >= 1) {
        count = numberArg(args[++i]);
        if (count <= 0) throw new ReplyError('ERR COUNT must be > 0');
      } else if ((isKeyword(opt, 'STORE') || isKeyword(opt, 'STOREDIST')) && left >= 1 && storeAllowed && !isSearch) {
        storeKey = args[++i];
        storeDist = isKeyword(opt, 'STOREDIST');
      } else if (isKeyword(opt, 'STOREDIST') && variant === 'geosearchstore') {
        storeDist = true;
      } else if (isKeyword(opt, 'FROMMEMBER') && left >= 1 && isSearch && !fromLonLat) {
        if (z !== undefined) memberCentre(shape, z, args[i + 1]);
        fromMember = true;
        i++;
      } else if (isKeyword(opt, 'FROMLONLAT') && left >= 2 && isSearch && !fromMember) {
        [shape.lon, shape.lat] = lonLatArgs(args, i + 1);
        fromLonLat = true;
        i += 2;
      } else if (isKeyword(opt, 'BYRADIUS') && left >= 2 && isSearch && !byBox) {
        radiusArgs(shape, args, i + 1);
        byRadius = true;
        i += 2;
      } else if (isKeyword(opt, 'BYBOX') && left >= 3 && isSearch && !byRadius) {
        boxArgs(shape, args, i + 1);
        byBox = true;
        i += 3;
      } else {
        throw syntaxError();
      }
    }

    if (storeKey !== undefined && (withDist || withHash || withCoord)) {
      const what = variant === 'geosearchstore' ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
      throw new ReplyError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    }
    if (isSearch && !(fromMember || fromLonLat)) {
      throw new ReplyError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${args[0]}`);
    }
    if (isSearch && !(byRadius || byBox)) {
      throw new ReplyError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${args[0]}`);
    }
    if (any && count === 0) throw new ReplyError('ERR the ANY argument requires COUNT argument');

    if (z === undefined) {
      if (storeKey === undefined) return [];
      db.deleteNotify(storeKey);
      return 0;
    }
    // The closest N need an order: COUNT without ANY sorts ascending by default.
    if (count !== 0 && sort === 'none' && !any) sort = 'asc';

    pointsInShape(z, shape, any ? count : 0);
    const found = foundCount;
    if (found === 0 && storeKey === undefined) return [];
    const returned = count === 0 || found < count ? found : count;
    order.length = found;
    for (let i = 0; i < found; i++) order[i] = i;
    if (sort !== 'none') {
      if (returned === found) sortFound(found, sort === 'desc');
      else partialSort(order, sort === 'asc' ? ascending : descending, returned);
    }

    if (storeKey !== undefined) {
      const entries: Array<[string, number]> = [];
      for (let i = 0; i < returned; i++) {
        const at = order[i];
        entries.push([foundMembers[at], storeDist ? foundDists[at] / shape.conversion : foundScores[at]]);
      }
      releaseFound();
      const result = returned > 0 ? ZSetValue.fromEntries(ctx.server.config.values, entries) : undefined;
      db.storeResult(storeKey, result, NOTIFY.ZSET, isSearch ? 'geosearchstore' : 'georadiusstore');
      return returned;
    }

    const out: Reply[] = new Array(returned);
    const width = 1 + Number(withDist) + Number(withHash) + Number(withCoord);
    const nested = width > 1;
    for (let i = 0; i < returned; i++) {
      const at = order[i];
      if (!nested) {
        out[i] = foundMembers[at];
        continue;
      }
      // Made at its size: pushing onto a one-element array would reallocate it.
      const item = new Array<Reply>(width);
      let k = 0;
      item[k++] = foundMembers[at];
      if (withDist) item[k++] = formatDistance(foundDists[at] / shape.conversion);
      if (withHash) item[k++] = Math.trunc(foundScores[at]);
      if (withCoord) item[k++] = [coordinateReply(ctx, foundLons[at]), coordinateReply(ctx, foundLats[at])];
      out[i] = item;
    }
    releaseFound();
    return out;
  };
}

/**
 * The source and STORE/STOREDIST destination of GEORADIUS and
 * GEORADIUSBYMEMBER when the key specs cannot say (Redis's
 * georadiusGetKeys): the last destination given from argument 5 on.
 */
function georadiusKeys(args: readonly string[]): string[] {
  let store: string | undefined;
  for (let i = 5; i < args.length; i++) {
    const word = args[i].toLowerCase();
    if ((word === 'store' || word === 'storedist') && i + 1 < args.length) store = args[++i];
  }
  return store === undefined ? [args[1]] : [args[1], store];
}

const common = { group: 'geo' } as const;
const SEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.';
const RADIUS_OPTIONS = '[WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]';
const SEARCH_OPTIONS =
  '[FROMMEMBER member] [FROMLONLAT longitude latitude] [BYRADIUS radius M|KM|FT|MI] [BYBOX width height M|KM|FT|MI] [ASC|DESC] [COUNT count [ANY]]';

export const geoCommands: readonly CommandSpec[] = [
  defineCommand({
    ...common, name: 'geoadd', arity: -5, flags: ['write', 'denyoom'], keys: ONE_KEY, since: '3.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    summary: 'Adds points, by longitude and latitude, to a geospatial index (a sorted set).',
    syntax: 'key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]',
    propagate: (args) => [geoaddAsZadd(args)],
    run: geoadd,
  }),
  defineCommand({
    ...common, name: 'geodist', arity: -4, flags: ['readonly'], keys: ONE_KEY, since: '3.2.0', complexity: 'O(log(N))',
    summary: 'Returns the distance between two members of a geospatial index.', syntax: 'key member1 member2 [M|KM|FT|MI]',
    run: geodist,
  }),
  defineCommand({
    ...common, name: 'geohash', arity: -2, flags: ['readonly'], keys: ONE_KEY, since: '3.2.0',
    complexity: 'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
    summary: 'Returns the standard geohash strings of members of a geospatial index.', syntax: 'key [member [member ...]]',
    run: geohash,
  }),
  defineCommand({
    ...common, name: 'geopos', arity: -2, flags: ['readonly'], keys: ONE_KEY, since: '3.2.0',
    complexity: 'O(N) where N is the number of members requested.',
    summary: 'Returns the longitude and latitude of members of a geospatial index.', syntax: 'key [member [member ...]]',
    run: geopos,
  }),
  defineCommand({
    ...common, name: 'georadius', arity: -6, flags: ['write', 'denyoom', 'movablekeys'], keys: ONE_KEY, keysOf: georadiusKeys,
    since: '3.2.0', complexity: SEARCH_COMPLEXITY,
    summary: 'Finds the members within a radius of a point, optionally storing them.',
    syntax: `key longitude latitude radius M|KM|FT|MI ${RADIUS_OPTIONS} [STORE key] [STOREDIST key]`,
    run: search('georadius', true),
  }),
  defineCommand({
    ...common, name: 'georadius_ro', arity: -6, flags: ['readonly'], keys: ONE_KEY, since: '3.2.10', complexity: SEARCH_COMPLEXITY,
    summary: 'GEORADIUS without STORE, for read-only replicas and scripts.',
    syntax: `key longitude latitude radius M|KM|FT|MI ${RADIUS_OPTIONS}`,
    run: search('georadius', false),
  }),
  defineCommand({
    ...common, name: 'georadiusbymember', arity: -5, flags: ['write', 'denyoom', 'movablekeys'], keys: ONE_KEY, keysOf: georadiusKeys,
    since: '3.2.0', complexity: SEARCH_COMPLEXITY,
    summary: 'Finds the members within a radius of a member, optionally storing them.',
    syntax: `key member radius M|KM|FT|MI ${RADIUS_OPTIONS} [STORE key] [STOREDIST key]`,
    run: search('georadiusbymember', true),
  }),
  defineCommand({
    ...common, name: 'georadiusbymember_ro', arity: -5, flags: ['readonly'], keys: ONE_KEY, since: '3.2.10', complexity: SEARCH_COMPLEXITY,
    summary: 'GEORADIUSBYMEMBER without STORE, for read-only replicas and scripts.',
    syntax: `key member radius M|KM|FT|MI ${RADIUS_OPTIONS}`,
    run: search('georadiusbymember', false),
  }),
  defineCommand({
    ...common, name: 'geosearch', arity: -7, flags: ['readonly'], keys: ONE_KEY, since: '6.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    summary: 'Finds the members within a circle or a box around a point or a member.',
    syntax: `key ${SEARCH_OPTIONS} [WITHCOORD] [WITHDIST] [WITHHASH]`,
    run: search('geosearch', false),
  }),
  defineCommand({
    ...common, name: 'geosearchstore', arity: -8, flags: ['write', 'denyoom'], keys: { first: 1, last: 2, step: 1 }, since: '6.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    summary: 'GEOSEARCH, storing the members found (or their distances, STOREDIST) in a sorted set.',
    syntax: `destination source ${SEARCH_OPTIONS} [STOREDIST]`,
    run: search('geosearchstore', true),
  }),
];
