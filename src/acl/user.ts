/**
 * ACL users and their selectors, and the rules that change them (the
 * modifiers of ACL SETUSER, `user` lines and ACL files), as Redis 7.0 has
 * them. A selector is one set of permissions (commands, key patterns,
 * channel patterns); a user has its root selector plus any `(...)` ones, and
 * may run a command when one of them allows all of it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { globMatch } from '../util/glob.js';
import { splitArgs } from '../util/splitargs.js';
import { CATEGORY_NAMES, categoryBit } from './categories.js';

/** What the ACL knows of one command or subcommand of the command table. */
export interface AclCommand {
  /** Dense index into a selector's permission array. */
  readonly id: number;
  /** `get`, or `config|get` for a subcommand. */
  readonly fullName: string;
  /** Category bits (see categories.ts). */
  readonly categories: number;
  /** Commands anyone may run (AUTH, HELLO...): never refused by the ACL. */
  readonly noAuth: boolean;
  readonly parent: AclCommand | undefined;
  readonly subcommands: readonly AclCommand[];
  /** Whether the command may name keys at all (Redis's doesCommandHaveKeys). */
  readonly hasKeys: boolean;
  /** The keys of a full command line with their key-spec flags (`access`, `insert`, `update`, `delete` matter here). */
  keys(args: readonly string[]): readonly { readonly key: string; readonly flags: readonly string[] }[];
  /** The same keys as plain argument ranges with the access they need, for most commands: checked without building a list. */
  readonly keyRanges: readonly KeyRange[] | undefined;
  /** Channel arguments a publish or subscribe names, checked against the channel patterns. */
  readonly channels: ChannelArgs | undefined;
}

/** Keys at arguments `first` to `last` (negative: from the end), every `step`, needing `access` (READ/WRITE bits), or what `accessOf` reads from the arguments. */
export interface KeyRange {
  readonly first: number;
  readonly last: number;
  readonly step: number;
  readonly access: number;
  readonly accessOf?: (args: readonly string[]) => number;
}

/** Where a pub/sub command's channels are: from `first` to `last` (-1: to the end); `pattern` for PSUBSCRIBE. */
export interface ChannelArgs {
  readonly first: number;
  readonly last: number;
  readonly pattern: boolean;
}

/** The command table as the ACL sees it. */
export interface AclCommandTable {
  /** Top-level commands, in table order; subcommands hang off their containers. */
  readonly commands: readonly AclCommand[];
  /** Every command and subcommand, indexed by id. */
  readonly all: readonly AclCommand[];
  /** `get` or `config|get`, in any case; the original names, whatever rename-command did. */
  lookup(name: string): AclCommand | undefined;
}

/** What a selector needs from the server's settings. */
export interface AclSettings {
  readonly table: AclCommandTable;
  /** acl-pubsub-default is allchannels: new selectors may use every channel. */
  pubsubAllChannels(): boolean;
  /** Redis warns when +cmd|arg allows a first argument of a command without subcommands. */
  warn(message: string): void;
}

export const READ = 1;
export const WRITE = 2;
const ALL_ACCESS = READ | WRITE;

/** One key pattern with the access it grants; `matches` is precompiled for the common `prefix*` form. */
interface KeyPattern {
  readonly pattern: string;
  access: number;
  readonly matches: (key: string) => boolean;
}

/** Why a rule was refused; the texts are Redis's. */
export const RULE_ERRORS = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  keysAfterAll:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  channelsAfterAll:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  noSuchPassword: 'The password you are trying to remove from the user does not exist',
  badHash: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  duplicateUser: 'Duplicate user found. A user can only be defined once in config files',
  subcommandFirstArg: 'Allowing first-arg of a subcommand is not supported',
} as const;

export type RuleError = keyof typeof RULE_ERRORS;

/** Thrown by a rule that does not apply; `kind` picks Redis's message. */
export class RuleFailure extends Error {
  constructor(readonly kind: RuleError) {
    super(RULE_ERRORS[kind]);
  }
}

/** Redis's ACLStringHasSpaces: names, patterns and usernames may hold no whitespace and no NUL. */
export function hasSpaces(s: string): boolean {
  return /[\t\n\v\f\r \0]/.test(s);
}

export function hashPassword(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

function checkHash(hash: string): void {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new RuleFailure('badHash');
}

function keyPattern(pattern: string, access: number): KeyPattern {
  const star = pattern.indexOf('*');
  // `prefix*` without other glob characters is a plain prefix test; `*` alone still needs a non-empty key, as in Redis.
  if (star === pattern.length - 1 && !/[?[\\]/.test(pattern)) {
    const prefix = pattern.slice(0, -1);
    return { pattern, access, matches: prefix === '' ? (key) => key.length > 0 : (key) => key.startsWith(prefix) };
  }
  return { pattern, access, matches: (key) => globMatch(pattern, key) };
}

/** What a key's key-spec flags need from a pattern: read for `access`, write for `insert`, `update`, `delete`. */
export function keyAccess(flags: readonly string[]): number {
  let access = 0;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (flag === 'access') access |= READ;
    else if (flag === 'insert' || flag === 'update' || flag === 'delete') access |= WRITE;
  }
  return access;
}

export class Selector {
  /** One entry per command id: 1 when allowed. */
  allowed: Uint8Array;
  /** Set by +@all and allcommands, cleared by any command taken away: the bitmap need not be read. */
  allCommands = false;
  /** Redis's reserved command bit: the rules started from +@all, so commands added later are allowed too. */
  futureCommands = false;
  allKeys = false;
  allChannels: boolean;
  /** First arguments allowed for commands otherwise refused (+select|0), by command id. */
  firstArgs = new Map<number, string[]>();
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    readonly settings: AclSettings,
    readonly root: boolean,
  ) {
    this.allowed = new Uint8Array(settings.table.all.length);
    this.allChannels = settings.pubsubAllChannels();
  }

  copy(): Selector {
    const copy = new Selector(this.settings, this.root);
    copy.allowed.set(this.allowed);
    copy.allCommands = this.allCommands;
    copy.futureCommands = this.futureCommands;
    copy.allKeys = this.allKeys;
    copy.allChannels = this.allChannels;
    for (const [id, args] of this.firstArgs) copy.firstArgs.set(id, args.slice());
    copy.patterns = this.patterns.map((p) => keyPattern(p.pattern, p.access));
    copy.channels = this.channels.slice();
    return copy;
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Allows or refuses a command, and a container's subcommands with it (Redis's ACLChangeSelectorPerm). */
  changeCommand(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs.delete(cmd.id);
    for (const sub of cmd.subcommands) this.setBit(sub.id, allow);
  }

  /** Every command of a category, walking containers and then their subcommands, as Redis does. */
  changeCategory(bit: number, allow: boolean, commands: readonly AclCommand[] = this.settings.table.commands): void {
    for (const cmd of commands) {
      if (cmd.categories & bit) this.changeCommand(cmd, allow);
      if (cmd.subcommands.length > 0) this.changeCategory(bit, allow, cmd.subcommands);
    }
  }

  private setAll(allow: boolean): void {
    this.allowed.fill(allow ? 1 : 0);
    this.allCommands = allow;
    this.futureCommands = allow;
    this.firstArgs.clear();
  }

  /** One selector rule (Redis's ACLSetSelector); throws RuleFailure. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(true);
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(false);
    } else if (op[0] === '~' || op[0] === '%') {
      this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) throw new RuleFailure('channelsAfterAll');
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new RuleFailure('syntax');
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      this.allowCommand(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = this.settings.table.lookup(op.slice(1));
      if (cmd === undefined) throw new RuleFailure('unknown');
      this.changeCommand(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) throw new RuleFailure('unknown');
      this.changeCategory(bit, op[0] === '+');
    } else {
      throw new RuleFailure('syntax');
    }
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new RuleFailure('keysAfterAll');
    let access = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const c = op[offset].toUpperCase();
        if (c === 'R' && !(access & READ)) access |= READ;
        else if (c === 'W' && !(access & WRITE)) access |= WRITE;
        else if (op[offset] === '~') {
          offset++;
          break;
        } else throw new RuleFailure('syntax');
      }
    } else {
      access = ALL_ACCESS;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw new RuleFailure('syntax');
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing) existing.access |= access;
    else this.patterns.push(keyPattern(pattern, access));
    this.allKeys = false;
  }

  private allowCommand(name: string): void {
    const table = this.settings.table;
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const cmd = table.lookup(name);
      if (cmd === undefined) throw new RuleFailure('unknown');
      this.changeCommand(cmd, true);
      return;
    }
    const cmd = table.lookup(name.slice(0, bar));
    if (cmd === undefined) throw new RuleFailure('unknown');
    if (cmd.parent !== undefined) throw new RuleFailure('subcommandFirstArg');
    const first = name.slice(bar + 1);
    if (first === '') throw new RuleFailure('syntax');
    if (cmd.subcommands.length > 0) {
      const sub = table.lookup(name);
      if (sub === undefined) throw new RuleFailure('unknown');
      this.changeCommand(sub, true);
      return;
    }
    this.settings.warn(
      `Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +${name})`,
    );
    const allowed = this.firstArgs.get(cmd.id);
    if (allowed === undefined) this.firstArgs.set(cmd.id, [first]);
    else if (!allowed.some((a) => a.toLowerCase() === first.toLowerCase())) allowed.push(first);
  }

  /** Whether this selector lets the command itself run (not yet its keys or channels). */
  allowsCommand(cmd: AclCommand, args: readonly string[]): boolean {
    if (this.allCommands || cmd.noAuth || this.allowed[cmd.id] === 1) return true;
    const firstArgs = this.firstArgs.get(cmd.id);
    if (firstArgs === undefined || args.length < 2) return false;
    const arg = args[cmd.parent ? 2 : 1]?.toLowerCase();
    return firstArgs.some((a) => a.toLowerCase() === arg);
  }

  allowsKey(key: string, access: number): boolean {
    if (this.allKeys) return true;
    for (const p of this.patterns) if ((p.access & access) === access && p.matches(key)) return true;
    return false;
  }

  /** A channel (or, for PSUBSCRIBE, a pattern taken literally) against the channel patterns. */
  allowsChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    return channelAllowed(this.channels, channel, isPattern);
  }

  /** Whether some pattern granting at least `access` is `*`, or all keys are allowed. */
  allowsAnyKey(access: number): boolean {
    return this.allKeys || this.patterns.some((p) => (p.access & access) === access && p.pattern === '*');
  }

  /** Key patterns as rules: `~p`, `%R~p`, `%W~p`. */
  keyRules(): string[] {
    return this.patterns.map((p) => (p.access === ALL_ACCESS ? '~' : p.access === READ ? '%R~' : '%W~') + p.pattern);
  }

  /** The command rules that rebuild this selector's permissions (Redis's ACLDescribeSelectorCommandRules). */
  commandRules(): string {
    const table = this.settings.table;
    const rules: string[] = [];
    // Rules are applied to a scratch selector as they are chosen, so the differences left stay known.
    const fake = new Selector(this.settings, false);
    const additive = !this.futureCommands;
    rules.push(additive ? '-@all' : '+@all');
    fake.setAll(!additive);
    // The user's bits minus the categories chosen so far.
    const rest = new Selector(this.settings, false);
    rest.allowed.set(this.allowed);
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      CATEGORY_NAMES.forEach((name, j) => {
        if (applied.has(j)) return;
        const bit = categoryBit(name);
        let on = 0;
        let off = 0;
        for (const cmd of table.all) {
          if (!(cmd.categories & bit)) continue;
          if (rest.allowed[cmd.id] === 1) on++;
          else off++;
        }
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      });
      if (best < 0) break;
      const bit = categoryBit(CATEGORY_NAMES[best]);
      fake.changeCategory(bit, additive);
      rest.changeCategory(bit, !additive);
      rules.push(`${additive ? '+' : '-'}@${CATEGORY_NAMES[best]}`);
      applied.add(best);
    }
    const singles = (commands: readonly AclCommand[]): void => {
      for (const cmd of commands) {
        const mine = this.allowed[cmd.id] === 1;
        if (mine !== (fake.allowed[cmd.id] === 1)) {
          rules.push(`${mine ? '+' : '-'}${cmd.fullName}`);
          fake.changeCommand(cmd, mine);
        }
        singles(cmd.subcommands);
        const firstArgs = this.firstArgs.get(cmd.id);
        if (!mine && firstArgs) for (const arg of firstArgs) rules.push(`+${cmd.fullName}|${arg}`);
      }
    };
    singles(table.commands);
    return rules.join(' ');
  }

  /** Keys, channels and commands as rules (Redis's ACLDescribeSelector). */
  describe(): string {
    const parts: string[] = [];
    if (this.allKeys) parts.push('~*');
    else parts.push(...this.keyRules());
    if (this.allChannels) parts.push('&*');
    else parts.push('resetchannels', ...this.channels.map((c) => '&' + c));
    parts.push(this.commandRules());
    return parts.join(' ');
  }
}

/** Channels are glob-matched; a PSUBSCRIBE pattern must equal an allowed pattern exactly. */
export function channelAllowed(patterns: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const pattern of patterns) {
    if (isPattern ? pattern === channel : globMatch(pattern, channel)) return true;
  }
  return false;
}

/** User flags in the order ACL LIST and GETUSER print them. */
const USER_FLAGS = ['on', 'off', 'nopass', 'skip-sanitize-payload', 'sanitize-payload'] as const;
type UserFlag = (typeof USER_FLAGS)[number];

export class User {
  private readonly flags = new Set<UserFlag>(['off']);
  /** SHA-256 hex digests. */
  passwords: string[] = [];
  /** The root selector first, then the `(...)` ones. */
  selectors: Selector[];
  /**
   * Nothing to check: the root selector allows every command, key and
   * channel. The dispatcher reads only this for the default user.
   */
  unrestricted = false;
  /** ACL LIST's line, kept until the next change. */
  private description: string | undefined;

  constructor(
    readonly name: string,
    private readonly settings: AclSettings,
  ) {
    this.selectors = [new Selector(settings, true)];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return this.flags.has('on');
  }

  get nopass(): boolean {
    return this.flags.has('nopass');
  }

  /** RESTORE from this user skips deep sanitization under sanitize-dump-payload clients. */
  get skipsSanitizePayload(): boolean {
    return this.flags.has('skip-sanitize-payload');
  }

  /** Flag names, in Redis's order. */
  flagNames(): string[] {
    return USER_FLAGS.filter((f) => this.flags.has(f));
  }

  /** A detached copy to stage changes on (Redis's ACLCopyUser into a fake user). */
  copy(): User {
    const copy = new User(this.name, this.settings);
    copy.copyFrom(this);
    return copy;
  }

  /** Takes over another user's rules, keeping this user's name and identity (clients refer to it). */
  copyFrom(other: User): void {
    this.flags.clear();
    for (const f of other.flags) this.flags.add(f);
    this.passwords = other.passwords.slice();
    this.selectors = other.selectors.map((s) => s.copy());
    this.changed();
  }

  private changed(): void {
    this.description = undefined;
    const root = this.root;
    this.unrestricted = root.allCommands && root.allKeys && root.allChannels;
  }

  private setFlag(on: UserFlag, off: UserFlag): void {
    this.flags.add(on);
    this.flags.delete(off);
  }

  /** One rule (Redis's ACLSetUser); throws RuleFailure and then leaves the user half-changed, so callers stage on a copy. */
  apply(op: string): void {
    try {
      this.applyRule(op);
    } finally {
      this.changed();
    }
  }

  private applyRule(op: string): void {
    if (op === '') return;
    const lower = op.toLowerCase();
    if (lower === 'on') this.setFlag('on', 'off');
    else if (lower === 'off') this.setFlag('off', 'on');
    else if (lower === 'skip-sanitize-payload') this.setFlag('skip-sanitize-payload', 'sanitize-payload');
    else if (lower === 'sanitize-payload') this.setFlag('sanitize-payload', 'skip-sanitize-payload');
    else if (lower === 'nopass') {
      this.flags.add('nopass');
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.flags.delete('nopass');
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      const hash = op[0] === '>' ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === '#') checkHash(hash);
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags.delete('nopass');
    } else if (op[0] === '<' || op[0] === '!') {
      const hash = op[0] === '<' ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === '!') checkHash(hash);
      const at = this.passwords.indexOf(hash);
      if (at < 0) throw new RuleFailure('noSuchPassword');
      this.passwords.splice(at, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const selector = new Selector(this.settings, false);
      // Unbalanced quotes leave no rules at all, hence an empty selector, as in Redis.
      for (const rule of splitArgs(op.slice(1, -1)) ?? []) selector.apply(rule);
      this.selectors.push(selector);
    } else if (lower === 'clearselectors') {
      this.selectors = [this.root];
    } else if (lower === 'reset') {
      for (const rule of ['resetpass', 'resetkeys', 'resetchannels']) this.applyRule(rule);
      if (this.settings.pubsubAllChannels()) this.applyRule('allchannels');
      for (const rule of ['off', 'sanitize-payload', 'clearselectors', '-@all']) this.applyRule(rule);
    } else {
      this.root.apply(op);
    }
  }

  /** Whether a password opens this user (enabled, and nopass or a matching hash). */
  accepts(password: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const hashed = Buffer.from(hashPassword(password), 'latin1');
    return this.passwords.some((p) => timingSafeEqual(hashed, Buffer.from(p, 'latin1')));
  }

  /** Flags, passwords and selectors as rules: ACL LIST's line after `user <name> `, and what ACL SAVE writes. */
  describe(): string {
    if (this.description !== undefined) return this.description;
    let text = '';
    for (const flag of this.flagNames()) text += flag + ' ';
    for (const hash of this.passwords) text += '#' + hash + ' ';
    for (const selector of this.selectors) text += selector.root ? selector.describe() : ` (${selector.describe()})`;
    this.description = text;
    return text;
  }
}

/**
 * Joins a selector written over several arguments, `(~key* +get)` as
 * `(~key*` and `+get)`, back into one (Redis's ACLMergeSelectorArguments);
 * returns the index of an unclosed `(` instead when there is one.
 */
export function mergeSelectorArguments(args: readonly string[]): string[] | { unclosed: number } {
  const merged: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open >= 0) {
      selector += ' ' + op;
      if (op[op.length - 1] === ')') {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  return open >= 0 ? { unclosed: open } : merged;
}
