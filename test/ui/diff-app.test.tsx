// The diff view: two runs side by side, cursors locked to the divergence,
// the tables at the two cursors compared. Checked against the kernel's
// behaviour in the demo (its 3rd allocation fails) and the events themselves.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import type { RunSide } from '../../src/replay/compare-runs.js';
import { compareRuns } from '../../src/replay/compare-runs.js';
import { RecordingLog } from '../../src/replay/event-log.js';
import { Recording } from '../../src/replay/open-recording.js';
import { Replay } from '../../src/replay/replay.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { recordSweep } from '../../src/sweep/record-sweep.js';
import { DiffApp } from '../../src/views/tui/diff/diff-app.js';
import { DiffModel } from '../../src/views/tui/diff/diff-model.js';
import { diffReducer, initialDiffState } from '../../src/views/tui/diff/diff-state.js';
import { makeTheme } from '../../src/views/tui/theme.js';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { KEYS, waitFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-diff-ui-');
const opened: Recording[] = [];
let a: RunSide;
let b: RunSide;
let divergence: number | null;

function side(file: string, run: number): RunSide {
  const recording = Recording.open(file, { run });
  opened.push(recording);
  return { label: `run ${run}`, name: 'demo', arch: 'x86_64', kernel: '6.13', replay: new Replay(new RecordingLog(recording)) };
}

before(async () => {
  const file = join(dir, 'sweep.db');
  await recordSweep(loadScenario(join(EXAMPLES, 'demo.yaml')), file, { walkbackVersion: 'test' });
  a = side(file, 0);
  b = side(file, 3);
  divergence = compareRuns(a, b).divergence;
});
after(() => {
  for (const r of opened) r.close();
  cleanup();
});

async function show() {
  const instance = render(<DiffApp model={new DiffModel(a, b)} divergence={divergence} theme={makeTheme({ NO_COLOR: '1' })} size={{ columns: 110, rows: 30 }} />);
  const frame = () => instance.lastFrame() ?? '';
  await waitFor(() => frame().length > 0, 'the first frame');
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = frame();
      instance.stdin.write(k);
      await waitFor(() => frame() !== before, `a frame after ${JSON.stringify(k)}`, 1000).catch(() => undefined);
    }
    return frame();
  };
  return { frame, press, unmount: () => instance.unmount() };
}

/** The cursor lines ('>') of a frame: A's and B's. */
function cursors(frame: string): string[] {
  return frame
    .split('\n')
    .flatMap((line) => [...line.matchAll(/>\s+(\d+) (.*?)(?=\s{2,}|!|$)/g)].map((m) => `${m[1]} ${m[2]!.trim()}`));
}

describe('diff view', () => {
  it('opens with both cursors on the first divergence: A allocates the PTE table, B fails to', async () => {
    const ui = await show();
    assert.equal(divergence, 14);
    assert.match(ui.frame(), /first divergence at event 14 {2}event 14 {2}locked/);
    assert.deepEqual(cursors(ui.frame()), ['14 alloc pte 0x40000000', '14 alloc_fail pte 0x40000000']);
    // After event 14, A has the new PMD entry pointing at a PTE table; B has none.
    assert.match(ui.frame(), /page tables, B against A at event 14: 1 entry differs\n- pmd {2}0x40000000-0x40200000 {2}pte table -> none/);
    ui.unmount();
  });

  it('steps move both cursors while locked; unlocked, only the active side; f returns to the divergence', async () => {
    const ui = await show();
    await ui.press(KEYS.right);
    assert.deepEqual(cursors(ui.frame()), ['15 pmd_entry 0x40000000 0x40002000', '15 ret -12']);
    await ui.press('L', KEYS.tab, KEYS.left, KEYS.left);
    assert.match(ui.frame(), /A event 15, B event 13 {2}unlocked, moving B/);
    // The cursors are on different lines now: B's (13) above A's (15).
    assert.deepEqual(cursors(ui.frame()), ['13 pud_entry 0x40000000 0x40002000', '15 pmd_entry 0x40000000 0x40002000']);
    assert.match(ui.frame(), /page tables, B against A at A event 15, B event 13/);
    await ui.press('f');
    assert.match(ui.frame(), /event 14 {2}locked/);
    await ui.press('G');
    // Each run's last event: A returns 0, B returns -ENOMEM (the client's return after the walk's).
    assert.deepEqual(cursors(ui.frame()), ['16 ret -12', '21 ret 0']);
    assert.match(ui.frame(), /3 entries differ/);
    ui.unmount();
  });

  it('the reducer keeps each cursor inside its run', () => {
    let s = initialDiffState([22, 17], 14);
    s = diffReducer(s, { type: 'step', delta: 100 });
    assert.deepEqual([s.a, s.b], [21, 16]);
    s = diffReducer(s, { type: 'jump', seq: -1 });
    assert.deepEqual([s.a, s.b], [-1, -1]);
    s = diffReducer(diffReducer(s, { type: 'lock/toggle' }), { type: 'step', delta: 3 });
    assert.deepEqual([s.a, s.b], [2, -1]);
    assert.equal(initialDiffState([5, 5], null).message, 'the runs do not diverge');
  });
});
