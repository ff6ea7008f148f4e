// SPDX-License-Identifier: GPL-2.0-only
/**
 * A recording's notable index, held in memory per kind once it has been read.
 * The UI asks it something on every key (the next allocation, the timeline's
 * markers, the abort summary): a query is a binary search, not a SQL round
 * trip converting BigInts. Addresses come out of SQLite as two 32-bit halves,
 * so no BigInt is made at all. A kind with very many rows stays in SQLite.
 * The recording checks the rows against their chunks' sums, and the index
 * these queries read through against the rows, before it asks anything here
 * (Recording.checkNotable).
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
type RawRow = [number, number, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number, number, number];

const joinHalves = (hi: number | null, lo: number | null): Addr | null => (hi === null || lo === null ? null : hi * 2 ** 32 + lo);

function toRow(r: RawRow): NotableRow {
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
const rawSeq = (row: RawRow): number => row[0];

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
  ) {}

  /** A finished parent's rows of one kind, read once per file (its branches share them). */
  private storedRows(run: number, kind: number): readonly RawRow[] {
    return this.shared.cached(`notable:${run}:${kind}`, () =>
      this.shared.prepare(`SELECT ${COLUMNS} FROM notable INDEXED BY notable_kind WHERE run = ? AND kind = ? ORDER BY seq`, 'raw').all(run, kind) as RawRow[],
    );
  }

  private isLast(segment: Segment): boolean {
    return segment === this.segments[this.segments.length - 1];
  }

  /** The recording now holds events below `end`: rows of held kinds up to it are added. */
  extend(end: number): void {
    if (end <= this.end) return;
    if (this.held.size) {
      const kinds = [...this.held.keys()];
      for (const raw of this.fetch(`kind IN (${kinds.join(',')})`, [], this.end, end)) this.held.get(raw[1])!.push(toRow(raw));
    }
    this.end = end;
  }

  /** Rows of these kinds with seq in [from, to), by seq; with `near`, only those whose address is in [near[0], near[1]). */
  query(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    to = Math.min(to, this.end);
    if (from >= to) return [];
    const out: NotableRow[] = [];
    const sqlKinds: number[] = [];
    for (const kind of kinds) {
      // A look near an address at a kind not yet held asks SQLite (its address index) rather than read every row.
      const rows = near && !this.held.has(kind) ? null : this.rowsOf(kind);
      if (rows === null) {
        sqlKinds.push(kind);
        continue;
      }
      for (let i = lowerBound(rows, from, rowSeq); i < rows.length && rows[i]!.seq < to; i++) out.push(rows[i]!);
    }
    if (sqlKinds.length) for (const row of this.select(sqlKinds, from, to, near)) out.push(row);
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
      if (!this.isLast(segment)) {
        const rows = this.storedRows(segment.run, kind);
        count += lowerBound(rows, to, rawSeq) - lowerBound(rows, segment.from, rawSeq);
        continue;
      }
      count += this.shared.prepare('SELECT count(*) FROM notable WHERE run = ? AND kind = ? AND seq >= ? AND seq < ?', 'pluck').get(segment.run, kind, segment.from, to) as number;
    }
    if (count > MAX_HELD_ROWS) {
      this.tooMany.add(kind);
      return null;
    }
    // One kind through its index (SQLite's planner, without statistics, would scan every row by seq).
    const rows = this.fetch('kind = ?', [kind], 0, this.end, 'INDEXED BY notable_kind', kind).map(toRow);
    this.held.set(kind, rows);
    return rows;
  }

  private select(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    // Addresses are stored signed: a window that crosses 2^63 is not one comparison, and is filtered by the caller.
    const byAddr = near !== undefined && near[0] < near[1] && (near[1] <= 2 ** 63 || near[0] >= 2 ** 63);
    const bounds = byAddr ? [addrToSql(near[0]), near[1] >= 2 ** 64 ? 2n ** 63n - 1n : addrToSql(near[1])] : [];
    return this.fetch(`kind IN (${kinds.map(() => '?').join(',')})${byAddr ? ' AND addr >= ? AND addr < ?' : ''}`, [...kinds, ...bounds], from, to).map(toRow);
  }

  /**
   * Raw rows matching `where` with seq in [from, to), segment by segment; a
   * parent's run (say, of set_ptes) that reaches past the fork is cut there.
   */
  private fetch(where: string, params: readonly unknown[], from: number, to: number, hint = '', kind?: number): RawRow[] {
    const out: RawRow[] = [];
    for (const segment of this.segments) {
      const lo = Math.max(from, segment.from);
      const hi = Math.min(to, segment.to);
      if (lo >= hi) continue;
      let rows: readonly RawRow[];
      if (kind !== undefined && !this.isLast(segment)) {
        const stored = this.storedRows(segment.run, kind);
        rows = stored.slice(lowerBound(stored, lo, rawSeq), lowerBound(stored, hi, rawSeq));
      } else {
        rows = this.shared
          .prepare(`SELECT ${COLUMNS} FROM notable ${hint} WHERE run = ? AND ${where} AND seq >= ? AND seq < ? ORDER BY seq`, 'raw')
          .all([segment.run, ...params, lo, hi]) as RawRow[];
      }
      for (const row of rows) {
        const step = row[10];
        // Cut a copy: stored rows are shared with the other runs of the file.
        if (row[9] > 1 && step > 0 && row[0] + (row[9] - 1) * step >= segment.to) {
          const cut = [...row] as RawRow;
          cut[9] = Math.ceil((segment.to - row[0]) / step);
          out.push(cut);
        } else out.push(row);
      }
    }
    return out;
  }
}
