/**
 * The pixel canvas LOLWUT's art is drawn on, with Redis's drawing
 * primitives (Bresenham lines, rotated squares) and its C arithmetic: the
 * same pixels come out for the same random numbers.
 */

/** C's rand(): 0 to RAND_MAX (2^31 - 1). Redis seeds its own from the clock, so no sequence is expected. */
export function rand(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** C's round(): halves go away from zero. */
export function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  /** Drawing outside the canvas is allowed and does nothing. */
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** 0 outside the canvas. */
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /**
   * A square of side `size` centred on x,y and turned by `angle` radians:
   * its corners are points of the circle around it, 90 degrees apart from
   * 45 degrees plus the angle on. `size` and `angle` are C floats.
   */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // The square inscribed in a circle of radius 1 has side sqrt(2).
    const radius = Math.fround(cRound(Math.fround(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = Math.fround(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * radius + x));
      py.push(cRound(Math.cos(k) * radius + y));
      k = Math.fround(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}
