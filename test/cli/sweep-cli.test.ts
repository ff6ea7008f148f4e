// walkback sweep, as a user runs it: the report, its JSON, the exit code when
// expectations break, and the runs it recorded, each readable with --run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli, events, traceOf } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-sweep-cli-');
after(cleanup);
const demo = join(EXAMPLES, 'demo.yaml');

interface SweepJson {
  runs: { run: number; label: string; point: { kind: string; nth: number; seq: number }; ret: number; stop: string; stopAddr: string | null; violations: string[] }[];
  groups: { points: number; runs: number[]; labels: string[]; violations: string[] }[];
  base: { ret: number; outcome: string };
}

describe('walkback sweep', () => {
  const file = join(dir, 'demo-sweep.db');
  let json: SweepJson;

  it('records every failure point of the demo and reports the outcomes as JSON', () => {
    const r = cli(['sweep', demo, '-o', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    json = JSON.parse(r.stdout) as SweepJson;
    // The demo allocates three tables when nothing fails (its own alloc: 3 fault is dropped).
    assert.deepEqual(json.runs.map((x) => x.label), ['alloc 1', 'alloc 2', 'alloc 3']);
    assert.deepEqual(json.runs.map((x) => x.ret), [-12, -12, -12]);
    assert.deepEqual(json.runs.map((x) => x.stop), ['alloc_fail pte', 'alloc_fail pmd', 'alloc_fail pte']);
    // Where: the PTE table below 1G, the PMD table of 1G-2G, the PTE table below that (see the demo's comment).
    assert.deepEqual(json.runs.map((x) => x.stopAddr), ['0x3fffe000', '0x40000000', '0x40000000']);
    assert.equal(json.base.ret, 0);
    assert.equal(json.base.outcome, 'completed');
    assert.equal(json.groups.reduce((n, g) => n + g.points, 0), 3);
  });

  it('--exact (every branch run in full) records the same runs', () => {
    const exact = join(dir, 'demo-exact.db');
    const r = cli(['sweep', demo, '-o', exact, '--exact', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as SweepJson & { file: string; bytes: number };
    assert.deepEqual({ ...j, file: '', bytes: 0 }, { ...(json as SweepJson & { file: string; bytes: number }), file: '', bytes: 0 });
    for (const run of json.runs) assert.equal(cli(['trace', exact, '--run', String(run.run)]).stdout, cli(['trace', file, '--run', String(run.run)]).stdout);
  });

  it('given the sweep file, prints the same report again', () => {
    const r = cli(['sweep', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), json);
  });

  it('prints the report as text: the outcomes, how many points lead to each, and how to open one', () => {
    const r = cli(['sweep', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 failure points/);
    assert.match(r.stdout, /fault-free: ret 0, completed/);
    assert.match(r.stdout, /3 outcomes/);
    assert.match(r.stdout, /1 point: ret -12, stopped at alloc_fail pte; left behind: 1 empty pmd table, guard PTEs/);
    assert.match(r.stdout, /walkback replay .* --run \d/);
  });

  it('each run reads back with --run: its trace is the trace of the scenario with that fault', () => {
    const scenario = loadScenario(demo);
    for (const run of json.runs) {
      const r = cli(['trace', file, '--run', String(run.run)]);
      assert.equal(r.status, 0, r.stderr);
      const expected = traceOf(events({ ...scenario, faults: [{ kind: 'alloc', nth: run.point.nth, level: null }] }));
      assert.deepEqual(r.stdout.trimEnd().split('\n'), expected, run.label);
    }
    const base = cli(['trace', file, '--run', '0']);
    assert.deepEqual(base.stdout.trimEnd().split('\n'), traceOf(events({ ...scenario, faults: [] })));
    const show = cli(['show', file, '--run', '3', '--json']);
    assert.equal(show.status, 0, show.stderr);
    const text = cli(['show', file, '--run', '3']);
    assert.match(text.stdout, /^.*demo-sweep\.db run 3 \(alloc 3\): demo \(x86_64, kernel 6\.13\), 17 events, aborted \(ret -12\)\n/);
    const ls = cli(['ls', dir]);
    assert.match(ls.stdout, /demo-sweep\.db\s+demo \(sweep: 3 failure points\)\s+complete\s+22 /);
    // SQL over a run: its events table is that run's.
    const sql = cli(['sql', file, "select seq, kind from events where kind like 'alloc%'", '--run', '2', '--csv']);
    assert.equal(sql.stdout, 'seq,kind\n6,alloc\n12,alloc_fail\n');
    // Addresses as integers too, for comparisons (addr is text, as the trace prints it).
    const ints = cli(['sql', file, "select printf('0x%x', addr_int) from events where addr_int >= 0x40000000 and kind = 'alloc_fail'", '--run', '3', '--csv']);
    assert.equal(ints.stdout.split('\n')[1], '0x40000000');
    const runs = cli(['sql', file, 'select id, parent, fork_seq, label from runs', '--csv']);
    assert.equal(runs.stdout, `id,parent,fork_seq,label\n0,,0,base\n${json.runs.map((r) => `${r.run},0,${r.point.seq},${r.label}`).join('\n')}\n`);
  });

  it('exits 1 and marks the outcomes that break the scenario\'s expect: block', () => {
    const text = readFileSync(demo, 'utf8').replace(/faults:[\s\S]*$/, 'expect: { no_empty_tables: [pmd], ret: [0, -12] }\n');
    const scenario = join(dir, 'expecting.yaml');
    writeFileSync(scenario, text);
    const r = cli(['sweep', scenario, '-o', join(dir, 'expecting.db')]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /expected: return value 0 or -12; no empty pmd table left behind/);
    assert.match(r.stdout, /3 outcomes; 1 of 3 failure points breaks the expectations/);
    assert.match(r.stdout, /!  3\. 1 point: .*\n.*alloc 3 \(run 3\), at 0x40000000\n.*\n\s+BREAKS EXPECTATION: leaves 1 empty pmd table behind/);
    assert.match(r.stderr, /^walkback: 1 of 3 failure points breaks the scenario's expectations \(marked above\)/);
    const check = cli(['check', scenario]);
    assert.match(check.stdout, /; expects \(walkback sweep checks every failure point\): return value 0 or -12; no empty pmd table left behind\n/);
  });

  it('a walk that allocates nothing has no failure point, and says so', () => {
    const scenario = join(dir, 'populated.yaml');
    writeFileSync(scenario, 'vmas: [{ start: 0x400000, end: 0x600000 }]\nstate: [{ kind: pte, at: 0x400000, count: 4 }]\nwalk: { api: walk_page_range_mm, start: 0x400000, end: 0x404000, ops: { install_pte: ok } }\n');
    const r = cli(['sweep', scenario, '-o', join(dir, 'populated-sweep.db')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: no failure point; the fault-free run is in /);
    assert.match(r.stdout, /the walk allocates nothing: there is no failure point to try/);
    const again = cli(['sweep', join(dir, 'populated-sweep.db'), '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as SweepJson).runs, []);
  });

  it('bad input: one line, exit 2, and the file already written is kept', () => {
    const before = readFileSync(file);
    const exists = cli(['sweep', demo, '-o', file]);
    assert.equal(exists.status, 2);
    assert.match(exists.stderr, /exists; pass --force to replace it/);
    assert.deepEqual(readFileSync(file), before);
    const noRun = cli(['trace', file, '--run', '9']);
    assert.equal(noRun.status, 2);
    assert.match(noRun.stderr, /has no run 9/);
    const badRun = cli(['show', file, '--run', 'two']);
    assert.equal(badRun.status, 2);
    assert.match(badRun.stderr, /--run two: not a run number/);
    const wrongFlag = cli(['sweep', file, '--pte-map']);
    assert.equal(wrongFlag.status, 2);
    assert.match(wrongFlag.stderr, /is a recording: -o, --pte-map, --exact and --max-size apply when sweeping a scenario/);
    const twice = cli(['trace', file, '--run', '1', '--run', '2']);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /--run <k>' argument '2' is invalid\. given twice \(1, then 2\); give it once/);
    const plain = cli(['trace', demo, '--run', '1']);
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /--run applies to a recording/);
    const single = join(dir, 'single.db');
    assert.equal(cli(['record', demo, '-o', single]).status, 0);
    const notSweep = cli(['sweep', single]);
    assert.equal(notSweep.status, 2);
    assert.match(notSweep.stderr, /is a recording of one walk, not a sweep; walkback sweep SCENARIO makes one/);
    for (const r of [exists, noRun, badRun, wrongFlag, plain, notSweep]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
