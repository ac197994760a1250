/**
 * Reply values and their RESP2/RESP3 encoding.
 *
 * Handlers return plain values and the connection encodes them for the
 * protocol version the client negotiated, so no handler needs to know it:
 *   string → bulk string (keys and values are latin1 strings: one char per byte)
 *   number / bigint → integer
 *   null → null bulk string (RESP3 null)
 *   array → array
 *   ReplyError → error; the classes below cover the remaining RESP3 types.
 */
import { ReplyError, oneLine } from '../errors.js';

/**
 * An error's text as one protocol line: a CR or LF (a key or group name in
 * the message) becomes a space, as in Redis's addReplyErrorFormat; left in,
 * it would end the line early and desynchronize the client.
 */
function errorLine(message: string): string {
  return message.includes('\n') || message.includes('\r') ? oneLine(message) : message;
}

/** `+text`: a status reply. */
export class SimpleString {
  constructor(readonly text: string) {}
}

/** RESP3 map; a flat array of alternating keys and values in RESP2. */
export class MapReply {
  constructor(readonly flat: Reply[]) {}
}

/** RESP3 set; a plain array in RESP2. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/** RESP3 double; a bulk string in RESP2 (Redis formats it the same way in both). */
export class DoubleReply {
  /** `text` when the command prints the value its own way (GEOPOS coordinates), else %.17g. */
  constructor(readonly value: number, readonly text?: string) {}
}

/** RESP3 verbatim string (`=len\r\ntxt:...`); a bulk string in RESP2. */
export class VerbatimReply {
  constructor(readonly format: string, readonly text: string) {}
}

/** RESP3 boolean; integer 1/0 in RESP2. */
export class BooleanReply {
  constructor(readonly value: boolean) {}
}

/** RESP3 big number; a bulk string in RESP2. */
export class BigNumberReply {
  constructor(readonly digits: string) {}
}

/** RESP3 push (out-of-band data such as pub/sub messages); an array in RESP2. */
export class PushReply {
  private resp2: string | undefined;
  private resp3: string | undefined;

  constructor(readonly items: Reply[]) {}

  /** The encoding, made once: one published message goes to many subscribers. */
  encoded(resp3: boolean): string {
    if (resp3) return (this.resp3 ??= encode(this, true, ''));
    return (this.resp2 ??= encode(this, false, ''));
  }
}

/** RESP3 attribute map in front of a reply; RESP2 drops the attributes. */
export class AttributeReply {
  constructor(readonly attributes: Reply[], readonly value: Reply) {}
}

/** The null array (`*-1`), which RESP2 distinguishes from the null bulk string. */
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

/** Bytes already encoded in RESP, copied verbatim (DEBUG PROTOCOL and friends). */
export class RawReply {
  constructor(readonly resp: string) {}
}

export type Reply =
  | string
  | number
  | bigint
  | null
  | Reply[]
  | ReplyError
  | SimpleString
  | MapReply
  | SetReply
  | DoubleReply
  | VerbatimReply
  | BooleanReply
  | BigNumberReply
  | PushReply
  | AttributeReply
  | NullArray
  | RawReply;

export const OK = new SimpleString('OK');
export const PONG = new SimpleString('PONG');
export const NIL_ARRAY = NullArray.instance;

/**
 * Formats a double the way Redis's addReplyDouble does (`%.17g`, with `inf`,
 * `-inf` and `nan`), and as integers print when the value is integral.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e17) return Object.is(value, -0) ? '-0' : BigInt(value).toString();
  return formatG17(value);
}

/** C's `%.17g`: 17 significant digits, exponent form outside 1e-5 .. 1e17, trailing zeros trimmed. */
function formatG17(value: number): string {
  const [allDigits, exp] = significantDigits(Math.abs(value));
  const digits = allDigits.replace(/0+$/, '');
  const sign = value < 0 ? '-' : '';
  if (exp < -4 || exp >= 17) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits.padEnd(exp + 1, '0');
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * The 17 significant digits of a positive finite double and the decimal
 * exponent of the first one. JS rounds ties away from zero where C's printf
 * rounds them to even, so an exact tie is redone from the exact binary value.
 */
function significantDigits(value: number): [string, number] {
  const [mantissa, exp] = value.toExponential(16).split('e');
  const longer = value.toExponential(24);
  if (longer.slice(18, 26) !== '50000000') return [mantissa.replace('.', ''), Number(exp)];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e2 = (biased === 0 ? 1 : biased) - 1075;
  // value = m * 2^e2 exactly; as a decimal: all = m * 5^-e2 scaled by 10^e2.
  const all = e2 >= 0 ? (m << BigInt(e2)).toString() : (m * 5n ** BigInt(-e2)).toString();
  const exp10 = all.length - 1 + Math.min(e2, 0);
  let head = BigInt(all.slice(0, 17));
  const rest = all.slice(17).replace(/0+$/, '');
  if (rest > '5' || (rest === '5' && head % 2n === 1n)) head += 1n;
  const text = head.toString();
  return text.length > 17 ? [text.slice(0, 17), exp10 + 1] : [text, exp10];
}

const CRLF = '\r\n';

/** Appends the RESP encoding of `reply` to `out` and returns the result. */
export function encode(reply: Reply, resp3: boolean, out: string): string {
  switch (typeof reply) {
    case 'string':
      return out + '$' + reply.length + CRLF + reply + CRLF;
    case 'number':
      return out + ':' + reply + CRLF;
    case 'bigint':
      return out + ':' + reply + CRLF;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot encode reply of type ${typeof reply}`);
  }
  if (reply === null) return out + (resp3 ? '_\r\n' : '$-1\r\n');
  if (Array.isArray(reply)) {
    out += '*' + reply.length + CRLF;
    for (let i = 0; i < reply.length; i++) out = encode(reply[i], resp3, out);
    return out;
  }
  if (reply instanceof SimpleString) return out + '+' + reply.text + CRLF;
  if (reply instanceof ReplyError) return out + '-' + errorLine(reply.message) + CRLF;
  if (reply instanceof MapReply) {
    out += (resp3 ? '%' + reply.flat.length / 2 : '*' + reply.flat.length) + CRLF;
    for (let i = 0; i < reply.flat.length; i++) out = encode(reply.flat[i], resp3, out);
    return out;
  }
  if (reply instanceof SetReply || reply instanceof PushReply) {
    const prefix = resp3 ? (reply instanceof SetReply ? '~' : '>') : '*';
    out += prefix + reply.items.length + CRLF;
    for (let i = 0; i < reply.items.length; i++) out = encode(reply.items[i], resp3, out);
    return out;
  }
  if (reply instanceof DoubleReply) {
    const text = reply.text ?? formatDouble(reply.value);
    return resp3 ? out + ',' + text + CRLF : out + '$' + text.length + CRLF + text + CRLF;
  }
  if (reply instanceof NullArray) return out + (resp3 ? '_\r\n' : '*-1\r\n');
  if (reply instanceof VerbatimReply) {
    if (!resp3) return out + '$' + reply.text.length + CRLF + reply.text + CRLF;
    return out + '=' + (reply.text.length + 4) + CRLF + reply.format + ':' + reply.text + CRLF;
  }
  if (reply instanceof BooleanReply) {
    if (resp3) return out + (reply.value ? '#t\r\n' : '#f\r\n');
    return out + (reply.value ? ':1\r\n' : ':0\r\n');
  }
  if (reply instanceof BigNumberReply) {
    if (resp3) return out + '(' + reply.digits + CRLF;
    return out + '$' + reply.digits.length + CRLF + reply.digits + CRLF;
  }
  if (reply instanceof AttributeReply) {
    if (resp3) {
      out += '|' + reply.attributes.length / 2 + CRLF;
      for (let i = 0; i < reply.attributes.length; i++) out = encode(reply.attributes[i], resp3, out);
    }
    return encode(reply.value, resp3, out);
  }
  return out + reply.resp;
}

/** Nothing at all goes back (SHUTDOWN closes the connection instead of replying). */
export const NO_REPLY = new RawReply('');

const CR = 13;
const LF = 10;
/** Strings shorter than this are copied byte by byte; longer ones by one native call. */
const SHORT_STRING = 64;

/**
 * A client's pending output: replies are encoded straight into a reusable
 * buffer, so a batch of replies costs no intermediate strings, and the flush
 * hands that buffer's bytes to the socket as they are. Rare reply types go
 * through the string encoder.
 */
export class ReplyBuffer {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  /** Appends the encoding of `reply`. */
  write(reply: Reply, resp3: boolean): void {
    if (typeof reply === 'string') {
      this.bulk(reply);
    } else if (typeof reply === 'number' && reply >= 0 && Number.isSafeInteger(reply)) {
      // Counts and lengths, most integer replies: digits in place, no string made.
      this.header(58, reply);
    } else if (typeof reply === 'number' || typeof reply === 'bigint') {
      this.byte(58);
      this.latin1(String(reply));
      this.crlf();
    } else if (reply === null) {
      this.latin1(resp3 ? '_\r\n' : '$-1\r\n');
    } else if (Array.isArray(reply) || reply instanceof MapReply || reply instanceof SetReply) {
      this.writeNested(reply, resp3);
    } else if (reply instanceof SimpleString) {
      this.byte(43);
      this.latin1(reply.text);
      this.crlf();
    } else if (reply instanceof PushReply) {
      this.latin1(reply.encoded(resp3));
    } else {
      this.latin1(encode(reply, resp3, ''));
    }
  }

  /**
   * The containers writeNested is inside of, with the position of their
   * next element: kept from one reply to the next, so nesting costs no
   * object per level.
   */
  private readonly outerItems: Reply[][] = [];
  private readonly outerNext: number[] = [];

  /** Containers within containers go by an explicit stack: a script can return them thousands deep. */
  private writeNested(root: Reply[] | MapReply | SetReply, resp3: boolean): void {
    let items = this.openContainer(root, resp3)!;
    let next = 0;
    const outerItems = this.outerItems;
    const outerNext = this.outerNext;
    const bottom = outerItems.length;
    try {
      for (;;) {
        if (next === items.length) {
          if (outerItems.length === bottom) return;
          items = outerItems.pop()!;
          next = outerNext.pop()!;
        } else {
          const item = items[next++];
          // Most elements are bulk strings: they skip the container tests.
          if (typeof item === 'string') {
            this.bulk(item);
            continue;
          }
          const children = this.openContainer(item, resp3);
          if (children === undefined) {
            this.write(item, resp3);
          } else {
            outerItems.push(items);
            outerNext.push(next);
            items = children;
            next = 0;
          }
        }
      }
    } finally {
      // A reply too large to encode leaves by an exception: the stack must not keep its containers.
      outerItems.length = bottom;
      outerNext.length = bottom;
    }
  }

  /** For an array, map or set: writes its header and returns its elements; undefined for anything else. */
  private openContainer(reply: Reply, resp3: boolean): Reply[] | undefined {
    if (Array.isArray(reply)) {
      this.header(42, reply.length);
      return reply;
    }
    if (reply instanceof MapReply) {
      this.header(resp3 ? 37 : 42, resp3 ? reply.flat.length / 2 : reply.flat.length);
      return reply.flat;
    }
    if (reply instanceof SetReply) {
      this.header(resp3 ? 126 : 42, reply.items.length);
      return reply.items;
    }
    return undefined;
  }

  private header(type: number, length: number): void {
    this.reserve(24);
    this.buf[this.length++] = type;
    this.digits(length);
    this.buf[this.length++] = CR;
    this.buf[this.length++] = LF;
  }

  /** `$len\r\ntext\r\n`, with one capacity check: most replies are made of these. */
  private bulk(text: string): void {
    const n = text.length;
    this.reserve(n + 24);
    const buf = this.buf;
    buf[this.length++] = 36;
    this.digits(n);
    let at = this.length;
    buf[at++] = CR;
    buf[at++] = LF;
    if (n < SHORT_STRING) {
      for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    } else {
      at += buf.write(text, at, n, 'latin1');
    }
    buf[at++] = CR;
    buf[at++] = LF;
    this.length = at;
  }

  /** A length's decimal digits, written in place (room reserved by the caller): no string made per reply. */
  private digits(value: number): void {
    const buf = this.buf;
    if (value < 10) {
      buf[this.length++] = 48 + value;
      return;
    }
    let width = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) width++;
    let at = this.length + width;
    this.length = at;
    for (let v = value; width > 0; width--) {
      const q = Math.floor(v / 10);
      buf[--at] = 48 + (v - q * 10);
      v = q;
    }
  }

  /** Appends bytes already in RESP form. */
  latin1(text: string): void {
    const n = text.length;
    this.reserve(n);
    if (n < SHORT_STRING) {
      const buf = this.buf;
      let at = this.length;
      for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
      this.length = at;
    } else {
      this.length += this.buf.write(text, this.length, n, 'latin1');
    }
  }

  /** A command as a client sends it, an array of bulk strings (the propagated stream). */
  command(args: readonly string[]): void {
    this.header(42, args.length);
    for (let i = 0; i < args.length; i++) this.bulk(args[i]);
  }

  /** Appends bytes already in RESP form. */
  bytes(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.length += bytes.copy(this.buf, this.length);
  }

  /** The pending bytes, in place: follow with `clear` or `release`. */
  pending(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Starts empty in the same buffer, once nothing holds on to its bytes any more. */
  clear(): void {
    this.length = 0;
    // A huge reply should not pin its buffer for the life of the connection.
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(1024);
  }

  /** Starts empty in a new buffer, leaving the old one to whoever still holds its bytes. */
  release(): void {
    this.length = 0;
    this.buf = Buffer.allocUnsafe(1024);
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  private crlf(): void {
    this.reserve(2);
    this.buf[this.length++] = CR;
    this.buf[this.length++] = LF;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}
