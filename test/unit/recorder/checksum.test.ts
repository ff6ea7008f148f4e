// The checksums a recording stores: CRC-32 as zlib computes it, and a row's CRC
// as the CRC of its documented byte encoding, whichever way its values are
// read back (a notable row's addresses as SQLite's two 32-bit halves).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { crc32, crc32js, intRowCrc, RowCrc } from '../../../src/recorder/checksum.js';
import Database from 'better-sqlite3';
import { NOTABLE_HASH_SQL, notableHash } from '../../../src/recorder/row-crcs.js';
import { addrToSql, RUN_TABLES_SQL } from '../../../src/recorder/schema.js';

/** The encoding the schema documents, laid out byte by byte (independent of RowCrc's running sum). */
function encode(values: readonly (null | bigint | number | string)[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) {
    if (v === null) parts.push(Buffer.from([0]));
    else if (typeof v === 'bigint') {
      const b = Buffer.alloc(9);
      b[0] = 1;
      b.writeBigUInt64LE(BigInt.asUintN(64, v), 1);
      parts.push(b);
    } else if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b[0] = 2;
      b.writeDoubleLE(v, 1);
      parts.push(b);
    } else {
      const text = Buffer.from(v, 'utf8');
      const head = Buffer.alloc(5);
      head[0] = 3;
      head.writeUInt32LE(text.length, 1);
      parts.push(head, text);
    }
  }
  return Buffer.concat(parts);
}

describe('crc32', () => {
  it('is CRC-32 (IEEE): the check value of "123456789", and zlib\'s for any bytes and seed', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32js(Buffer.from('123456789')), 0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 2 ** 32 - 1 }), (bytes, seed) => {
        assert.equal(crc32js(bytes, seed), crc32(bytes, seed));
        const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
        if (native) assert.equal(crc32(bytes, seed), native(bytes, seed));
      }),
    );
  });
});

describe('RowCrc', () => {
  it("is the CRC of the row's documented encoding", () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 12 }), (values) => {
        const row = new RowCrc();
        for (const v of values) row.value(v);
        assert.equal(row.crc(), crc32(encode(values)));
      }),
    );
  });

  it('of whole numbers only, summed in one loop (intRowCrc), is the same', () => {
    const whole = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 32 + 5 }), fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }).map((p) => Number(p * 4096n)), fc.integer().map((n) => -Math.abs(n) * 4096));
    fc.assert(
      fc.property(fc.array(fc.oneof(whole, fc.double({ noNaN: true })), { maxLength: 10 }), (values) => {
        const row = new RowCrc();
        for (const v of values) row.int(v);
        assert.equal(intRowCrc(values, values.length), row.crc());
      }),
    );
  });

  it('encodes an address as the unsigned value written, however it is read back', () => {
    const address = fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }).map((page) => Number(page * 4096n));
    fc.assert(
      fc.property(address, (addr) => {
        const written = new RowCrc().int(addr).crc();
        // As SQLite stores it (signed 64-bit) and hands it back with safe integers.
        const signed = BigInt.asIntN(64, BigInt(addr));
        assert.equal(new RowCrc().bigint(signed).crc(), written);
        // As notable-store reads it: (addr >> 32) & 0xffffffff and addr & 0xffffffff of the signed value.
        const u = BigInt.asUintN(64, signed);
        assert.equal(new RowCrc().halves(Number(u >> 32n), Number(u & 0xffffffffn)).crc(), written);
      }),
    );
    // Negative values (return codes) are their two's complement.
    assert.equal(new RowCrc().int(-12).crc(), crc32(encode([-12n])));
  });

});

describe('notableHash', () => {
  it('is the hash SQLite computes of the row as stored (NOTABLE_HASH_SQL), for any addresses and values', () => {
    const db = new Database(':memory:');
    db.exec(RUN_TABLES_SQL);
    const insert = db.prepare('INSERT OR REPLACE INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const hash = db.prepare(`SELECT ${NOTABLE_HASH_SQL} FROM notable n WHERE run = ? AND seq = ?`).pluck();
    const address = fc.option(fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }).map((page) => Number(page * 4096n)));
    const small = fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    fc.assert(
      fc.property(
        fc.nat({ max: 5000 }),
        fc.nat({ max: 2 ** 40 }),
        fc.nat({ max: 26 }),
        fc.option(fc.nat({ max: 4 })),
        address,
        address,
        small,
        small,
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.nat({ max: 1 << 20 }),
        fc.nat({ max: 2 ** 40 }),
        (run, seq, kind, level, addr, next, depth, value, count, seqStep, addrStep) => {
          const row = { seq, kind, level, addr, next, depth, value, count, seqStep, addrStep };
          insert.run(run, seq, kind, level, addr === null ? null : addrToSql(addr), next === null ? null : addrToSql(next), depth, value, count, seqStep, addrStep);
          assert.equal(notableHash(run, row), hash.get(run, seq));
        },
      ),
    );
    db.close();
  });
});
