// A sweep's outcomes and their grouping, checked against an independent
// computation: each fault run live, its return value and failure read from
// its events, and what it left behind and destroyed read from the live page
// tables (not from the recording, the reducer or the abort summary).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { ENTRY_NAMES } from '../../src/events/walk-event.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { groupOutcomes, guardsOutside } from '../../src/sweep/outcomes.js';
import type { RunOutcome } from '../../src/sweep/outcomes.js';
import { faultAt, recordSweep } from '../../src/sweep/record-sweep.js';
import { sweepReport } from '../../src/sweep/sweep-report.js';
import { foldEvents, initialState } from '../../src/replay/walk-state.js';
import type { PageTables } from '../../src/mm/page-tables.js';
import { runScenario } from '../../src/walker/run.js';
import { lostBetween } from '../helpers/lost.js';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';

const { dir, cleanup } = tempDir('walkback-outcomes-');
after(cleanup);
let n = 0;

/** Tables from the walker's own dump: 'level base' -> entry kinds by index. */
function parseDump(lines: readonly string[]): Map<string, Map<number, number>> {
  const tables = new Map<string, Map<number, number>>();
  for (const line of lines) {
    const [level, base, entries = ''] = line.split(' ');
    const map = new Map<number, number>();
    for (const e of entries.split(',').filter(Boolean)) {
      const [i, kind] = e.split(':').map(Number);
      map.set(i!, kind!);
    }
    tables.set(`${level} ${base}`, map);
  }
  return tables;
}

interface Independent {
  readonly key: string;
  readonly ret: number | null;
  readonly stop: string;
  /** What the run destroyed, by kind, from the tables before the walk and at its end. */
  readonly destroyed: Record<string, number>;
}

function independentOutcome(scenario: Scenario): Independent {
  const events: WalkEvent[] = [];
  let before: string[] | null = null;
  let last: string[] = [];
  let tablesBefore: PageTables | null = null;
  const { mm: tablesAfter } = runScenario(scenario, (e) => events.push(e), {
    inspect: (e, mm) => {
      if (e.type === 'walk' && before === null) {
        before = mm.dump();
        tablesBefore = mm.flatten();
      }
      last = mm.dump();
    },
  });
  const lost = lostBetween(tablesBefore!, tablesAfter);
  const destroyed: Record<string, number> = { ...(lost.present ? { present: lost.present } : {}), ...lost.huge, ...(lost.guard ? { guard: lost.guard } : {}) };
  const lastOf = (type: string) => [...events].reverse().find((e) => e.type === type) as { value?: number } | undefined;
  const ret = lastOf('client_ret')?.value ?? lastOf('ret')?.value ?? null;
  const fail = events.find((e) => e.type === 'alloc_fail') as { level: string } | undefined;
  const stop = fail ? `alloc_fail ${fail.level}` : 'completed';
  const was = parseDump(before ?? []);
  const now = parseDump(last);
  const empty: Record<string, number> = {};
  const kinds = new Set<string>();
  for (const [key, entries] of now) {
    const level = key.split(' ')[0]!;
    if (!was.has(key) && entries.size === 0) empty[level] = (empty[level] ?? 0) + 1;
    const old = was.get(key);
    for (const [i, kind] of entries) if (kind >= 2 && old?.get(i) !== kind) kinds.add(ENTRY_NAMES[kind]!);
  }
  return { key: JSON.stringify([ret, stop, Object.entries(empty).sort(), [...kinds].sort(), Object.keys(destroyed).sort()]), ret, stop, destroyed };
}

const guardScenarios = [
  loadScenario(join(EXAMPLES, 'demo.yaml')),
  loadScenario(join(EXAMPLES, 'guard-install-zap-retry.yaml')),
  loadScenario(join(EXAMPLES, 'guard-install-thp-partial.yaml')),
  loadScenario(join(EXAMPLES, 'la57-install-near-top.yaml')),
  loadScenario(join(EXAMPLES, 'i386-install-across-4m.yaml')),
  loadScenario(join(EXAMPLES, 'i386-guard-install-thp-4m.yaml')),
  loadScenario(join(EXAMPLES, 'guard-install-thp-whole.yaml')),
  loadScenario(join(EXAMPLES, 'guard-install-over-pud-thp.yaml')),
  parseScenario(`name: zap-between-allocs
arch: x86_64
vmas: [{ start: 0x400000, end: 0xc00000 }]
state: [{ kind: pte, at: 0x400000 }, { kind: pte, at: 0x800000 }]
walk: { api: walk_page_range_mm, start: 0x5fe000, end: 0xa01000, ops: { preset: guard-install } }`),
  parseScenario(`name: across-pud
arch: x86_64
vmas: [{ start: 0x3fc00000, end: 0x40400000 }]
state: [{ kind: pte, at: 0x3fc00000 }]
walk: { api: walk_page_range_mm, start: 0x3fc00000, end: 0x40400000, ops: { preset: guard-install } }`),
];

describe('sweep outcomes, grouped', () => {
  for (const scenario of guardScenarios) {
    it(`${scenario.name}: the groups are the partition an independent computation gives`, async () => {
      const file = join(dir, `o${n++}.db`);
      const sweep = await recordSweep(scenario, file, { walkbackVersion: 'test' });
      const report = sweepReport(file);
      assert.equal(report.runs.length, sweep.runs.length - 1);
      const expected = new Map<string, string[]>();
      const byLabel = new Map<string, Independent>();
      for (const run of sweep.runs.slice(1)) {
        const o = independentOutcome({ ...scenario, faults: [faultAt(run.point!)] });
        byLabel.set(run.label, o);
        expected.set(o.key, [...(expected.get(o.key) ?? []), run.label]);
      }
      const partition = (groups: Iterable<readonly string[]>) => [...groups].map((g) => [...g].sort().join('|')).sort();
      assert.deepEqual(partition(report.groups.map((g) => g.labels)), partition(expected.values()));
      for (const group of report.groups) {
        const o = byLabel.get(group.labels[0]!)!;
        assert.equal(group.ret, o.ret, group.description);
        assert.equal(group.stop, o.stop, group.description);
      }
      // What each run destroyed, counted.
      for (const run of report.runs) assert.deepEqual(run.destroyed, byLabel.get(run.label)!.destroyed, run.label);
      const counted = report.groups.reduce((sum, g) => sum + g.runs.length, 0);
      assert.equal(counted, report.runs.length);
      // The fault-free base stands apart, as the live fault-free run ends.
      const base = independentOutcome({ ...scenario, faults: [] });
      assert.equal(report.base.ret, base.ret);
      assert.deepEqual(report.base.destroyed, base.destroyed);
    });
  }
});

describe('expectations', () => {
  const demo = (expect: string) => `${loadScenario(join(EXAMPLES, 'demo.yaml')).source.replace(/faults:[\s\S]*$/, '')}expect: ${expect}\n`;

  async function reportOf(text: string) {
    const scenario = parseScenario(text, 'demo-expect.yaml');
    const file = join(dir, `e${n++}.db`);
    await recordSweep(scenario, file, { walkbackVersion: 'test' });
    return sweepReport(file);
  }

  it('no_empty_tables flags exactly the runs that leave an allocated table empty', async () => {
    const report = await reportOf(demo('{ no_empty_tables: true }'));
    // alloc 3 fails the PTE table below the new PMD table of 1G-2G: the PMD table stays, empty.
    assert.deepEqual(
      report.runs.filter((r) => r.violations.length).map((r) => r.label),
      ['alloc 3'],
    );
    assert.match(report.runs[2]!.violations[0]!, /leaves 1 empty pmd table behind/);
    assert.deepEqual(report.base.violations, []);
    const flagged = report.groups.filter((g) => g.violations.length);
    assert.deepEqual(flagged.map((g) => g.labels), [['alloc 3']]);
  });

  it('ret lists the values allowed; -ENOMEM breaks ret: 0 and meets ret: [0, -12]', async () => {
    const strict = await reportOf(demo('{ ret: 0 }'));
    assert.equal(strict.runs.filter((r) => r.violations.length).length, strict.runs.length);
    assert.match(strict.runs[0]!.violations[0]!, /returns -12, not 0/);
    const lenient = await reportOf(demo('{ ret: [0, -12] }'));
    assert.equal(lenient.runs.filter((r) => r.violations.length).length, 0);
    assert.deepEqual(lenient.expectations, ['return value 0 or -12']);
  });

  it('no_guard_outside_range: only markers the walk put outside its range count', () => {
    const scenario = parseScenario(`arch: x86_64
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: guard, at: 0x400000 }]
walk: { api: walk_page_range_mm, start: 0x401000, end: 0x403000, ops: { preset: guard-install } }`);
    const events: WalkEvent[] = [];
    runScenario(scenario, (e) => events.push(e));
    const walkSeq = events.findIndex((e) => e.type === 'walk');
    const before = foldEvents(initialState(scenario.geometry), events.slice(0, walkSeq));
    const afterWalk = foldEvents(before, events.slice(walkSeq));
    // The marker at 0x400000 was there before: not the walk's.
    assert.deepEqual(guardsOutside(before, afterWalk, 0x401000, 0x403000), { count: 0, first: null });
    // Against an empty start, it is outside the range [0x401000, 0x403000).
    assert.deepEqual(guardsOutside(initialState(scenario.geometry), afterWalk, 0x401000, 0x403000), { count: 1, first: 0x400000 });
    // And a narrower range leaves the walk's own second marker outside it.
    assert.deepEqual(guardsOutside(before, afterWalk, 0x401000, 0x402000), { count: 1, first: 0x402000 });
  });
});

describe('grouping many runs', () => {
  it('300,000 runs of one outcome: the counts and stop addresses that vary are ranges (no spread of the runs onto the stack)', () => {
    const runs = 300_000;
    const outcomes: RunOutcome[] = Array.from({ length: runs }, (_, i) => ({
      run: i + 1, label: `alloc ${i + 1}`, point: { kind: 'alloc', nth: i + 1, seq: 2 * i }, events: 2 * i + 3, outcome: 'aborted', ret: -12,
      stop: 'alloc_fail pte', stopSeq: 2 * i, stopAddr: 0x40000000 + i * 0x200000, allocated: { pte: i }, empty: {}, installed: { guard: 1 + ((i * 7) % 1000) }, destroyed: { present: 1 + (i % 5) },
      violations: [], groupViolations: [],
    }));
    const groups = groupOutcomes(outcomes);
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0]!.installed, { guard: [1, 1000] });
    assert.deepEqual(groups[0]!.destroyed, { present: [1, 5] });
    assert.deepEqual(groups[0]!.stopAddrs, [0x40000000, 0x40000000 + (runs - 1) * 0x200000]);
    assert.equal(groups[0]!.runs.length, runs);
  });
});
