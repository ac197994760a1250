/**
 * Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and
 * PUBSUB introspection. Confirmations and messages are RESP3 push frames
 * (`>`), plain arrays in RESP2. Shard channels are a namespace of their own
 * that patterns never see; on a single node that is their only difference.
 */
import { unknownSubcommandOrArity } from '../errors.js';
import { PushReply, RawReply, SimpleString, encode, type Reply } from '../protocol/reply.js';
import { defineCommand, type CommandContext, type CommandSpec, type PubSubKind } from './types.js';

/** A confirmation carries the count of its namespace: channels + patterns, or shard channels alone. */
function subscriptionCount(ctx: CommandContext, kind: PubSubKind): number {
  const subs = ctx.client.subscriptions;
  return kind === 'shardChannels' ? subs.shardChannels.size : subs.channels.size + subs.patterns.size;
}

/**
 * Several push frames answering one command, pre-encoded for the client's
 * protocol (a reply value is a single frame). Like a single PushReply, the
 * connection sends it even under CLIENT REPLY OFF/SKIP, as Redis does.
 */
export class PushFrames extends RawReply {}

/** One frame per channel named in the command. */
function frames(ctx: CommandContext, list: PushReply[]): Reply {
  if (list.length === 1) return list[0];
  const resp3 = ctx.client.resp === 3;
  return new PushFrames(list.reduce((out, frame) => encode(frame, resp3, out), ''));
}

/** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE name [name ...] → one `[verb, name, count]` per name. */
function subscribe(kind: PubSubKind, verb: string) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const list: PushReply[] = [];
    for (let i = 1; i < args.length; i++) {
      ctx.server.pubsub.subscribe(ctx.client, kind, args[i]);
      list.push(new PushReply([verb, args[i], subscriptionCount(ctx, kind)]));
    }
    return frames(ctx, list);
  };
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE [name ...]: without names, every
 * subscription of the kind; with nothing to drop, one `[verb, nil, count]`.
 */
function unsubscribe(kind: PubSubKind, verb: string) {
  return (ctx: CommandContext, args: string[]): Reply => {
    const names = args.length > 1 ? args.slice(1) : [...ctx.client.subscriptions[kind]];
    if (names.length === 0) return new PushReply([verb, null, subscriptionCount(ctx, kind)]);
    const list: PushReply[] = [];
    for (const name of names) {
      ctx.server.pubsub.unsubscribe(ctx.client, kind, name);
      list.push(new PushReply([verb, name, subscriptionCount(ctx, kind)]));
    }
    return frames(ctx, list);
  };
}

/** NUMSUB / SHARDNUMSUB: name, count pairs for the names asked, in order. */
function numsub(kind: PubSubKind) {
  return (ctx: CommandContext, args: string[]): Reply =>
    args.slice(2).flatMap((name) => [name, ctx.server.pubsub.subscriberCount(kind, name)]);
}

/** CHANNELS / SHARDCHANNELS [pattern]. */
function channels(kind: PubSubKind) {
  return (ctx: CommandContext, args: string[]): Reply => {
    if (args.length > 3) throw unknownSubcommandOrArity(args[1], 'PUBSUB');
    return ctx.server.pubsub.names(kind, args[2]);
  };
}

/** PUBLISH and SPUBLISH: to our subscribers, and to our replicas' (as Redis's forceCommandPropagation to replicas only: the AOF has no use for messages). */
function publish(ctx: CommandContext, args: string[]): Reply {
  ctx.server.replication.append(ctx.client.db.id, args);
  return ctx.server.publish(ctx.client, args[1], args[2], args[0].toLowerCase() === 'spublish');
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

const SUBSCRIBE_FLAGS: CommandSpec['flags'] = ['pubsub', 'noscript', 'loading', 'stale'];
const INTROSPECTION_FLAGS: CommandSpec['flags'] = ['pubsub', 'loading', 'stale'];

const pubsubSub = (name: string, arity: number, since: string, complexity: string, summary: string,
  run: (ctx: CommandContext, args: string[]) => Reply, syntax?: string, flags = INTROSPECTION_FLAGS): CommandSpec =>
  defineCommand({ name, arity, flags, group: 'pubsub', since, complexity, summary, syntax, run });

const pubsubCommand = defineCommand({
  name: 'pubsub', arity: -2, flags: [], group: 'pubsub', since: '2.8.0', complexity: 'Depends on subcommand.',
  summary: 'Inspects the state of pub/sub.',
  subcommands: [
    pubsubSub('channels', -2, '2.8.0',
      'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)',
      'Lists channels with at least one subscriber, optionally those matching a pattern.', channels('channels'), '[pattern]'),
    pubsubSub('numsub', -2, '2.8.0', 'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
      'Counts the subscribers of each channel given (pattern subscribers excluded).', numsub('channels'), '[channel [channel ...]]'),
    pubsubSub('numpat', 2, '2.8.0', 'O(1)', 'Counts the distinct patterns subscribed to.',
      (ctx) => ctx.server.pubsub.size('patterns')),
    pubsubSub('shardchannels', -2, '7.0.0',
      'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).',
      'Lists shard channels with at least one subscriber, optionally those matching a pattern.', channels('shardChannels'), '[pattern]'),
    pubsubSub('shardnumsub', -2, '7.0.0', 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
      'Counts the subscribers of each shard channel given.', numsub('shardChannels'), '[shardchannel [shardchannel ...]]'),
    pubsubSub('help', 2, '6.2.0', 'O(1)', 'Lists the PUBSUB subcommands.',
      () => PUBSUB_HELP.map((line) => new SimpleString(line)), undefined, ['loading', 'stale']),
  ],
});

export const pubsubCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'subscribe', arity: -2, flags: SUBSCRIBE_FLAGS, group: 'pubsub', since: '2.0.0',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    summary: 'Listens for messages published to channels.', syntax: 'channel [channel ...]',
    run: subscribe('channels', 'subscribe'),
  }),
  defineCommand({
    name: 'unsubscribe', arity: -1, flags: SUBSCRIBE_FLAGS, group: 'pubsub', since: '2.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
    summary: 'Stops listening to the given channels, or to all.', syntax: '[channel [channel ...]]',
    run: unsubscribe('channels', 'unsubscribe'),
  }),
  defineCommand({
    name: 'psubscribe', arity: -2, flags: SUBSCRIBE_FLAGS, group: 'pubsub', since: '2.0.0',
    complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
    summary: 'Listens for messages published to channels matching glob patterns.', syntax: 'pattern [pattern ...]',
    run: subscribe('patterns', 'psubscribe'),
  }),
  defineCommand({
    name: 'punsubscribe', arity: -1, flags: SUBSCRIBE_FLAGS, group: 'pubsub', since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
    summary: 'Stops listening to the given patterns, or to all.', syntax: '[pattern [pattern ...]]',
    run: unsubscribe('patterns', 'punsubscribe'),
  }),
  defineCommand({
    name: 'publish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], group: 'pubsub', since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    summary: 'Sends a message to a channel; returns how many subscribers received it.', syntax: 'channel message',
    run: publish,
  }),
  defineCommand({
    name: 'ssubscribe', arity: -2, flags: SUBSCRIBE_FLAGS, keys: { first: 1, last: -1, step: 1 }, group: 'pubsub', since: '7.0.0',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    summary: 'Listens for messages published to shard channels.', syntax: 'shardchannel [shardchannel ...]',
    run: subscribe('shardChannels', 'ssubscribe'),
  }),
  defineCommand({
    name: 'sunsubscribe', arity: -1, flags: SUBSCRIBE_FLAGS, keys: { first: 1, last: -1, step: 1 }, group: 'pubsub', since: '7.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
    summary: 'Stops listening to the given shard channels, or to all.', syntax: '[shardchannel [shardchannel ...]]',
    run: unsubscribe('shardChannels', 'sunsubscribe'),
  }),
  defineCommand({
    name: 'spublish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], keys: { first: 1, last: 1, step: 1 },
    group: 'pubsub', since: '7.0.0',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    summary: 'Sends a message to a shard channel; returns how many subscribers received it.', syntax: 'shardchannel message',
    run: publish,
  }),
  pubsubCommand,
];

/** Commands a RESP2 client in subscribed mode may still run (Redis's list, by top-level name). */
export const SUBSCRIBED_MODE_COMMANDS: ReadonlySet<string> = new Set([
  'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit', 'reset',
]);

