// Each level of the walker, one behaviour per test, on small scenarios whose
// expected traces follow from mm/pagewalk.c (the reasoning is in each name).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '../../helpers/run.js';

const x86 = (body: string): string => `arch: x86_64\n${body}`;

describe('walkPteRange', () => {
  it('calls pte_entry for every PTE of [addr, next), none ones included, and stops at end', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: pte, at: 0x401000 }]
walk: { start: 0x400000, end: 0x403000, ops: { pte_entry: ok } }`),
    );
    assert.deepEqual(lines, [
      'walk walk_page_range 0x400000 0x403000',
      'pte_entry 0x400000 0x401000',
      'pte_entry 0x401000 0x402000',
      'pte_entry 0x402000 0x403000',
      'ret 0',
    ]);
  });

  it('with install_pte, installs only into none PTEs and hands markers and present PTEs to pte_entry', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: pte, at: 0x400000 }, { kind: guard, at: 0x402000 }]
walk: { api: walk_page_range_mm, start: 0x400000, end: 0x403000, ops: { pte_entry: ok, install_pte: { install: pte } } }`),
    );
    assert.deepEqual(lines.slice(1, -1), [
      'pte_entry 0x400000 0x401000',
      'install_pte 0x401000 0x402000',
      'set_pte 0x401000',
      'pte_entry 0x402000 0x403000',
    ]);
  });

  it('returns the first non-zero pte_entry result at once', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: pte, at: 0x400000, count: 3 }]
walk: { start: 0x400000, end: 0x403000, ops: { pte_entry: [{ at: 0x401000, return: -14 }] } }`),
    );
    assert.deepEqual(lines.slice(-2), ['pte_entry 0x401000 0x402000', 'ret -14']);
  });
});

describe('walkPmdRange', () => {
  it('reports a none pmd to pte_hole at depth 3 and moves to the next entry', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x800000 }]
state: [{ kind: pte, at: 0x600000 }]
walk: { start: 0x400000, end: 0x601000, ops: { pmd_entry: ok, pte_hole: ok } }`),
    );
    assert.deepEqual(lines.slice(1, -1), ['hole 0x400000 0x600000 3', 'pmd_entry 0x600000 0x601000']);
  });

  it('does not descend without pte_entry (nor split a THP)', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0xa00000 }]
state: [{ kind: thp-pmd, at: 0x600000 }]
walk: { start: 0x600000, end: 0x602000, ops: { pmd_entry: ok } }`),
    );
    assert.deepEqual(lines, ['walk walk_page_range 0x600000 0x602000', 'pmd_entry 0x600000 0x602000', 'ret 0']);
  });

  it('skips the PTEs of a pmd whose pmd_entry sets ACTION_CONTINUE, even over a THP with pte_entry', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0xa00000 }]
state: [{ kind: thp-pmd, at: 0x600000 }]
walk: { start: 0x600000, end: 0x602000, ops: { pmd_entry: [{ if: huge, action: continue }], pte_entry: ok } }`),
    );
    assert.deepEqual(lines, ['walk walk_page_range 0x600000 0x602000', 'pmd_entry 0x600000 0x602000', 'ret 0']);
  });

  it('calls pmd_entry once per VMA for a PTE table shared by two VMAs, with clipped ranges (case 5)', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x402000 }, { start: 0x404000, end: 0x406000 }]
state: [{ kind: pte, at: 0x400000 }]
walk: { start: 0x400000, end: 0x406000, ops: { pmd_entry: ok, pte_hole: ok } }`),
    );
    assert.deepEqual(lines.slice(1, -1), [
      'pmd_entry 0x400000 0x402000',
      'hole 0x402000 0x404000 -1',
      'pmd_entry 0x404000 0x406000',
    ]);
  });
});

describe('walkPudRange', () => {
  it('reports a none pud at depth 2 on x86_64', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x0, end: 0x40200000 }]
state: [{ kind: pte, at: 0x0 }]
walk: { start: 0x40000000, end: 0x40200000, ops: { pmd_entry: ok, pte_hole: ok } }`),
    );
    assert.deepEqual(lines[1], 'hole 0x40000000 0x40200000 2');
  });

  it('reports a none pud at depth 0 on arm64 4K/39, where the pud is folded into the pgd entry', () => {
    const lines = trace(`arch: arm64-4k-39
vmas: [{ start: 0x40000000, end: 0x40200000 }]
walk: { start: 0x40000000, end: 0x40200000, ops: { pmd_entry: ok, pte_hole: ok } }`);
    assert.deepEqual(lines[1], 'hole 0x40000000 0x40200000 0');
  });
});

describe('walkPgdRange and walkP4dRange', () => {
  it('calls pgd_entry on an empty slot when the p4d is folded, and finds the hole at the p4d level (depth 0)', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x600000 }]
walk: { start: 0x400000, end: 0x600000, ops: { pgd_entry: ok, p4d_entry: ok, pte_hole: ok } }`),
    );
    assert.deepEqual(lines.slice(1, -1), ['pgd_entry 0x400000 0x600000', 'hole 0x400000 0x600000 0']);
  });

  it('reports an empty pgd slot at depth 0 from walk_pgd_range on 5 levels, before any callback', () => {
    const lines = trace(`arch: x86_64-la57
vmas: [{ start: 0x400000, end: 0x600000 }]
walk: { start: 0x400000, end: 0x600000, ops: { pgd_entry: ok, p4d_entry: ok, pte_hole: ok } }`);
    assert.deepEqual(lines.slice(1, -1), ['hole 0x400000 0x600000 0']);
  });
});

describe('walk_hugetlb_range', () => {
  it('steps one huge page at a time from an unaligned start', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x40000000, end: 0x40600000, hugetlb: 2M }]
state: [{ kind: hugetlb, at: 0x40000000 }]
walk: { start: 0x40001000, end: 0x40500000, ops: { hugetlb_entry: ok } }`),
    );
    assert.deepEqual(lines.slice(1, -1), [
      'hugetlb_entry 0x40001000 0x40200000',
      'hugetlb_entry 0x40200000 0x40400000',
      'hugetlb_entry 0x40400000 0x40500000',
    ]);
  });

  it('always finds the slot on i386, where the 4M hugetlb entry is the pgd entry', () => {
    const lines = trace(`arch: i386
vmas: [{ start: 0x800000, end: 0x1000000, hugetlb: 4M }]
walk: { start: 0x800000, end: 0x1000000, ops: { hugetlb_entry: ok, pte_hole: ok } }`);
    assert.deepEqual(lines.slice(1, -1), ['hugetlb_entry 0x800000 0xc00000', 'hugetlb_entry 0xc00000 0x1000000']);
  });
});

describe('faults and clients', () => {
  it('counts allocations across the walks of a guard-install client', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x800000 }]
state: [{ kind: pte, at: 0x5ff000 }]
walk: { api: walk_page_range_mm, start: 0x5fe000, end: 0x601000, ops: { preset: guard-install } }
faults: [{ alloc: 1 }]`),
    );
    // Walk 1 stops at the present PTE before needing a table; the zap clears it; walk 2's
    // first allocation (the PTE table above 6M) is the scenario's first, and fails.
    assert.deepEqual(lines.slice(-3), ['alloc_fail pte 0x600000', 'ret -12', 'ret -12']);
    assert.equal(lines.filter((l) => l.startsWith('walk ')).length, 2);
    assert.equal(lines.filter((l) => l.startsWith('alloc')).length, 1);
  });

  it('stops a walk that asks for ACTION_AGAIN every time, where the kernel would loop forever', () => {
    const lines = trace(
      x86(`
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: pte, at: 0x400000 }]
walk: { start: 0x400000, end: 0x401000, ops: { pmd_entry: [{ action: again }] } }`),
    );
    assert.equal(lines.filter((l) => l.startsWith('pmd_entry')).length, 1000);
    assert.ok(!lines.some((l) => l.startsWith('ret')));
  });
});
