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

export interface StoredRunIndex {
  /** Its chunks, by first seq. */
  readonly chunks: readonly { readonly first: number; readonly count: number }[];
  /** Its checkpoints' seqs, ascending. */
  readonly checkpoints: readonly number[];
  /** Its table versions: level, base, seq, then the entry counts (n_table ... n_hugetlb), by seq. */
  readonly versions: readonly (readonly number[])[];
}

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

  /** Everything the index of a finished stored run needs. */
  index(run: number): StoredRunIndex {
    return this.cached(`index:${run}`, () => ({
      chunks: this.prepare('SELECT first_seq AS first, count FROM chunks WHERE run = ? ORDER BY first_seq').all(run) as { first: number; count: number }[],
      checkpoints: this.prepare('SELECT seq FROM checkpoints WHERE run = ? ORDER BY seq', 'pluck').all(run) as number[],
      versions: this.prepare('SELECT level, base, seq, n_table, n_present, n_guard, n_huge, n_hugetlb FROM table_versions WHERE run = ? ORDER BY seq', 'raw').all(run) as number[][],
    }));
  }
}
