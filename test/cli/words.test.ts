// Words a kernel developer would misread, each checked against what the
// command did: a fault that never fired, the aligned value a bad end should
// take, the tables `sql` can read, what stopped a capped recording, where -o
// writes, and a sweep with nothing to sweep.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { describeWriteError } from '../../src/recorder/store.js';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-words-');
after(cleanup);

const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('faults that never fire', () => {
  it('are reported by record and show, with how far the walk got', () => {
    // The demo's walk tries 3 table allocations, the 3rd failing: alloc 5 and the 2nd PMD-table allocation never come.
    const demo = `${EXAMPLES}demo.yaml`;
    const text = readFileSync(demo, 'utf8').replace('  - { alloc: 3 }', '  - { alloc: 3 }\n  - { alloc: 5 }\n  - { alloc: 2, level: pmd }\n  - { pte_map: 9 }');
    const scenario = write('unfired.yaml', text);
    const out = join(dir, 'unfired.db');
    const r = cli(['record', scenario, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const trace = cli(['trace', out]).stdout.split('\n');
    const tried = trace.filter((l) => /^alloc(_fail)? /.test(l));
    const pmdTried = tried.filter((l) => / pmd /.test(l)).length;
    assert.equal(tried.length, 3);
    assert.match(r.stdout, new RegExp(`fault never fired: alloc 5 \\(the walk tried only ${tried.length} table allocations\\)`));
    assert.match(r.stdout, new RegExp(`fault never fired: alloc 2 \\(level pmd\\) \\(the walk tried only ${pmdTried} pmd-table allocation\\)`));
    assert.match(r.stdout, /fault never fired: pte_map 9 \(the walk made fewer than 9 pte_offset_map_lock\(\) calls\)/);
    assert.doesNotMatch(r.stdout, /never fired: alloc 3/, 'the 3rd allocation did fail');
    const json = JSON.parse(cli(['show', out, '--json']).stdout);
    assert.deepEqual(json.summary.unfiredFaults.map((f: { fault: string }) => f.fault), ['alloc 5', 'alloc 2 (level pmd)', 'pte_map 9']);
    // Before the walk has ended nothing can be said yet.
    assert.doesNotMatch(cli(['show', out, '--at', '5']).stdout, /never fired/);
  });

  it('are not reported when every fault fired, nor for the runs of a sweep', () => {
    const r = cli(['record', `${EXAMPLES}demo.yaml`, '-o', join(dir, 'fired.db')]);
    assert.doesNotMatch(r.stdout, /never fired/);
    const sweep = join(dir, 'nf-sweep.db');
    assert.equal(cli(['sweep', `${EXAMPLES}demo.yaml`, '-o', sweep]).status, 0);
    assert.doesNotMatch(cli(['show', sweep]).stdout, /never fired/, 'the fault-free run drops the scenario\'s faults');
    assert.doesNotMatch(cli(['show', sweep, '--run', '1']).stdout, /never fired/);
  });
});

describe('an unaligned address', () => {
  const VMA = 'vmas: [{ start: 0x400000, end: 0x600000 }]';
  for (const [what, text, field, want] of [
    ['a walk end rounds up, as madvise() rounds a length', `${VMA}\nwalk: { start: 0x400000, end: 0x400010, ops: { pte_entry: ok } }\n`, 'walk.end', '0x401000'],
    ['a VMA end rounds up', `vmas: [{ start: 0x400000, end: 0x400800 }]\nwalk: { start: 0x400000, end: 0x401000, ops: { pte_entry: ok } }\n`, 'vmas[0].end', '0x401000'],
    ['a start rounds down', `${VMA}\nwalk: { start: 0x400010, end: 0x402000, ops: { pte_entry: ok } }\n`, 'walk.start', '0x400000'],
    ['an end that cannot round up past user space rounds down', `vmas: [{ start: 0x7fff00000000, end: 0x7ffffffff800 }]\nwalk: { start: 0x7fff00000000, end: 0x7fff00001000, ops: { pte_entry: ok } }\n`, 'vmas[0].end', '0x7ffffffff000'],
  ] as const) {
    it(`gets a value that works: ${what}`, () => {
      const file = write(`unaligned-${field.replace(/\W/g, '')}-${want}.yaml`, text);
      const r = cli(['check', file]);
      assert.equal(r.status, 2);
      const m = new RegExp(`${field.replace(/[[\]]/g, '\\$&')}: (0x[0-9a-f]+) is not page aligned \\(4K pages on x86_64\\); use (0x[0-9a-f]+)`).exec(r.stderr);
      assert.ok(m, r.stderr);
      assert.equal(m[2], want);
      // The value suggested keeps every page the unaligned one touched, and the scenario then loads.
      const fixed = write(`fixed-${field.replace(/\W/g, '')}-${want}.yaml`, text.replace(m[1]!, m[2]!));
      const ok = cli(['check', fixed]);
      assert.equal(ok.status, 0, ok.stderr);
    });
  }
});

describe('walkback sql', () => {
  const rec = join(dir, 'sql.db');
  it('lists every table it can read when a table does not exist, and says a refusal once', () => {
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', rec]).status, 0);
    const r = cli(['sql', rec, 'select * from nosuch']);
    assert.equal(r.status, 2);
    const listed = /\(tables: ([^)]+)\)/.exec(r.stderr)![1]!.split(', ').sort();
    const db = new Database(rec, { readonly: true });
    const schema = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    db.close();
    assert.deepEqual(listed, ['events', ...schema].sort());
    const write = cli(['sql', rec, 'delete from meta']);
    assert.equal(write.status, 2);
    assert.equal(write.stderr.split(rec).length - 1, 1, `the file named once: ${write.stderr}`);
    assert.match(write.stderr, /^walkback: .*sql\.db: walkback sql runs queries that read/);
  });
});

describe('a capped recording', () => {
  const BIG = 'name: big\nvmas: [{ start: 0x400000000, end: 0x500000000 }]\nwalk: { api: walk_page_range_mm, start: 0x400000000, end: 0x500000000, ops: { install_pte: ok } }\n';
  it('says the cap stopped it, not the disk', () => {
    const out = join(dir, 'capped.db');
    const r = cli(['record', write('big.yaml', BIG), '-o', out, '--max-size', '400K']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /capped\.db: the recording stopped after [\d,]+ events: it reached the size cap of 409,600 bytes \(--max-size 400K; a larger --max-size records more\); what was written is kept/);
    assert.doesNotMatch(r.stderr, /disk/);
  });
  it('says the disk is full when there is no cap (SQLite reports both as SQLITE_FULL)', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    assert.equal(describeWriteError(full, join(dir, 'x.db')), 'the disk is full');
    assert.match(describeWriteError(full, join(dir, 'x.db'), 1 << 20), /^it reached the size cap of 1,048,576 bytes$/);
  });
});

describe('record -o', () => {
  it('refuses a directory instead of writing a file of its own naming into it', () => {
    const target = join(dir, 'adir');
    mkdirSync(target);
    const r = cli(['record', `${EXAMPLES}demo.yaml`, '-o', target]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /-o .*adir: is a directory; name the file to write, e\.g\. -o .*adir\/demo\.db/);
    assert.deepEqual(readdirSync(target), []);
  });
  it('refuses a path through directories that do not exist instead of making them', () => {
    const target = join(dir, 'no', 'such', 'x.db');
    const r = cli(['record', `${EXAMPLES}demo.yaml`, '-o', target]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /there is no directory .*no\/such; create it first/);
    assert.equal(existsSync(join(dir, 'no')), false);
  });
});

describe('a sweep with no failure point', () => {
  it('says there is none, not "0 failure points, each a run of"', () => {
    const scenario = write('nothing.yaml', 'name: nothing\nvmas: [{ start: 0x400000, end: 0x402000 }]\nstate: [{ kind: pte, at: 0x400000, count: 2 }]\nwalk: { start: 0x400000, end: 0x402000, ops: { pte_entry: ok } }\n');
    const out = join(dir, 'nothing-sweep.db');
    const r = cli(['sweep', scenario, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    // The walk allocates nothing (its tables exist): no alloc line in its trace.
    assert.doesNotMatch(cli(['trace', scenario]).stdout, /^alloc/m);
    assert.match(r.stdout.split('\n')[0]!, /: no failure point; the fault-free run is in .*nothing-sweep\.db/);
    assert.doesNotMatch(r.stdout, /0 failure points|each a run/);
  });
});
