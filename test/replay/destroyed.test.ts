// SPDX-License-Identifier: GPL-2.0-only
// What a run destroyed (the abort summary's `destroyed`, and a sweep's), checked against an
// independent computation: the walker's own page tables before the first walk and at the
// moment asked about, compared page by page (not the events, the reducer or the notable index).
// A page mapped before (a present PTE, or inside a huge entry) and not mapped now is lost; a
// huge entry none of whose pages is mapped now was destroyed whole, and the lost pages of one
// that is still partly mapped (split into PTEs, then zapped in part) are present PTEs destroyed.
// Guard markers there before and gone now were destroyed too.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LevelIndex, WalkEvent } from '../../src/events/walk-event.js';
import { Entry } from '../../src/events/walk-event.js';
import { ownerLevel } from '../../src/mm/geometry.js';
import type { PageTables } from '../../src/mm/page-tables.js';
import { abortSummary } from '../../src/replay/abort-summary.js';
import { MemoryLog } from '../../src/replay/event-log.js';
import { Replay } from '../../src/replay/replay.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { recordSweep } from '../../src/sweep/record-sweep.js';
import { sweepReport } from '../../src/sweep/sweep-report.js';
import { formatSummary, summaryJson } from '../../src/views/show/show.js';
import { formatSweepReport, sweepJson } from '../../src/views/sweep/format-sweep.js';
import { runScenario } from '../../src/walker/run.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { isHuge, lostBetween, mapped } from '../helpers/lost.js';
import { tempDir } from '../helpers/recording.js';

const { dir, cleanup } = tempDir('walkback-destroyed-');
after(cleanup);

/** Pages mapped before and not now, in bytes. */
function lostBytes(before: PageTables, now: PageTables): number {
  const g = before.g;
  let pages = 0;
  const seen = new Set<number>();
  for (let t = 0; t < 5; t++) {
    if (!g.real[t]) continue;
    const owner = ownerLevel(g, t as LevelIndex);
    const size = g.entrySize[t]!;
    before.forEachTable(t as LevelIndex, (base, table) =>
      table.forEach((kind, i) => {
        const addr = base + i * size;
        const span = owner === 4 && kind === Entry.PRESENT ? g.pageSize : owner < 4 && isHuge(kind) ? size : 0;
        for (let p = addr; p < addr + span; p += g.pageSize) if (!seen.has(p) && (seen.add(p), !mapped(now, p))) pages++;
      }),
    );
  }
  return pages * g.pageSize;
}

/** The run, with the walker's tables before the first walk and after event `at`. */
function tablesAround(scenario: Scenario, at: number): { events: WalkEvent[]; before: PageTables | null; then: PageTables | null } {
  const events: WalkEvent[] = [];
  let before: PageTables | null = null;
  let then: PageTables | null = null;
  runScenario(scenario, (e) => events.push(e), {
    inspect: (e, mm) => {
      if (e.type === 'walk' && before === null) before = mm.flatten();
      // Only once the walk has begun: the set-up is not something the run destroyed.
      if (e.seq === at && before !== null) then = mm.flatten();
    },
  });
  return { events, before, then };
}

function check(scenario: Scenario, pick: number): void {
  const first = runScenario(scenario, () => {});
  if (first.events === 0) return;
  const at = pick % first.events;
  const { events, before, then } = tablesAround(scenario, at);
  if (!before || !then) return; // no walk yet at that event
  const summary = abortSummary(new Replay(new MemoryLog(scenario.geometry, events)), at);
  const want = lostBetween(before, then);
  const huge: Record<string, number> = {};
  for (const h of summary.destroyed.huge) huge[`huge ${h.level}`] = (huge[`huge ${h.level}`] ?? 0) + 1;
  assert.deepEqual({ present: summary.destroyed.present, guard: summary.destroyed.guard, huge }, want, `at ${at}`);
  assert.equal(summary.destroyed.bytes, lostBytes(before, then), `bytes at ${at}`);
}

describe('what a run destroyed', () => {
  it('is what disappeared from the walker\'s own tables, for random scenarios (presets included), at the end and half way', () => {
    fc.assert(
      fc.property(arbScenario({ kernels: ['6.13', '7.0'] }), fc.nat(), (s, pick) => {
        const scenario = parseScenario(s.text);
        check(scenario, pick);
        check(scenario, Number.MAX_SAFE_INTEGER - 1); // near the end, whatever the length
      }),
      { numRuns: 300 },
    );
  });

  const examples = [
    'guard-install-thp-whole',
    'guard-install-thp-partial',
    'guard-install-over-pud-thp',
    'guard-install-zap-retry',
    'i386-guard-install-thp-4m',
    'pfnmap-thp-split-map-fails',
    'split-pud-then-hole',
    'guard-remove-sparse',
  ];
  for (const name of examples) {
    it(`${name}: at every event`, () => {
      const scenario = loadScenario(join(EXAMPLES, `${name}.yaml`));
      const n = runScenario(scenario, () => {}).events;
      for (let at = 0; at < n; at += Math.max(1, Math.floor(n / 60))) check(scenario, at);
      check(scenario, n - 1);
    });
  }

  it('says it in show and show --json: a guard install over exactly one THP destroys it', () => {
    const scenario = loadScenario(join(EXAMPLES, 'guard-install-thp-whole.yaml'));
    const events: WalkEvent[] = [];
    runScenario(scenario, (e) => events.push(e));
    const summary = abortSummary(new Replay(new MemoryLog(scenario.geometry, events)));
    const zapClear = events.find((e) => e.type === 'clear')!;
    assert.ok(formatSummary(summary).includes('  destroyed: 1 huge pmd (2M)'));
    assert.deepEqual((summaryJson(summary) as { destroyed: unknown }).destroyed, {
      present: 0,
      guard: 0,
      huge: [{ seq: zapClear.seq, level: 'pmd', start: '0x600000', end: '0x800000', event: 'clear' }],
      bytes: 2 ** 21,
    });
  });
});

describe('what a sweep point destroyed', () => {
  it('a failed install that had already zapped a whole THP says so, beside "left behind: nothing"', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'guard-install-thp-whole.yaml'));
    const file = join(dir, 'whole.db');
    await recordSweep(scenario, file, { walkbackVersion: 'test' });
    const report = sweepReport(file);
    const [group] = report.groups;
    assert.equal(report.groups.length, 1);
    assert.equal(group!.description, 'ret -12, stopped at alloc_fail pte; destroyed: huge pmd entries; left behind: nothing');
    assert.deepEqual(group!.destroyed, { 'huge pmd': [1, 1] });
    assert.deepEqual(report.runs[0]!.destroyed, { 'huge pmd': 1 });
    const text = formatSweepReport(report, '1 KiB').join('\n');
    assert.match(text, /empty tables left: none; PTEs installed: none; destroyed: 1 huge pmd\n/);
    assert.match(text, /^fault-free: .*; destroyed: 1 huge pmd$/m);
    const json = sweepJson(report, 0) as { runs: { destroyed: unknown }[]; groups: { destroyed: unknown }[] };
    assert.deepEqual(json.runs[0]!.destroyed, { 'huge pmd': 1 });
    assert.deepEqual(json.groups[0]!.destroyed, { 'huge pmd': { min: 1, max: 1 } });
  });

  it('groups points apart by what they destroyed: before the zap nothing, after it the zapped PTE', async () => {
    // Walk 1 allocates the PTE table above 6M (alloc 1), then meets the present PTE at 8M: ret 1.
    // The zap clears it; walk 2 goes on to 10M and allocates the PTE table there (alloc 2).
    const scenario = parseScenario(`name: zap-between-allocs
arch: x86_64
vmas: [{ start: 0x400000, end: 0xc00000 }]
state: [{ kind: pte, at: 0x400000 }, { kind: pte, at: 0x800000 }]
walk: { api: walk_page_range_mm, start: 0x5fe000, end: 0xa01000, ops: { preset: guard-install } }`);
    const file = join(dir, 'zap.db');
    await recordSweep(scenario, file, { walkbackVersion: 'test' });
    const report = sweepReport(file);
    assert.deepEqual(report.runs.map((r) => r.label), ['alloc 1', 'alloc 2']);
    for (const run of report.runs) {
      const faulty = { ...scenario, faults: [{ kind: 'alloc' as const, nth: run.point!.nth, level: null }] };
      const n = runScenario(faulty, () => {}).events;
      const { before, then } = tablesAround(faulty, n - 1);
      const want = lostBetween(before!, then!);
      assert.deepEqual(run.destroyed, want.present ? { present: want.present } : {}, run.label);
    }
    assert.deepEqual(
      report.groups.map((g) => [g.labels, g.description]),
      [
        [['alloc 1'], 'ret -12, stopped at alloc_fail pte; left behind: guard PTEs'],
        [['alloc 2'], 'ret -12, stopped at alloc_fail pte; destroyed: present PTEs; left behind: guard PTEs'],
      ],
    );
  });
});
