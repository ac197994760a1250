/**
 * The Redis 7.0.15 configuration parameters as data: every entry of Redis's
 * standard config table (including the TLS ones of a TLS build, and the many
 * we accept but do not act on), with its type, bounds, default as CONFIG GET
 * shows it, alias and flags. Config (config.ts) interprets this table.
 */

/** Directive flags (bit set). */
export const Flag = {
  /** Only settable at startup: CONFIG SET answers "can't set immutable config". */
  Immutable: 1,
  /** Holds a secret: callers redact the value (slowlog, MONITOR). */
  Sensitive: 2,
  /** Takes several words: CONFIG SET splits its value on spaces. */
  MultiArg: 4,
  /** Left out of pattern matches in CONFIG GET; an exact name still finds it. */
  Hidden: 8,
  /** CONFIG SET needs enable-protected-configs yes (or local for local clients). */
  Protected: 16,
  /** Refused while loading a dataset (Redis replies -LOADING). */
  DenyLoading: 32,
  /** Numeric: bounds are checked as unsigned 64-bit (C unsigned types). */
  Unsigned: 64,
} as const;

/** How a numeric directive is written and read. */
export type NumericFormat = 'integer' | 'memory' | 'memory-percent' | 'octal';
/** Extra validation some string directives get on top of their type. */
export type StringCheck = 'dbfilename' | 'appendfilename' | 'appenddirname' | 'hostname' | 'proc-title-template';
/** Directives with hand-written parsing (Redis's "special" configs). */
export type SpecialName =
  | 'dir' | 'save' | 'client-output-buffer-limit' | 'oom-score-adj-values'
  | 'notify-keyspace-events' | 'bind' | 'replicaof' | 'latency-tracking-info-percentiles';

interface Common {
  /** Canonical lowercase name. */
  readonly name: string;
  /** The older name that is also accepted (CONFIG GET with a pattern lists both). */
  readonly alias?: string;
  /** Bit set of Flag. */
  readonly flags: number;
}

/** yes/no. */
export interface BoolDirective extends Common {
  readonly kind: 'bool';
  readonly def: boolean;
}

/** A string; a null default means "empty string is no value" (it is left out of CONFIG REWRITE). */
export interface StringDirective extends Common {
  readonly kind: 'string';
  readonly def: string | null;
  /** Kept byte-exact (Redis sds); other strings end at a NUL byte as C strings do. */
  readonly binary: boolean;
  readonly check?: StringCheck;
}

/** One of fixed names; with Flag.MultiArg a set of bit flags given as several names. */
export interface EnumDirective extends Common {
  readonly kind: 'enum';
  /** [name, value] in Redis's order; synonyms share a value and the first name is shown. */
  readonly values: readonly (readonly [string, number])[];
  readonly def: number;
}

/** An integer, memory size (1gb, 512mb, 100k...), memory-or-percent, or octal number. */
export interface NumericDirective extends Common {
  readonly kind: 'numeric';
  readonly def: bigint;
  readonly min: bigint;
  readonly max: bigint;
  readonly format: NumericFormat;
}

/** Parsed by dedicated code in config.ts; `def` is the CONFIG GET text of the default. */
export interface SpecialDirective extends Common {
  readonly kind: 'special';
  readonly name: SpecialName;
  readonly def: string;
}

/** Any configuration directive. */
export type Directive = BoolDirective | StringDirective | EnumDirective | NumericDirective | SpecialDirective;

const { Immutable: IMM, Sensitive: SENS, MultiArg: MULTI, Hidden: HID, Protected: PROT, DenyLoading: DENYLOAD, Unsigned: U } = Flag;
const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;
const INT: NumericFormat = 'integer';
const MEM: NumericFormat = 'memory';
const MEMPCT: NumericFormat = 'memory-percent';
const OCT: NumericFormat = 'octal';

const bool = (name: string, def: boolean, flags = 0, alias?: string): BoolDirective =>
  ({ kind: 'bool', name, alias, flags, def });
const str = (name: string, def: string | null, flags = 0,
  extra: { alias?: string; check?: StringCheck; binary?: boolean } = {}): StringDirective =>
  ({ kind: 'string', name, alias: extra.alias, flags, def, binary: extra.binary ?? false, check: extra.check });
const n = (name: string, def: bigint, min: bigint, max: bigint, format: NumericFormat, flags = 0, alias?: string): NumericDirective =>
  ({ kind: 'numeric', name, alias, flags, def, min, max, format });
/** Values are numbered in order unless given as [name, value]. */
const en = (name: string, choices: readonly (string | readonly [string, number])[], def: string, flags = 0): EnumDirective => {
  const values = choices.map((c, i) => (typeof c === 'string' ? [c, i] as const : c));
  return { kind: 'enum', name, flags, values, def: values.find(([v]) => v === def)![1] };
};
const special = (name: SpecialName, def: string, flags = 0, alias?: string): SpecialDirective =>
  ({ kind: 'special', name, alias, flags, def });

const PROTECTED_ACTION = ['no', 'yes', 'local'];
const SHUTDOWN_ON_SIG = [['default', 0], ['save', 1], ['nosave', 2], ['now', 4], ['force', 8]] as const;

/** Every directive, in Redis's table order. */
export const DIRECTIVES: readonly Directive[] = [
  // Booleans.
  bool('rdbchecksum', true, IMM),
  bool('daemonize', false, IMM),
  bool('io-threads-do-reads', false, IMM),
  bool('always-show-logo', false, IMM),
  bool('protected-mode', true),
  bool('rdbcompression', true),
  bool('rdb-del-sync-files', false),
  bool('activerehashing', true),
  bool('stop-writes-on-bgsave-error', true),
  bool('set-proc-title', true, IMM),
  bool('dynamic-hz', true),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('repl-disable-tcp-nodelay', false),
  bool('repl-diskless-sync', true),
  bool('aof-rewrite-incremental-fsync', true),
  bool('no-appendfsync-on-rewrite', false),
  bool('cluster-require-full-coverage', true),
  bool('rdb-save-incremental-fsync', true),
  bool('aof-load-truncated', true),
  bool('aof-use-rdb-preamble', true),
  bool('aof-timestamp-enabled', false),
  bool('cluster-replica-no-failover', false, 0, 'cluster-slave-no-failover'),
  bool('replica-lazy-flush', false, 0, 'slave-lazy-flush'),
  bool('replica-serve-stale-data', true, 0, 'slave-serve-stale-data'),
  bool('replica-read-only', true, 0, 'slave-read-only'),
  bool('replica-ignore-maxmemory', true, 0, 'slave-ignore-maxmemory'),
  bool('jemalloc-bg-thread', true),
  bool('activedefrag', false),
  bool('syslog-enabled', false, IMM),
  bool('cluster-enabled', false, IMM),
  bool('appendonly', false, DENYLOAD),
  bool('cluster-allow-reads-when-down', false),
  bool('cluster-allow-pubsubshard-when-down', true),
  bool('crash-log-enabled', true),
  bool('crash-memcheck-enabled', true),
  bool('use-exit-on-panic', false, HID),
  bool('disable-thp', true, IMM),
  bool('cluster-allow-replica-migration', true),
  bool('replica-announced', true),
  bool('latency-tracking', true),
  bool('aof-disable-auto-gc', false),
  bool('replica-ignore-disk-write-errors', false),
  bool('tls-cluster', false),
  bool('tls-replication', false),
  bool('tls-prefer-server-ciphers', false),
  bool('tls-session-caching', true),

  // Strings; a null default means an empty value is no value.
  str('aclfile', '', IMM),
  str('unixsocket', null, IMM),
  str('pidfile', null, IMM),
  str('replica-announce-ip', null, 0, { alias: 'slave-announce-ip' }),
  str('masteruser', null, SENS),
  str('cluster-announce-ip', null),
  str('cluster-config-file', 'nodes.conf', IMM),
  str('cluster-announce-hostname', null, 0, { check: 'hostname' }),
  str('syslog-ident', 'redis', IMM),
  str('dbfilename', 'dump.rdb', PROT, { check: 'dbfilename' }),
  str('appendfilename', 'appendonly.aof', IMM, { check: 'appendfilename' }),
  str('appenddirname', 'appendonlydir', IMM, { check: 'appenddirname' }),
  str('server_cpulist', null, IMM),
  str('bio_cpulist', null, IMM),
  str('aof_rewrite_cpulist', null, IMM),
  str('bgsave_cpulist', null, IMM),
  str('ignore-warnings', ''),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', 0, { check: 'proc-title-template' }),
  str('bind-source-addr', null),
  str('logfile', '', IMM),
  str('masterauth', null, SENS, { binary: true }),
  str('requirepass', null, SENS, { binary: true }),
  str('tls-cert-file', null),
  str('tls-key-file', null),
  str('tls-key-file-pass', null),
  str('tls-client-cert-file', null),
  str('tls-client-key-file', null),
  str('tls-client-key-file-pass', null),
  str('tls-dh-params-file', null),
  str('tls-ca-cert-file', null),
  str('tls-ca-cert-dir', null),
  str('tls-protocols', null),
  str('tls-ciphers', null),
  str('tls-ciphersuites', null),

  // Numbers (U: bounds checked unsigned, as for C unsigned types).
  n('databases', 16n, 1n, INT_MAX, INT, IMM),
  n('port', 6379n, 0n, 65535n, INT),
  n('io-threads', 1n, 1n, 128n, INT, IMM),
  n('auto-aof-rewrite-percentage', 100n, 0n, INT_MAX, INT),
  n('cluster-replica-validity-factor', 10n, 0n, INT_MAX, INT, 0, 'cluster-slave-validity-factor'),
  n('list-max-listpack-size', -2n, INT_MIN, INT_MAX, INT, 0, 'list-max-ziplist-size'),
  n('tcp-keepalive', 300n, 0n, INT_MAX, INT),
  n('cluster-migration-barrier', 1n, 0n, INT_MAX, INT),
  n('active-defrag-cycle-min', 1n, 1n, 99n, INT),
  n('active-defrag-cycle-max', 25n, 1n, 99n, INT),
  n('active-defrag-threshold-lower', 10n, 0n, 1000n, INT),
  n('active-defrag-threshold-upper', 100n, 0n, 1000n, INT),
  n('lfu-log-factor', 10n, 0n, INT_MAX, INT),
  n('lfu-decay-time', 1n, 0n, INT_MAX, INT),
  n('replica-priority', 100n, 0n, INT_MAX, INT, 0, 'slave-priority'),
  n('repl-diskless-sync-delay', 5n, 0n, INT_MAX, INT),
  n('maxmemory-samples', 5n, 1n, INT_MAX, INT),
  n('maxmemory-eviction-tenacity', 10n, 0n, 100n, INT),
  n('timeout', 0n, 0n, INT_MAX, INT),
  n('replica-announce-port', 0n, 0n, 65535n, INT, 0, 'slave-announce-port'),
  n('tcp-backlog', 511n, 0n, INT_MAX, INT, IMM),
  n('cluster-port', 0n, 0n, 65535n, INT, IMM),
  n('cluster-announce-bus-port', 0n, 0n, 65535n, INT),
  n('cluster-announce-port', 0n, 0n, 65535n, INT),
  n('cluster-announce-tls-port', 0n, 0n, 65535n, INT),
  n('repl-timeout', 60n, 1n, INT_MAX, INT),
  n('repl-ping-replica-period', 10n, 1n, INT_MAX, INT, 0, 'repl-ping-slave-period'),
  n('list-compress-depth', 0n, 0n, INT_MAX, INT),
  n('rdb-key-save-delay', 0n, INT_MIN, INT_MAX, INT, HID),
  n('key-load-delay', 0n, INT_MIN, INT_MAX, INT, HID),
  n('active-expire-effort', 1n, 1n, 10n, INT),
  n('hz', 10n, 0n, INT_MAX, INT),
  n('min-replicas-to-write', 0n, 0n, INT_MAX, INT, 0, 'min-slaves-to-write'),
  n('min-replicas-max-lag', 10n, 0n, INT_MAX, INT, 0, 'min-slaves-max-lag'),
  n('watchdog-period', 0n, 0n, INT_MAX, INT, HID),
  n('shutdown-timeout', 10n, 0n, INT_MAX, INT),
  n('repl-diskless-sync-max-replicas', 0n, 0n, INT_MAX, INT),
  n('maxclients', 10000n, 1n, UINT_MAX, INT, U),
  n('unixsocketperm', 0n, 0n, 0o777n, OCT, IMM | U),
  n('socket-mark-id', 0n, 0n, UINT_MAX, INT, IMM | U),
  n('active-defrag-max-scan-fields', 1000n, 1n, LLONG_MAX, INT),
  n('slowlog-max-len', 128n, 0n, LLONG_MAX, INT),
  n('acllog-max-len', 128n, 0n, LLONG_MAX, INT),
  n('busy-reply-threshold', 5000n, 0n, LLONG_MAX, INT, 0, 'lua-time-limit'),
  n('cluster-node-timeout', 15000n, 0n, LLONG_MAX, INT),
  n('slowlog-log-slower-than', 10000n, -1n, LLONG_MAX, INT),
  n('latency-monitor-threshold', 0n, 0n, LLONG_MAX, INT),
  n('proto-max-bulk-len', 536870912n, 1048576n, LLONG_MAX, MEM),
  n('stream-node-max-entries', 100n, 0n, LLONG_MAX, INT),
  n('repl-backlog-size', 1048576n, 1n, LLONG_MAX, MEM),
  n('maxmemory', 0n, 0n, ULLONG_MAX, MEM, U),
  n('cluster-link-sendbuf-limit', 0n, 0n, ULLONG_MAX, MEM, U),
  n('hash-max-listpack-entries', 512n, 0n, LLONG_MAX, INT, U, 'hash-max-ziplist-entries'),
  n('set-max-intset-entries', 512n, 0n, LLONG_MAX, INT, U),
  n('zset-max-listpack-entries', 128n, 0n, LLONG_MAX, INT, U, 'zset-max-ziplist-entries'),
  n('active-defrag-ignore-bytes', 104857600n, 1n, LLONG_MAX, MEM, U),
  n('hash-max-listpack-value', 64n, 0n, LLONG_MAX, MEM, U, 'hash-max-ziplist-value'),
  n('stream-node-max-bytes', 4096n, 0n, LLONG_MAX, MEM, U),
  n('zset-max-listpack-value', 64n, 0n, LLONG_MAX, MEM, U, 'zset-max-ziplist-value'),
  n('hll-sparse-max-bytes', 3000n, 0n, LLONG_MAX, MEM, U),
  n('tracking-table-max-keys', 1000000n, 0n, LLONG_MAX, INT, U),
  n('client-query-buffer-limit', 1073741824n, 1048576n, LLONG_MAX, MEM, U),
  n('maxmemory-clients', 0n, -100n, LLONG_MAX, MEMPCT),
  n('repl-backlog-ttl', 3600n, 0n, LLONG_MAX, INT),
  n('auto-aof-rewrite-min-size', 67108864n, 0n, LLONG_MAX, MEM),
  n('loading-process-events-interval-bytes', 2097152n, 1024n, INT_MAX, INT, HID),
  n('tls-port', 0n, 0n, 65535n, INT),
  n('tls-session-cache-size', 20480n, 0n, INT_MAX, INT),
  n('tls-session-cache-timeout', 300n, 0n, INT_MAX, INT),

  // Enums.
  en('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', IMM),
  en('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', IMM),
  en('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled', DENYLOAD),
  en('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice'),
  en('maxmemory-policy', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl',
    'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'], 'noeviction'),
  en('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  en('oom-score-adj', [['no', 0], ['yes', 1], ['relative', 1], ['absolute', 2]], 'no'),
  en('acl-pubsub-default', [['allchannels', 8], ['resetchannels', 0]], 'resetchannels'),
  en('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),
  en('enable-protected-configs', PROTECTED_ACTION, 'no', IMM),
  en('enable-debug-command', PROTECTED_ACTION, 'no', IMM),
  en('enable-module-command', PROTECTED_ACTION, 'no', IMM),
  en('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip'),
  en('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),
  en('shutdown-on-sigint', SHUTDOWN_ON_SIG, 'default', MULTI),
  en('shutdown-on-sigterm', SHUTDOWN_ON_SIG, 'default', MULTI),
  en('tls-auth-clients', ['no', 'yes', 'optional'], 'yes'),

  // Special configs. Our bind default is loopback only (Redis: "* -::*").
  special('dir', '', PROT | DENYLOAD), // default: the working directory at startup
  special('save', '3600 1 300 100 60 10000', MULTI),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', MULTI),
  special('oom-score-adj-values', '0 200 800', MULTI),
  special('notify-keyspace-events', ''),
  special('bind', '127.0.0.1 -::1', MULTI),
  special('replicaof', '', IMM | MULTI, 'slaveof'),
  special('latency-tracking-info-percentiles', '50 99 99.9', MULTI),
];

const byName = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  byName.set(d.name, d);
  if (d.alias) byName.set(d.alias, d);
}

/** The directive for a canonical or alias name (case-insensitive), if any. */
export function findDirective(name: string): Directive | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}
