// The reducer: pure, exhaustive, and the only way state is rebuilt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WalkEvent } from '../../../src/events/walk-event.js';
import { Entry } from '../../../src/events/walk-event.js';
import { GEOMETRIES } from '../../../src/mm/geometry.js';
import { evolve, foldEvents, initialState } from '../../../src/replay/walk-state.js';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import { events } from '../../helpers/run.js';

const g = GEOMETRIES.x86_64;
let seq = 0;
const ev = (e: Record<string, unknown>): WalkEvent => ({ seq: seq++, ...e }) as unknown as WalkEvent;

describe('evolve', () => {
  it('starts from an mm with only its pgd', () => {
    const s = initialState(g);
    assert.deepEqual(s.tables.dump(), ['pgd 0 ']);
    assert.equal(s.phase, 'setup');
  });

  it('links a new table into the slot above on alloc', () => {
    const s = foldEvents(initialState(g), [
      ev({ type: 'alloc', level: 'pud', addr: 0x5fe000 }),
      ev({ type: 'alloc', level: 'pmd', addr: 0x5fe000 }),
    ]);
    assert.equal(s.tables.entry(1, 0x5fe000), Entry.TABLE); // the pgd slot, seen through the folded p4d
    assert.equal(s.tables.entry(2, 0x5fe000), Entry.TABLE);
    assert.equal(s.tables.entry(3, 0x5fe000), Entry.NONE);
    assert.equal(s.counts.allocs, 2);
  });

  it('writes the PTE on set_pte, and a split into a table fills it with present PTEs', () => {
    const setup = [
      ev({ type: 'vma', start: 0x400000, end: 0xa00000, flags: 0, hugetlb: 0 }),
      ev({ type: 'state', kind: 'thp-pmd', level: null, at: 0x600000, count: 1 }),
      ev({ type: 'state', kind: 'table', level: 'pte', at: 0x400000, count: 1 }),
    ];
    const s = foldEvents(initialState(g), [
      ...setup,
      ev({ type: 'set_pte', addr: 0x401000, value: Entry.MARKER }),
      ev({ type: 'split_pmd', addr: 0x600000, value: Entry.TABLE }),
    ]);
    assert.equal(s.tables.entry(4, 0x401000), Entry.MARKER);
    assert.equal(s.tables.entry(3, 0x600000), Entry.TABLE);
    assert.equal(s.tables.entry(4, 0x7ff000), Entry.PRESENT);
  });

  it('never changes the state it is given', () => {
    const scenario = parseScenario(`
vmas: [{ start: 0x400000, end: 0x800000 }]
state: [{ kind: pte, at: 0x402000 }]
walk: { api: walk_page_range_mm, start: 0x400000, end: 0x403000, ops: { preset: guard-install } }`);
    const all = events(scenario);
    let state = initialState(scenario.geometry);
    for (const e of all) {
      const before = state.tables.dump();
      const beforeCounts = { ...state.counts };
      const next = evolve(state, e);
      assert.deepEqual(state.tables.dump(), before, `evolve changed its input at seq ${e.seq}`);
      assert.deepEqual(state.counts, beforeCounts);
      state = next;
    }
    assert.equal(state.phase, 'done');
    assert.equal(state.clientRet, 0);
    assert.equal(state.walks, 2);
  });

  it('folds a run to the same state one event at a time as all at once', () => {
    const scenario = parseScenario(`
vmas: [{ start: 0x400000, end: 0xa00000, thp: true }]
state: [{ kind: thp-pmd, at: 0x600000 }, { kind: guard, at: 0x5fe000 }]
walk: { api: walk_page_range_mm, start: 0x5fc000, end: 0x602000, ops: { preset: guard-install } }`);
    const all = events(scenario);
    const stepwise = all.reduce(evolve, initialState(scenario.geometry));
    const folded = foldEvents(initialState(scenario.geometry), all);
    assert.deepEqual(stepwise.tables.dump(), folded.tables.dump());
    assert.deepEqual({ ...stepwise, tables: null }, { ...folded, tables: null });
  });
});
