// walkback diff as users run it: recordings, runs of a sweep, scenarios.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-diff-cli-');
after(cleanup);
const demo = join(EXAMPLES, 'demo.yaml');
const sweep = join(dir, 'demo-sweep.db');
const rec = join(dir, 'demo.db');

interface DiffJson {
  a: { events: number; ret: number };
  b: { events: number; ret: number };
  divergence: number | null;
  context: { seq: number; a: { type: string; line: string } | null; b: { type: string; line: string } | null }[];
  tables: { entries: number; onlyInA: { level: string; start: string; end: string; from: string; to: string; count: number }[]; onlyInB: unknown[]; different: unknown[] };
}

describe('walkback diff', () => {
  before(() => {
    assert.equal(cli(['sweep', demo, '-o', sweep]).status, 0);
    assert.equal(cli(['record', demo, '-o', rec]).status, 0);
  });

  it('two runs of a sweep: the fault-free run against the one whose 3rd allocation fails', () => {
    const r = cli(['diff', sweep, '--run', '0', '--run', '3', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as DiffJson;
    assert.equal(d.divergence, 14);
    const at = d.context.find((c) => c.seq === 14)!;
    assert.equal(at.a!.line, 'alloc pte 0x40000000');
    assert.equal(at.b!.line, 'alloc_fail pte 0x40000000');
    // The fault-free run keeps the PMD table's PTE table and its two markers; the failing one has neither.
    assert.equal(d.tables.entries, 3);
    assert.deepEqual(
      d.tables.onlyInA.map((x) => [x.level, x.start, x.from, x.count]),
      [
        ['pmd', '0x40000000', 'table', 1],
        ['pte', '0x40000000', 'guard', 2],
      ],
    );
  });

  it('the demo recording (alloc 3 fails) against the sweep\'s run 3: the same walk', () => {
    const r = cli(['diff', rec, sweep, '--run', '0', '--run', '3']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /the runs do not diverge: the same 17 events/);
    assert.match(r.stdout, /final page tables: the same/);
  });

  it('text: both streams side by side, the divergence marked', () => {
    const r = cli(['diff', sweep, '--run', '0', '--run', '3', '-C', '2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(r.stdout, /first divergence at event 14: alloc in A, alloc_fail in B/);
    const marked = lines.filter((l) => l.startsWith('>'));
    assert.equal(marked.length, 1);
    assert.match(marked[0]!, /^>\s+14\s+alloc pte 0x40000000\s+\| alloc_fail pte 0x40000000$/);
    assert.match(r.stdout, /\n\s+13\s+pud_entry 0x40000000 0x40002000\s+= pud_entry 0x40000000 0x40002000\n/);
    assert.match(r.stdout, /only in A \(none in B\)\n\s+pmd\s+0x40000000-0x40200000\s+pte table -> none/);
  });

  it('scenarios directly: 6.12 against 6.13 of a walk without install_pte', () => {
    const text = (kernel: string) => `kernel: "${kernel}"\nvmas: [{ start: 0x400000, end: 0xa00000, thp: true }]\nstate: [{ kind: thp-pmd, at: 0x600000 }, { kind: pte, at: 0x400000, count: 3 }]\nwalk: { start: 0x400000, end: 0xa00000, ops: { pmd_entry: ok, pte_entry: ok, pte_hole: ok } }\n`;
    writeFileSync(join(dir, 'a.yaml'), text('6.12'));
    writeFileSync(join(dir, 'b.yaml'), text('6.13'));
    const r = cli(['diff', join(dir, 'a.yaml'), join(dir, 'b.yaml'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as DiffJson).divergence, null);
  });

  it('bad input: one line and exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['diff', sweep], /diff needs two walks/],
      [['diff', sweep, '--run', '0', '--run', '1', '--run', '2'], /--run given 3 times/],
      [['diff', sweep, '--run', '0', '--run', '7'], /has no run 7/],
      [['diff', sweep, rec, '-C', 'x'], /--context x: give a number/],
      [['diff', demo, rec, '--run', '1'], /--run applies to a recording; .* is a scenario/],
      [['diff', join(dir, 'missing.db'), rec], /missing.db/],
      [['diff', sweep, '--run', '0', '--run', '3', '--ui'], /diff --ui is interactive and .*a terminal; leave out --ui/],
      [['diff', sweep, '--run', '0', '--run', '3', '--ui', '--json'], /--ui and --json: choose one/],
    ];
    for (const [args, says] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
