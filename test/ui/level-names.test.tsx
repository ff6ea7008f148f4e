// Every view names a page table by the level of the entries it holds (the
// table `alloc pmd` allocates is the pmd table), an entry by the table it is
// in, and a folded level as folded: show (text and JSON), the summary, the
// UI's tree, details, header and diff overlay, `walkback diff`, and the
// Perfetto export, on every geometry. The expected names are derived here
// from the spec's geometry table alone (the real levels of each arch), not
// from walkback's geometry code.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LevelName, WalkEvent } from '../../src/events/walk-event.js';
import { Recording } from '../../src/replay/open-recording.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import { entryRunLine } from '../../src/views/diff/format-diff.js';
import { perfettoEvents } from '../../src/views/export/perfetto.js';
import { rowText } from '../../src/views/tui/components/page-table-view.js';
import { entryDetail } from '../../src/views/tui/model/details.js';
import { treeRows } from '../../src/views/tui/model/page-table-tree.js';
import type { TreeRow } from '../../src/views/tui/model/page-table-tree.js';
import { TuiSession } from '../../src/views/tui/model/session.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import { KEYS, renderApp } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-levels-');
after(cleanup);

/** The spec's geometry table: real levels, top-down, and the span of one pgd entry. */
const ARCHES: Record<string, { real: LevelName[]; pgdEntry: number }> = {
  x86_64: { real: ['pgd', 'pud', 'pmd', 'pte'], pgdEntry: 2 ** 39 },
  'x86_64-la57': { real: ['pgd', 'p4d', 'pud', 'pmd', 'pte'], pgdEntry: 2 ** 48 },
  'arm64-4k-39': { real: ['pgd', 'pmd', 'pte'], pgdEntry: 2 ** 30 },
  'arm64-64k-48': { real: ['pgd', 'pmd', 'pte'], pgdEntry: 2 ** 42 },
  i386: { real: ['pgd', 'pte'], pgdEntry: 2 ** 22 },
};
const ALL: LevelName[] = ['pgd', 'p4d', 'pud', 'pmd', 'pte'];
const folded = (arch: string) => ALL.filter((l) => !ARCHES[arch]!.real.includes(l));
const hex = (n: number) => `0x${n.toString(16)}`;
const esc = (s: string) => s.replace(/[()[\]]/g, '\\$&');

/**
 * One empty table of each real level below pgd, each in its own pgd slot: the
 * table of real level R[i] at address i * (pgd entry span). Its path: the
 * R[j] entry over it points to an R[j+1] table, for every j < i.
 */
function tablesScenario(arch: string): { yaml: string; at: Map<LevelName, number>; lo: number; hi: number } {
  const { real, pgdEntry } = ARCHES[arch]!;
  const at = new Map<LevelName, number>();
  real.slice(1).forEach((level, i) => at.set(level, (i + 1) * pgdEntry));
  const lo = pgdEntry;
  const hi = real.length * pgdEntry;
  const state = [...at].map(([level, a]) => `  - { kind: table, level: ${level}, at: ${hex(a)} }`).join('\n');
  const yaml = `name: tables-${arch}\narch: ${arch}\nvmas:\n  - { start: ${hex(lo)}, end: ${hex(hi)} }\nstate:\n${state}\nwalk:\n  start: ${hex(lo)}\n  end: ${hex(hi)}\n  ops: { pte_hole: ok, pmd_entry: ok }\n`;
  return { yaml, at, lo, hi };
}

/** Every row of the tree, every table opened. */
function wholeTree(session: TuiSession, seq: number, lo: number, hi: number): TreeRow[] {
  const state = session.stateAt(seq);
  const expanded = new Set<string>();
  for (;;) {
    const { rows } = treeRows(state, lo, hi, { expanded, collapsed: new Set(), followWalker: false, changed: [] });
    const more = rows.filter((r) => r.expandable && !expanded.has(r.key));
    if (!more.length) return rows;
    for (const r of more) expanded.add(r.key);
  }
}

for (const arch of Object.keys(ARCHES)) {
  const { real } = ARCHES[arch]!;
  describe(`level names on ${arch}`, () => {
    it('show, its JSON, the UI tree and details, the diffs and the export name every table by its own level', async () => {
      const { yaml, at, lo, hi } = tablesScenario(arch);
      const file = join(dir, `tables-${arch}.yaml`);
      writeFileSync(file, yaml);
      const result = await recordTo(dir, parseScenario(yaml, file));

      // show: each empty table appears as the entry of the level above that points to it.
      const text = cli(['show', result.file]);
      assert.equal(text.status, 0, text.stderr);
      for (const [level, a] of at) {
        const parent = real[real.indexOf(level) - 1]!;
        assert.match(text.stdout, new RegExp(`^  ${hex(a)}-0x[0-9a-f]+ +${parent} +-> ${level} table \\(empty\\)$`, 'm'), `${level} table at ${hex(a)}`);
      }
      const rows = text.stdout.split('\n').filter((l) => /^  0x[0-9a-f]+-0x/.test(l));
      for (const l of folded(arch)) assert.ok(!rows.some((r) => new RegExp(` ${l} `).test(r)), `no row names the folded ${l}:\n${rows.join('\n')}`);
      assert.match(text.stdout, new RegExp(`levels ${real.join(', ')}${folded(arch).length ? `; ${folded(arch).join(', ')} folded` : ''}\\)`));

      const json = JSON.parse(cli(['show', result.file, '--json']).stdout) as { pageTables: { runs: { start: string; level: string; entry: string; table: string | null; emptyTable: boolean }[] } };
      for (const [level, a] of at) {
        const parent = real[real.indexOf(level) - 1]!;
        assert.deepEqual(
          json.pageTables.runs.filter((r) => r.start === hex(a)).map((r) => [r.level, r.entry, r.table, r.emptyTable]),
          [[parent, 'table', level, true]],
        );
      }
      for (const r of json.pageTables.runs) assert.ok(real.includes(r.level as LevelName), `JSON level ${r.level} is a real table`);

      const recording = Recording.open(result.file);
      try {
        const session = new TuiSession(recording);
        const end = session.length - 1;
        // The UI tree: the root row names the folded levels, each path entry the table it points to.
        const tree = wholeTree(session, end, lo, hi);
        const root = tree[0]!;
        assert.equal(root.table, 'pgd');
        assert.deepEqual(root.folded, folded(arch));
        assert.ok(rowText(root).includes(folded(arch).length ? `pgd (${folded(arch).join(', ')} folded) ` : 'pgd '), rowText(root));
        for (const [level, a] of at) {
          const i = real.indexOf(level);
          for (let j = 0; j < i; j++) {
            const row = tree.find((r) => r.table === real[j] && r.start <= a && a < r.end && r.entry === 1);
            assert.ok(row, `a ${real[j]} entry over ${hex(a)} in the tree`);
            assert.equal(row.child, real[j + 1]);
            const empty = j === i - 1;
            assert.match(rowText(row), new RegExp(` ${real[j]}(?: \\([a-z0-9, ]+ folded\\))? ${hex(row.start)}-${hex(row.end)} -> ${real[j + 1]} table${empty ? ' \\(empty\\)' : ''}`));
            assert.match(entryDetail(row, null)[0]!, new RegExp(`^${real[j]}(?: \\(.*folded\\))? entry ${hex(row.start)}-\\S+: points to a ${real[j + 1]} table${empty ? ' with no entry set \\(empty\\)' : '$'}`));
          }
        }
        for (const r of tree) assert.ok(real.includes(r.table), `tree row level ${r.table} is a real table`);

        // What changed from the start to the end (the UI's d, walkback diff): the same names.
        const diff = session.diff(-1, end);
        for (const run of [...diff.added, ...diff.removed, ...diff.changed]) assert.ok(real.includes(run.level), `diff level ${run.level} is a real table`);
        for (const [level, a] of at) {
          const i = real.indexOf(level);
          for (let j = 0; j < i; j++) {
            const run = diff.added.find((r) => r.level === real[j] && r.start <= a && a < r.end);
            assert.ok(run, `the ${real[j]} entry over ${hex(a)} was added`);
            assert.match(entryRunLine(run), new RegExp(`^${real[j]} +0x[0-9a-f]+-0x[0-9a-f]+  none -> ${real[j + 1]} table`));
          }
        }

        // Perfetto: slices only at real levels.
        const levelSlices = [...perfettoEvents(recording.events(0, recording.length), session.stateAt(-1).geometry, 't')].filter((t) => t.ph === 'X' && ALL.includes(t.cat as LevelName));
        assert.ok(levelSlices.length > 0);
        for (const t of levelSlices) assert.ok(real.includes(t.cat as LevelName), `slice ${t.name}`);
      } finally {
        recording.close();
      }
    });

    it('where the walk failed: show, the summary and the walker position agree on the table and name folded levels as folded', async () => {
      // Install over one page of an empty mm, the last table allocation failing: every table
      // above it is allocated, the deepest of them left empty (the demo's case on x86_64).
      const { pgdEntry } = ARCHES[arch]!;
      const allocs = real.length - 1;
      const yaml = `name: fail-${arch}\narch: ${arch}\nvmas:\n  - { start: ${hex(pgdEntry)}, end: ${hex(pgdEntry + 0x10000)} }\nwalk:\n  api: walk_page_range_mm\n  start: ${hex(pgdEntry)}\n  end: ${hex(pgdEntry + (arch === 'arm64-64k-48' ? 0x10000 : 0x1000))}\n  ops: { install_pte: ok }\nfaults:\n  - { alloc: ${allocs} }\n`;
      const result = await recordTo(dir, parseScenario(yaml));
      const text = cli(['show', result.file]);
      assert.equal(text.status, 0, text.stderr);
      const allocated = real.slice(1, -1);
      // The summary lists each allocated table by its own level, the deepest empty.
      const listed = [...text.stdout.matchAll(/^    event \d+: (\w+) table for \S+(  \(empty\))?$/gm)].map((m) => [m[1], m[2] !== undefined]);
      assert.deepEqual(listed, allocated.map((l, i) => [l, i === allocated.length - 1]));
      if (allocated.length) {
        const deepest = allocated[allocated.length - 1]!;
        const parent = real[real.indexOf(deepest) - 1]!;
        assert.match(text.stdout, new RegExp(`^  ${hex(pgdEntry)}-0x[0-9a-f]+ +${parent} +-> ${deepest} table \\(empty\\)$`, 'm'));
      }
      // At each allocation the walker is at the level above the table it allocates; a folded one says so.
      const recording = Recording.open(result.file);
      let allocEvents: WalkEvent[];
      try {
        allocEvents = [...recording.events(0, recording.length)].filter((e) => e.type === 'alloc' || e.type === 'alloc_fail');
      } finally {
        recording.close();
      }
      assert.equal(allocEvents.length, allocs);
      for (const e of allocEvents) {
        if (e.type !== 'alloc' && e.type !== 'alloc_fail') continue;
        const above = ALL[ALL.indexOf(e.level) - 1]!;
        const slot = real.filter((l) => ALL.indexOf(l) <= ALL.indexOf(above)).pop()!;
        const want = real.includes(above) ? above : `${above} (folded into ${slot})`;
        const at = cli(['show', result.file, '--at', String(e.seq)]);
        assert.match(at.stdout, new RegExp(`^walker at: ${esc(want)} 0x`, 'm'), `at event ${e.seq}`);
      }
    });
  });
}

describe('level names in the UI', () => {
  it("d's overlay and the header on 4-level x86_64 never name the folded p4d as a table", async () => {
    const { yaml, lo } = tablesScenario('x86_64');
    const result = await recordTo(dir, parseScenario(yaml));
    const recording = Recording.open(result.file);
    const ui = await renderApp({ session: new TuiSession(recording), initialSeq: -1, size: { columns: 120, rows: 40 } });
    try {
      await ui.press('m', 'G', 'd');
      const f = ui.frame();
      assert.match(f, /what changed from the start to event \d+/);
      assert.match(f, new RegExp(`pgd +${hex(lo)}-0x[0-9a-f]+  none -> pud table`));
      assert.doesNotMatch(f, /p4d/);
      await ui.press(KEYS.escape);
      assert.match(ui.frame(), /pgd \(p4d folded\)/);
    } finally {
      ui.unmount();
      recording.close();
    }
  });
});
