/**
 * The worker thread of migrate-link.ts: talks to MIGRATE's target
 * instances the way Redis's migrateCommand does (AUTH, SELECT when the
 * connection is on another database, the pipelined RESTOREs, then one reply
 * line each, every step bounded by the timeout, one retry on a fresh
 * connection when a cached one turns out dead), and keeps the connections
 * for reuse: at most 64, each closed after 10 s unused or on any error.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeCommand } from '../persistence/aof.js';
import {
  CACHED_CONNECTIONS, REPLIES_POSTED, type MigrateOutcome, type WorkerReply, type WorkerRequest, type WorkerSetup,
} from './migrate-link.js';

const CACHE_LIMIT = 64;
const IDLE_SECONDS = 10;
/** Redis writes the commands in pieces of this size, each within the timeout. */
const WRITE_PIECE = 64 * 1024;

const { state, replies } = workerData as WorkerSetup;

const seconds = (): number => Math.floor(Date.now() / 1000);

/** A connection to a target, with what it has sent that no one has read yet. */
class Connection {
  /** Database the target has selected for us; undefined when unknown. */
  selectedDb: string | undefined = undefined;
  lastUse = seconds();
  /** The last write or read gave up on its timeout (Redis's errno ETIMEDOUT): no retry then. */
  timedOut = false;
  private unread: Buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | undefined = undefined;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.unread = this.unread.length === 0 ? chunk : Buffer.concat([this.unread, chunk]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  close(): void {
    this.socket.destroy();
  }

  /** Writes everything, each piece within `timeout` ms; false on failure. */
  async write(data: Uint8Array, timeout: number): Promise<boolean> {
    for (let at = 0; at < data.length; at += WRITE_PIECE) {
      const piece = data.subarray(at, at + WRITE_PIECE);
      const written = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.timedOut = true;
          resolve(false);
        }, timeout);
        this.socket.write(piece, (error) => {
          clearTimeout(timer);
          resolve(!error);
        });
      });
      if (!written) return false;
    }
    return true;
  }

  /** The next line without its CRLF, within `timeout` ms; undefined on timeout or a closed connection. */
  async readLine(timeout: number): Promise<string | undefined> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const end = this.unread.indexOf(10);
      if (end >= 0) {
        const line = this.unread.toString('latin1', 0, end > 0 && this.unread[end - 1] === 13 ? end - 1 : end);
        this.unread = this.unread.subarray(end + 1);
        return line;
      }
      if (this.closed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.timedOut = true;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

/** Open connections by target (`host:port` as the client spelled them). */
const cache = new Map<string, Connection>();

function cacheChanged(): void {
  Atomics.store(state, CACHED_CONNECTIONS, cache.size);
}

function forget(target: string): void {
  const connection = cache.get(target);
  if (!connection) return;
  connection.close();
  cache.delete(target);
  cacheChanged();
}

/**
 * Starts connecting as Redis's blocking connect does, with its quirk kept:
 * only what fails before a connection is even attempted (a host that does
 * not resolve, a negative port) is a failure here. A refused or timed-out
 * connect still hands the socket on, and the first write then fails
 * (IOERR ... writing), as redis-server answers.
 */
function open(host: string, port: number, timeout: number): Promise<net.Socket | undefined> {
  // C's getaddrinfo takes the port as a service name: 16 bits of it, and nothing negative.
  if (port < 0 || port > 0x7fffffff) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: port & 0xffff, noDelay: true });
    socket.on('error', () => {});
    const settle = (result: net.Socket | undefined): void => {
      clearTimeout(timer);
      socket.off('error', failed);
      socket.off('connect', connected);
      resolve(result);
    };
    const failed = (error: NodeJS.ErrnoException): void => {
      if (error.syscall !== 'getaddrinfo') return settle(socket);
      socket.destroy();
      settle(undefined);
    };
    const connected = (): void => settle(socket);
    const timer = setTimeout(connected, timeout);
    socket.once('error', failed);
    socket.once('connect', connected);
  });
}

/** The cached connection to the request's target, or a new one (dropping one at random when the cache is full). */
async function connectionFor(request: WorkerRequest): Promise<Connection | undefined> {
  const cached = cache.get(request.target);
  if (cached) {
    cached.lastUse = seconds();
    return cached;
  }
  const socket = await open(request.host, request.port, request.timeout);
  if (!socket) return undefined;
  if (cache.size >= CACHE_LIMIT) {
    const names = [...cache.keys()];
    forget(names[Math.floor(Math.random() * names.length)]);
  }
  const connection = new Connection(socket);
  cache.set(request.target, connection);
  cacheChanged();
  return connection;
}

async function migrate(request: WorkerRequest): Promise<MigrateOutcome> {
  const { timeout } = request;
  let mayRetry = true;
  for (;;) {
    const connection = await connectionFor(request);
    if (!connection) return { connectFailed: true, acked: [] };
    connection.timedOut = false;
    const select = connection.selectedDb !== request.db;
    const prefix = (request.auth ? encodeCommand(request.auth) : '') + (select ? encodeCommand(['SELECT', request.db]) : '');
    let failedStep: 'writing' | 'reading' = 'reading';
    attempt: {
      if (!(await connection.write(Buffer.concat([Buffer.from(prefix, 'latin1'), request.restores]), timeout))) {
        failedStep = 'writing';
        break attempt;
      }
      const authReply = request.auth ? await connection.readLine(timeout) : '';
      if (authReply === undefined) break attempt;
      const selectReply = select ? await connection.readLine(timeout) : '';
      if (selectReply === undefined) break attempt;
      const acked: number[] = [];
      let targetError: string | undefined;
      let read = 0;
      for (; read < request.count; read++) {
        const line = await connection.readLine(timeout);
        if (line === undefined) break;
        // A refused AUTH or SELECT makes every RESTORE count as failed, whatever it replied.
        const error = [authReply, selectReply, line].find((reply) => reply.startsWith('-'));
        if (error === undefined) acked.push(read);
        else targetError ??= error.slice(1);
      }
      const lostConnection = read < request.count;
      // Nothing was answered at all: the cached connection was probably dead before we came; try a new one.
      if (targetError === undefined && lostConnection && read === 0 && mayRetry && !connection.timedOut) break attempt;
      if (lostConnection) forget(request.target);
      // The target's state is unknown after an error: the next MIGRATE selects again.
      connection.selectedDb = targetError === undefined ? request.db : undefined;
      if (targetError !== undefined) return { connectFailed: false, acked, targetError };
      return lostConnection ? { connectFailed: false, acked, ioError: 'reading' } : { connectFailed: false, acked };
    }
    forget(request.target);
    if (connection.timedOut || !mayRetry) return { connectFailed: false, acked: [], ioError: failedStep };
    mayRetry = false;
  }
}

/** Requests for one target run one after another, as they share its connection; other targets proceed meanwhile. */
const queues = new Map<string, Promise<void>>();

function serve(request: WorkerRequest): void {
  const run = async (): Promise<void> => {
    let outcome: MigrateOutcome;
    try {
      outcome = await migrate(request);
    } catch {
      forget(request.target);
      outcome = { connectFailed: false, acked: [], ioError: 'reading' };
    }
    const reply: WorkerReply = { id: request.id, outcome };
    if (request.blocking) {
      replies.postMessage(reply);
      Atomics.add(state, REPLIES_POSTED, 1);
      Atomics.notify(state, REPLIES_POSTED);
    } else {
      parentPort!.postMessage(reply);
    }
  };
  const queued = (queues.get(request.target) ?? Promise.resolve()).then(run);
  queues.set(request.target, queued);
  void queued.then(() => {
    if (queues.get(request.target) === queued) queues.delete(request.target);
  });
}

parentPort!.on('message', serve);

// Redis's cron closes a connection once it has been unused for more than 10 whole seconds (never one in use).
setInterval(() => {
  const now = seconds();
  for (const [target, connection] of cache) {
    if (now - connection.lastUse > IDLE_SECONDS && !queues.has(target)) forget(target);
  }
}, 1000).unref();
