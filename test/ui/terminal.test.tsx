// The UI at the sizes people use, and the words that must match what it
// draws: the header keeps the position and where the walker is whole, the
// tree keeps "(empty)" and the walker's "<", the summary overlay wraps rather
// than cuts, a terminal too small says so, zoom stops where a cell is one
// page, the legend describes the markers drawn, and F on a finished
// recording says there is nothing to follow. Checked against the
// recording's events and independent computations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import type { TuiSession } from '../../src/views/tui/model/session.js';
import { ROOT, EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { renderApp, sessionFor } from '../helpers/ui.js';
import type { Ui } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-terminal-');
let rich: { session: TuiSession; events: WalkEvent[]; close: () => void };
let demo: { session: TuiSession; events: WalkEvent[]; close: () => void };
const open: Ui[] = [];

before(async () => {
  rich = await sessionFor(dir, `${ROOT}test/fixtures/ui-rich.yaml`);
  demo = await sessionFor(dir, `${EXAMPLES}demo.yaml`);
});
after(() => {
  for (const ui of open) ui.unmount();
  rich?.close();
  demo?.close();
  cleanup();
});

async function app(session: TuiSession, columns: number, rows: number, initialSeq?: number): Promise<Ui> {
  const ui = await renderApp({ session, size: { columns, rows }, ...(initialSeq !== undefined ? { initialSeq } : {}) });
  open.push(ui);
  return ui;
}

const hex = (n: number) => `0x${n.toString(16)}`;
/** Where the walker is after an allocation event: at the entry above the table it allocates. */
const walkerAfter = (e: WalkEvent): string => {
  if (e.type !== 'alloc' && e.type !== 'alloc_fail') throw new Error(e.type);
  return `at ${['pgd', 'p4d', 'pud', 'pmd', 'pte'][['pgd', 'p4d', 'pud', 'pmd', 'pte'].indexOf(e.level) - 1]} ${hex(e.addr)}`;
};

describe('the header', () => {
  for (const [columns, rows] of [[120, 40], [80, 24]] as const) {
    it(`at ${columns}x${rows} keeps the position and the walker's level and address whole`, async () => {
      const failure = rich.events.find((e) => e.type === 'alloc_fail')!;
      const ui = await app(rich.session, columns, rows);
      const header = ui.frame().split('\n')[0]!;
      assert.ok(header.length <= columns);
      assert.ok(header.includes(`event ${failure.seq} of 0-${rich.events.length - 1}`), header);
      assert.ok(header.includes(walkerAfter(failure)), header);
      assert.doesNotMatch(header, /…/, 'nothing is cut mid-word');
    });
  }
});

describe('the page-table tree at 80x24', () => {
  it("keeps '(empty)' and the walker's '<' on every row of its path", async () => {
    const failure = demo.events.find((e) => e.type === 'alloc_fail')!;
    const ui = await app(demo.session, 80, 23, failure.seq);
    const lines = ui.frame().split('\n');
    // The tables pane is the right part of the middle rows.
    const tableLines = lines.slice(4, 4 + 10).map((l) => l.slice(41));
    // The walker is at the pmd entry of 0x40000000 (it failed to allocate its PTE table):
    // its path is the pgd entry, the pud entry of 1G (pointing to the PMD table alloc pmd
    // made, empty) and that pmd entry.
    const path = tableLines.filter((l) => l.trimEnd().endsWith(' <'));
    assert.equal(path.length, 3, tableLines.join('\n'));
    assert.match(path[0]!, / pgd .*-> pud table <$/);
    assert.match(path[1]!, / pud 0x40000000 -> pmd( table)? \(empty\) <$/);
    assert.match(path[2]!, / pmd 0x40000000\S* none <$/);
    for (const l of lines) assert.ok(l.length <= 80, l);
  });
});

describe('the summary overlay', () => {
  it('at 80x24 wraps long lines: the "stopped at" line is there whole', async () => {
    const ui = await app(rich.session, 80, 23);
    await ui.press('r');
    const lines = ui.frame().split('\n');
    for (const l of lines) assert.ok(l.length <= 80, l);
    const joined = lines.map((l) => l.trim()).join(' ');
    const stop = rich.session.summary(rich.events.length - 1).stop!;
    assert.ok(joined.includes(`stopped at event ${stop.seq} (${stop.line}): ${stop.reason}`), joined);
  });
});

describe('a terminal too small', () => {
  for (const [columns, rows] of [[40, 9], [59, 23], [80, 14]] as const) {
    it(`at ${columns}x${rows + 1} says so instead of drawing panes over each other`, async () => {
      const ui = await app(rich.session, columns, rows);
      const f = ui.frame();
      assert.match(f.replace(/\s+/g, ' '), /terminal too small: the UI needs at least 60 columns and 16 lines/);
      assert.doesNotMatch(f, /page tables|population/);
      const lines = f.split('\n');
      assert.ok(lines.length <= rows, `${lines.length} lines`);
      for (const l of lines) assert.ok(l.length <= columns, l);
      await ui.press('q');
    });
  }
  it('at the minimum, 60x16, draws every pane', async () => {
    const ui = await app(rich.session, 60, 15);
    assert.match(ui.frame(), /page tables/);
    assert.match(ui.frame(), /population/);
    assert.ok(ui.frame().split('\n').length <= 15);
  });
});

describe('zoom', () => {
  it('+ stops where a cell is one page, and - zooms out from there at once', async () => {
    const ui = await app(rich.session, 100, 30);
    const range = /population (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(ui.frame())!;
    const pages = (Number(range[2]) - Number(range[1])) / 4096;
    const cells = 3 * 100; // 30 rows: three map rows of 100 cells
    let limit = 0;
    while (Math.ceil(pages / 2 ** limit) > cells) limit++;
    let f = '';
    for (let i = 0; i < limit; i++) f = await ui.press('+');
    assert.match(f, new RegExp(`\\(4K a cell, zoom ${limit}\\)`));
    f = await ui.press('+');
    assert.match(f, /the map shows single pages: it cannot zoom in further/);
    assert.match(f, new RegExp(`zoom ${limit}\\)`));
    f = await ui.press('-');
    assert.match(f, new RegExp(`zoom ${limit - 1}\\)`));
  });
});

describe('the timeline legend', () => {
  it('describes every marker drawn: each column holds an event of the kind its glyph stands for', async () => {
    const ui = await app(demo.session, 100, 30);
    const lines = ui.frame().split('\n');
    const markers = lines[1]!;
    const legend = new Map(lines[2]!.trim().split(/ {2,}/).map((part) => [part[0]!, part.slice(2)] as const));
    const failed = (e: WalkEvent) =>
      ['alloc_fail', 'oops', 'livelock', 'pte_map_fail'].includes(e.type) || ('ret' in e && typeof e.ret === 'number' && (e.type === 'test_walk' ? e.ret < 0 : e.ret !== 0));
    const returned = (e: WalkEvent) => e.type === 'ret' || e.type === 'client_ret';
    const meaning: Record<string, (e: WalkEvent) => boolean> = {
      alloc: (e) => e.type === 'alloc',
      failure: failed,
      'failure or error return': (e) => failed(e) || (returned(e) && 'value' in e && (e.value as number) < 0),
      split: (e) => e.type === 'split_pmd' || e.type === 'split_pud',
      zap: (e) => e.type === 'zap',
      ret: returned,
      install: (e) => e.type === 'set_pte',
    };
    const n = demo.events.length;
    let checked = 0;
    for (let c = 0; c < markers.length; c++) {
      const glyph = markers[c]!;
      if (glyph === ' ') continue;
      const inColumn = demo.events.filter((e) => Math.min(99, Math.floor((e.seq * 100) / n)) === c);
      if (!inColumn.length) continue; // the cursor's own column
      const words = legend.get(glyph);
      assert.ok(words && meaning[words], `glyph ${glyph} in the legend: ${lines[2]}`);
      assert.ok(inColumn.some(meaning[words]!), `column ${c} (${glyph} = ${words}) holds ${inColumn.map((e) => e.type).join(', ')}`);
      checked++;
    }
    // The demo ends with an alloc_fail and two ret -12 (walk and client), each in its own column.
    assert.ok(checked >= 5);
  });
});

describe('F', () => {
  it('on a finished recording says there is nothing to follow, and does not claim to follow', async () => {
    const ui = await app(demo.session, 100, 30);
    const f = await ui.press('F');
    assert.match(f, /the recording is finished \(aborted\): there is nothing to follow/);
    assert.doesNotMatch(f.split('\n')[0]!, /following/);
  });
});

describe('the detail pane', () => {
  it('says a none entry dates from its table, not that the allocation made the entry', async () => {
    const failure = demo.events.find((e) => e.type === 'alloc_fail')!;
    const alloc = demo.events.find((e) => e.type === 'alloc' && e.level === 'pmd')!;
    const ui = await app(demo.session, 100, 30, failure.seq);
    const f = ui.frame();
    assert.match(f, /^pmd entry 0x40000000-0x40002000: none$/m);
    assert.match(f, new RegExp(`^none since its pmd table was made, by event ${alloc.seq}: alloc pmd 0x40000000 \\(p jumps there\\)$`, 'm'));
  });
});
