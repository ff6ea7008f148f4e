// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page tables at the cursor as a collapsible tree, pgd -> p4d -> pud ->
 * pmd -> pte, over the range that matters (the walk's). Rows are built only
 * for expanded tables; neighbouring entries of the same kind are one row.
 * Folded levels are named on the row of the entry they fold into.
 */
import type { Addr, LevelIndex, LevelName, WalkEvent } from '../../../events/walk-event.js';
import { Entry, LEVELS } from '../../../events/walk-event.js';
import type { Geometry } from '../../../mm/geometry.js';
import { alignDown, canonicalAddr, levelAddrEnd, ownerLevel, tableAddr, tableBase } from '../../../mm/geometry.js';
import type { WalkState } from '../../../replay/walk-state.js';

export interface TreeRow {
  /** Identifies an expandable entry: `${tableLevel}:${start}`. */
  readonly key: string;
  readonly depth: number;
  /** The real level of the table holding the entries. */
  readonly table: LevelName;
  /** Folded levels between this entry and the next table, named on its row. */
  readonly folded: readonly LevelName[];
  /** The walker level that owns these entries (for provenance). */
  readonly owner: LevelIndex;
  readonly start: Addr;
  readonly end: Addr;
  readonly entry: number;
  /** For a table entry: the level of the table it points to (the next real level down); else null. */
  readonly child: LevelName | null;
  /** Entries in the row. */
  readonly count: number;
  /** A table entry whose table has no entry that is not none. */
  readonly emptyTable: boolean;
  readonly expandable: boolean;
  readonly expanded: boolean;
  /** Changed by the event at the cursor. */
  readonly changed: boolean;
  /** The walker is at this entry. */
  readonly here: boolean;
}

export interface Span {
  readonly level: LevelIndex;
  readonly start: Addr;
  readonly end: Addr;
}

/** The entries an event changes (owner level and address span), for highlighting. */
export function changedBy(e: WalkEvent | null, g: Geometry): Span[] {
  if (!e) return [];
  const slot = (level: LevelIndex, addr: Addr): Span => {
    const size = g.entrySize[g.slotTable[level]!]!;
    const start = alignDown(addr, size);
    return { level, start, end: start + size };
  };
  switch (e.type) {
    case 'set_pte':
      return [slot(4, e.addr)];
    case 'alloc':
      return [slot((LEVELS.indexOf(e.level) - 1) as LevelIndex, e.addr)];
    case 'split_pmd':
      return [slot(3, e.addr)];
    case 'split_pud':
      return [slot(2, e.addr)];
    case 'zap_split':
      return [slot(LEVELS.indexOf(e.level) as LevelIndex, e.addr)];
    case 'clear':
      return [slot(ownerLevel(g, LEVELS.indexOf(e.level) as LevelIndex), e.addr)];
    case 'state': {
      const level: LevelIndex = e.kind === 'pte' || e.kind === 'guard' ? 4 : e.kind === 'thp-pmd' ? 3 : e.kind === 'thp-pud' ? 2 : 4;
      const size = e.kind === 'pte' || e.kind === 'guard' ? e.count * g.pageSize : g.entrySize[g.slotTable[level]!]!;
      return [{ level, start: e.at, end: e.at + size }];
    }
    default:
      return [];
  }
}

export interface TreeOptions {
  /** Keys of tables the user opened. */
  readonly expanded: ReadonlySet<string>;
  /** Keys of tables the user closed (they stay closed even on the walker's path). */
  readonly collapsed: ReadonlySet<string>;
  /** Open the tables on the walker's path (where the cursor's event happens). */
  readonly followWalker: boolean;
  readonly changed: readonly Span[];
  /** At most this many rows. */
  readonly limit?: number;
}

export function treeKey(table: LevelIndex, start: Addr): string {
  return `${table}:${start}`;
}

/** The rows of the tree over [start, end). */
export function treeRows(state: WalkState, start: Addr, end: Addr, options: TreeOptions): { rows: TreeRow[]; truncated: boolean } {
  const g = state.geometry;
  const tables = state.tables;
  const limit = options.limit ?? 5000;
  const rows: TreeRow[] = [];
  let truncated = false;
  const here = state.at?.addr ?? null;
  const display = (a: Addr) => canonicalAddr(g, tableAddr(g, a));

  const touches = (spans: readonly Span[], level: LevelIndex, s: Addr, e: Addr) =>
    spans.some((c) => c.level === level && c.start < e && s < c.end);

  const visit = (table: LevelIndex, from: Addr, to: Addr, depth: number): void => {
    const owner = ownerLevel(g, table);
    const folded: LevelName[] = [];
    for (let l = table + 1; l <= owner; l++) folded.push(LEVELS[l]!);
    let addr = from;
    while (addr < to) {
      if (rows.length >= limit) {
        truncated = true;
        return;
      }
      const next = levelAddrEnd(g, table, addr, to);
      const kind = tables.entry(owner, addr);
      const slotStart = alignDown(addr, g.entrySize[table]!);
      const key = treeKey(table, slotStart);
      const changed = touches(options.changed, owner, addr, next);
      const isHere = here !== null && addr <= here && here < next;
      if (kind === Entry.TABLE && owner < 4) {
        const child = (owner + 1) as LevelIndex;
        // Counted without reading the table where the source knows its counts (a recording does).
        const base = tableBase(g, child, addr);
        const counts = tables.summaryAt(child, base);
        const empty = counts ? counts[Entry.NONE] === g.ptrs[child] : true;
        const expanded = !options.collapsed.has(key) && (options.expanded.has(key) || (options.followWalker && isHere));
        rows.push({ key, depth, table: LEVELS[table], folded, owner, start: display(addr), end: display(addr) + (next - addr), entry: kind, child: LEVELS[child], count: 1, emptyTable: empty, expandable: true, expanded, changed, here: isHere });
        if (expanded) visit(child, addr, next, depth + 1);
      } else {
        // A run of neighbouring entries of the same kind: one row.
        const last = rows[rows.length - 1];
        if (last && !last.expandable && last.depth === depth && last.entry === kind && last.table === LEVELS[table] && last.end === display(addr) && last.changed === changed && !isHere && !last.here) {
          rows[rows.length - 1] = { ...last, end: display(addr) + (next - addr), count: last.count + 1 };
        } else {
          rows.push({ key, depth, table: LEVELS[table], folded, owner, start: display(addr), end: display(addr) + (next - addr), entry: kind, child: kind === Entry.TABLE && owner < 4 ? LEVELS[owner + 1]! : null, count: 1, emptyTable: false, expandable: false, expanded: false, changed, here: isHere });
        }
      }
      addr = next;
    }
  };
  if (start < end) visit(0, start, end, 0);
  return { rows, truncated };
}
