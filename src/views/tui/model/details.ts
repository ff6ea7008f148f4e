// SPDX-License-Identifier: GPL-2.0-only
/** The detail pane's words: an event with every field and what it means in the kernel, and an entry with its provenance. */
import type { WalkEvent } from '../../../events/walk-event.js';
import { ACTION_NAMES, entryName, RetWhy } from '../../../events/walk-event.js';
import { hex } from '../../../mm/geometry.js';
import type { TreeRow } from './page-table-tree.js';
import { describeDetail, formatEventLine } from '../../trace/format-event-line.js';
import { eventName } from '../../event-numbers.js';

const action = (a: number) => (a < 0 ? 'not written' : ACTION_NAMES[a]!);

const WHY: Record<number, string> = {
  [RetWhy.OPS]: 'install_pte refused by a public entry point (check_ops_valid)',
  [RetWhy.RANGE]: 'start is not below end',
  [RetWhy.HUGETLB_INSTALL]: 'install_pte on a hugetlb VMA',
  [RetWhy.OUTSIDE_VMA]: 'the range leaves the VMA',
};

/** What the event means, in one sentence. */
export function explain(e: WalkEvent): string {
  switch (e.type) {
    case 'walk':
      return `${e.api}(mm, ${hex(e.start)}, ${hex(e.end)}, ops) begins`;
    case 'ret':
      return `the walk returns ${e.value}${e.why ? `: ${WHY[e.why] ?? ''}` : ''}`;
    case 'client_ret':
      return `the guard-install client returns ${e.value}: madvise_guard_install()'s retry loop, run once over the whole range (not madvise(), which calls it per VMA after checks walkback does not model)`;
    case 'hole':
      return `pte_hole(${hex(e.start)}, ${hex(e.end)}, depth ${e.depth}) returned ${e.ret}, walk->action ${action(e.action)}${e.depth === -1 ? ' (outside any VMA, or a VM_PFNMAP VMA)' : ''}`;
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
    case 'hugetlb_entry':
      return `${e.type}(${hex(e.start)}, ${hex(e.end)}) was given a ${entryName(e.entry)} entry; returned ${e.ret}, walk->action ${action(e.action)}`;
    case 'install_pte':
      return `install_pte(${hex(e.start)}, ${hex(e.end)}) returned ${e.ret}${e.ret === 0 ? `, handing back a ${entryName(e.value)} PTE` : ': nothing is written'}`;
    case 'test_walk':
      return `test_walk(${hex(e.start)}, ${hex(e.end)}) returned ${e.ret}: ${e.ret === 0 ? 'walk the VMA' : e.ret > 0 ? 'skip it' : 'abort'}`;
    case 'pre_vma':
      return `pre_vma(${hex(e.start)}, ${hex(e.end)}) returned ${e.ret}`;
    case 'post_vma':
      return 'post_vma() is called (even when the VMA walk failed)';
    case 'set_pte':
      return `set_pte_at(${hex(e.addr)}): the walker writes the ${entryName(e.value)} PTE install_pte returned`;
    case 'alloc':
      return `a ${e.level} table is allocated for the entry above ${hex(e.addr)} (__${e.level === 'pte' ? 'pte' : e.level}_alloc)`;
    case 'alloc_fail':
      return `allocating a ${e.level} table at ${hex(e.addr)} fails: -ENOMEM; the walk aborts and undoes nothing`;
    case 'split_pmd':
    case 'split_pud':
      return `${e.type === 'split_pmd' ? 'split_huge_pmd' : 'split_huge_pud'}(${hex(e.addr)}): the huge entry ${e.value === 1 ? 'becomes its deposited table of present PTEs' : 'is cleared'}`;
    case 'pte_map_fail':
      return `pte_offset_map_lock(${hex(e.addr)}) fails${e.injected ? ' (injected)' : ' (the pmd is not a table)'}: walk->action = ACTION_AGAIN`;
    case 'oops':
      return `the walker would call ${e.callback} through a NULL pointer at ${hex(e.addr)}: the kernel oopses`;
    case 'zap':
      return `the client zaps ${hex(e.start)}-${hex(e.end)}: present PTEs and huge entries go, guard markers and tables stay`;
    case 'clear':
      return `the ${e.level} entry at ${hex(e.addr)} is cleared (it was ${entryName(e.old)})`;
    case 'zap_split':
      return `the zap covers the huge ${e.level} at ${hex(e.addr)} in part: zap_${e.level}_range() splits it (__split_huge_${e.level}), and it ${
        e.value === 1 ? 'becomes its deposited table of present PTEs' : 'is cleared'
      }; mm/memory.c's split, not the walker's, so the trace prints no line`;
    case 'vma':
    case 'state':
    case 'vma_enter':
    case 'livelock':
      return describeDetail(e);
  }
}

/** The event at the cursor: its line, what it means, and every field. */
export function eventDetail(e: WalkEvent | null): string[] {
  if (!e) return ['the start, before event 0 (the set-up events that build the address space come first)'];
  const fields = Object.entries(e)
    .filter(([key]) => key !== 'type' && key !== 'seq')
    .map(([key, value]) => {
      if (typeof value === 'number' && ['start', 'end', 'addr', 'at', 'hugetlb'].includes(key)) return `${key}=${hex(value)}`;
      if (key === 'action' && typeof value === 'number') return `action=${action(value)}`;
      if ((key === 'entry' || key === 'old' || (key === 'value' && e.type !== 'ret' && e.type !== 'client_ret')) && typeof value === 'number')
        return `${key}=${entryName(value)}`;
      return `${key}=${String(value)}`;
    });
  return [`${eventName(e.seq)}: ${formatEventLine(e)}`, explain(e), fields.join('  ')];
}

/** The selected page-table entry, and the event that made it what it is. */
export function entryDetail(row: TreeRow | null, madeBy: WalkEvent | null): string[] {
  if (!row) return [];
  const what = row.entry === 1 ? `points to a ${row.child ?? '?'} table${row.emptyTable ? ' with no entry set (empty)' : ''}` : entryName(row.entry);
  const span = `${hex(row.start)}-${hex(row.end)}`;
  const level = row.folded.length ? `${row.table} (${row.folded.join(', ')} folded)` : row.table;
  // A none entry last "changed" when its table came into being: say that, not that the event made the entry.
  const madeTable = row.entry === 0 && madeBy !== null && (madeBy.type === 'state' || (madeBy.type === 'alloc' && madeBy.level === row.table));
  const made = !madeBy
    ? 'as the scenario set it up, or never changed'
    : madeTable
      ? `none since its ${row.table} table was made, by ${eventName(madeBy.seq)}: ${formatEventLine(madeBy)} (p jumps there)`
      : `made by ${eventName(madeBy.seq)}: ${formatEventLine(madeBy)} (p jumps there)`;
  return [`${level} entr${row.count > 1 ? `ies x${row.count}` : 'y'} ${span}: ${what}`, made];
}
