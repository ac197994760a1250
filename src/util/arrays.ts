/**
 * Inserting into and removing from small arrays by shifting by hand:
 * splice allocates an array of the removed elements on every call, which in
 * a command's inner loop is garbage per element. For arrays of a few hundred
 * slots at most; splice's native move wins beyond.
 */
export function insertAt<T>(items: T[], at: number, item: T): void {
  for (let i = items.length; i > at; i--) items[i] = items[i - 1];
  items[at] = item;
}

export function removeAt<T>(items: T[], at: number): void {
  const last = items.length - 1;
  for (let i = at; i < last; i++) items[i] = items[i + 1];
  items.length = last;
}
