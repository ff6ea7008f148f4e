// SPDX-License-Identifier: GPL-2.0-only
/** Uniform questions about any event: where it is, at what level, whether it is an error. */
import type { Addr, LevelName, WalkEvent } from './walk-event.js';

/** The event's address (its start), or null (ret, post_vma). */
export function eventAddr(e: WalkEvent): Addr | null {
  switch (e.type) {
    case 'vma':
    case 'walk':
    case 'vma_enter':
    case 'test_walk':
    case 'pre_vma':
    case 'hole':
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
    case 'hugetlb_entry':
    case 'install_pte':
    case 'zap':
      return e.start;
    case 'state':
      return e.at;
    case 'set_pte':
    case 'alloc':
    case 'alloc_fail':
    case 'split_pmd':
    case 'split_pud':
    case 'zap_split':
    case 'clear':
    case 'pte_map_fail':
    case 'oops':
    case 'livelock':
      return e.addr;
    case 'ret':
    case 'client_ret':
    case 'post_vma':
      return null;
  }
}

/** The end of the event's range, for events with one (the `next` of a callback). */
export function eventEnd(e: WalkEvent): Addr | null {
  return 'end' in e ? e.end : null;
}

/** The page-table level an event is about, if any: the callback's level, the table allocated, the entry changed. */
export function eventLevel(e: WalkEvent): LevelName | null {
  switch (e.type) {
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
      return e.type.slice(0, 3) as LevelName;
    case 'install_pte':
    case 'set_pte':
      return 'pte';
    case 'alloc':
    case 'alloc_fail':
    case 'clear':
    case 'zap_split':
    case 'livelock':
      return e.level;
    case 'state':
      return e.level;
    case 'split_pmd':
    case 'pte_map_fail':
      return 'pmd';
    case 'split_pud':
      return 'pud';
    case 'hole':
      return e.depth >= 0 ? (['pgd', 'p4d', 'pud', 'pmd'] as const)[e.depth] ?? null : null;
    default:
      return null;
  }
}

/** A callback's return value, or a walk's; null for events that return nothing. */
export function eventRet(e: WalkEvent): number | null {
  switch (e.type) {
    case 'ret':
    case 'client_ret':
      return e.value;
    case 'test_walk':
    case 'pre_vma':
    case 'hole':
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
    case 'hugetlb_entry':
    case 'install_pte':
      return e.ret;
    default:
      return null;
  }
}

/** Failures and stops: failed allocations and maps, non-zero returns, oopses, livelocks. */
export function isError(e: WalkEvent): boolean {
  if (e.type === 'alloc_fail' || e.type === 'pte_map_fail' || e.type === 'oops' || e.type === 'livelock') return true;
  if (e.type === 'test_walk') return e.ret < 0;
  const ret = eventRet(e);
  return ret !== null && ret !== 0;
}
