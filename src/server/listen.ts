/**
 * Opening a listening socket, with failures told in strerror's words, as
 * Redis logs and replies them, and reading what its connections send.
 */
import net from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';

/** A bind address that could not be listened on; `reason` in the words of strerror, as Redis logs it. */
export class BindError extends Error {
  readonly reason: string;

  constructor(host: string, readonly port: number, error: NodeJS.ErrnoException, readonly kind: 'TCP' | 'TLS' = 'TCP') {
    const reason = error.code === 'EADDRINUSE' ? 'Address already in use'
      : error.code === 'EACCES' ? 'Permission denied'
        : error.code === 'EADDRNOTAVAIL' ? 'Cannot assign requested address' : error.message;
    super(`Could not create server ${kind} listening socket ${host}:${port}: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Listens on host:port; resolves once listening, rejects with the socket
 * error. Connections are accepted paused: `readingSocket` starts them.
 */
export function listenOn(host: string, port: number, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer({ noDelay: true, pauseOnConnect: true }, onSocket);
    listener.once('error', reject);
    // ipv6Only keeps `::` from also claiming the IPv4 port that `*` binds.
    listener.listen({ host, port, ipv6Only: host.includes(':'), backlog: 511 }, () => {
      listener.off('error', reject);
      resolve(listener);
    });
  });
}

/**
 * Listens on the unix socket `path`, replacing a stale socket file as Redis
 * does; `perm` (unixsocketperm, 0 for the umask's default) is applied to it.
 */
export function listenUnix(path: string, perm: number, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  try {
    unlinkSync(path);
  } catch {
    // No stale file.
  }
  return new Promise((resolve, reject) => {
    const listener = net.createServer({ pauseOnConnect: true }, onSocket);
    listener.once('error', reject);
    listener.listen({ path, backlog: 511 }, () => {
      listener.off('error', reject);
      if (perm !== 0) chmodSync(path, perm);
      resolve(listener);
    });
  });
}

/**
 * The buffer every connection reads into. Node's default read path
 * allocates a Buffer and runs the Readable stream machinery for each read,
 * which measured as almost half of Node's own CPU time per small request.
 * One buffer serves every connection because each read's callback runs to
 * completion before the next read starts.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Moves a connection accepted by `listenOn` onto a socket whose reads go
 * straight to `onRead`, as views of the shared read buffer that are valid
 * only during the call: whatever must outlive it is copied.
 *
 * Node offers this (`onread`) only to sockets it constructs, so the accepted
 * socket hands its handle over (`_handle`, the one internal relied on here)
 * and is destroyed without it, which also settles the listener's count of
 * open connections.
 */
export function readingSocket(accepted: net.Socket, onRead: (chunk: Buffer) => void): net.Socket {
  const internals = accepted as unknown as { _handle: object | null };
  const handle = internals._handle;
  internals._handle = null;
  accepted.destroy();
  const options = {
    handle,
    onread: {
      buffer: readBuffer,
      callback: (bytes: number): void => onRead(readBuffer.subarray(0, bytes)),
    },
  };
  return new net.Socket(options as net.SocketConstructorOpts);
}

/** The request object a stream handle's write takes (Node's WriteWrap). */
interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  /** Kept alive here while the kernel has not taken it all. */
  buffer: Buffer | null;
}

interface StreamHandle {
  writeBuffer(request: WriteRequest, data: Buffer): number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

const streamWrap = (process as unknown as { binding(name: 'stream_wrap'): StreamWrapBinding }).binding('stream_wrap');

/**
 * A connection's output. socket.write runs the Writable stream machinery
 * (state, a request object with callbacks, the after-write bookkeeping) for
 * every reply batch, which measured as a sixth of our user CPU time per
 * unpipelined request. While the stream has nothing queued, writes go to the
 * socket's handle directly, as Node's own write ends up doing: libuv tries
 * the kernel at once and queues the rest in order behind earlier writes, so
 * bytes written either way keep their order as long as the stream itself
 * holds nothing. This leans on a second Node internal (`stream_wrap`'s
 * WriteWrap), and TLS sockets keep the stream path.
 */
export class SocketOutput {
  /** Bytes handed to the handle directly that the kernel has not taken yet. */
  private directPending = 0;
  private readonly completed: (this: WriteRequest, status: number) => void;

  constructor(private readonly socket: net.Socket, private readonly direct: boolean, onDrained: () => void) {
    const output = this;
    this.completed = function (this: WriteRequest, status: number): void {
      output.directPending -= this.buffer?.length ?? 0;
      this.buffer = null;
      if (status < 0) socket.destroy();
      else if (output.directPending === 0 && socket.writableLength === 0) onDrained();
    };
    socket.on('drain', () => {
      if (this.directPending === 0) onDrained();
    });
  }

  /** Output written but not yet taken by the kernel. */
  get length(): number {
    return this.directPending + this.socket.writableLength;
  }

  /** Writes `data`; true when the kernel took all of it at once, so that its buffer may be reused. */
  write(data: Buffer): boolean {
    const socket = this.socket;
    const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
    if (!this.direct || handle === null || socket.writableLength > 0 || socket.destroyed) {
      socket.write(data);
      return socket.writableLength === 0;
    }
    const request = new streamWrap.WriteWrap();
    request.oncomplete = this.completed;
    request.buffer = null;
    const error = handle.writeBuffer(request, data);
    if (error < 0) {
      socket.destroy();
      return true;
    }
    if (streamWrap.streamBaseState[streamWrap.kLastWriteWasAsync] === 0) return true;
    request.buffer = data;
    this.directPending += data.length;
    return false;
  }
}
