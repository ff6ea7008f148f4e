// Geometry arithmetic and folding, checked against the kernel's definitions
// (asm-generic pgtable-nop4d.h / nopud.h / nopmd.h, real_depth(), p?d_addr_end())
// and against BigInt reference computations near the top of the address space.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LevelIndex } from '../../../src/events/walk-event.js';
import { GEOMETRIES, hex, levelAddrEnd, realDepth, slotIndex, tableAddr, tableBase } from '../../../src/mm/geometry.js';

const { x86_64, 'x86_64-la57': la57, 'arm64-4k-39': arm39, 'arm64-64k-48': arm64k, i386 } = GEOMETRIES;

describe('geometry tables', () => {
  it('folds the levels the nop headers fold', () => {
    assert.deepEqual(x86_64.real, [true, false, true, true, true]);
    assert.deepEqual(la57.real, [true, true, true, true, true]);
    assert.deepEqual(arm39.real, [true, false, false, true, true]);
    assert.deepEqual(arm64k.real, [true, false, false, true, true]);
    assert.deepEqual(i386.real, [true, false, false, false, true]);
  });

  it('gives a folded level one entry and the shift of the level above', () => {
    assert.deepEqual(x86_64.ptrs, [512, 1, 512, 512, 512]);
    assert.deepEqual(x86_64.shift, [39, 39, 30, 21, 12]);
    assert.deepEqual(arm64k.shift, [42, 42, 42, 29, 16]);
    assert.deepEqual(arm64k.ptrs, [64, 1, 1, 8192, 8192]);
    assert.deepEqual(i386.shift, [22, 22, 22, 22, 12]);
    assert.deepEqual(i386.ptrs, [1024, 1, 1, 1, 1024]);
  });

  it('has a real none check only where the level below is not folded', () => {
    assert.deepEqual(x86_64.noneCheck, [false, true, true, true, false]);
    assert.deepEqual(la57.noneCheck, [true, true, true, true, false]);
    assert.deepEqual(arm39.noneCheck, [false, false, true, true, false]);
    assert.deepEqual(i386.noneCheck, [false, false, false, true, false]);
  });

  it('keeps a folded level in the table of the real level above', () => {
    assert.deepEqual(x86_64.slotTable, [0, 0, 2, 3, 4]);
    assert.deepEqual(arm39.slotTable, [0, 0, 0, 3, 4]);
    assert.deepEqual(i386.slotTable, [0, 0, 0, 0, 4]);
  });

  it('has the tops of user space of the spec', () => {
    assert.equal(x86_64.userTop, 0x7ffffffff000);
    assert.equal(la57.userTop, 0xfffffffffff000);
    assert.equal(arm39.userTop, 0x8000000000);
    assert.equal(arm64k.userTop, 0x1000000000000);
    assert.equal(i386.userTop, 0xc0000000);
  });

  it('offers the huge sizes of each geometry', () => {
    assert.deepEqual([x86_64.hugePmd, x86_64.hugePud], [2 ** 21, 2 ** 30]);
    assert.deepEqual([arm39.hugePmd, arm39.hugePud], [2 ** 21, 0]);
    assert.deepEqual([arm64k.hugePmd, arm64k.hugePud], [2 ** 29, 0]);
    // i386 without PAE: a 4 MiB PMD THP (the pgd entry, seen through the folded pmd), no PUD THP.
    assert.deepEqual([i386.hugePmd, i386.hugePud], [2 ** 22, 0]);
    assert.deepEqual(i386.hugetlbSizes, [2 ** 22]);
  });
});

describe('realDepth', () => {
  it('reports holes at the real level, skipping folded ones', () => {
    assert.deepEqual([0, 1, 2, 3].map((d) => realDepth(x86_64, d)), [0, 0, 2, 3]);
    assert.deepEqual([0, 1, 2, 3].map((d) => realDepth(la57, d)), [0, 1, 2, 3]);
    assert.deepEqual([0, 1, 2, 3].map((d) => realDepth(arm39, d)), [0, 0, 0, 3]);
    assert.deepEqual([0, 1, 2, 3].map((d) => realDepth(i386, d)), [0, 0, 0, 0]);
  });
});

describe('levelAddrEnd', () => {
  it('returns the next boundary when it comes before end', () => {
    assert.equal(levelAddrEnd(x86_64, 3, 0x5fe000, 0x601000), 0x600000);
    assert.equal(levelAddrEnd(x86_64, 2, 0x3fffe000, 0x40002000), 0x40000000);
  });

  it('returns end for a folded level', () => {
    assert.equal(levelAddrEnd(x86_64, 1, 0x5fe000, 0x8000200000), 0x8000200000);
    assert.equal(levelAddrEnd(i386, 3, 0x7fe000, 0x802000), 0x802000);
  });

  it('returns end when the boundary wraps past the top of the address space', () => {
    assert.equal(levelAddrEnd(x86_64, 0, 0xffffff8000000000, 0xfffffffffffff000), 0xfffffffffffff000);
    assert.equal(levelAddrEnd(x86_64, 3, 0xffffffffffe00000, 0xfffffffffffff000), 0xfffffffffffff000);
    assert.equal(levelAddrEnd(i386, 0, 0xffc00000, 0xfffff000), 0xfffff000);
  });

  it('agrees with the kernel formula computed in BigInt for page-aligned 64-bit addresses', () => {
    const pages = fc.bigInt({ min: 0n, max: (1n << 52n) - 1n });
    fc.assert(
      fc.property(pages, pages, fc.constantFrom<LevelIndex>(0, 2, 3), (a, b, level) => {
        const [lo, hi] = a < b ? [a, b] : [b, a + 1n];
        const addr = lo * 4096n;
        const end = hi * 4096n;
        const mask = (1n << 64n) - 1n;
        const size = 1n << BigInt(x86_64.shift[level]!);
        const boundary = ((addr + size) & ~(size - 1n)) & mask;
        const expected = ((boundary - 1n) & mask) < ((end - 1n) & mask) ? boundary : end;
        assert.equal(BigInt(levelAddrEnd(x86_64, level, Number(addr), Number(end))), expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('slots and tables', () => {
  it('indexes the last page of the address space as slot 511 at every level', () => {
    const top = 0xfffffffffffff000;
    assert.deepEqual(([0, 2, 3, 4] as LevelIndex[]).map((l) => slotIndex(x86_64, l, top)), [511, 511, 511, 511]);
  });

  it('matches the BigInt index arithmetic for any page of the 64-bit space', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), (page) => {
        const addr = page * 4096n;
        for (const level of [0, 2, 3, 4] as LevelIndex[]) {
          const expected = (addr >> BigInt(x86_64.shift[level]!)) & 511n;
          assert.equal(BigInt(slotIndex(x86_64, level, Number(addr))), expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('aliases the kernel half onto the pgd as the hardware does (modulo the pgd span)', () => {
    assert.equal(tableAddr(x86_64, 0xffff888000000000), 0x888000000000);
    assert.equal(slotIndex(x86_64, 0, 0xffff888000000000), 273);
    assert.equal(tableBase(x86_64, 2, 0xffff888040000000), 0x888000000000);
    assert.equal(tableBase(la57, 1, 0xff00000000000000), 0x100000000000000); // (2^64 - 2^56) mod 2^57 = 2^56
  });

  it('formats addresses as the kernel prints them, exactly up to 2^64', () => {
    assert.equal(hex(0xfffffffffffff000), '0xfffffffffffff000');
    assert.equal(hex(0xffff800000000000), '0xffff800000000000');
    assert.equal(hex(0), '0x0');
  });
});
