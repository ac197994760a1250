/**
 * The pub/sub registry: who listens to which channel, pattern and shard
 * channel. Each subscription is kept twice, as in Redis: on the client (its
 * counts go into every confirmation) and here, name → subscribers, so a
 * PUBLISH finds its receivers without walking the clients.
 */
import type { ClientState, PubSubKind } from '../commands/types.js';
import { PushReply } from '../protocol/reply.js';
import { globMatch } from '../util/glob.js';

/** Hands a message to one subscriber (the server writes it to the socket at once). */
export type Deliver = (client: ClientState, message: PushReply) => void;

export class PubSubRegistry {
  private readonly byKind: Record<PubSubKind, Map<string, Set<ClientState>>> = {
    channels: new Map(),
    patterns: new Map(),
    shardChannels: new Map(),
  };

  /** Adds one subscription; false when the client already had it. */
  subscribe(client: ClientState, kind: PubSubKind, name: string): boolean {
    const own = client.subscriptions[kind];
    if (own.has(name)) return false;
    own.add(name);
    const registry = this.byKind[kind];
    let subscribers = registry.get(name);
    if (subscribers === undefined) {
      subscribers = new Set();
      registry.set(name, subscribers);
    }
    // A Set keeps insertion order: subscribers receive in the order they subscribed, as in Redis.
    subscribers.add(client);
    return true;
  }

  /** Removes one subscription; false when the client did not have it. */
  unsubscribe(client: ClientState, kind: PubSubKind, name: string): boolean {
    if (!client.subscriptions[kind].delete(name)) return false;
    const registry = this.byKind[kind];
    const subscribers = registry.get(name);
    subscribers?.delete(client);
    // Emptied names go away, so PUBSUB CHANNELS and memory only reflect live subscriptions.
    if (subscribers?.size === 0) registry.delete(name);
    return true;
  }

  /** Drops every subscription of a client silently (RESET, disconnect). */
  dropClient(client: ClientState): void {
    for (const kind of ['channels', 'patterns', 'shardChannels'] as const) {
      for (const name of [...client.subscriptions[kind]]) this.unsubscribe(client, kind, name);
    }
  }

  /**
   * PUBLISH / SPUBLISH: hands `message` to every subscriber of `channel`, then
   * (not for shard channels) to every client with a matching pattern, once per
   * matching pattern; returns the number of deliveries.
   */
  publish(channel: string, message: string, shard: boolean, deliver: Deliver): number {
    let receivers = 0;
    const direct = this.byKind[shard ? 'shardChannels' : 'channels'].get(channel);
    if (direct !== undefined) {
      const frame = new PushReply([shard ? 'smessage' : 'message', channel, message]);
      for (const client of direct) deliver(client, frame);
      receivers += direct.size;
    }
    if (shard) return receivers;
    for (const [pattern, subscribers] of this.byKind.patterns) {
      if (!globMatch(pattern, channel)) continue;
      const frame = new PushReply(['pmessage', pattern, channel, message]);
      for (const client of subscribers) deliver(client, frame);
      receivers += subscribers.size;
    }
    return receivers;
  }

  /** Subscribers of one channel or shard channel, not counting patterns (PUBSUB NUMSUB). */
  subscriberCount(kind: PubSubKind, name: string): number {
    return this.byKind[kind].get(name)?.size ?? 0;
  }

  /** Names with at least one subscriber, optionally those matching a glob (PUBSUB CHANNELS). */
  names(kind: PubSubKind, pattern?: string): string[] {
    const all = [...this.byKind[kind].keys()];
    return pattern === undefined ? all : all.filter((name) => globMatch(pattern, name));
  }

  /** Distinct names subscribed to (INFO pubsub_channels, PUBSUB NUMPAT). */
  size(kind: PubSubKind): number {
    return this.byKind[kind].size;
  }
}
