// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel-style callback trace (spec/scenario-and-trace.md): one line per
 * trace-visible event, addresses in lowercase hex with 0x and no padding.
 * Detail events (set-up, vma_enter, clear, zap_split, livelock) have no line: an
 * instrumented mm/pagewalk.c prints nothing for them (a zap's split is made by
 * mm/memory.c's zap_pmd_range()/zap_pud_range(), not by the walker).
 */
import type { WalkEvent } from './walk-event.js';

const hex = (addr: number): string => '0x' + addr.toString(16);

/** The trace line of an event, or null for an event the trace does not show. */
export function formatTraceLine(e: WalkEvent): string | null {
  switch (e.type) {
    case 'walk':
      return `walk ${e.api} ${hex(e.start)} ${hex(e.end)}`;
    case 'ret':
    case 'client_ret':
      return `ret ${e.value}`;
    case 'test_walk':
    case 'pre_vma':
      return `${e.type} ${hex(e.start)} ${hex(e.end)}`;
    case 'post_vma':
      return 'post_vma';
    case 'hole':
      return `hole ${hex(e.start)} ${hex(e.end)} ${e.depth}`;
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
    case 'hugetlb_entry':
    case 'install_pte':
      return `${e.type} ${hex(e.start)} ${hex(e.end)}`;
    case 'set_pte':
      return `set_pte ${hex(e.addr)}`;
    case 'alloc':
    case 'alloc_fail':
      return `${e.type} ${e.level} ${hex(e.addr)}`;
    case 'split_pmd':
    case 'split_pud':
    case 'pte_map_fail':
      return `${e.type} ${hex(e.addr)}`;
    case 'oops':
      return `oops ${e.callback} ${hex(e.addr)}`;
    case 'zap':
      return `zap ${hex(e.start)} ${hex(e.end)}`;
    case 'vma':
    case 'state':
    case 'vma_enter':
    case 'clear':
    case 'zap_split':
    case 'livelock':
      return null;
  }
}
