// SPDX-License-Identifier: GPL-2.0-only
/**
 * Derived views of a state, computed on demand (never stored): the page
 * tables over a range as coalesced runs (the ptdump idiom), and counts.
 * Cost is proportional to the tables that exist in the range, not to its size
 * (nor to their entries, where a table's entry counts say enough).
 */
import type { Addr, LevelIndex, LevelName } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import { alignDown, canonicalAddr, levelAddrEnd, ownerLevel, tableAddr, tableBase } from '../mm/geometry.js';
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
 *
 * A table is read only when its entries differ: whether a table is empty,
 * and whether one the range covers whole holds one kind of entry throughout
 * (a PTE table of 512 guard markers), comes from its entry counts, which a
 * recording knows without reading the table. So the cost is the tables in
 * the range, not their entries: show at the end of a walk over terabytes
 * stays quick.
 */
export function entryRuns(state: WalkState, start: Addr, end: Addr, limit = 10_000): { runs: EntryRunView[]; truncated: boolean } {
  const g = state.geometry;
  const tables = state.tables;
  const runs: { -readonly [K in keyof EntryRunView]: EntryRunView[K] }[] = [];
  let truncated = false;
  const push = (s: Addr, e: Addr, level: LevelIndex, entry: number, emptyTable: boolean, table: LevelName | null, count = 1) => {
    const last = runs[runs.length - 1];
    const name = LEVELS[level];
    if (last && last.end === s && last.level === name && last.entry === entry && last.emptyTable === emptyTable) {
      last.end = e;
      last.count += count;
      return;
    }
    if (runs.length >= limit) {
      truncated = true;
      return;
    }
    runs.push({ start: s, end: e, level: name, entry, table, emptyTable, count });
  };

  // Walk the real levels as the walker does, one slot at a time, where tables exist.
  const visit = (table: LevelIndex, addr: Addr, stop: Addr): void => {
    const owner = ownerLevel(g, table);
    // A table covered whole whose entries are all one kind (and not tables to descend into): one run.
    const whole = table > 0 && addr === alignDown(addr, g.tableSpan[table]!) && stop - addr === g.tableSpan[table]!;
    if (whole) {
      const kind = uniformKind(tables.summaryAt(table, tableBase(g, table, addr)));
      if (kind !== null && (kind !== Entry.TABLE || owner === 4)) {
        push(addr, stop, table, kind, false, null, g.ptrs[table]!);
        return;
      }
    }
    while (addr < stop && !truncated) {
      const next = levelAddrEnd(g, table, addr, stop);
      const kind = tables.entry(owner, addr);
      if (kind === Entry.TABLE && owner < 4) {
        const child = (owner + 1) as LevelIndex;
        const counts = tables.summaryAt(child, tableBase(g, child, addr));
        if (counts && counts[Entry.NONE]! < g.ptrs[child]!) visit(child, addr, next);
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

/** The one kind every entry of a table holds, from its counts; null when they differ. */
function uniformKind(counts: Uint32Array | undefined): number | null {
  if (!counts) return null;
  let kind: number | null = null;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] === 0) continue;
    if (kind !== null) return null;
    kind = k;
  }
  return kind;
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
