/**
 * Lua 5.1's table library. table.sort is 5.1's own quicksort step for step
 * (median of three, the same comparisons in the same order), so odd
 * comparators give the same order and "invalid order function for sorting"
 * arises where Lua raises it.
 */
import { callValue, lessThan } from '../runtime.js';
import { LuaTable } from '../table.js';
import { NO_VALUES, raise, typeError, type LuaValue } from '../value.js';
import { checkInteger, checkTable, libraryTable, optInteger, optString, toStringCoerce } from './args.js';

function sort(...args: LuaValue[]): LuaValue[] {
  const t = checkTable(args, 1, 'sort');
  const n = t.length();
  const comp = args[1];
  if (comp !== undefined && typeof comp !== 'function') typeError(2, 'sort', 'function', args);
  const less =
    comp === undefined ? lessThan : (a: LuaValue, b: LuaValue): boolean => {
      const r = callValue(comp, [a, b])[0];
      return r !== undefined && r !== false;
    };
  auxsort(t, 1, n, less);
  return NO_VALUES;
}

function swap(t: LuaTable, i: number, j: number): void {
  const a = t.getInt(i);
  t.setInt(i, t.getInt(j));
  t.setInt(j, a);
}

function auxsort(t: LuaTable, l: number, u: number, less: (a: LuaValue, b: LuaValue) => boolean): void {
  while (l < u) {
    if (less(t.getInt(u), t.getInt(l))) swap(t, l, u);
    if (u - l === 1) break;
    let i = Math.floor((l + u) / 2);
    if (less(t.getInt(i), t.getInt(l))) swap(t, i, l);
    else if (less(t.getInt(u), t.getInt(i))) swap(t, i, u);
    if (u - l === 2) break;
    const pivot = t.getInt(i);
    swap(t, i, u - 1);
    i = l;
    let j = u - 1;
    for (;;) {
      while (less(t.getInt(++i), pivot)) {
        if (i > u) raise('invalid order function for sorting');
      }
      while (less(pivot, t.getInt(--j))) {
        if (j < l) raise('invalid order function for sorting');
      }
      if (j < i) break;
      swap(t, i, j);
    }
    swap(t, u - 1, i);
    // Recurse into the smaller half, loop on the larger.
    if (i - l < u - i) {
      j = l;
      i = i - 1;
      l = i + 2;
    } else {
      j = i + 1;
      i = u;
      u = j - 2;
    }
    auxsort(t, j, i, less);
  }
}

export function createTableLib(): LuaTable {
  return libraryTable({
    sort,
    concat: (...args) => {
      const t = checkTable(args, 1, 'concat');
      const sep = optString(args, 2, 'concat', '');
      const i = optInteger(args, 3, 'concat', 1);
      const j = args[3] === undefined ? t.length() : checkInteger(args, 4, 'concat');
      const parts: string[] = [];
      for (let k = i; k <= j; k++) {
        const s = toStringCoerce(t.getInt(k));
        if (s === undefined) raise(`invalid value (at index ${k}) in table for 'concat'`);
        parts.push(s);
      }
      return [parts.join(sep)];
    },
    insert: (...args) => {
      const t = checkTable(args, 1, 'insert');
      let e = t.length() + 1;
      let pos: number;
      if (args.length === 2) pos = e;
      else if (args.length === 3) {
        pos = checkInteger(args, 2, 'insert');
        if (pos > e) e = pos;
        for (let i = e; i > pos; i--) t.setInt(i, t.getInt(i - 1));
      } else raise("wrong number of arguments to 'insert'");
      t.set(pos, args[args.length - 1]);
      return NO_VALUES;
    },
    remove: (...args) => {
      const t = checkTable(args, 1, 'remove');
      const e = t.length();
      let pos = optInteger(args, 2, 'remove', e);
      if (!(1 <= pos && pos <= e)) return NO_VALUES;
      const removed = t.getInt(pos);
      for (; pos < e; pos++) t.setInt(pos, t.getInt(pos + 1));
      t.setInt(e, undefined);
      return [removed];
    },
    maxn: (...args) => {
      const t = checkTable(args, 1, 'maxn');
      let max = 0;
      for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
        if (typeof e[0] === 'number' && e[0] > max) max = e[0];
      }
      return [max];
    },
    getn: (...args) => [checkTable(args, 1, 'getn').length()],
    setn: (...args) => {
      checkTable(args, 1, 'setn');
      raise("'setn' is obsolete");
    },
    foreach: (...args) => {
      const t = checkTable(args, 1, 'foreach');
      const f = args[1];
      if (typeof f !== 'function') typeError(2, 'foreach', 'function', args);
      for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) {
        const r = f(e[0], e[1])[0];
        if (r !== undefined) return [r];
      }
      return NO_VALUES;
    },
    foreachi: (...args) => {
      const t = checkTable(args, 1, 'foreachi');
      const f = args[1];
      if (typeof f !== 'function') typeError(2, 'foreachi', 'function', args);
      const n = t.length();
      for (let i = 1; i <= n; i++) {
        const r = f(i, t.getInt(i))[0];
        if (r !== undefined) return [r];
      }
      return NO_VALUES;
    },
  });
}

