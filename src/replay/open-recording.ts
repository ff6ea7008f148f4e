// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opening a recording for replay: read-only, with SQLite's defensive settings
 * (no trusted schema: a hostile file's views and triggers cannot call
 * functions on the user's behalf), and with every object checked to be what
 * walkback wrote before anything is read. Files that are not recordings,
 * damaged files and recordings from a newer walkback each get one clear error.
 *
 * Nothing is decoded without its checksum checked first (schema.ts says what
 * each covers): the index rows (chunks, checkpoints, table versions, runs,
 * meta) when the index is read, each blob and context when it is read, the
 * notable rows before any is used. The metadata is also checked against the
 * events: the count, and the outcome of a finished run.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CodecError, decodeChunk } from '../events/codec.js';
import type { NotableRow } from '../events/notable.js';
import type { Addr, LevelIndex, WalkEvent } from '../events/walk-event.js';
import { LEVELS } from '../events/walk-event.js';
import type { ArchName, Geometry } from '../mm/geometry.js';
import { geometryOf } from '../mm/geometry.js';
import { PageTables, summarize } from '../mm/page-tables.js';
import type { TableSource } from '../mm/page-tables.js';
import { outcomeOf } from '../recorder/checkpointer.js';

import { canMigrate, migrate } from '../recorder/migrations.js';
import { chunkDataCrc, contextCrc, NOTABLE_ADDR_INDEX_SQL, NOTABLE_KIND_INDEX_SQL, NOTABLE_PRIME, NOTABLE_SUMS_SQL, versionDataCrc } from '../recorder/row-crcs.js';
import type { RecordingMeta } from '../recorder/schema.js';
import { APPLICATION_ID, META_CHECKSUM_KEY, SCHEMA_VERSION } from '../recorder/schema.js';
import { writerLockHeld } from '../recorder/writer-lock.js';
import { checkColumnTypes, checkSchema, readMeta, refuseTriggers } from './recording-checks.js';
import { NotableStore } from './notable-store.js';
import { damaged, RecordingError } from './recording-error.js';
import { readRun, readRunChain, readRuns, segmentAt, segmentsOf } from './run-segments.js';
import { checkpointName, chunkName, StoredRuns } from './stored-runs.js';
import type { RunRow, Segment } from './run-segments.js';
import { asContext, fromContext } from './state-context.js';
import type { StateContext } from './state-context.js';
import { foldEvents } from './walk-state.js';
import type { WalkState } from './walk-state.js';

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
  /** The events it holds. */
  readonly stored: number;
  readonly notableSum: number;
}

/** One table's versions: checkpoint seqs, ascending, and each version's entry counts (six numbers a version, by EntryKind). */
interface Versions {
  readonly seqs: number[];
  readonly counts: number[];
  /** The counts as summaries, made when first asked for. */
  readonly summaries: Uint32Array[];
}

/** What one read of the index saw of the file's metadata and of the run replayed: one consistent snapshot. */
interface Snapshot {
  /** The file's metadata (run 0's outcome). */
  readonly meta: RecordingMeta;
  /** Every value of meta, as stored. */
  readonly values: ReadonlyMap<string, unknown>;
  /** The row of the run replayed. */
  readonly run: RunRow;
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
  /** What the last read of the index saw (set by the constructor's first refresh). */
  private snapshot!: Snapshot;

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
    this.shared = shared ?? new StoredRuns(db, file);
    this.segments = segmentsOf(file, readRunChain(file, db, run));
    // Each blob or text with its CRC (of its row's key, then its bytes).
    this.statements = {
      chunk: db.prepare('SELECT data_crc, data FROM chunks WHERE run = ? AND first_seq = ?').raw(),
      checkpoint: db.prepare('SELECT context_crc, context FROM checkpoints WHERE run = ? AND seq = ?').raw(),
      version: db.prepare('SELECT data_crc, data FROM table_versions WHERE run = ? AND level = ? AND base = ? AND seq = ?').raw(),
    };
    // The architecture and page size never change: from a first read of meta (refresh() reads it again with the index).
    const meta = this.readMeta().meta;
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
        writable.pragma('trusted_schema = OFF');
        // An upgrade writes to the file's own tables: none of them may do anything on the side.
        refuseTriggers(file, writable);
        migrate(writable);
        writable.pragma('journal_mode = DELETE');
      } catch (error) {
        writable.close();
        rmSync(dirname(temporary), { recursive: true, force: true });
        throw asRecordingError(file, error, 'cannot be upgraded');
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
      const runs = readRuns(file, db).map((r) => r.id);
      // Every run has its first checkpoint and its chunks under its id: a run whose row is gone is damage, not absence.
      const maxRun = (t: 'checkpoints' | 'chunks'): number => (db.prepare(`SELECT max(run) FROM ${t}`).pluck().get() as number | null) ?? -1;
      const stored = Math.max(maxRun('checkpoints'), maxRun('chunks'));
      if (runs.length === 0 || stored >= runs.length) throw damaged(file, `its run ${runs.length} is missing`);
      if (!runs.includes(run)) throw new RecordingError(file, `has no run ${run} (runs: ${runs.length > 8 ? `${runs[0]} to ${runs[runs.length - 1]}` : runs.join(', ') || 'none'})`);
      const recording = new Recording(file, db, run);
      recording.upgradedFrom = upgradedFrom;
      recording.temporary = temporary;
      return recording;
    } catch (error) {
      db.close();
      if (temporary) rmSync(dirname(temporary), { recursive: true, force: true });
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
    // The metadata and the run's row, with the index: they describe the same moment.
    const { meta, values } = this.readMeta();
    const own = readRun(this.file, this.db, this.run);
    if (!own) throw damaged(this.file, `run ${this.run} is missing`);
    const from = this.indexedTo;
    // The first read takes every segment; a refresh, what the last one (the run being written) gained.
    const segments = from === 0 ? this.segments : this.segments.slice(-1);
    const chunks: ChunkRef[] = [];
    const checkpoints: [number, number][] = [];
    const rows: (readonly number[])[] = [];
    let expected = from;
    let ownChunks = 0;
    for (const segment of segments) {
      const last = segment === this.segments[this.segments.length - 1];
      const lo = Math.max(from, segment.from);
      // A parent's segment is a finished run: read once per file (StoredRuns), then cut to the segment.
      const finished = !last;
      // The writer checkpoints after every chunk it fills, and at the run's start (a branch's fork): nothing else.
      const ends: number[] = [];
      for (const chunk of this.shared.chunks(segment.run, lo, segment.to, finished)) {
        if (chunk.count === meta.chunkEvents) ends.push(chunk.first + chunk.count);
        if (chunk.first !== expected) throw damaged(this.file, `events ${expected} to ${chunk.first - 1} are missing`);
        if (!Number.isSafeInteger(chunk.count) || chunk.count <= 0) throw damaged(this.file, `${chunkName(segment.run, chunk.first, 1)} says it holds ${chunk.count} events`);
        const count = Math.min(chunk.count, segment.to - chunk.first);
        chunks.push({ run: segment.run, first: chunk.first, count, stored: chunk.count, notableSum: chunk.notableSum });
        expected += count;
        if (last) ownChunks++;
      }
      if (!last && expected < segment.to) throw damaged(this.file, `run ${segment.run} ends at event ${expected}, before the fork at ${segment.to}`);
      // Checkpoints and table versions of this segment (a parent's up to the fork, not at it: the branch has its own there).
      const top = last ? expected : segment.to - 1;
      const floor = from === 0 ? segment.from : from + 1;
      const stored = this.shared.checkpoints(segment.run, floor, top, finished);
      const want = [...(from === 0 ? [segment.from] : []), ...ends.filter((end) => end >= floor && end <= top)];
      if (stored.checkpoints.length !== want.length || stored.checkpoints.some((seq, i) => seq !== want[i]))
        throw damaged(this.file, `its checkpoints${segment.run === 0 ? '' : ` of run ${segment.run}`} are not where the writer puts them (the start, and the end of every full chunk)`);
      for (const seq of stored.checkpoints) checkpoints.push([seq, segment.run]);
      for (const row of stored.versions) rows.push(row);
    }
    for (const row of rows) {
      const size = this.geometry.ptrs[row[0]!];
      let entries = 0;
      let counted = true;
      for (let i = 3; i < 8; i++) {
        const n = row[i]!;
        counted &&= Number.isSafeInteger(n) && n >= 0;
        entries += n;
      }
      if (size === undefined || !(Number.isInteger(row[1]) && row[1]! >= 0 && row[1]! < 2 ** 64) || !counted || entries > size)
        throw damaged(this.file, `a table of level ${row[0]} at event ${row[2]} is not one walkback writes`);
    }
    // The counts the writer stamped with these events (in the same transactions).
    if (own.eventCount !== expected && !(own.eventCount === 0 && ownChunks === 0))
      throw damaged(this.file, `it holds ${expected.toLocaleString('en-US')} events${this.run === 0 ? '' : ` in run ${this.run}`}, but says ${own.eventCount.toLocaleString('en-US')}`);
    const base = this.run === 0 ? own : readRun(this.file, this.db, 0);
    if (
      base &&
      (meta.status !== base.status || meta.end !== base.endReason || meta.ret !== base.ret || meta.clientRet !== base.clientRet || meta.eventCount !== base.eventCount)
    )
      throw damaged(this.file, 'its metadata and its base run disagree on how the run ended');
    // Only now, with everything read and checked: a failure above leaves the index as it was.
    // (Indexed, not destructured: a recording of millions of events has tens of thousands of rows, read by code not yet optimised.)
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const level = row[0]!;
      const base = row[1]!;
      const map = this.versions[level]!;
      let list = map.get(base);
      if (!list) map.set(base, (list = { seqs: [], counts: [], summaries: [] }));
      list.seqs.push(row[2]!);
      const size = this.geometry.ptrs[level]!;
      list.counts.push(size - row[3]! - row[4]! - row[5]! - row[6]! - row[7]!, row[3]!, row[4]!, row[5]!, row[6]!, row[7]!);
    }
    for (const chunk of chunks) this.chunks.push(chunk);
    for (const [seq, run] of checkpoints) {
      this.checkpointSeqs.push(seq);
      this.checkpointRuns.push(run);
    }
    this.indexedTo = expected;
    this.snapshot = { meta, values, run: own };
  }

  /** The file's metadata, checked; read again only when its checksum has changed (a writer at work). */
  private readMeta(): ReturnType<typeof readMeta> {
    const checksum = this.shared.prepare(`SELECT value FROM meta WHERE key = '${META_CHECKSUM_KEY}'`, 'pluck').get();
    const last = this.shared.lastMeta;
    if (last && last.checksum === checksum) return last.value as ReturnType<typeof readMeta>;
    const value = readMeta(this.file, this.db);
    this.shared.lastMeta = { checksum, value };
    return value;
  }

  /** Committed events. */
  get length(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last ? last.first + last.count : 0;
  }

  /**
   * The file's metadata; for a run of a sweep, with that run's own status, end,
   * return values, count and error. A finished run's outcome is checked
   * against its events first.
   */
  meta(): RecordingMeta {
    this.checkOutcome();
    const { meta, run: own } = this.snapshot;
    if (this.run === 0) return meta;
    return {
      ...meta,
      status: own.status as RecordingMeta['status'],
      end: own.endReason,
      ret: own.ret,
      clientRet: own.clientRet,
      eventCount: own.eventCount,
      error: own.error,
    };
  }

  /** The length at which the stored outcome was last checked against the events. */
  private outcomeChecked = -1;

  /** A run stamped complete or aborted says how its events end: they must say so too. */
  private checkOutcome(): void {
    if (this.outcomeChecked === this.indexedTo) return;
    const own = this.snapshot.run;
    if (own.status === 'complete' || own.status === 'aborted') {
      if (this.length === 0) throw damaged(this.file, `it says the run is ${own.status}, but holds no events`);
      let state: WalkState;
      try {
        state = this.finalState();
      } catch (error) {
        throw asRecordingError(this.file, error);
      }
      const found = outcomeOf(state);
      const words = (o: { status: string; end: string | null; ret: number | null; clientRet: number | null }) =>
        `${o.status} (${o.end === 'returned' ? `ret ${o.clientRet ?? o.ret}` : o.end}${o.clientRet !== null && o.ret !== o.clientRet ? `, walk ret ${o.ret}` : ''})`;
      if (found.status !== own.status || found.end !== own.endReason || found.ret !== own.ret || found.clientRet !== own.clientRet)
        throw damaged(this.file, `it says the run ended ${words({ ...own, end: own.endReason })}, but its events end ${words(found)}`);
    }
    this.outcomeChecked = this.indexedTo;
  }

  /** The state after the last event, folded from the last checkpoint by the reducer. */
  private finalState(): WalkState {
    const last = this.length - 1;
    const { seq, context } = this.checkpointAtOrBefore(last);
    const state = fromContext(context, this.geometry, PageTables.over(this.geometry, this.tablesAt(seq)));
    return foldEvents(state, this.events(seq, last + 1));
  }

  /** The row of the run replayed (run 0 of a plain recording included), read afresh. */
  ownRun(): RunRow | undefined {
    try {
      return readRun(this.file, this.db, this.run);
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /**
   * Whether a process is writing the file (a sweep's base can be done while
   * its branches are not): whether the writer holds its lock, which the
   * kernel releases when the writer dies, however it dies.
   */
  writerActive(): boolean {
    return writerLockHeld(this.file);
  }

  /** The status as a reader should see it: a writer that died leaves an incomplete recording. */
  status(): ReadStatus {
    const stored = this.meta().status;
    if (stored !== 'recording') return stored;
    // The run's own status, read afresh: a run being written finishes without the index growing.
    const now = (this.ownRun()?.status ?? stored) as ReadStatus;
    if (now !== 'recording') return now;
    if (this.writerActive()) return 'recording';
    // The lock is free: the writer finished since (it stamps its outcome before it lets go), or died.
    const after = (this.ownRun()?.status ?? stored) as ReadStatus;
    return after === 'recording' ? 'incomplete' : after;
  }

  /** Every run the file holds: one for a recording, the base and its branches for a sweep. */
  runs(): RunRow[] {
    try {
      return readRuns(this.file, this.db);
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** The (scenario) metadata value stored under `key`, as of the last refresh. */
  metaValue(key: string): unknown {
    const value = this.snapshot.values.get(key) ?? null;
    return typeof value === 'bigint' ? Number(value) : value;
  }

  /** The events of the chunk holding `seq`, and the chunk's first seq. */
  chunkAt(seq: number): { first: number; events: WalkEvent[] } {
    const chunk = this.findChunk(seq);
    let events = this.chunkCache.get(chunk.first);
    if (!events) {
      const name = chunkName(chunk.run, chunk.first, chunk.stored);
      try {
        const data = this.chunkData(chunk);
        events = decodeChunk(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), chunk.first, this.pageSize);
      } catch (error) {
        if (error instanceof CodecError) throw damaged(this.file, `${name} does not decode (${error.message})`);
        throw asRecordingError(this.file, error);
      }
      if (events.length !== chunk.stored) throw damaged(this.file, `${name} holds ${events.length} events`);
      // A parent's chunk that runs past a branch's fork: only its events before the fork are the branch's.
      if (events.length > chunk.count) events = events.slice(0, chunk.count);
      if (this.chunkCache.size >= 64) this.chunkCache.delete(this.chunkCache.keys().next().value!);
      this.chunkCache.set(chunk.first, events);
    }
    return { first: chunk.first, events };
  }

  /** A chunk's bytes, checked against their checksum. */
  private chunkData(chunk: ChunkRef): Buffer {
    const row = this.statements.chunk.get(chunk.run, chunk.first) as [number, Buffer] | undefined;
    if (!row) throw damaged(this.file, `the events from ${chunk.first} are missing`);
    if (!Buffer.isBuffer(row[1]) || row[0] !== chunkDataCrc(chunk.run, chunk.first, row[1])) throw damaged(this.file, `${chunkName(chunk.run, chunk.first, chunk.stored)} fails its checksum`);
    return row[1];
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
    return { seq: at, context: this.checkpointContext(lo) };
  }

  /** The context of the lo-th checkpoint, checked against its checksum, and that it is a walk state before its event. */
  private checkpointContext(lo: number): StateContext {
    const at = this.checkpointSeqs[lo]!;
    const run = this.checkpointRuns[lo]!;
    let row: [number, string] | undefined;
    try {
      row = this.statements.checkpoint.get(run, at) as [number, string] | undefined;
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
    if (!row || typeof row[1] !== 'string' || row[0] !== contextCrc(run, at, row[1])) throw damaged(this.file, `${checkpointName(run, at)} fails its checksum`);
    const text = row[1];
    let context: StateContext | null;
    try {
      context = asContext(JSON.parse(text));
    } catch {
      context = null;
    }
    if (context === null || context.seq !== at - 1) throw damaged(this.file, `${checkpointName(run, at)} does not hold the state before that event`);
    return context;
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
    const list = this.versions[level]?.get(base);
    const index = this.versionIndex(list, seq);
    if (index === -1) return level === 0 && base === 0 ? new Uint8Array(this.geometry.ptrs[0]!) : undefined;
    const at = list!.seqs[index]!;
    const key = `${level}:${base}:${at}`;
    let table = this.blobCache.get(key);
    if (!table) {
      table = this.readVersion(level, base, list!, index);
      if (this.blobCache.size >= 4096) this.blobCache.delete(this.blobCache.keys().next().value!);
      this.blobCache.set(key, table);
    }
    return table;
  }

  /** A table version's bytes, checked against their checksum and against the entry counts the index holds. */
  private readVersion(level: LevelIndex, base: Addr, list: Versions, index: number): Uint8Array {
    const at = list.seqs[index]!;
    const run = segmentAt(this.segments, at).run;
    const name = () => `the ${LEVELS[level]} table at 0x${base.toString(16)} of ${checkpointName(run, at)}`;
    let row: [number, Buffer] | undefined;
    try {
      row = this.statements.version.get(run, level, base, at) as [number, Buffer] | undefined;
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
    if (!row || !Buffer.isBuffer(row[1]) || row[0] !== versionDataCrc(run, level, base, at, row[1])) throw damaged(this.file, `${name()} fails its checksum`);
    const data = row[1];
    const table = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    const counts = summarize(table);
    if (table.length !== this.geometry.ptrs[level] || counts.some((n, kind) => n !== list.counts[index * 6 + kind]))
      throw damaged(this.file, `${name()} does not match its entry counts`);
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
    this.checkNotable();
    try {
      return this.markColumns(columns, kinds, length, negativeUnless);
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  private markColumns(columns: Uint8Array, kinds: readonly number[], length: number, negativeUnless?: readonly number[]): Uint8Array {
    const width = columns.length;
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
    this.checkNotable();
    try {
      return this.notables.query(kinds, from, to, near);
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  /** Chunks (by index) whose notable rows have been checked. */
  private notableCheckedChunks = 0;

  /**
   * Check the notable rows of every chunk indexed against the chunk's sum of
   * their hashes, before any is used, and the indexes queries read them
   * through against the rows: all in SQLite, a few aggregate queries per
   * stored run (a row a few events in a big walk: no JavaScript per row), each
   * row once per file (a sweep's branches share their parent's).
   */
  private checkNotable(): void {
    const chunks = this.chunks;
    let i = this.notableCheckedChunks;
    while (i < chunks.length) {
      const run = chunks[i]!.run;
      let j = i;
      while (j < chunks.length && chunks[j]!.run === run) j++;
      const done = this.shared.notableChecked.get(run) ?? -1;
      // The chunks of this run not checked yet (through another run of the file, or an earlier refresh).
      let k = i;
      while (k < j && chunks[k]!.first + chunks[k]!.stored <= done) k++;
      if (k < j) {
        const last = chunks[j - 1]!;
        try {
          this.checkNotableRows(run, chunks.slice(k, j));
        } catch (error) {
          throw asRecordingError(this.file, error);
        }
        this.shared.notableChecked.set(run, last.first + last.stored);
      }
      i = j;
    }
    this.notableCheckedChunks = chunks.length;
    // Only now may the index serve rows of the new events.
    this.notables.extend(this.indexedTo);
  }

  /** Check the notable rows of consecutive chunks of one stored run, and its indexes over them (see checkNotable). */
  private checkNotableRows(run: number, chunks: readonly ChunkRef[]): void {
    const lo = chunks[0]!.first;
    const last = chunks[chunks.length - 1]!;
    const hi = last.first + last.stored;
    const events = `the notable rows of events ${lo}-${hi - 1}${run === 0 ? '' : ` of run ${run}`}`;
    // The run's chunks are full (chunk_events each) but its last, from its first event on: a row's chunk is arithmetic.
    const start = this.segments.find((segment) => segment.run === run)!.from;
    const size = this.snapshot.meta.chunkEvents;
    let expected = 0;
    for (const chunk of chunks) {
      if ((chunk.first - start) % size !== 0 || (chunk.stored !== size && chunk !== last))
        throw damaged(this.file, `${chunkName(run, chunk.first, chunk.stored)} is not one of the run's chunks of ${size} events`);
      expected += chunk.notableSum;
    }
    // Bound as integers: a JavaScript number binds as a real, and a row's chunk is an integer division.
    const [sum, invalid, ...held] = (
      this.shared.prepare(NOTABLE_SUMS_SQL, 'raw').safeIntegers(true).get({ run: BigInt(run), lo: BigInt(lo), hi: BigInt(hi), start: BigInt(start), size: BigInt(size) }) as (bigint | null)[]
    ).map((v) => v ?? 0n);
    // The chunks' sums and the rows' agree mod the prime (each side truncates toward zero: compare residues).
    const residue = (v: bigint) => ((v % BigInt(NOTABLE_PRIME)) + BigInt(NOTABLE_PRIME)) % BigInt(NOTABLE_PRIME);
    if (invalid! > 0n) throw damaged(this.file, `${events} are not rows walkback writes`);
    if (residue(sum!) !== residue(BigInt(expected))) throw damaged(this.file, `${events} fail their checksum`);
    // The indexes queries read the rows through hold what the rows hold.
    const [byKind, byAddr] = [NOTABLE_KIND_INDEX_SQL, NOTABLE_ADDR_INDEX_SQL].map((sql) =>
      (this.shared.prepare(sql, 'raw').safeIntegers(true).get(run, lo, hi) as (bigint | null)[]).map((v) => v ?? 0n),
    );
    const same = (a: readonly bigint[], b: readonly bigint[]) => a.every((v, i) => v === b[i]);
    if (!same(byKind!, held.slice(0, 4))) throw damaged(this.file, `the index notable_kind of ${events} does not hold what the rows hold`);
    if (!same(byAddr!, [held[0]!, held[1]!, held[4]!, held[5]!])) throw damaged(this.file, `the index notable_addr of ${events} does not hold what the rows hold`);
  }

  /**
   * Check everything the file holds against its checksums, every run of it:
   * what `walkback sql` needs before it lets a query read the tables
   * themselves. Reads the whole file once.
   */
  verify(): void {
    try {
      // One read transaction: a writer's commits meanwhile are not half seen.
      this.db.transaction(() => this.verifyAll())();
    } catch (error) {
      throw asRecordingError(this.file, error);
    }
  }

  private verifyAll(): void {
    // SQLite's own check first: its pages, and its indexes against their tables (a query may read either).
    const problems = this.db.prepare('PRAGMA integrity_check(1)').pluck().all() as string[];
    if (problems.length !== 1 || problems[0] !== 'ok') throw damaged(this.file, `SQLite finds it inconsistent (${problems.join('; ')})`);
    checkColumnTypes(this.file, this.db);
    this.readIndex();
    const runs = this.runs();
    let chunks = 0;
    let checkpoints = 0;
    let versions = 0;
    for (const row of runs) {
      const run = row.id === this.run ? this : this.openRun(row.id);
      const own = run.segments[run.segments.length - 1]!.run;
      // Each run checks what it stores itself (its last segment); its parents check theirs.
      for (const chunk of run.chunks) {
        if (chunk.run !== own) continue;
        run.chunkData(chunk);
        chunks++;
      }
      for (let lo = 0; lo < run.checkpointSeqs.length; lo++) {
        if (run.checkpointRuns[lo] !== own) continue;
        run.checkpointContext(lo);
        checkpoints++;
      }
      run.versions.forEach((map, level) => {
        for (const [base, list] of map)
          list.seqs.forEach((seq, index) => {
            if (segmentAt(run.segments, seq).run !== own) return;
            run.readVersion(level as LevelIndex, base, list, index);
            versions++;
          });
      });
      run.checkNotable();
      run.checkOutcome();
    }
    // Rows that no run reads.
    const count = (sql: string, ...params: number[]) => this.db.prepare(sql).pluck().get(...params) as number;
    const notable = runs.reduce((n, r) => n + count('SELECT count(*) FROM notable WHERE run = ? AND seq < ?', r.id, this.shared.notableChecked.get(r.id) ?? 0), 0);
    for (const [table, read] of [
      ['chunks', chunks],
      ['checkpoints', checkpoints],
      ['table_versions', versions],
      ['notable', notable],
    ] as const)
      if (count(`SELECT count(*) FROM ${table}`) !== read) throw damaged(this.file, `its table ${table} holds rows that belong to no run`);
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

/** Any failure while reading becomes a RecordingError with words a user can act on (`doing`: 'cannot be read', or what failed). */
export function asRecordingError(file: string, error: unknown, doing = 'cannot be read'): RecordingError {
  if (error instanceof RecordingError) return error;
  if (error instanceof RangeError) return new RecordingError(file, error.message);
  if (error instanceof CodecError) return new RecordingError(file, `is damaged: ${error.message}`);
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message))
    return new RecordingError(file, `is damaged (truncated or corrupted): ${message}`);
  if (code === 'SQLITE_BUSY') return new RecordingError(file, 'is busy: another process holds it locked; try again');
  if (code === 'SQLITE_CANTOPEN') return new RecordingError(file, `cannot be opened: ${message}`);
  return new RecordingError(file, `${doing}: ${message}`);
}
