// SPDX-License-Identifier: GPL-2.0-only
// A scenario's program as the kernel runner's lines (the protocol in
// native/kernel-runner.c's header), and what verify refuses, each in one
// line naming the step or state item. No kernel needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VmaFlag } from '../../src/events/walk-event.js';
import { KernelRefusal } from '../../src/kernel/errors.js';
import type { KernelProgramInput } from '../../src/kernel/program-lines.js';
import { mergeRanges, programLines } from '../../src/kernel/program-lines.js';
import { geometryOf } from '../../src/mm/geometry.js';
import type { StateItem } from '../../src/mm/state-items.js';
import type { Vma } from '../../src/mm/vmas.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { PAGE, Program, at, linesOf } from './program.js';

const HUGE = 512; // pages in a PMD THP on x86_64
const vma = (page: number, pages: number, flags = 0, hugetlb = 0): Vma => ({ start: at(page), end: at(page + pages), flags, hugetlb });
const item = (kind: StateItem['kind'], page: number, count = 1, level: StateItem['level'] = null): StateItem => ({ kind, level, at: at(page), count });

function input(over: Partial<KernelProgramInput>): KernelProgramInput {
  return { file: 'p.yaml', geometry: geometryOf('x86_64'), vmas: [], state: [], steps: [], faults: [], ...over };
}

/** The refusal's message, checked to be one KernelRefusal (a ScenarioError: exit 2) of one line. */
function refusal(run: () => unknown): KernelRefusal {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof KernelRefusal, `not a KernelRefusal: ${String(error)}`);
    assert.ok(error instanceof ScenarioError);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    return error;
  }
  assert.fail('no refusal');
}

describe('programLines', () => {
  it('writes each step as one protocol line, numbers in hex, with the ranges it touches as report lines', () => {
    const p = new Program();
    p.mmap(0, 10, undefined, { prot: 'r', populate: true, thp: true });
    p.mprotect(2, 3, 'none');
    p.mremap(0, 10, 20, undefined, { to: 100 });
    p.madvise(0, 10, 'guard_install');
    p.processMadvise([[1, 1], [3, 2]], 'guard_remove');
    p.mlock(0, 1);
    p.munlock(0, 1);
    p.read(0, 10);
    p.write(1, 2);
    p.munmap(0, 10);
    p.check(0, 'g.');
    const lines = linesOf(p);
    assert.deepEqual(lines.lines, [
      // [0, 20): mremap grows its old range in place before it moves; [100, 120): the target
      'report 10000000 14',
      'report 10064000 14',
      'mmap 10000000 a r populate thp',
      'mprotect 10002000 3 none',
      'mremap 10000000 a 14 to=10064000',
      'madvise 10000000 a 66',
      'process_madvise 67 10001000:1 10003000:2',
      'mlock 10000000 1',
      'munlock 10000000 1',
      'read 10000000 a',
      'write 10001000 2',
      'munmap 10000000 a',
      'map',
    ]);
    assert.equal(lines.setupLines, 0);
    assert.deepEqual(
      lines.origins.map((o) => (o.kind === 'step' ? o.index : -1)),
      [...Array(11).keys()],
    );
    assert.equal(lines.usesThp, true);
  });

  it('makes the start state by the operations that make it: map, THP fault, guard install, then the writes', () => {
    const lines = programLines(
      input({
        vmas: [vma(0, 1024, VmaFlag.THP), vma(2048, 16)],
        state: [item('pte', 2050, 2), item('pte', 520, 3), item('guard', 2048, 1), item('thp-pmd', 0)],
      }),
    );
    assert.deepEqual(lines.lines, [
      'report 10000000 400',
      'report 10800000 10',
      'mmap 10000000 400 rw thp quiet',
      'mmap 10800000 10 rw quiet',
      'write 10000000 1 quiet', // state[3]: the first fault of the aligned span maps the THP
      'madvise 10800000 1 66 quiet', // state[2]
      'write 10802000 2 quiet', // state[0]
      // state[1] in the thp VMA's second span: a table first (install allocates it, remove empties it)
      'madvise 10208000 1 66 quiet',
      'madvise 10208000 1 67 quiet',
      'write 10208000 3', // the last set-up line prints the maps
    ]);
    assert.equal(lines.setupLines, 8);
    assert.deepEqual(lines.startMaps, [`${'H'.repeat(HUGE)}${'.'.repeat(8)}###${'.'.repeat(HUGE - 11)}`, `g.##${'.'.repeat(12)}`]);
  });

  it('merges overlapping and adjacent ranges and drops empty ones', () => {
    assert.deepEqual(
      mergeRanges(
        [
          { at: at(10), pages: 5 },
          { at: at(0), pages: 10 },
          { at: at(12), pages: 1 },
          { at: at(40), pages: 0 },
          { at: at(30), pages: 2 },
        ],
        PAGE,
      ),
      [
        { at: at(0), pages: 15 },
        { at: at(30), pages: 2 },
      ],
    );
  });
});

describe('what verify refuses, in one line naming the item and why', () => {
  it('a walk step (scenario callbacks have no kernel counterpart), with its line and column', () => {
    const p = new Program();
    p.mmap(0, 1);
    p.steps.push({ op: 'walk', index: 1, line: 7, col: 5, expect: null, api: 'walk_page_range', start: at(0), end: at(1), ops: { preset: 'guard-install' } });
    const e = refusal(() => linesOf(p));
    assert.equal(e.item, 'steps[1]');
    assert.equal(e.line, 7);
    assert.match(e.message, /^test\.yaml:7:5: steps\[1\]: a walk step runs scenario callbacks/);
  });

  it('injected faults', () => {
    const e = refusal(() => programLines(input({ faults: [{ kind: 'alloc', nth: 2, level: null }] })));
    assert.equal(e.item, 'faults');
    assert.match(e.message, /cannot be made to happen in the running kernel/);
  });

  for (const arch of ['x86_64-la57', 'arm64-4k-39', 'arm64-64k-48', 'i386'] as const) {
    it(`a ${arch} geometry`, () => {
      const e = refusal(() => programLines(input({ geometry: geometryOf(arch) })));
      assert.equal(e.item, 'arch');
      assert.match(e.message, new RegExp(`x86_64 only.*${arch}`));
    });
  }

  it('a pfnmap VMA (only a driver makes one)', () => {
    const e = refusal(() => programLines(input({ vmas: [vma(0, 10, VmaFlag.PFNMAP)] })));
    assert.equal(e.item, 'vmas');
    assert.match(e.message, /\[0x10000000, 0x1000a000\) pfnmap: only a driver's remap_pfn_range\(\) makes one/);
  });

  it('a hugetlb VMA and a hugetlb item (they need reserved huge pages)', () => {
    assert.match(refusal(() => programLines(input({ vmas: [vma(0, HUGE, 0, 2 ** 21)] }))).message, /hugetlb 2097152: hugetlb needs huge pages reserved/);
    const e = refusal(() => programLines(input({ vmas: [vma(0, HUGE)], state: [item('hugetlb', 0)] })));
    assert.equal(e.item, 'state[0]');
  });

  it('an empty table alone, but not a table with entries under it', () => {
    const e = refusal(() => programLines(input({ vmas: [vma(0, 10)], state: [item('table', 0, 1, 'pte')] })));
    assert.equal(e.item, 'state[0]');
    assert.match(e.message, /an empty pte table: verify makes page tables only by mapping pages or markers under them/);
    // A pmd table over a page in its 1 GiB: the write makes it.
    const made = programLines(input({ vmas: [vma(0, 10)], state: [item('table', 0, 1, 'pmd'), item('pte', 5)] }));
    assert.deepEqual(made.lines.slice(1), ['mmap 10000000 a rw quiet', 'write 10005000 1']);
  });

  it('a thp-pud (anonymous THPs are PMD-sized)', () => {
    const e = refusal(() => programLines(input({ vmas: [vma(0, 2 ** 18, VmaFlag.THP)], state: [item('thp-pud', 0)] })));
    assert.equal(e.item, 'state[0]');
    assert.match(e.message, /PUD-sized THP/);
  });

  it('a thp-pmd in a VMA without thp (no huge page on a fault there)', () => {
    const e = refusal(() => programLines(input({ vmas: [vma(0, 2 * HUGE)], state: [item('pte', 600), item('thp-pmd', 0)] })));
    assert.equal(e.item, 'state[1]');
    assert.match(e.message, /needs a VMA with thp: true/);
  });

  it('pages or markers outside every VMA', () => {
    const e = refusal(() => programLines(input({ vmas: [vma(0, 4)], state: [item('guard', 2, 4)] })));
    assert.equal(e.item, 'state[0]');
    assert.match(e.message, /0x10004000 is outside every VMA/);
  });

  it('a step above the top of user space, and one below vm.mmap_min_addr', () => {
    const p = new Program();
    p.steps.push({ op: 'munmap', index: 0, line: 3, col: 5, expect: null, at: 2 ** 47 - 4096, pages: 2 });
    const e = refusal(() => linesOf(p));
    assert.equal(e.item, 'steps[0]');
    assert.match(e.message, /above the top of user space \(0x7ffffffff000\)/);
    const q = new Program();
    q.steps.push({ op: 'mmap', index: 0, line: 3, col: 5, expect: null, at: 0x1000, pages: 1, prot: 'rw', populate: false, thp: false });
    assert.match(refusal(() => linesOf(q)).message, /0x1000 is below vm\.mmap_min_addr \(0x10000\)/);
  });

  it('a program too large to map after every step', () => {
    const p = new Program();
    p.mmap(0, 2 ** 22 + 1);
    assert.match(refusal(() => linesOf(p)).message, /touches 4194305 pages; verify maps at most 4194304 \(16 GiB\)/);
  });
});
