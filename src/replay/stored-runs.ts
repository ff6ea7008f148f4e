// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the finished runs of one file hold, read once and shared by every run
 * opened through the same connection. A sweep's branches all begin with the
 * fault-free run: opening each of 2,000 branches must not read its chunks,
 * checkpoints, table versions and notable rows 2,000 times. Only finished
 * runs are cached (a parent segment always is; a run still being written is
 * read afresh at every refresh). Prepared statements are shared too.
 */
import type Database from 'better-sqlite3';
import { END } from './run-segments.js';

type Mode = 'all' | 'pluck' | 'raw';

export class StoredRuns {
  private readonly memo = new Map<string, unknown>();
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

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

  /** A run's chunks with first seq in [from, to). A finished run's are read once, then cut. */
  chunks(run: number, from: number, to: number, finished: boolean): readonly { readonly first: number; readonly count: number }[] {
    const read = (lo: number, hi: number) => this.prepare(CHUNKS).all(run, lo, hi) as { first: number; count: number }[];
    if (!finished) return read(from, to);
    return this.cached(`chunks:${run}`, () => read(0, END)).filter((c) => c.first >= from && c.first < to);
  }

  /** A run's checkpoint seqs in [from, to]. */
  checkpoints(run: number, from: number, to: number, finished: boolean): readonly number[] {
    const read = (lo: number, hi: number) => this.prepare(CHECKPOINTS, 'pluck').all(run, lo, hi) as number[];
    if (!finished) return read(from, to);
    return this.cached(`checkpoints:${run}`, () => read(0, END)).filter((seq) => seq >= from && seq <= to);
  }

  /** A run's table versions at checkpoints in [from, to]: level, base, seq, then the entry counts (n_table ... n_hugetlb). */
  versions(run: number, from: number, to: number, finished: boolean): readonly (readonly number[])[] {
    const read = (lo: number, hi: number) => this.prepare(VERSIONS, 'raw').all(run, lo, hi) as number[][];
    if (!finished) return read(from, to);
    return this.cached(`versions:${run}`, () => read(0, END)).filter((row) => row[2]! >= from && row[2]! <= to);
  }
}

const CHUNKS = 'SELECT first_seq AS first, count FROM chunks WHERE run = ? AND first_seq >= ? AND first_seq < ? ORDER BY first_seq';
const CHECKPOINTS = 'SELECT seq FROM checkpoints WHERE run = ? AND seq >= ? AND seq <= ? ORDER BY seq';
const VERSIONS = 'SELECT level, base, seq, n_table, n_present, n_guard, n_huge, n_hugetlb FROM table_versions WHERE run = ? AND seq >= ? AND seq <= ? ORDER BY seq';
