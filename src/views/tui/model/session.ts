// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the terminal UI asks of a recording, answered fast enough to redraw on
 * every key: the state at the cursor, the events around it, the timeline's
 * markers, jumps to the next event of a kind, search, provenance and diffs.
 * No React here: the UI calls these, tests call them directly.
 */
import { isError } from '../../../events/fields.js';
import { KIND_INDEX, rowMembers } from '../../../events/notable.js';
import type { Addr, LevelIndex, WalkEvent, WalkEventType } from '../../../events/walk-event.js';
import { describeDetail } from '../../trace/format-event-line.js';
import { abortSummary, stopAt } from '../../../replay/abort-summary.js';
import type { AbortSummary } from '../../../replay/abort-summary.js';
import { RecordingLog } from '../../../replay/event-log.js';
import { recordedFaults } from '../../../replay/recorded-faults.js';
import type { Recording } from '../../../replay/open-recording.js';
import { Replay } from '../../../replay/replay.js';
import type { EventQuery, Provenance } from '../../../replay/replay.js';
import type { StateDiff } from '../../../replay/state-diff.js';
import type { WalkState } from '../../../replay/walk-state.js';
import type { RecordingMeta } from '../../../recorder/schema.js';
import type { Fault } from '../../../scenario/scenario.js';
import { formatTraceLine } from '../../../events/trace-line.js';

/** What a jump key looks for. */
export const JUMPS = {
  alloc: ['alloc', 'alloc_fail'],
  failure: ['alloc_fail', 'oops', 'livelock', 'pte_map_fail', 'pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry', 'pte_entry', 'hugetlb_entry', 'install_pte', 'hole', 'pre_vma'],
  split: ['split_pmd', 'split_pud', 'zap_split'],
  install: ['set_pte'],
  zap: ['zap'],
  vma: ['vma_enter'],
  walk: ['walk', 'ret', 'client_ret'],
} as const satisfies Record<string, readonly WalkEventType[]>;
export type JumpKind = keyof typeof JUMPS;

const ALWAYS_FAILURES = new Set(['alloc_fail', 'oops', 'livelock', 'pte_map_fail'].map((k) => KIND_INDEX[k as WalkEventType]));

/** Timeline markers, most telling first: a failure hides an allocation in the same column. */
const MARKERS: [JumpKind | 'end', string][] = [
  ['failure', '!'],
  ['split', 's'],
  ['zap', 'z'],
  ['end', '|'],
  ['alloc', 'a'],
  ['install', '.'],
];

export interface EventRow {
  readonly seq: number;
  readonly line: string;
  readonly error: boolean;
  readonly detail: boolean;
  readonly event: WalkEvent;
}

export class TuiSession {
  readonly replay: Replay;
  private markerCache: { width: number; length: number; markers: string } | null = null;
  private summaryCache = new Map<number, AbortSummary>();
  private stopCache: { length: number; seq: number } | null = null;
  private faults: readonly Fault[] | undefined;

  constructor(readonly recording: Recording) {
    this.replay = new Replay(new RecordingLog(recording));
  }

  get file(): string {
    return this.recording.file;
  }

  get length(): number {
    return this.replay.length;
  }

  meta(): RecordingMeta {
    return this.recording.meta();
  }

  /** 'recording' while a writer is at work; complete, aborted or incomplete once it is not. */
  status(): string {
    return this.recording.status();
  }

  /** Re-read a recording that is still being written. True if it grew. */
  refresh(): boolean {
    const before = this.length;
    this.recording.refresh();
    if (this.length !== before) {
      this.markerCache = null;
      this.summaryCache.clear();
    }
    return this.length !== before;
  }

  stateAt(seq: number): WalkState {
    return this.replay.stateAt(seq);
  }

  event(seq: number): WalkEvent | null {
    return seq >= 0 && seq < this.length ? this.replay.event(seq) : null;
  }

  /** `rows` events around `center`, the centre kept in view. */
  window(center: number, rows: number): EventRow[] {
    if (this.length === 0 || rows <= 0) return [];
    const first = Math.max(0, Math.min(center - Math.floor(rows / 2), this.length - rows));
    const out: EventRow[] = [];
    for (const e of this.recording.events(first, Math.min(this.length, first + rows))) {
      const line = formatTraceLine(e);
      out.push({ seq: e.seq, line: line ?? describeDetail(e), error: isError(e), detail: line === null, event: e });
    }
    return out;
  }

  /** One character per column: the most telling event in that column's share of the recording. */
  markers(width: number): string {
    const cached = this.markerCache;
    if (cached && cached.width === width && cached.length === this.length) return cached.markers;
    const columns = new Array<string>(width).fill(' ');
    // Least telling first: each kind overwrites what it outranks.
    for (const [kind, glyph] of [...MARKERS].reverse()) {
      const types: readonly WalkEventType[] = kind === 'end' ? ['ret', 'client_ret'] : kind === 'failure' ? [...JUMPS.failure, 'ret', 'client_ret'] : JUMPS[kind];
      const marked = this.recording.notableColumns(
        types.map((t) => KIND_INDEX[t]),
        width,
        this.length,
        // A positive return stops a walk without failing it (guard install's "zap and retry"): not a '!'.
        kind === 'failure' ? [...ALWAYS_FAILURES] : undefined,
      );
      marked.forEach((m, c) => {
        if (m) columns[c] = glyph;
      });
    }
    const markers = columns.join('');
    this.markerCache = { width, length: this.length, markers };
    return markers;
  }

  /** The next (1) or previous (-1) event of a kind, from `from`. */
  jump(kind: JumpKind, from: number, direction: 1 | -1): number | null {
    if (kind === 'failure') return this.replay.find(from, { error: true }, direction);
    const kinds = JUMPS[kind].map((k) => KIND_INDEX[k]);
    return this.replay.nextNotable(from, kinds, direction);
  }

  /** The last event, or the failure that ended the walk: where `f` takes you. */
  failureOrEnd(): number {
    if (this.stopCache?.length !== this.length) this.stopCache = { length: this.length, seq: this.length ? (stopAt(this.replay)?.seq ?? this.length - 1) : -1 };
    return this.stopCache.seq;
  }

  search(query: EventQuery, from: number, direction: 1 | -1): number | null {
    return this.replay.find(from, query, direction);
  }

  summary(at: number): AbortSummary {
    let s = this.summaryCache.get(at);
    if (!s) {
      s = abortSummary(this.replay, Math.max(0, at), { faults: (this.faults ??= recordedFaults(this.recording)) });
      if (this.summaryCache.size > 16) this.summaryCache.clear();
      this.summaryCache.set(at, s);
    }
    return s;
  }

  provenance(level: LevelIndex, addr: Addr, at: number): Provenance {
    return this.replay.provenance(level, addr, at);
  }

  /** The difference between two moments (the last one asked for is remembered: the overlay redraws it on every key). */
  diff(a: number, b: number): StateDiff {
    const c = this.diffCache;
    if (c && c.a === a && c.b === b && c.length === this.length) return c.diff;
    const diff = this.replay.diff(a, b);
    this.diffCache = { a, b, length: this.length, diff };
    return diff;
  }

  private diffCache: { a: number; b: number; length: number; diff: StateDiff } | null = null;

  /** The range the panes show: the current walk's, else the VMAs'. */
  range(state: WalkState): [Addr, Addr] | null {
    const walk = state.walk ?? this.firstWalk();
    if (walk && walk.start < walk.end) return [walk.start, walk.end];
    if (state.vmas.length) return [state.vmas[0]!.start, state.vmas[state.vmas.length - 1]!.end];
    return null;
  }

  private firstWalk(): { start: Addr; end: Addr } | null {
    const row = this.replay.notable(['walk'], 0, this.length)[0];
    if (!row) return null;
    const e = this.replay.event(row.seq);
    return e.type === 'walk' ? { start: e.start, end: e.end } : null;
  }

  /** The seqs of the members of notable rows (for tests and markers). */
  notableSeqs(kinds: readonly WalkEventType[]): number[] {
    const out: number[] = [];
    for (const row of this.replay.notable(kinds)) for (const [seq] of rowMembers(row)) out.push(seq);
    return out;
  }
}

/** A detail event (no trace line), described for the event list. */

