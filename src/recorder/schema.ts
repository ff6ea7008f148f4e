// SPDX-License-Identifier: GPL-2.0-only
/**
 * The layout of a recording: a SQLite file that the sqlite3 shell alone can
 * read (metadata, the notable_events view), and that walkback replays.
 *
 * Events are stored in compact chunks (events/codec.ts); `walkback sql`
 * exposes them as a table `events`. Checkpoints store the state before every
 * CHUNK_EVENTS-th event: a small JSON context, plus the contents of each page
 * table that changed since the previous checkpoint (table_versions), so the
 * state at any event is a checkpoint plus at most one chunk of events.
 *
 * Addresses in SQL columns are signed 64-bit integers (two's complement of
 * the address, so kernel-half addresses are negative); the views print them
 * as hex text.
 *
 * Everything stored carries a checksum (checksum.ts, row-crcs.ts), so that a
 * reader refuses damage instead of decoding it into a plausible wrong answer.
 * What a reader reads to index a run (rows of runs, chunks and checkpoints)
 * has its own CRC-32, `crc`, over its other small columns; the table versions
 * of a checkpoint are summed as a whole (`versions_crc`: their rows' CRCs
 * added up, so a row edited, added or removed shows), and so are the notable
 * rows of a chunk (`notable_sum`: a hash of each that SQLite computes itself,
 * added up); each blob or text has its own CRC (`data_crc`, `context_crc`, of
 * its row's key and then its bytes), checked when it is read; and meta has one
 * over all its rows (its `checksum` row). notable has no rowid: each row is
 * stored once, in its primary key, so that its indexes are the only other
 * copies of its columns, and a reader holds them to the rows.
 */
import { ENTRY_NAMES, EVENT_TYPES, LEVELS } from '../events/walk-event.js';

/**
 * The schema this walkback writes. Bump it, and add a migration (migrations.ts),
 * whenever the layout changes. 1: walkback 0.1 (one run per file). 2: runs.
 * 3: per-table entry counts with an index that covers them (a replay reads the
 * counts of every table version without touching the tables themselves).
 * 4: checksums.
 */
export const SCHEMA_VERSION = 4;
/** PRAGMA application_id of a walkback recording: 'WBRC'. */
export const APPLICATION_ID = 0x57425243;

/** Names and metadata: one of each per file. */
const FILE_TABLES_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE levels (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE entry_kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
`;

/**
 * The runs a file holds (one for a plain recording; a sweep's base and its
 * branches) and their data, keyed by run. A branch stores only its own events,
 * from its fork point on. Blobs and texts come last in their rows, so that
 * reading the columns before them never reads the blob's overflow pages.
 */
export const RUN_TABLES_SQL = `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, parent INTEGER, fork_seq INTEGER NOT NULL DEFAULT 0, label TEXT NOT NULL,
  status TEXT NOT NULL, end_reason TEXT, ret INTEGER, client_ret INTEGER, event_count INTEGER NOT NULL DEFAULT 0, error TEXT,
  crc INTEGER NOT NULL
);
CREATE TABLE chunks (
  run INTEGER NOT NULL, first_seq INTEGER NOT NULL, count INTEGER NOT NULL, notable_sum INTEGER NOT NULL, crc INTEGER NOT NULL,
  data_crc INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE UNIQUE INDEX chunks_key ON chunks (run, first_seq);
CREATE TABLE checkpoints (
  run INTEGER NOT NULL, seq INTEGER NOT NULL, versions_crc INTEGER NOT NULL, crc INTEGER NOT NULL,
  context_crc INTEGER NOT NULL, context TEXT NOT NULL,
  PRIMARY KEY (run, seq)
);
CREATE INDEX checkpoints_index ON checkpoints (run, seq, versions_crc, crc);
CREATE TABLE table_versions (
  run INTEGER NOT NULL, level INTEGER NOT NULL, base INTEGER NOT NULL, seq INTEGER NOT NULL,
  n_table INTEGER NOT NULL DEFAULT 0, n_present INTEGER NOT NULL DEFAULT 0, n_guard INTEGER NOT NULL DEFAULT 0,
  n_huge INTEGER NOT NULL DEFAULT 0, n_hugetlb INTEGER NOT NULL DEFAULT 0, data_crc INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (run, level, base, seq)
);
CREATE INDEX table_versions_counts ON table_versions (run, seq, level, base, n_table, n_present, n_guard, n_huge, n_hugetlb);
CREATE TABLE notable (
  run INTEGER NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, level INTEGER, addr INTEGER, next INTEGER,
  depth INTEGER, value INTEGER,
  count INTEGER NOT NULL DEFAULT 1, seq_step INTEGER NOT NULL DEFAULT 0, addr_step INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE INDEX notable_kind ON notable (run, kind, seq);
CREATE INDEX notable_addr ON notable (run, addr);
`;

/** What the sqlite3 shell alone can read. */
export const VIEWS_SQL = `
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

export const SCHEMA_SQL = FILE_TABLES_SQL + RUN_TABLES_SQL + VIEWS_SQL;

/** meta's key for the checksum of every other row of meta. */
export const META_CHECKSUM_KEY = 'checksum';

/** Rows of the name tables, in the order the codec numbers them. */
export const NAME_TABLES: Record<'kinds' | 'levels' | 'entry_kinds', readonly string[]> = {
  kinds: EVENT_TYPES,
  levels: LEVELS,
  entry_kinds: ENTRY_NAMES,
};

/** Store a 64-bit address in a signed INTEGER column, exactly (better-sqlite3 would store a number >= 2^63 as REAL). */
export function addrToSql(addr: number): bigint {
  return BigInt.asIntN(64, BigInt(addr));
}

/** What ran, how it ended: the recording's metadata. */
export interface RecordingMeta {
  readonly schemaVersion: number;
  readonly walkbackVersion: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly scenarioName: string;
  readonly scenarioFile: string;
  readonly scenarioSource: string;
  readonly arch: string;
  readonly kernel: string;
  readonly pageSize: number;
  readonly chunkEvents: number;
  /** As stored: 'recording' while a writer is at work (a dead writer leaves it so: see status()). */
  readonly status: 'recording' | 'complete' | 'aborted' | 'incomplete';
  /** How the run ended: returned, oops, livelock; null if it did not end. */
  readonly end: string | null;
  readonly ret: number | null;
  readonly clientRet: number | null;
  readonly eventCount: number;
  readonly writerPid: number | null;
  readonly writerHost: string | null;
  /** Why the recording is incomplete, when the writer knew. */
  readonly error: string | null;
}
