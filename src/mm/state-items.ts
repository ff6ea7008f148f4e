// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page-table contents a scenario asks for before the walk, applied one
 * item at a time. The walker's set-up and the replay reducer both use this,
 * so a recording's `state` events rebuild exactly what the walker started from.
 */
import type { Addr, EntryKind, LevelIndex, LevelName, StateKind } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import type { Geometry } from './geometry.js';
import { slotIndex } from './geometry.js';
import type { PageTables } from './page-tables.js';

export interface StateItem {
  readonly kind: StateKind;
  /** For 'table': the table's level. */
  readonly level: LevelName | null;
  readonly at: Addr;
  /** Pages, for 'pte' and 'guard'; 1 otherwise. */
  readonly count: number;
}

export const levelIndex = (name: LevelName): LevelIndex => LEVELS.indexOf(name) as LevelIndex;

/** The walker level whose slot holds a huge or hugetlb entry of `size`, or -1. */
export function hugeSlotLevel(g: Geometry, size: number): LevelIndex | -1 {
  if (g.entrySize[3] === size) return 3;
  if (g.entrySize[2] === size && g.noneCheck[2]) return 2;
  return -1;
}

/** Apply one state item to the page tables. The scenario loader has validated it. */
export function applyStateItem(pt: PageTables, item: StateItem, hugetlbSize: number): void {
  const g = pt.g;
  switch (item.kind) {
    case 'pte':
    case 'guard': {
      // One table at a time: make sure the tables above exist, then fill the run of slots.
      const kind: EntryKind = item.kind === 'pte' ? Entry.PRESENT : Entry.MARKER;
      const page = g.pageSize;
      const span = g.tableSpan[4]!;
      let addr = item.at;
      const end = item.at + item.count * page;
      while (addr < end) {
        const stop = Math.min(end, (Math.floor(addr / span) + 1) * span);
        pt.ensureTables(4, addr);
        pt.setEntry(4, addr, kind);
        const first = slotIndex(g, 4, addr);
        pt.writableTable(4, addr).fill(kind, first, first + (stop - addr) / page);
        addr = stop;
      }
      return;
    }
    case 'thp-pmd':
    case 'thp-pud': {
      const level: LevelIndex = item.kind === 'thp-pmd' ? 3 : 2;
      pt.ensureTables(g.slotTable[level]!, item.at);
      pt.setEntry(level, item.at, Entry.HUGE);
      return;
    }
    case 'table':
      pt.ensureTables(levelIndex(item.level!), item.at);
      return;
    case 'hugetlb': {
      const level = hugeSlotLevel(g, hugetlbSize);
      if (level === -1) throw new Error(`no slot for a hugetlb page of ${hugetlbSize} bytes`);
      pt.ensureTables(g.slotTable[level]!, item.at);
      pt.setEntry(level, item.at, Entry.HUGETLB);
      return;
    }
  }
}
