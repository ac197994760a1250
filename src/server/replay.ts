/**
 * The client that replays an append-only file at start-up: commands run
 * through the same dispatch as a connection's, with nowhere to reply.
 */
import { REPLAY_CLIENT_ID, type ClientState, type CommandContext, type Subscriptions } from '../commands/types.js';
import type { Database } from '../store/database.js';
import type { ClientTracking } from './tracking.js';
import type { User } from '../acl/user.js';
import type { Server } from './server.js';

export class ReplayClient implements ClientState, CommandContext {
  readonly client: ClientState = this;
  readonly id = REPLAY_CLIENT_ID;
  readonly isScript = false;
  name = '';
  libName = '';
  libVer = '';
  resp: 2 | 3 = 2;
  authenticated = true;
  /** The file is replayed whatever the ACL says, as Redis's AOF client has no user. */
  readonly user: User;
  replyMode: 'on' | 'off' | 'skip' = 'on';
  skippingReply = false;
  tracking: ClientTracking | undefined = undefined;
  lastCommand = 'NULL';
  multi: string[][] | undefined = undefined;
  multiFailed = false;
  executingTransaction = false;
  watchedKeyChanged = false;
  noEvict = false;
  noTouch = true;
  readonly subscriptions: Subscriptions = { channels: new Set(), patterns: new Set(), shardChannels: new Set() };

  constructor(
    public db: Database,
    readonly server: Server,
  ) {
    this.user = server.acl.superuser;
  }

  get inTransaction(): boolean {
    // Blocking commands in the file were served when they ran: replayed, they must not wait.
    return true;
  }

  closeAfterReply(): void {}

  describe(): string {
    return 'id=0 addr= laddr= fd=-1 name= flags=N db=0 cmd=NULL (append only file replay)';
  }

  startMonitoring(): void {}
}
