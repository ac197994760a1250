// The scripting workloads that bench/scripting.mjs and bench/cpu.mjs share, and the raw-socket loader that sends them.
import net from 'node:net';
import { once } from 'node:events';

export const GET_SCRIPT = "return redis.call('GET', KEYS[1])";
export const JOB_SCRIPT = `
local job = cmsgpack.unpack(ARGV[1])
local id = redis.call('INCR', KEYS[1] .. ':id')
local key = KEYS[1] .. ':' .. id
redis.call('HSET', key, 'name', job.name, 'data', cjson.encode(job.data), 'ts', job.ts)
redis.call('ZADD', KEYS[1] .. ':prioritized', job.priority, id)
redis.call('LPUSH', KEYS[1] .. ':wait', id)
redis.call('PUBLISH', KEYS[1] .. ':events', 'added')
return id`;

/** msgpack of {name='email', data={to='a@b.c', n=3}, ts=1700000000000, priority=5}, built by hand so the loader needs no library. */
export const cmsgpackJob = (() => {
  const str = (s) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s, 'latin1')]);
  const data = Buffer.concat([Buffer.from([0x82]), str('to'), str('a@b.c'), str('n'), Buffer.from([0x03])]);
  const ts = Buffer.alloc(9);
  ts[0] = 0xcf;
  ts.writeBigUInt64BE(1700000000000n, 1);
  return Buffer.concat([Buffer.from([0x84]), str('name'), str('email'), str('data'), data, str('ts'), ts, str('priority'), Buffer.from([0x05])]).toString('latin1');
})();

/**
 * Sends about `count` requests over `clients` connections, `pipeline` at a time, cycling through
 * `requests` (RESP strings whose replies are one line each, as nil bulks and integers are);
 * returns requests sent and requests per second.
 */
export async function load(port, requests, count, pipeline, clients) {
  const batches = [];
  for (let i = 0; i < requests.length; i += pipeline) {
    let s = '';
    for (let j = 0; j < pipeline; j++) s += requests[(i + j) % requests.length];
    batches.push(Buffer.from(s, 'latin1'));
  }
  const perClient = Math.max(1, Math.ceil(count / clients / pipeline));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let next = c;
      let pendingReplies = pipeline;
      let sent = 1;
      let done;
      const finished = new Promise((resolve) => (done = resolve));
      const send = () => socket.write(batches[next++ % batches.length]);
      socket.on('data', (chunk) => {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) pendingReplies--;
        if (pendingReplies === 0) {
          if (sent === perClient) done();
          else {
            sent++;
            pendingReplies = pipeline;
            send();
          }
        }
      });
      send();
      await finished;
      socket.destroy();
    }),
  );
  const total = perClient * clients * pipeline;
  return { total, perSecond: total / ((performance.now() - started) / 1000) };
}
