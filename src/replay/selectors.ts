// SPDX-License-Identifier: GPL-2.0-only
/**
 * Derived views of a state, computed on demand (never stored): the page
 * tables over a range as coalesced runs (the ptdump idiom), and counts.
 * Cost is proportional to the tables that exist in the range, not to its size.
 */
import type { Addr, LevelIndex, LevelName } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import { canonicalAddr, levelAddrEnd, ownerLevel, tableAddr } from '../mm/geometry.js';
import type { WalkState } from './walk-state.js';

export interface EntryRunView {
  readonly start: Addr;
  readonly end: Addr;
  /** The real table the entries are in (its level: a folded level's entries are its real table's). */
  readonly level: LevelName;
  /** EntryKind of every entry in the run. */
  readonly entry: number;
  /** For a table entry: the level of the table it points to (the next real level down); else null. */
  readonly table: LevelName | null;
  /** For a table entry: whether the table below it has no entry that is not none. */
  readonly emptyTable: boolean;
  readonly count: number;
}

/**
 * The entries covering [start, end), leaves first: a table entry is descended
 * into unless its table is empty. Runs of neighbouring entries of the same
 * level and kind are merged. At most `limit` runs (then `truncated`).
 */
export function entryRuns(state: WalkState, start: Addr, end: Addr, limit = 10_000): { runs: EntryRunView[]; truncated: boolean } {
  const g = state.geometry;
  const tables = state.tables;
  const runs: EntryRunView[] = [];
  let truncated = false;
  const push = (s: Addr, e: Addr, level: LevelIndex, entry: number, emptyTable: boolean, table: LevelName | null) => {
    const last = runs[runs.length - 1];
    const name = LEVELS[level];
    if (last && last.end === s && last.level === name && last.entry === entry && last.emptyTable === emptyTable) {
      runs[runs.length - 1] = { ...last, end: e, count: last.count + 1 };
      return;
    }
    if (runs.length >= limit) {
      truncated = true;
      return;
    }
    runs.push({ start: s, end: e, level: name, entry, table, emptyTable, count: 1 });
  };

  // Walk the real levels as the walker does, one slot at a time, where tables exist.
  const visit = (table: LevelIndex, addr: Addr, stop: Addr): void => {
    const owner = ownerLevel(g, table);
    while (addr < stop && !truncated) {
      const next = levelAddrEnd(g, table, addr, stop);
      const kind = tables.entry(owner, addr);
      if (kind === Entry.TABLE && owner < 4) {
        const child = (owner + 1) as LevelIndex;
        const t = tables.table(child, addr);
        if (t && t.some((v) => v !== Entry.NONE)) visit(child, addr, next);
        else push(addr, next, table, kind, true, LEVELS[child]);
      } else {
        push(addr, next, table, kind, false, null);
      }
      addr = next;
    }
  };
  if (start < end) visit(0, start, end);
  return { runs, truncated };
}

/** Tables allocated per real level. */
export function tableCounts(state: WalkState): { level: LevelName; tables: number }[] {
  const g = state.geometry;
  const out: { level: LevelName; tables: number }[] = [];
  for (let level = 0; level < 5; level++) if (g.real[level]) out.push({ level: LEVELS[level]!, tables: state.tables.tableCount(level as LevelIndex) });
  return out;
}

/** The address shown for a table address (kernel-half addresses sign-extended on x86). */
export function displayAddr(state: WalkState, addr: Addr): Addr {
  return canonicalAddr(state.geometry, tableAddr(state.geometry, addr));
}
