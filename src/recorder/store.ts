// SPDX-License-Identifier: GPL-2.0-only
/**
 * The SQLite side of the recorder: creates the file, writes sealed batches
 * (chunks, notable rows, table versions, checkpoints) one transaction each,
 * and stamps the outcome.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NotableRow } from '../events/notable.js';
import { addrToSql, APPLICATION_ID, NAME_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

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
  /** Write one metadata value (INSERT OR REPLACE). */
  readonly setMeta: (key: string, value: string | number | null) => void;
  private readonly writeBatch: (batch: Batch, run: number) => void;
  private readonly statements;
  /** The first failure; once set, nothing more is written. */
  error: Error | null = null;

  private readonly file: string;
  private readonly maxBytes: number | undefined;

  constructor(options: StoreOptions) {
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    const db = new Database(options.file);
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(8, Math.floor(options.maxBytes / pageSize))}`);
    }
    db.exec(SCHEMA_SQL);
    // Whole numbers go in as INTEGER (better-sqlite3 binds a JS number as REAL, and meta's values have no type).
    const meta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.setMeta = (key, value) => meta.run(key, typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value);
    const statements = {
      chunk: db.prepare('INSERT INTO chunks (run, first_seq, count, data) VALUES (?, ?, ?, ?)'),
      checkpoint: db.prepare('INSERT INTO checkpoints (run, seq, context) VALUES (?, ?, ?)'),
      version: db.prepare(
        'INSERT INTO table_versions (run, level, base, seq, data, n_table, n_present, n_guard, n_huge, n_hugetlb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      notable: db.prepare(
        'INSERT INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      runOutcome: db.prepare(
        'UPDATE runs SET status = ?, end_reason = ?, ret = ?, client_ret = ?, event_count = ?, error = ? WHERE id = ?',
      ),
      runCount: db.prepare('UPDATE runs SET event_count = ? WHERE id = ?'),
      addRun: db.prepare("INSERT INTO runs (id, parent, fork_seq, label, status) VALUES (?, ?, ?, ?, 'recording')"),
    };
    this.statements = statements;
    db.transaction(() => {
      for (const [table, names] of Object.entries(NAME_TABLES)) {
        const insert = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
        names.forEach((name, id) => insert.run(id, name));
      }
      for (const [key, value] of Object.entries(options.meta)) this.setMeta(key, value);
      statements.addRun.run(0, null, 0, 'base');
      statements.checkpoint.run(0, 0, options.initialContext);
    })();
    this.writeBatch = db.transaction((batch: Batch, run: number) => {
      for (const c of batch.chunks) statements.chunk.run(run, c.first, c.count, c.data);
      for (const row of batch.notable)
        statements.notable.run(
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
      for (const v of batch.versions) this.insertVersion(run, v);
      for (const c of batch.checkpoints) statements.checkpoint.run(run, c.seq, c.context);
      if (run === 0) this.setMeta('event_count', batch.end);
      statements.runCount.run(batch.end, run);
    });
  }

  private insertVersion(run: number, v: Batch['versions'][number]): void {
    this.statements.version.run(run, v.level, v.base, v.seq, v.data, v.counts[1], v.counts[2], v.counts[3], v.counts[4], v.counts[5]);
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
      this.statements.addRun.run(id, parent, forkSeq, label);
      this.statements.checkpoint.run(id, forkSeq, initial.context);
      for (const v of initial.versions) this.insertVersion(id, v);
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
        this.statements.runOutcome.run(final.status, final.end, final.ret, final.clientRet, events, final.error, run);
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
