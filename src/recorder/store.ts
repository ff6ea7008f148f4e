// SPDX-License-Identifier: GPL-2.0-only
/**
 * The SQLite side of the recorder: creates the file, writes sealed batches
 * (chunks, notable rows, table versions, checkpoints) one transaction each,
 * with their checksums, and stamps the outcome. It holds the writer lock
 * (writer-lock.ts) from before the file exists until it is closed.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NotableRow } from '../events/notable.js';
import { addCrc } from './checksum.js';
import { checkpointCrc, chunkCrc, chunkDataCrc, contextCrc, metaRowCrc, NOTABLE_PRIME, notableHash, runCrc, versionCrc, versionDataCrc } from './row-crcs.js';
import type { RunColumns } from './row-crcs.js';
import { addrToSql, APPLICATION_ID, META_CHECKSUM_KEY, NAME_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { acquireWriterLock } from './writer-lock.js';
import type { WriterLock } from './writer-lock.js';

/** Chunks sealed since the last write, written in one transaction. */
export interface Batch {
  chunks: { first: number; count: number; data: Uint8Array }[];
  notable: NotableRow[];
  versions: { level: number; base: number; seq: number; data: Uint8Array; counts: Uint32Array }[];
  checkpoints: { seq: number; context: string }[];
  /** Events covered once this batch is written. */
  end: number;
}

export const emptyBatch = (): Batch => ({ chunks: [], notable: [], versions: [], checkpoints: [], end: 0 });

export interface StoreOptions {
  readonly file: string;
  /** The metadata to write at creation (the scenario, versions, writer). */
  readonly meta: Record<string, string | number | null>;
  /** The checkpoint before the first event. */
  readonly initialContext: string;
  readonly maxBytes?: number;
}

/** How the run ended, stamped into the file by finish(). */
export interface Outcome {
  readonly status: 'complete' | 'aborted' | 'incomplete';
  readonly end: string;
  readonly ret: number | null;
  readonly clientRet: number | null;
  readonly error: string | null;
}

export class RecordingStore {
  private readonly db: Database.Database;
  private readonly lock: WriterLock;
  /** Write one metadata value (INSERT OR REPLACE), and meta's checksum with it. */
  readonly setMeta: (key: string, value: string | number | null) => void;
  private readonly writeBatch: (batch: Batch, run: number) => void;
  private readonly statements: ReturnType<RecordingStore['create']>['statements'];
  /** The CRC of each row of meta, and their sum: meta's checksum, updated a row at a time. */
  private readonly metaRows = new Map<string, number>();
  private metaSum = 0;
  /** Each run's row as stored, for its checksum. */
  private readonly runs = new Map<number, RunColumns>();
  /** The first failure; once set, nothing more is written. */
  error: Error | null = null;

  private readonly file: string;
  private readonly maxBytes: number | undefined;

  constructor(options: StoreOptions) {
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    // The lock first: whoever sees the file being written can tell whether its writer lives.
    this.lock = acquireWriterLock(options.file);
    let db: Database.Database | null = null;
    try {
      db = new Database(options.file);
      this.db = db;
      const { setMeta, writeBatch, statements } = this.create(db, options);
      this.setMeta = setMeta;
      this.writeBatch = writeBatch;
      this.statements = statements;
    } catch (error) {
      // A file that could not even be set up (a full disk, a size cap below its first pages): nothing is left locked.
      db?.close();
      this.lock.release();
      throw error;
    }
  }

  /** Set up a new file: its schema, names, metadata and run 0, and the statements and transactions that write it. */
  private create(db: Database.Database, options: StoreOptions) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(8, Math.floor(options.maxBytes / pageSize))}`);
    }
    db.exec(SCHEMA_SQL);
    const statements = {
      meta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      chunk: db.prepare('INSERT INTO chunks (run, first_seq, count, notable_sum, crc, data_crc, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      checkpoint: db.prepare('INSERT INTO checkpoints (run, seq, versions_crc, crc, context_crc, context) VALUES (?, ?, ?, ?, ?, ?)'),
      version: db.prepare(
        'INSERT INTO table_versions (run, level, base, seq, n_table, n_present, n_guard, n_huge, n_hugetlb, data_crc, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      notable: db.prepare(
        'INSERT INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      runOutcome: db.prepare(
        'UPDATE runs SET status = ?, end_reason = ?, ret = ?, client_ret = ?, event_count = ?, error = ?, crc = ? WHERE id = ?',
      ),
      runCount: db.prepare('UPDATE runs SET event_count = ?, crc = ? WHERE id = ?'),
      addRun: db.prepare("INSERT INTO runs (id, parent, fork_seq, label, status, crc) VALUES (?, ?, ?, ?, 'recording', ?)"),
    };
    // Whole numbers go in as INTEGER (better-sqlite3 binds a JS number as REAL, and meta's values have no type).
    const setMeta = db.transaction((key: string, value: string | number | null) => {
      const bound = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      statements.meta.run(key, bound);
      const crc = metaRowCrc(key, bound);
      this.metaSum = addCrc(this.metaSum, crc - (this.metaRows.get(key) ?? 0) + 4294967296);
      this.metaRows.set(key, crc);
      statements.meta.run(META_CHECKSUM_KEY, BigInt(this.metaSum));
    });
    db.transaction(() => {
      for (const [table, names] of Object.entries(NAME_TABLES)) {
        const insert = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
        names.forEach((name, id) => insert.run(id, name));
      }
      for (const [key, value] of Object.entries(options.meta)) setMeta(key, value);
      this.insertRun(0, null, 0, 'base', statements);
      this.insertCheckpoint(0, 0, options.initialContext, [], statements);
    })();
    const writeBatch = db.transaction((batch: Batch, run: number) => {
      // Each chunk with the sum of its notable rows' hashes (rows never span two chunks).
      let r = 0;
      for (const c of batch.chunks) {
        let hashes = 0;
        for (const end = c.first + c.count; r < batch.notable.length && batch.notable[r]!.seq < end; r++) {
          const row = batch.notable[r]!;
          hashes += notableHash(run, row);
          this.insertNotable(run, row);
        }
        const notable = hashes % NOTABLE_PRIME;
        statements.chunk.run(run, c.first, c.count, notable, chunkCrc(run, c.first, c.count, notable), chunkDataCrc(run, c.first, c.data), c.data);
      }
      for (; r < batch.notable.length; r++) this.insertNotable(run, batch.notable[r]!);
      for (const c of batch.checkpoints)
        this.insertCheckpoint(
          run,
          c.seq,
          c.context,
          batch.versions.filter((v) => v.seq === c.seq),
        );
      if (run === 0) setMeta('event_count', batch.end);
      this.updateRun(run, { eventCount: batch.end });
    });
    return { setMeta, writeBatch, statements };
  }

  private insertNotable(run: number, row: NotableRow): void {
    this.statements.notable.run(
      run,
      row.seq,
      row.kind,
      row.level,
      row.addr === null ? null : addrToSql(row.addr),
      row.next === null ? null : addrToSql(row.next),
      row.depth,
      row.value,
      row.count,
      row.seqStep,
      row.addrStep,
    );
  }

  /** A checkpoint and its table versions, with their checksums. */
  private insertCheckpoint(run: number, seq: number, context: string, versions: Batch['versions'], statements = this.statements): void {
    let sum = 0;
    for (const v of versions) {
      const c = v.counts;
      sum = addCrc(sum, versionCrc(run, v.level, v.base, seq, c, 1));
      statements.version.run(run, v.level, v.base, seq, c[1], c[2], c[3], c[4], c[5], versionDataCrc(run, v.level, v.base, seq, v.data), v.data);
    }
    statements.checkpoint.run(run, seq, sum, checkpointCrc(run, seq, sum), contextCrc(run, seq, context), context);
  }

  private insertRun(id: number, parent: number | null, forkSeq: number, label: string, statements = this.statements): void {
    const row: RunColumns = { id, parent, forkSeq, label, status: 'recording', endReason: null, ret: null, clientRet: null, eventCount: 0, error: null };
    this.runs.set(id, row);
    statements.addRun.run(id, parent, forkSeq, label, runCrc(row));
  }

  private updateRun(id: number, change: Partial<RunColumns>): void {
    const row = { ...this.runs.get(id)!, ...change };
    this.runs.set(id, row);
    if (change.status === undefined) this.statements.runCount.run(row.eventCount, runCrc(row), id);
    else this.statements.runOutcome.run(row.status, row.endReason, row.ret, row.clientRet, row.eventCount, row.error, runCrc(row), id);
  }

  /**
   * A new run that shares the first `forkSeq` events of `parent` (a branch of a
   * sweep): it starts from the checkpoint given, the state before event `forkSeq`
   * (its context, and the tables that differ from the parent's last checkpoint
   * before the fork). Returns the run's id.
   */
  addRun(parent: number, forkSeq: number, label: string, initial: { context: string; versions: Batch['versions'] }): number {
    const id = ((this.db.prepare('SELECT max(id) FROM runs').pluck().get() as number | null) ?? 0) + 1;
    this.db.transaction(() => {
      this.insertRun(id, parent, forkSeq, label);
      this.insertCheckpoint(id, forkSeq, initial.context, initial.versions);
    })();
    return id;
  }

  /** Write a batch of a run in one transaction. A failure (a full disk) is kept, and ends the writing. */
  write(batch: Batch, run = 0): void {
    if (this.error || batch.chunks.length === 0) return;
    try {
      this.writeBatch(batch, run);
    } catch (error) {
      this.error = error as Error;
    }
  }

  /**
   * Stamp a run's outcome, and for the base run the file's own (meta); the file
   * stays open (close() follows, or more runs do). A writer that failed turns
   * the outcome into `incomplete`.
   */
  finishRun(run: number, outcome: Outcome, events: number): Outcome {
    const final: Outcome = this.error ? { ...outcome, status: 'incomplete', error: describeWriteError(this.error, this.file, this.maxBytes) } : outcome;
    try {
      this.db.transaction(() => {
        if (run === 0) {
          this.setMeta('status', final.status);
          this.setMeta('end', final.end);
          this.setMeta('ret', final.ret);
          this.setMeta('client_ret', final.clientRet);
          this.setMeta('event_count', events);
          this.setMeta('finished_at', new Date().toISOString());
          this.setMeta('error', final.error);
        }
        this.updateRun(run, { status: final.status, endReason: final.end, ret: final.ret, clientRet: final.clientRet, eventCount: events, error: final.error });
      })();
    } catch (error) {
      // A full disk may refuse even this; readers then see a writer that is gone: incomplete.
      this.error ??= error as Error;
    }
    return final;
  }

  /** The file's size so far. */
  size(): number {
    return (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  /** Close the file, as one self-contained file. */
  close(): void {
    try {
      // One self-contained file, which opens anywhere, read-only media included.
      this.db.pragma('journal_mode = DELETE');
    } catch {
      // A reader still has the file open (follow mode): it stays in WAL mode, which is fine.
    }
    this.db.close();
    // Only now: a reader that finds the lock free finds the outcome stamped.
    this.lock.release();
  }
}

/**
 * Why a write failed, in words. SQLite says SQLITE_FULL both when the disk is
 * full and when the size cap (max_page_count) is reached; the file system's
 * free space tells them apart (a transaction needs far less than this margin).
 */
export function describeWriteError(error: Error, file: string, maxBytes?: number): string {
  const code = (error as { code?: string }).code;
  if (code !== 'SQLITE_FULL') return error.message;
  if (maxBytes === undefined || diskNearlyFull(file)) return 'the disk is full';
  return `it reached the size cap of ${maxBytes.toLocaleString('en-US')} bytes`;
}

const FULL_MARGIN = 64 * 2 ** 20;

function diskNearlyFull(file: string): boolean {
  try {
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < FULL_MARGIN;
  } catch {
    return false;
  }
}
