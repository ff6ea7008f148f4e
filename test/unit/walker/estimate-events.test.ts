// SPDX-License-Identifier: GPL-2.0-only
// The event count a scenario's run makes, counted without walking
// (estimateEvents), held to the walker's own count: equal when it says
// exact, never below when it says upper bound; and the size of a recording
// it gives, held to real recordings.
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { estimateRecordingBytes } from '../../../src/recorder/estimate-size.js';
import { loadScenario, parseScenario } from '../../../src/scenario/load-scenario.js';
import type { Scenario } from '../../../src/scenario/scenario.js';
import { estimateEvents } from '../../../src/walker/estimate-events.js';
import type { EventEstimate } from '../../../src/walker/estimate-events.js';
import { runScenario } from '../../../src/walker/run.js';
import { arbScenario, withFaults } from '../../helpers/arbitrary.js';
import { EXAMPLES } from '../../helpers/paths.js';
import { recordTo, tempDir } from '../../helpers/recording.js';

const { dir, cleanup } = tempDir('walkback-estimate-');
after(cleanup);

/** The walker's count, and the allocations it attempted. */
function actual(scenario: Scenario): { events: number; allocations: number } {
  let events = 0;
  let allocations = 0;
  runScenario(scenario, () => events++, { faultPoints: (p) => (p.kind === 'alloc' ? allocations++ : 0) });
  return { events, allocations };
}

/** The tolerance: none for an exact count; an upper bound must not be below. */
function holds(estimate: EventEstimate, events: number): boolean {
  return estimate.bound === 'exact' ? estimate.events === events : estimate.events >= events;
}

const scenario = (yaml: string) => parseScenario(yaml);

describe('estimateEvents against the walker', () => {
  it('every example: exact where it says so, an upper bound otherwise', () => {
    let exact = 0;
    for (const name of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))) {
      const s = loadScenario(`${EXAMPLES}${name}`);
      const e = estimateEvents(s);
      const real = actual(s);
      assert.ok(holds(e, real.events), `${name}: estimated ${e.bound} ${e.events}, walked ${real.events} (${e.why})`);
      if (e.bound === 'exact') {
        exact++;
        // A sweep's failure points are the allocations: exact too.
        assert.equal(e.allocations, real.allocations, `${name}: allocations`);
      } else assert.ok(e.why, `${name}: an upper bound says why`);
    }
    assert.ok(exact >= 20, `only ${exact} examples counted exactly`);
  });

  it('generated scenarios (rules, presets, faults, every geometry and kernel)', () => {
    fc.assert(
      fc.property(arbScenario({ install: true, faults: true }), (generated) => {
        const s = parseScenario(generated.text);
        const e = estimateEvents(s);
        const real = actual(s);
        assert.ok(holds(e, real.events), `estimated ${e.bound} ${e.events}, walked ${real.events} (${e.why})\n${generated.text}`);
      }),
      { numRuns: 1500 },
    );
  });

  it('generated scenarios without rules or faults are counted exactly', () => {
    fc.assert(
      fc.property(arbScenario({ install: true }), fc.constantFrom('guard-install', 'guard-remove'), (generated, preset) => {
        const data = structuredClone(generated.data) as { walk: { ops: unknown }; faults?: unknown };
        data.walk.ops = { preset };
        delete data.faults;
        let s: Scenario;
        try {
          s = parseScenario(JSON.stringify(data));
        } catch {
          return; // a preset the scenario's kernel does not have
        }
        const e = estimateEvents(s);
        assert.equal(e.bound, 'exact');
        assert.equal(e.events, actual(s).events, JSON.stringify(data));
      }),
      { numRuns: 800 },
    );
  });

  it('an injected fault makes it an upper bound, which holds', () => {
    fc.assert(
      fc.property(arbScenario({ install: true }), fc.integer({ min: 1, max: 40 }), fc.constantFrom('alloc', 'pte_map'), (generated, nth, kind) => {
        const s = parseScenario(withFaults(generated, [{ [kind]: nth }]));
        const e = estimateEvents(s);
        assert.equal(e.bound, 'upper');
        assert.ok(e.events >= actual(s).events);
      }),
      { numRuns: 300 },
    );
  });

  it('a guard install over all of x86_64 user space: the count an independent computation gives, in milliseconds', () => {
    const s = scenario(`name: all
vmas: [{ start: 0x0, end: 0x7ffffffff000 }]
walk: { api: walk_page_range_mm, start: 0x1000, end: 0x7ffffffff000, ops: { preset: guard-install } }
`);
    const e = estimateEvents(s);
    // Every pgd slot of user space (256) gets a pud table, every pud slot (256 x 512) a pmd table and a pud_entry call,
    // every pmd slot a pte table and a pmd_entry call, every page install_pte and set_pte; plus vma, walk, vma_enter, ret, client_ret.
    const pages = (0x7ffffffff000 - 0x1000) / 0x1000;
    const pudSlots = 256 * 512;
    const pmdSlots = pudSlots * 512;
    assert.deepEqual([e.events, e.bound], [5 + 256 + 2 * pudSlots + 2 * pmdSlots + 2 * pages, 'exact']);
    assert.equal(e.allocations, 256 + pudSlots + pmdSlots);
  });

  it('a guard install that meets present pages: the walk to the first, the zap, and the second walk', () => {
    // 3 present pages in the middle of a 64 MiB range: the first walk stops at the first, the zap clears them, the second installs everything.
    const s = scenario(`vmas: [{ start: 0x40000000, end: 0x44000000 }]
state: [{ kind: pte, at: 0x42000000, count: 3 }, { kind: thp-pmd, at: 0x43000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x44000000, ops: { preset: guard-install } }
`);
    const e = estimateEvents(s);
    assert.equal(e.bound, 'exact');
    assert.equal(e.events, actual(s).events);
  });

  it('hugetlb VMAs, pfnmap VMAs and test_walk, with rules that skip what would stop the walk', () => {
    for (const yaml of [
      `vmas: [{ start: 0x40000000, end: 0x80000000, hugetlb: 2M }, { start: 0x80000000, end: 0x80400000 }]
state: [{ kind: hugetlb, at: 0x40200000 }]
walk: { api: walk_page_range, start: 0x40000000, end: 0x80400000, ops: { hugetlb_entry: ok, pte_hole: ok, pmd_entry: ok } }`,
      `kernel: "7.0"
vmas: [{ start: 0x40000000, end: 0x80000000, hugetlb: 1G }, { start: 0x80000000, end: 0x80400000 }]
state: [{ kind: pte, at: 0x80001000, count: 1 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80400000, ops: { test_walk: [{ at: 0x40000000, return: 1 }], install_pte: ok } }`,
      `vmas: [{ start: 0x400000, end: 0x800000, pfnmap: true }, { start: 0x800000, end: 0xc00000 }]
state: [{ kind: pte, at: 0x500000, count: 2 }]
walk: { api: walk_page_range_mm, start: 0x400000, end: 0xc00000, ops: { test_walk: ok, pmd_entry: [{ in: [0x400000, 0x600000], action: continue }], install_pte: ok } }`,
    ]) {
      const s = scenario(yaml);
      const e = estimateEvents(s);
      assert.ok(holds(e, actual(s).events), `${yaml}\n-> ${e.bound} ${e.events}, walked ${actual(s).events}`);
    }
  });
});

describe('estimateRecordingBytes against real recordings', () => {
  // Within 25% (and 16 KiB): the file's size depends on how well its chunks compress.
  for (const [name, yaml] of [
    ['the demo', null],
    ['a 512 MiB guard install', `vmas: [{ start: 0x40000000, end: 0x80000000 }]\nwalk: { api: walk_page_range_mm, start: 0x40000000, end: 0x60000000, ops: { preset: guard-install } }`],
    ['pte_entry over 512 MiB of present pages', `vmas: [{ start: 0x40000000, end: 0x80000000 }]\nstate: [{ kind: pte, at: 0x40000000, count: 131072 }]\nwalk: { start: 0x40000000, end: 0x60000000, ops: { pmd_entry: ok, pte_entry: ok } }`],
    ['a guard remove over 512 MiB of markers', `vmas: [{ start: 0x40000000, end: 0x80000000 }]\nstate: [{ kind: guard, at: 0x40000000, count: 131072 }]\nwalk: { api: walk_page_range_mm, start: 0x40000000, end: 0x60000000, ops: { preset: guard-remove } }`],
  ] as const) {
    it(name, async () => {
      const s = yaml === null ? loadScenario(`${EXAMPLES}demo.yaml`) : scenario(yaml);
      const estimate = estimateRecordingBytes(estimateEvents(s), s.geometry, Buffer.byteLength(s.source));
      const { file } = await recordTo(dir, s);
      const size = statSync(file).size;
      assert.ok(Math.abs(estimate - size) <= 0.25 * size + 16 * 1024, `estimated ${estimate} bytes, recorded ${size}`);
    });
  }
});
