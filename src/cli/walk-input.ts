// SPDX-License-Identifier: GPL-2.0-only
/**
 * A walk as the commands that take either kind of file see it: a recording
 * (one of its runs, with --run), or a scenario run here in memory. For
 * diff; trace and export stream a scenario's events instead.
 */
import type { WalkEvent } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import type { RunSide } from '../replay/compare-runs.js';
import { MemoryLog, RecordingLog } from '../replay/event-log.js';
import type { Recording } from '../replay/open-recording.js';
import { Replay } from '../replay/replay.js';
import { loadScenario } from '../scenario/load-scenario.js';
import { runScenario } from '../walker/run.js';
import { isRecordingInput, openRecording, runOfScenario, runOption } from './inputs.js';

export interface WalkInput extends RunSide {
  readonly geometry: Geometry;
  /** The recording it was read from (null for a scenario). */
  readonly recording: Recording | null;
  /** Close the recording if this opened it. */
  close(): void;
}

/**
 * Open `file` (run `run` of a recording). `via`: a recording of the same file
 * already open, whose connection (and what it has read of the runs they
 * share) the run is read through.
 */
export function openWalk(file: string, run: number | undefined, via?: Recording | null): WalkInput {
  if (isRecordingInput(file)) {
    const shared = via && via.file === file;
    const recording = shared ? via.openRun(run ?? 0) : openRecording(file, runOption(run));
    const meta = recording.meta();
    const label = run === undefined && recording.runs().length === 1 ? file : `${file} run ${recording.run} (${recording.ownRun()?.label ?? '?'})`;
    return {
      label,
      name: meta.scenarioName,
      arch: meta.arch,
      kernel: meta.kernel,
      geometry: recording.geometry,
      replay: new Replay(new RecordingLog(recording)),
      recording,
      close: () => recording.close(),
    };
  }
  if (run !== undefined) throw runOfScenario(file);
  const scenario = loadScenario(file);
  const events: WalkEvent[] = [];
  runScenario(scenario, (e) => events.push(e));
  return {
    label: file,
    name: scenario.name,
    arch: scenario.arch,
    kernel: scenario.kernel,
    geometry: scenario.geometry,
    replay: new Replay(new MemoryLog(scenario.geometry, events)),
    recording: null,
    close: () => {},
  };
}
