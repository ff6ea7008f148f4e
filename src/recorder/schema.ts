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
 */
import { ENTRY_NAMES, EVENT_TYPES, LEVELS } from '../events/walk-event.js';

/** The schema this walkback writes. Bump it, and add a migration, whenever the layout changes. */
export const SCHEMA_VERSION = 1;
/** PRAGMA application_id of a walkback recording: 'WBRC'. */
export const APPLICATION_ID = 0x57425243;

export const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE levels (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE entry_kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE chunks (first_seq INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY, context TEXT NOT NULL);
CREATE TABLE table_versions (
  level INTEGER NOT NULL, base INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (level, base, seq)
) WITHOUT ROWID;
CREATE TABLE notable (
  seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, level INTEGER, addr INTEGER, next INTEGER,
  depth INTEGER, value INTEGER,
  count INTEGER NOT NULL DEFAULT 1, seq_step INTEGER NOT NULL DEFAULT 0, addr_step INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notable_kind ON notable (kind, seq);
CREATE INDEX notable_addr ON notable (addr);
CREATE VIEW notable_events AS
  WITH RECURSIVE run(seq, kind, level, addr, next, depth, value, i, count, seq_step, addr_step) AS (
    SELECT seq, kind, level, addr, next, depth, value, 0, count, seq_step, addr_step FROM notable
    UNION ALL
    SELECT seq + seq_step, kind, level, addr + addr_step, next + addr_step, depth, value, i + 1, count, seq_step, addr_step
      FROM run WHERE i + 1 < count
  )
  SELECT run.seq AS seq, kinds.name AS kind, levels.name AS level,
         CASE WHEN run.addr IS NULL THEN NULL ELSE printf('0x%x', run.addr) END AS addr,
         CASE WHEN run.next IS NULL THEN NULL ELSE printf('0x%x', run.next) END AS next,
         run.depth AS depth, run.value AS value
    FROM run JOIN kinds ON kinds.id = run.kind LEFT JOIN levels ON levels.id = run.level
   ORDER BY run.seq;
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

/** Rows of the name tables, in the order the codec numbers them. */
export const NAME_TABLES: Record<'kinds' | 'levels' | 'entry_kinds', readonly string[]> = {
  kinds: EVENT_TYPES,
  levels: LEVELS,
  entry_kinds: ENTRY_NAMES,
};

/** The tables and views a recording must have, and their types (checked before anything is read). */
export const EXPECTED_OBJECTS: Record<string, 'table' | 'view'> = {
  meta: 'table',
  kinds: 'table',
  levels: 'table',
  entry_kinds: 'table',
  chunks: 'table',
  checkpoints: 'table',
  table_versions: 'table',
  notable: 'table',
  notable_events: 'view',
  recording: 'view',
};

/** Store a 64-bit address in a signed INTEGER column, exactly (better-sqlite3 would store a number >= 2^63 as REAL). */
export function addrToSql(addr: number): bigint {
  return BigInt.asIntN(64, BigInt(addr));
}

/** Read an address stored by addrToSql (read with safeIntegers). */
export function addrFromSql(value: bigint | number): number {
  return Number(BigInt.asUintN(64, BigInt(value)));
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
