/**
 * Opening a listening socket, with failures told in strerror's words, as
 * Redis logs and replies them.
 */
import net from 'node:net';

/** A bind address that could not be listened on; `reason` in the words of strerror, as Redis logs it. */
export class BindError extends Error {
  readonly reason: string;

  constructor(host: string, port: number, error: NodeJS.ErrnoException) {
    const reason = error.code === 'EADDRINUSE' ? 'Address already in use'
      : error.code === 'EACCES' ? 'Permission denied'
        : error.code === 'EADDRNOTAVAIL' ? 'Cannot assign requested address' : error.message;
    super(`Could not create server TCP listening socket ${host}:${port}: ${reason}`);
    this.reason = reason;
  }
}

/** Listens on host:port; resolves once listening, rejects with the socket error. */
export function listenOn(host: string, port: number, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer({ noDelay: true }, onSocket);
    listener.once('error', reject);
    // ipv6Only keeps `::` from also claiming the IPv4 port that `*` binds.
    listener.listen({ host, port, ipv6Only: host.includes(':'), backlog: 511 }, () => {
      listener.off('error', reject);
      resolve(listener);
    });
  });
}
