/**
 * Request framing: turns a client's byte stream into commands.
 *
 * `redis-parser` parses RESP but accepts any reply type, knows nothing of
 * inline commands and has no size limits. So every chunk is first scanned
 * here: the headers (`*N`, `$N`) are checked against Redis's rules and limits
 * before the bytes behind them are buffered, inline lines are split here, and
 * only well-framed multibulk bytes are passed on to the parser.
 */
import RedisParser from 'redis-parser';
import { splitArgs } from '../util/splitargs.js';

/** Longest header or inline line Redis buffers without finding its end (PROTO_INLINE_MAX_SIZE). */
const MAX_LINE = 64 * 1024;
const INT_MAX = 2147483647;
/** Redis's PROTO_MBULK_BIG_ARG: arguments from this size on get a query buffer of their own. */
const BIG_ARG = 32 * 1024;
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/** Limits read on every header, so CONFIG SET takes effect on the next request. */
export interface RequestLimits {
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  /** True while the client must still authenticate: Redis then caps request sizes. */
  authRequired: boolean;
}

/** Outcome of feeding a chunk: whether the connection must close, and why. */
export type FeedResult =
  | null
  /** Reply `-ERR <message>`, then close. */
  | { protocolError: string }
  /** Close without a reply (query buffer over its limit). */
  | { queryBufferExceeded: true };

const enum State {
  /** Between commands: the next byte decides RESP or inline. */
  Idle,
  /** Reading the `*N` line. */
  MultibulkHeader,
  /** Reading a `$N` line. */
  BulkHeader,
  /** Skipping a bulk payload and its CRLF. */
  BulkBody,
  /** Reading an inline command line. */
  Inline,
}

/**
 * Parses a header's number the way Redis's string2ll does: an optional '-',
 * no leading zeros, no spaces; null when it is not such a number. Values past
 * 2^53 only need to compare as "too large", so precision loss is harmless.
 */
function parseStrictInt(bytes: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  const negative = bytes[i] === 45;
  if (negative && ++i === end) return null;
  if (bytes[i] === 48 && end - i > 1) return null;
  let n = 0;
  for (; i < end; i++) {
    const digit = bytes[i] - 48;
    if (digit < 0 || digit > 9) return null;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/**
 * Recent short arguments, by a hash of their bytes: one that comes again (a
 * command name, an option, a small number) is the same string as before,
 * found by its at most INTERN_MAX bytes, instead of a new copy out of
 * the read buffer, which costs a native call each. Longer arguments (keys,
 * values) are rarely repeated byte for byte and are always copied.
 */
const INTERN_MAX = 8;
const INTERN_BITS = 12;
const INTERN_SLOTS = 1 << INTERN_BITS;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill('');
/**
 * The bytes of each interned string packed into two words: a repeat is
 * recognised by two integer comparisons and its length, where comparing it
 * char by char cost BITFIELD's 14 arguments a fifth of their reading.
 */
const internedHigh = new Int32Array(INTERN_SLOTS);
const internedLow = new Int32Array(INTERN_SLOTS);

function argumentText(chunk: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n > INTERN_MAX || n === 0) return chunk.toString('latin1', start, end);
  // The bytes through a 64-bit shift register of two words; the length tells apart leading zero bytes.
  let high = 0;
  let low = 0;
  for (let i = start; i < end; i++) {
    high = (high << 8) | (low >>> 24);
    low = (low << 8) | chunk[i];
  }
  const hash = Math.imul(low ^ Math.imul(high ^ n, 0x9e3779b1), 0x85ebca6b);
  const slot = hash >>> (32 - INTERN_BITS);
  const known = interned[slot];
  if (known.length === n && internedLow[slot] === low && internedHigh[slot] === high) return known;
  const text = chunk.toString('latin1', start, end);
  interned[slot] = text;
  internedHigh[slot] = high;
  internedLow[slot] = low;
  return text;
}

export class RequestReader {
  private state = State.Idle;
  /** Part of a header or inline line that started in an earlier chunk. */
  private partialLine = '';
  /** The line being read (inline, or a header) has a zero byte before its end: Redis never finds that end. */
  private lineHasNul = false;
  private argsLeft = 0;
  private bodyLeft = 0;
  /** Bytes received for the command not yet complete, for client-query-buffer-limit. */
  private commandBytes = 0;
  /**
   * Where the payload of a big argument (PROTO_MBULK_BIG_ARG) began in
   * commandBytes, -1 outside one: Redis moves such a payload to a query
   * buffer of its own, so only its bytes show as qbuf, the ones before as argv.
   */
  private bigArgFrom = -1;
  /**
   * The query buffer as Redis counts it (CLIENT LIST's qbuf): while the
   * commands of a read run, everything that read brought plus the incomplete
   * command it completed; between reads, the incomplete command.
   */
  queryBufferBytes = 0;

  /** CLIENT LIST's qbuf: the query buffer, or the big argument being received. */
  get qbuf(): number {
    // Between reads inside a big argument's payload: Redis shows only that argument.
    return this.bigArgFrom >= 0 && this.queryBufferBytes === this.commandBytes ? this.commandBytes - this.bigArgFrom : this.queryBufferBytes;
  }

  /**
   * The query buffer's memory as Redis counts it for client eviction: the
   * incomplete command (not the one running), and a big argument takes its
   * whole declared size from its header on (Redis allocates it then), so
   * maxmemory-clients acts on a client before all of it has arrived.
   */
  get reservedBytes(): number {
    if (this.state === State.Idle) return 0;
    if (this.state === State.Inline) return this.partialLine.length;
    return this.commandBytes + (this.bigArgFrom >= 0 ? this.bodyLeft : 0);
  }

  /** Commands completed by the read being scanned. */
  private readonly pending: string[][] = [];
  private readonly parser: RedisParser;

  constructor(
    private readonly limits: RequestLimits,
    /** The commands complete after a read, in order; the array is reused once this returns. */
    private readonly onCommands: (batch: string[][]) => void,
  ) {
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply: unknown) => {
        // The scanner admits only arrays of bulk strings; `*0` and `*-1` are no command at all.
        if (!Array.isArray(reply) || reply.length === 0) return;
        const bufs = reply as Buffer[];
        const args = new Array<string>(bufs.length);
        // Copy out now: the parser reuses its buffer pool for large arguments.
        for (let i = 0; i < bufs.length; i++) args[i] = bufs[i].toString('latin1');
        this.pending.push(args);
      },
      returnError: () => {},
    });
  }

  /**
   * Scans `chunk`, then hands the commands it completed to `onCommands`, also
   * those before a protocol error. Nothing keeps a reference to `chunk`.
   */
  feed(chunk: Buffer): FeedResult {
    this.queryBufferBytes += chunk.length;
    const result = this.scan(chunk);
    if (this.pending.length > 0) {
      const pending = this.pending;
      this.onCommands(pending);
      // Popped, not `length = 0`: V8 runs that store as a runtime call, about 40 ns a read.
      while (pending.length > 0) pending.pop();
    }
    // Commands see the whole read as the query buffer while they run (CLIENT LIST qbuf).
    if (result === null) {
      this.queryBufferBytes = this.state === State.Idle ? 0 : this.state === State.Inline ? this.partialLine.length : this.commandBytes;
    }
    return result;
  }

  private scan(chunk: Buffer): FeedResult {
    const len = chunk.length;
    let pos = 0;
    // Start of the bytes in this chunk that belong to multibulk requests and await the parser;
    // a chunk that continues a request begun in an earlier read starts with such bytes.
    let respFrom = this.state === State.Idle || this.state === State.Inline ? -1 : 0;
    const flushResp = (to: number): void => {
      // A copy: the parser keeps what it was given until its command is complete, and
      // the chunk is the connection's read buffer, overwritten by the next read.
      if (respFrom >= 0 && to > respFrom) this.parser.execute(Buffer.from(chunk.subarray(respFrom, to)));
      respFrom = -1;
    };

    while (pos < len) {
      switch (this.state) {
        case State.Idle: {
          if (chunk[pos] === STAR) {
            if (respFrom < 0) {
              const end = this.wholeCommand(chunk, pos);
              if (end > 0) {
                pos = end;
                break;
              }
            }
            this.state = State.MultibulkHeader;
            this.commandBytes = 0;
            if (respFrom < 0) respFrom = pos;
          } else {
            flushResp(pos);
            this.state = State.Inline;
          }
          break;
        }
        case State.Inline: {
          let nl = chunk.indexOf(LF, pos);
          // Redis looks for the newline with strchr, which stops at a zero byte: such a
          // line never ends, and only the size limit closes the connection.
          if (this.lineHasNul || (nl >= 0 && chunk.subarray(pos, nl).includes(0))) {
            this.lineHasNul = true;
            nl = -1;
          }
          if (nl < 0) {
            if (chunk.subarray(pos, len).includes(0)) this.lineHasNul = true;
            this.partialLine += chunk.toString('latin1', pos, len);
            if (this.partialLine.length > MAX_LINE) return { protocolError: 'Protocol error: too big inline request' };
            pos = len;
            break;
          }
          let line = this.partialLine + chunk.toString('latin1', pos, nl);
          this.lineHasNul = false;
          this.partialLine = '';
          pos = nl + 1;
          this.state = State.Idle;
          if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
          const args = splitArgs(line);
          if (args === null) return { protocolError: 'Protocol error: unbalanced quotes in request' };
          if (args.length > 0) this.pending.push(args);
          break;
        }
        case State.MultibulkHeader:
        case State.BulkHeader: {
          // Redis waits for the byte after '\r' too, and skips it unseen.
          const carriedCr = this.partialLine.charCodeAt(this.partialLine.length - 1) === CR;
          const cr = carriedCr ? -1 : chunk.indexOf(CR, pos);
          // Redis finds the '\r' with strchr too: a zero byte before it hides it, and the header never
          // ends until the size limit refuses it.
          if (!this.lineHasNul && !carriedCr && chunk.subarray(pos, cr < 0 ? len : cr).includes(0)) this.lineHasNul = true;
          // The parser gets only headers the checks passed: this one never passes, so its bytes stop here.
          if (this.lineHasNul) flushResp(pos);
          if (this.lineHasNul || (!carriedCr && (cr < 0 || cr + 1 >= len))) {
            this.partialLine += chunk.toString('latin1', pos, len);
            this.commandBytes += len - pos;
            if (this.partialLine.length > MAX_LINE) {
              return {
                protocolError:
                  this.state === State.MultibulkHeader
                    ? 'Protocol error: too big mbulk count string'
                    : 'Protocol error: too big bulk count string',
              };
            }
            pos = len;
            break;
          }
          const lineStart = pos;
          let bytes = chunk;
          let from = pos;
          let to = cr;
          if (this.partialLine !== '') {
            // A header split across reads is rare: join it into a buffer of its own.
            const rest = carriedCr ? '' : chunk.toString('latin1', pos, cr);
            bytes = Buffer.from(this.partialLine + rest, 'latin1');
            from = 0;
            to = carriedCr ? bytes.length - 1 : bytes.length;
            this.partialLine = '';
          }
          const end = carriedCr ? pos + 1 : cr + 2;
          this.commandBytes += end - pos;
          pos = end;
          const error =
            this.state === State.MultibulkHeader ? this.multibulkHeader(bytes, from, to) : this.bulkHeader(bytes, from, to);
          if (error !== null) {
            flushResp(lineStart);
            return error;
          }
          break;
        }
        case State.BulkBody: {
          const take = Math.min(this.bodyLeft, len - pos);
          pos += take;
          this.bodyLeft -= take;
          this.commandBytes += take;
          if (this.bodyLeft === 0) this.nextArgument();
          break;
        }
      }
    }
    flushResp(len);
    return null;
  }

  /**
   * The common case, a whole well-formed command inside one read, taken
   * straight from the chunk: each argument is one latin1 copy out of the
   * socket's buffer, where the parser would first slice and pool it. Returns
   * the position after the command, or -1 when anything is incomplete or
   * doubtful, to leave the command to the checking state machine.
   */
  private wholeCommand(chunk: Buffer, start: number): number {
    const len = chunk.length;
    const limits = this.limits;
    let pos = start + 1;
    let count = 0;
    let digit: number;
    while (pos < len && (digit = chunk[pos] - 48) >= 0 && digit <= 9) {
      count = count * 10 + digit;
      pos++;
    }
    if (pos + 1 >= len || chunk[pos] !== CR || count === 0 || chunk[start + 1] === 48 || pos - start > 11) return -1;
    if (count > 10 && limits.authRequired) return -1;
    pos += 2;
    // Each argument takes at least 6 bytes (`$0\r\n\r\n`): a count the chunk cannot hold is
    // left to the state machine, which also refuses the absurd ones, before any array is sized by it.
    if (count * 6 > len - pos) return -1;
    const args = new Array<string>(count);
    // Once per command: each read of the limit goes through the client and the config.
    const maxBulkLen = limits.protoMaxBulkLen;
    for (let i = 0; i < count; i++) {
      if (pos >= len || chunk[pos] !== DOLLAR) return -1;
      const sizeStart = ++pos;
      let size = 0;
      while (pos < len && (digit = chunk[pos] - 48) >= 0 && digit <= 9) {
        size = size * 10 + digit;
        pos++;
      }
      if (pos >= len || chunk[pos] !== CR || pos === sizeStart || pos - sizeStart > 11) return -1;
      if (chunk[sizeStart] === 48 && pos - sizeStart > 1) return -1;
      if (size > maxBulkLen || (size > 16384 && limits.authRequired)) return -1;
      const body = pos + 2;
      pos = body + size + 2;
      if (pos > len) return -1;
      args[i] = argumentText(chunk, body, body + size);
    }
    if (pos - start > limits.clientQueryBufferLimit) return -1;
    this.pending.push(args);
    return pos;
  }

  private multibulkHeader(bytes: Buffer, from: number, to: number): FeedResult {
    const count = parseStrictInt(bytes, from + 1, to);
    if (count === null || count > INT_MAX) return { protocolError: 'Protocol error: invalid multibulk length' };
    if (count > 10 && this.limits.authRequired) return { protocolError: 'Protocol error: unauthenticated multibulk length' };
    this.argsLeft = count;
    this.state = count <= 0 ? State.Idle : State.BulkHeader;
    return null;
  }

  private bulkHeader(bytes: Buffer, from: number, to: number): FeedResult {
    if (bytes[from] !== DOLLAR) {
      return { protocolError: `Protocol error: expected '$', got '${String.fromCharCode(bytes[from])}'` };
    }
    const size = parseStrictInt(bytes, from + 1, to);
    if (size === null || size < 0 || size > this.limits.protoMaxBulkLen) {
      return { protocolError: 'Protocol error: invalid bulk length' };
    }
    if (size > 16384 && this.limits.authRequired) return { protocolError: 'Protocol error: unauthenticated bulk length' };
    // Refuse from the header alone, before the payload is buffered.
    if (this.commandBytes + size > this.limits.clientQueryBufferLimit) return { queryBufferExceeded: true };
    this.bodyLeft = size + 2;
    this.bigArgFrom = size >= BIG_ARG ? this.commandBytes : -1;
    this.state = State.BulkBody;
    return null;
  }

  private nextArgument(): void {
    this.bigArgFrom = -1;
    this.argsLeft--;
    this.state = this.argsLeft > 0 ? State.BulkHeader : State.Idle;
  }
}
