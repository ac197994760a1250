/** Our own name and version, reported beside the Redis version in INFO and logs. */
export const SERVER_NAME = 'noderedis';
export const SERVER_VERSION = '0.1.0';
/** The Redis release whose behaviour we follow; clients gate features on it. */
export const REDIS_VERSION = '7.0.15';
/** REDIS_VERSION as Redis's REDIS_VERSION_NUM encodes it: 0x00MMmmpp. */
export const REDIS_VERSION_NUM = 0x0007000f;
