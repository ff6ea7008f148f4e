// A sweep killed half way (SIGKILL: no chance to clean up) keeps every run it
// recorded, and its report says how far it got.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import { waitFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-sweep-killed-');
after(cleanup);

/** A number read from a file being written, or 0 while it cannot be read yet. */
function countIn(file: string, sql: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).pluck().get() as number | null) ?? 0;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

const runsIn = (file: string): number => countIn(file, 'SELECT count(*) FROM runs');
const eventsIn = (file: string): number => countIn(file, 'SELECT coalesce(sum(count), 0) FROM chunks');

interface Report {
  points: number | null;
  interrupted: boolean;
  runs: { run: number; outcome: string; ret: number | null; stop: string }[];
  groups: { points: number; description: string }[];
}

describe('a sweep killed half way', () => {
  it('killed during its fault-free run: the report says the failure points are not known yet', async () => {
    const scenario = join(dir, 'guard-4g-early.yaml');
    writeFileSync(scenario, 'vmas: [{ start: 0x40000000, end: 0x140000000 }]\nwalk: { api: walk_page_range_mm, start: 0x40000000, end: 0x140000000, ops: { preset: guard-install } }\n');
    const out = join(dir, 'killed-early.db');
    const child = spawn(process.execPath, [BIN, 'sweep', scenario, '-o', out], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => eventsIn(out) > 0, 'the first events', 30_000);
    child.kill('SIGKILL');
    await exited;
    if (runsIn(out) > 1) return; // the base finished first on a fast machine: the other test covers that
    const r = cli(['sweep', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /failure points not known \(the fault-free run did not finish\)/);
    assert.match(r.stdout, /fault-free: ret none, incomplete/);
    assert.match(r.stdout, /no run with a failure point was recorded/);
    assert.doesNotMatch(r.stdout, /allocates nothing/);
  });

  it('keeps the runs it recorded, and its report says it was cut short', async () => {
    // 4 GiB: 2,053 points, a few seconds of branches to be killed in.
    const scenario = join(dir, 'guard-4g.yaml');
    writeFileSync(scenario, 'vmas: [{ start: 0x40000000, end: 0x140000000 }]\nwalk: { api: walk_page_range_mm, start: 0x40000000, end: 0x140000000, ops: { preset: guard-install } }\n');
    const out = join(dir, 'killed.db');
    const child = spawn(process.execPath, [BIN, 'sweep', scenario, '-o', out], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => runsIn(out) > 20, 'some runs', 30_000);
    child.kill('SIGKILL');
    await exited;

    const r = cli(['sweep', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.points, 2053);
    assert.equal(report.interrupted, true);
    assert.ok(report.runs.length >= 20 && report.runs.length < 2053, `${report.runs.length} runs`);
    // Every finished run failed with -ENOMEM; at most the last was cut mid-way.
    const unfinished = report.runs.filter((x) => x.outcome === 'incomplete');
    assert.ok(unfinished.length <= 1);
    if (unfinished.length) assert.equal(unfinished[0]!.run, report.runs[report.runs.length - 1]!.run);
    for (const x of report.runs.filter((y) => y.outcome !== 'incomplete')) assert.deepEqual([x.ret, x.outcome], [-12, 'aborted']);
    assert.equal(report.groups.reduce((n, g) => n + g.points, 0), report.runs.length);

    const ls = cli(['ls', dir]);
    assert.match(ls.stdout, new RegExp(`killed\\.db\\s+guard-4g \\(sweep: ${report.runs.length} of 2053 failure points\\)\\s+interrupted`));
    const text = cli(['sweep', out]);
    assert.match(text.stdout, /INTERRUPTED: the sweep was cut short after [\d,]+ of 2,053 failure points/);
    // A recorded run replays.
    const trace = cli(['trace', out, '--run', '5']);
    assert.equal(trace.status, 0, trace.stderr);
    assert.match(trace.stdout, /alloc_fail pte 0x40400000\nret -12\nret -12\n$/);
  });
});
