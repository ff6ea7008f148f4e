// How far a walk that stopped early got, checked against its events for every
// example and the demo: "never reached" holds no address any event of the
// walk touched (the demo's pud_entry over 0x40000000-0x40002000 and the PMD
// table allocated there mean that range was reached), "stopped inside" is
// the entry the walker was in, touched but not finished, and "walked in
// full" ends where the last finished range does.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { abortSummary } from '../../src/replay/abort-summary.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { EXAMPLES } from '../helpers/paths.js';
import { openReplay, recordTo, tempDir } from '../helpers/recording.js';

const { dir, cleanup } = tempDir('walkback-reach-');
after(cleanup);

/** The addresses an event touches, [start, end), by its own fields. */
function touched(e: WalkEvent, page: number): [number, number] | null {
  const f = e as unknown as Record<string, unknown>;
  if (e.type === 'walk' || e.type === 'vma' || e.type === 'vma_enter' || e.type === 'zap' || e.type === 'state') return null;
  if (typeof f.start === 'number' && typeof f.end === 'number') return [f.start, f.end];
  if (typeof f.addr === 'number') return [f.addr, f.addr + page];
  return null;
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

describe('how far a walk got', () => {
  it('the demo reached 0x40000000-0x40002000: it stopped inside it, at its pmd entry', async () => {
    const { recording, replay } = openReplay((await recordTo(dir, loadScenario(`${EXAMPLES}demo.yaml`))).file);
    try {
      const s = abortSummary(replay);
      assert.equal(s.reached, 0x40000000);
      assert.deepEqual(s.stoppedIn, { level: 'pmd', start: 0x40000000, end: 0x40002000 });
      assert.equal(s.unreached, null);
    } finally {
      recording.close();
    }
  });

  for (const file of files) {
    it(`${file}: never reached is untouched, stopped inside is touched`, async () => {
      const scenario = loadScenario(`${EXAMPLES}${file}`);
      const { recording, replay } = openReplay((await recordTo(dir, scenario)).file);
      try {
        const s = abortSummary(replay);
        const last = s.walks[s.walks.length - 1];
        if (!last) return;
        const walkEvents = [...recording.events(last.seq, recording.length)];
        const ranges = walkEvents.map((e) => touched(e, scenario.geometry.pageSize)).filter((r): r is [number, number] => r !== null);
        if (s.outcome === 'completed' || s.outcome === 'in progress') {
          assert.equal(s.unreached, null);
          assert.equal(s.stoppedIn, null);
          return;
        }
        if (s.unreached) {
          const [lo, hi] = s.unreached;
          for (const [a, b] of ranges) assert.ok(b <= lo || a >= hi, `an event touches ${a.toString(16)}-${b.toString(16)} inside "never reached" ${lo.toString(16)}-${hi.toString(16)}`);
        }
        if (s.stoppedIn) {
          const { start, end } = s.stoppedIn;
          assert.ok(start >= (s.reached ?? 0) && start < end && end <= last.end);
          assert.ok(ranges.some(([a, b]) => a < end && start < b), `an event touches "stopped inside" ${start.toString(16)}-${end.toString(16)}`);
          if (s.unreached) assert.equal(s.unreached[0], end);
        }
      } finally {
        recording.close();
      }
    });
  }
});
