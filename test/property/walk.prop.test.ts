// Properties of the walker over random scenarios (see test/helpers/arbitrary.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { EventOf, WalkEvent } from '../../src/events/walk-event.js';
import { LEVELS } from '../../src/events/walk-event.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import { foldEvents, initialState } from '../../src/replay/walk-state.js';
import { runScenario } from '../../src/walker/run.js';
import { arbScenario, withFaults, withKernel } from '../helpers/arbitrary.js';
import { events, traceOf } from '../helpers/run.js';

const RUNS = Number(process.env.WALKBACK_PROPERTY_RUNS ?? 150);

describe('walker properties', () => {
  it('without install_pte, 6.12 and 6.13 give the same trace', () => {
    fc.assert(
      fc.property(arbScenario({ kernels: ['6.13'], install: false }), (s) => {
        const t613 = traceOf(events(parseScenario(s.text)));
        const t612 = traceOf(events(parseScenario(withKernel(s, '6.12'))));
        assert.deepEqual(t612, t613);
      }),
      { numRuns: RUNS },
    );
  });

  it("the walker's final page tables equal the fold of its events from an empty mm", () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const scenario = parseScenario(s.text);
        const out: WalkEvent[] = [];
        const result = runScenario(scenario, (e) => out.push(e));
        const folded = foldEvents(initialState(scenario.geometry), out);
        assert.deepEqual(folded.tables.dump(), result.mm.dump());
        assert.equal(folded.seq, out.length - 1);
      }),
      { numRuns: RUNS },
    );
  });

  it('the state rebuilt at every event equals the live page tables at that event', () => {
    fc.assert(
      fc.property(arbScenario(), (s) => {
        const scenario = parseScenario(s.text);
        let state = initialState(scenario.geometry);
        runScenario(
          scenario,
          () => {},
          {
            inspect: (e, live) => {
              state = foldEvents(state, [e]);
              assert.deepEqual(state.tables.dump(), live.dump(), `after seq ${e.seq} (${e.type})`);
            },
          },
        );
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('after an injected allocation failure, earlier tables stay and nothing at or after the failure is touched', () => {
    fc.assert(
      fc.property(arbScenario({ kernels: ['6.13', '7.0'], faults: false }), fc.integer({ min: 1, max: 40 }), (s, nth) => {
        const clean = events(parseScenario(s.text));
        const allocs = clean.filter((e): e is EventOf<'alloc'> => e.type === 'alloc');
        fc.pre(allocs.length > 0);
        const n = ((nth - 1) % allocs.length) + 1;
        const failing = allocs[n - 1]!;
        const faulted = events(parseScenario(withFaults(s, [{ alloc: n }])));

        // The faulted run is the clean run up to the failing allocation, which fails instead.
        const at = clean.indexOf(failing);
        assert.deepEqual(faulted.slice(0, at), clean.slice(0, at));
        const failed = faulted[at] as EventOf<'alloc_fail'>;
        assert.deepEqual(
          { type: failed.type, level: failed.level, addr: failed.addr },
          { type: 'alloc_fail', level: failing.level, addr: failing.addr },
        );

        // What it leaves behind is exactly the clean run's state before that allocation.
        const geometry = parseScenario(s.text).geometry;
        const before = foldEvents(initialState(geometry), clean.slice(0, at));
        const after = foldEvents(initialState(geometry), faulted);
        assert.deepEqual(after.tables.dump(), before.tables.dump());

        // Every table allocated before the failure is still there.
        for (const e of clean.slice(0, at)) {
          if (e.type !== 'alloc') continue;
          const level = LEVELS.indexOf(e.level) as 1 | 2 | 3 | 4;
          assert.ok(after.tables.table(level, e.addr), `the ${e.level} table allocated at seq ${e.seq} is gone`);
        }

        // After the failure nothing changes the page tables: only unwinding lines follow.
        for (const e of faulted.slice(at + 1))
          assert.ok(['post_vma', 'ret', 'client_ret'].includes(e.type), `unexpected ${e.type} after the failure`);
      }),
      { numRuns: RUNS },
    );
  });

  it('random scenario text loads or fails with a ScenarioError, never anything else', () => {
    fc.assert(
      fc.property(arbScenario(), fc.nat(), fc.string({ maxLength: 4 }), (s, position, junk) => {
        const at = position % (s.text.length + 1);
        const text = s.text.slice(0, at) + junk + s.text.slice(at);
        try {
          parseScenario(text);
        } catch (error) {
          assert.ok(error instanceof ScenarioError, String(error));
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
