// The terminal UI under ink-testing-library: every pane is drawn, every key
// does what the help says, checked against the recording's events directly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { handleKey } from '../../src/views/tui/app.js';
import { KEYMAP } from '../../src/views/tui/state/keymap.js';
import { initialUiState } from '../../src/views/tui/state/ui-state.js';
import type { TuiSession } from '../../src/views/tui/model/session.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { KEYS, renderApp, sessionFor, waitFor } from '../helpers/ui.js';
import type { Ui } from '../helpers/ui.js';

const { dir, cleanup } = tempDir();
const RICH = `${ROOT}test/fixtures/ui-rich.yaml`;

let session: TuiSession;
let events: WalkEvent[];
let close: () => void;
const open: Ui[] = [];

before(async () => {
  ({ session, events, close } = await sessionFor(dir, RICH));
});
after(() => {
  for (const ui of open) ui.unmount();
  close?.();
  cleanup();
});

async function app(props: Partial<Parameters<typeof renderApp>[0]> = {}): Promise<Ui> {
  const ui = await renderApp({ session, ...props });
  open.push(ui);
  return ui;
}

/** The next event after `from` (or before, backwards) whose type is one of `types`: a plain scan. */
function scan(from: number, direction: 1 | -1, test: (e: WalkEvent) => boolean): number | null {
  for (let i = from + direction; i >= 0 && i < events.length; i += direction) if (test(events[i]!)) return i;
  return null;
}
const ofType = (...types: string[]) => (e: WalkEvent) => types.includes(e.type);
/** A failure, as the kernel reports one: an error return anywhere, or an allocation / mapping failure. */
const failed = (e: WalkEvent): boolean => {
  if (['alloc_fail', 'pte_map_fail', 'oops', 'livelock'].includes(e.type)) return true;
  if ('ret' in e && typeof e.ret === 'number') return e.type === 'test_walk' ? e.ret < 0 : e.ret !== 0;
  if (e.type === 'ret' || e.type === 'client_ret') return e.value !== 0;
  return false;
};

describe('the terminal UI on a recording', () => {
  it('opens at the failure, with every pane drawn', async () => {
    const ui = await app();
    const failure = events.findIndex((e) => e.type === 'alloc_fail');
    assert.ok(failure > 0);
    assert.equal(ui.seq(), failure);
    const f = ui.frame();
    assert.match(f, /walkback ui-rich \(x86_64, 6\.13\)/);
    assert.match(f, new RegExp(`event ${failure} of 0-${events.length - 1}`));
    assert.match(f, /^events/m);
    assert.match(f, /page tables/);
    assert.match(f, /population 0x7fe000-0x40002000/);
    // The event list: the cursor's line, with its trace line.
    assert.match(f, new RegExp(`^> +${failure} alloc_fail pmd 0x40000000`, 'm'));
    // The detail pane explains the failure.
    assert.match(f, /allocating a pmd table at 0x40000000 fails: -ENOMEM/);
    // The timeline: a failure marker where the walk failed, allocations before it.
    const timeline = f.split('\n')[1]!;
    assert.equal(timeline.length, 100);
    assert.equal(timeline[Math.floor((failure * 100) / events.length)], '!');
    assert.ok(timeline.includes('a'));
  });

  it('draws one timeline marker per column, the most telling event of the column winning', () => {
    // One column per event: each column is its own event's marker, computed from the events alone.
    const markerOf = (e: WalkEvent): string => {
      if (['alloc_fail', 'oops', 'livelock', 'pte_map_fail'].includes(e.type)) return '!';
      const ret = 'ret' in e ? (e.ret as number) : e.type === 'ret' || e.type === 'client_ret' ? e.value : 0;
      if (ret < 0) return '!';
      if (e.type === 'split_pmd' || e.type === 'split_pud' || e.type === 'zap_split') return 's';
      if (e.type === 'zap') return 'z';
      if (e.type === 'ret' || e.type === 'client_ret') return '|';
      if (e.type === 'alloc') return 'a';
      if (e.type === 'set_pte') return '.';
      return ' ';
    };
    assert.equal(session.markers(events.length), events.map(markerOf).join(''));
    // Narrower: a column shows the most telling of its events.
    const width = 37;
    const priority = '!sz|a. ';
    const want = new Array<string>(width).fill(' ');
    events.forEach((e, i) => {
      const col = Math.min(width - 1, Math.floor((i * width) / events.length));
      const m = markerOf(e);
      if (priority.indexOf(m) < priority.indexOf(want[col]!)) want[col] = m;
    });
    assert.equal(session.markers(width), want.join(''));
  });

  it('steps one, 10, 100 and 1000 events, and stops at both ends', async () => {
    const ui = await app({ initialSeq: 500 });
    const moves: [string, number][] = [
      [KEYS.right, 501], ['l', 502], [KEYS.left, 501], ['h', 500], ['j', 501], ['k', 500], [KEYS.down, 501], [KEYS.up, 500],
      ['J', 510], [KEYS.pageDown, 520], ['K', 510], [KEYS.pageUp, 500],
      ['}', 600], ['{', 500], [')', 1500], ['(', 500],
    ];
    for (const [key, want] of moves) {
      await ui.press(key);
      assert.equal(ui.seq(), want, `after ${JSON.stringify(key)}`);
    }
    await ui.press('G');
    assert.equal(ui.seq(), events.length - 1);
    await ui.press('l');
    assert.equal(ui.seq(), events.length - 1);
    assert.match(ui.frame(), /at the last event/);
    await ui.press('g');
    assert.equal(ui.seq(), -1);
    assert.match(ui.frame(), new RegExp(`the start, before event 0 of 0-${events.length - 1}`));
    await ui.press('h');
    assert.equal(ui.seq(), -1);
    await ui.press(KEYS.end);
    assert.equal(ui.seq(), events.length - 1);
    await ui.press(KEYS.home);
    assert.equal(ui.seq(), -1);
  });

  const jumps: [string, string, (e: WalkEvent) => boolean][] = [
    ['a', 'A', ofType('alloc', 'alloc_fail')],
    ['e', 'E', failed],
    ['s', 'S', ofType('split_pmd', 'split_pud', 'zap_split')],
    ['i', 'I', ofType('set_pte')],
    ['z', 'Z', ofType('zap')],
    ['v', 'V', ofType('vma_enter')],
    ['w', 'W', ofType('walk', 'ret', 'client_ret')],
  ];
  for (const [next, prev, test] of jumps) {
    it(`${next} and ${prev} go to the next and previous event of their kind, as a scan of the events finds it`, async () => {
      const ui = await app({ initialSeq: -1 });
      let at = -1;
      const visited: number[] = [];
      for (let i = 0; i < 6; i++) {
        const want = scan(at, 1, test);
        await ui.press(next);
        if (want === null) {
          assert.equal(ui.seq(), at, 'no later event: the cursor stays');
          assert.match(ui.frame(), /no later/);
          break;
        }
        assert.equal(ui.seq(), want);
        visited.push(want);
        at = want;
      }
      assert.ok(visited.length > 0, `the fixture has a ${next} event`);
      await ui.press('G');
      at = events.length - 1;
      const want = scan(at, -1, test);
      await ui.press(prev);
      assert.equal(ui.seq(), want ?? at);
    });
  }

  it('keys typed faster than frames are drawn each meet the state the ones before made', async () => {
    const ui = await app({ initialSeq: -1 });
    const allocs = events.filter((e) => e.type === 'alloc' || e.type === 'alloc_fail').map((e) => e.seq);
    // Three presses in one turn of the event loop: no frame in between.
    await ui.press('a', 'a', 'a');
    assert.equal(ui.seq(), allocs[2]);
    await ui.press('A');
    assert.equal(ui.seq(), allocs[1]);
  });

  it('f goes to where the walk stopped, from anywhere', async () => {
    const ui = await app({ initialSeq: 3 });
    await ui.press('f');
    assert.equal(events[ui.seq()]!.type, 'alloc_fail');
    assert.match(ui.frame(), /where the walk stopped/);
  });

  it(': goes to a typed event number, -N from the end, and refuses what is not one', async () => {
    const ui = await app({ initialSeq: 0 });
    await ui.press(':', '1', '2', '3');
    assert.match(ui.frame(), /go to event: 123/);
    await ui.press(KEYS.enter);
    assert.equal(ui.seq(), 123);
    await ui.press(':', '-', '2', KEYS.enter);
    assert.equal(ui.seq(), events.length - 2);
    await ui.press(':', 'x', KEYS.enter);
    assert.equal(ui.seq(), events.length - 2);
    assert.match(ui.frame(), /'x' is not an event number/);
    await ui.press(':', '9', '9', '9', '9', '9', KEYS.enter);
    assert.match(ui.frame(), /no event 99999/);
    await ui.press(':', '7', KEYS.backspace, '8', KEYS.escape);
    assert.equal(ui.seq(), events.length - 2, 'Esc cancels the prompt');
    // Typed ahead or pasted: one chunk of input, handled key by key.
    await ui.press(':1500\r');
    assert.equal(ui.seq(), 1500);
    await ui.press('lll');
    assert.equal(ui.seq(), 1503);
  });

  it('/ searches by kind, level, address and range; n and N move between matches', async () => {
    const ui = await app({ initialSeq: -1 });
    await ui.press('/', ...'pmd_entry', KEYS.enter);
    const pmdEntries = events.filter((e) => e.type === 'pmd_entry').map((e) => e.seq);
    assert.equal(ui.seq(), pmdEntries[0]);
    await ui.press('n');
    assert.equal(ui.seq(), pmdEntries[1]);
    await ui.press('n');
    assert.equal(ui.seq(), pmdEntries[2]);
    await ui.press('N');
    assert.equal(ui.seq(), pmdEntries[1]);
    // An address: the events that touch 0x3fe00000.
    await ui.press('g', '/', ...'0x3fe00000', KEYS.enter);
    const touches = (e: WalkEvent) => {
      const r = e as { addr?: number; start?: number; end?: number };
      if (typeof r.addr === 'number') return r.addr === 0x3fe00000;
      return typeof r.start === 'number' && typeof r.end === 'number' && r.start <= 0x3fe00000 && 0x3fe00000 < r.end;
    };
    assert.equal(ui.seq(), scan(-1, 1, touches));
    // A search with no match says so and leaves the cursor.
    const here = ui.seq();
    await ui.press('/', ...'split_pud', KEYS.enter);
    assert.equal(ui.seq(), here);
    assert.match(ui.frame(), /no match for \/split_pud/);
    // A bad query says what is wrong.
    await ui.press('/', ...'level:pxd', KEYS.enter);
    assert.match(ui.frame(), /pxd/);
    // n without a search at all.
    const fresh = await app({ initialSeq: 0 });
    await fresh.press('n');
    assert.match(fresh.frame(), /no search yet/);
  });

  it('m sets a mark and d shows what changed between the mark and the cursor', async () => {
    const walkStart = events.findIndex((e) => e.type === 'walk');
    const ui = await app({ initialSeq: walkStart });
    await ui.press('m');
    assert.match(ui.frame(), new RegExp(`mark set at event ${walkStart}`));
    await ui.press('f', 'd');
    const f = ui.frame();
    const failure = events.findIndex((e) => e.type === 'alloc_fail');
    assert.match(f, new RegExp(`what changed from event ${walkStart} to event ${failure}`));
    // What the kernel does here: the zap splits the THP at 0x600000 into its deposited table of
    // present PTEs and clears the two in the range; the retry installs markers from 0x7fe000 to
    // the end of the first VMA (allocating the PTE table of 0x800000) and the whole PMD below 1G of
    // the second, then fails to allocate the PMD table of 1G-2G.
    assert.match(f, /^changed$/m);
    assert.match(f, /pmd +0x600000-0x800000 +huge -> pte table/);
    assert.match(f, /^added$/m);
    assert.match(f, /pmd +0x800000-0xa00000 +none -> pte table/);
    assert.match(f, /pmd +0x3fe00000-0x40000000 +none -> pte table/);
    assert.match(f, /pte +0x600000-0x7fe000 +none -> present +\(510 entries\)/);
    assert.match(f, /pte +0x7fe000-0xa00000 +none -> guard +\(514 entries\)/);
    assert.match(f, /pte +0x3fe00000-0x40000000 +none -> guard +\(512 entries\)/);
    assert.match(f, /^(\d+) entries differ/m);
    assert.equal(Number(/^(\d+) entries differ/m.exec(f)![1]), 1 + 1 + 1 + 510 + 514 + 512);
    await ui.press(KEYS.escape);
    assert.doesNotMatch(ui.frame(), /what changed/);
    await ui.press('M', 'd');
    assert.match(ui.frame(), /No mark/);
  });

  it('r shows the abort summary of the recording; ? lists every key; Esc and the same key close them', async () => {
    const ui = await app({ initialSeq: 0 });
    await ui.press('r');
    assert.match(ui.frame(), /abort summary of the recording/);
    assert.match(ui.frame(), /client returned -12/);
    await ui.press('r');
    assert.doesNotMatch(ui.frame(), /abort summary of the recording/);
    await ui.press('?');
    let help = ui.frame();
    // Scroll through the help and collect it all.
    for (let i = 0; i < 6; i++) help += await ui.press('J');
    for (const b of KEYMAP) if (b.help) assert.ok(help.includes(b.help.slice(0, 30)), `help lists ${b.command}`);
    await ui.press(KEYS.escape);
    assert.match(ui.frame(), /page tables/);
  });

  it('Tab moves between panes; in the tables, j/k select and Enter opens and closes a table', async () => {
    const ui = await app({ initialSeq: events.length - 1 });
    await ui.press(KEYS.tab);
    let f = ui.frame();
    assert.ok(f.split('\n').some((l) => />\s+[+-]? ?(pgd|p4d|pud|pmd|pte) 0x/.test(l.slice(45))), `a selected row in\n${f}`);
    // Select the first row (the pgd entry) and close it: the rows below it go.
    for (let i = 0; i < 10; i++) await ui.press('k');
    const rowsBefore = (ui.frame().match(/\b(pud|pmd|pte) 0x/g) ?? []).length;
    await ui.press(KEYS.enter);
    f = ui.frame();
    const rowsAfter = (f.match(/\b(pud|pmd|pte) 0x/g) ?? []).length;
    assert.ok(rowsAfter < rowsBefore, `closing the pgd entry hides its tables (${rowsBefore} -> ${rowsAfter})`);
    await ui.press(' ');
    assert.equal((ui.frame().match(/\b(pud|pmd|pte) 0x/g) ?? []).length, rowsBefore);
    await ui.press(KEYS.tab);
    assert.match(ui.frame(), /population/);
    await ui.press(KEYS.tab);
    // Back in the events, j steps again.
    const at = ui.seq();
    await ui.press('k');
    assert.equal(ui.seq(), at - 1);
  });

  it('p goes to the event that made the selected entry what it is', async () => {
    // Two set_ptes in a row: at the second, select the entry the first one wrote.
    const first = scan(-1, 1, ofType('set_pte'))!;
    const second = scan(first, 1, ofType('set_pte'))!;
    const target = (events[first] as { addr: number }).addr.toString(16);
    const ui = await app({ initialSeq: second });
    await ui.press(KEYS.tab);
    const selectedRow = () => ui.frame().split('\n').find((l) => />\s+(pgd|p4d|pud|pmd|pte) 0x/.test(l.slice(45))) ?? '';
    assert.match(selectedRow(), new RegExp(`pte 0x${(events[second] as { addr: number }).addr.toString(16)}-`), 'the tables open on the entry the event changed');
    await ui.press('k');
    assert.match(selectedRow(), new RegExp(`pte 0x${target}-`));
    assert.match(ui.frame(), new RegExp(`made by event ${first}: set_pte 0x${target}`));
    await ui.press('p');
    assert.equal(ui.seq(), first);
  });

  it('+ and - zoom the population map down to single pages and back', async () => {
    const ui = await app({ initialSeq: events.length - 1 });
    assert.match(ui.frame(), /\(\d+(\.\d)?[KMG] a cell\)/);
    for (let i = 0; i < 20; i++) await ui.press('+');
    assert.match(ui.frame(), /\(4K a cell, zoom \d+\)/);
    for (let i = 0; i < 25; i++) await ui.press('-');
    assert.doesNotMatch(ui.frame(), /zoom \d+/);
  });

  for (const [columns, rows] of [[80, 24], [100, 30], [160, 50], [60, 20]] as const) {
    it(`fits ${columns}x${rows}: every pane, no line wider than the terminal, no more lines than it has`, async () => {
      const ui = await app({ size: { columns, rows } });
      const lines = ui.frame().split('\n');
      assert.ok(lines.length <= rows, `${lines.length} lines`);
      for (const line of lines) assert.ok([...line].length <= columns, `too wide: ${line}`);
      const f = ui.frame();
      for (const pane of [/event \d+ of/, /^events/m, /page tables/, /population/, /alloc_fail pmd 0x40000000/]) assert.match(f, pane);
      if (columns >= 80) assert.match(f, /\?:keys q:quit/);
      // The event list shows as many events as its height allows, the cursor among them.
      const listed = lines.filter((l) => /^[> m] +\d+ /.test(l)).length;
      assert.ok(listed >= rows - 15, `${listed} events listed`);
    });
  }

  it('follows a recording being written: the cursor stays on the last event until the user moves', async () => {
    const { RecordingWriter } = await import('../../src/recorder/record.js');
    const { Recording } = await import('../../src/replay/open-recording.js');
    const { TuiSession } = await import('../../src/views/tui/model/session.js');
    const { loadScenario } = await import('../../src/scenario/load-scenario.js');
    const file = `${dir}/growing.db`;
    const writer = new RecordingWriter(file, loadScenario(RICH), { walkbackVersion: 'test', chunkEvents: 16 });
    let next = 0;
    const feed = (n: number) => {
      for (const end = Math.min(events.length, next + n); next < end; next++) writer.add(events[next]!);
    };
    feed(300); // commits 256 (8 chunks of 16 a transaction)
    const recording = Recording.open(file);
    try {
      const growing = new TuiSession(recording);
      assert.equal(growing.length, 256);
      const ui = await renderApp({ session: growing, follow: true, pollMs: 10 });
      open.push(ui);
      assert.equal(ui.seq(), 255);
      assert.match(ui.frame(), /following/);
      feed(300);
      await waitFor(() => ui.seq() === 511, 'the cursor to follow to event 511');
      await ui.press('h');
      assert.equal(ui.seq(), 510);
      assert.doesNotMatch(ui.frame(), /following/);
      feed(300);
      // 900 events fed: 896 committed (whole transactions of 8 chunks of 16).
      await waitFor(() => /of 0-895/.test(ui.frame()), 'the recording to grow to 896 events');
      assert.equal(ui.seq(), 510, 'a user who moved is not dragged along');
      await ui.press('F');
      assert.equal(ui.seq(), 895);
      feed(events.length);
      await writer.finish();
      await waitFor(() => ui.seq() === events.length - 1, 'the last event');
    } finally {
      recording.close();
    }
  });

  it('q and Ctrl-C quit, also from an overlay; other keys do not', () => {
    for (const [key, quits] of [
      [{ input: 'q' }, true],
      [{ input: 'c', ctrl: true }, true],
      [{ input: 'Q' }, false],
      [{ input: 'x' }, false],
    ] as const) {
      let exits = 0;
      handleKey(key, initialUiState(events.length), () => {}, session, () => exits++, { treeRows: 0, selectedKey: null, selectedExpanded: false, madeBy: null, selected: 0 });
      assert.equal(exits, quits ? 1 : 0, JSON.stringify(key));
    }
    let closed = 0;
    handleKey({ input: 'q' }, { ...initialUiState(events.length), overlay: 'help' }, (a) => a.type === 'overlay/close' && closed++, session, () => assert.fail('q in the help closes the help'), {
      treeRows: 0, selectedKey: null, selectedExpanded: false, madeBy: null, selected: 0,
    });
    assert.equal(closed, 1);
  });
});
