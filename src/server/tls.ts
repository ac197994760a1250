/**
 * The TLS listener's settings, read from the tls-* directives as Redis reads
 * them, and the listener itself. Node's TLS (OpenSSL underneath) does the
 * cryptography; what is ours is mapping Redis's directives onto it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { constants } from 'node:crypto';
import type net from 'node:net';
import type { Config } from '../config/config.js';

/** A client that has not finished its handshake by then is dropped: a stalled handshake must not hold a connection forever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why the TLS settings cannot be used, in Redis's words where it has them. */
export class TlsConfigError extends Error {}

const PROTOCOLS: Record<string, tls.SecureVersion> = { 'tlsv1': 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };
const ORDER: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function readPem(config: Config, name: string): Buffer {
  const file = config.get(name) ?? '';
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsConfigError(`Failed to load ${name === 'tls-cert-file' ? 'certificate' : name === 'tls-key-file' ? 'private key' : 'file'}: ${file}: ${(error as Error).message}`);
  }
}

/** The CA certificates of tls-ca-cert-file and of every file in tls-ca-cert-dir. */
function certificateAuthorities(config: Config): Buffer[] | undefined {
  const found: Buffer[] = [];
  if (config.get('tls-ca-cert-file')) found.push(readPem(config, 'tls-ca-cert-file'));
  const dir = config.get('tls-ca-cert-dir');
  if (dir) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${(error as Error).message}`);
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      if (statSync(path).isFile()) found.push(readFileSync(path));
    }
  }
  return found.length > 0 ? found : undefined;
}

/** tls-protocols ("TLSv1.2 TLSv1.3") as the lowest and highest version; Redis's default is TLSv1.2 and up. */
function versions(config: Config): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const text = (config.get('tls-protocols') ?? '').trim();
  if (text === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const chosen = text.split(/\s+/).map((word) => {
    const version = PROTOCOLS[word.toLowerCase()];
    if (version === undefined) throw new TlsConfigError(`Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.`);
    return ORDER.indexOf(version);
  });
  return { minVersion: ORDER[Math.min(...chosen)], maxVersion: ORDER[Math.max(...chosen)] };
}

/** Node's server options for the current tls-* directives; throws TlsConfigError when they cannot be used. */
export function tlsServerOptions(config: Config): tls.TlsOptions {
  if (!config.get('tls-cert-file') || !config.get('tls-key-file')) {
    throw new TlsConfigError('Failed to configure TLS: tls-cert-file and tls-key-file are required');
  }
  const auth = config.get('tls-auth-clients') ?? 'yes';
  const ciphers = [config.get('tls-ciphersuites'), config.get('tls-ciphers')].filter((c): c is string => !!c).join(':');
  const options: tls.TlsOptions = {
    cert: readPem(config, 'tls-cert-file'),
    key: readPem(config, 'tls-key-file'),
    passphrase: config.get('tls-key-file-pass') || undefined,
    ca: certificateAuthorities(config),
    dhparam: config.get('tls-dh-params-file') ? readPem(config, 'tls-dh-params-file') : undefined,
    requestCert: auth !== 'no',
    rejectUnauthorized: auth === 'yes',
    honorCipherOrder: config.getBool('tls-prefer-server-ciphers'),
    sessionTimeout: config.getNumber('tls-session-cache-timeout'),
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    ...versions(config),
  };
  if (ciphers !== '') options.ciphers = ciphers;
  if (!config.getBool('tls-session-caching')) options.secureOptions = constants.SSL_OP_NO_TICKET;
  try {
    tls.createSecureContext(options);
  } catch (error) {
    throw new TlsConfigError(`Failed to configure TLS: ${(error as Error).message}`);
  }
  return options;
}

/**
 * The TLS connections whose handshake is still going on. Redis creates a
 * client for a connection before its handshake, so these count against
 * maxclients: thousands of stalled handshakes cannot grow past it.
 */
export class Handshakes {
  private readonly pending = new Map<string, net.Socket>();

  get size(): number {
    return this.pending.size;
  }

  /** A raw connection starts its handshake; it stops counting once secured or closed. */
  begin(raw: net.Socket): void {
    const key = connectionKey(raw);
    this.pending.set(key, raw);
    raw.once('close', () => {
      if (this.pending.get(key) === raw) this.pending.delete(key);
    });
  }

  /** Its handshake is done: from now on it is a client. */
  secured(socket: tls.TLSSocket): void {
    this.pending.delete(connectionKey(socket));
  }
}

/** Node gives no public link from a TLS socket to its raw one; the two share their addresses and ports. */
const connectionKey = (socket: net.Socket): string => `${socket.localAddress}|${socket.localPort}|${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Listens for TLS on host:port; resolves once listening. A connection that
 * `admit` refuses is closed before its handshake; `onSocket` gets the others
 * once their handshake is done. Failed handshakes only cost their own
 * connection.
 */
export function listenTls(
  host: string, port: number, options: tls.TlsOptions, handshakes: Handshakes, admit: () => boolean, onSocket: (s: tls.TLSSocket) => void,
): Promise<tls.Server> {
  return new Promise((resolve, reject) => {
    const listener = tls.createServer(options, (socket) => {
      handshakes.secured(socket);
      onSocket(socket);
    });
    listener.on('connection', (raw: net.Socket) => {
      if (admit()) handshakes.begin(raw);
      else raw.destroy();
    });
    listener.on('tlsClientError', (_error, socket: net.Socket) => socket.destroy());
    listener.once('error', reject);
    listener.listen({ host, port, ipv6Only: host.includes(':'), backlog: 511 }, () => {
      listener.off('error', reject);
      resolve(listener);
    });
  });
}

/** Gives new connections of `listeners` the current certificates (CONFIG SET tls-*); established ones keep theirs. */
export function reloadTls(listeners: readonly tls.Server[], options: tls.TlsOptions): void {
  for (const listener of listeners) listener.setSecureContext(options);
}
