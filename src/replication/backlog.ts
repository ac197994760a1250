/**
 * The replication buffer: one copy of the stream, in blocks, shared by the
 * backlog and every replica, as in Redis 7.0. A replica refers to the
 * oldest byte it still needs (not yet written out by its socket); the
 * backlog keeps the newest repl-backlog-size bytes. A block goes only once
 * neither needs it, so a slow replica makes the backlog grow past its
 * setting (and a partial resync can use all of it), while the replica's
 * output limit counts its share and bounds that growth.
 * Offsets are those of the stream: the first byte ever sent is offset 1.
 */

/** Blocks are at least this big, so small writes share one. */
const BLOCK_MIN = 16 * 1024;
/** What a block costs beyond its bytes, as Redis counts its list node and header. */
export const BLOCK_OVERHEAD = 64;

interface Block {
  readonly bytes: Buffer;
  used: number;
  /** The stream offset of its first byte. */
  offset: number;
}

export class ReplicationBuffer {
  private blocks: Block[] = [];
  /** Index of the first live block (the array is compacted now and then, not shifted per block). */
  private head = 0;
  /** INFO mem_total_replication_buffers. */
  memory = 0;

  /** `end`: the offset of the last byte already in the stream when the buffer starts. */
  constructor(
    public size: number,
    public end: number,
  ) {}

  /** Not bigger than a sixteenth of the backlog, so that a big write does not pin a big block for its last bytes. */
  private get blockLimit(): number {
    return Math.max(BLOCK_MIN, Math.floor(this.size / 16));
  }

  /**
   * What repl-backlog-size bytes of stream take in blocks, their overhead
   * estimated as Redis does: the memory beyond it is the replicas' output.
   */
  get backlogMemory(): number {
    return this.size + (Math.floor(this.size / this.blockLimit) + 1) * BLOCK_OVERHEAD;
  }

  /** Bytes held (INFO repl_backlog_histlen). */
  get histlen(): number {
    return this.head < this.blocks.length ? this.end - this.blocks[this.head].offset + 1 : 0;
  }

  /** Offset of the oldest byte held (INFO repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.end - this.histlen + 1;
  }

  /** Whether a partial resync can start at `offset`. */
  holds(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.end + 1;
  }

  /**
   * Appends (copies) the stream's bytes; true when it took a new block,
   * which is when replicas' limits and trimming are checked.
   */
  append(data: Buffer): boolean {
    const length = data.length;
    let done = 0;
    let added = false;
    while (done < length) {
      let tail = this.head < this.blocks.length ? this.blocks[this.blocks.length - 1] : undefined;
      if (tail === undefined || tail.used === tail.bytes.length) {
        const bytes = Buffer.allocUnsafe(Math.min(Math.max(length - done, BLOCK_MIN), this.blockLimit));
        tail = { bytes, used: 0, offset: this.end + done + 1 };
        this.blocks.push(tail);
        this.memory += bytes.length + BLOCK_OVERHEAD;
        added = true;
      }
      const copy = Math.min(length - done, tail.bytes.length - tail.used);
      data.copy(tail.bytes, tail.used, done, done + copy);
      tail.used += copy;
      done += copy;
    }
    this.end += length;
    return added;
  }

  /** Calls `send` with views (no copies) of the bytes after `offset`, in order. */
  forEachAfter(offset: number, send: (bytes: Buffer) => void): void {
    const blocks = this.blocks;
    let i = this.blockOf(offset + 1);
    if (i < 0) return;
    for (; i < blocks.length; i++) {
      const block = blocks[i];
      const from = Math.max(0, offset + 1 - block.offset);
      if (from < block.used) send(block.bytes.subarray(from, block.used));
    }
  }

  /** The index of the block holding `offset`, or -1. */
  private blockOf(offset: number): number {
    const blocks = this.blocks;
    if (offset > this.end || this.head >= blocks.length || offset < blocks[this.head].offset) return -1;
    let low = this.head;
    let high = blocks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (blocks[mid].offset <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * Drops the oldest blocks that no replica needs (`needed`: the oldest
   * offset a replica still refers to) while the backlog keeps more than its
   * size without them; always one block at least, as Redis.
   */
  trim(needed: number): void {
    const blocks = this.blocks;
    while (blocks.length - this.head > 1) {
      const first = blocks[this.head];
      if (first.offset + first.used > needed) break;
      if (this.histlen - first.used <= this.size) break;
      this.memory -= first.bytes.length + BLOCK_OVERHEAD;
      blocks[this.head++] = undefined as unknown as Block;
    }
    if (this.head > 64 && this.head * 2 > blocks.length) {
      this.blocks = blocks.slice(this.head);
      this.head = 0;
    }
  }

  /** Offsets move on by `by` (a restarted master continuing the history its snapshot recorded). */
  rebase(by: number): void {
    this.end += by;
    for (let i = this.head; i < this.blocks.length; i++) this.blocks[i].offset += by;
  }
}
