// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the finished runs of one file hold, read once and shared by every run
 * opened through the same connection. A sweep's branches all begin with the
 * fault-free run: opening each of 2,000 branches must not read its chunks,
 * checkpoints, table versions and notable rows 2,000 times. Only finished
 * runs are cached (a parent segment always is; a run still being written is
 * read afresh at every refresh). Prepared statements are shared too.
 *
 * Every row is checked against its checksum as it is read (schema.ts): what
 * comes out of here is what the writer wrote, or a RecordingError.
 */
import type Database from 'better-sqlite3';
import { addCrc } from '../recorder/checksum.js';
import { checkpointCrc, chunkCrc, versionCrc } from '../recorder/row-crcs.js';
import { damaged } from './recording-error.js';
import { END } from './run-segments.js';

type Mode = 'all' | 'pluck' | 'raw';

/** A chunk's index row. */
export interface ChunkRow {
  readonly first: number;
  readonly count: number;
  /** The sum of its notable rows' hashes. */
  readonly notableSum: number;
}

/** A table version's index row: level, base, seq, the entry counts n_table ... n_hugetlb. */
export type VersionRow = readonly [number, number, number, number, number, number, number, number];

/** Events [first, first + count) in words: 'the chunk of events 0-4095 (run 3)'. */
export function chunkName(run: number, first: number, count: number): string {
  return `the chunk of events ${first}-${first + count - 1}${run === 0 ? '' : ` (run ${run})`}`;
}

export function checkpointName(run: number, seq: number): string {
  return `the checkpoint at event ${seq}${run === 0 ? '' : ` (run ${run})`}`;
}

export class StoredRuns {
  private readonly memo = new Map<string, unknown>();
  private readonly statements = new Map<string, Database.Statement>();
  /** Per stored run: the seq below which its notable rows have been checked against its chunks. */
  readonly notableChecked = new Map<number, number>();
  /** meta as last read and checked, with the checksum it was checked against (each of a sweep's runs reads it). */
  lastMeta: { readonly checksum: unknown; readonly value: unknown } | null = null;

  constructor(
    readonly db: Database.Database,
    /** The file, for errors. */
    readonly file: string,
  ) {}

  /** A prepared statement, made once per connection and mode. */
  prepare(sql: string, mode: Mode = 'all'): Database.Statement {
    const key = `${mode}\0${sql}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (mode === 'pluck') statement.pluck();
      else if (mode === 'raw') statement.raw();
      this.statements.set(key, statement);
    }
    return statement;
  }

  /** `make()`'s value, made once per key: for what a finished run holds (it never changes). */
  cached<T>(key: string, make: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = make();
    this.memo.set(key, value);
    return value;
  }

  /** A run's chunks with first seq in [from, to), checked. A finished run's are read once, then cut. */
  chunks(run: number, from: number, to: number, finished: boolean): readonly ChunkRow[] {
    const read = (lo: number, hi: number) => {
      const rows = this.prepare(CHUNKS, 'raw').all(run, lo, hi) as [number, number, number, number][];
      const out: ChunkRow[] = [];
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const first = row[0];
        const count = row[1];
        if (row[3] !== chunkCrc(run, first, count, row[2])) throw damaged(this.file, `${chunkName(run, first, count)} fails its checksum`);
        out.push({ first, count, notableSum: row[2] });
      }
      return out;
    };
    if (!finished) return read(from, to);
    return this.cached(`chunks:${run}`, () => read(0, END)).filter((c) => c.first >= from && c.first < to);
  }

  /**
   * A run's checkpoints and table versions at checkpoints in [from, to], each
   * checkpoint's row and the sum of its versions' CRCs checked.
   */
  checkpoints(run: number, from: number, to: number, finished: boolean): { readonly checkpoints: readonly number[]; readonly versions: readonly VersionRow[] } {
    const read = (lo: number, hi: number) => {
      const rows = this.prepare(CHECKPOINTS, 'raw').all(run, lo, hi) as [number, number, number][];
      const versions = this.prepare(VERSIONS, 'raw').all(run, lo, hi) as VersionRow[];
      // Both by seq: each checkpoint's versions follow one another, and are summed against its versions_crc.
      const checkpoints: number[] = [];
      let v = 0;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const seq = row[0];
        const versionsCrc = row[1];
        if (row[2] !== checkpointCrc(run, seq, versionsCrc)) throw damaged(this.file, `${checkpointName(run, seq)} fails its checksum`);
        if (v < versions.length && versions[v]![2] < seq) break;
        let sum = 0;
        for (; v < versions.length && versions[v]![2] === seq; v++) {
          const row = versions[v]!;
          sum = addCrc(sum, versionCrc(run, row[0], row[1], seq, row, 3));
        }
        if (sum !== versionsCrc) throw damaged(this.file, `the page tables of ${checkpointName(run, seq)} fail their checksum`);
        checkpoints.push(seq);
      }
      if (v < versions.length) throw damaged(this.file, `page tables are stored at event ${versions[v]![2]}${run === 0 ? '' : ` of run ${run}`}, where it has no checkpoint`);
      return { checkpoints, versions };
    };
    if (!finished) return read(from, to);
    const all = this.cached(`checkpoints:${run}`, () => read(0, END));
    return {
      checkpoints: all.checkpoints.filter((seq) => seq >= from && seq <= to),
      versions: all.versions.filter((row) => row[2] >= from && row[2] <= to),
    };
  }
}

const CHUNKS = 'SELECT first_seq, count, notable_sum, crc FROM chunks WHERE run = ? AND first_seq >= ? AND first_seq < ? ORDER BY first_seq';
const CHECKPOINTS = 'SELECT seq, versions_crc, crc FROM checkpoints INDEXED BY checkpoints_index WHERE run = ? AND seq >= ? AND seq <= ? ORDER BY seq';
const VERSIONS =
  'SELECT level, base, seq, n_table, n_present, n_guard, n_huge, n_hugetlb FROM table_versions INDEXED BY table_versions_counts WHERE run = ? AND seq >= ? AND seq <= ? ORDER BY seq';
