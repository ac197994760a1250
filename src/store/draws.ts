/**
 * Uniformly random members of a collection kept in a JS Set or Map, which
 * has no random access: a list of the members, made on the first draw (sets
 * of tags and hashes of objects never see one, and save the array).
 *
 * Without positions, a removal cannot take its member out of `list` at
 * once: it is noted in `removed` and skipped by draws until a sweep drops
 * every removed member, which runs once they make up half of `list`, so
 * draws take two tries at most on average and sweeps cost O(1) per removal.
 * A member added again while still in `list` is revived in place, so `list`
 * never holds a member twice. `removed` is made on the first removal, as
 * most collections never see one.
 */
export class Draws {
  private removed: Set<string> | null = null;

  /** `list` holds every member once, in any order. */
  constructor(private list: string[]) {}

  added(member: string): void {
    if (this.removed === null || !this.removed.delete(member)) this.list.push(member);
  }

  dropped(member: string): void {
    const removed = (this.removed ??= new Set());
    removed.add(member);
    if (removed.size * 2 > this.list.length) this.sweep();
  }

  /** A position in the list holding a member, uniformly at random; the collection must not be empty. */
  randomSlot(): number {
    const list = this.list;
    const removed = this.removed;
    for (;;) {
      const slot = Math.floor(Math.random() * list.length);
      if (removed === null || removed.size === 0 || !removed.has(list[slot])) return slot;
    }
  }

  at(slot: number): string {
    return this.list[slot];
  }

  /** Takes the member at `slot` out (the collection has dropped it already); its position is known, so the last entry fills it. */
  takeAt(slot: number): void {
    const list = this.list;
    const last = list.pop()!;
    if (slot < list.length) list[slot] = last;
  }

  /** Every member once, positions 0 to size - 1 (removed ones swept first). The array is the list itself: read it before any change. */
  members(): string[] {
    if (this.removed !== null && this.removed.size > 0) this.sweep();
    return this.list;
  }

  /** Drops the removed members from the list, keeping the order of the others. */
  private sweep(): void {
    const removed = this.removed!;
    this.list = this.list.filter((member) => !removed.has(member));
    removed.clear();
  }
}
