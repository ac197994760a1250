/**
 * COMMAND DOCS argument trees, derived from each command's one-line syntax
 * (`key value [NX|XX] [EX seconds|PX milliseconds]`), so the table stays the
 * only place a command is described. redis-cli builds its hints from these.
 */
import { MapReply, SimpleString, type Reply } from '../protocol/reply.js';

/** One argument node as COMMAND DOCS describes it. */
export interface ArgumentDoc {
  name: string;
  type: string;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  arguments?: ArgumentDoc[];
}

const isToken = (word: string): boolean => /^[A-Z][A-Z0-9_-]*$/.test(word);

/** The COMMAND DOCS type of a named argument, from the names Redis's docs use. */
function typeOf(name: string): string {
  if (/^(key|key\d|newkey|source|destination|src|dst|destkey|sourcekey)$/.test(name)) return 'key';
  if (name.includes('pattern')) return 'pattern';
  if (name.startsWith('unix-time')) return 'unix-time';
  if (/^(count|seconds|milliseconds|offset|start|end|index\d?|db|destination-db|increment|decrement|timeout|min-match-len|client-id|numkeys|protover|cursor)$/.test(name)) {
    return 'integer';
  }
  return 'string';
}

function tokenize(syntax: string): string[] {
  return syntax.replace(/([[\]|])/g, ' $1 ').split(/\s+/).filter((t) => t !== '');
}

/** Parses a syntax line into argument nodes. */
export function parseSyntax(syntax: string): ArgumentDoc[] {
  const tokens = tokenize(syntax);
  let pos = 0;

  function sequence(): ArgumentDoc[] {
    const items: ArgumentDoc[] = [];
    while (pos < tokens.length && tokens[pos] !== ']' && tokens[pos] !== '|') {
      const item = alternatives();
      if (item === 'repeat') {
        // `x [x ...]`: the group repeats what precedes it.
        const last = items[items.length - 1];
        if (last) last.multiple = true;
      } else {
        items.push(item);
      }
    }
    return items;
  }

  function alternatives(): ArgumentDoc | 'repeat' {
    const first = unit();
    if (first === 'repeat' || tokens[pos] !== '|') return first;
    const options: ArgumentDoc[] = [first];
    while (tokens[pos] === '|') {
      pos++;
      const next = unit();
      if (next !== 'repeat') options.push(next);
    }
    return { name: options.map((o) => o.name).join('-or-'), type: 'oneof', arguments: options };
  }

  function unit(): ArgumentDoc | 'repeat' {
    const token = tokens[pos++];
    if (token === '[') {
      if (tokens[pos + 1] === '...' || tokens.indexOf('...', pos) === findClose(pos) - 1) {
        pos = findClose(pos) + 1;
        return 'repeat';
      }
      const inner = sequenceUntilClose();
      const node: ArgumentDoc =
        inner.length === 1 ? inner[0] : { name: inner.map((i) => i.name).join('-'), type: 'block', arguments: inner };
      node.optional = true;
      return node;
    }
    if (isToken(token)) {
      const next = tokens[pos];
      if (next !== undefined && !isToken(next) && !['[', ']', '|', '...'].includes(next)) {
        pos++;
        return { name: next, type: typeOf(next), token };
      }
      return { name: token.toLowerCase(), type: 'pure-token', token };
    }
    return { name: token, type: typeOf(token) };
  }

  function sequenceUntilClose(): ArgumentDoc[] {
    const items = sequence();
    if (tokens[pos] === '|') {
      // `[A|B]` at the top of a group: alternatives of whole sequences.
      const options = [items.length === 1 ? items[0] : { name: 'block', type: 'block', arguments: items }];
      while (tokens[pos] === '|') {
        pos++;
        const next = sequence();
        options.push(next.length === 1 ? next[0] : { name: 'block', type: 'block', arguments: next });
      }
      pos++;
      return [{ name: options.map((o) => o.name).join('-or-'), type: 'oneof', arguments: options }];
    }
    pos++;
    return items;
  }

  function findClose(from: number): number {
    let depth = 1;
    for (let i = from; i < tokens.length; i++) {
      if (tokens[i] === '[') depth++;
      else if (tokens[i] === ']' && --depth === 0) return i;
    }
    return tokens.length;
  }

  return sequence();
}

/** Key arguments in document order, depth first. */
function keyArguments(args: readonly ArgumentDoc[], out: ArgumentDoc[] = []): ArgumentDoc[] {
  for (const a of args) {
    if (a.type === 'key') out.push(a);
    if (a.arguments) keyArguments(a.arguments, out);
  }
  return out;
}

/**
 * The reply form of argument nodes (maps in RESP3, flat arrays in RESP2).
 * Key arguments point at the command's `keySpecCount` key specs in order;
 * the last one points at the last spec (SORT's STORE destination follows
 * the BY/GET spec, which has no key argument of its own).
 */
export function argumentsReply(args: ArgumentDoc[], keySpecCount = 1): Reply[] {
  const keys = keyArguments(args);
  const specIndex = new Map<ArgumentDoc, number>();
  keys.forEach((arg, i) => specIndex.set(arg, i > 0 && i === keys.length - 1 ? keySpecCount - 1 : Math.min(i, keySpecCount - 1)));
  return argumentNodes(args, specIndex);
}

function argumentNodes(args: ArgumentDoc[], specIndex: ReadonlyMap<ArgumentDoc, number>): Reply[] {
  return args.map((a) => {
    const flat: Reply[] = ['name', a.name, 'type', a.type];
    const index = specIndex.get(a);
    if (index !== undefined) flat.push('key_spec_index', Math.max(index, 0));
    if (a.token !== undefined) flat.push('token', a.token);
    const flags: Reply[] = [];
    // redis-cli insists on status replies here.
    if (a.optional) flags.push(new SimpleString('optional'));
    if (a.multiple) flags.push(new SimpleString('multiple'));
    if (flags.length > 0) flat.push('flags', flags);
    if (a.arguments) flat.push('arguments', argumentNodes(a.arguments, specIndex));
    return new MapReply(flat);
  });
}
