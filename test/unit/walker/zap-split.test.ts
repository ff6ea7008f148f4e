// SPDX-License-Identifier: GPL-2.0-only
// A guard install whose zap covers a huge entry only in part. The split is made by
// zap_pmd_range()/zap_pud_range() in mm/memory.c, not by mm/pagewalk.c, so a kernel with a
// printk at each of the walker's split sites prints `zap S E` and then the next walk, with no
// split line (spec: the `zap` and `split_pmd`/`split_pud` rows). The split is still an event
// (zap_split, no trace line), so the page tables rebuilt from the events are the walker's.
// Every geometry that has the huge entry, on 6.13 and 7.0.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { WalkEvent } from '../../../src/events/walk-event.js';
import { Entry } from '../../../src/events/walk-event.js';
import { ARCHES, geometryOf, hex } from '../../../src/mm/geometry.js';
import { abortSummary } from '../../../src/replay/abort-summary.js';
import { MemoryLog } from '../../../src/replay/event-log.js';
import { Replay } from '../../../src/replay/replay.js';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import { runScenario } from '../../../src/walker/run.js';
import { openReplay, recordTo, tempDir } from '../../helpers/recording.js';
import { traceOf } from '../../helpers/run.js';

const { dir, cleanup } = tempDir();
after(cleanup);

interface Case {
  readonly arch: (typeof ARCHES)[number];
  readonly kernel: '6.13' | '7.0';
  readonly level: 'pmd' | 'pud';
  /** The huge entry's address and size. */
  readonly at: number;
  readonly size: number;
  readonly page: number;
}

const cases: Case[] = [];
for (const arch of ARCHES) {
  const g = geometryOf(arch);
  for (const kernel of ['6.13', '7.0'] as const) {
    if (g.hugePmd) cases.push({ arch, kernel, level: 'pmd', at: 4 * g.hugePmd, size: g.hugePmd, page: g.pageSize });
    if (g.hugePud) cases.push({ arch, kernel, level: 'pud', at: 2 * g.hugePud, size: g.hugePud, page: g.pageSize });
  }
}

function scenarioText(c: Case): string {
  const start = c.at + c.page;
  return `
arch: ${c.arch}
kernel: "${c.kernel}"
vmas: [{ start: ${hex(c.at)}, end: ${hex(c.at + 2 * c.size)}, thp: true }]
state: [{ kind: thp-${c.level}, at: ${hex(c.at)} }]
walk: { api: walk_page_range_mm, start: ${hex(start)}, end: ${hex(start + 2 * c.page)}, ops: { preset: guard-install } }`;
}

/**
 * The kernel's trace, from mm/pagewalk.c and madvise_guard_install() (6.13 and 7.0 alike here).
 * Walk 1: pud_entry (a folded pud is never huge to it), then on a PMD THP pmd_entry, which returns 1
 * on the huge entry: ret 1. The zap, and no split line. Walk 2: an anonymous PMD THP was split into
 * its deposited table, so pmd_entry finds a table; a PUD THP was cleared, so its pmd and pte tables are
 * allocated first. Then the two PTEs the zap cleared get markers.
 */
function kernelTrace(c: Case): string[] {
  const s = c.at + c.page;
  const e = s + 2 * c.page;
  const range = `${hex(s)} ${hex(e)}`;
  const walk = `walk walk_page_range_mm ${range}`;
  const installs = [0, 1].flatMap((i) => [`install_pte ${hex(s + i * c.page)} ${hex(s + (i + 1) * c.page)}`, `set_pte ${hex(s + i * c.page)}`]);
  const first = c.level === 'pmd' ? [walk, `pud_entry ${range}`, `pmd_entry ${range}`, 'ret 1'] : [walk, `pud_entry ${range}`, 'ret 1'];
  const second =
    c.level === 'pmd'
      ? [walk, `pud_entry ${range}`, `pmd_entry ${range}`]
      : [walk, `alloc pmd ${hex(s)}`, `pud_entry ${range}`, `alloc pte ${hex(s)}`, `pmd_entry ${range}`];
  return [...first, `zap ${range}`, ...second, ...installs, 'ret 0', 'ret 0'];
}

function liveRun(c: Case): { events: WalkEvent[]; dump: string[] } {
  const out: WalkEvent[] = [];
  const result = runScenario(parseScenario(scenarioText(c)), (e) => out.push(e));
  return { events: out, dump: result.mm.dump() };
}

describe('a partial zap of a huge entry prints no split line', () => {
  for (const c of cases) {
    const name = `${c.arch} ${c.kernel}, ${c.level.toUpperCase()} THP of ${hex(c.size)}`;

    it(`${name}: the trace is the kernel's (zap, then straight to the next walk)`, () => {
      assert.deepEqual(traceOf(liveRun(c).events), kernelTrace(c));
    });

    it(`${name}: the split stays in the stream as a zap_split detail event, and replay rebuilds the tables`, () => {
      const { events, dump } = liveRun(c);
      const zap = events.findIndex((e) => e.type === 'zap');
      const nextWalk = events.findIndex((e, i) => i > zap && e.type === 'walk');
      const between = events.slice(zap + 1, nextWalk);
      const splits = between.filter((e) => e.type === 'zap_split');
      // An anonymous PMD THP becomes its deposited table of present PTEs; a PUD THP is cleared.
      assert.deepEqual(
        splits.map((e) => (e.type === 'zap_split' ? [e.level, e.addr, e.value] : null)),
        [[c.level, c.at + c.page, c.level === 'pmd' ? Entry.TABLE : Entry.NONE]],
      );
      assert.ok(!events.some((e) => e.type === 'split_pmd' || e.type === 'split_pud'), 'the walker itself splits nothing');
      const replay = new Replay(new MemoryLog(geometryOf(c.arch), events));
      assert.deepEqual(replay.stateAt(events.length - 1).tables.dump(), dump);
      const summary = abortSummary(replay);
      assert.deepEqual(
        summary.splits.map((x) => [x.seq, x.level, x.addr, x.by]),
        [[splits[0]!.seq, c.level, c.at + c.page, 'zap']],
      );
    });
  }

  it('a recording keeps the zap_split event, and its trace has no split line', async () => {
    const c = cases.find((x) => x.arch === 'x86_64' && x.level === 'pmd')!;
    const { events } = liveRun(c);
    const result = await recordTo(dir, parseScenario(scenarioText(c)), { chunkEvents: 8 });
    const { recording } = openReplay(result.file);
    try {
      const stored = [...recording.events()];
      assert.deepEqual(stored, events);
      assert.deepEqual(traceOf(stored), kernelTrace(c));
    } finally {
      recording.close();
    }
  });
});
