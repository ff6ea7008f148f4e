// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recorder: writes a run's events to a SQLite recording while they flow.
 *
 * Events are encoded into chunks of CHUNK_EVENTS; each full chunk is written
 * in one transaction together with its notable events and a checkpoint of the
 * state after it (the reducer folds the stream as it goes, so the recorder's
 * state is rebuilt exactly as a replay rebuilds it). A writer that dies leaves
 * every committed chunk readable; the file then says `incomplete`.
 */
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { takeWhile } from 'rxjs';
import type { Observable } from 'rxjs';
import { CHUNK_EVENTS, ChunkEncoder } from '../events/codec.js';
import { NotableIndexer } from '../events/notable.js';
import type { WalkEvent } from '../events/walk-event.js';
import type { LevelIndex } from '../events/walk-event.js';
import { PageTables } from '../mm/page-tables.js';
import { toContext } from '../replay/state-context.js';
import { initialState, StateBuilder } from '../replay/walk-state.js';
import type { WalkState } from '../replay/walk-state.js';
import type { Scenario } from '../scenario/scenario.js';
import { addrToSql, APPLICATION_ID, NAME_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

export interface RecordOptions {
  /** The walkback version stamped into the file. */
  readonly walkbackVersion: string;
  /** Stop with an error once the file would pass this many bytes (a size cap; also how tests fill a disk). */
  readonly maxBytes?: number;
  /** Called now and then with the events written so far (for a progress line). */
  readonly onProgress?: (events: number, bytes: number) => void;
  /** Events per chunk and checkpoint interval (default CHUNK_EVENTS; tests use small ones). */
  readonly chunkEvents?: number;
}

export type RecordingStatus = 'complete' | 'aborted' | 'incomplete';

export interface RecordResult {
  readonly file: string;
  readonly status: RecordingStatus;
  readonly events: number;
  /** The events written to the file (all of them unless the writer failed). */
  readonly committed: number;
  /** The walk's (or the client's) return value, if it returned. */
  readonly ret: number | null;
  readonly end: string;
  /** Why the recording is incomplete. */
  readonly error: string | null;
  /** The final state, as the recorder's fold built it. */
  readonly state: WalkState;
}

/** Writes one recording. Create, add() every event, then finish(). */
export class RecordingWriter {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly encoder: ChunkEncoder;
  private readonly builder: StateBuilder;
  private readonly tables: PageTables;
  private readonly notable = new NotableIndexer();
  private readonly statements;
  private readonly writeChunk: (checkpoint: boolean) => void;
  private readonly pageSize: number;
  private readonly chunkEvents: number;
  private readonly onProgress: ((events: number, bytes: number) => void) | undefined;
  /** Events seen. */
  private seen = 0;
  /** Events committed to the file. */
  private committed = 0;
  /** The first failure; once set, nothing more is written. */
  error: Error | null = null;

  constructor(file: string, scenario: Scenario, options: RecordOptions) {
    this.file = file;
    this.pageSize = scenario.geometry.pageSize;
    this.chunkEvents = options.chunkEvents ?? CHUNK_EVENTS;
    this.onProgress = options.onProgress;
    const db = new Database(file);
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
    const metaStatement = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    const setMeta = {
      run: (key: string, value: string | number | null) =>
        metaStatement.run(key, typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value),
    };
    db.transaction(() => {
      for (const [table, names] of Object.entries(NAME_TABLES)) {
        const insert = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
        names.forEach((name, id) => insert.run(id, name));
      }
      const meta: Record<string, string | number | null> = {
        format: 'walkback-recording',
        schema_version: SCHEMA_VERSION,
        walkback_version: options.walkbackVersion,
        created_at: new Date().toISOString(),
        scenario_name: scenario.name,
        scenario_file: scenario.file,
        scenario_source: scenario.source,
        scenario_json: JSON.stringify(scenario, (key, value) => (key === 'geometry' || key === 'source' ? undefined : value)),
        arch: scenario.arch,
        kernel: scenario.kernel,
        api: scenario.walk.api,
        walk_start: `0x${scenario.walk.start.toString(16)}`,
        walk_end: `0x${scenario.walk.end.toString(16)}`,
        page_size: this.pageSize,
        chunk_events: this.chunkEvents,
        status: 'recording',
        event_count: 0,
        writer_pid: process.pid,
        writer_host: hostname(),
      };
      for (const [key, value] of Object.entries(meta)) setMeta.run(key, value);
    })();

    this.encoder = new ChunkEncoder(this.pageSize);
    this.encoder.reset(0);
    this.tables = PageTables.empty(scenario.geometry);
    this.tables.trackWrites();
    this.builder = new StateBuilder({ ...initialState(scenario.geometry), tables: this.tables }, { ownTables: true });

    const statements = {
      setMeta,
      chunk: db.prepare('INSERT INTO chunks (first_seq, count, data) VALUES (?, ?, ?)'),
      checkpoint: db.prepare('INSERT INTO checkpoints (seq, context) VALUES (?, ?)'),
      version: db.prepare('INSERT INTO table_versions (level, base, seq, data) VALUES (?, ?, ?, ?)'),
      notable: db.prepare(
        'INSERT INTO notable (seq, kind, level, addr, next, depth, value, count, seq_step, addr_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    this.statements = statements;
    // The state before the first event.
    statements.checkpoint.run(0, JSON.stringify(toContext(initialState(scenario.geometry))));

    this.writeChunk = db.transaction((checkpoint: boolean) => {
      const first = this.encoder.firstSeq;
      const count = this.encoder.count;
      statements.chunk.run(first, count, this.encoder.finish());
      for (const row of this.notable.take())
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
      const next = first + count;
      if (checkpoint) {
        for (const [level, base] of this.tables.takeDirty()) {
          const table = this.tables.tableAt(level as LevelIndex, base);
          if (table) statements.version.run(level, base, next, table);
        }
        statements.checkpoint.run(next, JSON.stringify(toContext(this.builder.finish())));
      }
      statements.setMeta.run('event_count', next);
    });
  }

  /** Record one event. Never throws: a failure is kept in `error` and ends the writing. */
  add(e: WalkEvent): void {
    if (this.error) return;
    this.seen++;
    this.builder.apply(e);
    this.encoder.add(e);
    this.notable.add(e);
    if (this.encoder.count === this.chunkEvents) {
      this.flush(true);
      if (this.onProgress && this.committed % (this.chunkEvents * 64) === 0) this.onProgress(this.committed, this.size());
    }
  }

  private size(): number {
    return (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  private flush(checkpoint: boolean): void {
    if (this.encoder.count === 0) return;
    try {
      this.writeChunk(checkpoint);
      this.committed = this.encoder.firstSeq + this.encoder.count;
      this.encoder.reset(this.committed);
    } catch (error) {
      this.error = error as Error;
    }
  }

  /** Write what is left, stamp the outcome, and close the file. */
  finish(): RecordResult {
    this.flush(false);
    const state = this.builder.finish();
    const end = state.phase === 'oops' ? 'oops' : state.phase === 'livelock' ? 'livelock' : state.phase === 'setup' || state.phase === 'walking' ? 'stopped' : 'returned';
    const ret = state.clientRet ?? state.ret;
    const status: RecordingStatus = this.error ? 'incomplete' : end === 'returned' && ret === 0 ? 'complete' : 'aborted';
    const error = this.error ? describeWriteError(this.error) : end === 'stopped' ? 'the walk was stopped before it returned' : null;
    try {
      this.db.transaction(() => {
        const set = this.statements.setMeta;
        set.run('status', status);
        set.run('end', end);
        set.run('ret', state.ret);
        set.run('client_ret', state.clientRet);
        set.run('event_count', this.committed);
        set.run('finished_at', new Date().toISOString());
        set.run('error', error);
      })();
    } catch {
      // A full disk may refuse even this; readers then see a writer that is gone: incomplete.
    }
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('journal_mode = DELETE');
    } catch {
      // A reader still has the file open (follow mode): it stays in WAL mode, which is fine.
    }
    this.db.close();
    return { file: this.file, status, events: this.seen, committed: this.committed, ret, end, error, state };
  }
}

function describeWriteError(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_FULL') return 'the disk is full (or the size cap was reached)';
  return error.message;
}

/**
 * Record an event stream to `file`: subscribes, writes while the events flow,
 * and stops the stream if the writer fails (a full disk). Resolves once the
 * file is closed, whatever the walk returned.
 */
export function record(events$: Observable<WalkEvent>, file: string, scenario: Scenario, options: RecordOptions): Promise<RecordResult> {
  let writer: RecordingWriter;
  try {
    writer = new RecordingWriter(file, scenario, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    events$.pipe(takeWhile(() => writer.error === null)).subscribe({
      next: (e) => writer.add(e),
      error: (error: unknown) => {
        writer.finish();
        reject(error);
      },
      complete: () => resolve(writer.finish()),
    });
  });
}
