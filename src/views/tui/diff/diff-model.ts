// SPDX-License-Identifier: GPL-2.0-only
/** What the diff view draws, from the two runs: event rows marked where they differ, and the tables at two cursors compared. */
import { isError } from '../../../events/fields.js';
import type { RunSide } from '../../../replay/compare-runs.js';
import { sameEvent } from '../../../replay/first-divergence.js';
import { diffStates } from '../../../replay/state-diff.js';
import type { StateDiff } from '../../../replay/state-diff.js';
import { formatEventLine } from '../../trace/format-event-line.js';
import { formatTraceLine } from '../../../events/trace-line.js';
import type { EventRow } from '../model/session.js';

export interface DiffRow extends EventRow {
  /** The other run's event of the same number differs (or does not exist). */
  readonly differs: boolean;
}

export class DiffModel {
  private tableCache: { a: number; b: number; diff: StateDiff } | null = null;

  constructor(
    readonly a: RunSide,
    readonly b: RunSide,
  ) {}

  /** `rows` events of one side around `center`, each marked if the other side's event of that number differs. */
  window(side: 'a' | 'b', center: number, rows: number): DiffRow[] {
    const mine = side === 'a' ? this.a.replay : this.b.replay;
    const other = side === 'a' ? this.b.replay : this.a.replay;
    if (mine.length === 0 || rows <= 0) return [];
    // Windows of both sides start alike (by the longer run), so that locked cursors sit on one line.
    const first = Math.max(0, Math.min(center - Math.floor(rows / 2), Math.max(mine.length, other.length) - rows));
    const out: DiffRow[] = [];
    for (const e of mine.log.events(first, Math.min(mine.length, first + rows))) {
      const twin = e.seq < other.length ? other.event(e.seq) : null;
      out.push({ seq: e.seq, line: formatEventLine(e), error: isError(e), detail: formatTraceLine(e) === null, event: e, differs: twin === null || !sameEvent(e, twin) });
    }
    return out;
  }

  /** The page tables of A after event `a` against B's after event `b` (null across architectures). */
  tablesAt(a: number, b: number): StateDiff | null {
    if (this.a.arch !== this.b.arch) return null;
    const c = this.tableCache;
    if (c && c.a === a && c.b === b) return c.diff;
    const diff = diffStates(this.a.replay.stateAt(a), this.b.replay.stateAt(b));
    this.tableCache = { a, b, diff };
    return diff;
  }
}
