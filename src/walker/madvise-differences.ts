// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where madvise(MADV_GUARD_INSTALL / MADV_GUARD_REMOVE) over a scenario's range
 * would do other than its preset. The presets are madvise_guard_install()'s
 * retry loop (guard-install) and madvise_guard_remove()'s walk (guard-remove),
 * run once over the scenario's whole range with the scenario's entry point;
 * madvise() is not modelled (spec: the madvise-level VMA checks are left out).
 * What madvise() adds, in 6.13 and 7.0 alike (mm/madvise.c: madvise_walk_vmas(),
 * is_valid_guard_vma(); kernel-semantics 5.1, 5.3):
 *  - it calls the handler once per VMA, with the range clipped to that VMA, so
 *    each VMA gets its own walk (and, for install, its own zap and retries);
 *  - the first error stops it, the VMAs before it staying done;
 *  - a VMA with VM_PFNMAP (VM_SPECIAL) or VM_HUGETLB is refused with -EINVAL
 *    before any walk of it;
 *  - a gap in the range, or a range running past the last VMA, makes it
 *    return -ENOMEM after it has acted on every VMA (at once, with nothing
 *    done, when no VMA is left).
 * Of the modelled VMA kinds, pfnmap and hugetlb are the ones refused (VM_LOCKED,
 * file mappings and sealed VMAs are not modelled).
 */
import type { Addr } from '../events/walk-event.js';
import { hex } from '../mm/geometry.js';
import type { Vma } from '../mm/vmas.js';
import { isHugetlb, isPfnmap, vmaContaining } from '../mm/vmas.js';
import type { Scenario } from '../scenario/scenario.js';

const ENOMEM = -12;
const EINVAL = -22;

/** The ways madvise() over the scenario's range would differ from its preset, in words (none for a scenario without a preset). */
export function madviseDifferences(s: Scenario): string[] {
  const preset = s.walk.ops.preset;
  if (preset === null) return [];
  const install = preset === 'guard-install';
  const madvise = `madvise(${install ? 'MADV_GUARD_INSTALL' : 'MADV_GUARD_REMOVE'})`;
  const handler = install ? 'madvise_guard_install()' : 'madvise_guard_remove()';
  // walk_page_vma() walks the VMA that contains start, whatever the end.
  const vma = s.walk.api === 'walk_page_vma' ? vmaContaining(s.vmas, s.walk.start) : null;
  const [start, end] = vma ? [vma.start, vma.end] : [s.walk.start, s.walk.end];
  if (start >= end) return [];
  const range = `${hex(start)}-${hex(end)}`;
  const notes: string[] = [];

  const inRange = s.vmas.filter((v) => v.end > start && v.start < end);
  if (inRange.length === 0)
    return [`no VMA lies in ${range}: ${madvise} would return ${ENOMEM} (ENOMEM) and do nothing; the ${preset} preset walks the range anyway`];

  // madvise_walk_vmas() visits the VMAs in order and stops at the first error: the first refused VMA decides.
  const refused = inRange.find((v) => isPfnmap(v) || isHugetlb(v));
  if (refused) {
    const before = inRange.indexOf(refused);
    notes.push(
      `the VMA ${hex(refused.start)}-${hex(refused.end)} is ${isPfnmap(refused) ? 'pfnmap (VM_PFNMAP)' : 'hugetlb (VM_HUGETLB)'}: ` +
        `${madvise} would refuse it with ${EINVAL} (EINVAL), ${before ? `after the ${before === 1 ? 'VMA' : `${before} VMAs`} before it` : 'before doing anything'}, ` +
        `leaving the rest untouched; ${presetOver(preset, refused)}`,
    );
  }
  if (inRange.length > 1)
    notes.push(
      `${range} covers ${inRange.length} VMAs: ${madvise} would call ${handler} on each VMA's part of the range` +
        (install
          ? ' (its own walks, zap and retries); the preset runs one retry loop over the whole range, so a positive result anywhere zaps and walks again all of it'
          : ' (its own walk); the preset makes one walk of the whole range'),
    );
  // An error returned at a refused VMA wins over the gaps' -ENOMEM.
  const gaps = gapsIn(inRange, start, end);
  if (gaps.length && !refused)
    notes.push(
      `no VMA covers ${gaps.map(([a, b]) => `${hex(a)}-${hex(b)}`).join(', ')}: ${madvise} would act on every VMA, then return ${ENOMEM} (ENOMEM); ` +
        'the preset passes over a gap (it has no pte_hole) and can return 0',
    );
  return notes;
}

/** What the preset's own walk does with a VMA madvise refuses. */
function presetOver(preset: 'guard-install' | 'guard-remove', v: Vma): string {
  if (isPfnmap(v)) return "the preset's walk skips it (walk_page_test()'s VM_PFNMAP rule) and goes on";
  return preset === 'guard-install'
    ? `the preset's walk fails with ${EINVAL} there too (install_pte on a hugetlb VMA, __walk_page_range()), within its one walk of the whole range`
    : "the preset's walk does nothing there (no hugetlb_entry) and goes on";
}

/** The parts of [start, end) that no VMA covers. `vmas` are those overlapping it, sorted. */
function gapsIn(vmas: readonly Vma[], start: Addr, end: Addr): [Addr, Addr][] {
  const gaps: [Addr, Addr][] = [];
  let at = start;
  for (const v of vmas) {
    if (v.start > at) gaps.push([at, v.start]);
    at = Math.max(at, v.end);
  }
  if (at < end) gaps.push([at, end]);
  return gaps;
}
