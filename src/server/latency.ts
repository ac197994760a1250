/**
 * The latency monitor's event time series (LATENCY LATEST, HISTORY, RESET,
 * DOCTOR, GRAPH).
 */

/** Samples kept per event (Redis: LATENCY_TS_LEN). */
const HISTORY_LEN = 160;

interface Sample {
  /** Unix time, seconds. */
  time: number;
  latencyMs: number;
}

/** One event's samples, at most one per second, in a ring. */
interface TimeSeries {
  next: number;
  max: number;
  samples: (Sample | undefined)[];
}

/** The latency monitor: for each kind of event, the worst latency of each second it went over the threshold. */
export class LatencyMonitor {
  private readonly events = new Map<string, TimeSeries>();

  constructor(private readonly threshold: () => number) {}

  /** Whether events are sampled at all: the callers skip their clock readings otherwise. */
  get enabled(): boolean {
    return this.threshold() > 0;
  }

  /** Records `latencyMs` for `event` when the monitor is on and it reaches the threshold. */
  addIfNeeded(event: string, latencyMs: number): void {
    const threshold = this.threshold();
    if (threshold > 0 && latencyMs >= threshold) this.add(event, latencyMs);
  }

  private add(event: string, latencyMs: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { next: 0, max: 0, samples: new Array<Sample | undefined>(HISTORY_LEN).fill(undefined) };
      this.events.set(event, ts);
    }
    const now = Math.floor(Date.now() / 1000);
    if (latencyMs > ts.max) ts.max = latencyMs;
    const last = ts.samples[(ts.next + HISTORY_LEN - 1) % HISTORY_LEN];
    if (last !== undefined && last.time === now) {
      last.latencyMs = Math.max(last.latencyMs, latencyMs);
      return;
    }
    ts.samples[ts.next] = { time: now, latencyMs };
    ts.next = (ts.next + 1) % HISTORY_LEN;
  }

  /** Forgets one event (any case) or, without a name, all; returns how many were dropped. */
  reset(event?: string): number {
    let dropped = 0;
    for (const name of [...this.events.keys()]) {
      if (event === undefined || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        dropped++;
      }
    }
    return dropped;
  }

  /** LATENCY LATEST: per event its name, the time and latency of its newest sample, and its all-time maximum. */
  latest(): [string, number, number, number][] {
    return [...this.events].map(([name, ts]) => {
      const last = ts.samples[(ts.next + HISTORY_LEN - 1) % HISTORY_LEN]!;
      return [name, last.time, last.latencyMs, ts.max];
    });
  }

  /** LATENCY HISTORY: an event's samples, oldest first; empty for an unknown event. */
  history(event: string): [number, number][] {
    return this.samplesOf(this.events.get(event)).map((s) => [s.time, s.latencyMs]);
  }

  private samplesOf(ts: TimeSeries | undefined): Sample[] {
    if (ts === undefined) return [];
    const out: Sample[] = [];
    for (let j = 0; j < HISTORY_LEN; j++) {
      const sample = ts.samples[(ts.next + j) % HISTORY_LEN];
      if (sample !== undefined) out.push(sample);
    }
    return out;
  }

  /** LATENCY GRAPH: an ASCII sparkline of an event's samples; undefined for an unknown event. */
  graph(event: string): string | undefined {
    const ts = this.events.get(event);
    if (ts === undefined) return undefined;
    const samples = this.samplesOf(ts);
    const now = Math.floor(Date.now() / 1000);
    const values = samples.map((s) => s.latencyMs);
    const labels = samples.map((s) => agoLabel(now - s.time));
    const high = Math.max(...values);
    const low = Math.min(...values);
    return `${event} - high ${high} ms, low ${low} ms (all time high ${ts.max} ms)\n${'-'.repeat(GRAPH_COLUMNS)}\n${sparkline(values, labels)}`;
  }

  /** LATENCY DOCTOR: the events in words, with advice for the kinds seen. */
  doctor(settings: DoctorSettings): string {
    if (this.events.size === 0 && this.threshold() === 0) {
      return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    }
    let report = '';
    const advice = new Set<Advice>();
    let eventnum = 0;
    const now = Math.floor(Date.now() / 1000);
    for (const [event, ts] of this.events) {
      eventnum++;
      if (eventnum === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      const samples = this.samplesOf(ts);
      const latencies = samples.map((s) => s.latencyMs);
      const avg = Math.floor(latencies.reduce((a, b) => a + b, 0) / samples.length);
      const mad = Math.floor(latencies.reduce((a, b) => a + Math.abs(avg - b), 0) / samples.length);
      const period = Math.max(1, now - Math.min(...samples.map((s) => s.time)));
      report += `${eventnum}. ${event}: ${samples.length} latency spikes (average ${avg}ms, mean deviation ${mad}ms, period ${(period / samples.length).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
      for (const a of adviceFor(event.toLowerCase(), settings, this.threshold())) advice.add(a);
      report += '\n';
    }
    if (eventnum === 0 && advice.size === 0) {
      return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
    }
    if (advice.size === 0) {
      return `${report}\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n`;
    }
    report += '\nI have a few advices for you:\n\n';
    const slowlogUs = this.threshold() * 1000;
    for (const a of ADVICE_ORDER) {
      if (!advice.has(a)) continue;
      if (a === 'relaxFsync' && !settings.fsyncAlways) continue;
      if (a === 'hz' && settings.hz >= 100) continue;
      report += ADVICE_TEXT[a].replace('%THRESHOLD_US%', String(slowlogUs));
    }
    return report;
  }
}

/** What LATENCY DOCTOR's advice depends on besides the events. */
export interface DoctorSettings {
  slowlogLogSlowerThan: number;
  hz: number;
  fsyncAlways: boolean;
}

type Advice =
  | 'slowlogEnabled' | 'slowlogTuning' | 'slowlogInspect' | 'scheduler' | 'localDisk' | 'ssd' | 'dataWriteback'
  | 'diskContention' | 'noAppendfsync' | 'relaxFsync' | 'writeLoadInfo' | 'hz' | 'largeObjects' | 'massEviction';

function adviceFor(event: string, settings: DoctorSettings, threshold: number): Advice[] {
  switch (event) {
    case 'command': {
      const out: Advice[] = ['slowlogInspect', 'largeObjects'];
      if (settings.slowlogLogSlowerThan < 0) out.push('slowlogEnabled');
      else if (Math.trunc(settings.slowlogLogSlowerThan / 1000) > threshold) out.push('slowlogTuning');
      return out;
    }
    case 'fast-command': return ['scheduler'];
    case 'aof-write-pending-fsync': return ['localDisk', 'diskContention', 'ssd', 'dataWriteback'];
    case 'aof-write-active-child': return ['noAppendfsync', 'dataWriteback', 'ssd'];
    case 'aof-write-alone': return ['localDisk', 'dataWriteback', 'ssd'];
    case 'aof-fsync-always': return ['relaxFsync'];
    case 'aof-fstat':
    case 'rdb-unlink-temp-file': return ['diskContention', 'localDisk'];
    case 'aof-rewrite-diff-write':
    case 'aof-rename': return ['writeLoadInfo', 'dataWriteback', 'ssd', 'localDisk'];
    case 'expire-cycle': return ['hz', 'largeObjects'];
    case 'eviction-del': return ['largeObjects'];
    case 'eviction-cycle': return ['massEviction'];
    default: return [];
  }
}

/** The order in which Redis prints its advice. */
const ADVICE_ORDER: readonly Advice[] = [
  'slowlogEnabled', 'slowlogTuning', 'slowlogInspect', 'scheduler', 'localDisk', 'ssd', 'dataWriteback', 'diskContention',
  'noAppendfsync', 'relaxFsync', 'writeLoadInfo', 'hz', 'largeObjects', 'massEviction',
];

const ADVICE_TEXT: Readonly<Record<Advice, string>> = {
  slowlogEnabled: "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %THRESHOLD_US%'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
  slowlogTuning: "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %THRESHOLD_US%'.\n",
  slowlogInspect: '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n',
  scheduler: '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
    '  1) Lower the system load.\n' +
    '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
    '  3) Check if you have a "noisy neighbour" problem.\n' +
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
    '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n',
  localDisk: '- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n',
  ssd: '- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n',
  dataWriteback: '- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n',
  diskContention: '- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n',
  noAppendfsync: "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n",
  relaxFsync: "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
  writeLoadInfo: '- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n',
  hz: "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
  largeObjects: '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n',
  massEviction: "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n",
};

/** How long ago a sample was taken, as LATENCY GRAPH labels it. */
function agoLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;
/** Each row resolves three heights; a full cell below the top shows as '|'. */
const FILL_CHARS = '_o#';

/**
 * A filled sparkline of `values`, GRAPH_ROWS rows high, a label written
 * downwards under each column after one blank row, wrapped every
 * GRAPH_COLUMNS columns.
 */
function sparkline(values: number[], labels: string[]): string {
  // Redis's running minimum and maximum skip the maximum check whenever a new minimum is seen.
  let min = values[0];
  let max = values[0];
  for (const v of values.slice(1)) {
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const range = max - min === 0 ? 1 : max - min;
  const steps = FILL_CHARS.length * GRAPH_ROWS;
  let out = '';
  for (let offset = 0; offset < values.length; offset += GRAPH_COLUMNS) {
    if (offset !== 0) out += '\n';
    const part = values.slice(offset, offset + GRAPH_COLUMNS);
    const partLabels = labels.slice(offset, offset + GRAPH_COLUMNS);
    const heights = part.map((v) => Math.min(steps - 1, Math.max(0, Math.trunc(((v - min) * steps) / range))));
    for (let row = 0; row < GRAPH_ROWS; row++) {
      let line = '';
      for (const step of heights) {
        const charIndex = step - (GRAPH_ROWS - row - 1) * FILL_CHARS.length;
        line += charIndex >= FILL_CHARS.length ? '|' : charIndex >= 0 ? FILL_CHARS[charIndex] : ' ';
      }
      out += `${line}\n`;
    }
    out += `${' '.repeat(part.length)}\n`;
    const longest = Math.max(...partLabels.map((l) => l.length));
    for (let row = 0; row < longest; row++) {
      out += `${partLabels.map((l) => l[row] ?? ' ').join('')}\n`;
    }
  }
  return out;
}
