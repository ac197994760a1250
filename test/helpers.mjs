// Starts the real server (dist/main.js) in a child process on a free port, and
// offers raw-socket helpers. Every integration test goes through here.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A port nobody listens on right now. */
export async function freePort() {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts a server with extra command-line arguments; resolves once it accepts
 * connections. Returns { port, proc, output(), stop() }.
 *
 * TEST_TARGET=redis runs the same tests against a real redis-server instead,
 * to check that what a test expects is what Redis does.
 */
export async function startServer(args = []) {
  const port = await freePort();
  const [command, base] =
    process.env.TEST_TARGET === 'redis'
      ? ['redis-server', ['--save', '', '--appendonly', 'no']]
      : [process.execPath, [MAIN]];
  const proc = spawn(command, [...base, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited early (${proc.exitCode}):\n${output}`);
    try {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.destroy();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    proc,
    output: () => output,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

/** Opens a raw TCP connection; `read` collects everything received. */
export async function rawConnect(port) {
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
    async read(n, timeoutMs = 5000) {
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
