// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recorder's fold: the reducer applied to every event as it is recorded,
 * so that each checkpoint holds exactly the state a replay rebuilds. At each
 * chunk end it hands over the page tables written since the last checkpoint
 * and the small state context.
 */
import type { Addr, LevelIndex, WalkEvent } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import { PageTables, summarize } from '../mm/page-tables.js';
import { toContext } from '../replay/state-context.js';
import { initialState, StateBuilder } from '../replay/walk-state.js';
import type { WalkState } from '../replay/walk-state.js';
import type { Batch, Outcome } from './store.js';

export class Checkpointer {
  private readonly tables: PageTables;
  private readonly builder: StateBuilder;

  /**
   * From the empty mm, or from a state (a branch's fork point), read through
   * and copied a table at a time as the branch writes it: a branch of a big
   * walk holds a few events, and must not copy every table of the walk.
   */
  constructor(geometry: Geometry, from?: WalkState) {
    this.tables = from ? PageTables.over(geometry, from.tables) : PageTables.empty(geometry);
    this.tables.trackWrites();
    this.builder = new StateBuilder({ ...(from ?? initialState(geometry)), tables: this.tables }, { ownTables: true });
  }

  apply(e: WalkEvent): void {
    this.builder.apply(e);
  }

  /** Add the checkpoint "before event `seq`" (the tables written since the last one, and the context) to a batch. */
  checkpoint(seq: number, batch: Batch): void {
    for (const version of tableVersions(this.tables, this.tables.takeDirty(), seq)) batch.versions.push(version);
    batch.checkpoints.push({ seq, context: contextOf(this.builder.finish()) });
  }

  /** How the run ended, from the folded state. */
  outcome(): Outcome {
    return outcomeOf(this.builder.finish());
  }
}

/** How a run ended, from its state after its last event: what the writer stamps, and what a reader checks the stamp against. */
export function outcomeOf(state: WalkState): Outcome {
  const end =
    state.phase === 'oops'
      ? 'oops'
      : state.phase === 'livelock'
        ? 'livelock'
        : state.phase === 'setup' || state.phase === 'walking'
          ? 'stopped'
          : 'returned';
  const ret = state.clientRet ?? state.ret;
  return {
    status: end === 'returned' && ret === 0 ? 'complete' : 'aborted',
    end,
    ret: state.ret,
    clientRet: state.clientRet,
    error: end === 'stopped' ? 'the walk was stopped before it returned' : null,
  };
}

/** The versions, at checkpoint `seq`, of the tables listed (those that exist). */
function tableVersions(tables: PageTables, which: readonly (readonly [LevelIndex, Addr])[], seq: number): Batch['versions'] {
  const out: Batch['versions'] = [];
  for (const [level, base] of which) {
    const table = tables.tableAt(level, base);
    if (table) out.push({ level, base, seq, data: table.slice(), counts: summarize(table) });
  }
  return out;
}

const contextOf = (state: WalkState): string => JSON.stringify(toContext(state));

/**
 * A branch's first checkpoint, at its fork `seq`: the state's context and the
 * tables it holds of its own (those written since the base's checkpoint it was
 * folded from; the rest are read from the base).
 */
export function forkCheckpoint(state: WalkState, seq: number): { context: string; versions: Batch['versions'] } {
  return { context: contextOf(state), versions: tableVersions(state.tables, state.tables.ownTables(), seq) };
}
