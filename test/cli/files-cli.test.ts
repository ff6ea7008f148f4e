// SPDX-License-Identifier: GPL-2.0-only
// What the commands accept as files: never an output over its input (through
// any path or link), only regular files or standard input as inputs (no
// FIFO or device can hang a command), any scenario name as a safe default
// file name, and directories with broken entries listed, not crashed on.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { safeFileStem } from '../../src/cli/output-file.js';
import { BIN, EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import type { CliResult } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-files-');
after(cleanup);

const DEMO = readFileSync(`${EXAMPLES}demo.yaml`, 'utf8');

/** The CLI with a time limit: a command that blocks on a FIFO fails the test instead of hanging it. */
function bounded(args: string[], options: { cwd?: string; input?: string | Buffer } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: options.cwd ?? dir, timeout: 20_000, input: options.input ?? '' });
  assert.equal(r.signal, null, `walkback ${args.join(' ')} did not finish (killed by ${r.signal})`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh scenario file (the demo) and a recording of it, in their own directory. */
function fixture(name: string): { scenario: string; recording: string; at: string } {
  const at = join(dir, name);
  mkdirSync(at, { recursive: true });
  const scenario = join(at, 's.yaml');
  writeFileSync(scenario, DEMO);
  const recording = join(at, 'r.db');
  const r = cli(['record', scenario, '-o', recording]);
  assert.equal(r.status, 0, r.stderr);
  return { scenario, recording, at };
}

const unchanged = (file: string, before: Buffer) => assert.deepEqual(readFileSync(file), before, `${file} was changed`);

describe('-o over the input is refused, whatever path leads to it', () => {
  it('export REC -o REC --force: exit 2, the recording untouched and still a recording', () => {
    const { recording } = fixture('export-self');
    const before = readFileSync(recording);
    const r = cli(['export', recording, '-o', recording, '--force']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^walkback: -o .*r\.db is the recording .*r\.db: writing it would destroy its input; choose another -o\n$/);
    unchanged(recording, before);
    assert.equal(cli(['show', recording]).status, 0);
  });

  it('record, run and sweep onto their own scenario, by the same name, a symbolic link, a hard link or another spelling', () => {
    const { scenario, at } = fixture('record-self');
    const soft = join(at, 'soft.yaml');
    const hard = join(at, 'hard.yaml');
    symlinkSync(scenario, soft);
    linkSync(scenario, hard);
    const before = readFileSync(scenario);
    for (const [command, input, output] of [
      ['record', scenario, scenario],
      ['record', scenario, soft],
      ['record', soft, hard],
      ['record', scenario, join(at, '.', '..', 'record-self', 's.yaml')],
      ['run', scenario, hard],
      ['sweep', hard, scenario],
      ['export', scenario, soft],
    ] as const) {
      const r = cli([command, input, '-o', output, '--force']);
      assert.equal(r.status, 2, `${command} ${input} -o ${output}: ${r.stderr}`);
      assert.match(r.stderr, /writing it would destroy its input; choose another -o\n$/);
      unchanged(scenario, before);
    }
  });

  it("a recording's -wal and -shm are its own: an output over them, or over an input they are, is refused", () => {
    const { scenario, recording, at } = fixture('siblings');
    // A scenario named like the output's write-ahead file: making way for the output would remove it.
    const wal = join(at, 'out.db-wal');
    copyFileSync(scenario, wal);
    const r1 = cli(['record', wal, '-o', join(at, 'out.db'), '--force']);
    assert.equal(r1.status, 2);
    assert.match(r1.stderr, /-o .*out\.db would replace .*out\.db-wal, which is the scenario .*out\.db-wal/);
    assert.ok(existsSync(wal));
    // An export onto the write-ahead file of the recording it reads.
    copyFileSync(recording, `${recording}-wal`);
    const before = readFileSync(`${recording}-wal`);
    const r2 = cli(['export', recording, '-o', `${recording}-wal`, '--force']);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /is the write-ahead file .*r\.db-wal of the recording .*r\.db/);
    unchanged(`${recording}-wal`, before);
  });

  it('the scenario on standard input, when that is the file -o names', () => {
    const { scenario } = fixture('stdin-self');
    const before = readFileSync(scenario);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" record - -o "${scenario}" --force < "${scenario}"`], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /is the scenario on standard input: writing it would destroy its input/);
    unchanged(scenario, before);
  });

  it('demo -o its own scenario', () => {
    const file = `${EXAMPLES}demo.yaml`;
    const before = readFileSync(file);
    try {
      const r = cli(['demo', '-o', file]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /is the scenario .*demo\.yaml: writing it would destroy its input/);
    } finally {
      // Were the check missing, put the example back for the other tests.
      if (!readFileSync(file).equals(before)) writeFileSync(file, before);
    }
    unchanged(file, before);
  });

  it('still writes a new file, and replaces another one with --force', () => {
    const { scenario, at } = fixture('ok');
    const other = join(at, 'other.db');
    writeFileSync(other, 'old');
    assert.equal(cli(['record', scenario, '-o', other, '--force']).status, 0);
    assert.equal(cli(['export', other, '--format', 'trace', '-o', join(at, 't.trace')]).status, 0);
  });
});

describe('inputs are regular files or standard input', () => {
  const fifo = join(dir, 'pipe.yaml');
  const fifoDb = join(dir, 'pipe.db');
  execFileSync('mkfifo', [fifo, fifoDb]);

  it('check, trace, record, export and sweep of a FIFO: refused at once (exit 2), not blocked on', () => {
    for (const command of ['check', 'trace', 'record', 'export', 'sweep']) {
      const r = bounded([command, fifo]);
      assert.equal(r.status, 2, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /pipe\.yaml: is a pipe \(FIFO\), not a scenario file; to read a scenario from a pipe, give - \(standard input\)/);
    }
  });

  it('show, trace and sql of a FIFO or a device named as a recording: refused, never "is empty"', () => {
    for (const args of [['show', fifoDb], ['trace', fifoDb], ['sql', fifoDb, 'select 1'], ['show', '/dev/zero'], ['show', '/dev/null']]) {
      const r = bounded(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /is (a pipe \(FIFO\)|a character device), not a recording; a recording is a regular file/);
      assert.doesNotMatch(r.stderr, /empty/);
    }
  });

  it('check and trace of /dev/zero: refused at once', () => {
    for (const command of ['check', 'trace']) {
      const r = bounded([command, '/dev/zero']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^walkback: \/dev\/zero: is a character device, not a scenario file\n$/);
    }
  });

  it('- reads the scenario from standard input: check, trace, record (named after the scenario), sweep, export, diff, run', () => {
    const at = join(dir, 'stdin');
    mkdirSync(at);
    const check = bounded(['check', '-'], { input: DEMO, cwd: at });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /^<stdin>: ok: demo: x86_64/);
    const trace = bounded(['trace', '-'], { input: DEMO, cwd: at });
    assert.equal(trace.status, 0);
    assert.equal(trace.stdout, cli(['trace', `${EXAMPLES}demo.yaml`]).stdout);
    const record = bounded(['record', '-'], { input: DEMO, cwd: at });
    assert.equal(record.status, 0, record.stderr);
    assert.match(record.stdout, /^recorded recordings\/demo\.db: 17 events/);
    assert.equal(cli(['trace', join(at, 'recordings', 'demo.db')]).stdout, trace.stdout);
    const sweep = bounded(['sweep', '-', '--json'], { input: DEMO, cwd: at });
    assert.equal(sweep.status, 0, sweep.stderr);
    assert.equal(JSON.parse(sweep.stdout).runs.length, 3);
    assert.ok(existsSync(join(at, 'recordings', 'demo-sweep.db')));
    const exported = bounded(['export', '-', '--format', 'trace'], { input: DEMO, cwd: at });
    assert.equal(exported.stdout, trace.stdout);
    const diff = bounded(['diff', '-', `${EXAMPLES}demo.yaml`], { input: DEMO, cwd: at });
    assert.equal(diff.status, 0, diff.stderr);
    // No terminal to open the UI on: run records and prints what it recorded.
    const run = bounded(['run', '-'], { input: DEMO, cwd: at });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^recorded recordings\/demo-2\.db/);
  });

  it('a scenario without a name on standard input is recorded as stdin.db; errors name <stdin> and its line', () => {
    const at = join(dir, 'stdin-noname');
    mkdirSync(at);
    const r = bounded(['record', '-'], { input: DEMO.replace(/^name: .*\n/m, ''), cwd: at });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^recorded recordings\/stdin\.db/);
    const bad = bounded(['check', '-'], { input: 'walk: { start: 0x1001, end: 0x2000, ops: { pte_hole: ok } }\n' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^walkback: <stdin>:1:/);
  });

  it('binary data or a recording on standard input: refused at once, /dev/zero included', () => {
    const zero = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" check - < /dev/zero`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(zero.signal, null, 'check - < /dev/zero did not finish');
    assert.equal(zero.status, 2);
    assert.match(zero.stderr, /<stdin>: is binary data, not a scenario/);
    const { recording } = fixture('stdin-rec');
    const rec = bounded(['trace', '-'], { input: readFileSync(recording) });
    assert.equal(rec.status, 2);
    assert.match(rec.stderr, /<stdin>: holds a recording \(a SQLite file\), which cannot be read from a pipe; give its path instead of -/);
  });

  it('a recording cannot be read from standard input, and says so', () => {
    for (const args of [['show', '-'], ['replay', '-'], ['sql', '-', 'select 1'], ['upgrade', '-']]) {
      const r = bounded(args, { input: '' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /^walkback: -: a recording cannot be read from standard input \(SQLite reads a file it can seek\); give its path\n$/);
    }
  });
});

describe('default output names are safe for any scenario name', () => {
  const withName = (name: string) => DEMO.replace(/^name: .*$/m, `name: ${JSON.stringify(name)}`);

  it('a 300-character name: recorded (not ENAMETOOLONG), its file name cut to 100 bytes', () => {
    const at = join(dir, 'long');
    mkdirSync(at);
    const r = bounded(['record', '-'], { input: withName('x'.repeat(300)), cwd: at });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(join(at, 'recordings')), [`${'x'.repeat(100)}.db`]);
    // And its sweep, whose suffix comes on top.
    const s = bounded(['sweep', '-'], { input: withName('y'.repeat(300)), cwd: at });
    assert.equal(s.status, 0, s.stderr);
    assert.ok(existsSync(join(at, 'recordings', `${'y'.repeat(100)}-sweep.db`)));
  });

  it('slashes, dots, control characters, spaces and nothing at all: a file directly in recordings/', () => {
    const at = join(dir, 'odd');
    mkdirSync(at);
    for (const [name, file] of [
      ['../../etc/passwd', 'etc-passwd.db'],
      ['..', 'recording.db'],
      ['.hidden', 'hidden.db'],
      ['a\u0001b\nc\td', 'a-b-c-d.db'],
      ['', 'recording-2.db'],
      ['größe 2M/pmd', 'größe-2M-pmd.db'],
    ]) {
      const r = bounded(['record', '-'], { input: withName(name!), cwd: at });
      assert.equal(r.status, 0, `${JSON.stringify(name)}: ${r.stderr}`);
      assert.ok(existsSync(join(at, 'recordings', file!)), `${JSON.stringify(name)} -> ${readdirSync(join(at, 'recordings'))}`);
    }
    assert.deepEqual(readdirSync(at), ['recordings']);
  });

  it('safeFileStem: any name gives a non-empty stem of letters, digits, . _ - without a leading dot, at most 100 bytes', () => {
    const names = ['', '.', '..', '...', '/', '-', 'a/b', '\u0000', 'x'.repeat(1000), 'é'.repeat(300), '🙂'.repeat(80), ' lead', 'trail. ', 'ok-name_1.2'];
    for (const name of names) {
      const stem = safeFileStem(name);
      assert.match(stem, /^[\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}._-]*$/u, JSON.stringify(name));
      assert.ok(Buffer.byteLength(stem) <= 100, JSON.stringify(name));
      assert.ok(!stem.endsWith('.') && !stem.endsWith('-'), JSON.stringify(name));
    }
    assert.equal(safeFileStem('ok-name_1.2'), 'ok-name_1.2');
    assert.equal(safeFileStem('é'.repeat(300)), 'é'.repeat(50));
  });
});

describe('walkback ls over a directory with broken entries', () => {
  it('lists a broken link or a loop named like a recording as unreadable, skips other broken entries, exit 0', () => {
    const at = join(dir, 'ls-broken');
    mkdirSync(at);
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', join(at, 'good.db')]).status, 0);
    symlinkSync(join(at, 'nowhere.db'), join(at, 'dangling.db'));
    symlinkSync(join(at, 'loop-b.db'), join(at, 'loop-a.db'));
    symlinkSync(join(at, 'loop-a.db'), join(at, 'loop-b.db'));
    symlinkSync(join(at, 'missing'), join(at, 'notes'));
    const r = cli(['ls', at, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { file: string; status: string }[];
    assert.deepEqual(
      rows.map((row) => [row.file.split('/').pop(), row.status.replace(/ \(to .*\)$/, '')]),
      [
        ['dangling.db', 'unreadable: a broken symbolic link'],
        ['good.db', 'aborted'],
        ['loop-a.db', 'unreadable: a loop of symbolic links'],
        ['loop-b.db', 'unreadable: a loop of symbolic links'],
      ],
    );
    assert.equal(cli(['ls', at]).status, 0);
  });

  it('a directory that is a loop of links: exit 2 and says so', () => {
    const loop = join(dir, 'dir-loop');
    symlinkSync(loop, loop);
    const r = cli(['ls', loop]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /dir-loop: is a loop of symbolic links/);
    assert.ok(statSync(dir).isDirectory());
  });
});
