// EVAL against redis-server 7.0.15: every script of the corpus must get the same reply, byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { execFileSync, spawn } from 'node:child_process';
import { freePort, resp, startServer, waitForPort } from './helpers.mjs';
import { EVAL_CORPUS } from './lua/corpus.mjs';

const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

/** Length of the first complete RESP reply in buf, or -1 when it is not all there yet. */
function replyLength(buf, at = 0) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[at]);
  const head = buf.toString('latin1', at + 1, eol);
  if (type === '$') {
    const n = Number(head);
    if (n < 0) return eol + 2 - at;
    return buf.length >= eol + 2 + n + 2 ? eol + 2 + n + 2 - at : -1;
  }
  if (type === '*') {
    const n = Number(head);
    let pos = eol + 2;
    for (let i = 0; i < n; i++) {
      const len = replyLength(buf, pos);
      if (len < 0) return -1;
      pos += len;
    }
    return pos - at;
  }
  return eol + 2 - at;
}

async function connection(port) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buf = Buffer.alloc(0);
  let wake = () => {};
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  return {
    socket,
    async command(...args) {
      socket.write(resp(...args));
      for (;;) {
        const len = replyLength(buf);
        if (len >= 0) {
          const reply = buf.toString('latin1', 0, len);
          buf = buf.subarray(len);
          return reply;
        }
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 2000);
        });
      }
    },
  };
}

let ours;
let redis;
let oursConn;
let redisConn;
before(async () => {
  if (!haveRedis) return;
  ours = await startServer([]);
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port, proc);
  redis = { proc, port };
  oursConn = await connection(ours.port);
  redisConn = await connection(port);
});
after(async () => {
  oursConn?.socket.destroy();
  redisConn?.socket.destroy();
  await ours?.stop();
  redis?.proc.kill();
});

for (const [script, ...rest] of EVAL_CORPUS) {
  test(`EVAL ${JSON.stringify(script).slice(0, 90)} answers as Redis does`, { skip: !haveRedis && 'redis-server is not installed' }, async () => {
    const args = ['EVAL', script, ...rest.map(String)];
    await oursConn.command('FLUSHALL');
    await redisConn.command('FLUSHALL');
    const expected = await redisConn.command(...args);
    const actual = await oursConn.command(...args);
    assert.equal(actual, expected);
  });
}
