// The library: import { loadScenario, walk, record, openRecording } from 'walkback'.
// In-process through src/index.ts (typed), and as a user's program would,
// through the package's name and its built files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { loadScenario, openRecording, parseScenario, record, RecordingError, ScenarioError, walk } from '../../src/index.js';
import type { WalkEvent } from '../../src/index.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { events, traceOf } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-library-');
after(cleanup);
const demo = join(EXAMPLES, 'demo.yaml');

describe('the library API', () => {
  it('walk() is a cold stream of the walk: each subscription runs it anew, the same events', async () => {
    const scenario = loadScenario(demo);
    const stream = walk(scenario);
    const first = await lastValueFrom(stream.pipe(toArray()));
    const second = await lastValueFrom(stream.pipe(toArray()));
    assert.deepEqual(first, second);
    assert.deepEqual(first, events(scenario));
    // The demo's third allocation fails: -ENOMEM from the walk and from the client.
    assert.deepEqual(first.filter((e) => e.type === 'ret' || e.type === 'client_ret').map((e) => (e as { value: number }).value), [-12, -12]);
  });

  it('record() then openRecording(): the events, state, summary and trace of the live walk', async () => {
    const scenario = loadScenario(demo);
    const result = await record(scenario, join(dir, 'demo.db'));
    assert.equal(result.status, 'aborted');
    assert.equal(result.ret, -12);
    const rec = openRecording(result.file);
    try {
      const live: WalkEvent[] = events(scenario);
      assert.equal(rec.length, live.length);
      assert.deepEqual([...rec.events()], live);
      assert.deepEqual([...rec.trace()], traceOf(live));
      assert.equal(rec.status(), 'aborted');
      assert.equal(rec.meta().scenarioName, 'demo');
      const summary = rec.summary();
      assert.equal(summary.clientRet, -12);
      // Left behind: the PMD table of 1G-2G, allocated and empty.
      assert.deepEqual(summary.allocated.filter((t) => t.empty).map((t) => [t.level, t.start]), [['pmd', 0x40000000]]);
      assert.equal(rec.stateAt(-1).walk, null);
      assert.equal(rec.diff(-1, rec.length - 1).entries > 0, true);
      assert.deepEqual(rec.runs().map((r) => r.id), [0]);
    } finally {
      rec.close();
    }
  });

  it('record() never overwrites: an existing file is a RecordingError, and the file is untouched', async () => {
    const file = join(dir, 'precious.db');
    writeFileSync(file, 'keep me');
    await assert.rejects(record(loadScenario(demo), file), (e: unknown) => e instanceof RecordingError && /precious\.db: exists; remove it first/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  });

  it('errors are typed: ScenarioError and RecordingError, with messages for people', () => {
    assert.throws(() => parseScenario('walk: { start: 0x1001, end: 0x2000 }', 'bad.yaml'), (e: unknown) => e instanceof ScenarioError && /bad.yaml:1:16: walk.start: 0x1001 is not page aligned/.test(e.message));
    const notRecording = join(dir, 'text.db');
    writeFileSync(notRecording, 'hello');
    assert.throws(() => openRecording(notRecording), RecordingError);
  });

  it("as a user's program: import from 'walkback' resolves to the built package, with its types", () => {
    assert.ok(existsSync(join(ROOT, 'dist/src/index.d.ts')), 'types are published (dist/src/index.d.ts)');
    const program = `
      import { loadScenario, walk, record, openRecording } from 'walkback';
      const s = loadScenario(${JSON.stringify(demo)});
      let n = 0;
      walk(s).subscribe(() => n++);
      const r = await record(s, ${JSON.stringify(join(dir, 'user.db'))});
      const rec = openRecording(r.file);
      console.log(JSON.stringify({ n, length: rec.length, ret: rec.summary().clientRet }));
      rec.close();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { n: number; length: number; ret: number };
    assert.equal(out.n, out.length);
    assert.equal(out.ret, -12);
  });
});
