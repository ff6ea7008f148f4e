// SPDX-License-Identifier: GPL-2.0-only
/**
 * What each run of a sweep ended with, and the runs grouped by it: the
 * return value, where the walk stopped, what it destroyed (present PTEs, huge
 * entries, guard markers it cleared) and the shape of what it left behind
 * (tables allocated and still empty, PTEs installed, per level and kind).
 * Each run is read back from the file, through the same replay as any
 * recording, and checked against the scenario's expectations.
 */
import { Entry, LEVELS } from '../events/walk-event.js';
import type { LevelIndex, LevelName } from '../events/walk-event.js';
import { eventAddr, eventLevel } from '../events/fields.js';
import { hex } from '../mm/geometry.js';
import { abortSummary } from '../replay/abort-summary.js';
import type { AbortSummary, Destroyed } from '../replay/abort-summary.js';
import { RecordingLog } from '../replay/event-log.js';
import type { Recording } from '../replay/open-recording.js';
import { Replay } from '../replay/replay.js';
import type { WalkState } from '../replay/walk-state.js';
import type { Expectations } from '../scenario/scenario.js';
import type { FaultPoint } from '../walker/run.js';

export interface RunOutcome {
  readonly run: number;
  readonly label: string;
  /** The point that failed (null for the fault-free base run). */
  readonly point: FaultPoint | null;
  readonly events: number;
  readonly outcome: AbortSummary['outcome'] | 'incomplete';
  /** What the walk (or its client) returned. */
  readonly ret: number | null;
  /** Where it stopped: the event's kind and level ('alloc_fail pte'), or 'completed'. */
  readonly stop: string;
  readonly stopSeq: number | null;
  /** The address of the event it stopped at (the walker's, at a failed allocation). */
  readonly stopAddr: number | null;
  /** Tables the run allocated, per level, and those of them still empty at its end. */
  readonly allocated: Partial<Record<LevelName, number>>;
  readonly empty: Partial<Record<LevelName, number>>;
  /** PTEs the run installed, by what they are. */
  readonly installed: Partial<Record<string, number>>;
  /** What the run destroyed, by kind ('present', 'guard', 'huge pmd', 'huge pud'): entries that were there and are gone. */
  readonly destroyed: Partial<Record<string, number>>;
  /** The expectations it breaks, in words. */
  readonly violations: readonly string[];
  /** The same, in the words its outcome group uses (without what varies from run to run). */
  readonly groupViolations: readonly string[];
}

export interface OutcomeGroup {
  /** The outcome in words; runs with the same are one group. */
  readonly description: string;
  readonly ret: number | null;
  readonly stop: string;
  readonly empty: Partial<Record<LevelName, number>>;
  /** The kinds of PTE installed, and the fewest and most of each among the group's runs. */
  readonly installed: Partial<Record<string, readonly [number, number]>>;
  /** The kinds of entry destroyed, and the fewest and most of each among the group's runs. */
  readonly destroyed: Partial<Record<string, readonly [number, number]>>;
  readonly runs: readonly number[];
  readonly labels: readonly string[];
  readonly violations: readonly string[];
  /** The lowest and highest address its runs stopped at, if they stopped at one. */
  readonly stopAddrs: readonly [number, number] | null;
}

/** The outcome of one run of a recording (a sweep's or a plain one), opened by the caller. */
export function runOutcome(recording: Recording, label: string, point: FaultPoint | null, expect?: Expectations): RunOutcome {
  const run = recording.run;
  // A run whose writer stopped before it finished (a sweep cut short) has no outcome yet.
  const incomplete = recording.status() === 'incomplete';
  const replay = new Replay(new RecordingLog(recording));
  const last = replay.length - 1;
  const summary = abortSummary(replay, last);
  const state = replay.stateAt(last);
  const allocated: Partial<Record<LevelName, number>> = {};
  const empty: Partial<Record<LevelName, number>> = {};
  for (const table of summary.allocated) {
    allocated[table.level] = (allocated[table.level] ?? 0) + 1;
    if (table.empty) empty[table.level] = (empty[table.level] ?? 0) + 1;
  }
  const installed: Partial<Record<string, number>> = {};
  for (const run of summary.installed) installed[run.entry] = (installed[run.entry] ?? 0) + run.count;
  const destroyed = destroyedCounts(summary.destroyed);
  const stopEvent = summary.stop ? replay.event(summary.stop.seq) : null;
  const stop = incomplete ? 'incomplete' : stopEvent ? [stopEvent.type, eventLevel(stopEvent)].filter(Boolean).join(' ') : summary.outcome;
  const ret = summary.clientRet ?? summary.ret;
  const outcome: Omit<RunOutcome, 'violations' | 'groupViolations'> = {
    run,
    label,
    point,
    events: replay.length,
    outcome: incomplete ? 'incomplete' : summary.outcome,
    ret,
    stop,
    stopSeq: summary.stop?.seq ?? null,
    stopAddr: stopEvent && !incomplete ? eventAddr(stopEvent) : null,
    allocated,
    empty,
    installed,
    destroyed,
  };
  const broken = expect && !incomplete ? violations(expect, outcome, state, () => replay.stateAt((summary.walks[0]?.seq ?? 0) - 1), summary) : [];
  return { ...outcome, violations: broken.map((v) => v.run), groupViolations: broken.map((v) => v.group) };
}

/** What a run destroyed, by kind, as the sweep counts it. */
export function destroyedCounts(d: Destroyed): Partial<Record<string, number>> {
  const out: Partial<Record<string, number>> = {};
  if (d.present) out.present = d.present;
  for (const h of d.huge) out[`huge ${h.level}`] = (out[`huge ${h.level}`] ?? 0) + 1;
  if (d.guard) out.guard = d.guard;
  return out;
}

/** The fewest and most of each kind among runs, for the kinds the first run has (a group's runs have the same kinds). */
function ranges(runs: readonly RunOutcome[], of: (r: RunOutcome) => Partial<Record<string, number>>): Partial<Record<string, [number, number]>> {
  const out: Partial<Record<string, [number, number]>> = {};
  for (const kind of Object.keys(of(runs[0]!))) {
    out[kind] = range(runs.map((r) => of(r)[kind] ?? 0));
  }
  return out;
}

/** An expectation broken, in the run's words and in its group's (empty counts are part of a group's outcome; marker counts are not). */
interface Violation {
  readonly run: string;
  readonly group: string;
}

function violations(expect: Expectations, o: Omit<RunOutcome, 'violations' | 'groupViolations'>, state: WalkState, before: () => WalkState, summary: AbortSummary): Violation[] {
  const out: Violation[] = [];
  const same = (text: string): Violation => ({ run: text, group: text });
  if (expect.ret && !expect.ret.includes(o.ret ?? NaN)) out.push(same(`returns ${o.ret ?? 'nothing'}, not ${expect.ret.join(' or ')}`));
  for (const level of expect.noEmptyTables ?? []) {
    const n = o.empty[level] ?? 0;
    if (n > 0) out.push(same(`leaves ${n} empty ${level} table${n === 1 ? '' : 's'} behind`));
  }
  if (expect.noGuardOutsideRange) {
    const walk = summary.walks[0];
    if (walk) {
      const outside = guardsOutside(before(), state, walk.start, walk.end);
      const range = `${hex(walk.start)}-${hex(walk.end)}`;
      if (outside.count > 0)
        out.push({
          run: `has ${outside.count} guard marker${outside.count === 1 ? '' : 's'} outside ${range} (the first at ${hex(outside.first!)})`,
          group: `has guard markers outside ${range}`,
        });
    }
  }
  return out;
}

/** Guard markers in `state` outside [start, end) that `before` did not have: those a walk put outside its range. */
export function guardsOutside(before: WalkState, state: WalkState, start: number, end: number): { count: number; first: number | null } {
  const g = state.geometry;
  const span = g.tableSpan[4]!;
  let count = 0;
  let first: number | null = null;
  state.tables.forEachTable(4 as LevelIndex, (base, table) => {
    if (base >= start && base + span <= end) return;
    const counts = state.tables.summaryAt(4, base);
    if (counts && counts[Entry.MARKER] === 0) return;
    const old = before.tables.tableAt(4 as LevelIndex, base);
    for (let i = 0; i < table.length; i++) {
      const addr = base + i * g.pageSize;
      if (table[i] === Entry.MARKER && old?.[i] !== Entry.MARKER && (addr < start || addr >= end)) {
        count++;
        if (first === null || addr < first) first = addr;
      }
    }
  });
  return { count, first };
}

/** The least and the greatest of some numbers (a loop: a group can hold more runs than fit on the stack as arguments). */
function range(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Group runs by outcome: same return value, same stop, same kinds of entry destroyed, same empty tables, same kinds of PTE installed. */
export function groupOutcomes(outcomes: readonly RunOutcome[]): OutcomeGroup[] {
  const groups = new Map<string, RunOutcome[]>();
  for (const o of outcomes) {
    const key = describe(o);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(o);
  }
  return [...groups.entries()].map(([description, runs]) => {
    const installed = ranges(runs, (r) => r.installed);
    const destroyed = ranges(runs, (r) => r.destroyed);
    const addrs = runs.map((r) => r.stopAddr).filter((a): a is number => a !== null);
    return {
      description,
      stopAddrs: addrs.length ? range(addrs) : null,
      ret: runs[0]!.ret,
      stop: runs[0]!.stop,
      empty: runs[0]!.empty,
      installed,
      destroyed,
      runs: runs.map((r) => r.run),
      labels: runs.map((r) => r.label),
      violations: [...new Set(runs.flatMap((r) => r.groupViolations))],
    };
  });
}

/** The words for a kind of entry destroyed. */
const DESTROYED_WORDS: Record<string, string> = { present: 'present PTEs', 'huge pmd': 'huge pmd entries', 'huge pud': 'huge pud entries', guard: 'guard markers' };

/** An outcome in words, without the counts that vary from one failure point to the next. */
export function describe(o: Pick<RunOutcome, 'ret' | 'stop' | 'empty' | 'installed'> & { readonly destroyed?: RunOutcome['destroyed'] }): string {
  const empty = LEVELS.filter((l) => (o.empty[l] ?? 0) > 0).map((l) => `${o.empty[l]} empty ${l} table${o.empty[l] === 1 ? '' : 's'}`);
  const installed = Object.keys(o.installed)
    .filter((k) => (o.installed[k] ?? 0) > 0)
    .sort()
    .map((k) => `${k} PTEs`);
  const left = [...empty, ...installed];
  // What it took away, said before what it left (only when it took something: most walks destroy nothing).
  const gone = ['present', 'huge pud', 'huge pmd', 'guard'].filter((k) => (o.destroyed?.[k] ?? 0) > 0).map((k) => DESTROYED_WORDS[k]!);
  const destroyed = gone.length ? `destroyed: ${gone.join(', ')}; ` : '';
  if (o.stop === 'incomplete') return `incomplete: the sweep stopped while recording this run; ${destroyed}left behind so far: ${left.length ? left.join(', ') : 'nothing'}`;
  return `ret ${o.ret ?? 'none'}, ${o.stop === 'completed' ? 'completed' : `stopped at ${o.stop}`}; ${destroyed}left behind: ${left.length ? left.join(', ') : 'nothing'}`;
}
