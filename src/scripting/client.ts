/**
 * The client a script's redis.call runs commands as (Redis's "lua client"):
 * it starts in the caller's database, speaks the RESP version the script
 * chose with redis.setresp, never blocks and never queues.
 */
import type { ClientState, CommandContext, Subscriptions } from '../commands/types.js';
import type { User } from '../acl/user.js';
import type { Server } from '../server/server.js';
import type { Database } from '../store/database.js';
import type { ClientTracking } from '../server/tracking.js';

/** REPL_ALL: what a script's commands change goes to the append-only file and to the replicas. */
export const PROPAGATE_ALL = 3;

export class ScriptClient implements ClientState, CommandContext {
  readonly client: ClientState = this;
  readonly id = 0;
  readonly isScript = true;
  /** What MONITOR and SLOWLOG show as the peer of a script's commands. */
  readonly address = 'lua';
  name = '';
  libName = '';
  libVer = '';
  resp: 2 | 3 = 2;
  /** redis.set_repl's flags for the script running (REPL_ALL unless it says otherwise). */
  propagateTo = PROPAGATE_ALL;
  authenticated = true;
  /** Never refused by dispatch: a script's commands are checked against its caller's user before they are dispatched. */
  readonly user: User;
  replyMode: 'on' | 'off' | 'skip' = 'on';
  skippingReply = false;
  tracking: ClientTracking | undefined = undefined;
  lastCommand = 'NULL';
  multi: string[][] | undefined = undefined;
  multiFailed = false;
  /** The script itself is the transaction: dispatch's maxmemory and pause gates were passed by EVAL. */
  executingTransaction = true;
  watchedKeyChanged = false;
  noEvict = false;
  noTouch = false;
  readonly subscriptions: Subscriptions = { channels: new Set(), patterns: new Set(), shardChannels: new Set() };

  constructor(
    public db: Database,
    readonly server: Server,
  ) {
    this.user = server.acl.superuser;
  }

  get inTransaction(): boolean {
    return true;
  }

  closeAfterReply(): void {}

  describe(): string {
    return `id=0 addr=lua laddr= fd=-1 name= flags=N db=${this.db.id} cmd=${this.lastCommand}`;
  }

  startMonitoring(): void {}
}
