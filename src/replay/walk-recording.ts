// SPDX-License-Identifier: GPL-2.0-only
/**
 * A recording opened for a program: its events, the state at any event
 * (rebuilt by the same reducer as everywhere), the abort summary, its trace
 * and, for a sweep, its other runs. What the library's openRecording() gives.
 */
import type { WalkEvent } from '../events/walk-event.js';
import type { RecordingMeta } from '../recorder/schema.js';
import { formatTraceLine } from '../events/trace-line.js';
import { abortSummary } from './abort-summary.js';
import type { AbortSummary } from './abort-summary.js';
import { RecordingLog } from './event-log.js';
import { recordedFaults } from './recorded-faults.js';
import { Recording } from './open-recording.js';
import type { ReadStatus } from './open-recording.js';
import { Replay } from './replay.js';
import type { RunRow } from './run-segments.js';
import type { StateDiff } from './state-diff.js';
import type { WalkState } from './walk-state.js';

export class WalkRecording {
  readonly replay: Replay;

  private constructor(readonly recording: Recording) {
    this.replay = new Replay(new RecordingLog(recording));
  }

  /** Open a recording (or run `run` of a sweep) read-only. Throws RecordingError, with a message for people, if it cannot. */
  static open(file: string, options: { run?: number } = {}): WalkRecording {
    return new WalkRecording(Recording.open(file, options));
  }

  get file(): string {
    return this.recording.file;
  }
  /** The run replayed (0 unless a sweep's branch was asked for). */
  get run(): number {
    return this.recording.run;
  }
  get length(): number {
    return this.replay.length;
  }
  /** The scenario, architecture, kernel and walk it recorded. */
  meta(): RecordingMeta {
    return this.recording.meta();
  }
  /** complete, aborted, recording (a writer is at work) or incomplete (the writer died). */
  status(): ReadStatus {
    return this.recording.status();
  }
  event(seq: number): WalkEvent {
    return this.replay.event(seq);
  }
  /** Events [from, to), in order, read a chunk at a time. */
  events(from = 0, to = this.length): Iterable<WalkEvent> {
    return this.recording.events(from, to);
  }
  /** The state after event `seq` (-1: before the first): page tables, where the walker is, its return value. */
  stateAt(seq: number): WalkState {
    return this.replay.stateAt(seq);
  }
  /** What the walk did and left behind, as of event `at` (default: the end). */
  summary(at = this.length - 1): AbortSummary {
    return abortSummary(this.replay, at, { faults: recordedFaults(this.recording) });
  }
  /** The page tables at event `b` against event `a`. */
  diff(a: number, b: number): StateDiff {
    return this.replay.diff(a, b);
  }
  /** The kernel-style callback trace, a line at a time. */
  *trace(): Generator<string> {
    for (const e of this.events()) {
      const line = formatTraceLine(e);
      if (line !== null) yield line;
    }
  }
  /** The runs the file holds: one, or a sweep's fault-free base and one per failure point. */
  runs(): RunRow[] {
    return this.recording.runs();
  }
  /** Re-read a recording that is still being written; true if it grew. */
  refresh(): boolean {
    const before = this.length;
    this.recording.refresh();
    return this.length !== before;
  }
  close(): void {
    this.recording.close();
  }
}
