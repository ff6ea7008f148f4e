// SPDX-License-Identifier: GPL-2.0-only
// The i386 (non-PAE, PSE) 4 MiB PMD THP: the pgd entry, seen through the folded pmd
// (spec/kernel-semantics.md section 3). The folded pud above it is present and never a leaf
// (x86's PSE-testing pud_leaf() is built only with more than 2 levels, and pud_trans_huge() is
// the generic 0 without HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD), so pgd/p4d/pud_entry see a table,
// a no-VMA walk goes on to walk_pmd_range() and calls pmd_entry, and 7.0's PUD re-validation
// never fires. The walker meets the THP where it reads the (folded) pmd, with x86_64's split
// and install rules. Expected traces follow from mm/pagewalk.c and mm/madvise.c by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Entry } from '../../../src/events/walk-event.js';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import { ScenarioError } from '../../../src/scenario/errors.js';
import { runScenario } from '../../../src/walker/run.js';
import { events, trace } from '../../helpers/run.js';

const KERNELS = ['6.13', '7.0'] as const;

/** An i386 mm with a 4 MiB THP at 0x800000 in [0x400000, 0x1000000) (pfnmap: a huge pfnmap mapping). */
const i386 = (kernel: string, walk: string, vma = 'thp: true'): string => `arch: i386
kernel: "${kernel}"
vmas: [{ start: 0x400000, end: 0x1000000, ${vma} }]
state: [{ kind: thp-pmd, at: 0x800000 }]
walk: ${walk}`;

describe('i386 4 MiB THP: the scenario', () => {
  it('accepts thp-pmd at 4 MiB alignment and puts a huge entry in the pgd slot', () => {
    const scenario = parseScenario(i386('6.13', '{ start: 0x800000, end: 0xc00000, ops: { pmd_entry: ok } }'));
    const mm = runScenario(scenario, () => {}).mm;
    assert.equal(mm.entry(3, 0x800000), Entry.HUGE);
    // One real table, the pgd, holds it: slot 2 (0x800000 >> 22).
    assert.deepEqual(mm.dump(), ['pgd 0 2:4']);
  });

  it('refuses a thp-pmd that is only 2 MiB aligned, and any thp-pud', () => {
    const at2m = `arch: i386
vmas: [{ start: 0x400000, end: 0x1000000 }]
state: [{ kind: thp-pmd, at: 0xa00000 }]
walk: { start: 0x400000, end: 0x1000000 }`;
    assert.throws(() => parseScenario(at2m), (e: unknown) => e instanceof ScenarioError && /0xa00000 is not 4M aligned \(thp-pmd\)/.test(e.message));
    const pud = at2m.replace('thp-pmd, at: 0xa00000', 'thp-pud, at: 0x800000');
    assert.throws(() => parseScenario(pud), (e: unknown) => e instanceof ScenarioError && /i386 has no PUD-level huge pages \(use thp-pmd\)/.test(e.message));
  });
});

describe('i386 4 MiB THP: the walks', () => {
  for (const kernel of KERNELS) {
    it(`${kernel}: a no-VMA walk goes past the folded pud to pmd_entry, and skips the leaf there (no re-validation)`, () => {
      const lines = trace(
        i386(kernel, '{ api: walk_page_range_novma, start: 0x800000, end: 0xc00000, ops: { pgd_entry: ok, p4d_entry: ok, pud_entry: ok, pmd_entry: ok, pte_entry: ok } }'),
      );
      assert.deepEqual(lines, [
        'walk walk_page_range_novma 0x800000 0xc00000',
        'pgd_entry 0x800000 0xc00000',
        'p4d_entry 0x800000 0xc00000',
        'pud_entry 0x800000 0xc00000',
        'pmd_entry 0x800000 0xc00000',
        'ret 0',
      ]);
    });

    it(`${kernel}: pgd/p4d/pud_entry see a table, only pmd_entry sees the huge entry`, () => {
      const list = events(
        parseScenario(
          i386(kernel, `{ start: 0x800000, end: 0x802000, ops: { pgd_entry: { if: huge, return: 9 }, p4d_entry: { if: huge, return: 8 }, pud_entry: { if: huge, return: 7 }, pmd_entry: { if: huge, return: 5 } } }`),
        ),
      );
      const given = list.flatMap((e) => ('entry' in e && e.type.endsWith('_entry') ? [[e.type, e.entry, e.ret]] : []));
      assert.deepEqual(given, [
        ['pgd_entry', Entry.TABLE, 0],
        ['p4d_entry', Entry.TABLE, 0],
        ['pud_entry', Entry.TABLE, 0],
        ['pmd_entry', Entry.HUGE, 5],
      ]);
    });

    it(`${kernel}: pmd_entry + pte_entry split an anonymous THP into its deposited table of 1024 present PTEs`, () => {
      const scenario = parseScenario(i386(kernel, '{ start: 0x800000, end: 0x802000, ops: { pmd_entry: ok, pte_entry: ok } }'));
      assert.deepEqual(trace(i386(kernel, '{ start: 0x800000, end: 0x802000, ops: { pmd_entry: ok, pte_entry: ok } }')), [
        'walk walk_page_range 0x800000 0x802000',
        'pmd_entry 0x800000 0x802000',
        'split_pmd 0x800000',
        'pte_entry 0x800000 0x801000',
        'pte_entry 0x801000 0x802000',
        'ret 0',
      ]);
      const mm = runScenario(scenario, () => {}).mm;
      assert.equal(mm.entry(3, 0x800000), Entry.TABLE);
      assert.deepEqual([...new Set(mm.table(4, 0x800000)!)], [Entry.PRESENT]);
      assert.equal(mm.table(4, 0x800000)!.length, 1024);
    });

    it(`${kernel}: install_pte alone leaves the THP alone (the no-split rule)`, () => {
      assert.deepEqual(trace(i386(kernel, '{ api: walk_page_range_mm, start: 0x800000, end: 0xc00000, ops: { install_pte: ok } }')), [
        'walk walk_page_range_mm 0x800000 0xc00000',
        'ret 0',
      ]);
    });

    it(`${kernel}: a split huge pfnmap pmd is cleared; the map fails, and the retry finds a hole at depth 0`, () => {
      const lines = trace(i386(kernel, '{ api: walk_page_vma, start: 0x800000, end: 0xc00000, ops: { pmd_entry: ok, pte_entry: ok, pte_hole: ok } }', 'pfnmap: true'));
      const head = [
        'walk walk_page_vma 0x800000 0xc00000', // the walk line prints the arguments; walk_page_vma() walks the whole VMA
        'hole 0x400000 0x800000 0',
        'pmd_entry 0x800000 0xc00000',
        'split_pmd 0x800000',
        'pte_map_fail 0x800000',
        'hole 0x800000 0xc00000 0',
      ];
      // 7.0: the AGAIN the failed map left is read after walk_pmd_range() (a stale AGAIN, spec 2.7), so
      // the pud entry is walked again and the hole reported twice; its re-validation of the pud does not fire.
      const again = kernel === '7.0' ? ['hole 0x800000 0xc00000 0'] : [];
      assert.deepEqual(lines, [...head, ...again, 'hole 0xc00000 0x1000000 0', 'ret 0']);
    });

    it(`${kernel}: guard install over the whole THP: pmd_entry returns 1, the zap clears it, walk 2 allocates and installs 1024 markers`, () => {
      const lines = trace(i386(kernel, '{ api: walk_page_range_mm, start: 0x800000, end: 0xc00000, ops: { preset: guard-install } }'));
      const range = '0x800000 0xc00000';
      assert.deepEqual(lines.slice(0, 10), [
        `walk walk_page_range_mm ${range}`,
        `pud_entry ${range}`,
        `pmd_entry ${range}`,
        'ret 1',
        `zap ${range}`,
        `walk walk_page_range_mm ${range}`,
        `pud_entry ${range}`,
        'alloc pte 0x800000',
        `pmd_entry ${range}`,
        'install_pte 0x800000 0x801000',
      ]);
      assert.equal(lines.filter((l) => l.startsWith('set_pte ')).length, 1024);
      assert.deepEqual(lines.slice(-3), ['set_pte 0xbff000', 'ret 0', 'ret 0']);
    });
  }
});
