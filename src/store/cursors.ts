/**
 * SCAN-family cursors.
 *
 * Redis's stateless cursors rely on its own hash table layout. A JS Map
 * offers something as good: a live iterator visits, exactly once, every
 * entry that is present from the start of the iteration to its end, however
 * the map changes meanwhile. So a cursor number names a parked iterator.
 * Abandoned scans are bounded by an LRU; an unknown cursor restarts the walk,
 * which still returns every key at least once. A walk ends after as many
 * steps as the collection had entries when it began: entries added later
 * come after all of those in a Map's order, so nothing present throughout is
 * missed, and a client adding faster than it scans still finishes.
 */
import { LRUCache } from 'lru-cache';

interface Parked<T> {
  source: object;
  it: Iterator<T>;
  stepsLeft: number;
}

export class CursorTable<T> {
  private next = 1;
  private readonly parked = new LRUCache<number, Parked<T>>({ max: 10_000 });

  /**
   * Takes up to `count` items from where `cursor` left off in `source`
   * (`start` makes a fresh iterator over it). Returns the items and the
   * cursor to continue from, 0 when the walk is complete.
   */
  take(
    cursor: number,
    source: { readonly size: number },
    start: () => Iterator<T>,
    count: number,
    keep: (item: T) => boolean,
  ): [number, T[]] {
    let entry = cursor === 0 ? undefined : this.parked.get(cursor);
    if (entry !== undefined) this.parked.delete(cursor);
    if (entry === undefined || entry.source !== source) entry = { source, it: start(), stepsLeft: source.size };
    const items: T[] = [];
    for (let visited = 0; visited < count; visited++) {
      const step = entry.stepsLeft-- > 0 ? entry.it.next() : undefined;
      if (step === undefined || step.done) return [0, items];
      if (keep(step.value)) items.push(step.value);
    }
    const id = this.next;
    this.next = this.next >= Number.MAX_SAFE_INTEGER ? 1 : this.next + 1;
    this.parked.set(id, entry);
    return [id, items];
  }
}
