/**
 * The reply buffer Redis gives every client, as CLIENT LIST (rbs, rbp), the
 * client's tot-mem and INFO's reply_buffer_shrinks / reply_buffer_expands
 * show it. Our replies go through a buffer of their own that is reused or
 * replaced whole, so only its size is kept here, resized as Redis's
 * clientsCronResizeOutputBuffer resizes the real one: halved towards what an
 * idle client used, doubled back up to 16 KB for one that fills it.
 */

/** Redis's PROTO_REPLY_CHUNK_BYTES: the buffer's size at first and at most. */
const REPLY_CHUNK_BYTES = 16 * 1024;
/** Redis's PROTO_REPLY_MIN_BYTES: it never shrinks below this. */
const REPLY_MIN_BYTES = 1024;
/** Redis's REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME (ms). */
export const DEFAULT_PEAK_RESET_MS = 5000;

/** DEBUG REPLYBUFFER's settings. */
export interface ReplyBufferSettings {
  resizing: boolean;
  /** How often the peak starts again from what is pending (-1: never). */
  peakResetMs: number;
}

export class ReplyBufferSize {
  /** rbs. */
  size = REPLY_CHUNK_BYTES;
  /** rbp: the most one write of replies put in it since the last reset. */
  peak = 0;
  private peakResetAt = Date.now();

  /** Replies of `bytes` go out in one write: as much of them as the buffer holds counts. */
  wrote(bytes: number): void {
    if (bytes > this.peak) this.peak = Math.min(bytes, this.size);
  }

  /** The cron's look at it, `pending` bytes of replies waiting; -1 when it shrank, 1 when it grew. */
  resize(now: number, settings: ReplyBufferSettings, pending: number): -1 | 0 | 1 {
    if (!settings.resizing) return 0;
    const size = this.size;
    const shrinkTo = Math.floor(size / 2);
    let next = 0;
    if (shrinkTo >= REPLY_MIN_BYTES && this.peak < shrinkTo) next = Math.max(REPLY_MIN_BYTES, this.peak + 1);
    else if (size < REPLY_CHUNK_BYTES && this.peak === size) next = Math.min(REPLY_CHUNK_BYTES, size * 2);
    if (settings.peakResetMs >= 0 && now - this.peakResetAt >= settings.peakResetMs) {
      this.peak = Math.min(pending, size);
      this.peakResetAt = now;
    }
    if (next === 0) return 0;
    this.size = next;
    return next < size ? -1 : 1;
  }
}
