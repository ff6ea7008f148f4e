// Every kind of bad scenario gets one clear line on stderr (file, line, column, field,
// what is wrong, how to fix it), exit code 2, nothing on stdout and no stack trace.
// Runs the real command, as a user would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'walkback-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WALK = 'walk: { start: 0x400000, end: 0x600000, ops: { pte_entry: ok } }';
const VMA = 'vmas: [{ start: 0x400000, end: 0x600000 }]';

interface Case {
  name: string;
  text: string;
  /** What the message must say. */
  says: RegExp;
  /** Expected file position, line:col, when it is known. */
  at?: string;
}

const cases: Case[] = [
  { name: 'an empty file', text: '', says: /the file is empty/ },
  { name: 'a YAML syntax error', text: `${VMA}\nwalk: { start: 0x400000, end: [0x600000 }\n`, says: /YAML syntax error/, at: '2:' },
  { name: 'a duplicate key', text: `${VMA}\n${WALK}\narch: x86_64\narch: i386\n`, says: /YAML syntax error: Map keys must be unique/ },
  { name: 'a list at the top', text: '- walk\n', says: /expected a mapping/ },
  { name: 'an unknown top-level key, with a suggestion', text: `${VMA}\n${WALK}\nfault: []\n`, says: /fault: unknown key 'fault'; did you mean 'faults'\?/, at: '3:1' },
  { name: 'an unknown arch', text: `arch: riscv64\n${VMA}\n${WALK}\n`, says: /arch: 'riscv64' is not one of x86_64, x86_64-la57/, at: '1:7' },
  { name: 'an unknown kernel', text: `kernel: "6.14"\n${VMA}\n${WALK}\n`, says: /kernel: '6.14' is not one of 6.12, 6.13, 7.0/ },
  { name: 'no walk', text: `${VMA}\n`, says: /walk is missing/ },
  { name: 'a walk without end', text: `${VMA}\nwalk: { start: 0x400000 }\n`, says: /walk.end: end is missing/ },
  { name: 'an unaligned address', text: `${VMA}\nwalk: { start: 0x400010, end: 0x600000 }\n`, says: /walk.start: 0x400010 is not page aligned .*use 0x400000/, at: '2:16' },
  { name: 'an address above user space', text: `vmas: [{ start: 0x400000, end: 0x800000000000 }]\n${WALK}\n`, says: /vmas\[0\].end: 0x800000000000 is above the top of user space \(0x7ffffffff000\)/ },
  { name: 'an address beyond 64 bits', text: `${VMA}\nwalk: { api: walk_page_range_novma, start: 0x400000, end: 0x10000000000000000 }\n`, says: /beyond the 64-bit address space/ },
  { name: 'an address beyond 32 bits on i386', text: `arch: i386\n${VMA}\nwalk: { api: walk_page_range_novma, start: 0x400000, end: 0x100000000 }\n`, says: /beyond the 32-bit address space of i386/ },
  { name: 'a negative address', text: `${VMA}\nwalk: { start: -4096, end: 0x600000 }\n`, says: /is negative/ },
  { name: 'a word where a number belongs', text: `${VMA}\nwalk: { start: lots, end: 0x600000 }\n`, says: /'lots' is not a number/ },
  { name: 'a fractional number', text: `${VMA}\nwalk: { start: 0x400000, end: 6.5 }\n`, says: /6.5 is not a whole number/ },
  { name: 'a VMA that ends before it starts', text: `vmas: [{ start: 0x600000, end: 0x400000 }]\n${WALK}\n`, says: /vmas\[0\].end: end 0x400000 must be above start 0x600000/ },
  { name: 'overlapping VMAs', text: `vmas: [{ start: 0x400000, end: 0x600000 }, { start: 0x500000, end: 0x700000 }]\n${WALK}\n`, says: /vmas\[1\]: overlaps vmas\[0\] \(0x400000-0x600000\)/ },
  { name: 'a hugetlb size the geometry lacks', text: `arch: arm64-4k-39\nvmas: [{ start: 0x40000000, end: 0x80000000, hugetlb: 1G }]\n${WALK}\n`, says: /1G is not a huge page size of arm64-4k-39 \(use 2M\)/ },
  { name: 'an unaligned hugetlb VMA', text: `vmas: [{ start: 0x400000, end: 0x700000, hugetlb: 2M }]\n${WALK}\n`, says: /must start and end on 2M boundaries/ },
  { name: 'a VMA both hugetlb and pfnmap', text: `vmas: [{ start: 0x400000, end: 0x600000, hugetlb: 2M, pfnmap: true }]\n${WALK}\n`, says: /cannot be both hugetlb and pfnmap/ },
  { name: 'a flag that is not a boolean', text: `vmas: [{ start: 0x400000, end: 0x600000, thp: "yes" }]\n${WALK}\n`, says: /vmas\[0\].thp: expected true or false, found 'yes'/ },
  { name: 'state outside every VMA', text: `${VMA}\nstate: [{ kind: pte, at: 0x800000 }]\n${WALK}\n`, says: /state\[0\].at: pte pages at 0x800000 lie outside every VMA/ },
  { name: 'a PUD THP on a geometry without one', text: `arch: arm64-4k-39\nvmas: [{ start: 0x40000000, end: 0x80000000 }]\nstate: [{ kind: thp-pud, at: 0x40000000 }]\n${WALK}\n`, says: /arm64-4k-39 has no PUD-level huge pages \(use thp-pmd\)/ },
  { name: 'an unaligned THP', text: `vmas: [{ start: 0x400000, end: 0xa00000 }]\nstate: [{ kind: thp-pmd, at: 0x401000 }]\n${WALK}\n`, says: /0x401000 is not 2M aligned \(thp-pmd\)/ },
  { name: 'overlapping state', text: `vmas: [{ start: 0x400000, end: 0xa00000 }]\nstate: [{ kind: thp-pmd, at: 0x600000 }, { kind: pte, at: 0x601000 }]\n${WALK}\n`, says: /state\[1\]: overlaps state\[0\]/ },
  { name: 'a table of a folded level', text: `arch: arm64-4k-39\n${VMA}\nstate: [{ kind: table, level: pud, at: 0x400000 }]\n${WALK}\n`, says: /pud is folded on arm64-4k-39/ },
  { name: 'a table inside a huge entry', text: `vmas: [{ start: 0x400000, end: 0xa00000 }]\nstate: [{ kind: thp-pmd, at: 0x600000 }, { kind: table, level: pte, at: 0x600000 }]\n${WALK}\n`, says: /a pte table cannot lie inside the huge entry of state\[0\]/ },
  { name: 'count on an item without pages', text: `vmas: [{ start: 0x400000, end: 0xa00000 }]\nstate: [{ kind: thp-pmd, at: 0x600000, count: 2 }]\n${WALK}\n`, says: /count applies only to pte and guard items/ },
  { name: 'an unknown callback, with a suggestion', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entri: ok } }\n`, says: /walk.ops.pte_entri: unknown key 'pte_entri'; did you mean 'pte_entry'\?/ },
  { name: 'a preset with callbacks', text: `${VMA}\nwalk: { api: walk_page_range_mm, start: 0x400000, end: 0x600000, ops: { preset: guard-install, pte_hole: ok } }\n`, says: /a preset stands alone: remove 'pte_hole'/ },
  { name: 'an unknown preset', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { preset: guard-everything } }\n`, says: /'guard-everything' is not one of guard-install, guard-remove/ },
  { name: 'install_pte on 6.12', text: `kernel: "6.12"\n${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { install_pte: ok } }\n`, says: /walk.ops.install_pte: install_pte does not exist in 6.12 \(added in 6.13\)/ },
  { name: 'walk_page_range_mm on 6.12', text: `kernel: "6.12"\n${VMA}\nwalk: { api: walk_page_range_mm, start: 0x400000, end: 0x600000 }\n`, says: /walk.api: walk_page_range_mm does not exist in 6.12/ },
  { name: 'a guard preset on 6.12', text: `kernel: "6.12"\n${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { preset: guard-remove } }\n`, says: /guard-remove needs MADV_GUARD_INSTALL\/REMOVE, added in 6.13/ },
  { name: 'an unknown rule key', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entry: [{ when: 0x400000 }] } }\n`, says: /walk.ops.pte_entry\[0\].when: unknown key 'when'/ },
  { name: 'an if state the callback cannot see', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pmd_entry: [{ if: marker, return: 1 }] } }\n`, says: /pmd_entry\[0\].if: 'marker' is not one of none, table, huge/ },
  { name: 'an if on a callback without an entry', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_hole: [{ if: none }] } }\n`, says: /pte_hole is given no page-table entry, so an if would never match/ },
  { name: 'times 0', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entry: [{ return: 1, times: 0 }] } }\n`, says: /times: must be a whole number of at least 1, found 0/ },
  { name: 'an unknown action', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pmd_entry: [{ action: retry }] } }\n`, says: /'retry' is not one of subtree, continue, again/ },
  { name: 'a return value out of int range', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pmd_entry: [{ return: 0x100000000 }] } }\n`, says: /does not fit a callback's int return value/ },
  { name: 'a callback value that is neither ok nor rules', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entry: yes } }\n`, says: /'yes' is not a callback value/ },
  { name: 'install on a callback other than install_pte', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entry: [{ install: pte }] } }\n`, says: /install applies only to install_pte/ },
  { name: 'an empty rule range', text: `${VMA}\nwalk: { start: 0x400000, end: 0x600000, ops: { pte_entry: [{ in: [0x500000, 0x400000] }] } }\n`, says: /is empty; end must be above start/ },
  { name: 'a fault at a level the geometry never allocates', text: `${VMA}\n${WALK}\nfaults: [{ alloc: 1, level: p4d }]\n`, says: /x86_64 never allocates a p4d table \(allocated levels: pud, pmd, pte\)/ },
  { name: 'a fault at position 0', text: `${VMA}\n${WALK}\nfaults: [{ alloc: 0 }]\n`, says: /faults\[0\].alloc: must be a whole number of at least 1/ },
  { name: 'a fault that is both kinds', text: `${VMA}\n${WALK}\nfaults: [{ alloc: 1, pte_map: 1 }]\n`, says: /a fault is either alloc or pte_map, not both/ },
  { name: 'a fault without a kind', text: `${VMA}\n${WALK}\nfaults: [{ level: pte }]\n`, says: /a fault needs alloc: N/ },
  { name: 'walk_page_vma with no VMA at start', text: `${VMA}\nwalk: { api: walk_page_vma, start: 0x800000, end: 0x802000 }\n`, says: /walk_page_vma walks the VMA that contains start, and no VMA contains 0x800000/ },
  { name: 'walk_page_range_vma with no VMA after start', text: `${VMA}\nwalk: { api: walk_page_range_vma, start: 0x800000, end: 0x802000 }\n`, says: /needs a VMA at or after start \(0x800000\)/ },
  { name: 'an unknown api', text: `${VMA}\nwalk: { api: walk_page_mapping, start: 0x400000, end: 0x600000 }\n`, says: /walk.api: 'walk_page_mapping' is not one of walk_page_range/ },
  { name: 'an alias without an anchor', text: `arch: *x86\n${VMA}\n${WALK}\n`, says: /YAML/ },
  { name: 'a list used as a key', text: `${VMA}\n${WALK}\n? [a, b]\n: 1\n`, says: /a key must be a plain name/ },
  { name: 'expect that is not a mapping', text: `${VMA}\n${WALK}\nexpect: 0\n`, says: /expect: expected a mapping \(ret, no_empty_tables, no_guard_outside_range\)/ },
  { name: 'an unknown expectation, with a suggestion', text: `${VMA}\n${WALK}\nexpect: { no_empty_table: true }\n`, says: /expect.no_empty_table: unknown key 'no_empty_table'; did you mean 'no_empty_tables'\?/, at: '3:11' },
  { name: 'expect that states nothing', text: `${VMA}\n${WALK}\nexpect: {}\n`, says: /expect states nothing: give ret, no_empty_tables or no_guard_outside_range/ },
  { name: 'expect.ret that is not a number', text: `${VMA}\n${WALK}\nexpect: { ret: [0, ENOMEM] }\n`, says: /expect.ret\[1\]: .*ENOMEM/ },
  { name: 'expect.ret that is empty', text: `${VMA}\n${WALK}\nexpect: { ret: [] }\n`, says: /expect.ret: list at least one value/ },
  { name: 'no empty tables of a level never allocated', text: `${VMA}\n${WALK}\nexpect: { no_empty_tables: [pte, p4d] }\n`, says: /expect.no_empty_tables\[1\]: x86_64 never allocates a p4d table \(allocated levels: pud, pmd, pte\)/ },
  { name: 'no empty tables of an unknown level', text: `${VMA}\n${WALK}\nexpect: { no_empty_tables: pme }\n`, says: /expect.no_empty_tables: 'pme' is not one of/ },
  { name: 'no_guard_outside_range that is not a boolean', text: `${VMA}\n${WALK}\nexpect: { no_guard_outside_range: yes please }\n`, says: /expect.no_guard_outside_range: .*true or false/ },
];

describe('bad scenarios', () => {
  it(`covers at least 20 kinds of bad input (${cases.length})`, () => assert.ok(cases.length >= 20));

  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, c.text);
      const { status, stdout, stderr } = cli(['trace', file]);
      assert.equal(status, 2, `exit status; stderr: ${stderr}`);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
      assert.match(lines[0]!, new RegExp(`^walkback: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[:]`));
      assert.match(lines[0]!, c.says);
      if (c.at) assert.ok(lines[0]!.includes(`${file}:${c.at}`), `position ${c.at} in: ${lines[0]}`);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('reports a missing file', () => {
    const { status, stdout, stderr } = cli(['trace', join(dir, 'nope.yaml')]);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /nope.yaml: no such file/);
  });

  it('reports a directory given as a scenario', () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    const { status, stderr } = cli(['check', join(dir, 'adir')]);
    assert.equal(status, 2);
    assert.match(stderr, /is a directory, not a scenario file/);
  });

  it('reports an unknown command and exits 2', () => {
    const { status, stderr } = cli(['tarce', 'x.yaml']);
    assert.equal(status, 2);
    assert.match(stderr, /^walkback: unknown command 'tarce'/);
  });

  it('reports a missing argument and exits 2', () => {
    const { status, stderr } = cli(['trace']);
    assert.equal(status, 2);
    assert.match(stderr, /missing required argument 'file'/);
  });
});
