/**
 * SORT and SORT_RO: sort the elements of a list, set or sorted set, by their
 * own value or by values looked up through patterns, and project them
 * through GET patterns.
 */
import { NOTIFY } from '../store/notify.js';
import { ReplyError, syntaxError, wrongType } from '../errors.js';
import type { Reply } from '../protocol/reply.js';
import { readable, type Database } from '../store/database.js';
import type { HashValue } from '../store/hash.js';
import { ListValue } from '../store/list.js';
import type { SetValue } from '../store/set.js';
import type { ZSetValue } from '../store/zset.js';
import { parseFloat64 } from '../util/numbers.js';
import { numberArg } from './strings.js';
import { defineCommand, type CommandContext, type CommandSpec } from './types.js';
import { ACL_TABLE } from './table.js';
import { READ } from '../acl/user.js';

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  /** Index of the first element to return and how many (-1: all). */
  offset: number;
  count: number;
  by?: string;
  /** BY without a `*`: keep the collection's own order. */
  dontSort: boolean;
  gets: string[];
  store?: string;
}

/**
 * BY and GET patterns name keys the ACL cannot see in the arguments: they
 * need read access to every key, as Redis requires.
 */
function readsAnyKey(ctx: CommandContext, args: string[], readonly: boolean): boolean {
  const user = ctx.client.user;
  return user.unrestricted || ctx.server.acl.allowsOnAllKeys(user, ACL_TABLE.lookup(readonly ? 'sort_ro' : 'sort')!, args, READ);
}

function parseOptions(ctx: CommandContext, args: string[], readonly: boolean): SortOptions {
  const anyKey = readsAnyKey(ctx, args, readonly);
  const o: SortOptions = { desc: false, alpha: false, offset: 0, count: -1, dontSort: false, gets: [] };
  for (let i = 2; i < args.length; i++) {
    const opt = args[i].toUpperCase();
    const left = args.length - i - 1;
    if (opt === 'ASC') o.desc = false;
    else if (opt === 'DESC') o.desc = true;
    else if (opt === 'ALPHA') o.alpha = true;
    else if (opt === 'LIMIT' && left >= 2) {
      o.offset = numberArg(args[i + 1]);
      o.count = numberArg(args[i + 2]);
      i += 2;
    } else if (opt === 'STORE' && left >= 1 && !readonly) o.store = args[++i];
    else if (opt === 'BY' && left >= 1) {
      o.by = args[++i];
      o.dontSort = !o.by.includes('*');
      if (!o.dontSort && !anyKey) throw new ReplyError('ERR BY option of SORT denied due to insufficient ACL permissions.');
    } else if (opt === 'GET' && left >= 1) {
      if (!anyKey) throw new ReplyError('ERR GET option of SORT denied due to insufficient ACL permissions.');
      o.gets.push(args[++i]);
    }
    else throw syntaxError();
  }
  return o;
}

/**
 * The value a BY or GET pattern names for `element`: `#` is the element
 * itself; the first `*` is replaced by it; `key->field` reads a hash field.
 * Undefined when the key is missing or of the wrong type.
 */
function lookupByPattern(db: Database, pattern: string, element: string): string | undefined {
  if (pattern === '#') return element;
  const star = pattern.indexOf('*');
  if (star < 0) return undefined;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const keyPattern = hasField ? pattern.slice(0, arrow) : pattern;
  const key = keyPattern.slice(0, star) + element + keyPattern.slice(star + 1);
  const value = readable(db.read(key));
  if (value === undefined) return undefined;
  if (hasField) return typeof value !== 'string' && value.type === 'hash' ? (value as HashValue).get(pattern.slice(arrow + 2)) : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Elements of the collection, in its own order from `start` on (`desc` walks from the end). */
function elementsInOrder(value: ListValue | SetValue | ZSetValue, start: number, count: number, desc: boolean): string[] {
  const size = value.type === 'set' ? value.size : value.type === 'list' ? value.length : value.size;
  const out: string[] = [];
  if (value.type === 'zset') {
    const cursor = value.at(desc ? size - 1 - start : start);
    for (; out.length < count && cursor.valid; desc ? cursor.prev() : cursor.next()) out.push(cursor.member);
    return out;
  }
  if (value.type === 'list') {
    for (let i = start; out.length < count && i < size; i++) out.push(value.at(desc ? size - 1 - i : i)!);
    return out;
  }
  return [...value.members()];
}

/** Strictly what strtod accepts, whole: leading spaces, then a number; an empty string is 0. */
function sortScore(text: string): number | null {
  const trimmed = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (trimmed === '') return 0;
  const score = parseFloat64(trimmed);
  return score === null || Number.isNaN(score) ? null : score;
}

const compareBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sort(ctx: CommandContext, args: string[], readonly: boolean): Reply {
  const o = parseOptions(ctx, args, readonly);
  const db = ctx.client.db;
  const source = db.read(args[1]);
  if (source !== undefined && (typeof source === 'string' || !['list', 'set', 'zset'].includes(source.type))) throw wrongType();
  readable(source);
  const value = (source ?? new ListValue()) as ListValue | SetValue | ZSetValue;
  // A set has no order of its own: stored or handed to a script unsorted, the result would
  // differ between replicas and the AOF, so Redis sorts it.
  if (o.dontSort && value.type === 'set' && (o.store !== undefined || ctx.client.isScript)) {
    o.dontSort = false;
    o.alpha = true;
    o.by = undefined;
  }
  const size = value.type === 'list' ? value.length : value.size;
  let start = Math.min(Math.max(o.offset, 0), size);
  const count = Math.min(Math.max(o.count, -1), size);
  let end = count < 0 ? size - 1 : start + count - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;

  let elements: string[];
  if (o.dontSort && value.type !== 'set') {
    elements = elementsInOrder(value, start, end - start + 1, o.desc);
    end -= start;
    start = 0;
  } else {
    elements = value.type === 'zset' ? [...value.entries()].map(([member]) => member) : elementsInOrder(value, 0, size, false);
  }

  if (!o.dontSort) {
    const keyed = elements.map((element) => {
      const byValue = o.by !== undefined ? lookupByPattern(db, o.by, element) : element;
      if (o.alpha) return { element, score: 0, cmp: byValue };
      const score = byValue === undefined ? 0 : sortScore(byValue);
      if (score === null) throw new ReplyError("ERR One or more scores can't be converted into double");
      return { element, score, cmp: undefined };
    });
    const direction = o.desc ? -1 : 1;
    keyed.sort((a, b) => {
      let cmp: number;
      if (!o.alpha) cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
      else if (o.by === undefined) cmp = compareBytes(a.element, b.element);
      else if (a.cmp === undefined || b.cmp === undefined) cmp = a.cmp === b.cmp ? 0 : a.cmp === undefined ? -1 : 1;
      else cmp = compareBytes(a.cmp, b.cmp);
      return cmp * direction;
    });
    elements = keyed.map((k) => k.element);
  }

  const picked = end >= start ? elements.slice(start, end + 1) : [];
  const output: (string | null)[] = [];
  for (const element of picked) {
    if (o.gets.length === 0) output.push(element);
    for (const pattern of o.gets) output.push(lookupByPattern(db, pattern, element) ?? (o.store !== undefined ? '' : null));
  }
  if (o.store === undefined) return output;
  db.storeResult(o.store, output.length > 0 ? new ListValue(output as string[]) : undefined, NOTIFY.LIST, 'sortstore');
  return output.length;
}

/** The sorted key, and the STORE destination (the last one given wins, as when running). */
function sortKeys(args: readonly string[]): string[] {
  let store: string | undefined;
  for (let i = 2; i < args.length - 1; i++) if (args[i].toUpperCase() === 'STORE') store = args[++i];
  return store === undefined ? [args[1]] : [args[1], store];
}

const SYNTAX = 'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]';

export const sortCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'sort', arity: -2, flags: ['write', 'denyoom', 'movablekeys'], keys: { first: 1, last: 1, step: 1 }, group: 'generic',
    since: '1.0.0', complexity: 'O(N+M*log(M)) where N is the number of elements to sort and M the number returned',
    summary: 'Sorts a list, set or sorted set, optionally by other keys, returning or storing the result.',
    syntax: `${SYNTAX} [STORE destination]`, keysOf: sortKeys, run: (ctx, args) => sort(ctx, args, false),
  }),
  defineCommand({
    name: 'sort_ro', arity: -2, flags: ['readonly', 'movablekeys'], keys: { first: 1, last: 1, step: 1 }, group: 'generic',
    since: '7.0.0', complexity: 'O(N+M*log(M)) where N is the number of elements to sort and M the number returned',
    summary: 'SORT without STORE, safe for read-only replicas and scripts.', syntax: SYNTAX,
    run: (ctx, args) => sort(ctx, args, true),
  }),
];
