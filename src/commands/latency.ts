/**
 * LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, DOCTOR,
 * GRAPH) and the per-command latency histograms (HISTOGRAM); the data lives
 * in src/server/latency.ts.
 */
import { ReplyError } from '../errors.js';
import { MapReply, SimpleString, VerbatimReply, type Reply } from '../protocol/reply.js';
import type { LatencyHistogram } from '../util/latency-histogram.js';
import { commandStats, findCommand } from './table.js';
import { adminSubcommands, defineCommand } from './types.js';


const sub = adminSubcommands('2.8.13');

/** One command's entry of LATENCY HISTOGRAM: its call count and cumulative counts by microseconds. */
function histogramReply(histogram: LatencyHistogram): MapReply {
  return new MapReply(['calls', histogram.total, 'histogram_usec', new MapReply(histogram.cdf().flat())]);
}

/**
 * LATENCY HISTOGRAM [command ...]: every command with samples, or the named
 * ones (a container names all its subcommands); unknown names are skipped.
 */
function histogram(args: string[]): Reply {
  const flat: Reply[] = [];
  const add = (fullName: string): void => {
    const histogram = commandStats.get(fullName)?.histogram;
    if (histogram) flat.push(fullName, histogramReply(histogram));
  };
  if (args.length === 2) {
    for (const fullName of commandStats.keys()) add(fullName);
    return new MapReply(flat);
  }
  for (const name of args.slice(2)) {
    const [top, subName, deeper] = name.toLowerCase().split('|');
    const spec = deeper === undefined ? findCommand(top) : undefined;
    if (spec === undefined) continue;
    if (subName !== undefined) {
      if (spec.subcommands?.some((s) => s.name === subName)) add(`${spec.name}|${subName}`);
      continue;
    }
    add(spec.name);
    for (const s of spec.subcommands ?? []) add(`${spec.name}|${s.name}`);
  }
  return new MapReply(flat);
}

const HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR', '    Return a human readable latency analysis report.',
  'GRAPH <event>', '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>', '    Return time-latency samples for the <event> class.',
  'LATEST', '    Return the latest latency samples for all events.',
  'RESET [<event> ...]', '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP', '    Prints this help.',
];

export const latencyCommand = defineCommand({
  name: 'latency', arity: -2, flags: [], group: 'server', since: '2.8.13', complexity: 'Depends on subcommand.',
  summary: 'Reports latency events and per-command latency distributions.',
  subcommands: [
    sub('latest', 2, 'Returns the latest latency samples of every event.', (ctx) => ctx.server.latency.latest()),
    sub('history', 3, 'Returns the latency history of one event.', (ctx, args) => ctx.server.latency.history(args[2]), { syntax: 'event' }),
    sub('reset', -2, 'Clears latency data; returns how many events were reset.', (ctx, args) => {
      const monitor = ctx.server.latency;
      if (args.length === 2) return monitor.reset();
      return args.slice(2).reduce((sum, event) => sum + monitor.reset(event), 0);
    }, { syntax: '[event [event ...]]' }),
    sub('doctor', 2, 'Explains the latency data in words.', (ctx) => {
      const { config } = ctx.server;
      return new VerbatimReply('txt', ctx.server.latency.doctor({
        slowlogLogSlowerThan: config.values.slowlogLogSlowerThan,
        hz: config.values.hz,
        fsyncAlways: config.get('appendfsync') === 'always',
      }));
    }),
    sub('graph', 3, 'Draws the latency samples of one event as ASCII art.', (ctx, args) => {
      const graph = ctx.server.latency.graph(args[2]);
      if (graph === undefined) throw new ReplyError(`ERR No samples available for event '${args[2]}'`);
      return new VerbatimReply('txt', graph);
    }, { syntax: 'event' }),
    sub('histogram', -2, 'Returns the cumulative distribution of latencies of commands.', (_ctx, args) => histogram(args), {
      syntax: '[command [command ...]]', since: '7.0.0', complexity: 'O(N) where N is the number of commands with latency information being retrieved.',
    }),
    sub('help', 2, 'Lists the LATENCY subcommands.', () => HELP.map((line) => new SimpleString(line)), { flags: ['loading', 'stale'] }),
  ],
});
