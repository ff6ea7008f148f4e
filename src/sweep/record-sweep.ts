// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every failure point of a walk, recorded into one file. The scenario runs
 * once without faults (its own `faults` are dropped) and tells where it could
 * fail: every table allocation, across every walk of its client (guard
 * install's retries included), and with `pteMap` every pte_offset_map_lock().
 * Then it runs once with each point failing. A failing run is the fault-free
 * run up to its failure point, so it is stored as a branch of that base run:
 * its fork point, the state there, and its own events from there on. A failed
 * allocation's own events are the walker's way out (walker/alloc-failure.ts),
 * so a sweep costs the walk once plus a little per point; `exact` runs each
 * branch's walk in full instead (points x events), as pte_map points always do.
 */
import { forkCheckpoint } from '../recorder/checkpointer.js';
import { RecordingWriter } from '../recorder/record.js';
import type { RecordResult } from '../recorder/record.js';
import { RecordingLog } from '../replay/event-log.js';
import { Recording } from '../replay/open-recording.js';
import { foldEvents } from '../replay/walk-state.js';
import type { WalkState } from '../replay/walk-state.js';
import type { Fault, Scenario } from '../scenario/scenario.js';
import { allocFailureTail } from '../walker/alloc-failure.js';
import type { WalkEvent } from '../events/walk-event.js';
import { WalkStop } from '../walker/mm-walk.js';
import { runScenario } from '../walker/run.js';
import type { FaultPoint } from '../walker/run.js';

export interface SweepOptions {
  readonly walkbackVersion: string;
  /** Also fail each pte_offset_map_lock() call in turn (each such run replays the rest of the walk). */
  readonly pteMap?: boolean;
  /** Events per chunk and checkpoint (tests use small ones). */
  readonly chunkEvents?: number;
  /**
   * Run every branch's walk in full, from the start. By default a failed
   * allocation's branch is its fork state plus the few events the walker
   * makes on its way out (walker/alloc-failure.ts), which keeps a sweep
   * linear in the walk's length; pte_map points always run in full.
   */
  readonly exact?: boolean;
  /** Called after each run with how many are done, of how many. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stop with an error once the file would pass this many bytes (the runs recorded so far are kept). */
  readonly maxBytes?: number;
  /** Asked after each chunk and each run whether to stop (an interrupted command); a reason ends the sweep there, what was recorded kept. */
  readonly stop?: () => string | null;
}

export interface SweepRun {
  /** The run's id in the file (0 is the fault-free base). */
  readonly run: number;
  /** The point that fails in it (null for the base). */
  readonly point: FaultPoint | null;
  readonly label: string;
  readonly result: RecordResult;
}

export interface SweepRecording {
  readonly file: string;
  readonly scenario: Scenario;
  /** The base run first, then one run per failure point, in the order the walk meets them. */
  readonly runs: readonly SweepRun[];
  /** Why the sweep stopped before its last point (options.stop), or null. */
  readonly interrupted: string | null;
}

/** The fault that makes `point` fail. */
export function faultAt(point: FaultPoint): Fault {
  return point.kind === 'alloc' ? { kind: 'alloc', nth: point.nth, level: null } : { kind: 'pte_map', nth: point.nth };
}

export function pointLabel(point: FaultPoint): string {
  return `${point.kind === 'alloc' ? 'alloc' : 'pte_map'} ${point.nth}`;
}

export async function recordSweep(scenario: Scenario, file: string, options: SweepOptions): Promise<SweepRecording> {
  const base: Scenario = { ...scenario, faults: [] };
  const points: FaultPoint[] = [];
  const writerOptions = {
    walkbackVersion: options.walkbackVersion,
    ...(options.chunkEvents ? { chunkEvents: options.chunkEvents } : {}),
    ...(options.stop ? { stop: options.stop } : {}),
  };
  const baseOptions = { ...writerOptions, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) };
  const writer = new RecordingWriter(file, base, { ...baseOptions, keepOpen: true, meta: { sweep: options.pteMap ? 'alloc pte_map' : 'alloc' } });
  const baseResult = await record(writer, () =>
    runScenario(base, (e) => feed(writer, e), {
      faultPoints: (p) => {
        if (p.kind === 'alloc' || options.pteMap) points.push(p);
      },
    }),
  );
  const runs: SweepRun[] = [{ run: 0, point: null, label: 'base', result: baseResult }];
  const store = writer.store;
  // How many runs should follow: a sweep cut short (Ctrl-C, a full disk) can say how far it got.
  if (!store.error && !writer.interrupted) store.setMeta('sweep_points', points.length);
  if (baseResult.status === 'incomplete') {
    store.close();
    return { file, scenario, runs, interrupted: writer.interrupted };
  }
  // The base as a reader sees it: the state at each fork point is folded from its checkpoints.
  const reader = Recording.open(file);
  const log = new RecordingLog(reader);
  // The last fork's state, to fold on from when the next fork has the same checkpoint (points are in walk order).
  let last: { checkpoint: number; seq: number; state: WalkState } | null = null;
  let interrupted: string | null = null;
  try {
    for (const point of points) {
      interrupted = options.stop?.() ?? null;
      if (interrupted) break;
      // From the base's last checkpoint strictly before the fork: the branch's first checkpoint holds the
      // tables changed since then, and the rest is read from the base.
      const at = reader.checkpointSeqAtOrBefore(point.seq - 1);
      let state: WalkState;
      if (last && last.checkpoint === at && last.seq <= point.seq) state = foldEvents(last.state, log.events(last.seq, point.seq));
      else {
        const checkpoint = log.checkpoint(point.seq - 1);
        state = foldEvents(checkpoint.state, log.events(checkpoint.seq, point.seq));
      }
      last = { checkpoint: at, seq: point.seq, state };
      const label = pointLabel(point);
      const run = store.addRun(0, point.seq, label, forkCheckpoint(state, point.seq));
      const faulty: Scenario = { ...base, faults: [faultAt(point)] };
      const branch = new RecordingWriter(file, faulty, writerOptions, { store, run, seq: point.seq, state });
      const attempted = log.event(point.seq);
      const result = await record(branch, () => {
        if (point.kind === 'alloc' && attempted.type === 'alloc' && !options.exact) {
          for (const e of allocFailureTail(faulty, attempted)) branch.add(e);
          return;
        }
        // The events before the fork are the base's: only the branch's own are written.
        runScenario(faulty, (e) => {
          if (e.seq >= point.seq) feed(branch, e);
        });
      });
      runs.push({ run, point, label, result });
      interrupted ??= branch.interrupted;
      options.onProgress?.(runs.length - 1, points.length);
      if (store.error) break;
    }
  } finally {
    reader.close();
    store.close();
  }
  return { file, scenario, runs, interrupted };
}

/** Hand an event to a writer; once it has stopped (a full disk, an interruption), stop the walk too. */
function feed(writer: RecordingWriter, e: WalkEvent): void {
  if (writer.stopped) throw new WalkStop('unsubscribed');
  writer.add(e);
}

/** Run a walk into a writer (synchronously), then finish the writer. */
function record(writer: RecordingWriter, run: () => void): Promise<RecordResult> {
  run();
  return writer.finish();
}
