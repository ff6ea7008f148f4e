// SPDX-License-Identifier: GPL-2.0-only
// What disappeared between two page tables, page by page: an independent computation of what a
// run destroyed, from the walker's own tables (not the events, the reducer or the notable index).
import type { LevelIndex } from '../../src/events/walk-event.js';
import { Entry, LEVELS } from '../../src/events/walk-event.js';
import { ownerLevel } from '../../src/mm/geometry.js';
import type { PageTables } from '../../src/mm/page-tables.js';

export interface Lost {
  present: number;
  guard: number;
  huge: Record<string, number>;
}

export const isHuge = (k: number) => k === Entry.HUGE || k === Entry.HUGETLB;

/** Whether a page is mapped: a present PTE, or inside a huge entry. */
export function mapped(mm: PageTables, addr: number): boolean {
  if (mm.entry(4, addr) === Entry.PRESENT) return true;
  return isHuge(mm.entry(3, addr)) || (mm.g.hugePud > 0 && isHuge(mm.entry(2, addr)));
}

/** What is gone between two page tables, page by page. */
export function lostBetween(before: PageTables, now: PageTables): Lost {
  const g = before.g;
  const lost: Lost = { present: 0, guard: 0, huge: {} };
  for (let t = 0; t < 5; t++) {
    if (!g.real[t]) continue;
    const owner = ownerLevel(g, t as LevelIndex);
    const size = g.entrySize[t]!;
    before.forEachTable(t as LevelIndex, (base, table) => {
      table.forEach((kind, i) => {
        const addr = base + i * size;
        if (owner === 4 && kind === Entry.PRESENT && !mapped(now, addr)) lost.present++;
        if (owner === 4 && kind === Entry.MARKER && now.entry(4, addr) !== Entry.MARKER) lost.guard++;
        if (owner < 4 && isHuge(kind)) {
          let gone = 0;
          for (let p = addr; p < addr + size; p += g.pageSize) if (!mapped(now, p)) gone++;
          const pages = size / g.pageSize;
          if (gone === pages) lost.huge[`huge ${LEVELS[owner]}`] = (lost.huge[`huge ${LEVELS[owner]}`] ?? 0) + 1;
          else lost.present += gone;
        }
      });
    });
  }
  return lost;
}

