/**
 * LOLWUT version 6: a city skyline in the four grays of a terminal, after
 * the parallax backgrounds of 8-bit games: two rows of plain buildings
 * behind, one with lit windows in front.
 */
import { Canvas, rand } from './canvas.js';

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

function drawSkyscraper(canvas: Canvas, s: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      // The roof is four pixels narrower.
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide and one tall (terminal cells are not square), both pixels one gray.
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do {
            color = 1 + (rand() % 2);
          } while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

function drawSkyline(canvas: Canvas): void {
  const h = canvas.height;
  const div = (a: number, b: number): number => Math.trunc(a / b);
  // The lighter gray first, so that it stays behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = div(h, 2) + div(rand() % h, color === 2 ? 2 : 3);
      drawSkyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? div(width, 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = div(h, 3) + div(rand() % h, 2);
    drawSkyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

/** Foreground and background set alike for each gray, so terminals agree on it. */
const CELLS = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'].map((color) => `\x1b[${color} \x1b[0m`);

function render(canvas: Canvas): string {
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let row = '';
    for (let x = 0; x < canvas.width; x++) row += CELLS[canvas.get(x, y)];
    rows.push(row);
  }
  return rows.join('\n');
}

/** LOLWUT VERSION 6 [columns [rows]], each already clamped. */
export function skyline(columns: number, rows: number, version: string): string {
  const canvas = new Canvas(columns, rows, 3);
  drawSkyline(canvas);
  return `${render(canvas)}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ${version}\n`;
}
