// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback diff A [B] [--run K [--run K]]: where two walks part and how their
 * final page tables differ. A and B are recordings or scenarios (run here,
 * not recorded); --run picks a run of a sweep, the first --run for A, the
 * second for B; with B left out both runs come from A.
 */
import { compareRuns } from '../../replay/compare-runs.js';
import { firstDivergence } from '../../replay/first-divergence.js';
import { sharedPrefix } from '../../replay/run-segments.js';
import { diffJson, formatDiff } from '../../views/diff/format-diff.js';
import { UsageError } from '../errors.js';
import { parseRun } from '../inputs.js';
import { STDIN } from '../../scenario/load-scenario.js';
import { openWalk } from '../walk-input.js';
import type { WalkInput } from '../walk-input.js';
import { writeStdout } from '../output.js';

export interface DiffFlags {
  readonly run?: readonly string[];
  readonly context?: string;
  readonly json?: boolean;
  readonly ui?: boolean;
}

export async function diffCommand(first: string, second: string | undefined, flags: DiffFlags): Promise<void> {
  const runs = (flags.run ?? []).map((r) => parseRun(r)!);
  if (runs.length > 2) throw new UsageError(`--run given ${runs.length} times: give at most two (the first for A, the second for B)`);
  if (second === undefined && runs.length !== 2)
    throw new UsageError(`diff needs two walks: two recordings or scenarios (walkback diff A B), or two runs of one sweep (walkback diff SWEEP.db --run 0 --run 3)`);
  if (first === STDIN && second === STDIN) throw new UsageError('- (standard input) given for both A and B: standard input holds one scenario; give the other as a file');
  const context = flags.context === undefined ? 5 : Number(flags.context);
  if (!Number.isInteger(context) || context < 0 || context > 10_000) throw new UsageError(`--context ${flags.context}: give a number of events from 0 to 10000`);
  if (flags.ui && flags.json) throw new UsageError('--ui and --json: choose one (the terminal UI, or JSON on stdout)');
  const opened: WalkInput[] = [];
  try {
    const a = openWalk(first, runs[0]);
    opened.push(a);
    // Two runs of one file: through one connection, sharing what they read of the runs they share.
    const b = openWalk(second ?? first, runs[1], a.recording);
    opened.push(b);
    const alikeBefore = a.recording && b.recording && a.recording.file === b.recording.file ? sharedPrefix(a.recording.segments, b.recording.segments) : 0;
    if (flags.ui) {
      const { openDiffUi, whyNoTerminal } = await import('../../views/tui/open-ui.js');
      const why = whyNoTerminal();
      if (why) throw new UsageError(`diff --ui is interactive and ${why}; leave out --ui for the text diff (or --json)`);
      // The view needs only where they part: it compares the tables at its cursors itself.
      return await openDiffUi(a, b, firstDivergence(a.replay.log, b.replay.log, alikeBefore));
    }
    const comparison = compareRuns(a, b, { context, alikeBefore });
    writeStdout(
      flags.json
        ? `${JSON.stringify(diffJson(a, b, comparison), null, 2)}\n`
        : `${formatDiff(a, b, comparison, { width: process.stdout.columns || 160 }).join('\n')}\n`,
    );
  } finally {
    // The second may read through the first's connection: close it first.
    for (const o of opened.reverse()) o.close();
  }
}
