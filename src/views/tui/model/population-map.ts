// SPDX-License-Identifier: GPL-2.0-only
/**
 * The population map: a range of addresses cut into cells, each summarized
 * from the page tables at the cursor: untouched (no table reaches it), a table
 * allocated but empty, present pages, guard markers, huge or hugetlb entries.
 * Whole PTE tables are counted from their summaries, so the cost follows the
 * tables in the range, not its size; a cell smaller than a table reads it.
 */
import type { Addr, LevelIndex } from '../../../events/walk-event.js';
import { Entry } from '../../../events/walk-event.js';
import { alignDown, levelAddrEnd, ownerLevel, slotIndex, tableAddr, tableBase } from '../../../mm/geometry.js';
import type { TableSource } from '../../../mm/page-tables.js';
import type { WalkState } from '../../../replay/walk-state.js';

export type CellKind = 'untouched' | 'empty' | 'present' | 'guard' | 'huge' | 'hugetlb';

export interface Counts {
  untouched: number;
  empty: number;
  present: number;
  guard: number;
  huge: number;
  hugetlb: number;
}

export interface Cell {
  readonly start: Addr;
  readonly end: Addr;
  /** What the cell shows: the most telling kind it holds. */
  readonly kind: CellKind;
  /** Pages of each kind. */
  readonly counts: Readonly<Counts>;
}

/** Which kind a cell shows when it holds several: what a reviewer looks for first. */
const PRIORITY: CellKind[] = ['guard', 'present', 'huge', 'hugetlb', 'empty', 'untouched'];

const zero = (): Counts => ({ untouched: 0, empty: 0, present: 0, guard: 0, huge: 0, hugetlb: 0 });

/** Count the pages of each kind in [a, b). */
export function countRange(state: WalkState, a: Addr, b: Addr): Counts {
  const g = state.geometry;
  const tables = state.tables;
  const page = g.pageSize;
  const out = zero();
  const visit = (level: LevelIndex, from: Addr, to: Addr): void => {
    const owner = ownerLevel(g, level);
    const span = g.tableSpan[level]!;
    let addr = from;
    while (addr < to) {
      // One table at a time, read once: its slots are indexed directly.
      const tableEnd = Math.min(to, alignDown(addr, span) + span);
      const table = tables.table(level, addr);
      if (!table) {
        out.untouched += (tableEnd - addr) / page;
        addr = tableEnd;
        continue;
      }
      let slot = slotIndex(g, level, addr);
      while (addr < tableEnd) {
        const next = levelAddrEnd(g, level, addr, tableEnd);
        const pages = (next - addr) / page;
        const kind = table[slot++]!;
        if (kind === Entry.NONE) {
          if (owner === 4) out.empty += pages;
          else out.untouched += pages;
        } else if (kind === Entry.PRESENT) out.present += pages;
        else if (kind === Entry.MARKER) out.guard += pages;
        else if (kind === Entry.HUGE) out.huge += pages;
        else if (kind === Entry.HUGETLB) out.hugetlb += pages;
        else if (kind === Entry.TABLE && owner < 4) {
          const child = (owner + 1) as LevelIndex;
          const childSpan = g.tableSpan[child]!;
          const whole = next - addr === childSpan && alignDown(addr, childSpan) === addr;
          const summary = whole && child === 4 ? tables.summaryAt(4, tableBase(g, 4, addr)) : undefined;
          if (summary) {
            out.empty += summary[Entry.NONE]!;
            out.present += summary[Entry.PRESENT]!;
            out.guard += summary[Entry.MARKER]!;
          } else {
            visit(child, addr, next);
          }
        }
        addr = next;
      }
    }
  };
  if (a < b) visit(0, a, b);
  return out;
}

export function cellKind(counts: Counts): CellKind {
  for (const kind of PRIORITY) if (counts[kind] > 0) return kind;
  return 'untouched';
}

/**
 * Cells counted from a checkpoint's tables alone, per checkpoint (by its table
 * source) and layout: moving the cursor recounts only the cells over tables
 * written since the checkpoint, not the whole range.
 */
const fromCheckpoint = new WeakMap<TableSource, Map<string, (Counts | undefined)[]>>();

/** Cut [start, end) into at most `cells` page-aligned cells and summarize each. */
export function populationMap(state: WalkState, start: Addr, end: Addr, cells: number): Cell[] {
  const g = state.geometry;
  const page = g.pageSize;
  if (end <= start || cells < 1) return [];
  const pages = (end - start) / page;
  // Cells of whole tables where they can be (a cell bigger than a PTE table's span is a
  // multiple of it): whole tables are counted from their summaries, without reading them.
  const tablePages = g.tableSpan[4]! / page;
  let per = Math.max(1, Math.ceil(pages / cells));
  if (per > tablePages) per = Math.ceil(per / tablePages) * tablePages;
  const source = state.tables.source;
  let memo: (Counts | undefined)[] | undefined;
  if (source) {
    let layouts = fromCheckpoint.get(source);
    if (!layouts) fromCheckpoint.set(source, (layouts = new Map()));
    const key = `${start}:${end}:${per}`;
    memo = layouts.get(key);
    if (!memo) layouts.set(key, (memo = []));
  }
  // The spans, in table addresses, of tables written since the checkpoint.
  const written = state.tables.ownTables().map(([level, base]) => [base, base + g.tableSpan[level]!] as const);
  const out: Cell[] = [];
  for (let a = start, i = 0; a < end; i++) {
    const b = Math.min(end, a + per * page);
    const ta = tableAddr(g, a);
    const changed = written.some(([lo, hi]) => lo < ta + (b - a) && ta < hi);
    let counts = changed ? undefined : memo?.[i];
    if (!counts) {
      counts = countRange(state, a, b);
      if (memo && !changed) memo[i] = counts;
    }
    out.push({ start: a, end: b, kind: cellKind(counts), counts });
    a = b;
  }
  return out;
}

/**
 * The range the map shows at a zoom level: the whole range at 0, and at each
 * level in, half as much, centred on `focus` (clamped to the range, page aligned).
 */
export function zoomedRange(start: Addr, end: Addr, zoom: number, focus: Addr, page: number, cells: number): [Addr, Addr] {
  const pages = (end - start) / page;
  // Zooming stops when a cell is one page.
  let want = Math.max(Math.min(pages, cells), Math.ceil(pages / 2 ** zoom));
  want = Math.min(pages, want);
  const size = want * page;
  // Whole pages either side of the focus page, so that a range of one page is the focus page.
  let lo = alignDown(Math.min(Math.max(focus, start), end - page), page) - Math.floor(want / 2) * page;
  lo = Math.max(start, Math.min(lo, end - size));
  return [lo, lo + size];
}

/** The closest useful zoom of [start, end) over `cells` cells: the first at which a cell is one page (zoomedRange goes no further). */
export function maxZoom(start: Addr, end: Addr, page: number, cells: number): number {
  const pages = (end - start) / page;
  let zoom = 0;
  while (Math.ceil(pages / 2 ** zoom) > cells && zoom < 60) zoom++;
  return zoom;
}
