// SPDX-License-Identifier: GPL-2.0-only
/**
 * The SQLite side of the recorder: creates the file, writes sealed batches
 * (chunks, notable rows, table versions, checkpoints) one transaction each,
 * and stamps the outcome.
 */
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
  private readonly setMeta: (key: string, value: string | number | null) => void;
  private readonly writeBatch: (batch: Batch) => void;
  private readonly statements;
  /** Events committed to the file. */
  committed = 0;
  /** The first failure; once set, nothing more is written. */
  error: Error | null = null;

  constructor(options: StoreOptions) {
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
    const run = 0;
    const statements = {
      chunk: db.prepare(`INSERT INTO chunks (run, first_seq, count, data) VALUES (${run}, ?, ?, ?)`),
      checkpoint: db.prepare(`INSERT INTO checkpoints (run, seq, context) VALUES (${run}, ?, ?)`),
      version: db.prepare(
        `INSERT INTO table_versions (run, level, base, seq, data, n_table, n_present, n_guard, n_huge, n_hugetlb) VALUES (${run}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      notable: db.prepare(
        `INSERT INTO notable (run, seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) VALUES (${run}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      runOutcome: db.prepare(
        'UPDATE runs SET status = ?, end_reason = ?, ret = ?, client_ret = ?, event_count = ?, error = ? WHERE id = ?',
      ),
      runCount: db.prepare('UPDATE runs SET event_count = ? WHERE id = ?'),
    };
    this.statements = statements;
    db.transaction(() => {
      for (const [table, names] of Object.entries(NAME_TABLES)) {
        const insert = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
        names.forEach((name, id) => insert.run(id, name));
      }
      for (const [key, value] of Object.entries(options.meta)) this.setMeta(key, value);
      db.prepare("INSERT INTO runs (id, parent, fork_seq, label, status) VALUES (0, NULL, 0, 'base', 'recording')").run();
      statements.checkpoint.run(0, options.initialContext);
    })();
    this.writeBatch = db.transaction((batch: Batch) => {
      for (const c of batch.chunks) statements.chunk.run(c.first, c.count, c.data);
      for (const row of batch.notable)
        statements.notable.run(
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
      for (const v of batch.versions)
        statements.version.run(v.level, v.base, v.seq, v.data, v.counts[1], v.counts[2], v.counts[3], v.counts[4], v.counts[5]);
      for (const c of batch.checkpoints) statements.checkpoint.run(c.seq, c.context);
      this.setMeta('event_count', batch.end);
      statements.runCount.run(batch.end, 0);
    });
  }

  /** Write a batch in one transaction. A failure (a full disk) is kept, and ends the writing. */
  write(batch: Batch): void {
    if (this.error || batch.chunks.length === 0) return;
    try {
      this.writeBatch(batch);
      this.committed = batch.end;
    } catch (error) {
      this.error = error as Error;
    }
  }

  /** The file's size so far. */
  size(): number {
    return (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  /** Stamp the outcome and close the file. A writer that failed turns the outcome into `incomplete`. */
  finish(outcome: Outcome): Outcome {
    const final: Outcome = this.error ? { ...outcome, status: 'incomplete', error: describeWriteError(this.error) } : outcome;
    try {
      this.db.transaction(() => {
        this.setMeta('status', final.status);
        this.setMeta('end', final.end);
        this.setMeta('ret', final.ret);
        this.setMeta('client_ret', final.clientRet);
        this.setMeta('event_count', this.committed);
        this.setMeta('finished_at', new Date().toISOString());
        this.setMeta('error', final.error);
        this.statements.runOutcome.run(final.status, final.end, final.ret, final.clientRet, this.committed, final.error, 0);
      })();
    } catch {
      // A full disk may refuse even this; readers then see a writer that is gone: incomplete.
    }
    try {
      // One self-contained file, which opens anywhere, read-only media included.
      this.db.pragma('journal_mode = DELETE');
    } catch {
      // A reader still has the file open (follow mode): it stays in WAL mode, which is fine.
    }
    this.db.close();
    return final;
  }
}

function describeWriteError(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_FULL') return 'the disk is full (or the size cap was reached)';
  return error.message;
}
