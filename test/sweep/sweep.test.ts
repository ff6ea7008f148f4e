// Sweeps: one run per failure point, each stored as a branch of the
// fault-free run, and each replaying exactly as a standalone recording of the
// same fault does, at every event.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { RecordingLog } from '../../src/replay/event-log.js';
import { Recording } from '../../src/replay/open-recording.js';
import { Replay } from '../../src/replay/replay.js';
import { toContext } from '../../src/replay/state-context.js';
import { foldEvents, initialState } from '../../src/replay/walk-state.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { faultAt, recordSweep } from '../../src/sweep/record-sweep.js';
import { EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { events, traceOf } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-sweep-');
after(cleanup);

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => loadScenario(join(EXAMPLES, f)));

let n = 0;
const sweepFile = () => join(dir, `sweep-${n++}.db`);

/** Everything a replay gives at an event: the event, the tables and the walker's context. */
function fingerprint(replay: Replay, seq: number): string {
  const state = replay.stateAt(seq);
  return JSON.stringify([seq >= 0 ? replay.event(seq) : null, state.tables.dump(), toContext(state)]);
}

function openRun(file: string, run: number): { recording: Recording; replay: Replay } {
  const recording = Recording.open(file, { run });
  return { recording, replay: new Replay(new RecordingLog(recording)) };
}

describe('walkback sweep: failure points', () => {
  for (const scenario of examples) {
    it(`${scenario.name}: one run per alloc line of the fault-free trace`, async () => {
      const base: Scenario = { ...scenario, faults: [] };
      const allocLines = traceOf(events(base)).filter((l) => l.startsWith('alloc ')).length;
      const sweep = await recordSweep(scenario, sweepFile(), { walkbackVersion: 'test' });
      assert.equal(sweep.runs.length - 1, allocLines);
      assert.deepEqual(
        sweep.runs.slice(1).map((r) => r.point!.nth),
        Array.from({ length: allocLines }, (_, i) => i + 1),
      );
      // Each branch forks where its allocation is attempted: its first own event is the failure.
      for (const run of sweep.runs.slice(1)) {
        const { recording, replay } = openRun(sweep.file, run.run);
        try {
          const e = replay.event(run.point!.seq);
          assert.equal(e.type, 'alloc_fail', `${run.label}: event ${run.point!.seq} is ${e.type}`);
        } finally {
          recording.close();
        }
      }
    });
  }

  it('with --pte-map, each pte_offset_map_lock() call is a failure point too', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'guard-install-zap-retry.yaml'));
    const live = events({ ...scenario, faults: [] });
    const allocs = live.filter((e) => e.type === 'alloc').length;
    // The calls, counted by the scenario's own fault: `pte_map: k` fails a call as long as k calls are made.
    const injectedFailure = (k: number) => events({ ...scenario, faults: [{ kind: 'pte_map', nth: k }] }).some((e) => e.type === 'pte_map_fail' && e.injected);
    let maps = 0;
    while (injectedFailure(maps + 1)) maps++;
    assert.ok(maps > 0);
    const sweep = await recordSweep(scenario, sweepFile(), { walkbackVersion: 'test', pteMap: true });
    assert.equal(sweep.runs.filter((r) => r.point?.kind === 'alloc').length, allocs);
    assert.deepEqual(
      sweep.runs.filter((r) => r.point?.kind === 'pte_map').map((r) => r.point!.nth),
      Array.from({ length: maps }, (_, i) => i + 1),
    );
  });
});

describe('walkback sweep: every branch replays as a standalone recording of its fault', () => {
  const cases = [...examples.map((s) => ({ scenario: s, pteMap: false })), { scenario: loadScenario(join(EXAMPLES, 'guard-install-zap-retry.yaml')), pteMap: true }];
  for (const { scenario, pteMap } of cases) {
    it(`${scenario.name}${pteMap ? ' (--pte-map)' : ''}: at every event`, async () => {
      // Chunks and checkpoints of 8 events: forks fall inside chunks and between checkpoints.
      const sweep = await recordSweep(scenario, sweepFile(), { walkbackVersion: 'test', chunkEvents: 8, pteMap });
      // Runs opened through one connection share what they read of the base (StoredRuns): the same again.
      const base = openRun(sweep.file, 0);
      after(() => base.recording.close());
      for (const run of sweep.runs) {
        const faulty: Scenario = { ...scenario, faults: run.point ? [faultAt(run.point)] : [] };
        const live = events(faulty);
        const standalone = await recordTo(dir, faulty, { chunkEvents: 8 });
        const a = openRun(sweep.file, run.run);
        const b = openRun(standalone.file, 0);
        try {
          assert.equal(a.replay.length, live.length, `${run.label}: length`);
          assert.equal(b.replay.length, live.length);
          assert.equal(a.recording.status(), b.recording.status(), `${run.label}: status`);
          // Every event, visited out of order too (the caches must not leak one run into another).
          const order = [...Array(live.length + 1).keys()].map((i) => i - 1);
          const shared = new Replay(new RecordingLog(base.recording.openRun(run.run)));
          for (const seq of [...order, ...order.reverse()]) {
            assert.equal(fingerprint(a.replay, seq), fingerprint(b.replay, seq), `${run.label}: state at event ${seq}`);
            assert.equal(fingerprint(shared, seq), fingerprint(b.replay, seq), `${run.label} (openRun): state at event ${seq}`);
          }
          assert.deepEqual([...a.recording.events(0, live.length)], live, `${run.label}: events`);
        } finally {
          a.recording.close();
          b.recording.close();
        }
      }
    });
  }

  it('a branch of a walk that spans many checkpoints: state near and far from the fork', async () => {
    const scenario = parseScenario(`name: long
arch: x86_64
vmas: [{ start: 0x40000000, end: 0x44000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x44000000, ops: { preset: guard-install } }`);
    const sweep = await recordSweep(scenario, sweepFile(), { walkbackVersion: 'test', chunkEvents: 512 });
    assert.equal(sweep.runs.length - 1, 2 + 32);
    for (const run of [sweep.runs[5]!, sweep.runs[20]!, sweep.runs[34]!]) {
      const faulty: Scenario = { ...scenario, faults: [faultAt(run.point!)] };
      const live: WalkEvent[] = events(faulty);
      const a = openRun(sweep.file, run.run);
      try {
        let state = initialState(scenario.geometry);
        const probes = new Set([0, run.point!.seq - 1, run.point!.seq, run.point!.seq + 1, live.length - 1, 700, 4095, 4096, 9000]);
        live.forEach((e, i) => {
          state = foldEvents(state, [e]);
          if (probes.has(i)) assert.deepEqual(a.replay.stateAt(i).tables.dump(), state.tables.dump(), `${run.label}: event ${i}`);
        });
      } finally {
        a.recording.close();
      }
    }
  });
});
