// SPDX-License-Identifier: GPL-2.0-only
/**
 * What replay reads: events by number, checkpoints, and the notable index.
 * Two sources: a recording on disk, and a run held in memory (a live run,
 * tests). Both rebuild state with the same reducer.
 */
import { CHUNK_EVENTS } from '../events/codec.js';
import type { NotableRow } from '../events/notable.js';
import { NotableIndexer } from '../events/notable.js';
import type { Addr, LevelIndex, WalkEvent } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import { PageTables } from '../mm/page-tables.js';
import type { Recording } from './open-recording.js';
import { fromContext } from './state-context.js';
import { foldEvents, initialState } from './walk-state.js';
import type { WalkState } from './walk-state.js';

export interface EventLog {
  readonly geometry: Geometry;
  /** Events in the log. */
  readonly length: number;
  event(seq: number): WalkEvent;
  /** Events [from, to), in order. */
  events(from: number, to: number): Iterable<WalkEvent>;
  /** The state before event `seq` at the last checkpoint at or before it. */
  checkpoint(seq: number): { readonly seq: number; readonly state: WalkState };
  /**
   * Notable rows of the given kinds (EVENT_TYPES indexes) whose first event is in [from, to),
   * and, with `near`, whose address lies in [near[0], near[1]) (a run starts at its first address).
   */
  notable(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[];
  /**
   * The tables that may differ between the checkpoints at or before events a and b, as
   * [level, base] pairs; undefined when the log cannot tell (then every table is compared).
   */
  tablesChangedBetween?(a: number, b: number): [LevelIndex, Addr][] | undefined;
}

/** A run held in memory, checkpointed every `every` events. */
export class MemoryLog implements EventLog {
  readonly geometry: Geometry;
  private readonly all: readonly WalkEvent[];
  private readonly checkpoints: WalkState[] = [];
  private readonly every: number;
  private readonly rows: NotableRow[];

  constructor(geometry: Geometry, events: readonly WalkEvent[], every: number = CHUNK_EVENTS) {
    this.geometry = geometry;
    this.all = events;
    this.every = every;
    let state = initialState(geometry);
    this.checkpoints.push(state);
    for (let at = every; at <= events.length; at += every) {
      state = foldEvents(state, events.slice(at - every, at));
      state = { ...state, tables: state.tables.flatten() };
      this.checkpoints.push(state);
    }
    // Runs end at checkpoints, as a recording's do at chunk ends.
    const indexer = new NotableIndexer();
    this.rows = [];
    for (const e of events) {
      indexer.add(e);
      if ((e.seq + 1) % every === 0) for (const row of indexer.take()) this.rows.push(row);
    }
    for (const row of indexer.take()) this.rows.push(row);
  }

  get length(): number {
    return this.all.length;
  }

  event(seq: number): WalkEvent {
    const e = this.all[seq];
    if (!e) throw new RangeError(`no event ${seq} (the run holds 0 to ${this.all.length - 1})`);
    return e;
  }

  events(from: number, to: number): Iterable<WalkEvent> {
    return this.all.slice(Math.max(0, from), Math.min(to, this.all.length));
  }

  checkpoint(seq: number): { seq: number; state: WalkState } {
    const index = Math.min(Math.floor(Math.max(0, seq) / this.every), this.checkpoints.length - 1);
    return { seq: index * this.every, state: this.checkpoints[index]! };
  }

  notable(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    return this.rows.filter(
      (r) => kinds.includes(r.kind) && r.seq >= from && r.seq < to && (!near || (r.addr !== null && r.addr >= near[0] && r.addr < near[1])),
    );
  }
}

/** A recording on disk. */
export class RecordingLog implements EventLog {
  readonly geometry: Geometry;

  constructor(readonly recording: Recording) {
    this.geometry = recording.geometry;
  }

  get length(): number {
    return this.recording.length;
  }

  event(seq: number): WalkEvent {
    return this.recording.event(seq);
  }

  events(from: number, to: number): Iterable<WalkEvent> {
    return this.recording.events(from, to);
  }

  checkpoint(seq: number): { seq: number; state: WalkState } {
    const { seq: at, context } = this.recording.checkpointAtOrBefore(seq);
    return { seq: at, state: fromContext(context, this.geometry, PageTables.over(this.geometry, this.recording.tablesAt(at))) };
  }

  notable(kinds: readonly number[], from: number, to: number, near?: readonly [Addr, Addr]): NotableRow[] {
    return this.recording.notableRows(kinds, from, to, near);
  }

  tablesChangedBetween(a: number, b: number): [LevelIndex, Addr][] {
    const ca = this.recording.checkpointSeqAtOrBefore(a);
    const cb = this.recording.checkpointSeqAtOrBefore(b);
    return this.recording.tablesVersionedBetween(Math.min(ca, cb), Math.max(ca, cb));
  }
}
