// SPDX-License-Identifier: GPL-2.0-only
/**
 * Two runs compared: where their events first part, the events on either
 * side around that point, and how their final page tables differ.
 */
import type { WalkEvent } from '../events/walk-event.js';
import { abortSummary } from './abort-summary.js';
import type { AbortSummary } from './abort-summary.js';
import { firstDivergence } from './first-divergence.js';
import type { Replay } from './replay.js';
import { diffStates } from './state-diff.js';
import type { StateDiff } from './state-diff.js';

export interface RunSide {
  /** How the user named it: a file, with its run. */
  readonly label: string;
  readonly name: string;
  readonly arch: string;
  readonly kernel: string;
  readonly replay: Replay;
}

export interface ContextRow {
  readonly seq: number;
  readonly a: WalkEvent | null;
  readonly b: WalkEvent | null;
}

export interface RunComparison {
  /** The first event number where the runs differ, or null when they are alike. */
  readonly divergence: number | null;
  /** Events around the divergence (or the last ones, when there is none), side by side. */
  readonly context: readonly ContextRow[];
  readonly summaries: readonly [AbortSummary | null, AbortSummary | null];
  /** The final page tables, B against A; null when the runs' architectures differ. */
  readonly tables: StateDiff | null;
}

export interface CompareOptions {
  /** Events to show before and after the divergence. */
  readonly context?: number;
  /** Events before this are known to be alike (runs of one sweep share a stored prefix). */
  readonly alikeBefore?: number;
}

export function compareRuns(a: RunSide, b: RunSide, options: CompareOptions = {}): RunComparison {
  const around = options.context ?? 5;
  const divergence = firstDivergence(a.replay.log, b.replay.log, options.alikeBefore ?? 0);
  const longest = Math.max(a.replay.length, b.replay.length);
  const centre = divergence ?? longest - 1;
  const from = Math.max(0, centre - around);
  const to = Math.min(longest, centre + (divergence === null ? 1 : around + 1));
  const context: ContextRow[] = [];
  for (let seq = from; seq < to; seq++)
    context.push({ seq, a: seq < a.replay.length ? a.replay.event(seq) : null, b: seq < b.replay.length ? b.replay.event(seq) : null });
  const last = (r: Replay) => r.stateAt(r.length - 1);
  const tables = a.arch === b.arch ? diffStates(last(a.replay), last(b.replay)) : null;
  const summary = (r: Replay) => (r.length ? abortSummary(r) : null);
  return { divergence, context, summaries: [summary(a.replay), summary(b.replay)], tables };
}
