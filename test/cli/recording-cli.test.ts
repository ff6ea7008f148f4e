// The recording commands as a user runs them: record, show, ls, sql, trace of
// a recording, and the sqlite3 shell alone on a recording.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-cli-');
after(cleanup);

const hasSqlite3 = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
const sqlite3 = (file: string, sql: string) => spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });

describe('walkback record', () => {
  it('writes recordings/<scenario name>.db by default, numbered when it exists, and prints where and a summary', () => {
    const first = cli(['record', `${EXAMPLES}demo.yaml`], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^recorded recordings\/demo\.db: 17 events, .*aborted \(ret -12\)\n/);
    assert.match(first.stdout, /stopped at event 14 \(alloc_fail pte 0x40000000\): allocating a pte table at 0x40000000 failed: -ENOMEM/);
    assert.match(first.stdout, /allocated: 2 tables, 1 still empty/);
    const second = cli(['record', `${EXAMPLES}demo.yaml`], { cwd: dir });
    assert.equal(second.status, 0);
    assert.match(second.stdout, /^recorded recordings\/demo-2\.db/);
    assert.deepEqual(readdirSync(join(dir, 'recordings')).sort(), ['demo-2.db', 'demo.db']);
  });

  it('refuses to replace an existing -o file unless --force', () => {
    const out = join(dir, 'x.db');
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', out]).status, 0);
    const again = cli(['record', `${EXAMPLES}demo.yaml`, '-o', out]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /x\.db exists; pass --force to replace it/);
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', out, '--force']).status, 0);
  });

  it('says complete for a walk that returns 0', () => {
    const r = cli(['record', `${EXAMPLES}guard-install-zap-retry.yaml`, '-o', join(dir, 'ok.db')]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /complete \(ret 0\)/);
  });

  it('rejects a bad scenario with exit 2 and writes nothing', () => {
    const r = cli(['record', join(dir, 'missing.yaml'), '-o', join(dir, 'never.db')]);
    assert.equal(r.status, 2);
    assert.ok(!existsSync(join(dir, 'never.db')));
  });

  it('rejects a bad --max-size', () => {
    const r = cli(['record', `${EXAMPLES}demo.yaml`, '-o', join(dir, 'm.db'), '--max-size', 'lots']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--max-size lots: not a size/);
  });
});

describe('walkback trace of a recording', () => {
  for (const name of ['demo', 'guard-install-thp-partial', 'novma-kernel-half', 'oops-install-without-pte-entry', 'hole-again-last-pmd-6.13']) {
    it(`${name}: equals walkback trace of the scenario, line for line`, () => {
      const out = join(dir, `trace-${name}.db`);
      assert.equal(cli(['record', `${EXAMPLES}${name}.yaml`, '-o', out]).status, 0);
      const fromRecording = cli(['trace', out]);
      const fromScenario = cli(['trace', `${EXAMPLES}${name}.yaml`]);
      assert.equal(fromRecording.status, 0);
      assert.equal(fromRecording.stdout, fromScenario.stdout);
    });
  }
});

describe('walkback show', () => {
  const rec = join(dir, 'show.db');
  assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', rec]).status, 0);

  it('prints the state at the end with the abort summary', () => {
    const r = cli(['show', rec]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /at event 16 of 0-16: ret -12/);
    assert.match(r.stdout, /0x3fffe000-0x40000000\s+pte\s+guard\s+2 entries/);
    // The pud entry of 1G points to the PMD table the walk allocated (alloc pmd), empty.
    assert.match(r.stdout, /0x40000000-0x40002000\s+pud\s+-> pmd table \(empty\)/);
    // pud_entry ran over 0x40000000-0x40002000 and a PMD table was allocated there: reached, not finished.
    assert.match(r.stdout, /walked in full: 0x3fffe000-0x40000000\n\s+stopped inside: 0x40000000-0x40002000 \(the walker was in its pmd entry/);
    assert.doesNotMatch(r.stdout, /never reached/);
  });

  it('prints the state at any event, counted from the start or the end', () => {
    const mid = cli(['show', rec, '--at', '10']);
    assert.equal(mid.status, 0);
    assert.match(mid.stdout, /at event 10 of 0-16: install_pte 0x3ffff000 0x40000000/);
    assert.match(mid.stdout, /installed: 1 PTE\n/);
    const fromEnd = cli(['show', rec, '--at', '-3']);
    assert.match(fromEnd.stdout, /at event 14 of 0-16: alloc_fail pte 0x40000000/);
    const start = cli(['show', rec, '--at', 'start']);
    assert.match(start.stdout, /at the start, before event 0 of 0-16\n/);
    assert.doesNotMatch(start.stdout, /event -1/);
  });

  it('prints stable JSON', () => {
    const r = cli(['show', rec, '--json', '--at', '14']);
    assert.equal(r.status, 0);
    const json = JSON.parse(r.stdout);
    assert.equal(json.at, 14);
    assert.equal(json.status, 'aborted');
    assert.equal(json.events, 17);
    assert.deepEqual(json.event, { seq: 14, type: 'alloc_fail', level: 'pte', addr: '0x40000000', line: 'alloc_fail pte 0x40000000' });
    assert.equal(json.scenario.arch, 'x86_64');
    assert.equal(json.summary.outcome, 'in progress');
    const end = JSON.parse(cli(['show', rec, '--json']).stdout);
    assert.equal(end.summary.outcome, 'aborted');
    assert.equal(end.summary.stop.line, 'alloc_fail pte 0x40000000');
    assert.deepEqual(
      end.summary.allocated.map((a: { level: string; empty: boolean }) => [a.level, a.empty]),
      [
        ['pte', false],
        ['pmd', true],
      ],
    );
    assert.deepEqual(json.pageTables.range, ['0x3fffe000', '0x40002000']);
  });

  it('refuses an event outside the recording', () => {
    const r = cli(['show', rec, '--at', '99']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--at 99: the recording has events 0 to 16/);
    const word = cli(['show', rec, '--at', 'middle']);
    assert.equal(word.status, 2);
  });
});

describe('walkback ls', () => {
  it('lists recordings with status, events, size and return value, and skips other files', () => {
    const lsDir = join(dir, 'ls');
    mkdirSync(lsDir);
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', join(lsDir, 'a.db')]).status, 0);
    assert.equal(cli(['record', `${EXAMPLES}guard-install-zap-retry.yaml`, '-o', join(lsDir, 'b.db')]).status, 0);
    const r = cli(['ls', lsDir, '--json']);
    assert.equal(r.status, 0);
    const rows = JSON.parse(r.stdout) as { file: string; status: string; events: number; ret: number }[];
    assert.deepEqual(
      rows.map((x) => [x.file.split('/').pop(), x.status, x.ret]),
      [
        ['a.db', 'aborted', -12],
        ['b.db', 'complete', 0],
      ],
    );
    const text = cli(['ls', lsDir]);
    assert.match(text.stdout, /^FILE\s+SCENARIO\s+STATUS\s+EVENTS\s+SIZE\s+RET\s+CREATED/);
    assert.equal(cli(['ls', join(dir, 'nowhere')]).status, 2);
  });
});

describe('SQL over a recording', () => {
  const rec = join(dir, 'sql.db');
  assert.equal(cli(['record', `${EXAMPLES}novma-kernel-half.yaml`, '-o', rec]).status, 0);
  const demo = join(dir, 'sql-demo.db');
  assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', demo]).status, 0);

  it('walkback sql exposes every event as the table events, addresses as hex text', () => {
    const r = cli(['sql', demo, "select count(*) from events where kind = 'alloc_fail'", '--csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'count(*)\n1\n');
    const rows = JSON.parse(cli(['sql', rec, "select seq, kind, level, addr, next from events where kind like '%_entry' order by seq limit 2", '--json']).stdout);
    assert.deepEqual(rows[0], { seq: 3, kind: 'pud_entry', level: 'pud', addr: '0xffff888000000000', next: '0xffff888040000000' });
  });

  it('reports a bad query with exit 2', () => {
    const r = cli(['sql', demo, 'select foo from nowhere']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /the query failed: no such table: nowhere \(tables: events, notable_events/);
    assert.equal(cli(['sql', demo, 'select nothing']).status, 2);
  });

  it('the sqlite3 shell alone shows the metadata and notable events, addresses >= 2^63 exact', { skip: !hasSqlite3 && 'no sqlite3 shell here' }, () => {
    const meta = sqlite3(demo, 'select scenario, arch, kernel, status, ret, client_ret, events from recording');
    assert.equal(meta.stdout, 'demo|x86_64|6.13|aborted|-12|-12|17\n');
    const notable = sqlite3(demo, "select seq, kind, level, addr from notable_events where kind in ('alloc', 'alloc_fail', 'set_pte')");
    assert.equal(notable.stdout, '6|alloc|pte|0x3fffe000\n9|set_pte|pte|0x3fffe000\n11|set_pte|pte|0x3ffff000\n12|alloc|pmd|0x40000000\n14|alloc_fail|pte|0x40000000\n');
    const kernel = sqlite3(rec, "select addr from notable_events where kind = 'state' order by seq");
    assert.equal(kernel.stdout, '0xffff888000000000\n0xffff888040000000\n');
  });
});
