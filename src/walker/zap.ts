// SPDX-License-Identifier: GPL-2.0-only
/**
 * zap_page_range_single(vma, start, len, NULL) as madvise_guard_install uses
 * it between retries (mm/memory.c, 6.13): present PTEs are cleared, guard
 * markers stay, a huge entry the range covers whole is cleared, one it covers
 * in part is split first (zap_pmd_range() / zap_pud_range(): a `zap_split`
 * event, which the trace does not print, since mm/pagewalk.c makes no such
 * call), and no page table is ever freed.
 *
 * Not modelled: hugetlb VMAs (left untouched), swap and migration entries
 * (the model has none). The range is clipped to each VMA it meets, as the
 * kernel clips it to the VMA it is given.
 */
import type { Addr, LevelIndex } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import { alignDown, levelAddrEnd, slotIndex } from '../mm/geometry.js';
import type { Vma } from '../mm/vmas.js';
import { isAnonymous, isHugetlb } from '../mm/vmas.js';
import type { MmWalk } from './mm-walk.js';

export function zapRange(w: MmWalk, start: Addr, end: Addr): void {
  w.emit({ type: 'zap', start, end });
  for (const vma of w.vmas) {
    if (vma.end <= start || vma.start >= end || isHugetlb(vma)) continue;
    zapLevel(w, vma, 0, Math.max(start, vma.start), Math.min(end, vma.end));
  }
}

function clear(w: MmWalk, level: LevelIndex, addr: Addr, old: number): void {
  w.mm.setEntry(level, addr, Entry.NONE);
  const table = w.g.slotTable[level]!;
  w.emit({ type: 'clear', level: LEVELS[table], addr: alignDown(addr, w.g.entrySize[table]!), old: old as typeof Entry.NONE });
}

function zapLevel(w: MmWalk, vma: Vma, level: LevelIndex, addr: Addr, end: Addr): void {
  const g = w.g;
  if (level === 4) {
    const table = w.mm.table(4, addr);
    if (!table) return;
    for (; addr < end; addr += g.pageSize) {
      const kind = table[slotIndex(g, 4, addr)]!;
      if (kind === Entry.PRESENT) clear(w, 4, addr, kind);
    }
    return;
  }
  while (addr < end) {
    const next = levelAddrEnd(g, level, addr, end);
    const kind = g.noneCheck[level] ? w.mm.entry(level, addr) : Entry.TABLE;
    if (kind === Entry.HUGE) {
      const size = g.entrySize[level]!;
      if (next - addr === size) {
        clear(w, level, addr, kind); // zap_huge_pmd() / zap_huge_pud()
      } else {
        // __split_huge_pmd() / __split_huge_pud(), then zap what the range covers. The split is
        // mm/memory.c's, not the walker's: a detail event, with no trace line.
        const value = level === 3 && isAnonymous(vma) ? Entry.TABLE : Entry.NONE;
        w.mm.splitEntry(level, addr, value);
        w.emit({ type: 'zap_split', level: LEVELS[level], addr, value });
        if (value === Entry.TABLE) zapLevel(w, vma, 4, addr, next);
      }
    } else if (kind === Entry.TABLE) {
      zapLevel(w, vma, (level + 1) as LevelIndex, addr, next);
    }
    addr = next;
  }
}
