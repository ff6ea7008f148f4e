// SPDX-License-Identifier: GPL-2.0-only
/**
 * The report of a sweep, read back from its file alone: the scenario it ran
 * (with its expectations), the fault-free base, one outcome per failure point
 * and the outcomes grouped. `walkback sweep` prints it after recording, and
 * again for a sweep file given instead of a scenario.
 */
import { Recording } from '../replay/open-recording.js';
import { RecordingError } from '../replay/recording-error.js';
import { parseScenario } from '../scenario/load-scenario.js';
import type { Expectations } from '../scenario/scenario.js';
import type { FaultPoint } from '../walker/run.js';
import { groupOutcomes, runOutcome } from './outcomes.js';
import type { OutcomeGroup, RunOutcome } from './outcomes.js';

export interface SweepReport {
  readonly file: string;
  readonly scenario: { readonly name: string; readonly arch: string; readonly kernel: string; readonly api: string; readonly start: string; readonly end: string };
  /** The expectations the scenario states, in words. */
  readonly expectations: readonly string[];
  /** The failure points the fault-free run found (null in a file cut short before it knew). */
  readonly points: number | null;
  /** Whether the sweep was cut short: fewer runs than points, or a run left incomplete. */
  readonly interrupted: boolean;
  /** The fault-free run. */
  readonly base: RunOutcome;
  /** One per failure point, in the order the walk meets them. */
  readonly runs: readonly RunOutcome[];
  readonly groups: readonly OutcomeGroup[];
}

/** 'alloc 3' or 'pte_map 2' (a branch's label) as the point it fails; null for anything else. */
export function parsePointLabel(label: string, seq: number): FaultPoint | null {
  const m = /^(alloc|pte_map) (\d+)$/.exec(label);
  return m ? { kind: m[1] as FaultPoint['kind'], nth: Number(m[2]), seq } : null;
}

export function expectationWords(expect: Expectations | undefined): string[] {
  if (!expect) return [];
  const out: string[] = [];
  if (expect.ret) out.push(`return value ${expect.ret.join(' or ')}`);
  if (expect.noEmptyTables?.length) out.push(`no empty ${expect.noEmptyTables.join('/')} table left behind`);
  if (expect.noGuardOutsideRange) out.push('no guard marker outside the range');
  return out;
}

/** How far a sweep file got, or null for a recording that is not a sweep. */
export interface SweepProgress {
  /** Branches recorded (one per failure point tried). */
  readonly recorded: number;
  /** The failure points the fault-free run found (null until it finished). */
  readonly points: number | null;
  /** Whether its writer stopped before every point had its finished run. */
  readonly interrupted: boolean;
  /** Whether its writer is still at it. */
  readonly writing: boolean;
}

export function sweepProgress(recording: Recording): SweepProgress | null {
  if (recording.metaValue('sweep') === null) return null;
  const rows = recording.runs();
  const found = recording.metaValue('sweep_points');
  const points = typeof found === 'number' || typeof found === 'bigint' ? Number(found) : null;
  const branches = rows.filter((r) => r.parent !== null);
  const writing = recording.writerActive();
  const unfinished = points === null || branches.length < points || rows.some((r) => r.status === 'recording');
  return { recorded: branches.length, points, interrupted: unfinished && !writing, writing };
}

/** The report of a sweep file (or of one already open: it stays open). */
export function sweepReport(source: string | Recording): SweepReport {
  const recording = typeof source === 'string' ? Recording.open(source) : source;
  const file = recording.file;
  try {
    const rows = recording.runs();
    const meta = recording.meta();
    const progress = sweepProgress(recording);
    if (!progress) throw new RecordingError(file, 'is not a sweep (walkback sweep SCENARIO makes one)');
    const base = rows.find((r) => r.parent === null);
    if (!base) throw new RecordingError(file, 'has no base run');
    let scenario;
    try {
      scenario = parseScenario(meta.scenarioSource ?? '', meta.scenarioFile ?? file);
    } catch (error) {
      throw new RecordingError(file, `holds a scenario this walkback cannot read back (${(error as Error).message})`);
    }
    // Each branch through the base's connection: what they share is read once.
    const outcomeOf = (id: number, label: string, point: FaultPoint | null) => {
      const run = id === recording.run ? recording : recording.openRun(id);
      try {
        return runOutcome(run, label, point, scenario.expect);
      } finally {
        if (run !== recording) run.close();
      }
    };
    const runs = rows.filter((r) => r.parent !== null).map((r) => outcomeOf(r.id, r.label, parsePointLabel(r.label, r.forkSeq)));
    return {
      file,
      points: progress.points,
      interrupted: progress.interrupted || runs.some((r) => r.outcome === 'incomplete'),
      scenario: {
        name: scenario.name,
        arch: scenario.arch,
        kernel: scenario.kernel,
        api: scenario.walk.api,
        start: `0x${scenario.walk.start.toString(16)}`,
        end: `0x${scenario.walk.end.toString(16)}`,
      },
      expectations: expectationWords(scenario.expect),
      base: outcomeOf(base.id, base.label, null),
      runs,
      groups: groupOutcomes(runs),
    };
  } finally {
    if (recording !== source) recording.close();
  }
}
