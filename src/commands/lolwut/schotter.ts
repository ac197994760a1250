/**
 * LOLWUT version 5: Georg Nees's "Schotter" (1968), rows of squares that
 * fall into disorder further down, drawn in braille characters (2x4 pixels
 * each). The arithmetic is Redis's, in C floats (Math.fround).
 */
import { Canvas, rand } from './canvas.js';

const f = Math.fround;
const RAND_MAX = f(2 ** 31 - 1);

function drawSchotter(consoleCols: number, squaresPerRow: number, squaresPerCol: number): Canvas {
  const width = consoleCols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f(f(width - padding * 2) / squaresPerRow);
  const height = Math.trunc(f(f(side * squaresPerCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  for (let y = 0; y < squaresPerCol; y++) {
    for (let x = 0; x < squaresPerRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      // The first two rows stand straight; below, turns and shifts grow with the row.
      if (y > 1) {
        const disorder = (): number => f(f(f(f(rand()) / RAND_MAX) / squaresPerCol) * y);
        let r1 = disorder();
        let r2 = disorder();
        let r3 = disorder();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/**
 * The canvas as UTF-8 braille, one character per 2x4 pixels, as a latin1
 * (byte) string. Written into one buffer: the largest canvas makes 300 MB
 * of text, far too many pieces for string concatenation.
 */
function render(canvas: Canvas): string {
  const { width, height, pixels } = canvas;
  const out = Buffer.allocUnsafe(Math.ceil(height / 4) * ((width / 2) * 3 + 1));
  // Pixel rows past the bottom read as blank.
  const blank = new Uint8Array(width);
  const row = (y: number): Uint8Array => (y < height ? pixels.subarray(y * width, (y + 1) * width) : blank);
  let at = 0;
  for (let y = 0; y < height; y += 4) {
    const [p0, p1, p2, p3] = [row(y), row(y + 1), row(y + 2), row(y + 3)];
    // Dots by bit, left column then right, top to bottom: 0 1 2 6 / 3 4 5 7. The width is even.
    for (let x = 0; x < width; x += 2) {
      const dots = p0[x] | (p1[x] << 1) | (p2[x] << 2) | (p0[x + 1] << 3) | (p1[x + 1] << 4) | (p2[x + 1] << 5) | (p3[x] << 6) | (p3[x + 1] << 7);
      const code = 0x2800 + dots;
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    }
    // Redis's test for the last row, which only a height of 4k+1 meets.
    if (y !== height - 1) out[at++] = 10;
  }
  return out.toString('latin1', 0, at);
}

/** LOLWUT [VERSION 5] [columns [squares-per-row [squares-per-col]]], each already clamped. */
export function schotter(columns: number, squaresPerRow: number, squaresPerCol: number, version: string): string {
  return `${render(drawSchotter(columns, squaresPerRow, squaresPerCol))}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${version}\n`;
}
