/**
 * Geohash arithmetic for the GEO commands, reproducing Redis's numbers bit
 * for bit so that scores, positions, distances and search results agree.
 *
 * A point is stored as a sorted set score: its longitude and latitude cut
 * into 2^26 steps each (latitude only within the Web Mercator limits
 * ±85.05112878) and interleaved, latitude in the even bits, longitude in
 * the odd ones. A search covers its shape with a 3x3 block of coarser cells
 * whose score ranges are then scanned.
 *
 * Cells are kept as their two indexes rather than as interleaved bits: an
 * interleaved hash has up to 54 bits (an index of exactly 2^step at the top
 * edge spills past the cell's width, as in Redis) and JS numbers hold 53,
 * so the bits only ever exist as two 32-bit words.
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** Earth's quadratic mean radius (WGS-84), the one Redis measures with. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;
const TWO_32 = 4294967296;
/**
 * Powers of two by exponent: `2 ** n` with a variable n is a call into the
 * libm pow (a tenth of GEOSEARCH's time, measured with perf), and V8 does
 * not always fold it for constants either.
 */
const POW2 = Float64Array.from({ length: 65 }, (_, n) => 2 ** n);
const TWO_52 = POW2[52];
const TWO_53 = POW2[53];
const TWO_63 = POW2[63];
const TWO_64 = POW2[64];

const degRad = (angle: number): number => angle * D_R;
const radDeg = (angle: number): number => angle / D_R;

/** A geohash cell: longitude and latitude indexes at `step` bits each. */
export interface Cell {
  readonly lon: number;
  readonly lat: number;
  readonly step: number;
}

export interface Range {
  readonly min: number;
  readonly max: number;
}

const LONG_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of a standard geohash (GEOHASH prints those). */
const STANDARD_LAT_RANGE: Range = { min: -90, max: 90 };

/** The low 16 bits of `x` moved to the even bit positions of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  return (x | (x << 1)) & 0x55555555;
}

/** The even bits of a 32-bit word, packed into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  return (x | (x >>> 8)) & 0x0000ffff;
}

/** Interleaved bits of two 32-bit indexes, as the high and low words of 64 bits. */
let wordHi = 0;
let wordLo = 0;

function interleave(lat: number, lon: number): void {
  wordLo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  wordHi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
}

/** The 64-bit unsigned value of wordHi:wordLo as the nearest double (C's conversion, one rounding). */
const wordsValue = (): number => wordHi * TWO_32 + wordLo;

/**
 * The cell of a point at `step` bits per coordinate within the given
 * ranges, or undefined outside them (Redis's geohashEncode). Offsets are
 * truncated to integers as C's conversion to uint32 does.
 */
export function encode(longitude: number, latitude: number, step: number, latRange: Range = LAT_RANGE): Cell | undefined {
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return undefined;
  if (latitude < latRange.min || latitude > latRange.max || longitude < LONG_RANGE.min || longitude > LONG_RANGE.max) return undefined;
  const scale = POW2[step];
  const latOffset = ((latitude - latRange.min) / (latRange.max - latRange.min)) * scale;
  const lonOffset = ((longitude - LONG_RANGE.min) / (LONG_RANGE.max - LONG_RANGE.min)) * scale;
  return { lon: Math.trunc(lonOffset), lat: Math.trunc(latOffset), step };
}

/** The sorted set score of a point (52 bits, or a little more at the top edges), undefined outside the limits. */
export function pointScore(longitude: number, latitude: number): number | undefined {
  const cell = encode(longitude, latitude, GEO_STEP_MAX);
  if (cell === undefined) return undefined;
  interleave(cell.lat, cell.lon);
  return wordsValue();
}

/**
 * The score range [min, max) holding every point of a cell: its bits and
 * its bits plus one, shifted to the full 52-bit width (Redis's
 * scoresOfGeoHashBox). The sum is made on the words so that the one
 * rounding to a double happens last, as in C.
 */
export function cellScores(cell: Cell): [number, number] {
  interleave(cell.lat, cell.lon);
  const shift = POW2[52 - 2 * cell.step];
  const min = wordsValue() * shift;
  wordLo += 1;
  if (wordLo === TWO_32) {
    wordLo = 0;
    wordHi = (wordHi + 1) >>> 0;
  }
  return [min, wordsValue() * shift];
}

/** The coordinate ranges a cell covers (Redis's geohashDecode). */
export interface Area {
  readonly lonMin: number;
  readonly lonMax: number;
  readonly latMin: number;
  readonly latMax: number;
}

function decodeCell(lon: number, lat: number, step: number): Area {
  const cells = POW2[step];
  const latScale = LAT_RANGE.max - LAT_RANGE.min;
  const lonScale = LONG_RANGE.max - LONG_RANGE.min;
  // The index plus one is uint32 arithmetic in C: it wraps.
  return {
    latMin: LAT_RANGE.min + (lat / cells) * latScale,
    latMax: LAT_RANGE.min + (((lat + 1) >>> 0) / cells) * latScale,
    lonMin: LONG_RANGE.min + (lon / cells) * lonScale,
    lonMax: LONG_RANGE.min + (((lon + 1) >>> 0) / cells) * lonScale,
  };
}

export const decodeArea = (cell: Cell): Area => decodeCell(cell.lon, cell.lat, cell.step);

/**
 * Splits a score into the two words of the uint64 C's cast would give on
 * x86-64: truncation toward zero, two's complement for negatives, and the
 * hardware's answers for what does not fit (scores can be any double when
 * ZADD made the set).
 */
function scoreWords(score: number): void {
  let t = Math.trunc(score);
  if (t >= TWO_64) t = 0;
  else if (t < -TWO_63) t = -TWO_63;
  const hi = Math.floor(t / TWO_32);
  wordLo = t - hi * TWO_32;
  wordHi = hi >>> 0;
}

const CELLS = POW2[GEO_STEP_MAX];
const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;

/**
 * The position of a stored score: the centre of its cell, clamped to the
 * limits (Redis's geohashDecodeToLongLatWGS84). Writes into `out` as
 * [longitude, latitude] so that a search decodes without allocating.
 */
export function decodeScore(score: number, out: [number, number]): void {
  // Searches decode every candidate: the words of a score GEOADD made (an
  // integer below 2^53) stay in locals, since a number this large stored in
  // a module variable is boxed anew each time.
  let lo: number;
  let hi: number;
  if (score >= 0 && score < TWO_53) {
    hi = Math.floor(score / TWO_32);
    lo = (Math.floor(score) - hi * TWO_32) >>> 0;
  } else {
    scoreWords(score);
    lo = wordLo;
    hi = wordHi;
  }
  const lat = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const lon = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  cellCentre(lon, lat, out);
}

/** The centre of the 26-bit cell of these indexes, clamped to the limits, into `out` as [longitude, latitude] (decodeCell's arithmetic, inline). */
function cellCentre(lon: number, lat: number, out: [number, number]): void {
  let x = (GEO_LONG_MIN + (lon / CELLS) * LONG_SCALE + (GEO_LONG_MIN + (((lon + 1) >>> 0) / CELLS) * LONG_SCALE)) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (GEO_LAT_MIN + (lat / CELLS) * LAT_SCALE + (GEO_LAT_MIN + (((lat + 1) >>> 0) / CELLS) * LAT_SCALE)) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  out[0] = x;
  out[1] = y;
}

const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * The standard 11-character geohash of a stored score: its position
 * re-encoded within latitude ±90 (Redis's own cells stop at ±85), ten
 * 5-bit digits from the top of the 52 bits and a final '0'.
 */
export function scoreToGeohash(score: number): string {
  const xy: [number, number] = [0, 0];
  decodeScore(score, xy);
  const cell = encode(xy[0], xy[1], GEO_STEP_MAX, STANDARD_LAT_RANGE);
  if (cell === undefined) return '00000000000';
  interleave(cell.lat, cell.lon);
  let out = '';
  for (let i = 0; i < 10; i++) {
    const shift = 52 - (i + 1) * 5;
    // No digit straddles the two words: 52 - 5k is never within 4 bits above 32.
    const digit = shift >= 32 ? wordHi >>> (shift - 32) : wordLo >>> shift;
    out += GEOHASH_ALPHABET[digit & 0x1f];
  }
  return out + '0';
}

// ------------------------------------------------------------------ distances

/** Distance along a meridian (the haversine formula when the longitudes are equal). */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Great-circle distance in meters by the haversine formula. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  return haversine(lon1, lat1, Math.cos(degRad(lat1)), lon2, lat2);
}

/** `distance` with the cosine of the first point's latitude given: a search measures every candidate from one centre. */
function haversine(lon1: number, lat1: number, cosLat1: number, lon2: number, lat2: number): number {
  const v = Math.sin((degRad(lon2) - degRad(lon1)) / 2);
  if (v === 0) return latDistance(lat1, lat2);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - degRad(lat1)) / 2);
  const a = u * u + cosLat1 * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

// ------------------------------------------------------------------ searches

/** A search area: a circle (radius) or an axis-aligned box (width, height), in the unit of `conversion` meters. */
export interface Shape {
  readonly lon: number;
  readonly lat: number;
  /** Meters per unit. */
  readonly conversion: number;
  readonly kind: 'radius' | 'box';
  readonly radius: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The distance from the shape's centre to a point when the point lies in
 * the shape, else -1 (Redis's geoWithinShape). A box contains what lies
 * within half its height along the meridian and half its width along the
 * point's parallel. `centreCos` is the cosine of the centre's latitude
 * (centreCosine), the same for every point of a search.
 */
export function distanceInShape(shape: Shape, centreCos: number, lon: number, lat: number): number {
  if (shape.kind === 'radius') {
    const limit = shape.radius * shape.conversion;
    // A great circle is never shorter than its latitude difference along a
    // meridian: with a margin far above both formulas' rounding errors, that
    // cheap test leaves out most candidates of the cells scanned, as the
    // haversine would.
    if (latDistance(lat, shape.lat) > limit * (1 + 1e-6)) return -1;
    const d = haversine(shape.lon, shape.lat, centreCos, lon, lat);
    return d > limit ? -1 : d;
  }
  if (latDistance(lat, shape.lat) > (shape.height * shape.conversion) / 2) return -1;
  if (distance(lon, lat, shape.lon, lat) > (shape.width * shape.conversion) / 2) return -1;
  return haversine(shape.lon, shape.lat, centreCos, lon, lat);
}

export const centreCosine = (shape: Shape): number => Math.cos(degRad(shape.lat));

/**
 * Bounds on the 26-bit latitude and longitude indexes of the points a
 * search can accept, so that most candidates of the cells scanned are
 * refused from two integer comparisons on their score's bits, before any
 * decoding or trigonometry. Only points that distanceInShape would refuse
 * are refused: the bounds have a margin in degrees and one cell on each
 * side. The longitude bound is the widest reach of the circle (asin(sin δ /
 * cos φ)), left open when the circle holds a pole or crosses the antimeridian,
 * and for boxes, whose width is measured along each point's own parallel.
 */
export class IndexBounds {
  latMin = 0;
  latMax = 0;
  lonMin = 0;
  lonMax = 0;

  constructor(shape: Shape) {
    const reach = (shape.kind === 'radius' ? shape.radius * (1 + 1e-6) : shape.height / 2) * shape.conversion;
    const latDelta = radDeg(reach / EARTH_RADIUS_IN_METERS) * (1 + 1e-9);
    this.latMin = latIndex(shape.lat - latDelta) - 1;
    this.latMax = latIndex(shape.lat + latDelta) + 1;
    this.lonMin = -1;
    this.lonMax = CELLS;
    if (shape.kind !== 'radius') return;
    const angle = reach / EARTH_RADIUS_IN_METERS;
    const ratio = Math.sin(angle) / Math.cos(degRad(shape.lat));
    if (angle >= Math.PI / 2 - degRad(Math.abs(shape.lat)) || !(ratio < 1)) return;
    const lonDelta = radDeg(Math.asin(ratio)) * (1 + 1e-9) + 1e-9;
    if (shape.lon - lonDelta <= GEO_LONG_MIN || shape.lon + lonDelta >= GEO_LONG_MAX) return;
    this.lonMin = lonIndex(shape.lon - lonDelta) - 1;
    this.lonMax = lonIndex(shape.lon + lonDelta) + 1;
  }

  /**
   * False when the point of this score lies outside the bounds; else its
   * position, as decodeScore gives it, is in `out`. One split of the score
   * serves both (a score GEOADD made is an integer below 2^52; any other is
   * admitted).
   */
  locate(score: number, out: [number, number]): boolean {
    if (!(score >= 0 && score < TWO_52)) {
      decodeScore(score, out);
      return true;
    }
    const hi = Math.floor(score / TWO_32);
    const lo = (Math.floor(score) - hi * TWO_32) >>> 0;
    const lat = compact16(lo) | (compact16(hi) << 16);
    if (lat < this.latMin || lat > this.latMax) return false;
    const lon = compact16(lo >>> 1) | (compact16(hi >>> 1) << 16);
    if (lon < this.lonMin || lon > this.lonMax) return false;
    cellCentre(lon, lat, out);
    return true;
  }
}

/** The 26-bit index of a latitude, unclamped (the bounds may reach past the limits). */
const latIndex = (lat: number): number => Math.floor(((lat - GEO_LAT_MIN) / LAT_SCALE) * CELLS);
const lonIndex = (lon: number): number => Math.floor(((lon - GEO_LONG_MIN) / LONG_SCALE) * CELLS);

/** Longitude and latitude bounds of a shape (Redis's geohashBoundingBox): [minLon, minLat, maxLon, maxLat]. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const { lon, lat } = shape;
  const height = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  // The parallel nearer the pole is the shorter one: it bounds the longitudes.
  const lonDelta = lat < 0 ? lonDeltaBottom : lonDeltaTop;
  return [lon - lonDelta, lat - latDelta, lon + lonDelta, lat + latDelta];
}

/** Coarsest useful cell size for a radius: cells about as large as the radius, larger toward the poles. */
function estimateStep(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return GEO_STEP_MAX;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(GEO_STEP_MAX, Math.max(1, step));
}

const wrap = (index: number, step: number): number => (index & (POW2[step] - 1)) >>> 0;

/**
 * A neighbouring cell. Moving east or west wraps the longitude index and
 * leaves the latitude index as it is; north and south do the converse (so
 * an index past the edge survives a move along the other axis, as in Redis).
 */
function moved(cell: Cell, dLon: number, dLat: number): Cell {
  const step = cell.step;
  return {
    lon: dLon === 0 ? cell.lon : wrap(cell.lon + dLon, step),
    lat: dLat === 0 ? cell.lat : wrap(cell.lat + dLat, step),
    step,
  };
}

/** The block searched: centre, N, S, E, W, NE, NW, SE, SW, with null for cells the shape cannot reach. */
function neighbourhood(cell: Cell): (Cell | null)[] {
  return [
    cell,
    moved(cell, 0, 1),
    moved(cell, 0, -1),
    moved(cell, 1, 0),
    moved(cell, -1, 0),
    moved(cell, 1, 1),
    moved(cell, -1, 1),
    moved(cell, 1, -1),
    moved(cell, -1, -1),
  ];
}

/**
 * The cells to scan for a shape, in Redis's order (geohashCalculateAreasByShapeWGS84):
 * the centre's cell at the estimated step and its eight neighbours, one step
 * coarser when a neighbour does not reach the bounding box's edge, minus
 * the neighbours on sides the box does not extend to.
 */
export function searchCells(shape: Shape): (Cell | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters =
    (shape.kind === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) *
    shape.conversion;
  let step = estimateStep(radiusMeters, shape.lat);
  // The centre is always within the limits (checked, or decoded from a member).
  let cell = encode(shape.lon, shape.lat, step)!;
  let cells = neighbourhood(cell);
  const north = decodeArea(cells[1]!);
  const south = decodeArea(cells[2]!);
  const east = decodeArea(cells[3]!);
  const west = decodeArea(cells[4]!);
  const tooSmall = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (step > 1 && tooSmall) {
    step--;
    cell = encode(shape.lon, shape.lat, step)!;
    cells = neighbourhood(cell);
  }
  if (step >= 2) {
    const area = decodeArea(cell);
    const drop = (...indexes: number[]): void => indexes.forEach((i) => (cells[i] = null));
    if (area.latMin < minLat) drop(2, 8, 7);
    if (area.latMax > maxLat) drop(1, 5, 6);
    if (area.lonMin < minLon) drop(4, 8, 6);
    if (area.lonMax > maxLon) drop(3, 7, 5);
  }
  return cells;
}
