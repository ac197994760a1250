/**
 * Keyspace notification classes: the bits behind notify-keyspace-events.
 * Commands report what they did to a key with one of these and an event name;
 * whether anything is published is decided once, in the keyspace.
 */
export const NOTIFY = {
  KEYSPACE: 1 << 0, // K
  KEYEVENT: 1 << 1, // E
  GENERIC: 1 << 2, // g
  STRING: 1 << 3, // $
  LIST: 1 << 4, // l
  SET: 1 << 5, // s
  HASH: 1 << 6, // h
  ZSET: 1 << 7, // z
  EXPIRED: 1 << 8, // x
  EVICTED: 1 << 9, // e
  STREAM: 1 << 10, // t
  KEY_MISS: 1 << 11, // m (not part of A)
  LOADED: 1 << 12, // modules only
  MODULE: 1 << 13, // d
  NEW: 1 << 14, // n
  /** A: every class but key-miss, loaded and new. */
  ALL: (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13),
} as const;

/** One of the NOTIFY classes a command event belongs to. */
export type NotifyClass = (typeof NOTIFY)[Exclude<keyof typeof NOTIFY, 'ALL' | 'KEYSPACE' | 'KEYEVENT'>];
