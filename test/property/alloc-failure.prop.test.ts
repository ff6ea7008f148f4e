// The walker's way out of a failed allocation (walker/alloc-failure.ts), which
// sweeps use instead of running each branch from the start, against the
// walker itself: for every allocation of generated walks, the events of the
// walk run with that allocation failing, from the failure on.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AllocEvent, WalkEvent } from '../../src/events/walk-event.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { allocFailureTail } from '../../src/walker/alloc-failure.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { events } from '../helpers/run.js';

function check(scenario: Scenario): number {
  const base = events({ ...scenario, faults: [] });
  const allocs = base.filter((e): e is AllocEvent => e.type === 'alloc');
  allocs.forEach((attempted, i) => {
    const faulty: Scenario = { ...scenario, faults: [{ kind: 'alloc', nth: i + 1, level: null }] };
    const full: WalkEvent[] = events(faulty);
    assert.deepEqual(full.slice(0, attempted.seq), base.slice(0, attempted.seq), `alloc ${i + 1}: the prefix`);
    assert.deepEqual(allocFailureTail(faulty, attempted), full.slice(attempted.seq), `${scenario.name}: alloc ${i + 1} at event ${attempted.seq}`);
  });
  return allocs.length;
}

describe('a failed allocation: the way out, against the walker', () => {
  it('every allocation of every example', () => {
    let n = 0;
    for (const f of readdirSync(EXAMPLES).filter((x) => x.endsWith('.yaml'))) n += check(loadScenario(join(EXAMPLES, f)));
    assert.ok(n > 30, `${n} allocations`);
  });

  it('post_vma still runs on the way out (6.13 and 7.0)', () => {
    for (const kernel of ['6.13', '7.0']) {
      const scenario = parseScenario(`kernel: "${kernel}"
vmas: [{ start: 0x40000000, end: 0x40400000 }, { start: 0x40400000, end: 0x40800000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x40800000, ops: { install_pte: ok, post_vma: ok, pmd_entry: ok } }`);
      assert.equal(check(scenario), 6);
      const tail = allocFailureTail({ ...scenario, faults: [{ kind: 'alloc', nth: 4, level: null }] }, events(scenario).filter((e): e is AllocEvent => e.type === 'alloc')[3]!);
      assert.deepEqual(tail.map((e) => e.type), ['alloc_fail', 'post_vma', 'ret']);
    }
  });

  it('every allocation of generated walks (every kernel, geometry, API, post_vma rules, guard install)', () => {
    let n = 0;
    fc.assert(
      fc.property(arbScenario({ install: true, faults: false }), (s) => {
        n += check(parseScenario(s.text));
      }),
      { numRuns: 300 },
    );
    assert.ok(n > 20, `${n} allocations`);
  });
});
