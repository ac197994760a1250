/**
 * The ACL: the users, the permission check the dispatcher calls before a
 * command runs, the ACL log, and loading and saving ACL files. It knows the
 * command table only through AclCommandTable and nothing of the server.
 */
import fs from 'node:fs';
import { strerror, trimChars } from '../config/config.js';
import {
  channelAllowed, keyAccess, mergeSelectorArguments, RuleFailure, RULE_ERRORS, hasSpaces, User, type AclCommand, type AclSettings, type KeyRange, type Selector,
} from './user.js';

/** Why a command was refused (Redis's ACL_DENIED_*; the order decides which of several selectors' refusals is reported). */
export type Denial = 'command' | 'key' | 'channel';
const DENIAL_RANK: Readonly<Record<Denial, number>> = { command: 1, key: 2, channel: 4 };

/** A refusal: the reason and the argument (key or channel) that caused it. */
export interface AclRefusal {
  readonly reason: Denial;
  /** The key or channel refused; the command's full name for a refused command. */
  readonly object: string;
}

/** Where the refused command came from, as ACL LOG shows it. */
export type LogContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  readonly reason: Denial | 'auth';
  readonly context: LogContext;
  readonly object: string;
  readonly username: string;
  /** ms since the epoch of the last occurrence. */
  time: number;
  clientInfo: string;
}

/** Similar entries within this many ms are counted in one entry. */
const LOG_GROUPING_MS = 60000;
/** How many recent entries are looked at for one to count a new event in. */
const LOG_GROUPING_SCAN = 10;

export interface AclHost extends Omit<AclSettings, 'table'> {
  /** acllog-max-len. */
  logMaxLength(): number;
}

/** The ACL file: where it is, and its name as configured, which error messages show. */
export interface AclFile {
  readonly path: string;
  readonly name: string;
}

/** What loading a set of users replaced, so that the caller can disconnect the clients of users that are gone. */
export interface Replaced {
  readonly removed: readonly User[];
}

export class Acl {
  private users = new Map<string, User>();
  /** The user every connection starts as; kept as the same object across ACL LOAD. */
  readonly defaultUser: User;
  /** Allowed everything and never listed: the user of the server's internal clients (AOF replay, the scripts' client). */
  readonly superuser: User;
  /** Newest first. */
  readonly log: AclLogEntry[] = [];
  private readonly settings: AclSettings;

  constructor(
    readonly table: AclSettings['table'],
    private readonly host: AclHost,
  ) {
    this.settings = {
      table,
      pubsubAllChannels: () => host.pubsubAllChannels(),
      warn: (message) => host.warn(message),
    };
    this.defaultUser = this.createDefaultUser();
    this.superuser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
  }

  private createDefaultUser(): User {
    const user = new User('default', this.settings);
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) user.apply(rule);
    return user;
  }

  /** Users sorted by name, as Redis's radix tree lists them. */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /** Authentication: clients must AUTH unless the default user is enabled and needs no password. */
  get authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  /** The user these credentials open, or undefined. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name);
    return user?.accepts(password) ? user : undefined;
  }

  /** requirepass: the default user's only password, or nopass when empty. */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply('resetpass');
    this.defaultUser.apply(password === '' ? 'nopass' : '>' + password);
  }

  /**
   * ACL SETUSER: applies every rule to a copy and only then to the user
   * (created if new), so a bad rule changes nothing. Returns Redis's error
   * text, or the user and its state before the change.
   */
  setUser(name: string, rules: readonly string[]): string | { user: User; before: User | undefined } {
    const merged = mergeSelectorArguments(rules);
    if (!Array.isArray(merged)) return `Unmatched parenthesis in acl selector starting at '${rules[merged.unclosed]}'.`;
    const existing = this.users.get(name);
    const staged = existing ? existing.copy() : new User(name, this.settings);
    for (const rule of merged) {
      try {
        staged.apply(rule);
      } catch (error) {
        if (!(error instanceof RuleFailure)) throw error;
        return `Error in ACL SETUSER modifier '${rule}': ${error.message}`;
      }
    }
    const before = existing?.copy();
    const user = existing ?? new User(name, this.settings);
    user.copyFrom(staged);
    this.users.set(name, user);
    return { user, before };
  }

  deleteUser(name: string): User | undefined {
    const user = this.users.get(name);
    if (user !== undefined) this.users.delete(name);
    return user;
  }

  /**
   * Whether `user` may run this command line; undefined when allowed. Each
   * selector is tried in turn; when none allows it, the refusal reported
   * is the most specific one (channel over key over command), and among
   * those the one furthest in the arguments, as Redis picks.
   */
  check(user: User, cmd: AclCommand, args: readonly string[]): AclRefusal | undefined {
    if (user.selectors.length === 1) return checkSelector(user.root, cmd, args, undefined);
    let worst: SelectorRefusal | undefined;
    const keys = new KeysOnce(cmd, args);
    for (const selector of user.selectors) {
      const refusal = checkSelector(selector, cmd, args, keys);
      if (refusal === undefined) return undefined;
      const rank = DENIAL_RANK[refusal.reason];
      const worstRank = worst === undefined ? 0 : DENIAL_RANK[worst.reason];
      if (rank > worstRank || (rank === worstRank && refusal.position > worst!.position)) worst = refusal;
    }
    return worst;
  }

  /**
   * Whether a selector of `user` allows this command line and grants
   * `access` (READ/WRITE) on every key: SORT's BY and GET patterns may name
   * any key (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess).
   */
  allowsOnAllKeys(user: User, cmd: AclCommand, args: readonly string[], access: number): boolean {
    const keys = new KeysOnce(cmd, args);
    return user.selectors.some((s) => s.allowsAnyKey(access) && checkSelector(s, cmd, args, keys) === undefined);
  }

  /** Adds a refusal or failed AUTH to the ACL log, counting it in a recent similar entry when there is one. */
  addLogEntry(entry: Omit<AclLogEntry, 'count' | 'time'>): void {
    const now = Date.now();
    const scan = Math.min(this.log.length, LOG_GROUPING_SCAN);
    for (let i = 0; i < scan; i++) {
      const e = this.log[i];
      if (
        e.reason === entry.reason && e.context === entry.context && Math.abs(e.time - now) <= LOG_GROUPING_MS &&
        e.object === entry.object && e.username === entry.username
      ) {
        e.count++;
        e.time = now;
        e.clientInfo = entry.clientInfo;
        this.log.splice(i, 1);
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ ...entry, count: 1, time: now });
    const max = this.host.logMaxLength();
    if (this.log.length > max) this.log.length = max;
  }

  /**
   * Checks the `user` lines of the config file as Redis does while reading
   * it: only syntax counts, unknown commands are reported when loading.
   * Returns Redis's reason for the first bad line, with its index.
   */
  validateConfigUsers(lines: readonly (readonly string[])[]): { index: number; reason: string } | undefined {
    const seen = new Set<string>();
    for (let index = 0; index < lines.length; index++) {
      const [name, ...rules] = lines[index];
      // Redis names the offending rule by its index among the merged rules, but reads it from the whole line.
      const line = ['user', ...lines[index]];
      if (seen.has(name)) return { index, reason: `Error in user declaration '${line[1]}': ${RULE_ERRORS.duplicateUser}` };
      seen.add(name);
      const merged = mergeSelectorArguments(rules);
      if (!Array.isArray(merged)) return { index, reason: `Error in user declaration '${line[merged.unclosed]}': Wrong format` };
      const scratch = new User(name, this.settings);
      for (let j = 0; j < merged.length; j++) {
        try {
          scratch.apply(merged[j]);
        } catch (error) {
          if (!(error instanceof RuleFailure)) throw error;
          if (error.kind !== 'unknown') return { index, reason: `Error in user declaration '${line[j]}': ${error.message}` };
        }
      }
    }
    return undefined;
  }

  /** Loads the config file's `user` lines at startup; Redis's log line for the first that fails. */
  loadConfigUsers(lines: readonly (readonly string[])[]): string | undefined {
    for (const [name, ...rules] of lines) {
      if (hasSpaces(name)) return 'Spaces not allowed in ACL usernames';
      let user = this.users.get(name);
      if (user === undefined) {
        user = new User(name, this.settings);
        this.users.set(name, user);
      } else {
        user.apply('reset');
      }
      const merged = mergeSelectorArguments(rules) as string[];
      for (const rule of merged) {
        try {
          user.apply(rule);
        } catch (error) {
          if (!(error instanceof RuleFailure)) throw error;
          return `Error loading ACL rule '${rule}' for the user named '${name}': ${error.message}`;
        }
      }
      if (!user.enabled) {
        this.host.warn(
          `The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`,
        );
      }
    }
    return undefined;
  }

  /**
   * Loads an ACL file (ACL LOAD, and aclfile at startup). Every line is
   * checked into a new set of users; with any error nothing changes and
   * Redis's error text is returned. Otherwise the new users replace the
   * old ones; the default user keeps its identity and takes the new rules.
   */
  loadFile(file: AclFile): string | Replaced {
    const filename = file.name;
    let text: string;
    try {
      text = fs.readFileSync(Buffer.from(file.path, 'latin1'), 'latin1');
    } catch (error) {
      return `Error loading ACLs, opening file '${filename}': ${strerror(error)}`;
    }
    const users = new Map<string, User>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const linenum = i + 1;
      const line = trimChars(lines[i], ' \t\r\n');
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1];
      if (hasSpaces(name)) {
        errors += `'${filename}:${linenum}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (users.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
        continue;
      }
      const user = new User(name, this.settings);
      users.set(name, user);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const rule = trimChars(raw, '\t\r\n');
        try {
          user.apply(rule);
        } catch (error) {
          if (!(error instanceof RuleFailure)) throw error;
          // Unknown commands are safe to name; other errors may quote a password, so only the first is told, without the rule.
          if (error.kind === 'unknown') {
            errors += `${filename}:${linenum}: Error in applying operation '${rule}': ${error.message}. `;
          } else if (!syntaxError) {
            errors += `${filename}:${linenum}: ${error.message}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== '') return errors + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed';
    const newDefault = users.get('default') ?? this.createDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    users.set('default', this.defaultUser);
    const removed = [...this.users.values()].filter((u) => u !== this.defaultUser);
    this.users = users;
    return { removed };
  }

  /** Every user as a `user` line, as ACL SAVE and CONFIG REWRITE write them. */
  userLines(): string[] {
    return this.sortedUsers().map((user) => `user ${user.name} ${user.describe()}`);
  }

  /** ACL SAVE: every user as a `user` line, written to a temporary file renamed over the target. */
  saveFile(file: AclFile): void {
    let text = '';
    for (const line of this.userLines()) text += `${line}\n`;
    const tmp = `${file.path}.tmp-${process.pid}-${Date.now()}`;
    try {
      fs.writeFileSync(Buffer.from(tmp, 'latin1'), text, { encoding: 'latin1', mode: 0o644 });
      fs.renameSync(Buffer.from(tmp, 'latin1'), Buffer.from(file.path, 'latin1'));
    } catch (error) {
      fs.rmSync(Buffer.from(tmp, 'latin1'), { force: true });
      throw error;
    }
  }
}

interface SelectorRefusal extends AclRefusal {
  /** Argument index (keys: their order among the keys), to pick which refusal to report. */
  readonly position: number;
}

/** The keys of a command line, found once for all the selectors that need them. */
class KeysOnce {
  private found: ReturnType<AclCommand['keys']> | undefined;

  constructor(
    private readonly cmd: AclCommand,
    private readonly args: readonly string[],
  ) {}

  get keys(): ReturnType<AclCommand['keys']> {
    return (this.found ??= this.cmd.keys(this.args));
  }
}

/** One selector's verdict on a command line (Redis's ACLSelectorCheckCmd). */
/** `found` shares the keys between selectors; without it they are found here. */
function checkSelector(selector: Selector, cmd: AclCommand, args: readonly string[], found: KeysOnce | undefined): SelectorRefusal | undefined {
  if (!selector.allowsCommand(cmd, args)) return { reason: 'command', object: cmd.fullName, position: 0 };
  if (!selector.allKeys && cmd.hasKeys) {
    const refusal = cmd.keyRanges !== undefined ? refusedInRanges(selector, cmd.keyRanges, args) : refusedKey(selector, found ? found.keys : cmd.keys(args));
    if (refusal !== undefined) return refusal;
  }
  const channels = cmd.channels;
  if (channels !== undefined && !selector.allChannels) {
    const last = channels.last < 0 ? args.length - 1 : channels.last;
    for (let i = channels.first; i <= last; i++) {
      if (!selector.allowsChannel(args[i], channels.pattern)) return { reason: 'channel', object: args[i], position: i };
    }
  }
  return undefined;
}

function refusedKey(selector: Selector, keys: ReturnType<AclCommand['keys']>): SelectorRefusal | undefined {
  for (let i = 0; i < keys.length; i++) {
    const ref = keys[i];
    if (!selector.allowsKey(ref.key, keyAccess(ref.flags))) return { reason: 'key', object: ref.key, position: i };
  }
  return undefined;
}

/** The first key of the ranges the selector refuses; a range outside the arguments means no keys at all, as commandKeys has it. */
function refusedInRanges(selector: Selector, ranges: readonly KeyRange[], args: readonly string[]): SelectorRefusal | undefined {
  const argc = args.length;
  for (const r of ranges) {
    const last = r.last < 0 ? argc + r.last : r.last;
    if (last >= argc || last < r.first || r.first >= argc) return undefined;
  }
  for (const r of ranges) {
    const last = r.last < 0 ? argc + r.last : r.last;
    const access = r.accessOf ? r.accessOf(args) : r.access;
    for (let i = r.first; i <= last; i += r.step) {
      if (!selector.allowsKey(args[i], access)) return { reason: 'key', object: args[i], position: i };
    }
  }
  return undefined;
}

/** Whether any of the channels (or, with `patterns`, PSUBSCRIBE patterns, compared literally) is outside `allowed`. */
export function channelsRevoked(allowed: readonly string[], channels: Iterable<string>, patterns: boolean): boolean {
  for (const channel of channels) if (!channelAllowed(allowed, channel, patterns)) return true;
  return false;
}

/**
 * After a user's change, the channel patterns its pub/sub clients must stay
 * within, or undefined when every subscription stays allowed without a look
 * (some selector allows all channels, or the new patterns include the old
 * ones): Redis's ACLKillPubsubClientsIfNeeded.
 */
export function narrowedChannels(after: User, before: User): string[] | undefined {
  if (after.selectors.some((s) => s.allChannels)) return undefined;
  const upcoming = after.selectors.flatMap((s) => s.channels);
  const kept = before.selectors.every((s) => !s.allChannels && s.channels.every((c) => upcoming.includes(c)));
  return kept ? undefined : upcoming;
}
