// The UI's models, checked against plain computations: the population map
// against a page-by-page classification, the page-table tree against the
// range it must cover, jumps and windows against scans of the events.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Entry, LEVELS } from '../../src/events/walk-event.js';
import type { LevelIndex, WalkEvent } from '../../src/events/walk-event.js';
import type { WalkState } from '../../src/replay/walk-state.js';
import { explain } from '../../src/views/tui/model/details.js';
import { changedBy, treeRows } from '../../src/views/tui/model/page-table-tree.js';
import type { TreeRow } from '../../src/views/tui/model/page-table-tree.js';
import { countRange, populationMap, zoomedRange } from '../../src/views/tui/model/population-map.js';
import type { CellKind, Counts } from '../../src/views/tui/model/population-map.js';
import type { TuiSession } from '../../src/views/tui/model/session.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { sessionFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir();
const opened: (() => void)[] = [];
after(() => {
  for (const close of opened) close();
  cleanup();
});

async function open(file: string): Promise<{ session: TuiSession; events: WalkEvent[] }> {
  const s = await sessionFor(dir, file);
  opened.push(s.close);
  return s;
}

/** What one page is, found by walking the real tables down from the pgd. */
function classify(state: WalkState, addr: number): CellKind {
  const g = state.geometry;
  const real = [0, 1, 2, 3, 4].filter((l) => g.real[l]) as LevelIndex[];
  for (const level of real) {
    const table = state.tables.table(level, addr);
    if (!table) return 'untouched';
    const size = g.entrySize[level]!;
    const slot = Math.floor(addr / size) % g.ptrs[level]!;
    const kind = table[slot]!;
    if (kind === Entry.TABLE) continue;
    if (kind === Entry.NONE) return level === 4 ? 'empty' : 'untouched';
    return kind === Entry.PRESENT ? 'present' : kind === Entry.MARKER ? 'guard' : kind === Entry.HUGE ? 'huge' : 'hugetlb';
  }
  return 'untouched';
}

function naiveCounts(state: WalkState, a: number, b: number): Counts {
  const out: Counts = { untouched: 0, empty: 0, present: 0, guard: 0, huge: 0, hugetlb: 0 };
  for (let p = a; p < b; p += state.geometry.pageSize) out[classify(state, p)]++;
  return out;
}

const SCENARIOS = [
  `${ROOT}test/fixtures/ui-rich.yaml`,
  `${EXAMPLES}i386-install-across-4m.yaml`,
  `${EXAMPLES}i386-novma-thp-7.0.yaml`,
  `${EXAMPLES}i386-guard-install-thp-4m.yaml`,
  `${EXAMPLES}arm64-64k-48-install-across-512m.yaml`,
  `${EXAMPLES}arm64-4k-39-install-one-page.yaml`,
  `${EXAMPLES}hugetlb-1g-and-hole.yaml`,
  `${EXAMPLES}guard-install-over-pud-thp.yaml`,
  `${EXAMPLES}la57-install-near-top.yaml`,
  `${EXAMPLES}x86_64-top-of-user-space.yaml`,
  `${EXAMPLES}novma-kernel-half.yaml`,
  `${EXAMPLES}novma-top-of-address-space.yaml`,
];

describe('the population map', () => {
  for (const file of SCENARIOS) {
    const name = file.split('/').pop()!;
    it(`${name}: every cell counts what a page-by-page walk of the tables finds, at several moments and widths`, async () => {
      const { session } = await open(file);
      const moments = [-1, Math.floor(session.length / 3), Math.floor(session.length / 2), session.length - 1];
      for (const at of moments) {
        const state = session.stateAt(at);
        const range = session.range(state);
        assert.ok(range, 'a range to map');
        const [start, end] = range;
        const pages = (end - start) / state.geometry.pageSize;
        if (pages > 1 << 19) continue;
        for (const cells of [1, 7, 100, Math.min(pages, 400)]) {
          const map = populationMap(state, start, end, cells);
          assert.ok(map.length <= cells && map.length >= 1);
          assert.equal(map[0]!.start, start);
          assert.equal(map[map.length - 1]!.end, end);
          for (let i = 1; i < map.length; i++) assert.equal(map[i]!.start, map[i - 1]!.end, 'cells tile the range');
          for (const cell of map) {
            const want = naiveCounts(state, cell.start, cell.end);
            assert.deepEqual({ ...cell.counts }, want, `${name} at ${at}, cell ${cell.start.toString(16)}-${cell.end.toString(16)}`);
          }
        }
      }
    });
  }

  it('shows the most telling kind of a cell: guard over present over huge over empty over untouched', async () => {
    const { session } = await open(`${ROOT}test/fixtures/ui-rich.yaml`);
    const state = session.stateAt(session.length - 1);
    // 0x600000-0x800000: 510 present and 2 guard pages once the retry has run.
    const counts = countRange(state, 0x600000, 0x800000);
    assert.equal(counts.present, 510);
    assert.equal(counts.guard, 2);
    const [cell] = populationMap(state, 0x600000, 0x800000, 1);
    assert.equal(cell!.kind, 'guard');
  });

  it('zooms in halves, centred on the focus, page aligned, inside the range, down to a page a cell', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 20 }),
        fc.integer({ min: 1, max: 2 ** 24 }),
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (startPage, pages, zoom, where, cells) => {
          const page = 4096;
          const start = (2 ** 35 + startPage) * page; // high addresses: exactness past 2^32
          const end = start + pages * page;
          const focus = start + Math.floor(where * (pages - 1)) * page;
          const [lo, hi] = zoomedRange(start, end, zoom, focus, page, cells);
          assert.ok(start <= lo && lo < hi && hi <= end);
          assert.equal(lo % page, 0);
          assert.ok(lo <= focus && focus < hi, 'the focus stays in view');
          const shown = (hi - lo) / page;
          assert.equal(shown, Math.min(pages, Math.max(Math.min(pages, cells), Math.ceil(pages / 2 ** zoom))));
        },
      ),
    );
  });
});

/** The rows that are not opened further: together they must tile the range. */
function leaves(rows: TreeRow[]): TreeRow[] {
  return rows.filter((r) => !r.expanded);
}

describe('the page-table tree', () => {
  for (const file of SCENARIOS) {
    const name = file.split('/').pop()!;
    it(`${name}: the unopened rows tile the walk's range in order, and each shows what the tables hold`, async () => {
      const { session } = await open(file);
      for (const at of [Math.floor(session.length / 2), session.length - 1]) {
        const state = session.stateAt(at);
        const [start, end] = session.range(state)!;
        const { rows } = treeRows(state, start, end, { expanded: new Set(), collapsed: new Set(), followWalker: true, changed: [] });
        const g = state.geometry;
        const display = (a: number) => (a >= g.rootSpan / 2 && g.arch.startsWith('x86_64') ? a - g.rootSpan + g.wordTop : a);
        const tiles = leaves(rows);
        assert.equal(tiles[0]!.start, display(start % g.rootSpan));
        for (let i = 1; i < tiles.length; i++) assert.equal(tiles[i]!.start, tiles[i - 1]!.end, `${name}: rows ${i - 1} and ${i} meet`);
        assert.equal(tiles[tiles.length - 1]!.end - tiles[0]!.start, end - start);
        for (const row of tiles) {
          // Every entry of the row is of the row's kind, by a direct look at the owner level.
          const size = g.entrySize[g.slotTable[row.owner]!]!;
          for (let a = row.start, n = 0; a < row.end && n < 64; a = Math.floor(a / size) * size + size, n++)
            assert.equal(state.tables.entry(row.owner, a), row.entry, `${name} ${LEVELS[row.owner]} ${a.toString(16)}`);
        }
      }
    });
  }

  it('names folded levels: p4d on x86_64; p4d, pud and pmd on i386; p4d and pud on arm64 with 39 bits', async () => {
    const cases: [string, string][] = [
      [`${ROOT}test/fixtures/ui-rich.yaml`, 'pgd (p4d folded)'],
      [`${EXAMPLES}i386-install-across-4m.yaml`, 'pgd (p4d, pud, pmd folded)'],
      [`${EXAMPLES}arm64-4k-39-install-one-page.yaml`, 'pgd (p4d, pud folded)'],
    ];
    for (const [file, label] of cases) {
      const { session } = await open(file);
      const state = session.stateAt(session.length - 1);
      const [start, end] = session.range(state)!;
      const { rows } = treeRows(state, start, end, { expanded: new Set(), collapsed: new Set(), followWalker: true, changed: [] });
      assert.equal(`${rows[0]!.table}${rows[0]!.folded.length ? ` (${rows[0]!.folded.join(', ')} folded)` : ''}`, label, file);
    }
  });

  it('shows an i386 4 MiB THP as a huge pgd entry, and highlights it where the zap splits it into a table', async () => {
    const { session, events } = await open(`${EXAMPLES}i386-guard-install-thp-4m.yaml`);
    const split = events.find((e) => e.type === 'zap_split')!;
    const rowsAt = (at: number, changed: ReturnType<typeof changedBy>) => {
      const state = session.stateAt(at);
      return treeRows(state, 0x800000, 0xc00000, { expanded: new Set(), collapsed: new Set(), followWalker: false, changed }).rows;
    };
    const before = rowsAt(split.seq - 1, []).find((r) => r.start === 0x800000 && r.table === 'pgd')!;
    assert.equal(before.entry, Entry.HUGE);
    assert.equal(before.end, 0xc00000);
    const after = rowsAt(split.seq, changedBy(split, session.stateAt(split.seq).geometry)).find((r) => r.start === 0x800000 && r.table === 'pgd')!;
    assert.equal(after.entry, Entry.TABLE);
    assert.ok(after.changed, 'the split entry is highlighted');
  });

  it('highlights the entry the event at the cursor changed, and only it', async () => {
    const { session, events } = await open(`${ROOT}test/fixtures/ui-rich.yaml`);
    const install = events.find((e) => e.type === 'set_pte')!;
    const state = session.stateAt(install.seq);
    const [start, end] = session.range(state)!;
    const { rows } = treeRows(state, start, end, { expanded: new Set(), collapsed: new Set(), followWalker: true, changed: changedBy(install, state.geometry) });
    const changed = rows.filter((r) => r.changed);
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.start, (install as { addr: number }).addr);
    assert.equal(changed[0]!.end - changed[0]!.start, 4096);
    assert.equal(changed[0]!.entry, Entry.MARKER);
  });

  it('closes a table the user closed, even on the walker\'s path, and opens one the user opened', async () => {
    const { session } = await open(`${ROOT}test/fixtures/ui-rich.yaml`);
    const state = session.stateAt(session.length - 1);
    const [start, end] = session.range(state)!;
    const all = treeRows(state, start, end, { expanded: new Set(), collapsed: new Set(), followWalker: true, changed: [] }).rows;
    const top = all[0]!;
    assert.ok(top.expanded);
    const closed = treeRows(state, start, end, { expanded: new Set(), collapsed: new Set([top.key]), followWalker: true, changed: [] }).rows;
    assert.equal(closed.length, 1);
    const unopened = all.find((r) => r.expandable && !r.expanded)!;
    const opened = treeRows(state, start, end, { expanded: new Set([unopened.key]), collapsed: new Set(), followWalker: true, changed: [] }).rows;
    assert.ok(opened.length > all.length);
  });
});

describe('the session', () => {
  it('keeps the cursor in the event window, which is the recording\'s events in order', async () => {
    const { session, events } = await open(`${ROOT}test/fixtures/ui-rich.yaml`);
    for (const [center, rows] of [[0, 10], [5, 10], [1000, 21], [events.length - 1, 10], [events.length - 3, 7]] as const) {
      const w = session.window(center, rows);
      assert.equal(w.length, rows);
      assert.ok(w.some((r) => r.seq === center));
      w.forEach((r, i) => i > 0 && assert.equal(r.seq, w[i - 1]!.seq + 1));
      for (const r of w) assert.deepEqual(r.event, events[r.seq]);
    }
  });

  it('explains every kind of event in words', async () => {
    for (const file of SCENARIOS) {
      const { events } = await open(file);
      for (const e of events) assert.ok(explain(e).length > 10, `${e.type} is explained`);
    }
  });

  it("does not call the guard-install client's return madvise()'s, nor a zap's split the walker's", () => {
    const ret = explain({ seq: 9, type: 'client_ret', value: 0 });
    assert.match(ret, /^the guard-install client returns 0: madvise_guard_install\(\)'s retry loop, run once over the whole range \(not madvise\(\)/);
    const split = explain({ seq: 5, type: 'zap_split', level: 'pmd', addr: 0x600000, value: Entry.TABLE });
    assert.match(split, /zap_pmd_range\(\) splits it .* not the walker's, so the trace prints no line/);
  });
});
