// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback as a library: the functions the command line is built on.
 *
 *   import { loadScenario, walk, record, openRecording } from 'walkback';
 *
 *   const scenario = loadScenario('examples/demo.yaml');
 *   walk(scenario).subscribe((e) => console.log(e.seq, e.type));   // every step, as it happens
 *   const result = await record(scenario, 'demo.db');               // the same stream, into SQLite
 *   const rec = openRecording(result.file);
 *   rec.stateAt(14).tables;                                          // the page tables after event 14
 *   rec.summary().allocated;                                         // what the walk left behind
 *   rec.close();
 */
import { existsSync } from 'node:fs';
import type { Observable } from 'rxjs';
import type { WalkEvent } from './events/walk-event.js';
import { packageVersion } from './recorder/package-root.js';
import { record as recordStream } from './recorder/record.js';
import type { RecordResult } from './recorder/record.js';
import { RecordingError } from './replay/recording-error.js';
import { WalkRecording } from './replay/walk-recording.js';
import type { Scenario } from './scenario/scenario.js';
import { walk$ } from './walker/walk-stream.js';

export { loadScenario, parseScenario } from './scenario/load-scenario.js';
export { ScenarioError } from './scenario/errors.js';
export { RecordingError } from './replay/recording-error.js';
export { WalkRecording } from './replay/walk-recording.js';
export { foldEvents, initialState } from './replay/walk-state.js';
export { compareRuns } from './replay/compare-runs.js';
export { recordSweep } from './sweep/record-sweep.js';
export { sweepReport } from './sweep/sweep-report.js';
export { formatTraceLine } from './events/trace-line.js';
export { perfettoEvents, perfettoJson } from './views/export/perfetto.js';
export { runScenario } from './walker/run.js';

export type { Addr, EntryKind, KernelVersion, LevelName, WalkApi, WalkEvent, WalkEventType } from './events/walk-event.js';
export type { Expectations, Fault, Scenario } from './scenario/scenario.js';
export type { ArchName, Geometry } from './mm/geometry.js';
export type { RecordResult, RecordingStatus } from './recorder/record.js';
export type { RecordingMeta } from './recorder/schema.js';
export type { ReadStatus } from './replay/open-recording.js';
export type { RunRow } from './replay/run-segments.js';
export type { WalkState } from './replay/walk-state.js';
export type { AbortSummary, Destroyed, DestroyedHuge, Split } from './replay/abort-summary.js';
export type { StateDiff, EntryRun } from './replay/state-diff.js';
export type { RunComparison, RunSide } from './replay/compare-runs.js';
export type { SweepRecording, SweepRun, SweepOptions } from './sweep/record-sweep.js';
export type { SweepReport } from './sweep/sweep-report.js';
export type { OutcomeGroup, RunOutcome } from './sweep/outcomes.js';
export type { FaultPoint, RunOptions } from './walker/run.js';

/** The walk of a scenario as a cold event stream: each subscription runs the walk anew, synchronously. */
export function walk(scenario: Scenario): Observable<WalkEvent> {
  return walk$(scenario);
}

export interface RecordToOptions {
  /** Stop with an error once the file would pass this many bytes; what was written is kept (status incomplete). */
  readonly maxBytes?: number;
  /** Called now and then with the events written so far. */
  readonly onProgress?: (events: number, bytes: number) => void;
}

/**
 * Run a scenario and record it to `file` (a new SQLite file) as the events
 * flow. Resolves when the file is closed, whatever the walk returned; a
 * result with status 'incomplete' says why the file stopped short.
 */
export function record(scenario: Scenario, file: string, options: RecordToOptions = {}): Promise<RecordResult> {
  // A recording is never overwritten: the caller removes it first if that is what they want.
  if (existsSync(file)) return Promise.reject(new RecordingError(file, 'exists; remove it first or record to another file (a recording is never overwritten)'));
  return recordStream(walk$(scenario), file, scenario, { walkbackVersion: packageVersion(), ...options });
}

/** Open a recording, or run `run` of a sweep, for reading. */
export function openRecording(file: string, options: { run?: number } = {}): WalkRecording {
  return WalkRecording.open(file, options);
}
