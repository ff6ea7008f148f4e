// SPDX-License-Identifier: GPL-2.0-only
/**
 * The checksums that let a reader tell a damaged recording from a good one:
 * CRC-32 (zlib's, IEEE 802.3) of every blob and text a recording stores, and
 * of every row's values in one canonical byte encoding (RowCrc).
 *
 * A CRC detects damage (a flipped bit, a zeroed page, an edited field), not
 * forgery: whoever edits a recording and recomputes its checksums can make it
 * say anything. 32-bit operators here work on checksum words, never on
 * addresses: addresses are split into two 32-bit halves by arithmetic.
 */
import * as zlib from 'node:zlib';

/** The CRC-32 lookup table (reflected polynomial 0xedb88320). */
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Tables for four bytes at a step (slicing-by-4): SLICES[k][b] is the CRC of byte b followed by k zero bytes. */
const SLICES = (() => {
  const slices = [TABLE, new Int32Array(256), new Int32Array(256), new Int32Array(256)];
  for (let k = 1; k < 4; k++) for (let n = 0; n < 256; n++) slices[k]![n] = TABLE[slices[k - 1]![n]! & 0xff]! ^ (slices[k - 1]![n]! >>> 8);
  return slices;
})();
const [S0, S1, S2, S3] = SLICES as [Int32Array, Int32Array, Int32Array, Int32Array];

/** CRC-32 in JavaScript: for short inputs (a row), where calling into zlib costs more than the sum itself. */
export function crc32js(data: Uint8Array, seed = 0, end = data.length): number {
  let c = ~seed;
  for (let i = 0; i < end; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** zlib's crc32 (Node 20.15 and later). */
const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data`, continuing from `seed` (0 to start): zlib's when Node has it. */
export function crc32(data: Uint8Array, seed = 0): number {
  if (native && data.length >= 64) return native(data, seed);
  return crc32js(data, seed);
}

/** Add a row's CRC into a total (mod 2^32): the CRC of a set of rows, whatever their order. */
export function addCrc(total: number, crc: number): number {
  return (total + crc) % 4294967296;
}

const TWO_32 = 4294967296;

/**
 * The steps of RowCrc on a bare CRC register (start from CRC_START, end with
 * crcEnd): for the rows a reader checks by the tens of thousands when it opens
 * a recording, before the JIT has made anything fast, without an object per
 * value. crcInt takes whole numbers only (from -2^63 to 2^64 - 1).
 */
export const CRC_START = -1;

export function crcEnd(c: number): number {
  return ~c >>> 0;
}

export function crcNull(c: number): number {
  return TABLE[c & 0xff]! ^ (c >>> 8);
}

export function crcHalves(c: number, hi: number, lo: number): number {
  c = TABLE[(c ^ 1) & 0xff]! ^ (c >>> 8);
  c ^= lo;
  c = S3[c & 0xff]! ^ S2[(c >>> 8) & 0xff]! ^ S1[(c >>> 16) & 0xff]! ^ S0[c >>> 24]!;
  c ^= hi;
  return S3[c & 0xff]! ^ S2[(c >>> 8) & 0xff]! ^ S1[(c >>> 16) & 0xff]! ^ S0[c >>> 24]!;
}

export function crcInt(c: number, v: number): number {
  if (v >= 0 && v < TWO_32) return crcHalves(c, 0, v);
  const hi = Math.floor(v / TWO_32);
  return crcHalves(c, hi < 0 ? hi + TWO_32 : hi % TWO_32, v - hi * TWO_32);
}

/** RowCrc of a row of `n` numbers: whole ones as RowCrc.int() takes them; a row with any other goes through RowCrc. */
export function intRowCrc(values: ArrayLike<number>, n: number): number {
  let c = CRC_START;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) {
      const row = new RowCrc();
      for (let j = 0; j < n; j++) row.int(values[j]!);
      return row.crc();
    }
    c = crcInt(c, v);
  }
  return crcEnd(c);
}

/**
 * The CRC of a row's values, in order, each as a tag byte and its bytes:
 * null 0; an integer 1 and its 64-bit two's complement, little-endian (so an
 * address read back from SQLite as a signed integer, or as two 32-bit halves,
 * encodes as the unsigned address written); a real 2 and its float64; a text
 * 3, its UTF-8 length (32 bits) and bytes; a blob 4, its length and bytes.
 * Feed the values, then take crc(). The CRC runs as the values come: no
 * bytes are laid out for numbers (a writer sums a row per table version).
 */
export class RowCrc {
  /** The running CRC register (inverted, as CRC-32 keeps it). */
  private c = -1;
  private readonly floatBytes = new Uint8Array(8);
  private readonly float = new DataView(this.floatBytes.buffer);

  private byte(b: number): void {
    this.c = TABLE[(this.c ^ b) & 0xff]! ^ (this.c >>> 8);
  }

  /** A 32-bit word (0 to 2^32 - 1), little-endian: its four bytes in one step. */
  private word(w: number): void {
    const c = this.c ^ w;
    this.c = S3[c & 0xff]! ^ S2[(c >>> 8) & 0xff]! ^ S1[(c >>> 16) & 0xff]! ^ S0[c >>> 24]!;
  }

  private bytes(data: Uint8Array): void {
    this.word(data.length);
    this.c = ~crc32(data, ~this.c >>> 0);
  }

  /** An integer as its two 32-bit halves (each 0 to 2^32 - 1). */
  halves(hi: number, lo: number): this {
    this.byte(1);
    this.word(lo);
    this.word(hi);
    return this;
  }

  /** An exact integer (a JS number, from -2^63 to 2^64 - 1: a signed value or an unsigned address), or null. */
  int(v: number | null): this {
    if (v === null) return this.null();
    if (v >= 0 && v < TWO_32 && v === Math.floor(v)) {
      // Most values of a row (seqs, counts, levels, checksums): the high half is 0.
      this.byte(1);
      this.word(v);
      this.word(0);
      return this;
    }
    if (!Number.isInteger(v)) return this.real(v);
    const hi = Math.floor(v / TWO_32);
    return this.halves(hi < 0 ? hi + TWO_32 : hi % TWO_32, v - hi * TWO_32);
  }

  /** An integer as SQLite hands it over with safe integers on. */
  bigint(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    return this.halves(Number(u / 4294967296n), Number(u % 4294967296n));
  }

  real(v: number): this {
    this.byte(2);
    this.float.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(this.floatBytes[i]!);
    return this;
  }

  text(s: string | null): this {
    if (s === null) return this.null();
    this.byte(3);
    this.bytes(Buffer.from(s, 'utf8'));
    return this;
  }

  null(): this {
    this.byte(0);
    return this;
  }

  /**
   * A value of a column without a type (meta's), as it is bound and as
   * SQLite hands it back with safe integers on: null, text, an integer (a
   * bigint) or a real (a number, even a whole one: 4096.0 is not 4096).
   */
  value(v: unknown): this {
    if (v === null || v === undefined) return this.null();
    if (typeof v === 'bigint') return this.bigint(v);
    if (typeof v === 'number') return this.real(v);
    if (typeof v === 'string') return this.text(v);
    // A blob (walkback never stores one in an untyped column): its bytes, tagged apart from text.
    this.byte(4);
    this.bytes(v instanceof Uint8Array ? v : Buffer.from(String(v)));
    return this;
  }

  /** The CRC of the values fed since the last crc(); starts a new row. */
  crc(): number {
    const c = ~this.c >>> 0;
    this.c = -1;
    return c;
  }
}
