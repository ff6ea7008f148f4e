// SPDX-License-Identifier: GPL-2.0-only
// The guard presets are madvise_guard_install()'s loop and madvise_guard_remove()'s walk,
// run once over the whole range: not madvise(). `walkback check` says where madvise() would
// differ. Checked against an independent model of madvise_walk_vmas() (mm/madvise.c, 6.13 and
// 7.0; kernel-semantics 5.1 and 5.3): each VMA's part of the range handed to the handler in
// turn, pfnmap and hugetlb VMAs refused with -EINVAL, the first error returned at once, and a
// gap giving -ENOMEM after every VMA was acted on. The preset's own result never changes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WalkEvent } from '../../../src/events/walk-event.js';
import { hex } from '../../../src/mm/geometry.js';
import { isHugetlb, isPfnmap } from '../../../src/mm/vmas.js';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import type { Scenario } from '../../../src/scenario/scenario.js';
import { madviseDifferences } from '../../../src/walker/madvise-differences.js';
import { cli, events } from '../../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'walkback-madvise-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the client (or, for guard-remove, the walk) returns. */
function result(list: readonly WalkEvent[]): number {
  const last = [...list].reverse().find((e) => e.type === 'client_ret' || e.type === 'ret');
  return last && (last.type === 'client_ret' || last.type === 'ret') ? last.value : NaN;
}

/** madvise_walk_vmas() over the scenario's range, the handler being the preset on one VMA's part. */
function madvise(s: Scenario): number {
  let unmapped = 0;
  let start = s.walk.start;
  for (const vma of s.vmas) {
    if (vma.end <= start) continue;
    if (start >= s.walk.end) break;
    if (start < vma.start) {
      unmapped = -12;
      start = vma.start;
      if (start >= s.walk.end) break;
    }
    const end = Math.min(vma.end, s.walk.end);
    if (isPfnmap(vma) || isHugetlb(vma)) return -22; // is_valid_guard_vma()
    const err = result(events({ ...s, walk: { ...s.walk, start, end } }));
    if (err) return err;
    start = end;
  }
  return start < s.walk.end ? -12 : unmapped;
}

const scenario = (vmas: string, start: number, end: number, preset = 'guard-install', state = '[]'): Scenario =>
  parseScenario(`vmas: ${vmas}\nstate: ${state}\nwalk: { api: ${preset === 'guard-install' ? 'walk_page_range_mm' : 'walk_page_range'}, start: ${hex(start)}, end: ${hex(end)}, ops: { preset: ${preset} } }\n`);

const cases: { name: string; s: Scenario; says: RegExp[] }[] = [
  {
    name: 'two VMAs with a gap (the issue: one walk and 0, where madvise returns -ENOMEM)',
    s: scenario('[{ start: 0x400000, end: 0x600000 }, { start: 0x800000, end: 0xa00000 }]', 0x400000, 0xa00000),
    says: [/covers 2 VMAs/, /no VMA covers 0x600000-0x800000: madvise\(MADV_GUARD_INSTALL\) would act on every VMA, then return -12 \(ENOMEM\)/],
  },
  {
    name: 'a range running past the last VMA',
    s: scenario('[{ start: 0x400000, end: 0x600000 }]', 0x400000, 0x800000),
    says: [/no VMA covers 0x600000-0x800000: .* return -12 \(ENOMEM\)/],
  },
  {
    name: 'a pfnmap VMA (the issue: 0, where madvise returns -EINVAL)',
    s: scenario('[{ start: 0x400000, end: 0x600000 }, { start: 0x600000, end: 0x800000, pfnmap: true }]', 0x400000, 0x800000),
    says: [/the VMA 0x600000-0x800000 is pfnmap \(VM_PFNMAP\): madvise\(MADV_GUARD_INSTALL\) would refuse it with -22 \(EINVAL\), after the VMA before it/, /covers 2 VMAs/],
  },
  {
    name: 'a hugetlb VMA, for guard-remove',
    s: scenario('[{ start: 0x40000000, end: 0x80000000, hugetlb: 2M }]', 0x40000000, 0x40400000, 'guard-remove'),
    says: [/the VMA 0x40000000-0x80000000 is hugetlb \(VM_HUGETLB\): madvise\(MADV_GUARD_REMOVE\) would refuse it with -22 \(EINVAL\), before doing anything/],
  },
  {
    name: 'a range with no VMA at all',
    s: scenario('[{ start: 0x400000, end: 0x600000 }]', 0x800000, 0xa00000),
    says: [/no VMA lies in 0x800000-0xa00000: madvise\(MADV_GUARD_INSTALL\) would return -12 \(ENOMEM\) and do nothing/],
  },
];

describe('the guard presets against madvise()', () => {
  for (const c of cases) {
    it(`${c.name}: the notes name madvise()'s result, which the preset's is not`, () => {
      const notes = madviseDifferences(c.s);
      for (const re of c.says) assert.ok(notes.some((n) => re.test(n)), `${re} in ${JSON.stringify(notes, null, 1)}`);
      const want = madvise(c.s);
      assert.notEqual(result(events(c.s)), want, 'the preset differs from madvise() here');
      // The first note about a result names madvise()'s, as the independent model computes it.
      const named = notes.map((n) => /would (?:refuse it with|return|act on every VMA, then return) (-\d+)/.exec(n)?.[1]).find((v) => v !== undefined);
      assert.equal(Number(named), want);
    });
  }

  it('says nothing where the preset does what madvise() would: one anonymous VMA', () => {
    const s = scenario('[{ start: 0x400000, end: 0x800000, thp: true }]', 0x400000, 0x600000, 'guard-install', '[{ kind: thp-pmd, at: 0x400000 }]');
    assert.deepEqual(madviseDifferences(s), []);
    assert.equal(result(events(s)), madvise(s));
  });

  it('walkback check describes the preset as what it is and prints the notes', () => {
    const file = join(dir, 'gap.yaml');
    writeFileSync(file, cases[0]!.s.source);
    const { status, stdout, stderr } = cli(['check', file]);
    assert.equal(status, 0);
    assert.match(stdout, /preset guard-install \(madvise_guard_install\(\)'s retry loop, once over the whole range; not madvise\(\), which calls it per VMA after its VMA checks\)/);
    assert.match(stderr, /^walkback: note: 0x400000-0xa00000 covers 2 VMAs/m);
    assert.match(stderr, /^walkback: note: no VMA covers 0x600000-0x800000/m);
  });
});
