// Recording and replaying: what is read back is what was recorded, and the
// state rebuilt at any event is the state the live walk had at that event.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { abortSummary } from '../../src/replay/abort-summary.js';
import { MemoryLog } from '../../src/replay/event-log.js';
import { Replay } from '../../src/replay/replay.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import { runScenario } from '../../src/walker/run.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES, KERNEL_GOLDEN } from '../helpers/paths.js';
import { openReplay, recordTo, tempDir } from '../helpers/recording.js';
import { events, traceOf } from '../helpers/run.js';

const { dir, cleanup } = tempDir();
after(cleanup);

const scenarioFiles = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => `${EXAMPLES}${f}`),
  ...readdirSync(KERNEL_GOLDEN).filter((f) => f.endsWith('.yaml')).map((f) => `${KERNEL_GOLDEN}${f}`),
];

/** Live tables (dumps) after each event, captured while the walk runs. */
function liveDumps(scenario: ReturnType<typeof parseScenario>): { events: WalkEvent[]; dumps: string[][] } {
  const out: WalkEvent[] = [];
  const dumps: string[][] = [];
  runScenario(scenario, (e) => out.push(e), { inspect: (_, mm) => dumps.push(mm.dump()) });
  return { events: out, dumps };
}

describe('recording every example', () => {
  for (const file of scenarioFiles) {
    const name = file.split('/').pop()!.replace('.yaml', '');
    it(`${name}: the recording holds the live events, and its trace is the live trace`, async () => {
      const scenario = loadScenario(file);
      const live = events(scenario);
      const result = await recordTo(dir, scenario, { chunkEvents: 64 });
      const { recording, replay } = openReplay(result.file);
      try {
        assert.equal(recording.length, live.length);
        assert.deepEqual([...recording.events()], live);
        assert.deepEqual(traceOf([...recording.events()]), traceOf(live));
        const final = replay.stateAt(live.length - 1);
        assert.deepEqual(final.tables.dump(), runScenario(scenario, () => {}).mm.dump());
        assert.equal(recording.status(), result.status);
      } finally {
        recording.close();
      }
    });
  }
});

describe('replay properties', () => {
  it('stateAt at every checkpoint and at random events equals the live state at that event', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario(), fc.integer({ min: 3, max: 40 }), fc.array(fc.nat(), { minLength: 5, maxLength: 12 }), async (s, chunk, picks) => {
        const scenario = parseScenario(s.text);
        const { events: live, dumps } = liveDumps(scenario);
        const result = await recordTo(dir, scenario, { chunkEvents: chunk });
        const { recording, replay } = openReplay(result.file);
        try {
          const checkpoints = [];
          for (let c = chunk - 1; c < live.length; c += chunk) checkpoints.push(c);
          const targets = [...checkpoints, ...picks.map((p) => p % live.length), live.length - 1];
          // A fresh replay for each, and one replay reused in a random order (the cache paths).
          for (const n of targets) {
            assert.deepEqual(replay.stateAt(n).tables.dump(), dumps[n], `stateAt(${n})`);
          }
          assert.equal(replay.stateAt(-1).tables.dump().length, 1);
        } finally {
          recording.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stepping backward from N gives stateAt(N-1)', () => {
    fc.assert(
      fc.property(arbScenario(), fc.integer({ min: 2, max: 30 }), (s, every) => {
        const scenario = parseScenario(s.text);
        const live = events(scenario);
        const stepper = new Replay(new MemoryLog(scenario.geometry, live, every));
        const fresh = new Replay(new MemoryLog(scenario.geometry, live, every));
        stepper.stateAt(live.length - 1);
        for (let n = live.length - 1; n >= 0; n--) {
          const back = stepper.stateAt(n - 1);
          const direct = new Replay(new MemoryLog(scenario.geometry, live, every)).stateAt(n - 1);
          assert.deepEqual(back.tables.dump(), direct.tables.dump());
          assert.deepEqual({ ...back, tables: null }, { ...direct, tables: null });
        }
        assert.ok(fresh.length === live.length);
      }),
      { numRuns: 40 },
    );
  });

  it('the abort summary agrees with an independent computation from the events', () => {
    fc.assert(
      fc.property(arbScenario({ kernels: ['6.13', '7.0'] }), (s) => {
        const scenario = parseScenario(s.text);
        const live = events(scenario);
        const replay = new Replay(new MemoryLog(scenario.geometry, live, 16));
        const summary = abortSummary(replay);

        // Independently: walk the events once, by hand.
        const allocs = live.filter((e) => e.type === 'alloc');
        const installs = live.filter((e) => e.type === 'set_pte');
        // The walker's own splits and those a client's zap makes (zap_split) alike.
        const splits = live.filter((e) => e.type === 'split_pmd' || e.type === 'split_pud' || e.type === 'zap_split');
        const walks = live.filter((e) => e.type === 'walk');
        const rets = live.filter((e) => e.type === 'ret');
        const clientRet = live.find((e) => e.type === 'client_ret');
        assert.equal(summary.allocated.length, allocs.length);
        assert.deepEqual(
          summary.allocated.map((a) => [a.seq, a.level, a.addr]),
          allocs.map((e) => [e.seq, e.type === 'alloc' ? e.level : '', e.type === 'alloc' ? e.addr : 0]),
        );
        assert.equal(
          summary.installed.reduce((n, r) => n + r.count, 0),
          installs.length,
        );
        assert.deepEqual(summary.splits.map((x) => x.seq), splits.map((e) => e.seq));
        assert.equal(summary.walks.length, walks.length);
        // A walk that oopsed or livelocked never returned.
        assert.deepEqual(
          summary.walks.map((w) => w.ret),
          walks.map((_, i) => (rets[i]?.type === 'ret' ? (rets[i] as { value: number }).value : null)),
        );
        const last = live[live.length - 1]!;
        const expected =
          last.type === 'oops' ? 'oops' : last.type === 'livelock' ? 'livelock' : ((clientRet?.type === 'client_ret' ? clientRet.value : null) ?? (rets.at(-1)?.type === 'ret' ? (rets.at(-1) as { value: number }).value : null)) === 0 ? 'completed' : 'aborted';
        assert.equal(summary.outcome, expected);

        // An allocated table is empty when no entry below it is set at the end (checked on the live tables).
        const finalTables = runScenario(scenario, () => {}).mm;
        for (const a of summary.allocated) {
          const level = ['pgd', 'p4d', 'pud', 'pmd', 'pte'].indexOf(a.level) as 1 | 2 | 3 | 4;
          const table = finalTables.table(level, a.addr);
          assert.equal(a.empty, !table || table.every((v) => v === 0));
        }

        // How far it got: no callback, hole or install of the last walk lies beyond `reached`.
        const lastWalk = walks.at(-1);
        if (lastWalk && summary.reached !== null) {
          for (const e of live.filter((x) => x.seq > lastWalk.seq)) {
            if (e.type === 'pte_entry' || e.type === 'hole' || e.type === 'hugetlb_entry') assert.ok(e.end <= summary.reached!, `${e.type} at ${e.seq} ends beyond reached`);
            if (e.type === 'set_pte') assert.ok(e.addr < summary.reached!);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
