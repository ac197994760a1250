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
