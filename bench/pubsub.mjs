// `npm run bench:pubsub`: PUBLISH fan-out. For 1, 10 and 100 subscribers of one
// channel, redis-benchmark publishes BENCH_MESSAGES messages (10 publishers,
// pipelined 16 deep) while this process counts what the subscribers receive;
// the figure is messages delivered per second, ours and redis-server's in the
// same run (median of BENCH_ROUNDS). A measurement, not a test.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { have, median, startServers, stopServers } from './servers.mjs';

const messages = Number(process.env.BENCH_MESSAGES ?? 100000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const fanouts = (process.env.BENCH_SUBSCRIBERS ?? '1 10 100').split(/\s+/).map(Number);
const CHANNEL = 'bench:channel';
const PAYLOAD = 'x'.repeat(32);
// Every delivery is this exact frame, so counting bytes counts messages.
const FRAME_BYTES = Buffer.byteLength(`*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${PAYLOAD.length}\r\n${PAYLOAD}\r\n`);
const SUBSCRIBED_BYTES = Buffer.byteLength(`*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`);

if (!have('redis-benchmark')) {
  console.error('redis-benchmark not found: apt-get install redis-tools');
  process.exit(1);
}

/** Connects `count` subscribers; resolves with a counter of the bytes of messages they received. */
async function subscribe(port, count) {
  const sockets = [];
  const received = { bytes: 0 };
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`SUBSCRIBE ${CHANNEL}\r\n`);
    let confirmed = 0;
    await new Promise((resolve) => {
      socket.on('data', (chunk) => {
        if (confirmed < SUBSCRIBED_BYTES) {
          const used = Math.min(SUBSCRIBED_BYTES - confirmed, chunk.length);
          confirmed += used;
          received.bytes += chunk.length - used;
          if (confirmed === SUBSCRIBED_BYTES) resolve();
        } else {
          received.bytes += chunk.length;
        }
      });
    });
    sockets.push(socket);
  }
  return { received, close: () => sockets.forEach((s) => s.destroy()) };
}

/** Publishes `messages` messages and returns deliveries per second across `subscribers`. */
async function round(port, subscribers) {
  const subs = await subscribe(port, subscribers);
  try {
    const expected = messages * subscribers * FRAME_BYTES;
    const started = performance.now();
    const publisher = spawn('redis-benchmark', ['-p', String(port), '-n', String(messages), '-c', '10', '-P', '16', '-q', 'PUBLISH', CHANNEL, PAYLOAD], { stdio: 'ignore' });
    const exited = once(publisher, 'exit');
    const deadline = Date.now() + 120_000;
    while (subs.received.bytes < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    await exited;
    return subs.received.bytes / FRAME_BYTES / seconds;
  } finally {
    subs.close();
  }
}

const servers = await startServers();
try {
  const rows = [];
  for (const subscribers of fanouts) {
    const samples = {};
    for (const s of servers) await round(s.port, subscribers); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const s of servers) (samples[s.name] ??= []).push(await round(s.port, subscribers));
    }
    const ours = median(samples.ours);
    const redis = samples.redis ? median(samples.redis) : undefined;
    rows.push({
      subscribers,
      'ours deliveries/s': Math.round(ours),
      'redis deliveries/s': redis ? Math.round(redis) : '-',
      ratio: redis ? (ours / redis).toFixed(2) : '-',
    });
  }
  console.log(`PUBLISH of ${messages} ${PAYLOAD.length}-byte messages (redis-benchmark -c 10 -P 16), median of ${rounds} rounds`);
  console.table(rows);
} finally {
  stopServers(servers);
}
