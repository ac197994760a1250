/**
 * Writing listpacks, Redis's compact sequence of strings and integers, in
 * its exact byte layout (the element encodings of listpack.c's lpEncode*),
 * so that redis-server reads what we write. Reading is listpackEntries in
 * encodings.ts.
 */

/** Text that Redis's string2ll takes as a 64-bit integer: no sign but '-', no leading zeros, nothing around it. */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]{0,18})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class ListpackWriter {
  private readonly parts: Buffer[] = [];
  private bytes = 6;
  private count = 0;

  /** A string element; one that reads as a 64-bit integer is stored as that integer, as lpAppend does. */
  string(s: string): void {
    if (s.length <= 20 && INTEGER_TEXT.test(s)) {
      const n = BigInt(s);
      if (n >= INT64_MIN && n <= INT64_MAX) {
        this.integer(n);
        return;
      }
    }
    const len = s.length;
    let head: Buffer;
    if (len < 64) {
      head = Buffer.from([0x80 | len]);
    } else if (len < 4096) {
      head = Buffer.from([0xe0 | (len >> 8), len & 0xff]);
    } else {
      head = Buffer.alloc(5);
      head[0] = 0xf0;
      head.writeUInt32LE(len, 1);
    }
    this.element(Buffer.concat([head, Buffer.from(s, 'latin1')]));
  }

  /** An integer element in the smallest of listpack's integer encodings. */
  integer(value: bigint | number): void {
    const n = BigInt(value);
    let enc: Buffer;
    if (n >= 0n && n <= 127n) {
      enc = Buffer.from([Number(n)]);
    } else if (n >= -4096n && n <= 4095n) {
      const u = Number(BigInt.asUintN(13, n));
      enc = Buffer.from([0xc0 | (u >> 8), u & 0xff]);
    } else if (n >= -32768n && n <= 32767n) {
      enc = Buffer.alloc(3);
      enc[0] = 0xf1;
      enc.writeInt16LE(Number(n), 1);
    } else if (n >= -8388608n && n <= 8388607n) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf2;
      enc.writeIntLE(Number(n), 1, 3);
    } else if (n >= -2147483648n && n <= 2147483647n) {
      enc = Buffer.alloc(5);
      enc[0] = 0xf3;
      enc.writeInt32LE(Number(n), 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(BigInt.asIntN(64, n), 1);
    }
    this.element(enc);
  }

  /** The whole listpack: header (total bytes, element count), elements, end marker. */
  finish(): Buffer {
    const head = Buffer.alloc(6);
    head.writeUInt32LE(this.bytes + 1, 0);
    head.writeUInt16LE(Math.min(this.count, 65535), 4);
    return Buffer.concat([head, ...this.parts, Buffer.from([0xff])]);
  }

  /** Bytes so far, as the final listpack would have them. */
  get size(): number {
    return this.bytes + 1;
  }

  private element(encoded: Buffer): void {
    const back = backlen(encoded.length);
    this.parts.push(encoded, back);
    this.bytes += encoded.length + back.length;
    this.count++;
  }
}

/** An element's length, written after it so the listpack can be walked backwards (lpEncodeBacklen). */
function backlen(l: number): Buffer {
  if (l <= 127) return Buffer.from([l]);
  if (l < 16383) return Buffer.from([l >> 7, (l & 127) | 128]);
  if (l < 2097151) return Buffer.from([l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  if (l < 268435455) return Buffer.from([l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  return Buffer.from([Math.floor(l / 2 ** 28), ((l >> 21) & 127) | 128, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]);
}
