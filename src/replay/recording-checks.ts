// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a recording must be before replay builds on it: its schema exactly
 * the one walkback writes, its name tables what the codec numbers, its
 * metadata what its checksum says and values walkback writes, and (for
 * walkback sql, which reads the tables themselves) every column of the type
 * walkback writes there.
 */
import Database from 'better-sqlite3';
import { KERNELS } from '../events/walk-event.js';
import type { ArchName } from '../mm/geometry.js';
import { ARCHES, geometryOf } from '../mm/geometry.js';
import { metaCrc } from '../recorder/row-crcs.js';
import type { RecordingMeta } from '../recorder/schema.js';
import { APPLICATION_ID, META_CHECKSUM_KEY, NAME_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from '../recorder/schema.js';
import { damaged, RecordingError } from './recording-error.js';

/** 1 when every column of a notable row holds the type walkback writes (the CRC covers values, and a real can pass for a whole number). */
const NOTABLE_TYPED = `(typeof(seq) = 'integer' AND typeof(kind) = 'integer' AND typeof(level) IN ('integer', 'null') AND typeof(addr) IN ('integer', 'null')
  AND typeof(next) IN ('integer', 'null') AND typeof(depth) IN ('integer', 'null') AND typeof(value) IN ('integer', 'null')
  AND typeof(count) = 'integer' AND typeof(seq_step) = 'integer' AND typeof(addr_step) = 'integer')`;

/** The types walkback writes in each column (sql shows a real 4.0 where 4 was written: checked before a query reads them). */
const COLUMN_TYPES: Record<string, Record<string, readonly string[]>> = (() => {
  const int = ['integer'];
  const intOrNull = ['integer', 'null'];
  const text = ['text'];
  const textOrNull = ['text', 'null'];
  const blob = ['blob'];
  const ints = (...names: string[]) => Object.fromEntries(names.map((n) => [n, int]));
  return {
    meta: { key: text, value: ['integer', 'text', 'null'] },
    kinds: { id: int, name: text },
    levels: { id: int, name: text },
    entry_kinds: { id: int, name: text },
    runs: { ...ints('id', 'fork_seq', 'event_count', 'crc'), parent: intOrNull, label: text, status: text, end_reason: textOrNull, ret: intOrNull, client_ret: intOrNull, error: textOrNull },
    chunks: { ...ints('run', 'first_seq', 'count', 'notable_sum', 'crc', 'data_crc'), data: blob },
    checkpoints: { ...ints('run', 'seq', 'versions_crc', 'crc', 'context_crc'), context: text },
    table_versions: { ...ints('run', 'level', 'base', 'seq', 'n_table', 'n_present', 'n_guard', 'n_huge', 'n_hugetlb', 'data_crc'), data: blob },
  };
})();

/** A schema object as sqlite_master holds it: type, name, table, SQL (null for SQLite's own indexes). */
type SchemaObject = readonly [string, string, string, string | null];

const SCHEMA_OBJECTS = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";

let expected: Map<string, SchemaObject> | null = null;

/** Every object of the schema this walkback writes, as SQLite records it, by type and name. */
function expectedSchema(): Map<string, SchemaObject> {
  if (!expected) {
    const db = new Database(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      expected = new Map((db.prepare(SCHEMA_OBJECTS).raw().all() as SchemaObject[]).map((o) => [o[1], o]));
    } finally {
      db.close();
    }
  }
  return expected;
}

/**
 * The file's schema must be exactly the one walkback writes: every table,
 * index and view, with the same definition, and nothing else (a view that
 * lies, or recurses for ever, or a trigger, is refused before anything runs
 * it); and its name tables must name what the codec numbers.
 */
export function checkSchema(file: string, db: Database.Database): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId !== APPLICATION_ID) throw new RecordingError(file, 'is a SQLite database, but not a walkback recording');
  if (version > SCHEMA_VERSION)
    throw new RecordingError(file, `was written by a newer walkback (recording schema ${version}; this walkback reads up to ${SCHEMA_VERSION}): upgrade walkback to replay it`);
  if (version < SCHEMA_VERSION) throw new RecordingError(file, `has recording schema ${version}, older than any this walkback can read`);
  refuseTriggers(file, db);
  const want = expectedSchema();
  const found = new Map((db.prepare(SCHEMA_OBJECTS).raw().all() as SchemaObject[]).map((o) => [o[1], o]));
  const notOurs = (what: string) => new RecordingError(file, `is damaged or not walkback's: ${what}`);
  for (const [name, [type, , table, sql]] of want) {
    const o = found.get(name);
    if (!o) throw notOurs(`${name} is missing`);
    if (o[0] !== type) throw notOurs(`${name} is a ${o[0]}, not a ${type}`);
    if (o[2] !== table || o[3] !== sql) throw notOurs(`its ${type} ${name} is not the one walkback writes`);
  }
  for (const [name, [type]] of found) if (!want.has(name)) throw notOurs(`it has a ${type} ${name}, which walkback never writes`);
  for (const [table, names] of Object.entries(NAME_TABLES)) {
    const rows = db.prepare(`SELECT id, name FROM ${table} ORDER BY id`).raw().all() as [number, string][];
    if (rows.length !== names.length || rows.some(([id, name], i) => id !== i || name !== names[i])) throw damaged(file, `its table ${table} does not name what walkback numbers`);
  }
}

export function refuseTriggers(file: string, db: Database.Database): void {
  const triggers = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").pluck().get() as number;
  if (triggers > 0) throw new RecordingError(file, 'has triggers, which walkback never writes: it is not a walkback recording, or it was tampered with');
}

const STATUSES: readonly RecordingMeta['status'][] = ['recording', 'complete', 'aborted', 'incomplete'];

/**
 * The file's metadata, checked against its checksum, and each value one
 * walkback writes (a known architecture and kernel, the architecture's page
 * size, whole numbers where numbers go): what replay builds on.
 */
export function readMeta(file: string, db: Database.Database): { meta: RecordingMeta; values: Map<string, unknown> } {
  const rows = db.prepare('SELECT key, value FROM meta').safeIntegers(true).raw().all() as [string, unknown][];
  const values = new Map(rows);
  const sum = values.get(META_CHECKSUM_KEY);
  if (typeof sum !== 'bigint' || sum !== BigInt(metaCrc(rows))) throw damaged(file, 'its metadata fails its checksum');
  const bad = (key: string, why: string) => damaged(file, `its metadata's ${key} ${why}`);
  const text = (key: string, required = false): string | null => {
    const v = values.get(key);
    if (v === undefined || v === null) {
      if (required) throw bad(key, 'is missing');
      return null;
    }
    if (typeof v !== 'string') throw bad(key, `is ${String(v)}, not text`);
    return v;
  };
  const int = (key: string, required = false): number | null => {
    const v = values.get(key);
    if (v === undefined || v === null) {
      if (required) throw bad(key, 'is missing');
      return null;
    }
    if (typeof v !== 'bigint' || v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw bad(key, `is ${String(v)}, not a whole number`);
    return Number(v);
  };
  const arch = text('arch', true)!;
  if (!(ARCHES as readonly string[]).includes(arch)) throw new RecordingError(file, `records an unknown architecture '${arch}'`);
  const kernel = text('kernel', true)!;
  if (!(KERNELS as readonly string[]).includes(kernel)) throw bad('kernel', `is '${kernel}', not a kernel walkback models`);
  const pageSize = int('page_size', true)!;
  const geometry = geometryOf(arch as ArchName);
  if (pageSize !== geometry.pageSize) throw bad('page_size', `is ${pageSize}, not ${arch}'s ${geometry.pageSize}`);
  const chunkEvents = int('chunk_events') ?? 4096;
  if (chunkEvents <= 0) throw bad('chunk_events', `is ${chunkEvents}`);
  const status = text('status', true) as RecordingMeta['status'];
  if (!STATUSES.includes(status)) throw bad('status', `is '${status}'`);
  const eventCount = int('event_count') ?? 0;
  if (eventCount < 0) throw bad('event_count', `is ${eventCount}`);
  const meta: RecordingMeta = {
    schemaVersion: int('schema_version') ?? 0,
    walkbackVersion: text('walkback_version') ?? '',
    createdAt: text('created_at') ?? '',
    finishedAt: text('finished_at') || null,
    scenarioName: text('scenario_name') ?? '',
    scenarioFile: text('scenario_file') ?? '',
    scenarioSource: text('scenario_source') ?? '',
    arch,
    kernel,
    pageSize,
    chunkEvents,
    status,
    end: text('end') || null,
    ret: int('ret'),
    clientRet: int('client_ret'),
    eventCount,
    writerPid: int('writer_pid'),
    writerHost: text('writer_host') || null,
    error: text('error') || null,
  };
  return { meta, values };
}

/** Every column of every table holds a type walkback writes there (a real 4.0 where 4 was written passes a CRC of the value). */
export function checkColumnTypes(file: string, db: Database.Database): void {
  for (const [table, columns] of Object.entries(COLUMN_TYPES)) {
    const typed = Object.entries(columns)
      .map(([column, types]) => `typeof(${column}) IN (${types.map((t) => `'${t}'`).join(', ')})`)
      .join(' AND ');
    if ((db.prepare(`SELECT count(*) FROM ${table} WHERE NOT (${typed})`).pluck().get() as number) > 0)
      throw damaged(file, `its table ${table} holds a value of a type walkback never writes there`);
  }
  if ((db.prepare(`SELECT count(*) FROM notable WHERE NOT ${NOTABLE_TYPED}`).pluck().get() as number) > 0)
    throw damaged(file, 'its table notable holds a value of a type walkback never writes there');
}
