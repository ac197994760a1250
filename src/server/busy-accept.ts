/**
 * Taking in connections while a script holds the event loop. Node has no
 * synchronous accept, so this uses the optional addon built from
 * native/busy_accept.c at install time; without it, connections opened
 * during a busy script wait in the kernel's backlog until the script ends.
 */
import { createRequire } from 'node:module';
import net from 'node:net';

interface AcceptAddon {
  /** A waiting connection's descriptor, or -1. */
  accept(listenerFd: number): number;
}

function loadAddon(): AcceptAddon | undefined {
  try {
    return createRequire(import.meta.url)('../../build/Release/busy_accept.node') as AcceptAddon;
  } catch {
    return undefined;
  }
}

const addon = loadAddon();

/** True when connections can be accepted during a busy script. */
export const acceptsWhileBusy = addon !== undefined;

/** At most this many connections per listener and check, so a flood cannot starve the script. */
const ACCEPTS_PER_CHECK = 16;

/** Hands each connection waiting on `listener` to `onSocket`, as the listener's own accept would. */
export function acceptWaiting(listener: net.Server, onSocket: (socket: net.Socket) => void): void {
  const fd = (listener as unknown as { _handle?: { fd?: number } | null })._handle?.fd ?? -1;
  if (addon === undefined || fd < 0) return;
  for (let n = 0; n < ACCEPTS_PER_CHECK; n++) {
    const connection = addon.accept(fd);
    if (connection < 0) return;
    // pauseOnCreate, as the listener's pauseOnConnect: reading starts once onSocket has set the socket up.
    onSocket(new net.Socket({ fd: connection, readable: true, writable: true, pauseOnCreate: true } as net.SocketConstructorOpts));
  }
}
