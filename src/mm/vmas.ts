// SPDX-License-Identifier: GPL-2.0-only
/** The VMAs of the mm: sorted, non-overlapping, page aligned. */
import type { Addr } from '../events/walk-event.js';
import { VmaFlag } from '../events/walk-event.js';

export interface Vma {
  readonly start: Addr;
  readonly end: Addr;
  /** VmaFlag bits. */
  readonly flags: number;
  /** hugetlb page size, or 0 for a VMA that is not hugetlb. */
  readonly hugetlb: number;
}

export const isPfnmap = (vma: Vma): boolean => (vma.flags & VmaFlag.PFNMAP) !== 0;
export const isHugetlb = (vma: Vma): boolean => vma.hugetlb !== 0;
/** Anonymous in walkback's model: every VMA that is neither pfnmap nor hugetlb. */
export const isAnonymous = (vma: Vma): boolean => !isPfnmap(vma) && !isHugetlb(vma);

/** find_vma(): the first VMA whose end is above addr, or null. `vmas` is sorted by start. */
export function findVma(vmas: readonly Vma[], addr: Addr): Vma | null {
  let lo = 0;
  let hi = vmas.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (vmas[mid]!.end > addr) hi = mid;
    else lo = mid + 1;
  }
  return lo < vmas.length ? vmas[lo]! : null;
}

/** The VMA containing addr, or null. */
export function vmaContaining(vmas: readonly Vma[], addr: Addr): Vma | null {
  const vma = findVma(vmas, addr);
  return vma && vma.start <= addr ? vma : null;
}

/** A short description: [0x400000, 0xa00000) anon thp. */
export function describeVma(vma: Vma): string {
  const kinds: string[] = [];
  if (isHugetlb(vma)) kinds.push(`hugetlb ${vma.hugetlb}`);
  else if (isPfnmap(vma)) kinds.push('pfnmap');
  else kinds.push('anon');
  if (vma.flags & VmaFlag.THP) kinds.push('thp');
  return `[0x${vma.start.toString(16)}, 0x${vma.end.toString(16)}) ${kinds.join(' ')}`;
}
