// Helpers the benchmarks share for talking to a server under test on the side:
// RESP encoding and reply parsing, a control connection for occasional commands
// (INFO, DBSIZE, MEMORY PURGE, ...), INFO fields, and a process's RSS.
import net from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RESP encoding of a command whose arguments are all ASCII. */
export const encode = (args) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

/**
 * Parses one reply at `pos` of `buf`: { value, end }, or null when incomplete.
 * Simple strings and bulk strings give strings (a null bulk string null), errors
 * Error objects, integers numbers and arrays arrays of these.
 */
export function parseReply(buf, pos) {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const line = buf.toString('latin1', pos + 1, nl);
  switch (buf[pos]) {
    case 0x2b: return { value: line, end: nl + 2 }; // +
    case 0x2d: return { value: new Error(line), end: nl + 2 }; // -
    case 0x3a: return { value: Number(line), end: nl + 2 }; // :
    case 0x24: { // $
      const len = Number(line);
      if (len < 0) return { value: null, end: nl + 2 };
      if (buf.length < nl + 4 + len) return null;
      return { value: buf.toString('utf8', nl + 2, nl + 2 + len), end: nl + 4 + len };
    }
    case 0x2a: { // *
      const items = [];
      let p = nl + 2;
      for (let i = 0; i < Number(line); i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        items.push(r.value);
        p = r.end;
      }
      return { value: items, end: p };
    }
    default: throw new Error(`unexpected reply byte ${buf[pos]}`);
  }
}

/**
 * Opens a connection for occasional commands to 127.0.0.1:`port`: { call, close }.
 * call([timeoutMs,] ...args) sends the command (string arguments; a leading
 * number is the timeout, not an argument) and resolves with its parsed reply,
 * an error reply as an Error. With timeoutMs it resolves with undefined when the
 * reply has not come by then; that late reply is still consumed in order, and
 * dropped. Once the connection has closed, calls waiting or made afterwards
 * resolve with Error('connection closed'). close() destroys the socket.
 */
export async function connect(port) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buf = Buffer.alloc(0);
  const pending = [];
  let closed = false;
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (pending.length) {
      const r = parseReply(buf, 0);
      if (!r) break;
      buf = buf.subarray(r.end);
      pending.shift()(r.value);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    for (const resolve of pending.splice(0)) resolve(new Error('connection closed'));
  });
  return {
    call(...args) {
      const timeoutMs = typeof args[0] === 'number' ? args.shift() : undefined;
      if (closed) return Promise.resolve(new Error('connection closed'));
      const reply = new Promise((resolve) => pending.push(resolve));
      socket.write(encode(args));
      if (timeoutMs === undefined) return reply;
      let timer;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
    },
    close: () => socket.destroy(),
  };
}

/**
 * Fields of an INFO `section` reply over `conn` (from connect) as { name: value }.
 * Without timeoutMs an error reply (or a closed connection) is thrown; with it
 * the call is a best-effort sample: a reply that is not text by then (timeout,
 * error, closed connection) gives {}.
 */
export async function info(conn, section, timeoutMs) {
  const text = timeoutMs === undefined ? await conn.call('INFO', section) : await conn.call(timeoutMs, 'INFO', section);
  if (timeoutMs === undefined) {
    if (text instanceof Error) throw text;
  } else if (typeof text !== 'string') {
    return {};
  }
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(/:(.*)/s).slice(0, 2)));
}

/** The process's resident set size in bytes (VmRSS of /proc/<pid>/status), or undefined once it has exited. */
export function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return undefined;
  }
}
