// Comparing two walks: where they part, and what their final tables differ in.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { MemoryLog } from '../../src/replay/event-log.js';
import { compareRuns } from '../../src/replay/compare-runs.js';
import type { RunSide } from '../../src/replay/compare-runs.js';
import { firstDivergence, sameEvent } from '../../src/replay/first-divergence.js';
import { Replay } from '../../src/replay/replay.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { arbScenario, withKernel } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { events } from '../helpers/run.js';

function side(scenario: Scenario, every = 16): RunSide {
  return { label: scenario.name, name: scenario.name, arch: scenario.arch, kernel: scenario.kernel, replay: new Replay(new MemoryLog(scenario.geometry, events(scenario), every)) };
}

/** The first index at which two event lists differ, by the events' JSON without their numbers. */
function naiveDivergence(a: readonly WalkEvent[], b: readonly WalkEvent[]): number | null {
  const key = (e: WalkEvent) => JSON.stringify({ ...e, seq: 0 });
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (key(a[i]!) !== key(b[i]!)) return i;
  return a.length === b.length ? null : Math.min(a.length, b.length);
}

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => loadScenario(join(EXAMPLES, f)));

const usesInstall = (s: Scenario) => JSON.stringify(s.walk.ops).includes('install') || JSON.stringify(s.walk.ops).includes('guard');

describe('walkback diff: where two walks part', () => {
  it('a scenario against itself: no divergence, no table difference', () => {
    for (const scenario of examples) {
      const c = compareRuns(side(scenario), side(scenario));
      assert.equal(c.divergence, null, scenario.name);
      assert.equal(c.tables!.entries, 0, scenario.name);
    }
  });

  it('6.12 against 6.13 without install_pte: no divergence (every example)', () => {
    let compared = 0;
    for (const scenario of examples.filter((s) => !usesInstall(s))) {
      const c = compareRuns(side({ ...scenario, kernel: '6.12' }), side({ ...scenario, kernel: '6.13' }));
      assert.equal(c.divergence, null, scenario.name);
      compared++;
    }
    assert.ok(compared >= 10, `${compared} examples without install_pte`);
  });

  it('6.12 against 6.13 without install_pte: no divergence (generated scenarios)', () => {
    fc.assert(
      fc.property(arbScenario({ kernels: ['6.12'], install: false }), (s) => {
        const a = parseScenario(withKernel(s, '6.12'));
        const b = parseScenario(withKernel(s, '6.13'));
        assert.equal(firstDivergence(side(a).replay.log, side(b).replay.log), null);
      }),
      { numRuns: 150 },
    );
  });

  it('install_pte alone against install_pte with pte_entry over a THP: they part at the split', () => {
    const text = (ops: string) => `arch: x86_64
kernel: "6.13"
vmas: [{ start: 0x400000, end: 0xa00000, thp: true }]
state: [{ kind: thp-pmd, at: 0x600000 }]
walk: { api: walk_page_range_mm, start: 0x5fe000, end: 0x602000, ops: ${ops} }`;
    const alone = parseScenario(text('{ install_pte: ok }'), 'alone.yaml');
    const withPte = parseScenario(text('{ install_pte: ok, pte_entry: ok }'), 'with-pte-entry.yaml');
    const a = side(alone);
    const b = side(withPte);
    const c = compareRuns(a, b);
    assert.notEqual(c.divergence, null);
    const ea = events(alone);
    const eb = events(withPte);
    assert.equal(c.divergence, naiveDivergence(ea, eb));
    // With a pte_entry the walker splits the THP; install_pte alone leaves it alone (the no-split rule).
    assert.equal(eb[c.divergence!]!.type, 'split_pmd');
    assert.equal((eb[c.divergence!] as { addr: number }).addr, 0x600000);
    assert.ok(!ea.some((e) => e.type === 'split_pmd'));
    // Up to there the two are the same walk.
    for (let i = 0; i < c.divergence!; i++) assert.ok(sameEvent(ea[i]!, eb[i]!), `event ${i}`);
    // And the tables differ where the THP was: a huge PMD in A, a table of present PTEs in B.
    const changed = c.tables!.changed.find((r) => r.level === 'pmd' && r.start === 0x600000);
    assert.ok(changed, JSON.stringify(c.tables));
    const row = c.context.find((r) => r.seq === c.divergence)!;
    assert.equal(row.b!.type, 'split_pmd');
  });

  it('agrees with a naive comparison on generated pairs (different kernels, faults, ops)', () => {
    fc.assert(
      fc.property(arbScenario({ install: true }), arbScenario({ install: true }), fc.constantFrom('6.12', '6.13', '7.0'), (s, t, kernel) => {
        const a = parseScenario(s.text);
        const other = parseScenario(t.text);
        const pairs: [Scenario, Scenario][] = [[a, other]];
        // The same walk on another kernel, when it is one there (6.12 has no install_pte and no walk_page_range_mm).
        try {
          pairs.push([a, parseScenario(withKernel(s, kernel as '6.12'))]);
        } catch (error) {
          if (!(error instanceof ScenarioError)) throw error;
        }
        for (const [x, y] of pairs) {
          if (x.arch !== y.arch) continue;
          const c = compareRuns(side(x, 8), side(y, 8));
          assert.equal(c.divergence, naiveDivergence(events(x), events(y)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a run that stops early: the divergence is where the shorter one ends', () => {
    const a = parseScenario(`vmas: [{ start: 0x400000, end: 0x600000 }]
walk: { start: 0x400000, end: 0x402000, ops: { pte_hole: ok } }`);
    const b = parseScenario(`vmas: [{ start: 0x400000, end: 0x600000 }]
walk: { start: 0x400000, end: 0x402000, ops: { pte_hole: ok, pmd_entry: ok } }`);
    const c = compareRuns(side(a), side(b));
    assert.equal(c.divergence, naiveDivergence(events(a), events(b)));
  });
});
