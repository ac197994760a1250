/**
 * The ordered half of a sorted set: (score, member) pairs in Redis's order
 * (score, then member bytes), with rank lookups in O(log n).
 *
 * Redis uses a skip list whose links carry spans. This is the balanced-tree
 * equivalent, a B+tree whose inner nodes count the entries below each child:
 * leaves hold up to 128 pairs in two parallel arrays (an array of doubles
 * stores them unboxed), so a member costs about two array slots here instead
 * of a skip-list node object with its forward pointers, and a search touches
 * a few contiguous arrays instead of chasing a pointer per level. Leaves are
 * linked both ways for range walks.
 *
 * The tree does not know which members exist: callers keep the member → score
 * map and only insert absent members and delete present ones.
 */

const LEAF_MAX = 128;
const LEAF_MIN = 32;
const INNER_MAX = 64;
const INNER_MIN = 16;

/**
 * Array.prototype.splice moves the elements natively (a memmove for the
 * unboxed doubles of a score array): 2 to 7 times faster than a loop shared
 * by the member and score arrays, whose element accesses that sharing makes
 * polymorphic, for all the result array it allocates.
 */
function insertAt<T>(items: T[], at: number, item: T): void {
  items.splice(at, 0, item);
}

function removeAt<T>(items: T[], at: number): void {
  items.splice(at, 1);
}

/** Whether (s1, m1) sorts before (s2, m2). Latin1 strings compare as their bytes (memcmp, then length). */
function before(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

export class Leaf {
  members: string[] = [];
  scores: number[] = [];
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

class Inner {
  children: Node[] = [];
  /** Entries below each child. */
  counts: number[] = [];
  /**
   * A lower bound of each child: every key in child i is >= (loScores[i],
   * loMembers[i]) and every key in child i-1 is below it. Entry 0 is not read.
   */
  loScores: number[] = [];
  loMembers: string[] = [];
}

type Node = Leaf | Inner;

const sum = (values: readonly number[]): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

/** A position in the tree: the entry at `rank` (0-based), or just before the first / after the last. */
export class TreeCursor {
  constructor(
    private leaf: Leaf,
    private index: number,
    /** 0-based rank of the entry under the cursor. */
    public rank: number,
  ) {}

  get valid(): boolean {
    return this.index >= 0 && this.index < this.leaf.members.length;
  }

  get member(): string {
    return this.leaf.members[this.index];
  }

  get score(): number {
    return this.leaf.scores[this.index];
  }

  next(): void {
    this.rank++;
    if (this.index < this.leaf.members.length - 1 || this.leaf.next === null) {
      this.index++;
    } else {
      this.leaf = this.leaf.next;
      this.index = 0;
    }
  }

  prev(): void {
    this.rank--;
    if (this.index > 0 || this.leaf.prev === null) {
      this.index--;
    } else {
      this.leaf = this.leaf.prev;
      this.index = this.leaf.members.length - 1;
    }
  }
}

export class RankedTree {
  private root: Node = new Leaf();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A tree holding pairs already in order (no duplicates), built in O(n). */
  static fromSorted(scores: readonly number[], members: readonly string[]): RankedTree {
    const tree = new RankedTree();
    const n = members.length;
    tree.count = n;
    if (n <= LEAF_MAX) {
      const leaf = tree.root as Leaf;
      leaf.members = members.slice();
      leaf.scores = scores.slice();
      return tree;
    }
    // Spread entries evenly so that every node is at least half full.
    let level: Node[] = [];
    const leafCount = Math.ceil(n / LEAF_MAX);
    let previous: Leaf | null = null;
    for (let i = 0; i < leafCount; i++) {
      const from = Math.floor((i * n) / leafCount);
      const to = Math.floor(((i + 1) * n) / leafCount);
      const leaf = new Leaf();
      leaf.members = members.slice(from, to);
      leaf.scores = scores.slice(from, to);
      leaf.prev = previous;
      if (previous) previous.next = leaf;
      previous = leaf;
      level.push(leaf);
    }
    while (level.length > 1) {
      const groups = Math.ceil(level.length / INNER_MAX);
      const upper: Node[] = [];
      for (let g = 0; g < groups; g++) {
        const from = Math.floor((g * level.length) / groups);
        const to = Math.floor(((g + 1) * level.length) / groups);
        const inner = new Inner();
        for (let i = from; i < to; i++) {
          const child = level[i];
          inner.children.push(child);
          inner.counts.push(entriesBelow(child));
          const [score, member] = firstKey(child);
          inner.loScores.push(score);
          inner.loMembers.push(member);
        }
        upper.push(inner);
      }
      level = upper;
    }
    tree.root = level[0];
    return tree;
  }

  /** Adds a pair whose member is not in the tree. */
  insert(score: number, member: string): void {
    const path: Inner[] = [];
    const slots: number[] = [];
    let node = this.root;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      node.counts[i]++;
      path.push(node);
      slots.push(i);
      node = node.children[i];
    }
    const leaf = node;
    const at = upperBound(leaf, score, member);
    insertAt(leaf.members, at, member);
    insertAt(leaf.scores, at, score);
    this.count++;
    if (leaf.members.length > LEAF_MAX) this.splitLeaf(leaf, at, path, slots);
  }

  /** Removes a pair that is in the tree; false (and nothing changes) when it is not. */
  delete(score: number, member: string): boolean {
    const path: Inner[] = [];
    const slots: number[] = [];
    let node = this.root;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      path.push(node);
      slots.push(i);
      node = node.children[i];
    }
    const leaf = node;
    const at = lowerBound(leaf, score, member);
    if (at >= leaf.members.length || leaf.members[at] !== member || leaf.scores[at] !== score) return false;
    for (let d = 0; d < path.length; d++) path[d].counts[slots[d]]--;
    removeAt(leaf.members, at);
    removeAt(leaf.scores, at);
    this.count--;
    this.rebalance(path, slots);
    return true;
  }

  /** 0-based rank of a pair, or -1 when it is not in the tree. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      for (let j = 0; j < i; j++) rank += node.counts[j];
      node = node.children[i];
    }
    const at = lowerBound(node, score, member);
    if (at >= node.members.length || node.members[at] !== member || node.scores[at] !== score) return -1;
    return rank + at;
  }

  /** A cursor on the entry of rank `rank` (0 <= rank < size), or past the end. */
  at(rank: number): TreeCursor {
    if (rank >= this.count) return this.end();
    let node = this.root;
    let left = rank;
    while (node instanceof Inner) {
      let i = 0;
      while (left >= node.counts[i]) left -= node.counts[i++];
      node = node.children[i];
    }
    return new TreeCursor(node, left, rank);
  }

  /**
   * A cursor on the first entry for which `reached` holds, `reached` being
   * false and then true along the order; past the end when it never holds.
   */
  firstWhere(reached: (score: number, member: string) => boolean): TreeCursor {
    let rank = 0;
    let node = this.root;
    while (node instanceof Inner) {
      // The last child whose lower bound has not reached: the first entry that
      // has is in it, or else is the entry right after it.
      let lo = 1;
      let hi = node.children.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (reached(node.loScores[mid], node.loMembers[mid])) hi = mid;
        else lo = mid + 1;
      }
      const i = lo - 1;
      for (let j = 0; j < i; j++) rank += node.counts[j];
      node = node.children[i];
    }
    let lo = 0;
    let hi = node.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (reached(node.scores[mid], node.members[mid])) hi = mid;
      else lo = mid + 1;
    }
    if (lo === node.members.length && node.next !== null) return new TreeCursor(node.next, 0, rank + lo);
    return new TreeCursor(node, lo, rank + lo);
  }

  /** A cursor past the last entry; prev() moves it onto the last one. */
  end(): TreeCursor {
    let node = this.root;
    while (node instanceof Inner) node = node.children[node.children.length - 1];
    return new TreeCursor(node, node.members.length, this.count);
  }

  /** Every pair in order. */
  *entries(): IterableIterator<[string, number]> {
    let node = this.root;
    while (node instanceof Inner) node = node.children[0];
    for (let leaf: Leaf | null = node; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.members.length; i++) yield [leaf.members[i], leaf.scores[i]];
    }
  }

  private splitLeaf(leaf: Leaf, insertedAt: number, path: Inner[], slots: number[]): void {
    // Appending to the last leaf or prepending to the first (ever-growing or
    // ever-shrinking scores) leaves the old leaf full instead of half empty.
    let cut = leaf.members.length >> 1;
    if (insertedAt === leaf.members.length - 1 && leaf.next === null) cut = insertedAt;
    else if (insertedAt === 0 && leaf.prev === null) cut = 1;
    const right = new Leaf();
    right.members = leaf.members.splice(cut);
    right.scores = leaf.scores.splice(cut);
    right.next = leaf.next;
    if (right.next) right.next.prev = right;
    right.prev = leaf;
    leaf.next = right;
    this.addSibling(leaf, right, leaf.members.length, right.members.length, right.scores[0], right.members[0], path, slots);
  }

  /** Puts `right` after `left` in their parent (making a new root if needed), splitting upwards. */
  private addSibling(
    left: Node, right: Node, leftCount: number, rightCount: number,
    loScore: number, loMember: string, path: Inner[], slots: number[],
  ): void {
    const depth = path.length - 1;
    if (depth < 0) {
      const root = new Inner();
      root.children = [left, right];
      root.counts = [leftCount, rightCount];
      root.loScores = [-Infinity, loScore];
      root.loMembers = ['', loMember];
      this.root = root;
      return;
    }
    const parent = path[depth];
    const i = slots[depth];
    parent.children.splice(i + 1, 0, right);
    parent.counts[i] = leftCount;
    parent.counts.splice(i + 1, 0, rightCount);
    parent.loScores.splice(i + 1, 0, loScore);
    parent.loMembers.splice(i + 1, 0, loMember);
    if (parent.children.length <= INNER_MAX) return;
    const cut = parent.children.length >> 1;
    const sibling = new Inner();
    sibling.children = parent.children.splice(cut);
    sibling.counts = parent.counts.splice(cut);
    sibling.loScores = parent.loScores.splice(cut);
    sibling.loMembers = parent.loMembers.splice(cut);
    path.pop();
    slots.pop();
    this.addSibling(parent, sibling, sum(parent.counts), sum(sibling.counts), sibling.loScores[0], sibling.loMembers[0], path, slots);
  }

  /** After a removal: merges or refills nodes that became too small, bottom up, and shrinks the root. */
  private rebalance(path: Inner[], slots: number[]): void {
    for (let depth = path.length - 1; depth >= 0; depth--) {
      const parent = path[depth];
      const i = slots[depth];
      const child = parent.children[i];
      const small = child instanceof Leaf ? child.members.length < LEAF_MIN : child.children.length < INNER_MIN;
      if (!small || parent.children.length < 2) break;
      const li = i > 0 ? i - 1 : i;
      if (child instanceof Leaf) this.fixLeaves(parent, li);
      else this.fixInners(parent, li);
    }
    while (this.root instanceof Inner && this.root.children.length === 1) this.root = this.root.children[0];
  }

  /** Merges or evens out the leaves at `li` and `li + 1` of `parent`. */
  private fixLeaves(parent: Inner, li: number): void {
    const left = parent.children[li] as Leaf;
    const right = parent.children[li + 1] as Leaf;
    const total = left.members.length + right.members.length;
    if (total <= LEAF_MAX) {
      for (let k = 0; k < right.members.length; k++) {
        left.members.push(right.members[k]);
        left.scores.push(right.scores[k]);
      }
      left.next = right.next;
      if (left.next) left.next.prev = left;
      removeChild(parent, li + 1);
      parent.counts[li] = total;
      return;
    }
    const want = total >> 1;
    if (left.members.length < want) {
      const move = want - left.members.length;
      const members = right.members.splice(0, move);
      const scores = right.scores.splice(0, move);
      for (let k = 0; k < move; k++) {
        left.members.push(members[k]);
        left.scores.push(scores[k]);
      }
    } else {
      const move = left.members.length - want;
      right.members.unshift(...left.members.splice(want, move));
      right.scores.unshift(...left.scores.splice(want, move));
    }
    parent.counts[li] = left.members.length;
    parent.counts[li + 1] = right.members.length;
    parent.loScores[li + 1] = right.scores[0];
    parent.loMembers[li + 1] = right.members[0];
  }

  /** Merges or evens out the inner nodes at `li` and `li + 1` of `parent`. */
  private fixInners(parent: Inner, li: number): void {
    const left = parent.children[li] as Inner;
    const right = parent.children[li + 1] as Inner;
    // The separator in the parent is the bound that keeps right's first child apart from left's last.
    right.loScores[0] = parent.loScores[li + 1];
    right.loMembers[0] = parent.loMembers[li + 1];
    const total = left.children.length + right.children.length;
    if (total <= INNER_MAX) {
      left.children.push(...right.children);
      left.counts.push(...right.counts);
      left.loScores.push(...right.loScores);
      left.loMembers.push(...right.loMembers);
      removeChild(parent, li + 1);
      parent.counts[li] = sum(left.counts);
      return;
    }
    const want = total >> 1;
    if (left.children.length < want) {
      const move = want - left.children.length;
      left.children.push(...right.children.splice(0, move));
      left.counts.push(...right.counts.splice(0, move));
      left.loScores.push(...right.loScores.splice(0, move));
      left.loMembers.push(...right.loMembers.splice(0, move));
    } else {
      const move = left.children.length - want;
      right.children.unshift(...left.children.splice(want, move));
      right.counts.unshift(...left.counts.splice(want, move));
      right.loScores.unshift(...left.loScores.splice(want, move));
      right.loMembers.unshift(...left.loMembers.splice(want, move));
    }
    parent.counts[li] = sum(left.counts);
    parent.counts[li + 1] = sum(right.counts);
    parent.loScores[li + 1] = right.loScores[0];
    parent.loMembers[li + 1] = right.loMembers[0];
  }
}

function removeChild(parent: Inner, i: number): void {
  parent.children.splice(i, 1);
  parent.counts.splice(i, 1);
  parent.loScores.splice(i, 1);
  parent.loMembers.splice(i, 1);
}

function entriesBelow(node: Node): number {
  return node instanceof Leaf ? node.members.length : sum(node.counts);
}

function firstKey(node: Node): [number, string] {
  while (node instanceof Inner) node = node.children[0];
  return [node.scores[0], node.members[0]];
}

/** The child of `node` whose range holds (score, member). */
function childFor(node: Inner, score: number, member: string): number {
  let lo = 1;
  let hi = node.children.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(score, member, node.loScores[mid], node.loMembers[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** First index in `leaf` whose pair is not before (score, member). */
function lowerBound(leaf: Leaf, score: number, member: string): number {
  let lo = 0;
  let hi = leaf.members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(leaf.scores[mid], leaf.members[mid], score, member)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `leaf` whose pair comes after (score, member). */
function upperBound(leaf: Leaf, score: number, member: string): number {
  let lo = 0;
  let hi = leaf.members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(score, member, leaf.scores[mid], leaf.members[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
