// `npm run bench:chart`: draws docs/performance.svg, the README's chart, from the
// tables that `BENCH_SAVE=1 npm run bench` and `BENCH_SAVE=1 npm run bench:memory`
// left in bench/results/. Every bar is a ratio to redis-server measured in the same
// run, drawn on a log scale so that 2x faster and 2x slower are the same length.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const results = (name) => {
  const file = new URL(`./results/${name}.json`, import.meta.url);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};

const throughput = results('throughput');
const memory = results('memory');
if (throughput === undefined && memory === undefined) {
  console.error('no bench/results/*.json: run BENCH_SAVE=1 npm run bench (and bench:memory) first');
  process.exit(1);
}

const WIDTH = 880;
const LABEL = 330;
const BAR = 13;
const GAP = 5;
// Ratios from 1/4 to 4 fill the plot; beyond that a bar is clipped and says so with its number.
const SPAN = Math.log(4);
const plotWidth = WIDTH - LABEL - 70;
const centre = LABEL + plotWidth / 2;
const xOf = (ratio) => centre + (Math.max(-SPAN, Math.min(SPAN, Math.log(ratio))) / SPAN) * (plotWidth / 2);

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One panel: a title, then a group per label with a bar per series. `better`
 * is 'higher' when a ratio above 1 is good for us (throughput), 'lower' when
 * below 1 is (memory).
 */
function panel(top, title, groups, better) {
  const parts = [`<text x="10" y="${top + 16}" class="title">${escape(title)}</text>`];
  let y = top + 30;
  const axisTop = y;
  for (const { label, bars } of groups) {
    parts.push(`<text x="${LABEL - 8}" y="${y + (bars.length * (BAR + 2)) / 2 + 4}" class="label" text-anchor="end">${escape(label)}</text>`);
    for (const { series, ratio } of bars) {
      const x = xOf(ratio);
      const good = better === 'higher' ? ratio >= 1 : ratio <= 1;
      const [from, to] = x < centre ? [x, centre] : [centre, x];
      parts.push(`<rect x="${from.toFixed(1)}" y="${y}" width="${Math.max(1, to - from).toFixed(1)}" height="${BAR}" class="${good ? 'good' : 'bad'}${series === 'P16' ? ' deep' : ''}"/>`);
      const textX = x < centre ? from - 4 : to + 4;
      parts.push(`<text x="${textX.toFixed(1)}" y="${y + BAR - 2}" class="value" text-anchor="${x < centre ? 'end' : 'start'}">${ratio.toFixed(2)}${series ? ` ${series}` : ''}</text>`);
      y += BAR + 2;
    }
    y += GAP;
  }
  parts.push(`<line x1="${centre}" y1="${axisTop - 4}" x2="${centre}" y2="${y}" class="axis"/>`);
  for (const tick of [0.25, 0.5, 2, 4]) {
    parts.push(`<line x1="${xOf(tick)}" y1="${axisTop - 4}" x2="${xOf(tick)}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${xOf(tick)}" y="${y + 12}" class="tick" text-anchor="middle">${tick}x</text>`);
  }
  parts.push(`<text x="${centre}" y="${y + 12}" class="tick" text-anchor="middle">1x = redis-server</text>`);
  return { svg: parts.join('\n'), bottom: y + 24 };
}

const panels = [];
let top = 0;
if (throughput !== undefined) {
  const byTest = new Map();
  for (const row of throughput.rows) {
    if (row.ratio === '-') continue;
    if (!byTest.has(row.test)) byTest.set(row.test, []);
    byTest.get(row.test).push({ series: `P${row.pipeline}`, ratio: Number(row.ratio) });
  }
  const groups = [...byTest].map(([label, bars]) => ({ label, bars }));
  const drawn = panel(top, `Requests per second, ours / redis-server (higher is better; ${throughput.date})`, groups, 'higher');
  panels.push(drawn.svg);
  top = drawn.bottom;
}
if (memory !== undefined) {
  const groups = memory.rows
    .filter((row) => row['ratio (RSS)'] !== '-')
    .map((row) => ({ label: `${row.dataset} (${row['ours B/elem (RSS)']} vs ${row['redis B/elem (RSS)']} B)`, bars: [{ series: '', ratio: Number(row['ratio (RSS)']) }] }));
  const drawn = panel(top, `RSS per element, ours / redis-server (lower is better; ${memory.date})`, groups, 'lower');
  panels.push(drawn.svg);
  top = drawn.bottom;
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="sans-serif">
<style>
.title { font-size: 14px; font-weight: bold; fill: #222; }
.label { font-size: 11px; fill: #222; }
.value, .tick { font-size: 10px; fill: #444; }
.good { fill: #3b8d3b; } .bad { fill: #d0743c; } .deep { opacity: 0.65; }
.axis { stroke: #222; stroke-width: 1.5; } .grid { stroke: #ccc; stroke-dasharray: 3 3; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
${panels.join('\n')}
</svg>
`;
const out = new URL('../docs/performance.svg', import.meta.url);
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(out, svg);
console.log(`wrote docs/performance.svg (${panels.length} panels)`);
