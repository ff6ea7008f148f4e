// SPDX-License-Identifier: GPL-2.0-only
// The page tables over a range as show prints them (entryRuns) and the table
// counts: the same runs as entry by entry, and, at the end of a big
// recording, read from the tables' entry counts rather than from every table.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import type { Addr, LevelIndex } from '../../src/events/walk-event.js';
import { Entry, LEVELS } from '../../src/events/walk-event.js';
import { levelAddrEnd, ownerLevel } from '../../src/mm/geometry.js';
import { PageTables } from '../../src/mm/page-tables.js';
import type { TableSource } from '../../src/mm/page-tables.js';
import { Recording } from '../../src/replay/open-recording.js';
import { entryRuns, tableCounts } from '../../src/replay/selectors.js';
import type { EntryRunView } from '../../src/replay/selectors.js';
import { fromContext } from '../../src/replay/state-context.js';
import { foldEvents, initialState } from '../../src/replay/walk-state.js';
import type { WalkState } from '../../src/replay/walk-state.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { events } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-selectors-');
after(cleanup);

/** The runs entry by entry, reading every table: the naive model entryRuns must agree with. */
function naiveRuns(state: WalkState, start: Addr, end: Addr, limit: number): { runs: EntryRunView[]; truncated: boolean } {
  const g = state.geometry;
  const runs: EntryRunView[] = [];
  let truncated = false;
  // Named as show names them: the real table the entries are in, and for a table entry the level of the table it points to.
  const push = (s: Addr, e: Addr, level: LevelIndex, entry: number, emptyTable: boolean, table: (typeof LEVELS)[number] | null) => {
    const last = runs[runs.length - 1];
    if (last && last.end === s && last.level === LEVELS[level] && last.entry === entry && last.emptyTable === emptyTable) {
      runs[runs.length - 1] = { ...last, end: e, count: last.count + 1 };
      return;
    }
    if (runs.length >= limit) {
      truncated = true;
      return;
    }
    runs.push({ start: s, end: e, level: LEVELS[level], entry, table, emptyTable, count: 1 });
  };
  const visit = (table: LevelIndex, addr: Addr, stop: Addr): void => {
    const owner = ownerLevel(g, table);
    while (addr < stop && !truncated) {
      const next = levelAddrEnd(g, table, addr, stop);
      const kind = state.tables.entry(owner, addr);
      if (kind === Entry.TABLE && owner < 4) {
        const child = (owner + 1) as LevelIndex;
        const t = state.tables.table(child, addr);
        if (t && t.some((v) => v !== Entry.NONE)) visit(child, addr, next);
        else push(addr, next, table, kind, true, LEVELS[child]);
      } else push(addr, next, table, kind, false, null);
      addr = next;
    }
  };
  if (start < end) visit(0, start, end);
  return { runs, truncated };
}

function finalState(scenario: ReturnType<typeof loadScenario>): WalkState {
  return foldEvents(initialState(scenario.geometry), events(scenario));
}

describe('entryRuns', () => {
  it('gives the runs that reading entry by entry gives, on every example, at any limit', () => {
    for (const name of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))) {
      const scenario = loadScenario(`${EXAMPLES}${name}`);
      const state = finalState(scenario);
      const { start, end } = scenario.walk;
      const [from, to] = start < end ? [start, end] : [scenario.vmas[0]?.start ?? 0, scenario.vmas[0]?.end ?? 0];
      for (const limit of [1, 3, 200, 10_000]) assert.deepEqual(entryRuns(state, from, to, limit), naiveRuns(state, from, to, limit), `${name}, limit ${limit}`);
    }
  });

  it('and on generated scenarios, over their walk and over their VMAs', () => {
    fc.assert(
      fc.property(arbScenario({ install: true }), fc.constantFrom(2, 50, 10_000), (generated, limit) => {
        const scenario = parseScenario(generated.text);
        const state = finalState(scenario);
        for (const [from, to] of [
          [scenario.walk.start, scenario.walk.end],
          [scenario.vmas[0]?.start ?? 0, scenario.vmas[scenario.vmas.length - 1]?.end ?? 0],
        ] as const)
          assert.deepEqual(entryRuns(state, from, to, limit), naiveRuns(state, from, to, limit));
      }),
      { numRuns: 300 },
    );
  });
});

describe('show at the end of a big recording', () => {
  it('reads a handful of tables, not one per table in the range (entry counts say the rest)', async () => {
    // 1 GiB of guard markers: 512 PTE tables, each of one kind throughout.
    const scenario = parseScenario(`name: big
vmas: [{ start: 0x40000000, end: 0x80000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80000000, ops: { preset: guard-install } }
`);
    const { file } = await recordTo(dir, scenario);
    const recording = Recording.open(file);
    try {
      const g = recording.geometry;
      // The state at the end as a replay rebuilds it (the last checkpoint, the events after it folded), through a source that counts what it reads.
      const { seq, context } = recording.checkpointAtOrBefore(recording.length);
      const source = recording.tablesAt(seq);
      let read = 0;
      const counting: TableSource = {
        tableAt: (level, base) => {
          read++;
          return source.tableAt(level, base);
        },
        forEachTable: (level, fn) =>
          source.forEachTable(level, (base, table) => {
            read++;
            fn(base, table);
          }),
        summaryAt: (level, base) => source.summaryAt!(level, base),
        tableCount: (level) => source.tableCount!(level),
      };
      const state = foldEvents(fromContext(context, g, PageTables.over(g, counting)), recording.events(seq, recording.length));
      const { runs, truncated } = entryRuns(state, 0x40000000, 0x80000000, 10_000);
      const counts = tableCounts(state);
      assert.ok(read <= 4, `read ${read} tables of the recording`);
      // And the answer is the one entry by entry gives (which reads them all).
      assert.deepEqual({ runs, truncated }, naiveRuns(state, 0x40000000, 0x80000000, 10_000));
      assert.deepEqual(runs, [{ start: 0x40000000, end: 0x80000000, level: 'pte', entry: Entry.MARKER, table: null, emptyTable: false, count: 262_144 }]);
      assert.deepEqual(counts, [
        { level: 'pgd', tables: 1 },
        { level: 'pud', tables: 1 },
        { level: 'pmd', tables: 1 },
        { level: 'pte', tables: 512 },
      ]);
    } finally {
      recording.close();
    }
  });
});
