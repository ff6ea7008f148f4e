// SPDX-License-Identifier: GPL-2.0-only
/**
 * A recording's notable index, held in memory per kind once it has been read.
 * The UI asks it something on every key (the next allocation, the timeline's
 * markers, the abort summary): a query is a binary search, not a SQL round
 * trip converting BigInts. Addresses come out of SQLite as two 32-bit halves,
 * so no BigInt is made at all.
 *
 * The rows come from the recording's check of them against their chunks'
 * checksums (Recording.checkNotable), which reads every row of a stored run
 * once and keeps them here by kind (StoredRuns.notableRows): the check and
 * the index cost one read. A run with very many rows is not kept: its rows
 * are queried in SQLite each time instead (after the same check).
 */
import type { NotableRow } from '../events/notable.js';
import type { Addr } from '../events/walk-event.js';
import { NOTABLE_RAW_COLUMNS as COLUMNS } from '../recorder/row-crcs.js';
import { addrToSql } from '../recorder/schema.js';
import type { Segment } from './run-segments.js';
import type { StoredRuns } from './stored-runs.js';

/** A kind with more rows than this is queried in SQLite each time instead of held. */
const MAX_HELD_ROWS = 1_000_000;

/** A row as SQLite hands it over, column by column (raw arrays are several times cheaper than objects). */
export type RawRow = [number, number, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number, number, number];

const joinHalves = (hi: number | null, lo: number | null): Addr | null => (hi === null || lo === null ? null : hi * 2 ** 32 + lo);

export function toRow(r: RawRow): NotableRow {
  return {
    seq: r[0],
    kind: r[1],
    level: r[2],
    addr: joinHalves(r[3], r[4]),
    next: joinHalves(r[5], r[6]),
    depth: r[7],
    value: r[8],
    count: r[9],
    seqStep: r[10],
    addrStep: r[11],
  };
}

/** The first index whose row's seq (by `seqOf`) is >= seq. */
function lowerBound<T>(rows: readonly T[], seq: number, seqOf: (row: T) => number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqOf(rows[mid]!) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const rowSeq = (row: NotableRow): number => row.seq;
const NONE: readonly NotableRow[] = [];

export class NotableStore {
  /** Rows per kind, by seq, for the kinds read so far. */
  private readonly held = new Map<number, NotableRow[]>();
  /** Kinds with too many rows to hold. */
  private readonly tooMany = new Set<number>();
  /** Rows are known for events below this. */
  private end = 0;

  constructor(
    private readonly shared: StoredRuns,
    /** The stored runs the run is read from (a branch: its parent's rows before the fork, then its own). */
    private readonly segments: readonly Segment[],
    /** Called before rows are read through an index rather than from the rows checked (the recording holds the indexes to the rows). */
    private readonly beforeIndex: () => void,
  ) {}

  /** Whether every stored run read holds its checked rows in memory. */
  private kept(): boolean {
    return this.segments.every((segment) => this.shared.notableRows.get(segment.run));
  }

  /**
   * For a timeline `columns.length` wide over the first `length` events: mark
   * the columns holding a member of a row of these kinds (with `negativeUnless`,
   * rows of other kinds count only when their value is negative), from the rows
   * in memory; false when they are not (the recording asks SQLite).
   */
  columns(columns: Uint8Array, kinds: readonly number[], length: number, negativeUnless?: readonly number[]): boolean {
    if (!this.kept()) return false;
    const width = columns.length;
    const col = (seq: number) => Math.min(width - 1, Math.floor((seq * width) / length));
    for (const segment of this.segments) {
      const hi = Math.min(segment.to, length);
      if (segment.from >= hi) continue;
      for (const kind of kinds) {
        const rows = this.storedRows(segment.run, kind)!;
        const always = !negativeUnless || negativeUnless.includes(kind);
        for (let i = lowerBound(rows, segment.from, rowSeq); i < rows.length && rows[i]!.seq < hi; i++) {
          const row = rows[i]!;
          if (!always && !(row.value !== null && row.value < 0)) continue;
          const seq = row.seq;
          const count = row.count;
          const step = row.seqStep;
          if (count === 1 || step * width <= length) {
            // Single events and dense runs (members at most a column apart): every column from the first member to the last (cut at the segment's end).
            const last = Math.min(seq + (count - 1) * step, hi - 1);
            for (let c = col(seq); c <= col(last); c++) columns[c] = 1;
          } else for (let j = 0; j < count && seq + j * step < hi; j++) columns[col(seq + j * step)] = 1;
        }
      }
    }
    return true;
  }

  /** A stored run's checked rows of one kind, by seq; null when the run has too many rows to keep (ask SQLite). */
  private storedRows(run: number, kind: number): readonly NotableRow[] | null {
    const kept = this.shared.notableRows.get(run);
    return kept === null || kept === undefined ? null : (kept.get(kind) ?? NONE);
  }

  /** The recording now holds events below `end`, their rows checked: rows of held kinds up to it are added. */
  extend(end: number): void {
    if (end <= this.end) return;
    for (const [kind, rows] of this.held) for (const row of this.fetch(kind, this.end, end)) rows.push(row);
    this.end = end;
  }

  /** Rows of these kinds with seq in [from, to), by seq; with `near`, only those whose address is in [near[0], near[1]). */
  query(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    to = Math.min(to, this.end);
    if (from >= to) return [];
    const out: NotableRow[] = [];
    const sqlKinds: number[] = [];
    // A look near an address at a kind not yet held asks SQLite (its address index) rather than read every row, unless they are in memory already.
    const kept = this.kept();
    for (const kind of kinds) {
      const rows = near && !kept && !this.held.has(kind) ? null : this.rowsOf(kind);
      if (rows === null) {
        sqlKinds.push(kind);
        continue;
      }
      for (let i = lowerBound(rows, from, rowSeq); i < rows.length && rows[i]!.seq < to; i++) out.push(rows[i]!);
    }
    if (sqlKinds.length) out.push(...this.select(sqlKinds, from, to, near));
    if (kinds.length > 1) out.sort((a, b) => a.seq - b.seq);
    return near ? out.filter((r) => r.addr !== null && r.addr >= near[0] && r.addr < near[1]) : out;
  }

  private rowsOf(kind: number): NotableRow[] | null {
    const held = this.held.get(kind);
    if (held) return held;
    if (this.tooMany.has(kind)) return null;
    let count = 0;
    for (const segment of this.segments) {
      const to = Math.min(segment.to, this.end);
      const rows = this.storedRows(segment.run, kind);
      if (rows) count += lowerBound(rows, to, rowSeq) - lowerBound(rows, segment.from, rowSeq);
      else {
        this.beforeIndex();
        count += this.shared.prepare('SELECT count(*) FROM notable WHERE run = ? AND kind = ? AND seq >= ? AND seq < ?', 'pluck').get(segment.run, kind, segment.from, to) as number;
      }
    }
    if (count > MAX_HELD_ROWS) {
      this.tooMany.add(kind);
      return null;
    }
    const rows = this.fetch(kind, 0, this.end);
    this.held.set(kind, rows);
    return rows;
  }

  /** Rows of kinds not held: from SQLite, near an address through its index when asked. */
  private select(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    // Addresses are stored signed: a window that crosses 2^63 is not one comparison, and is filtered by the caller.
    const byAddr = near !== undefined && near[0] < near[1] && (near[1] <= 2 ** 63 || near[0] >= 2 ** 63);
    const bounds = byAddr ? [addrToSql(near[0]), near[1] >= 2 ** 64 ? 2n ** 63n - 1n : addrToSql(near[1])] : [];
    this.beforeIndex();
    const out: NotableRow[] = [];
    for (const segment of this.segments) {
      const lo = Math.max(from, segment.from);
      const hi = Math.min(to, segment.to);
      if (lo >= hi) continue;
      const rows = this.shared
        .prepare(`SELECT ${COLUMNS} FROM notable WHERE run = ? AND kind IN (${kinds.map(() => '?').join(',')})${byAddr ? ' AND addr >= ? AND addr < ?' : ''} AND seq >= ? AND seq < ? ORDER BY seq`, 'raw')
        .all(segment.run, ...kinds, ...bounds, lo, hi) as RawRow[];
      for (const row of rows) out.push(cut(toRow(row), segment));
    }
    return out;
  }

  /**
   * Raw rows of one kind with seq in [from, to), segment by segment; a
   * parent's run (say, of set_ptes) that reaches past the fork is cut there.
   */
  private fetch(kind: number, from: number, to: number): NotableRow[] {
    const out: NotableRow[] = [];
    for (const segment of this.segments) {
      const lo = Math.max(from, segment.from);
      const hi = Math.min(to, segment.to);
      if (lo >= hi) continue;
      const stored = this.storedRows(segment.run, kind);
      if (stored) {
        for (let i = lowerBound(stored, lo, rowSeq); i < stored.length && stored[i]!.seq < hi; i++) out.push(cut(stored[i]!, segment));
        continue;
      }
      this.beforeIndex();
      const rows = this.shared
        .prepare(`SELECT ${COLUMNS} FROM notable INDEXED BY notable_kind WHERE run = ? AND kind = ? AND seq >= ? AND seq < ? ORDER BY seq`, 'raw')
        .all(segment.run, kind, lo, hi) as RawRow[];
      for (const row of rows) out.push(cut(toRow(row), segment));
    }
    return out;
  }
}

/** A row as far as a segment holds it: a run of events that reaches past the segment's end (a fork) is cut there, in a copy (stored rows are shared). */
function cut(row: NotableRow, segment: Segment): NotableRow {
  const step = row.seqStep;
  if (row.count > 1 && step > 0 && row.seq + (row.count - 1) * step >= segment.to) return { ...row, count: Math.ceil((segment.to - row.seq) / step) };
  return row;
}
