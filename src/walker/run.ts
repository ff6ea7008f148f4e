// SPDX-License-Identifier: GPL-2.0-only
/**
 * One run of a scenario: set up the mm (VMAs and page tables, as events),
 * then the walk as its client makes it. The plain client calls the entry
 * point once; guard-install is madvise_guard_install()'s retry loop.
 */
import type { WalkEvent } from '../events/walk-event.js';
import { PageTables } from '../mm/page-tables.js';
import { applyStateItem } from '../mm/state-items.js';
import { vmaContaining } from '../mm/vmas.js';
import type { Scenario } from '../scenario/scenario.js';
import { buildOps } from './callbacks.js';
import { FaultPlan } from './faults.js';
import { MmWalk, WalkStop } from './mm-walk.js';
import { walkApi } from './pagewalk.js';
import { zapRange } from './zap.js';

/** mm/internal.h: MAX_MADVISE_GUARD_RETRIES. */
export const MAX_MADVISE_GUARD_RETRIES = 3;
/** -ERESTARTNOINTR: madvise_guard_install() gives up and has the syscall restarted. */
export const ERESTARTNOINTR = -513;

/** What a run leaves behind, for callers that drive the walker directly. */
export interface RunResult {
  /** The mm after the run. */
  readonly mm: PageTables;
  /** How the run ended. */
  readonly end: 'returned' | 'oops' | 'livelock' | 'unsubscribed';
  readonly events: number;
}

/**
 * Run a scenario synchronously, handing every event to `sink` in order.
 * `sink` may throw WalkStop('unsubscribed') to stop the run.
 */
/** A point where a fault can be injected, and the seq of the event it makes (or would make, failing). */
export interface FaultPoint {
  readonly kind: 'alloc' | 'pte_map';
  /** Its number among points of its kind, from 1 (a fault's `alloc: N` or `pte_map: N`). */
  readonly nth: number;
  readonly seq: number;
}

export interface RunOptions {
  /** Called after every event with the live page tables (for checks; do not write them). */
  readonly inspect?: (event: WalkEvent, mm: PageTables) => void;
  /** Called at every point where a fault could be injected. */
  readonly faultPoints?: (point: FaultPoint) => void;
}

export function runScenario(scenario: Scenario, sink: (event: WalkEvent) => void, options: RunOptions = {}): RunResult {
  const g = scenario.geometry;
  const mm = PageTables.empty(g);
  const inspect = options.inspect;
  const out = inspect
    ? (event: WalkEvent) => {
        sink(event);
        inspect(event, mm);
      }
    : sink;
  const points = options.faultPoints;
  // The point's event comes next: its seq is the walker's count of events so far.
  const plan = new FaultPlan(scenario.faults, points ? (kind, nth) => points({ kind, nth, seq: w.seq }) : undefined);
  const w: MmWalk = new MmWalk(g, scenario.kernel, mm, scenario.vmas, plan, out);
  w.ops = buildOps(scenario.walk.ops);
  try {
    for (const vma of scenario.vmas) w.emit({ type: 'vma', start: vma.start, end: vma.end, flags: vma.flags, hugetlb: vma.hugetlb });
    for (const item of scenario.state) {
      applyStateItem(mm, item, vmaContaining(scenario.vmas, item.at)?.hugetlb ?? 0);
      w.emit({ type: 'state', kind: item.kind, level: item.level, at: item.at, count: item.count });
    }
    const { api, start, end, ops } = scenario.walk;
    if (ops.preset === 'guard-install') guardInstall(w, api, start, end);
    else walkApi(w, api, start, end);
  } catch (error) {
    if (error instanceof WalkStop) return { mm, end: error.reason, events: w.seq };
    throw error;
  }
  return { mm, end: 'returned', events: w.seq };
}

// mm/madvise.c: madvise_guard_install() (6.13), from the walk on, over the whole range at once; the VMA checks,
// anon_vma_prepare() and madvise()'s per-VMA calls are not modelled (madvise-differences.ts says where they matter).
function guardInstall(w: MmWalk, api: Scenario['walk']['api'], start: number, end: number): void {
  for (let i = 0; i < MAX_MADVISE_GUARD_RETRIES; i++) {
    const err = walkApi(w, api, start, end);
    if (err <= 0) {
      w.emit({ type: 'client_ret', value: err });
      return;
    }
    // Some of the range has non-guard entries: zap them (guard markers stay) and try again.
    zapRange(w, start, end);
  }
  w.emit({ type: 'client_ret', value: ERESTARTNOINTR });
}

