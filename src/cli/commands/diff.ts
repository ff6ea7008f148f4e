// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback diff A [B] [--run K [--run K]]: where two walks part and how their
 * final page tables differ. A and B are recordings or scenarios (run here,
 * not recorded); --run picks a run of a sweep, the first --run for A, the
 * second for B; with B left out both runs come from A.
 */
import { RecordingLog, MemoryLog } from '../../replay/event-log.js';
import { compareRuns } from '../../replay/compare-runs.js';
import type { RunSide } from '../../replay/compare-runs.js';
import type { Recording } from '../../replay/open-recording.js';
import { Replay } from '../../replay/replay.js';
import { sharedPrefix } from '../../replay/run-segments.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import type { WalkEvent } from '../../events/walk-event.js';
import { diffJson, formatDiff } from '../../views/diff/format-diff.js';
import { runScenario } from '../../walker/run.js';
import { UsageError } from '../errors.js';
import { isRecordingInput, openRecording, parseRun, runOption } from '../inputs.js';

export interface DiffFlags {
  readonly run?: readonly string[];
  readonly context?: string;
  readonly json?: boolean;
  readonly ui?: boolean;
}

interface Opened {
  readonly side: RunSide;
  readonly recording: Recording | null;
}

function open(file: string, run: number | undefined): Opened {
  if (isRecordingInput(file)) {
    const recording = openRecording(file, runOption(run));
    const meta = recording.meta();
    const label = recording.runs().find((r) => r.id === recording.run);
    const runText = run === undefined && recording.runs().length === 1 ? '' : ` run ${recording.run}${label && label.label ? ` (${label.label})` : ''}`;
    return {
      recording,
      side: { label: `${file}${runText}`, name: meta.scenarioName, arch: meta.arch, kernel: meta.kernel, replay: new Replay(new RecordingLog(recording)) },
    };
  }
  const scenario = loadScenario(file);
  if (run !== undefined) throw new UsageError(`--run ${run} applies to a recording; ${file} is a scenario`);
  const events: WalkEvent[] = [];
  runScenario(scenario, (e) => events.push(e));
  return {
    recording: null,
    side: { label: file, name: scenario.name, arch: scenario.arch, kernel: scenario.kernel, replay: new Replay(new MemoryLog(scenario.geometry, events)) },
  };
}

export async function diffCommand(first: string, second: string | undefined, flags: DiffFlags): Promise<void> {
  const runs = (flags.run ?? []).map((r) => parseRun(r)!);
  if (runs.length > 2) throw new UsageError(`--run given ${runs.length} times: give at most two (the first for A, the second for B)`);
  if (second === undefined && runs.length !== 2)
    throw new UsageError(`diff needs two walks: two recordings or scenarios (walkback diff A B), or two runs of one sweep (walkback diff SWEEP.db --run 0 --run 3)`);
  const context = flags.context === undefined ? 5 : Number(flags.context);
  if (!Number.isInteger(context) || context < 0 || context > 10_000) throw new UsageError(`--context ${flags.context}: give a number of events from 0 to 10000`);
  if (flags.ui && flags.json) throw new UsageError('--ui and --json: choose one (the terminal UI, or JSON on stdout)');
  const opened: Opened[] = [];
  try {
    opened.push(open(first, runs[0]));
    opened.push(open(second ?? first, runs[1]));
    const [a, b] = opened as [Opened, Opened];
    const alikeBefore = a.recording && b.recording && a.recording.file === b.recording.file ? sharedPrefix(a.recording.segments, b.recording.segments) : 0;
    const comparison = compareRuns(a.side, b.side, { context, alikeBefore });
    if (flags.ui) {
      const { openDiffUi, whyNoTerminal } = await import('../../views/tui/open-ui.js');
      const why = whyNoTerminal();
      if (why) throw new UsageError(`diff --ui is interactive and ${why}; leave out --ui for the text diff (or --json)`);
      return await openDiffUi(a.side, b.side, comparison.divergence);
    }
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(diffJson(a.side, b.side, comparison), null, 2)}\n`
        : `${formatDiff(a.side, b.side, comparison, { width: process.stdout.columns || 160 }).join('\n')}\n`,
    );
  } finally {
    for (const o of opened) o.recording?.close();
  }
}
