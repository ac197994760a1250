// `npm run bench:memory`: memory efficiency, ours and redis-server's in the same
// run. For each dataset a fresh pair of servers is started; each server in turn
// gets the dataset (pipelined over a raw socket, BENCH_BATCH commands per round
// trip), and the figure is its growth divided by the element count:
//   - RSS: VmRSS of the server process (/proc/<pid>/status), from just before
//     loading to after loading, MEMORY PURGE (Redis hands jemalloc's dirty
//     pages back, ours runs a full garbage collection) and a settle pause (the
//     minimum of samples over BENCH_SETTLE_MS); the second table gives each server's
//     RSS empty (before loading), loaded, and after MEMORY PURGE;
//   - used_memory: INFO memory's own figure, measured the same way.
// Datasets (one element per command):
//   strings  BENCH_COUNT keys `key:<n>`, SET to a distinct BENCH_VALUE_SIZE-byte value
//   hash     one hash, BENCH_COUNT fields `field:<n>`, HSET to a distinct BENCH_VALUE_SIZE-byte value
//   set      one set, BENCH_COUNT members `member:<n>` (SADD)
//   zset     one sorted set, BENCH_COUNT members `member:<n>` with random scores (ZADD)
//   stream   one stream, BENCH_COUNT entries of two small fields `name n<n> value <n mod 1000>` (XADD *)
// Small collections, as apps keep objects, tags, queues and leaderboards: BENCH_SMALL_COUNT
// (default 100000) keys of 5 elements each, one command a key; the figure is per key:
//   smallhash    HSET obj:<n> with 5 fields of 6-10 bytes
//   smalllist    RPUSH queue:<n> with 5 items of 8 bytes
//   smallset     SADD tags:<n> with 5 short words
//   smallintset  SADD ids:<n> with 5 integers
//   smallzset    ZADD board:<n> with 5 members and integer scores
// The growth includes whatever the server allocates while working (for ours: JIT
// code, V8 heap slack), which is part of what a user pays. A measurement, not a
// test: it never fails on the numbers.
//
// Options (environment): BENCH_COUNT (default 1000000), BENCH_VALUE_SIZE (32),
// BENCH_BATCH (10000), BENCH_SETTLE_MS (3000), BENCH_DATASETS (all of the above),
// BENCH_SAVE=1 (also write the table to bench/results/memory.json for bench/chart.mjs).
import net from 'node:net';
import { once } from 'node:events';
import { connect, encode, info, rss, sleep } from './control.mjs';
import { saveRows, startServers, stopServers } from './servers.mjs';

const count = Number(process.env.BENCH_COUNT ?? 1_000_000);
const valueSize = Number(process.env.BENCH_VALUE_SIZE ?? 32);
const batchSize = Number(process.env.BENCH_BATCH ?? 10_000);
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 3000);
const smallCount = Number(process.env.BENCH_SMALL_COUNT ?? 100_000);
const wanted = (process.env.BENCH_DATASETS ?? 'strings,hash,set,zset,stream,smallhash,smalllist,smallset,smallintset,smallzset')
  .split(/[\s,]+/)
  .filter(Boolean);

/** A distinct, non-numeric value of exactly valueSize bytes. */
const value = (n) => `v${n}`.padEnd(valueSize, 'x').slice(0, valueSize);

const DATASETS = {
  strings: { command: (n) => ['SET', `key:${n}`, value(n)], size: ['DBSIZE'] },
  hash: { command: (n) => ['HSET', 'hash', `field:${n}`, value(n)], size: ['HLEN', 'hash'] },
  set: { command: (n) => ['SADD', 'set', `member:${n}`], size: ['SCARD', 'set'] },
  zset: { command: (n) => ['ZADD', 'zset', String(Math.random()), `member:${n}`], size: ['ZCARD', 'zset'] },
  // XADD replies with the ID as a bulk string: two lines a reply.
  stream: { command: (n) => ['XADD', 'stream', '*', 'name', `n${n}`, 'value', String(n % 1000)], size: ['XLEN', 'stream'], replyLines: 2 },
  smallhash: {
    command: (n) => ['HSET', `obj:${n}`, 'name', `user${n % 1000}`, 'email', `u${n}@x.io`, 'age', String(n % 90), 'city', 'Lisbon', 'plan', 'free'],
    size: ['DBSIZE'],
    count: smallCount,
  },
  smalllist: { command: (n) => ['RPUSH', `queue:${n}`, 'job:0001', 'job:0002', 'job:0003', 'job:0004', `job:${n % 10000}`], size: ['DBSIZE'], count: smallCount },
  smallset: { command: (n) => ['SADD', `tags:${n}`, 'red', 'green', 'blue', 'large', `t${n % 100}`], size: ['DBSIZE'], count: smallCount },
  smallintset: { command: (n) => ['SADD', `ids:${n}`, '1', '2', '3', '4', String(5 + (n % 1000))], size: ['DBSIZE'], count: smallCount },
  smallzset: { command: (n) => ['ZADD', `board:${n}`, '1', 'alice', '2', 'bob', '3', 'carol', '4', 'dave', String(n % 100), 'eve'], size: ['DBSIZE'], count: smallCount },
};

/** Minimum RSS and used_memory over `ms` (a sample every 500 ms, at least two). */
async function settle(s, conn, ms) {
  let minRss = Infinity;
  let minUsed = Infinity;
  const deadline = Date.now() + ms;
  for (;;) {
    minRss = Math.min(minRss, rss(s.proc.pid));
    minUsed = Math.min(minUsed, Number((await info(conn, 'memory')).used_memory));
    if (Date.now() >= deadline) break;
    await sleep(500);
  }
  return { rss: minRss, used: minUsed };
}

/**
 * Sends `count` commands, batchSize per round trip, over one socket; every reply
 * of these commands is `replyLines` lines, so counting line ends counts replies.
 */
async function load(port, command, count, replyLines = 1) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let replies = 0;
  let errors = 0;
  let firstError;
  let atLineStart = true;
  let wake;
  socket.on('data', (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      if (atLineStart && chunk[i] === 0x2d) {
        errors++;
        if (!firstError) firstError = chunk.toString('latin1', i, Math.min(chunk.indexOf(0x0d, i) >>> 0, i + 200));
      }
      atLineStart = chunk[i] === 0x0a;
      if (atLineStart) replies++;
    }
    wake?.();
  });
  let closed = false;
  socket.on('close', () => { closed = true; wake?.(); });
  socket.on('error', () => {});
  for (let sent = 0; sent < count;) {
    const end = Math.min(count, sent + batchSize);
    let out = '';
    for (let n = sent; n < end; n++) out += encode(command(n));
    socket.write(out);
    sent = end;
    while (replies < sent * replyLines) {
      if (closed) throw new Error(`connection closed after ${Math.floor(replies / replyLines)} replies`);
      await new Promise((r) => (wake = r));
    }
  }
  socket.destroy();
  if (errors) console.log(`  ${errors} error replies, the first: ${firstError}`);
}

/** Loads a dataset into one server; returns the growth figures. */
async function measure(s, dataset, count) {
  const conn = await connect(s.port);
  try {
    const before = await settle(s, conn, 1000);
    const started = performance.now();
    await load(s.port, dataset.command, count, dataset.replyLines);
    const seconds = (performance.now() - started) / 1000;
    const unpurged = rss(s.proc.pid);
    await conn.call('MEMORY', 'PURGE');
    const after = await settle(s, conn, settleMs);
    const size = await conn.call(...dataset.size);
    if (size !== count) console.log(`  ${s.name}: expected ${count} elements, ${dataset.size.join(' ')} says ${size}`);
    return { before, unpurged, after, seconds };
  } finally {
    conn.close();
  }
}

async function stop(servers) {
  const exited = servers.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null).map((s) => once(s.proc, 'exit'));
  stopServers(servers);
  await Promise.all(exited);
}

const mb = (bytes) => (bytes / 1048576).toFixed(1);

const rows = [];
const details = [];
for (const name of wanted) {
  const dataset = DATASETS[name];
  if (!dataset) throw new Error(`unknown dataset ${name} (known: ${Object.keys(DATASETS).join(', ')})`);
  const elements = dataset.count ?? count;
  const perElement = (bytes) => Math.round(bytes / elements);
  const servers = await startServers();
  const results = {};
  try {
    for (const s of servers) {
      const r = (results[s.name] = await measure(s, dataset, elements));
      details.push({
        dataset: name,
        server: s.name,
        'load s': r.seconds.toFixed(1),
        'RSS empty MB': mb(r.before.rss),
        'RSS loaded MB': mb(r.unpurged),
        'RSS after PURGE MB': mb(r.after.rss),
        'used_memory before MB': mb(r.before.used),
        'used_memory after MB': mb(r.after.used),
      });
    }
  } finally {
    await stop(servers);
  }
  const growth = (server, field) => (results[server] ? results[server].after[field] - results[server].before[field] : undefined);
  const row = { dataset: name, elements };
  for (const [field, label] of [['rss', 'RSS'], ['used', 'used_memory']]) {
    const ours = growth('ours', field);
    const redis = growth('redis', field);
    row[`ours B/elem (${label})`] = perElement(ours);
    row[`redis B/elem (${label})`] = redis === undefined ? '-' : perElement(redis);
    row[`ratio (${label})`] = redis ? (ours / redis).toFixed(2) : '-';
  }
  rows.push(row);
}

const description = `Growth per element (per key for the small-collection datasets) after loading (${valueSize}-byte values for strings and hash fields), settled for ${settleMs} ms`;
console.log(description);
console.table(rows);
saveRows('memory', rows, description);
console.table(details);
