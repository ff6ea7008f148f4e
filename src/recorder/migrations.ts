// SPDX-License-Identifier: GPL-2.0-only
/**
 * Upgrades of older recordings, one schema version at a time, in SQL. A
 * recording written by an older walkback opens in a newer one: replay
 * upgrades a temporary copy (the file itself is opened read-only), and
 * `walkback upgrade` upgrades the file in place, keeping a backup.
 *
 * When the schema moves on, freeze the DDL a migration uses at the version it
 * produces; today's RUN_TABLES_SQL and VIEWS_SQL are schema 3 (1 -> 2 creates
 * them as they are today, and 2 -> 3 then has nothing left to do).
 */
import type Database from 'better-sqlite3';
import { summarize } from '../mm/page-tables.js';
import { RUN_TABLES_SQL, SCHEMA_VERSION, VIEWS_SQL } from './schema.js';

const MIGRATIONS: Record<number, (db: Database.Database) => void> = {
  // 1 -> 2: runs. Every table of run data gains a run column; the file's one run is run 0.
  1: (db) => {
    db.exec(`
      DROP VIEW notable_events;
      DROP VIEW recording;
      DROP INDEX notable_kind;
      DROP INDEX notable_addr;
      ALTER TABLE chunks RENAME TO chunks_v1;
      ALTER TABLE checkpoints RENAME TO checkpoints_v1;
      ALTER TABLE table_versions RENAME TO table_versions_v1;
      ALTER TABLE notable RENAME TO notable_v1;
      ${RUN_TABLES_SQL}
      INSERT INTO runs (id, parent, fork_seq, label, status, end_reason, ret, client_ret, event_count, error)
        SELECT 0, NULL, 0, 'base',
          (SELECT value FROM meta WHERE key = 'status'), (SELECT value FROM meta WHERE key = 'end'),
          (SELECT value FROM meta WHERE key = 'ret'), (SELECT value FROM meta WHERE key = 'client_ret'),
          coalesce((SELECT value FROM meta WHERE key = 'event_count'), 0), (SELECT value FROM meta WHERE key = 'error');
      INSERT INTO chunks (run, first_seq, count, data) SELECT 0, first_seq, count, data FROM chunks_v1;
      INSERT INTO checkpoints (run, seq, context) SELECT 0, seq, context FROM checkpoints_v1;
      INSERT INTO table_versions (run, level, base, seq, data) SELECT 0, level, base, seq, data FROM table_versions_v1;
      INSERT INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step)
        SELECT 0, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step FROM notable_v1;
      DROP TABLE chunks_v1;
      DROP TABLE checkpoints_v1;
      DROP TABLE table_versions_v1;
      DROP TABLE notable_v1;
      ${VIEWS_SQL}
    `);
    // Schema 1 kept no entry counts: count them now.
    countEntries(db);
  },
  // 2 -> 3: entry counts (early schema-2 files lack them) and an index that covers them.
  2: (db) => {
    const columns = (db.prepare('PRAGMA table_info(table_versions)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('n_table')) {
      for (const name of ['n_table', 'n_present', 'n_guard', 'n_huge', 'n_hugetlb'])
        db.exec(`ALTER TABLE table_versions ADD COLUMN ${name} INTEGER NOT NULL DEFAULT 0`);
      countEntries(db);
    }
    db.exec('CREATE INDEX IF NOT EXISTS table_versions_counts ON table_versions (run, seq, level, base, n_table, n_present, n_guard, n_huge, n_hugetlb)');
  },
};

/** Fill in the entry counts of every table version from its contents. */
function countEntries(db: Database.Database): void {
  const update = db.prepare(
    'UPDATE table_versions SET n_table = ?, n_present = ?, n_guard = ?, n_huge = ?, n_hugetlb = ? WHERE run = ? AND level = ? AND base = ? AND seq = ?',
  );
  for (const row of db.prepare('SELECT run, level, base, seq, data FROM table_versions').safeIntegers(true).all() as {
    run: bigint;
    level: bigint;
    base: bigint;
    seq: bigint;
    data: Buffer;
  }[]) {
    const c = summarize(new Uint8Array(row.data));
    update.run(c[1], c[2], c[3], c[4], c[5], row.run, row.level, row.base, row.seq);
  }
}

/** Whether a recording of this schema version can be upgraded to the current one. */
export function canMigrate(from: number): boolean {
  for (let v = from; v < SCHEMA_VERSION; v++) if (!MIGRATIONS[v]) return false;
  return from >= 1 && from <= SCHEMA_VERSION;
}

/** Upgrade an open, writable recording to the current schema, in one transaction. */
export function migrate(db: Database.Database): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let v = from; v < SCHEMA_VERSION; v++) {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(BigInt(SCHEMA_VERSION));
  })();
  return from;
}
