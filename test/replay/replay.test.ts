// Time travel: search, provenance and the difference between two moments,
// each checked against a naive computation over the events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LevelIndex, WalkEvent, WalkEventType } from '../../src/events/walk-event.js';
import { Entry, LEVELS } from '../../src/events/walk-event.js';
import { alignDown } from '../../src/mm/geometry.js';
import { MemoryLog } from '../../src/replay/event-log.js';
import { ABSENT, matches, Replay } from '../../src/replay/replay.js';
import type { EventQuery } from '../../src/replay/replay.js';
import { diffStates } from '../../src/replay/state-diff.js';
import { evolve, initialState } from '../../src/replay/walk-state.js';
import type { WalkState } from '../../src/replay/walk-state.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { events } from '../helpers/run.js';

function replayOf(file: string, every = 8): { replay: Replay; live: WalkEvent[] } {
  const scenario = loadScenario(file);
  const live = events(scenario);
  return { replay: new Replay(new MemoryLog(scenario.geometry, live, every)), live };
}

/** Every state, by folding one event at a time (the naive model). */
function allStates(geometry: WalkState['geometry'], live: WalkEvent[]): WalkState[] {
  const states: WalkState[] = [];
  let s = initialState(geometry);
  for (const e of live) states.push((s = evolve(s, e)));
  return states;
}

function slotValue(s: WalkState, level: LevelIndex, addr: number): number {
  const table = s.geometry.slotTable[level]!;
  return s.tables.table(table, addr) === undefined ? ABSENT : s.tables.entry(level, addr);
}

describe('provenance', () => {
  it('follows a PTE through set-up, zap and install (guard-install-zap-retry)', () => {
    const { replay, live } = replayOf(`${EXAMPLES}guard-install-zap-retry.yaml`);
    const p = replay.provenance(4, 0x402000, live.length - 1);
    assert.deepEqual(
      p.history.map((h) => [h.type, h.from, h.to]),
      [
        ['state', ABSENT, Entry.PRESENT],
        ['clear', Entry.PRESENT, Entry.NONE],
        ['set_pte', Entry.NONE, Entry.MARKER],
      ],
    );
    assert.equal(p.entry, Entry.MARKER);
    assert.equal(p.lastChange, p.history[2]!.seq);
    const zap = live.find((e) => e.type === 'zap')!;
    const before = replay.provenance(4, 0x402000, zap.seq);
    assert.equal(before.lastChange, p.history[0]!.seq);
    assert.equal(before.entry, Entry.PRESENT);
  });

  it('names the allocation that made a slot a table (demo: the empty PMD table above 1G)', () => {
    const { replay, live } = replayOf(`${EXAMPLES}demo.yaml`);
    const p = replay.provenance(2, 0x40000000, live.length - 1);
    const alloc = live.find((e) => e.type === 'alloc' && e.level === 'pmd')!;
    assert.equal(p.lastChange, alloc.seq);
    assert.deepEqual([p.start, p.end], [0x40000000, 0x80000000]);
    assert.equal(p.entry, Entry.TABLE);
  });

  it('agrees with a naive fold for any slot of random runs', () => {
    fc.assert(
      fc.property(arbScenario(), fc.nat(), fc.constantFrom<LevelIndex>(1, 2, 3, 4), fc.nat(), (s, pick, level, at) => {
        const scenario = parseScenario(s.text);
        const live = events(scenario);
        const states = allStates(scenario.geometry, live);
        const replay = new Replay(new MemoryLog(scenario.geometry, live, 5));
        // An address the run touched: an event's address, or the walk's start.
        const touched = live.map((e) => ('start' in e ? e.start : 'addr' in e ? e.addr : 'at' in e ? e.at : null)).filter((a): a is number => a !== null);
        const addr = alignDown(touched[pick % touched.length] ?? scenario.walk.start, scenario.geometry.pageSize);
        const cursor = at % live.length;
        const p = replay.provenance(level, addr, cursor);
        const naive: [number, number, number][] = [];
        let prev = slotValue(initialState(scenario.geometry), level, addr);
        states.forEach((st, seq) => {
          const v = slotValue(st, level, addr);
          if (v !== prev) naive.push([seq, prev, v]);
          prev = v;
        });
        assert.deepEqual(
          p.history.map((h) => [h.seq, h.from, h.to]),
          naive,
        );
        const last = naive.filter(([seq]) => seq <= cursor).at(-1);
        assert.equal(p.lastChange, last ? last[0] : null);
        assert.equal(p.entry, slotValue(states[cursor]!, level, addr));
      }),
      { numRuns: 150 },
    );
  });
});

describe('find', () => {
  const queries: fc.Arbitrary<EventQuery> = fc.record(
    {
      kinds: fc.subarray<WalkEventType>(['alloc', 'set_pte', 'pte_entry', 'hole', 'split_pmd', 'walk', 'ret', 'zap', 'clear', 'pmd_entry']),
      level: fc.constantFrom(...LEVELS),
      error: fc.boolean(),
      callback: fc.constantFrom('pte_entry' as const, 'pte_hole' as const, 'pmd_entry' as const),
    },
    { requiredKeys: [] },
  );

  it('finds the same event as a linear scan, forwards and backwards', () => {
    fc.assert(
      fc.property(arbScenario(), queries, fc.nat(), (s, query, from) => {
        const scenario = parseScenario(s.text);
        const live = events(scenario);
        const replay = new Replay(new MemoryLog(scenario.geometry, live, 7));
        const start = (from % (live.length + 1)) - 1;
        const forward = live.find((e) => e.seq > start && matches(e, query))?.seq ?? null;
        const backward = [...live].reverse().find((e) => e.seq < start && matches(e, query))?.seq ?? null;
        assert.equal(replay.find(start, query, 1), forward);
        assert.equal(replay.find(start, query, -1), backward);
      }),
      { numRuns: 300 },
    );
  });

  it('finds by address and by range', () => {
    const { replay } = replayOf(`${EXAMPLES}guard-install-zap-retry.yaml`);
    const seq = replay.find(-1, { kinds: ['pte_entry'], addr: 0x402000 }, 1)!;
    const e = replay.event(seq);
    assert.equal(e.type, 'pte_entry');
    assert.equal((e as { start: number }).start, 0x402000);
    assert.equal(replay.find(-1, { range: [0x900000, 0xa00000] }, 1), null);
  });
});

describe('diffStates', () => {
  it('reports every entry that differs, coalesced into runs, classified added/removed/changed', () => {
    fc.assert(
      fc.property(arbScenario(), fc.nat(), fc.nat(), (s, x, y) => {
        const scenario = parseScenario(s.text);
        const live = events(scenario);
        const states = allStates(scenario.geometry, live);
        const a = states[x % states.length]!;
        const b = states[y % states.length]!;
        const diff = diffStates(a, b);
        // Naively: every slot of every table on either side.
        const parse = (st: WalkState) => {
          const m = new Map<string, number>();
          for (const line of st.tables.dump()) {
            const [level, base, slots] = line.split(' ');
            for (const slot of slots ? slots.split(',').filter(Boolean) : []) {
              const [i, v] = slot.split(':');
              m.set(`${level}:${base}:${i}`, Number(v));
            }
          }
          return m;
        };
        const ma = parse(a);
        const mb = parse(b);
        let differ = 0;
        let added = 0;
        let removed = 0;
        for (const key of new Set([...ma.keys(), ...mb.keys()])) {
          const va = ma.get(key) ?? Entry.NONE;
          const vb = mb.get(key) ?? Entry.NONE;
          if (va === vb) continue;
          differ++;
          if (va === Entry.NONE) added++;
          else if (vb === Entry.NONE) removed++;
        }
        assert.equal(diff.entries, differ);
        assert.equal(diff.added.reduce((n, r) => n + r.count, 0), added);
        assert.equal(diff.removed.reduce((n, r) => n + r.count, 0), removed);
        assert.equal(diff.changed.reduce((n, r) => n + r.count, 0), differ - added - removed);
        if (x % states.length === y % states.length) assert.equal(diff.entries, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('shows what an install walk left: PTEs and tables added', () => {
    const { replay, live } = replayOf(`${EXAMPLES}demo.yaml`);
    const diff = diffStates(replay.stateAt(2), replay.stateAt(live.length - 1));
    assert.deepEqual(
      diff.added.map((r) => [r.level, r.start, r.end, r.to, r.count]),
      [
        ['pud', 0x40000000, 0x80000000, Entry.TABLE, 1],
        ['pmd', 0x3fe00000, 0x40000000, Entry.TABLE, 1],
        ['pte', 0x3fffe000, 0x40000000, Entry.MARKER, 2],
      ],
    );
    assert.equal(diff.removed.length + diff.changed.length, 0);
  });
});
