// SPDX-License-Identifier: GPL-2.0-only
/**
 * Upgrades of older recordings, one schema version at a time, in SQL. A
 * recording written by an older walkback opens in a newer one: replay
 * upgrades a temporary copy (the file itself is opened read-only), and
 * `walkback upgrade` upgrades the file in place, keeping a backup.
 *
 * When the schema moves on, freeze the DDL a migration uses at the version it
 * produces (1 -> 2 creates schema 3's run tables, so 2 -> 3 may have nothing
 * left to do). The last step, 3 -> 4, makes every table afresh from today's
 * DDL, so that an upgraded file's schema is exactly what walkback writes (a
 * reader compares it object by object), and gives every row its checksum:
 * an upgrade vouches for the data as it found it.
 */
import type Database from 'better-sqlite3';
import { summarize } from '../mm/page-tables.js';
import { addCrc } from './checksum.js';
import { checkpointCrc, chunkCrc, chunkDataCrc, contextCrc, metaCrc, NOTABLE_HASH_SQL, NOTABLE_PRIME, runCrc, versionCrc, versionDataCrc } from './row-crcs.js';
import type { RunColumns } from './row-crcs.js';
import { META_CHECKSUM_KEY, NAME_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { reinterpretZapSplits } from './zap-splits-v3.js';

/** Schema 3's run tables and views, as 1 -> 2 makes them. */
const SCHEMA_3_RUN_TABLES_SQL = `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, parent INTEGER, fork_seq INTEGER NOT NULL DEFAULT 0, label TEXT NOT NULL,
  status TEXT NOT NULL, end_reason TEXT, ret INTEGER, client_ret INTEGER, event_count INTEGER NOT NULL DEFAULT 0, error TEXT
);
CREATE TABLE chunks (run INTEGER NOT NULL, first_seq INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE UNIQUE INDEX chunks_key ON chunks (run, first_seq);
CREATE TABLE checkpoints (run INTEGER NOT NULL, seq INTEGER NOT NULL, context TEXT NOT NULL, PRIMARY KEY (run, seq));
CREATE TABLE table_versions (
  run INTEGER NOT NULL, level INTEGER NOT NULL, base INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
  n_table INTEGER NOT NULL DEFAULT 0, n_present INTEGER NOT NULL DEFAULT 0, n_guard INTEGER NOT NULL DEFAULT 0,
  n_huge INTEGER NOT NULL DEFAULT 0, n_hugetlb INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run, level, base, seq)
);
CREATE INDEX table_versions_counts ON table_versions (run, seq, level, base, n_table, n_present, n_guard, n_huge, n_hugetlb);
CREATE TABLE notable (
  run INTEGER NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, level INTEGER, addr INTEGER, next INTEGER,
  depth INTEGER, value INTEGER,
  count INTEGER NOT NULL DEFAULT 1, seq_step INTEGER NOT NULL DEFAULT 0, addr_step INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run, seq)
);
CREATE INDEX notable_kind ON notable (run, kind, seq);
CREATE INDEX notable_addr ON notable (run, addr);
`;

const SCHEMA_3_VIEWS_SQL = `
CREATE VIEW notable_events AS
  WITH RECURSIVE member(run, seq, kind, level, addr, next, depth, value, i, count, seq_step, addr_step) AS (
    SELECT run, seq, kind, level, addr, next, depth, value, 0, count, seq_step, addr_step FROM notable
    UNION ALL
    SELECT run, seq + seq_step, kind, level, addr + addr_step, next + addr_step, depth, value, i + 1, count, seq_step, addr_step
      FROM member WHERE i + 1 < count
  )
  SELECT member.run AS run, member.seq AS seq, kinds.name AS kind, levels.name AS level,
         CASE WHEN member.addr IS NULL THEN NULL ELSE printf('0x%x', member.addr) END AS addr,
         CASE WHEN member.next IS NULL THEN NULL ELSE printf('0x%x', member.next) END AS next,
         member.depth AS depth, member.value AS value
    FROM member JOIN kinds ON kinds.id = member.kind LEFT JOIN levels ON levels.id = member.level
   ORDER BY member.run, member.seq;
CREATE VIEW recording AS SELECT
  (SELECT value FROM meta WHERE key = 'scenario_name') AS scenario,
  (SELECT value FROM meta WHERE key = 'arch') AS arch,
  (SELECT value FROM meta WHERE key = 'kernel') AS kernel,
  (SELECT value FROM meta WHERE key = 'status') AS status,
  (SELECT value FROM meta WHERE key = 'ret') AS ret,
  (SELECT value FROM meta WHERE key = 'client_ret') AS client_ret,
  (SELECT value FROM meta WHERE key = 'event_count') AS events,
  (SELECT value FROM meta WHERE key = 'walkback_version') AS walkback_version,
  (SELECT value FROM meta WHERE key = 'schema_version') AS schema_version,
  (SELECT value FROM meta WHERE key = 'created_at') AS created_at;
`;

/** Every table of a recording, schema 1 to 4. */
const TABLES = ['meta', 'kinds', 'levels', 'entry_kinds', 'runs', 'chunks', 'checkpoints', 'table_versions', 'notable'] as const;

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
      ${SCHEMA_3_RUN_TABLES_SQL}
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
      ${SCHEMA_3_VIEWS_SQL}
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
  // 3 -> 4: checksums. Every table made afresh (blobs last, checksum columns), its rows copied with their CRCs.
  3: (db) => {
    for (const [table, names] of Object.entries(NAME_TABLES)) {
      const old = db.prepare(`SELECT name FROM ${table} ORDER BY id`).pluck().all() as string[];
      // An older walkback knew fewer names; the codec numbers the ones it knew as this one does.
      if (old.some((name, i) => names[i] !== name)) throw new Error(`its ${table} (${old.join(', ')}) are not walkback's`);
    }
    const objects = db.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('view', 'index') AND sql IS NOT NULL").all() as { type: string; name: string }[];
    for (const o of objects) db.exec(`DROP ${o.type === 'view' ? 'VIEW' : 'INDEX'} "${o.name}"`);
    for (const table of TABLES) db.exec(`ALTER TABLE ${table} RENAME TO ${table}_v3`);
    // A client's zap split was recorded as the walker's own split then: it is a detail event now.
    reinterpretZapSplits(db);
    db.exec(SCHEMA_SQL);
    for (const [table, names] of Object.entries(NAME_TABLES)) {
      const insert = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
      names.forEach((name, id) => insert.run(id, name));
    }
    db.exec(`INSERT INTO meta (key, value) SELECT key, value FROM meta_v3 WHERE key <> '${META_CHECKSUM_KEY}'`);
    const insertRun = db.prepare(
      'INSERT INTO runs (id, parent, fork_seq, label, status, end_reason, ret, client_ret, event_count, error, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const r of db
      .prepare('SELECT id, parent, fork_seq AS forkSeq, label, status, end_reason AS endReason, ret, client_ret AS clientRet, event_count AS eventCount, error FROM runs_v3')
      .all() as RunColumns[])
      insertRun.run(r.id, r.parent, r.forkSeq, r.label, r.status, r.endReason, r.ret, r.clientRet, r.eventCount, r.error, runCrc(r));
    db.exec(
      'INSERT INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) SELECT run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step FROM notable_v3',
    );
    // Each chunk with the sum of the notable rows among its events. Row by row, by key: better-sqlite3 writes
    // nothing while a query is being iterated, and a file's blobs need not fit in memory at once.
    const sum = db.prepare(`SELECT coalesce(sum(${NOTABLE_HASH_SQL}), 0) % ${NOTABLE_PRIME} FROM notable n WHERE n.run = ? AND n.seq >= ? AND n.seq < ?`).pluck();
    const chunk = db.prepare('SELECT count, data FROM chunks_v3 WHERE run = ? AND first_seq = ?').raw();
    const insertChunk = db.prepare('INSERT INTO chunks (run, first_seq, count, notable_sum, crc, data_crc, data) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [run, first] of db.prepare('SELECT run, first_seq FROM chunks_v3 ORDER BY run, first_seq').raw().all() as [number, number][]) {
      const [count, data] = chunk.get(run, first) as [number, Buffer];
      const notable = sum.get(run, first, first + count) as number;
      insertChunk.run(run, first, count, notable, chunkCrc(run, first, count, notable), chunkDataCrc(run, first, data), data);
    }
    // Each checkpoint with the CRC of its table versions.
    const versionsCrc = new Map<string, number>();
    const version = db.prepare('SELECT n_table, n_present, n_guard, n_huge, n_hugetlb, data FROM table_versions_v3 WHERE run = ? AND level = ? AND base = ? AND seq = ?').raw();
    const insertVersion = db.prepare(
      'INSERT INTO table_versions (run, level, base, seq, n_table, n_present, n_guard, n_huge, n_hugetlb, data_crc, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const [run, level, base, seq] of db.prepare('SELECT run, level, base, seq FROM table_versions_v3').raw().all() as [number, number, number, number][]) {
      const row = version.get(run, level, base, seq) as [number, number, number, number, number, Buffer];
      const counts = row.slice(0, 5) as number[];
      const data = row[5];
      const key = `${run}:${seq}`;
      versionsCrc.set(key, addCrc(versionsCrc.get(key) ?? 0, versionCrc(run, level, base, seq, counts)));
      insertVersion.run(run, level, base, seq, counts[0], counts[1], counts[2], counts[3], counts[4], versionDataCrc(run, level, base, seq, data), data);
    }
    const insertCheckpoint = db.prepare('INSERT INTO checkpoints (run, seq, versions_crc, crc, context_crc, context) VALUES (?, ?, ?, ?, ?, ?)');
    for (const c of db.prepare('SELECT run, seq, context FROM checkpoints_v3').all() as { run: number; seq: number; context: string }[]) {
      const versions = versionsCrc.get(`${c.run}:${c.seq}`) ?? 0;
      insertCheckpoint.run(c.run, c.seq, versions, checkpointCrc(c.run, c.seq, versions), contextCrc(c.run, c.seq, c.context), c.context);
    }
    for (const table of TABLES) db.exec(`DROP TABLE ${table}_v3`);
  },
};

/** Stamp meta's checksum over its other rows (after an upgrade changed them). */
export function stampMetaChecksum(db: Database.Database): void {
  const rows = db.prepare('SELECT key, value FROM meta').safeIntegers(true).raw().all() as [string, unknown][];
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(META_CHECKSUM_KEY, BigInt(metaCrc(rows)));
}

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
    stampMetaChecksum(db);
  })();
  return from;
}
