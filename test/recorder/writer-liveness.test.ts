// Whether a recording is still being written is what the kernel says, not a
// pid: a writer killed while its parent does not reap it (a zombie keeps its
// pid) and a dead writer whose pid now belongs to another process are both
// seen as gone, by show, ls, the library and replay --follow.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { RecordingWriter } from '../../src/recorder/record.js';
import { Recording } from '../../src/replay/open-recording.js';
import { TuiSession } from '../../src/views/tui/model/session.js';
import { runScenario } from '../../src/walker/run.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import { renderApp, waitFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-liveness-');
after(cleanup);

// An install walk over 16 GiB: about 8.4 million events, a second or two to record; killed long before its end.
const bigFile = join(dir, 'big.yaml');
writeFileSync(
  bigFile,
  `name: big
vmas: [{ start: 0x400000000, end: 0x800000000 }]
walk: { api: walk_page_range_mm, start: 0x400000000, end: 0x800000000, ops: { install_pte: ok } }
`,
);

const children: { kill: (signal: NodeJS.Signals) => boolean }[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

function eventsIn(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    const r = Recording.open(file);
    try {
      return r.length;
    } finally {
      r.close();
    }
  } catch {
    return 0;
  }
}

function statusOf(file: string): { status: string; writing: boolean } {
  const r = Recording.open(file);
  try {
    return { status: r.status(), writing: r.writerActive() };
  } finally {
    r.close();
  }
}

/** The state letter of a process (/proc/PID/stat: R, S, Z...), or null once it is gone. */
function processState(pid: number): string | null {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;
  } catch {
    return null;
  }
}

/** What show, ls and replay --follow make of a recording whose writer is dead. */
async function assertSeenDead(file: string): Promise<void> {
  assert.deepEqual(statusOf(file), { status: 'incomplete', writing: false });
  const show = cli(['show', file]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout.split('\n')[0]!, /incomplete/);
  assert.doesNotMatch(show.stdout, /still being recorded/);
  const ls = cli(['ls', dir]);
  assert.match(ls.stdout.split('\n').find((l) => l.includes(file))!, / incomplete /);
  // replay --follow: it follows to the last event committed, then says the writer is gone, and stops following.
  const recording = Recording.open(file);
  try {
    const ui = await renderApp({ session: new TuiSession(recording), follow: true, pollMs: 10 });
    try {
      await waitFor(() => /no longer being written: the recording is incomplete/.test(ui.frame()), 'follow to give up on the dead writer');
      assert.doesNotMatch(ui.frame(), /following/);
      assert.equal(ui.seq(), recording.length - 1);
    } finally {
      ui.unmount();
    }
  } finally {
    recording.close();
  }
}

describe('a writer killed with SIGKILL', () => {
  it('left a zombie by a parent that does not reap it: not being written', async () => {
    const out = join(dir, 'zombie.db');
    // The shell starts the writer, then becomes `sleep`, which never waits for its children.
    const parent = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" record "${bigFile}" -o "${out}" >/dev/null 2>&1 & echo $!; exec sleep 120`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    await waitFor(() => eventsIn(out) > 0, 'the first events', 20_000);
    assert.deepEqual(statusOf(out), { status: 'recording', writing: true });
    process.kill(pid, 'SIGKILL');
    await waitFor(() => processState(pid) === 'Z', 'the writer to be a zombie', 10_000);
    // Its lock goes once its last thread is gone (a thread group's leader shows Z while the others finish exiting).
    await waitFor(() => !statusOf(out).writing, 'the lock to be released', 5_000);
    // The pid is still there: what a test by pid took for a live writer.
    assert.equal(processState(pid), 'Z');
    assert.doesNotThrow(() => process.kill(pid, 0));
    await assertSeenDead(out);
    parent.kill('SIGKILL');
    // The next recording to the same name takes over what the dead writer left.
    const again = cli(['record', join(ROOT, 'examples/demo.yaml'), '-o', out, '--force']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(statusOf(out), { status: 'aborted', writing: false });
    assert.ok(!existsSync(`${out}-lock`), 'a writer that finishes leaves no lock file');
  });

  it('whose pid now belongs to another live process: not being written', async () => {
    const out = join(dir, 'reused.db');
    // A writer that records the pid of a live process that is not it (this test's), as a reused pid would be.
    const writer = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { RecordingWriter } from '${ROOT}dist/src/recorder/record.js';
         import { loadScenario } from '${ROOT}dist/src/scenario/load-scenario.js';
         import { runScenario } from '${ROOT}dist/src/walker/run.js';
         const scenario = loadScenario('${bigFile}');
         const writer = new RecordingWriter('${out}', scenario, { walkbackVersion: 'test', meta: { writer_pid: ${process.pid} } });
         let n = 0;
         try { runScenario(scenario, (e) => { writer.add(e); if (++n === 100000) throw new Error('enough'); }); } catch {}
         process.stdout.write('ready\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(writer);
    await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));
    assert.deepEqual(statusOf(out), { status: 'recording', writing: true });
    // While it lives, no other walkback replaces the file under it.
    const before = eventsIn(out);
    const replace = cli(['record', join(ROOT, 'examples/demo.yaml'), '-o', out, '--force']);
    assert.equal(replace.status, 2);
    assert.match(replace.stderr, /reused\.db is being written by another walkback process; wait for it to finish, or choose another -o\n$/);
    assert.equal(eventsIn(out), before);
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    writer.kill('SIGKILL');
    await exited;
    const r = Recording.open(out);
    try {
      assert.equal(r.meta().writerPid, process.pid, 'the pid recorded is a live process');
    } finally {
      r.close();
    }
    await assertSeenDead(out);
  });
});

describe('a writer in this process', () => {
  it('is seen writing until it finishes; its lock file goes with it', async () => {
    const out = join(dir, 'here.db');
    const scenario = loadScenario(join(ROOT, 'test/fixtures/ui-rich.yaml'));
    const writer = new RecordingWriter(out, scenario, { walkbackVersion: 'test', chunkEvents: 16 });
    runScenario(scenario, (e) => writer.add(e));
    assert.deepEqual(statusOf(out), { status: 'recording', writing: true });
    assert.ok(existsSync(`${out}-lock`));
    const result = await writer.finish();
    assert.deepEqual(statusOf(out), { status: result.status, writing: false });
    assert.ok(!existsSync(`${out}-lock`));
  });

  it('a second writer of the same file is refused while the first lives', () => {
    const out = join(dir, 'twice.db');
    const scenario = loadScenario(join(ROOT, 'test/fixtures/ui-rich.yaml'));
    const first = new RecordingWriter(out, scenario, { walkbackVersion: 'test' });
    try {
      assert.throws(() => new RecordingWriter(out, scenario, { walkbackVersion: 'test' }), /another process is writing .*twice\.db/);
    } finally {
      void first.finish();
    }
  });
});
