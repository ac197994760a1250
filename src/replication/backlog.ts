/**
 * The replication backlog: the last repl-backlog-size bytes of the stream,
 * in a ring, so a replica that lost its link for a moment continues from
 * where it was (+CONTINUE) instead of loading a whole snapshot again.
 * Offsets are those of the stream: the first byte ever sent is offset 1.
 */
export class Backlog {
  private ring: Buffer;
  /** Where the next byte goes in the ring. */
  private at = 0;
  /** Bytes held (INFO repl_backlog_histlen). */
  histlen = 0;

  /** `end`: the offset of the last byte already in the stream when the backlog starts. */
  constructor(
    size: number,
    private end: number,
  ) {
    this.ring = Buffer.alloc(Math.max(1, size));
  }

  get size(): number {
    return this.ring.length;
  }

  /** Offset of the oldest byte held (INFO repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.end - this.histlen + 1;
  }

  append(bytes: Buffer): void {
    const ring = this.ring;
    this.end += bytes.length;
    // Only the tail that fits matters.
    const source = bytes.length > ring.length ? bytes.subarray(bytes.length - ring.length) : bytes;
    const first = Math.min(source.length, ring.length - this.at);
    source.copy(ring, this.at, 0, first);
    source.copy(ring, 0, first);
    this.at = (this.at + source.length) % ring.length;
    this.histlen = Math.min(ring.length, this.histlen + bytes.length);
  }

  /** The bytes from `offset` to the end, or undefined when they are no longer (or not yet) held. */
  from(offset: number): Buffer | undefined {
    if (offset < this.firstOffset || offset > this.end + 1) return undefined;
    const length = this.end + 1 - offset;
    const out = Buffer.allocUnsafe(length);
    const start = (this.at - length + this.ring.length) % this.ring.length;
    const first = Math.min(length, this.ring.length - start);
    this.ring.copy(out, 0, start, start + first);
    this.ring.copy(out, first, 0, length - first);
    return out;
  }

  /** Offsets move on by `by` (a restarted master continuing the history its snapshot recorded). */
  rebase(by: number): void {
    this.end += by;
  }

  /** CONFIG SET repl-backlog-size: keeps the newest bytes that fit. */
  resize(size: number): void {
    if (size === this.ring.length) return;
    const kept = this.from(this.end + 1 - Math.min(this.histlen, size))!;
    this.ring = Buffer.alloc(Math.max(1, size));
    kept.copy(this.ring);
    this.at = kept.length % this.ring.length;
    this.histlen = kept.length;
  }
}
