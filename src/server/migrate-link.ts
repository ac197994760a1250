/**
 * MIGRATE's network side, as seen from the main thread. The conversations
 * with target instances run in one worker thread (migrate-worker.ts), which
 * also keeps the cache of open connections Redis calls
 * migrate_cached_sockets. A MIGRATE from a normal client waits for its
 * outcome in the background while every other client is served; inside
 * MULTI or a script, where nothing may interleave, the main thread blocks
 * on the outcome (Atomics.wait), as Redis blocks in its synchronous I/O.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** One MIGRATE's conversation with its target. */
export interface MigrateRequest {
  /** Where to connect, the port as C's atoi reads it. */
  readonly host: string;
  readonly port: number;
  /** The cache's name for the connection: host and port as the client spelled them. */
  readonly target: string;
  /** Milliseconds allowed for the connect, each 64 KB written and each reply line read. */
  readonly timeout: number;
  /** Destination database, in decimal: SELECT goes first unless the cached connection is on it. */
  readonly db: string;
  /** The AUTH command to send first (`AUTH [username] password`), if any. */
  readonly auth: readonly string[] | undefined;
  /** The pipelined RESTORE commands. */
  readonly restores: Uint8Array;
  /** How many RESTORE commands `restores` holds, so how many replies to read. */
  readonly count: number;
}

export interface MigrateOutcome {
  /** No connection could be made (IOERR ... connecting). */
  readonly connectFailed: boolean;
  /** Indexes of the RESTOREs the target accepted, with AUTH and SELECT accepted too. */
  readonly acked: readonly number[];
  /** The first error the target replied (AUTH's, SELECT's or a RESTORE's), without its '-'. */
  readonly targetError?: string;
  /** The socket failed or timed out while writing or reading (IOERR ...). */
  readonly ioError?: 'writing' | 'reading';
}

/** A request as it crosses to the worker. */
export interface WorkerRequest extends MigrateRequest {
  readonly id: number;
  /** The main thread is blocked on this one: answer on the reply port and wake it. */
  readonly blocking: boolean;
}

export interface WorkerReply {
  readonly id: number;
  readonly outcome: MigrateOutcome;
}

/** What the worker gets at start: the shared state words and the port for blocking replies. */
export interface WorkerSetup {
  readonly state: Int32Array;
  readonly replies: MessagePort;
}

/** Shared state words: blocking replies posted so far; the number of cached connections. */
export const REPLIES_POSTED = 0;
export const CACHED_CONNECTIONS = 1;

/** What a request gets when the worker is lost under it. */
const LOST: MigrateOutcome = { connectFailed: false, acked: [], ioError: 'reading' };

export class MigrateLink {
  private worker: Worker | undefined;
  private replies: MessagePort | undefined;
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly pending = new Map<number, (outcome: MigrateOutcome) => void>();
  private nextId = 1;

  /** INFO migrate_cached_sockets. */
  get cachedConnections(): number {
    return Atomics.load(this.state, CACHED_CONNECTIONS);
  }

  /** Runs the conversation in the background; `done` gets its outcome on a later turn of the event loop. */
  start(request: MigrateRequest, done: (outcome: MigrateOutcome) => void): void {
    const id = this.nextId++;
    this.pending.set(id, done);
    this.started().postMessage({ ...request, id, blocking: false } satisfies WorkerRequest);
  }

  /** Runs the conversation while the main thread waits for it. */
  runNow(request: MigrateRequest): MigrateOutcome {
    const worker = this.started();
    const id = this.nextId++;
    worker.postMessage({ ...request, id, blocking: true } satisfies WorkerRequest);
    // Every step the worker takes has the request's timeout, and a request for the same target may be ahead of
    // this one: the bound only guards against a worker that died.
    const bound = Date.now() + (request.timeout + 1000) * (request.count + 3) * 2;
    for (;;) {
      // Read before looking for the reply: a reply posted after the look bumps the counter, and the wait returns.
      const posted = Atomics.load(this.state, REPLIES_POSTED);
      for (let received; (received = receiveMessageOnPort(this.replies!)) !== undefined; ) {
        const reply = received.message as WorkerReply;
        // Anything else is the late answer to a wait that gave up.
        if (reply.id === id) return reply.outcome;
      }
      if (Date.now() > bound) return LOST;
      Atomics.wait(this.state, REPLIES_POSTED, posted, 100);
    }
  }

  /** Closes every cached connection with the worker (shutdown). */
  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const channel = new MessageChannel();
    const setup: WorkerSetup = { state: this.state, replies: channel.port2 };
    const worker = new Worker(new URL('./migrate-worker.js', import.meta.url), { workerData: setup, transferList: [channel.port2] });
    // The worker never keeps the process alive: the server's sockets do.
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const done = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      done?.(reply.outcome);
    });
    const lost = (): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      Atomics.store(this.state, CACHED_CONNECTIONS, 0);
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const done of waiting) done(LOST);
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    this.worker = worker;
    this.replies = channel.port1;
    return worker;
  }
}
