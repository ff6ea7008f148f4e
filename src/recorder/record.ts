// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recorder: writes a run's events to a SQLite recording while they flow.
 *
 * Events are encoded into chunks of CHUNK_EVENTS, each with its notable events
 * and a checkpoint of the state after it (the reducer folds the stream as it
 * goes, so the recorder's state is rebuilt exactly as a replay rebuilds it);
 * every COMMIT_CHUNKS chunks are written in one transaction. A writer that
 * dies leaves every committed chunk readable; the file then says `incomplete`.
 *
 * Everything runs on the walk's thread. A worker thread for the writer was
 * measured and lost: it must decode and fold what this thread encoded, and its
 * JIT starts cold (npm run bench notes the figures).
 */
import { hostname } from 'node:os';
import { Subscriber } from 'rxjs';
import type { Observable } from 'rxjs';
import { CHUNK_EVENTS, ChunkEncoder } from '../events/codec.js';
import { NotableIndexer } from '../events/notable.js';
import type { WalkEvent } from '../events/walk-event.js';
import { toContext } from '../replay/state-context.js';
import { initialState } from '../replay/walk-state.js';
import { Checkpointer } from './checkpointer.js';
import type { Scenario } from '../scenario/scenario.js';
import { SCHEMA_VERSION } from './schema.js';
import type { Batch, StoreOptions } from './store.js';
import { emptyBatch, RecordingStore } from './store.js';
import type { WalkState } from '../replay/walk-state.js';

export interface RecordOptions {
  /** The walkback version stamped into the file. */
  readonly walkbackVersion: string;
  /** Stop with an error once the file would pass this many bytes (a size cap; also how tests fill a disk). */
  readonly maxBytes?: number;
  /** Called now and then with the events written so far (for a progress line). */
  readonly onProgress?: (events: number, bytes: number) => void;
  /** Events per chunk and checkpoint interval (default CHUNK_EVENTS; tests use small ones). */
  readonly chunkEvents?: number;
  /** Leave the file open after the base run: branches follow (a sweep), then store.close(). */
  readonly keepOpen?: boolean;
  /** More metadata to write at creation (a sweep says it is one). */
  readonly meta?: Record<string, string | number>;
  /**
   * Asked after each chunk whether to stop (an interrupted command): a reason
   * ends the recording there, every event so far written, the file finished
   * as incomplete with the reason as its error.
   */
  readonly stop?: () => string | null;
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
}

/** Chunks written per transaction: a writer killed mid-run loses at most this many chunks. */
const COMMIT_CHUNKS = 8;

/** Where a branch of a recording starts: an existing store, its new run, and the state before its first event. */
export interface BranchStart {
  readonly store: RecordingStore;
  readonly run: number;
  /** The seq of the branch's first event (its fork point). */
  readonly seq: number;
  /** The state before that event. */
  readonly state: WalkState;
}

/**
 * Writes one recording (its base run), or one branch of it. Create, add()
 * every event, then finish(). A branch is given only its own events, from its
 * fork point on.
 */
export class RecordingWriter {
  readonly file: string;
  readonly store: RecordingStore;
  readonly run: number;
  private readonly encoder: ChunkEncoder;
  private readonly fold: Checkpointer;
  private readonly notable = new NotableIndexer();
  private batch: Batch = emptyBatch();
  private readonly chunkEvents: number;
  private readonly onProgress: ((events: number, bytes: number) => void) | undefined;
  private readonly keepOpen: boolean;
  /** Events seen. */
  private seen = 0;
  /** Events committed to the file (a branch counts the events before its fork as its own). */
  private written = 0;
  /** Set once the sink has failed: nothing more is sealed. */
  failed = false;
  /** Why the recording was stopped before its walk ended (options.stop), or null. */
  interrupted: string | null = null;
  private readonly stop: (() => string | null) | undefined;

  constructor(file: string, scenario: Scenario, options: RecordOptions, branch?: BranchStart) {
    this.file = file;
    this.chunkEvents = options.chunkEvents ?? CHUNK_EVENTS;
    this.onProgress = options.onProgress;
    this.keepOpen = options.keepOpen ?? false;
    this.stop = options.stop;
    const pageSize = scenario.geometry.pageSize;
    if (branch) {
      this.store = branch.store;
      this.run = branch.run;
      this.fold = new Checkpointer(scenario.geometry, branch.state);
      this.encoder = new ChunkEncoder(pageSize);
      this.encoder.reset(branch.seq);
      this.written = branch.seq;
      // Its events are counted from 0: the shared ones before the fork are its too.
      this.seen = branch.seq;
      return;
    }
    this.run = 0;
    const storeOptions: StoreOptions = {
      file,
      meta: {
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
        page_size: pageSize,
        chunk_events: this.chunkEvents,
        status: 'recording',
        event_count: 0,
        writer_pid: process.pid,
        writer_host: hostname(),
        ...options.meta,
      },
      initialContext: JSON.stringify(toContext(initialState(scenario.geometry))),
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    };
    this.store = new RecordingStore(storeOptions);
    this.fold = new Checkpointer(scenario.geometry);
    this.encoder = new ChunkEncoder(pageSize);
    this.encoder.reset(0);
  }

  /** Whether to feed it no more events: the sink failed, or it was told to stop. */
  get stopped(): boolean {
    return this.failed || this.interrupted !== null;
  }

  /** Record one event. Never throws: a failure of the writer ends the writing (see `failed`), and so does a stop (see `interrupted`). */
  add(e: WalkEvent): void {
    if (this.stopped) return;
    this.seen++;
    this.fold.apply(e);
    this.encoder.add(e);
    this.notable.add(e);
    if (this.encoder.count === this.chunkEvents) {
      this.seal(true);
      if (this.stop) this.interrupted = this.stop();
    }
  }

  /** Close the current chunk: its bytes, its notable rows and the checkpoint after it join the batch. */
  private seal(checkpoint: boolean): void {
    const first = this.encoder.firstSeq;
    const count = this.encoder.count;
    if (count === 0) return;
    const b = this.batch;
    const next = first + count;
    if (checkpoint) this.fold.checkpoint(next, b);
    b.chunks.push({ first, count, data: this.encoder.finish() });
    for (const row of this.notable.take()) b.notable.push(row);
    b.end = next;
    this.encoder.reset(next);
    if (b.chunks.length >= COMMIT_CHUNKS) this.send();
  }

  private send(): void {
    if (this.batch.chunks.length === 0) return;
    const events = this.batch.end;
    this.store.write(this.batch, this.run);
    this.batch = emptyBatch();
    if (this.store.error) this.failed = true;
    else this.written = events;
    if (this.onProgress && (events / this.chunkEvents) % (COMMIT_CHUNKS * 8) === 0) this.onProgress(events, this.store.size());
  }

  private finished: Promise<RecordResult> | null = null;

  /** Write what is left, stamp the outcome, and close the file (once; later calls return the same result). */
  finish(): Promise<RecordResult> {
    this.finished ??= this.close();
    return this.finished;
  }

  private async close(): Promise<RecordResult> {
    if (!this.failed) {
      this.seal(false);
      this.send();
    }
    const walked = this.fold.outcome();
    const outcome = this.store.finishRun(this.run, this.interrupted ? { ...walked, status: 'incomplete', error: this.interrupted } : walked, this.written);
    if (this.run === 0 && !this.keepOpen) this.store.close();
    const committed = this.written;
    return {
      file: this.file,
      status: outcome.status,
      events: this.seen,
      committed,
      ret: outcome.clientRet ?? outcome.ret,
      end: outcome.end,
      error: outcome.error,
    };
  }
}

/**
 * Record an event stream to `file`: subscribes, writes while the events flow,
 * and stops the stream if the writer fails (a full disk). Resolves once the
 * file is closed, whatever the walk returned.
 */
export function record(
  events$: Observable<WalkEvent>,
  file: string,
  scenario: Scenario,
  options: RecordOptions,
): Promise<RecordResult> {
  let writer: RecordingWriter;
  try {
    writer = new RecordingWriter(file, scenario, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    // A Subscriber we hold, so that a failing writer can unsubscribe: the walk then stops at its next event.
    const subscriber: Subscriber<WalkEvent> = new Subscriber<WalkEvent>({
      next: (e) => {
        writer.add(e);
        if (writer.stopped) subscriber.unsubscribe();
      },
      error: (error: unknown) => {
        writer.finish().then(() => reject(error), () => reject(error));
      },
      complete: () => writer.finish().then(resolve, reject),
    });
    events$.subscribe(subscriber);
    // An unsubscribed walk never completes: finish here.
    if (writer.stopped) writer.finish().then(resolve, reject);
  });
}
