// The UI over a sweep: ] and [ move between its runs, each opened where it
// stopped, and keys typed ahead of a frame each move one run on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { Recording } from '../../src/replay/open-recording.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { recordSweep } from '../../src/sweep/record-sweep.js';
import type { SweepRecording } from '../../src/sweep/record-sweep.js';
import { RunSwitcher } from '../../src/views/tui/run-switcher.js';
import { makeTheme } from '../../src/views/tui/theme.js';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { waitFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-runs-ui-');
let sweep: SweepRecording;
const opened: Recording[] = [];

before(async () => {
  sweep = await recordSweep(loadScenario(join(EXAMPLES, 'demo.yaml')), join(dir, 'sweep.db'), { walkbackVersion: 'test' });
});
after(() => {
  for (const r of opened) r.close();
  cleanup();
});

async function show(run: number) {
  const recording = Recording.open(sweep.file, { run });
  opened.push(recording);
  const instance = render(<RunSwitcher recording={recording} theme={makeTheme({ NO_COLOR: '1' })} size={{ columns: 110, rows: 30 }} />);
  const frame = () => instance.lastFrame() ?? '';
  await waitFor(() => frame().length > 0, 'the first frame');
  // Ink takes keys once its input handler is subscribed, an effect after the first frame.
  await new Promise((r) => setTimeout(r, 20));
  return {
    frame,
    async press(keys: string, until: (f: string) => boolean) {
      instance.stdin.write(keys);
      await waitFor(() => until(frame()), `a frame after ${keys}:\n${frame()}`);
      // A run's view takes keys once mounted (Ink subscribes after the frame is drawn).
      await new Promise((r) => setTimeout(r, 20));
      return frame();
    },
    unmount: () => instance.unmount(),
  };
}

/** The run in the title: 'run K of 0-N (label)', and the cursor's event 'event S of 0-L'. */
const where = (f: string) => {
  const run = /run (\d+) of 0-(\d+) \((\S+ \d+|base)\)/.exec(f);
  const at = /event (\d+) of 0-(\d+)/.exec(f);
  return { run: run ? Number(run[1]) : null, count: run ? Number(run[2]) : null, label: run?.[3] ?? null, seq: at ? Number(at[1]) : null, last: at ? Number(at[2]) : null };
};

describe('the UI over a sweep', () => {
  it('R asks for a run by number and opens it; a run that does not exist is refused', async () => {
    const ui = await show(0);
    await ui.press('R', (f) => /go to run:/.test(f));
    const at3 = await ui.press('3\r', (f) => where(f).run === 3);
    assert.equal(where(at3).seq, sweep.runs[3]!.point!.seq);
    const refused = await ui.press('R9\r', (f) => /no run 9: this sweep has runs 0 to 3/.test(f));
    assert.equal(where(refused).run, 3);
    ui.unmount();
  });

  it('opens the run asked for, at where it stopped, and ] [ move to the next and previous runs', async () => {
    assert.ok(sweep.runs.length >= 3);
    const ui = await show(1);
    const first = sweep.runs[1]!;
    assert.deepEqual([where(ui.frame()).run, where(ui.frame()).label], [1, first.label]);
    // A run opens where it stopped: its failed allocation.
    assert.equal(where(ui.frame()).seq, first.point!.seq);
    assert.equal(where(ui.frame()).count, sweep.runs.length - 1);
    // The status line says what the run ended with, in the sweep report's words.
    assert.match(ui.frame(), /run 1 of 0-3 \(alloc 1\): ret -12, stopped at alloc_fail pte; left behind: nothing/);
    const next = await ui.press(']', (f) => where(f).run === 2);
    assert.match(next, /run 2 of 0-3 \(alloc 2\): ret -12, stopped at alloc_fail pmd; left behind: guard PTEs/);
    assert.equal(where(next).seq, sweep.runs[2]!.point!.seq);
    assert.equal(where(next).last, sweep.runs[2]!.result.events - 1);
    const back = await ui.press('[[', (f) => where(f).run === 0);
    assert.equal(where(back).label, 'base');
    ui.unmount();
  });

  it('D compares the run with the fault-free run, cursors on where they part; q comes back to the run', async () => {
    const ui = await show(3);
    const diff = await ui.press('D', (f) => /walkback diff/.test(f));
    assert.match(diff, /first divergence at event 14 {2}event 14 {2}locked/);
    assert.match(diff, /A: run 0 \(base\)/);
    assert.match(diff, /B: run 3 \(alloc 3\)/);
    assert.match(diff, />\s+14 alloc pte 0x40000000\s+>\s+14 alloc_fail pte 0x40000000/);
    const back = await ui.press('q', (f) => where(f).run === 3);
    assert.equal(where(back).seq, sweep.runs[3]!.point!.seq);
    // On the fault-free run there is nothing to compare it with.
    await ui.press('R0\r', (f) => where(f).run === 0);
    await ui.press('D', (f) => /this is the fault-free run/.test(f));
    ui.unmount();
  });

  it('keys typed ahead each move a run; past the last, a message says so', async () => {
    const ui = await show(0);
    const last = sweep.runs.length - 1;
    await ui.press(']'.repeat(last), (f) => where(f).run === last);
    const end = await ui.press(']', (f) => /is the last run/.test(f));
    assert.equal(where(end).run, last);
    ui.unmount();
  });
});
