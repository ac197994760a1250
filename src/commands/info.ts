/**
 * INFO: the server's state as `field:value` lines grouped in sections, with
 * the field names clients and tools read from Redis.
 */
import { BASELINE_BYTES } from '../store/memory.js';
import type { LoadingProgress } from '../persistence/persistence.js';
import os from 'node:os';
import { VerbatimReply, type Reply } from '../protocol/reply.js';
import { REDIS_VERSION, SERVER_NAME, SERVER_VERSION } from '../version.js';
import { commandStats } from './table.js';
import { deepSanitizations } from '../persistence/rdb.js';
import { processCpu } from '../util/cpu.js';
import type { RateSampler } from '../util/rate.js';
import { defineCommand, type CommandContext } from './types.js';

type Section = (ctx: CommandContext) => Record<string, string | number>;

const RUN_ID = Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join('');

function humanBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n}B` : `${value.toFixed(2)}${units[unit]}`;
}

/**
 * The scripting lines of INFO memory. Our scripts live in V8's heap, which
 * has no per-state measure, so the VM figures are Redis's fresh-state sizes
 * plus the source kept; the script and library counts are exact.
 */
function scriptingMemory(ctx: CommandContext): Record<string, number | string> {
  let evalSource = 0;
  for (const script of ctx.server.scripting.scripts.values()) evalSource += script.body.length + script.sha.length;
  let functionSource = 0;
  for (const code of ctx.server.functions.libraryCodes()) functionSource += code.length;
  const vmEval = LUA_STATE_BYTES + evalSource;
  const vmFunctions = LUA_STATE_BYTES + functionSource;
  return {
    used_memory_lua: vmEval,
    used_memory_vm_eval: vmEval,
    used_memory_lua_human: humanBytes(vmEval),
    used_memory_scripts_eval: evalSource,
    number_of_cached_scripts: ctx.server.scripting.scripts.size,
    number_of_functions: ctx.server.functions.functionCount,
    number_of_libraries: ctx.server.functions.libraries.size,
    used_memory_vm_functions: vmFunctions,
    used_memory_vm_total: vmEval + vmFunctions,
    used_memory_vm_total_human: humanBytes(vmEval + vmFunctions),
    used_memory_functions: functionSource,
    used_memory_scripts: evalSource + functionSource,
    used_memory_scripts_human: humanBytes(evalSource + functionSource),
  };
}

/** What INFO reports for a Lua state with nothing loaded (redis-server 7.0.15's figure). */
const LUA_STATE_BYTES = 31744;

/** Fixed for the life of the process; each os call is a system call, and BullMQ sends INFO with every connection. */
const OS_TEXT = `${os.type()} ${os.release()} ${os.arch()}`;
const TOTAL_SYSTEM_MEMORY = os.totalmem();

/**
 * The process's memory figures, at most 100 ms old: as Redis's, which its
 * cron samples ten times a second. Sampling reads /proc and V8's heap
 * statistics, about a tenth of an INFO.
 */
let memorySample: NodeJS.MemoryUsage | undefined;
let memorySampledAt = 0;
function sampledMemoryUsage(): NodeJS.MemoryUsage {
  const now = Date.now();
  if (memorySample === undefined || now - memorySampledAt >= 100) {
    memorySample = process.memoryUsage();
    memorySampledAt = now;
  }
  return memorySample;
}

const sections: Record<string, Section> = {
  server: (ctx) => {
    const uptime = Math.floor((Date.now() - ctx.server.startTime) / 1000);
    return {
      redis_version: REDIS_VERSION,
      redis_git_sha1: 0,
      redis_git_dirty: 0,
      redis_build_id: 0,
      redis_mode: 'standalone',
      server_name: SERVER_NAME,
      server_version: SERVER_VERSION,
      os: OS_TEXT,
      arch_bits: 64,
      monotonic_clock: 'POSIX clock_gettime',
      multiplexing_api: 'epoll',
      atomicvar_api: 'c11-builtin',
      gcc_version: '0.0.0',
      nodejs_version: process.versions.node,
      process_id: process.pid,
      process_supervised: 'no',
      run_id: RUN_ID,
      tcp_port: ctx.server.port,
      server_time_usec: Math.floor((performance.timeOrigin + performance.now()) * 1000),
      uptime_in_seconds: uptime,
      uptime_in_days: Math.floor(uptime / 86400),
      hz: ctx.server.config.values.hz,
      configured_hz: ctx.server.config.values.hz,
      lru_clock: Math.floor(Date.now() / 1000) & 0xffffff,
      executable: process.argv[1] ?? '',
      config_file: ctx.server.config.configFile ?? '',
      io_threads_active: 0,
      ...(ctx.server.shutdownInMs === undefined ? {} : { shutdown_in_milliseconds: ctx.server.shutdownInMs }),
    };
  },
  clients: (ctx) => ({
    // Replicas are not clients here, as in Redis (they show in INFO replication).
    connected_clients: ctx.server.clients.size - ctx.server.replication.replicas.length,
    cluster_connections: 0,
    maxclients: ctx.server.config.values.maxclients,
    client_recent_max_input_buffer: 0,
    client_recent_max_output_buffer: 0,
    blocked_clients: ctx.server.blocked.count + ctx.server.pause.held,
    tracking_clients: ctx.server.tracking.clients,
    clients_in_timeout_table: 0,
  }),
  memory: (ctx) => {
    const usage = sampledMemoryUsage();
    const rss = usage.rss;
    const memory = ctx.server.memoryOverview();
    const { used, peak } = memory;
    const maxmemory = ctx.server.config.values.maxmemory;
    // The allocator's view, from V8: what its heaps and off-heap buffers hold, what they have reserved, and the resident set.
    const allocated = usage.heapUsed + usage.external;
    const active = usage.heapTotal + usage.external;
    const percent = (part: number, whole: number): string => `${((part / Math.max(1, whole)) * 100).toFixed(2)}%`;
    return {
      used_memory: used,
      used_memory_human: humanBytes(used),
      used_memory_rss: rss,
      used_memory_rss_human: humanBytes(rss),
      used_memory_peak: peak,
      used_memory_peak_human: humanBytes(peak),
      used_memory_peak_perc: percent(used, peak),
      used_memory_overhead: memory.overhead,
      used_memory_startup: BASELINE_BYTES,
      used_memory_dataset: memory.dataset,
      used_memory_dataset_perc: percent(memory.dataset, used - BASELINE_BYTES),
      allocator_allocated: allocated,
      allocator_active: active,
      allocator_resident: rss,
      total_system_memory: TOTAL_SYSTEM_MEMORY,
      total_system_memory_human: humanBytes(TOTAL_SYSTEM_MEMORY),
      ...scriptingMemory(ctx),
      maxmemory,
      maxmemory_human: humanBytes(maxmemory),
      maxmemory_policy: ctx.server.config.get('maxmemory-policy') ?? 'noeviction',
      allocator_frag_ratio: (active / Math.max(1, allocated)).toFixed(2),
      allocator_frag_bytes: active - allocated,
      allocator_rss_ratio: (rss / Math.max(1, active)).toFixed(2),
      allocator_rss_bytes: rss - active,
      rss_overhead_ratio: '1.00',
      rss_overhead_bytes: 0,
      mem_fragmentation_ratio: (rss / Math.max(1, used)).toFixed(2),
      mem_fragmentation_bytes: rss - used,
      mem_not_counted_for_evict: memory.notCountedForEviction,
      mem_replication_backlog: memory.replicationBacklog,
      mem_total_replication_buffers: ctx.server.replication.bufferBytes(),
      mem_clients_slaves: memory.clientsReplicas,
      mem_clients_normal: memory.clientsNormal,
      mem_cluster_links: 0,
      mem_aof_buffer: memory.aofBuffer,
      mem_allocator: 'v8',
      active_defrag_running: 0,
      lazyfree_pending_objects: 0,
      lazyfreed_objects: ctx.server.stats.lazyfreedObjects,
    };
  },
  persistence: (ctx) => ({
    loading: ctx.server.loading === 'sync' ? 1 : 0,
    async_loading: ctx.server.loading === 'async' ? 1 : 0,
    // Our copy-on-write: what the running snapshot holds that the keyspace alone would not, counted as it happens (age 0).
    current_cow_peak: ctx.server.persistence.cowSize,
    current_cow_size: ctx.server.persistence.cowSize,
    current_cow_size_age: 0,
    ...saveProgressInfo(ctx.server.persistence.saveProgress),
    rdb_changes_since_last_save: ctx.server.keyspace.dirty,
    rdb_bgsave_in_progress: ctx.server.persistence.saveInProgress ? 1 : 0,
    rdb_last_save_time: ctx.server.persistence.lastSave,
    rdb_last_bgsave_status: ctx.server.persistence.lastSaveOk ? 'ok' : 'err',
    rdb_last_bgsave_time_sec: ctx.server.persistence.rdbLastBgsaveSeconds,
    rdb_current_bgsave_time_sec: ctx.server.persistence.rdbCurrentBgsaveSeconds,
    rdb_saves: ctx.server.persistence.rdbSaves,
    rdb_last_cow_size: ctx.server.persistence.rdbLastCowSize,
    rdb_last_load_keys_expired: ctx.server.persistence.lastLoad.expired,
    rdb_last_load_keys_loaded: ctx.server.persistence.lastLoad.loaded,
    ...ctx.server.persistence.aofInfo(),
    ...loadingInfo(ctx.server.persistence.loading),
  }),
  stats: (ctx) => {
    const s = ctx.server.stats;
    const k = ctx.server.keyspace.stats;
    const rates = ctx.server.rates;
    const kbps = (rate: RateSampler): string => (rate.perSecond() / 1024).toFixed(2);
    const exceeded = ctx.server.keyspace.evictor.exceededTime();
    return {
      total_connections_received: s.connectionsReceived,
      total_commands_processed: s.commandsProcessed,
      instantaneous_ops_per_sec: Math.round(rates.ops.perSecond()),
      total_net_input_bytes: s.netInputBytes,
      total_net_output_bytes: s.netOutputBytes,
      total_net_repl_input_bytes: s.netReplInputBytes,
      total_net_repl_output_bytes: s.netReplOutputBytes,
      instantaneous_input_kbps: kbps(rates.input),
      instantaneous_output_kbps: kbps(rates.output),
      instantaneous_input_repl_kbps: kbps(rates.replInput),
      instantaneous_output_repl_kbps: kbps(rates.replOutput),
      rejected_connections: s.rejectedConnections,
      sync_full: ctx.server.replication.syncFull,
      sync_partial_ok: ctx.server.replication.syncPartialOk,
      sync_partial_err: ctx.server.replication.syncPartialErr,
      expired_keys: k.expiredKeys,
      expired_stale_perc: k.expiredStalePerc.toFixed(2),
      expired_time_cap_reached_count: k.expireTimeCapReached,
      expire_cycle_cpu_milliseconds: Math.round(k.expireCycleTimeMs),
      evicted_keys: ctx.server.keyspace.evictor.evicted,
      evicted_clients: ctx.server.clientMemory.evicted,
      total_eviction_exceeded_time: exceeded.totalMs,
      current_eviction_exceeded_time: exceeded.currentMs,
      keyspace_hits: k.hits,
      keyspace_misses: k.misses,
      pubsub_channels: ctx.server.pubsub.size('channels'),
      pubsub_patterns: ctx.server.pubsub.size('patterns'),
      pubsubshard_channels: ctx.server.pubsub.size('shardChannels'),
      latest_fork_usec: ctx.server.persistence.latestForkUs,
      total_forks: ctx.server.persistence.backgroundJobs,
      migrate_cached_sockets: ctx.server.migrations.cachedConnections,
      slave_expires_tracked_keys: ctx.server.replication.localKeysWithExpiry,
      // V8 compacts its own heap; there is no active defragmentation to count.
      active_defrag_hits: 0,
      active_defrag_misses: 0,
      active_defrag_key_hits: 0,
      active_defrag_key_misses: 0,
      total_active_defrag_time: 0,
      current_active_defrag_time: 0,
      tracking_total_keys: ctx.server.tracking.totalKeys,
      tracking_total_items: ctx.server.tracking.totalItems,
      tracking_total_prefixes: ctx.server.tracking.totalPrefixes,
      unexpected_error_replies: s.unexpectedErrorReplies,
      total_error_replies: s.totalErrorReplies,
      dump_payload_sanitizations: deepSanitizations.count,
      total_reads_processed: s.readsProcessed,
      total_writes_processed: s.writesProcessed,
      // One thread does all the I/O (io-threads is 1).
      io_threaded_reads_processed: 0,
      io_threaded_writes_processed: 0,
      reply_buffer_shrinks: s.replyBufferShrinks,
      reply_buffer_expands: s.replyBufferExpands,
    };
  },
  replication: (ctx) => ctx.server.replication.info(),
  cpu: () => {
    const usage = process.cpuUsage();
    const proc = processCpu();
    const fields: Record<string, string> = {
      used_cpu_sys: (usage.system / 1e6).toFixed(6),
      used_cpu_user: (usage.user / 1e6).toFixed(6),
      used_cpu_sys_children: (proc?.childrenSystem ?? 0).toFixed(6),
      used_cpu_user_children: (proc?.childrenUser ?? 0).toFixed(6),
    };
    if (proc !== undefined) {
      fields.used_cpu_sys_main_thread = proc.mainSystem.toFixed(6);
      fields.used_cpu_user_main_thread = proc.mainUser.toFixed(6);
    }
    return fields;
  },
  modules: () => ({}),
  commandstats: () => {
    const out: Record<string, string> = {};
    for (const [name, s] of commandStats) {
      if (s.calls === 0 && s.rejectedCalls === 0 && s.failedCalls === 0) continue;
      const perCall = s.calls > 0 ? (s.usec / s.calls).toFixed(2) : '0.00';
      out[`cmdstat_${name}`] =
        `calls=${s.calls},usec=${s.usec},usec_per_call=${perCall},rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`;
    }
    return out;
  },
  errorstats: (ctx) => {
    const out: Record<string, string> = {};
    for (const [code, count] of ctx.server.stats.errors) out[`errorstat_${code}`] = `count=${count}`;
    return out;
  },
  latencystats: (ctx) => {
    const out: Record<string, string> = {};
    if (!ctx.server.config.values.latencyTracking) return out;
    // The config keeps each percentile as Redis prints it (%f with the trailing zeros trimmed).
    const percentiles = (ctx.server.config.get('latency-tracking-info-percentiles') ?? '').split(' ').filter((p) => p !== '');
    for (const [name, s] of commandStats) {
      const histogram = s.histogram;
      if (histogram === undefined) continue;
      out[`latency_percentiles_usec_${name}`] = percentiles
        .map((p) => `p${p}=${(histogram.valueAtPercentile(Number(p)) / 1000).toFixed(3)}`)
        .join(',');
    }
    return out;
  },
  cluster: () => ({ cluster_enabled: 0 }),
  keyspace: (ctx) => {
    const out: Record<string, string> = {};
    const now = Date.now();
    for (const db of ctx.server.keyspace.dbs) {
      if (db.size === 0) continue;
      let ttlSum = 0;
      for (const when of db.expires.values()) ttlSum += Math.max(0, when - now);
      const avgTtl = db.expires.size > 0 ? Math.floor(ttlSum / db.expires.size) : 0;
      out[`db${db.id}`] = `keys=${db.size},expires=${db.expires.size},avg_ttl=${avgTtl}`;
    }
    return out;
  },
};

const SECTION_TITLES: Record<string, string> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats',
  replication: 'Replication', cpu: 'CPU', modules: 'Modules', errorstats: 'Errorstats', cluster: 'Cluster',
  keyspace: 'Keyspace', commandstats: 'Commandstats', latencystats: 'Latencystats',
};
const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];

/** The INFO text for the requested section names (`default`, `all`, `everything` or names). */
export function infoText(ctx: CommandContext, requested: string[]): string {
  const names = new Set<string>();
  const wanted = requested.length === 0 ? ['default'] : requested.map((s) => s.toLowerCase());
  for (const name of wanted) {
    if (name === 'default') DEFAULT_SECTIONS.forEach((s) => names.add(s));
    else if (name === 'all' || name === 'everything') Object.keys(sections).forEach((s) => names.add(s));
    else if (name in sections) names.add(name);
  }
  const parts: string[] = [];
  for (const name of Object.keys(sections)) {
    if (!names.has(name)) continue;
    const fields = sections[name](ctx);
    let text = `# ${SECTION_TITLES[name]}\r\n`;
    for (const [key, value] of Object.entries(fields)) text += `${key}:${value}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}

export const infoCommand = defineCommand({
  name: 'info', arity: -1, flags: ['loading', 'stale'], group: 'server', since: '1.0.0', complexity: 'O(1)',
  summary: 'Reports server state and statistics, by section.', syntax: '[section [section ...]]',
  run: (ctx, args): Reply => new VerbatimReply('txt', infoText(ctx, args.slice(1))),
});

/**
 * INFO persistence's progress of a start-up load, computed as Redis does: an
 * ETA of 1 s in its first second, and with no total size, the file's used-mem
 * as a (bad) estimate of it, the percentage kept below 100.
 */
function loadingInfo(progress: LoadingProgress | undefined): Record<string, number | string> {
  if (progress === undefined) return {};
  const { startTime, totalBytes, loadedBytes, rdbUsedMem } = progress;
  const elapsed = Math.floor(Date.now() / 1000) - startTime;
  let perc = 0;
  let remaining = 1;
  if (totalBytes > 0) {
    perc = (loadedBytes / totalBytes) * 100;
    remaining = totalBytes - loadedBytes;
  } else if (rdbUsedMem > 0) {
    perc = Math.min(99.99, (loadedBytes / rdbUsedMem) * 100);
    remaining = Math.max(1, rdbUsedMem - loadedBytes);
  }
  return {
    loading_start_time: startTime,
    loading_total_bytes: totalBytes,
    loading_rdb_used_mem: rdbUsedMem,
    loading_loaded_bytes: loadedBytes,
    loading_loaded_perc: perc.toFixed(2),
    loading_eta_seconds: elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (loadedBytes + 1)),
  };
}

/** INFO's current_fork_perc and current_save_keys_*: how far the save child has got. */
function saveProgressInfo({ processed, total }: { processed: number; total: number }): Record<string, string | number> {
  return {
    current_fork_perc: (total === 0 ? 0 : (processed / total) * 100).toFixed(2),
    current_save_keys_processed: processed,
    current_save_keys_total: total,
  };
}
