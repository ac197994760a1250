/**
 * Server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
 *
 * Default mode: the keys a tracking client reads are remembered in a table
 * (key → client ids, across databases like Redis); the first change to such a
 * key sends those clients one invalidation and forgets the key. BCAST mode
 * remembers nothing: every changed key under a subscribed prefix is collected
 * and broadcast once per event-loop turn. Invalidations go out as RESP3
 * `invalidate` pushes, or, redirected to a RESP2 client, as messages on
 * `__redis__:invalidate`. A client's own invalidations follow the reply of
 * the command that caused them.
 */
import { PushReply } from '../protocol/reply.js';
import { isSubscribed, type ClientState } from '../commands/types.js';

/** One client's tracking settings (CLIENT TRACKING ON ... / CLIENT CACHING). */
export class ClientTracking {
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING YES (optin) or NO (optout) applies to the next command. */
  caching = false;
  /** Id of the client that receives the invalidations; 0 for the client itself. */
  redirect = 0;
  brokenRedirect = false;
  readonly prefixes = new Set<string>();
}

/** What CLIENT TRACKING ON asks for. */
export interface TrackingRequest {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  redirect: number;
  prefixes: string[];
}

interface Broadcast {
  readonly clients: Set<ClientState>;
  /** Keys changed under this prefix since the last broadcast, with the client that changed each. */
  readonly changed: Map<string, ClientState | undefined>;
}

/** What tracking needs from the server. */
export interface TrackingHost {
  clientById(id: number): ClientState | undefined;
  /** The client whose command is running, if any. */
  currentClient(): ClientState | undefined;
  /** Queues a push for a client and makes sure it is written soon. */
  deliver(client: ClientState, push: PushReply): void;
  maxKeys(): number;
}

const CHANNEL = '__redis__:invalidate';

export class Tracking {
  /** Keys read by tracking clients → their ids. */
  private readonly table = new Map<string, Set<number>>();
  private readonly broadcasts = new Map<string, Broadcast>();
  private broadcastScheduled = false;
  /** Invalidations for the running client, sent after its reply; null stands for a flush. */
  private pending: (string | null)[] = [];
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  /** ClientState ids across the table (INFO tracking_total_items). */
  totalItems = 0;
  /** Rounds in a row that the table stayed over tracking-table-max-keys. */
  private overLimitRounds = 0;

  constructor(private readonly host: TrackingHost) {}

  /** Whether any key change can concern tracking at all (a cheap test on every write). */
  get active(): boolean {
    return this.table.size > 0 || this.broadcasts.size > 0;
  }

  get totalKeys(): number {
    return this.table.size;
  }

  get totalPrefixes(): number {
    return this.broadcasts.size;
  }

  /**
   * Checks CLIENT TRACKING ON against the client's current state; returns
   * Redis's error text, or undefined when the request is acceptable.
   */
  refusal(client: ClientState, request: TrackingRequest): string | undefined {
    if (!request.bcast && request.prefixes.length > 0) return 'PREFIX option requires BCAST mode to be enabled';
    const current = client.tracking;
    if (current && current.bcast !== request.bcast) {
      return "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
    }
    if (request.bcast && (request.optin || request.optout)) return 'OPTIN and OPTOUT are not compatible with BCAST';
    if (request.optin && request.optout) return "You can't specify both OPTIN mode and OPTOUT mode";
    if (current && ((request.optin && current.optout) || (request.optout && current.optin))) {
      return "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
    }
    if (request.bcast) return prefixCollision(current?.prefixes ?? new Set(), request.prefixes);
    return undefined;
  }

  /** CLIENT TRACKING ON (after `refusal` found nothing wrong). */
  enable(client: ClientState, request: TrackingRequest): void {
    let tracking = client.tracking;
    if (!tracking) {
      tracking = client.tracking = new ClientTracking();
      this.clients++;
    }
    tracking.brokenRedirect = false;
    tracking.bcast = request.bcast;
    tracking.optin = request.optin;
    tracking.optout = request.optout;
    tracking.noloop = request.noloop;
    tracking.redirect = request.redirect;
    if (!request.bcast) return;
    for (const prefix of request.prefixes.length > 0 ? request.prefixes : ['']) {
      let broadcast = this.broadcasts.get(prefix);
      if (!broadcast) this.broadcasts.set(prefix, (broadcast = { clients: new Set(), changed: new Map() }));
      broadcast.clients.add(client);
      tracking.prefixes.add(prefix);
    }
  }

  /** CLIENT TRACKING OFF, RESET, disconnect. Ids left in the table are skipped when met, as in Redis. */
  disable(client: ClientState): void {
    const tracking = client.tracking;
    if (!tracking) return;
    for (const prefix of tracking.prefixes) {
      const broadcast = this.broadcasts.get(prefix);
      broadcast?.clients.delete(client);
      if (broadcast?.clients.size === 0) this.broadcasts.delete(prefix);
    }
    client.tracking = undefined;
    this.clients--;
  }

  /** After a read-only command of a tracking client: remember the keys it read. */
  remember(client: ClientState, keys: readonly string[]): void {
    const tracking = client.tracking;
    if (!tracking || tracking.bcast) return;
    if ((tracking.optin && !tracking.caching) || (tracking.optout && tracking.caching)) return;
    for (const key of keys) {
      let ids = this.table.get(key);
      if (!ids) this.table.set(key, (ids = new Set()));
      if (!ids.has(client.id)) {
        ids.add(client.id);
        this.totalItems++;
      }
    }
  }

  /** A key changed (write, expiry, eviction): invalidate it for whoever tracks it. */
  keyChanged(key: string): void {
    if (this.broadcasts.size > 0) this.collectForBroadcast(key);
    this.invalidate(key);
  }

  /** FLUSHDB / FLUSHALL: every tracking client drops its whole cache (a null invalidation). */
  flushed(clients: Iterable<ClientState>): void {
    if (this.clients > 0) {
      const current = this.host.currentClient();
      for (const client of clients) {
        if (!client.tracking) continue;
        if (client === current) this.pending.push(null);
        else this.send(client, null);
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /** After the running client's reply went out: its own invalidations follow it. */
  afterReply(client: ClientState): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const key of pending) this.send(client, key === null ? null : [key]);
  }

  /** tracking-table-max-keys: invalidates keys, oldest first, with more effort each round it stays over. */
  enforceLimit(): void {
    const max = this.host.maxKeys();
    if (max === 0 || this.table.size <= max) {
      this.overLimitRounds = 0;
      return;
    }
    let effort = 100 * (this.overLimitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidate(key);
      if (this.table.size <= max) {
        this.overLimitRounds = 0;
        return;
      }
    }
    this.overLimitRounds++;
  }

  private invalidate(key: string): void {
    const ids = this.table.get(key);
    if (!ids) return;
    const current = this.host.currentClient();
    for (const id of ids) {
      const target = this.host.clientById(id);
      // A client that switched to BCAST (or off) since reading the key gets nothing for it.
      if (!target?.tracking || target.tracking.bcast) continue;
      if (target === current) {
        if (!target.tracking.noloop) this.pending.push(key);
      } else {
        this.send(target, [key]);
      }
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  private collectForBroadcast(key: string): void {
    const modifier = this.host.currentClient();
    for (const [prefix, broadcast] of this.broadcasts) {
      if (key.startsWith(prefix)) broadcast.changed.set(key, modifier);
    }
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      // Once per event-loop turn, like Redis's before-sleep broadcast.
      setImmediate(() => this.broadcast());
    }
  }

  private broadcast(): void {
    this.broadcastScheduled = false;
    for (const broadcast of this.broadcasts.values()) {
      if (broadcast.changed.size === 0) continue;
      // Redis lists them in byte order (a radix tree walk).
      const keys = [...broadcast.changed.keys()].sort();
      for (const client of broadcast.clients) {
        const own = client.tracking?.noloop ? keys.filter((k) => broadcast.changed.get(k) !== client) : keys;
        if (own.length > 0) this.send(client, own);
      }
      broadcast.changed.clear();
    }
  }

  /** One invalidation (keys, or null for everything) to a client or where it redirects to. */
  private send(target: ClientState, keys: string[] | null): void {
    const tracking = target.tracking!;
    let receiver = target;
    if (tracking.redirect !== 0) {
      const redirected = this.host.clientById(tracking.redirect);
      if (!redirected) {
        tracking.brokenRedirect = true;
        if (target.resp === 3) this.host.deliver(target, new PushReply(['tracking-redir-broken', tracking.redirect]));
        return;
      }
      receiver = redirected;
    }
    if (receiver.resp === 3) this.host.deliver(receiver, new PushReply(['invalidate', keys]));
    // RESP2 has no pushes: only a redirect target that is subscribed can be told, as a message.
    else if (receiver !== target && isSubscribed(receiver)) this.host.deliver(receiver, new PushReply(['message', CHANNEL, keys]));
  }
}

/** Redis's overlap rule for BCAST prefixes: no two of a client's prefixes may be prefixes of each other. */
function prefixCollision(existing: ReadonlySet<string>, requested: readonly string[]): string | undefined {
  const overlaps = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < requested.length; i++) {
    for (const prefix of existing) {
      if (overlaps(prefix, requested[i])) {
        return `Prefix '${requested[i]}' overlaps with an existing prefix '${prefix}'. Prefixes for a single client must not overlap.`;
      }
    }
    for (let j = i + 1; j < requested.length; j++) {
      if (overlaps(requested[i], requested[j])) {
        return `Prefix '${requested[i]}' overlaps with another provided prefix '${requested[j]}'. Prefixes for a single client must not overlap.`;
      }
    }
  }
  return undefined;
}
