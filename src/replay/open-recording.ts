// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opening a recording for replay: read-only, with SQLite's defensive settings
 * (no trusted schema: a hostile file's views and triggers cannot call
 * functions on the user's behalf), and with every object checked to be what
 * walkback wrote before anything is read. Files that are not recordings,
 * damaged files and recordings from a newer walkback each get one clear error.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CodecError, decodeChunk } from '../events/codec.js';
import type { NotableRow } from '../events/notable.js';
import type { Addr, LevelIndex, WalkEvent } from '../events/walk-event.js';
import type { ArchName, Geometry } from '../mm/geometry.js';
import { ARCHES, geometryOf } from '../mm/geometry.js';
import type { TableSource } from '../mm/page-tables.js';
import { canMigrate, migrate } from '../recorder/migrations.js';
import type { RecordingMeta } from '../recorder/schema.js';
import { APPLICATION_ID, EXPECTED_OBJECTS, SCHEMA_VERSION } from '../recorder/schema.js';
import { NotableStore } from './notable-store.js';
import { RecordingError } from './recording-error.js';
import { readRun, readRunChain, readRuns, segmentAt, segmentsOf } from './run-segments.js';
import { StoredRuns } from './stored-runs.js';
import type { RunRow, Segment } from './run-segments.js';
import type { StateContext } from './state-context.js';

export { RecordingError };

const SQLITE_MAGIC = 'SQLite format 3\0';

/** The status a reader sees: a file whose writer is gone without finishing is incomplete. */
export type ReadStatus = 'recording' | 'complete' | 'aborted' | 'incomplete';

interface ChunkRef {
  /** The stored run whose chunk this is. */
  readonly run: number;
  readonly first: number;
  /** The events of it that belong to the run replayed (a parent's last chunk may run past the fork). */
  readonly count: number;
}

/** One table's versions: checkpoint seqs, ascending, and each version's entry counts (six numbers a version, by EntryKind). */
interface Versions {
  readonly seqs: number[];
  readonly counts: number[];
  /** The counts as summaries, made when first asked for. */
  readonly summaries: Uint32Array[];
}

/** A recording opened for reading. */
export class Recording {
  readonly file: string;
  readonly geometry: Geometry;
  readonly pageSize: number;
  private readonly db: Database.Database;
  private chunks: ChunkRef[] = [];
  private checkpointSeqs: number[] = [];
  /** Per level: table base -> versions. */
  private readonly versions: Map<Addr, Versions>[] = [0, 1, 2, 3, 4].map(() => new Map());
  private readonly chunkCache = new Map<number, WalkEvent[]>();
  private readonly blobCache = new Map<string, Uint8Array>();
  private readonly statements;
  private metaCache: RecordingMeta | null = null;

  private readonly notables: NotableStore;

  /** The run replayed: 0, the base run (a plain recording has no other). */
  readonly run: number;

  /** What the file's finished runs hold, shared with the runs opened through this one (openRun). */
  private readonly shared: StoredRuns;
  /** Whether this one opened the connection (and closes it). */
  private readonly owner: boolean;

  /** The stored runs the run replayed is read from (one, unless it is a branch of a sweep). */
  readonly segments: readonly Segment[];
  private checkpointRuns: number[] = [];

  private constructor(file: string, db: Database.Database, run: number, shared?: StoredRuns) {
    this.file = file;
    this.db = db;
    this.run = run;
    this.owner = shared === undefined;
    this.shared = shared ?? new StoredRuns(db);
    this.segments = segmentsOf(file, readRunChain(file, db, run));
    this.statements = {
      chunk: db.prepare('SELECT data FROM chunks WHERE run = ? AND first_seq = ?').pluck(),
      checkpoint: db.prepare('SELECT context FROM checkpoints WHERE run = ? AND seq = ?').pluck(),
      version: db.prepare('SELECT data FROM table_versions WHERE run = ? AND level = ? AND base = ? AND seq = ?').pluck(),
    };
    const meta = this.meta();
    if (!(ARCHES as readonly string[]).includes(meta.arch)) throw new RecordingError(file, `records an unknown architecture '${meta.arch}'`);
    this.geometry = geometryOf(meta.arch as ArchName);
    this.pageSize = meta.pageSize;
    this.notables = new NotableStore(this.shared, this.segments);
    this.refresh();
  }

  /** Open a recording read-only. Throws RecordingError for anything that is not a readable recording. */
  static open(file: string, options: { run?: number } = {}): Recording {
    checkFile(file);
    let path = file;
    let upgradedFrom: number | null = null;
    let temporary: string | null = null;
    const version = schemaVersionOf(file);
    if (version !== null && version < SCHEMA_VERSION && canMigrate(version)) {
      // An older recording: replay an upgraded copy, never the file itself.
      temporary = join(mkdtempSync(join(tmpdir(), 'walkback-upgrade-')), basename(file));
      copyFileSync(file, temporary);
      const writable = new Database(temporary);
      try {
        migrate(writable);
        writable.pragma('journal_mode = DELETE');
      } catch (error) {
        writable.close();
        rmSync(dirname(temporary), { recursive: true, force: true });
        throw asRecordingError(file, error);
      }
      writable.close();
      path = temporary;
      upgradedFrom = version;
    }
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new RecordingError(file, `cannot be opened: ${(error as Error).message}`);
    }
    try {
      db.pragma('trusted_schema = OFF');
      checkSchema(file, db);
      const run = options.run ?? 0;
      const runs = db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[];
      if (!runs.includes(run)) throw new RecordingError(file, `has no run ${run} (runs: ${runs.length > 8 ? `${runs[0]} to ${runs[runs.length - 1]}` : runs.join(', ') || 'none'})`);
      const recording = new Recording(file, db, run);
      recording.upgradedFrom = upgradedFrom;
      recording.temporary = temporary;
      return recording;
    } catch (error) {
      db.close();
      throw asRecordingError(file, error);
    }
  }

  /** The schema version the file was written in, when replay upgraded a copy of it; else null. */
  upgradedFrom: number | null = null;
  private temporary: string | null = null;

  close(): void {
    if (!this.owner) return;
    this.db.close();
    if (this.temporary) rmSync(dirname(this.temporary), { recursive: true, force: true });
  }

  /**
   * Another run of the same file, through this one's connection and what it
   * has read of the runs they share: opening each branch of a sweep costs its
   * own rows, not its parent's again. Valid while this recording is open; its
   * close() does nothing.
   */
  openRun(run: number): Recording {
    try {
      const recording = new Recording(this.file, this.db, run, this.shared);
      recording.upgradedFrom = this.upgradedFrom;
      return recording;
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** Re-read what the writer has committed since (for a recording still being written). Returns the length. */
  refresh(): number {
    try {
      // One read transaction: a consistent snapshot while a writer commits.
      this.db.transaction(() => this.readIndex())();
      return this.length;
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** Events indexed so far: refresh() reads only what was committed after them. */
  private indexedTo = 0;

  private readIndex(): void {
    this.metaCache = null;
    const from = this.indexedTo;
    // The first read takes every segment; a refresh, what the last one (the run being written) gained.
    const segments = from === 0 ? this.segments : this.segments.slice(-1);
    const chunks: ChunkRef[] = [];
    const checkpoints: [number, number][] = [];
    const rows: number[][] = [];
    let expected = from;
    for (const segment of segments) {
      const last = segment === this.segments[this.segments.length - 1];
      const lo = Math.max(from, segment.from);
      // A parent's segment is a finished run: read once per file (StoredRuns), then cut to the segment.
      const finished = !last;
      for (const chunk of this.shared.chunks(segment.run, lo, segment.to, finished)) {
        if (chunk.first !== expected) throw new RecordingError(this.file, `is damaged: events ${expected} to ${chunk.first - 1} are missing`);
        const count = Math.min(chunk.count, segment.to - chunk.first);
        chunks.push({ run: segment.run, first: chunk.first, count });
        expected += count;
      }
      if (!last && expected < segment.to) throw new RecordingError(this.file, `is damaged: run ${segment.run} ends at event ${expected}, before the fork at ${segment.to}`);
      // Checkpoints and table versions of this segment (a parent's up to the fork, not at it: the branch has its own there).
      const top = last ? expected : segment.to - 1;
      const floor = from === 0 ? segment.from : from + 1;
      for (const seq of this.shared.checkpoints(segment.run, floor, top, finished)) checkpoints.push([seq, segment.run]);
      for (const row of this.shared.versions(segment.run, floor, top, finished)) rows.push(row as number[]);
    }
    if (from === 0 && checkpoints[0]?.[0] !== 0) throw new RecordingError(this.file, 'is damaged: its first checkpoint is missing');
    for (const row of rows) if (!this.versions[row[0]!]) throw new RecordingError(this.file, `is damaged: a table of level ${row[0]}`);
    // Only now, with everything read and checked: a failure above leaves the index as it was.
    for (const row of rows) {
      const [level, base, seq, nTable, nPresent, nGuard, nHuge, nHugetlb] = row as [number, number, number, number, number, number, number, number];
      const map = this.versions[level]!;
      let list = map.get(base);
      if (!list) map.set(base, (list = { seqs: [], counts: [], summaries: [] }));
      list.seqs.push(seq);
      const size = this.geometry.ptrs[level]!;
      list.counts.push(size - nTable - nPresent - nGuard - nHuge - nHugetlb, nTable, nPresent, nGuard, nHuge, nHugetlb);
    }
    for (const chunk of chunks) this.chunks.push(chunk);
    for (const [seq, run] of checkpoints) {
      this.checkpointSeqs.push(seq);
      this.checkpointRuns.push(run);
    }
    this.indexedTo = expected;
    this.notables.extend(expected);
  }

  /** Committed events. */
  get length(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last ? last.first + last.count : 0;
  }

  /** The file's metadata; for a run of a sweep, with that run's own status, end, return values, count and error. */
  meta(): RecordingMeta {
    if (this.metaCache) return this.metaCache;
    try {
      const rows = this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: unknown }[];
      const m = new Map(rows.map((r) => [r.key, r.value]));
      const str = (k: string): string => (m.get(k) === null || m.get(k) === undefined ? '' : String(m.get(k)));
      const num = (k: string): number | null => (m.get(k) === null || m.get(k) === undefined ? null : Number(m.get(k)));
      if (!m.has('arch') || !m.has('page_size')) throw new RecordingError(this.file, 'is damaged: its metadata is incomplete');
      this.metaCache = {
        schemaVersion: num('schema_version') ?? 0,
        walkbackVersion: str('walkback_version'),
        createdAt: str('created_at'),
        finishedAt: m.get('finished_at') ? str('finished_at') : null,
        scenarioName: str('scenario_name'),
        scenarioFile: str('scenario_file'),
        scenarioSource: str('scenario_source'),
        arch: str('arch'),
        kernel: str('kernel'),
        pageSize: num('page_size') ?? 4096,
        chunkEvents: num('chunk_events') ?? 4096,
        status: str('status') as RecordingMeta['status'],
        end: m.get('end') ? str('end') : null,
        ret: num('ret'),
        clientRet: num('client_ret'),
        eventCount: num('event_count') ?? 0,
        writerPid: num('writer_pid'),
        writerHost: m.get('writer_host') ? str('writer_host') : null,
        error: m.get('error') ? str('error') : null,
      };
      const own = this.run === 0 ? undefined : this.ownRun();
      if (own)
        this.metaCache = {
          ...this.metaCache,
          status: own.status as RecordingMeta['status'],
          end: own.endReason,
          ret: own.ret,
          clientRet: own.clientRet,
          eventCount: own.eventCount,
          error: own.error,
        };
      return this.metaCache;
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** The row of the run replayed (run 0 of a plain recording included). */
  ownRun(): RunRow | undefined {
    return readRun(this.db, this.run);
  }

  /** Whether the process that writes the file is still at it (a sweep's base can be done while its branches are not). */
  writerActive(): boolean {
    return writerAlive(this.meta());
  }

  /** The status as a reader should see it: a writer that died leaves an incomplete recording. */
  status(): ReadStatus {
    const meta = this.meta();
    // The run's own status, read afresh: a run being written finishes without the index growing.
    const own = this.run === 0 ? meta.status : ((this.ownRun()?.status as RecordingMeta['status'] | undefined) ?? meta.status);
    if (own !== 'recording') return own;
    return writerAlive(meta) ? 'recording' : 'incomplete';
  }

  /** Every run the file holds: one for a recording, the base and its branches for a sweep. */
  runs(): RunRow[] {
    try {
      return readRuns(this.db);
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** The (scenario) metadata value stored under `key`. */
  metaValue(key: string): unknown {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as unknown) ?? null;
  }

  /** The events of the chunk holding `seq`, and the chunk's first seq. */
  chunkAt(seq: number): { first: number; events: WalkEvent[] } {
    const chunk = this.findChunk(seq);
    let events = this.chunkCache.get(chunk.first);
    if (!events) {
      try {
        const data = this.statements.chunk.get(chunk.run, chunk.first) as Buffer | undefined;
        if (!data) throw new RecordingError(this.file, `is damaged: the events from ${chunk.first} are missing`);
        events = decodeChunk(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), chunk.first, this.pageSize);
      } catch (error) {
        throw asRecordingError(this.file, error);
      }
      // A parent's chunk that runs past a branch's fork: only its events before the fork are the branch's.
      if (events.length > chunk.count) events = events.slice(0, chunk.count);
      if (events.length !== chunk.count) throw new RecordingError(this.file, `is damaged: the chunk at event ${chunk.first} holds ${events.length} events, not ${chunk.count}`);
      if (this.chunkCache.size >= 64) this.chunkCache.delete(this.chunkCache.keys().next().value!);
      this.chunkCache.set(chunk.first, events);
    }
    return { first: chunk.first, events };
  }

  private findChunk(seq: number): ChunkRef {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (chunks[mid]!.first <= seq) lo = mid;
      else hi = mid - 1;
    }
    const chunk = chunks[lo];
    if (!chunk || seq < chunk.first || seq >= chunk.first + chunk.count) throw new RangeError(`no event ${seq} (the recording holds 0 to ${this.length - 1})`);
    return chunk;
  }

  event(seq: number): WalkEvent {
    const { first, events } = this.chunkAt(seq);
    return events[seq - first]!;
  }

  /** Events [from, to), in order. */
  *events(from = 0, to = this.length): Generator<WalkEvent> {
    let seq = Math.max(0, from);
    const end = Math.min(to, this.length);
    while (seq < end) {
      const { first, events } = this.chunkAt(seq);
      const stop = Math.min(end, first + events.length);
      for (; seq < stop; seq++) yield events[seq - first]!;
    }
  }

  /** The latest checkpoint at or before `seq` (the state before event `seq`). */
  /** Index of the last checkpoint at or before `seq`. */
  private checkpointIndex(seq: number): number {
    const seqs = this.checkpointSeqs;
    let lo = 0;
    let hi = seqs.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (seqs[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The seq of the last checkpoint at or before `seq` (no context read). */
  checkpointSeqAtOrBefore(seq: number): number {
    return this.checkpointSeqs[this.checkpointIndex(seq)]!;
  }

  checkpointAtOrBefore(seq: number): { seq: number; context: StateContext } {
    const lo = this.checkpointIndex(seq);
    const at = this.checkpointSeqs[lo]!;
    try {
      const text = this.statements.checkpoint.get(this.checkpointRuns[lo]!, at) as string;
      return { seq: at, context: JSON.parse(text) as StateContext };
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** The page tables as they were at checkpoint `seq`, read on demand. */
  tablesAt(seq: number): TableSource {
    // One object per checkpoint: views that cache by source (the population map) recognise it.
    let source = this.sources.get(seq);
    if (!source) {
      source = this.makeSource(seq);
      if (this.sources.size >= 16) this.sources.delete(this.sources.keys().next().value!);
      this.sources.set(seq, source);
    }
    return source;
  }

  private readonly sources = new Map<number, TableSource>();

  private makeSource(seq: number): TableSource {
    return {
      tableAt: (level, base) => this.tableVersion(level, base, seq),
      forEachTable: (level, fn) => {
        // The pgd always exists; other tables from their first version on.
        if (level === 0) fn(0, this.tableVersion(0, 0, seq)!);
        const map = this.versions[level];
        if (!map) return;
        for (const [base, list] of map) {
          if (list.seqs[0]! > seq || (level === 0 && base === 0)) continue;
          fn(base, this.tableVersion(level, base, seq)!);
        }
      },
      summaryAt: (level, base) => {
        const list = this.versions[level]?.get(base);
        const at = this.versionIndex(list, seq);
        if (at === -1) return undefined;
        return (list!.summaries[at] ??= Uint32Array.from(list!.counts.slice(at * 6, at * 6 + 6)));
      },
      tableCount: (level) => {
        // The pgd always exists; other tables from their first version on (counted from the index, none read).
        let n = level === 0 ? 1 : 0;
        for (const [base, list] of this.versions[level] ?? []) if (list.seqs[0]! <= seq && !(level === 0 && base === 0)) n++;
        return n;
      },
    };
  }

  /** Tables with a version in (from, to]: the only ones that can differ between those checkpoints. */
  tablesVersionedBetween(from: number, to: number): [LevelIndex, Addr][] {
    const out: [LevelIndex, Addr][] = [];
    this.versions.forEach((map, level) => {
      // A version in (from, to]: the last one at or before `to` is after `from`.
      for (const [base, list] of map) {
        const at = this.versionIndex(list, to);
        if (at !== -1 && list.seqs[at]! > from) out.push([level as LevelIndex, base]);
      }
    });
    return out;
  }

  /** The seq of the version of a table in force at checkpoint `seq`, or -1 (for diffs: equal versions are equal tables). */
  versionAt(level: LevelIndex, base: Addr, seq: number): number {
    const list = this.versions[level]?.get(base);
    const at = this.versionIndex(list, seq);
    return at === -1 ? -1 : list!.seqs[at]!;
  }

  private versionIndex(list: Versions | undefined, seq: number): number {
    if (!list || list.seqs[0]! > seq) return -1;
    const seqs = list.seqs;
    let lo = 0;
    let hi = seqs.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (seqs[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private tableVersion(level: LevelIndex, base: Addr, seq: number): Uint8Array | undefined {
    const at = this.versionAt(level, base, seq);
    if (at === -1) return level === 0 && base === 0 ? new Uint8Array(this.geometry.ptrs[0]!) : undefined;
    const key = `${level}:${base}:${at}`;
    let table = this.blobCache.get(key);
    if (!table) {
      try {
        const data = this.statements.version.get(segmentAt(this.segments, at).run, level, base, at) as Buffer;
        table = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      } catch (error) {
        throw asRecordingError(this.file, error);
      }
      if (this.blobCache.size >= 4096) this.blobCache.delete(this.blobCache.keys().next().value!);
      this.blobCache.set(key, table);
    }
    return table;
  }

  /**
   * Run a read-only SQL query (walkback sql): its rows as SQLite yields them
   * (the connection is busy until they are read or the iterator is returned),
   * integers as BigInt so that none is rounded through a double.
   */
  query(sql: string): { columns: string[]; rows: IterableIterator<unknown[]> } {
    const statement = this.db.prepare(sql);
    if (!statement.reader) throw new RecordingError(this.file, 'walkback sql runs queries that read (SELECT, WITH, PRAGMA); the recording is opened read-only');
    statement.raw(true).safeIntegers(true);
    return { columns: statement.columns().map((c) => c.name), rows: statement.iterate() as IterableIterator<unknown[]> };
  }

  /** The database, for read-only helpers (the SQL front end registers its virtual tables here). */
  get database(): Database.Database {
    return this.db;
  }

  /**
   * For a timeline `width` columns wide over the first `length` events: which
   * columns hold a member of a notable row of these kinds (1) and which do not
   * (0); with `negativeUnless`, rows of other kinds count only when their value
   * is negative (an error return). Counted in SQLite, so a recording with
   * millions of notable rows costs no JavaScript object per row.
   */
  notableColumns(kinds: readonly number[], width: number, length: number, negativeUnless?: readonly number[]): Uint8Array {
    const columns = new Uint8Array(width);
    if (kinds.length === 0 || length <= 0) return columns;
    const col = (seq: number) => Math.min(width - 1, Math.floor((seq * width) / length));
    for (const segment of this.segments) {
      const hi = Math.min(segment.to, length);
      if (segment.from >= hi) continue;
      const where = `run = ${segment.run} AND kind IN (${kinds.join(',')}) AND seq >= ${segment.from} AND seq < ${hi}${
        negativeUnless ? ` AND (kind IN (${negativeUnless.join(',') || -1}) OR value < 0)` : ''
      }`;
      // Single events and dense runs (members at most a column apart) mark every column from their first to
      // their last member (cut at the segment's end: a parent's run past a fork is not the branch's).
      const lastCol = Math.floor(((hi - 1) * width) / length);
      const dense = this.db
        .prepare(
          `SELECT DISTINCT (seq * ${width}) / ${length}, min(((seq + (count - 1) * seq_step) * ${width}) / ${length}, ${lastCol}) FROM notable
            WHERE ${where} AND (count = 1 OR seq_step * ${width} <= ${length})`,
        )
        .raw()
        .all() as [number, number][];
      for (const [c0, c1] of dense) for (let c = c0; c <= Math.min(c1, width - 1); c++) columns[c] = 1;
      // Sparse runs: member by member.
      const sparse = this.db.prepare(`SELECT seq, count, seq_step FROM notable WHERE ${where} AND count > 1 AND seq_step * ${width} > ${length}`).raw().all() as [
        number,
        number,
        number,
      ][];
      for (const [seq, count, step] of sparse) for (let i = 0; i < count && seq + i * step < hi; i++) columns[col(seq + i * step)] = 1;
    }
    return columns;
  }

  /** Notable rows of the given kinds whose (first) seq lies in [from, to), and with `near`, whose address lies in it. */
  notableRows(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    return this.notables.query(kinds, from, to, near);
  }
}

function writerAlive(meta: RecordingMeta): boolean {
  if (meta.writerPid === null || meta.writerHost !== hostname()) return false;
  try {
    process.kill(meta.writerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkFile(file: string): void {
  if (file === '-') throw new RecordingError(file, 'a recording cannot be read from standard input (SQLite reads a file it can seek); give its path');
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new RecordingError(file, 'is a directory, not a recording (walkback ls lists the recordings in a directory)');
    // A FIFO or a device would block or read for ever (and SQLite cannot use one): a recording is a regular file.
    if (!stat.isFile()) throw new RecordingError(file, `is ${stat.isFIFO() ? 'a pipe (FIFO)' : stat.isCharacterDevice() ? 'a character device' : 'not a regular file'}, not a recording; a recording is a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof RecordingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecordingError(file, code === 'ENOENT' ? 'no such file; walkback record writes recordings (walkback ls lists them)' : `cannot be read (${code})`);
  }
  if (size === 0) throw new RecordingError(file, 'is empty, not a recording');
  const header = Buffer.alloc(16);
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    readSync(fd, header, 0, 16, 0);
  } catch (error) {
    throw new RecordingError(file, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_MAGIC)
    throw new RecordingError(file, 'is not a walkback recording (not a SQLite file); scenario files go to walkback trace or record');
  if (size < 512) throw new RecordingError(file, 'is damaged: it is shorter than one SQLite page (truncated?)');
}

/** The schema version of a walkback recording, or null if the file is not one (checkSchema says why). */
function schemaVersionOf(file: string): number | null {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) return null;
    return db.pragma('user_version', { simple: true }) as number;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

function checkSchema(file: string, db: Database.Database): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId !== APPLICATION_ID) throw new RecordingError(file, 'is a SQLite database, but not a walkback recording');
  if (version > SCHEMA_VERSION)
    throw new RecordingError(file, `was written by a newer walkback (recording schema ${version}; this walkback reads up to ${SCHEMA_VERSION}): upgrade walkback to replay it`);
  if (version < SCHEMA_VERSION) throw new RecordingError(file, `has recording schema ${version}, older than any this walkback can read`);
  const objects = new Map(
    (db.prepare("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view', 'index')").all() as { name: string; type: string }[]).map((o) => [
      o.name,
      o.type,
    ]),
  );
  for (const [name, type] of Object.entries(EXPECTED_OBJECTS)) {
    const found = objects.get(name);
    if (found !== type) throw new RecordingError(file, `is damaged or not walkback's: ${name} ${found ? `is a ${found}, not a ${type}` : 'is missing'}`);
  }
  const triggers = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").pluck().get() as number;
  if (triggers > 0) throw new RecordingError(file, 'has triggers, which walkback never writes: it is not a walkback recording, or it was tampered with');
}

/** Any failure while reading becomes a RecordingError with words a user can act on. */
export function asRecordingError(file: string, error: unknown): RecordingError {
  if (error instanceof RecordingError) return error;
  if (error instanceof RangeError) return new RecordingError(file, error.message);
  if (error instanceof CodecError) return new RecordingError(file, `is damaged: ${error.message}`);
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message))
    return new RecordingError(file, `is damaged (truncated or corrupted): ${message}`);
  if (code === 'SQLITE_BUSY') return new RecordingError(file, 'is busy: another process holds it locked; try again');
  if (code === 'SQLITE_CANTOPEN') return new RecordingError(file, `cannot be opened: ${message}`);
  return new RecordingError(file, `cannot be read: ${message}`);
}
