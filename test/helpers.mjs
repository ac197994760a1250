// Starts the real server (dist/main.js) in a child process on a free port, and
// offers raw-socket helpers. Every integration test goes through here.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';

export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * The V8 flags the server runs with, from the `#!/usr/bin/env -S node ...`
 * line of src/main.ts: the one source that `npm start`, the Dockerfile, the
 * tests and the benchmarks follow (a test checks the copies).
 */
export const SERVER_NODE_FLAGS = readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8')
  .split('\n', 1)[0]
  .split(/\s+/)
  .slice(3);

/** A port nobody listens on right now. */
export async function freePort() {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves once something accepts connections on `port`; fails early if `proc` exits. */
export async function waitForPort(port, proc, describe = () => '') {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`server exited early (${proc.exitCode}):\n${describe()}`);
    try {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.destroy();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`server did not start:\n${describe()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Spawns the server with exactly `args` (a config file may come first), in
 * a fresh temporary working directory: that is its default `dir`, so a
 * snapshot it saves never lands in the project or reaches another test's
 * server. TEST_TARGET=redis runs a real redis-server instead, to check that
 * what a test expects is what Redis does.
 */
export function launch(args) {
  const cwd = mkdtempSync(join(tmpdir(), 'noderedis-run-'));
  const [command, argv] =
    process.env.TEST_TARGET === 'redis'
      ? ['redis-server', [...args, '--save', '', '--appendonly', 'no']]
      : [process.execPath, [...SERVER_NODE_FLAGS, MAIN, ...args]];
  const proc = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  // The working directory (and any snapshot saved in it) goes with the server.
  exited.then(() => rmSync(cwd, { recursive: true, force: true }));
  return {
    proc,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => stdout + stderr,
    ready: (port) => waitForPort(port, proc, () => stdout + stderr),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts a server on a free port with extra arguments; resolves once it accepts connections. */
export async function startServer(args = []) {
  const port = await freePort();
  const server = launch(['--port', String(port), ...args]);
  await server.ready(port);
  return { ...server, port };
}

/** Opens a raw TCP connection; `read` collects everything received, waiting at most `readTimeoutMs` by default. */
export async function rawConnect(port, readTimeoutMs = 5000) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = Buffer.alloc(0);
  let closed = false;
  const waiters = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (d) => {
    received = Buffer.concat([received, d]);
    notify();
  });
  socket.on('close', () => {
    closed = true;
    notify();
  });
  socket.on('error', () => {});
  const conn = {
    socket,
    get closed() {
      return closed;
    },
    write(data) {
      socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    },
    /** Waits until at least `n` bytes arrived (or the socket closed); returns and consumes them as latin1. */
    async read(n, timeoutMs = readTimeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n && !closed) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes, have ${JSON.stringify(received.toString('latin1'))}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      const out = received.subarray(0, n);
      received = received.subarray(n);
      return out.toString('latin1');
    },
    /** Waits until `text` arrived; returns and consumes everything up to and including it. */
    async readUntil(text, timeoutMs = readTimeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let at;
      while ((at = received.indexOf(text, 0, 'latin1')) < 0 && !closed) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}, have ${JSON.stringify(received.toString('latin1'))}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      if (at < 0) throw new Error(`connection closed before ${JSON.stringify(text)} arrived`);
      return conn.read(at + Buffer.byteLength(text, 'latin1'));
    },
    /** Sends `request` and reads exactly the length of `expected`. */
    async roundTrip(request, expected) {
      conn.write(request);
      return conn.read(Buffer.byteLength(expected, 'latin1'));
    },
    async waitClosed(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!closed) {
        if (Date.now() > deadline) throw new Error('connection was not closed');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      socket.destroy();
    },
  };
  return conn;
}

/** RESP encoding of a command, for raw-socket tests. */
export function resp(...args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
  }
  return out;
}

/**
 * For a test file: starts one server and an ioredis client before its tests,
 * stops them after, and empties every database before each test. `onReady`
 * receives the server and the client.
 */
export function useServer(args, onReady, { flushEachTest = true } = {}) {
  let server;
  let client;
  before(async () => {
    server = await startServer(args);
    client = new Redis({ port: server.port, lazyConnect: false });
    onReady(server, client);
  });
  after(async () => {
    await client?.quit();
    await server?.stop();
  });
  if (flushEachTest) {
    beforeEach(async () => {
      await client.select(0);
      await client.flushall();
    });
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; fails with `what` after `ms`. */
export async function waitFor(what, check, ms = 8000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(50);
  }
}

/** Waits until the server behind `client` counts `n` blocked clients (INFO clients). */
export async function blockedClients(client, n) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const count = Number(/blocked_clients:(\d+)/.exec(await client.info('clients'))[1]);
    if (count === n) return;
    if (Date.now() > deadline) throw new Error(`expected ${n} blocked clients, have ${count}`);
    await sleep(5);
  }
}

/** A further ioredis connection to `port`, closed when test `t` ends. */
export function extraClient(t, port, options = {}) {
  const client = new Redis({ port, ...options });
  t.after(() => client.disconnect());
  return client;
}

/** A raw connection to `port`, closed when test `t` ends. */
export async function rawFor(t, port) {
  const conn = await rawConnect(port);
  t.after(() => conn.close());
  return conn;
}

/** Sends `commands` (arrays of arguments) in one write and expects exactly `expected` back. */
export async function exchange(conn, commands, expected, timeoutMs = 2000) {
  conn.write(commands.map((c) => resp(...c)).join(''));
  assert.equal(await conn.read(Buffer.byteLength(expected, 'latin1'), timeoutMs), expected);
}

/** Reads and drops whatever arrives until 100 ms pass in quiet (HELLO's map differs between servers). */
export async function drain(conn) {
  for (;;) {
    try {
      await conn.read(1, 100);
    } catch {
      return;
    }
  }
}

/**
 * The keyspace events that `run` causes on the server at `port`, in arrival
 * order: `E <db> <event> <key>` for keyevent channels, `K <db> <key> <event>`
 * for keyspace channels. Sets notify-keyspace-events to `flags` for the
 * duration; a publish on a marker channel after `run` ends the collection.
 */
export async function keyEvents(t, port, flags, run) {
  const admin = extraClient(t, port);
  const sub = extraClient(t, port, { enableReadyCheck: false });
  const seen = [];
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  sub.on('pmessage', (_pattern, channel, message) => {
    const [, kind, db, name] = /^__key(space|event)@(\d+)__:(.*)$/s.exec(channel);
    seen.push(kind === 'event' ? `E ${db} ${name} ${message}` : `K ${db} ${name} ${message}`);
  });
  sub.on('message', () => finish());
  await sub.psubscribe('__key*__:*');
  await sub.subscribe('keyevents:end');
  await admin.config('SET', 'notify-keyspace-events', flags);
  try {
    await run();
  } finally {
    await admin.config('SET', 'notify-keyspace-events', '');
  }
  await admin.publish('keyevents:end', '');
  await finished;
  return seen;
}

/**
 * A maker of temporary directories named `prefix...`, removed when the test
 * file's tests are done.
 */
export function tempDirs(prefix) {
  const made = [];
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** Whether Debian's redis-server is installed: the differential tests compare with it. */
export const HAVE_REDIS = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

/**
 * A redis-server without persistence on a free port, in a temporary directory
 * of its own, with a reply connection; `stop` ends it all.
 */
/** CLIENT LIST's line for the client named `name`, asked through ioredis client `r`, parsed into its fields; undefined when it is gone. */
export async function clientNamed(r, name) {
  const line = (await r.client('LIST')).split('\n').find((l) => l.includes(` name=${name} `));
  return line === undefined ? undefined : Object.fromEntries(line.trim().split(' ').map((f) => f.split('=', 2)));
}

/**
 * For a file whose tests compare replies byte for byte: our server and, when
 * redis-server is installed (and `reference` is not false), a redis-server,
 * each with a raw reply connection (`a` and `b`), started before the file's
 * tests and stopped after them.
 */
export function useReplyPair({ reference = HAVE_REDIS } = {}) {
  let mine;
  let redis;
  const pair = {
    a: undefined,
    b: undefined,
    /**
     * After a failed reply from the reference: true when redis-server itself died (some
     * random sequences hit its own assertions), in which case a fresh one now replaces it.
     */
    async referenceCrashed() {
      const exited = redis.proc.exitCode !== null || redis.proc.signalCode !== null;
      if (!exited && (await Promise.race([once(redis.proc, 'exit').then(() => true), sleep(3000).then(() => false)])) === false) return false;
      redis.stop();
      redis = await startRedis();
      pair.b = redis.conn;
      return true;
    },
  };
  before(async () => {
    mine = await startServer(['--save', '']);
    pair.a = await replyConnection(mine.port);
    if (reference) {
      redis = await startRedis();
      pair.b = redis.conn;
    }
  });
  after(async () => {
    pair.a?.close();
    redis?.stop();
    await mine?.stop();
  });
  return pair;
}

export async function startRedis(args = []) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'noderedis-reference-'));
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: 'ignore' });
  await waitForPort(port, proc);
  const conn = await replyConnection(port);
  return {
    port,
    proc,
    conn,
    stop() {
      conn.close();
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Our server (or, with `redis`, a real redis-server) on a free port working in
 * `dir` with `args`, and an ioredis client that never reconnects; both are
 * killed when test `t` ends. For tests that restart a server on its files.
 */
export async function startInDir(t, dir, args = [], { redis = false } = {}) {
  const port = await freePort();
  const argv = ['--port', String(port), '--dir', dir, ...args];
  let proc;
  let output = () => '';
  if (redis) {
    proc = spawn('redis-server', argv, { stdio: 'ignore' });
    await waitForPort(port, proc);
  } else {
    const launched = launch(argv);
    await launched.ready(port);
    proc = launched.proc;
    output = launched.output;
  }
  const client = new Redis({ port, retryStrategy: () => null, lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  await client.connect();
  t.after(() => {
    client.disconnect();
    proc.kill('SIGKILL');
  });
  return { port, proc, client, output };
}

/**
 * Length of the first complete RESP2/RESP3 reply in `buf`, or -1 when it is
 * not all there yet. Iterative: replies may nest thousands deep.
 */
export function replyLength(buf) {
  let pos = 0;
  let pending = 1;
  while (pending > 0) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return -1;
    const type = String.fromCharCode(buf[pos]);
    const n = Number(buf.toString('latin1', pos + 1, eol));
    pending--;
    pos = eol + 2;
    if ((type === '$' || type === '=' || type === '!') && n >= 0) {
      if (buf.length < pos + n + 2) return -1;
      pos += n + 2;
    } else if ((type === '*' || type === '~' || type === '>') && n > 0) {
      pending += n;
    } else if (type === '%' && n > 0) {
      pending += 2 * n;
    }
  }
  return pos;
}

/** A raw connection whose `command` answers the exact bytes of one reply (latin1), for byte-for-byte comparisons. */
export async function replyConnection(port) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buf = Buffer.alloc(0);
  let wake = () => {};
  let closed = false;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  // A server that dies closes the connection: the reply it owed fails at once (and a write after that is no crash here).
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  return {
    async command(...args) {
      if (!closed) socket.write(Buffer.from(resp(...args), 'latin1'));
      const deadline = Date.now() + 5000;
      for (;;) {
        const len = replyLength(buf);
        if (len >= 0) {
          const reply = buf.toString('latin1', 0, len);
          buf = buf.subarray(len);
          return reply;
        }
        if (closed) throw new Error(`connection closed before the reply to ${args.join(' ')}`);
        if (Date.now() > deadline) throw new Error(`no reply to ${args.join(' ')}`);
        await Promise.race([new Promise((r) => (wake = r)), new Promise((r) => setTimeout(r, 100))]);
      }
    },
    close: () => socket.destroy(),
  };
}

/**
 * What a MONITOR on `port` shows while a fresh connection sends `commands`
 * (replies ignored): one line per command, without timestamp and client address.
 */
export async function monitorLines(port, commands) {
  const monitor = await rawConnect(port);
  const client = await replyConnection(port);
  try {
    monitor.write(resp('MONITOR'));
    assert.equal(await monitor.read(5), '+OK\r\n');
    for (const args of commands) await client.command(...args);
    await client.command('ECHO', 'end-of-monitored');
    const text = await monitor.readUntil('"ECHO" "end-of-monitored"\r\n');
    return text.split('\r\n').filter((l) => l !== '').map((l) => l.replace(/^\+\d+\.\d+ \[\d+ [^\]]+\] /, ''));
  } finally {
    monitor.close();
    client.close();
  }
}

/** The pids of `pid`'s child processes (a save or relay child), by pgrep -P. */
export function childrenOf(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process with this pid still exists. */
export function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
