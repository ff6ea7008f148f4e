// SPDX-License-Identifier: GPL-2.0-only
// Ctrl-C (SIGINT) or SIGTERM while record, run or sweep write: the file is
// finished as incomplete (interrupted), merged into one file, and the
// command says so and exits 130 or 143, as a shell reports the signal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-interrupt-');
after(cleanup);

// A guard install over 64 GiB: 33.6 million events, far more than the test waits for (and under the default cap).
const BIG = join(dir, 'big.yaml');
writeFileSync(
  BIG,
  `name: big
vmas: [{ start: 0x10000000000, end: 0x20000000000 }]
walk: { api: walk_page_range_mm, start: 0x10000000000, end: 0x11000000000, ops: { preset: guard-install } }
`,
);

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start walkback, wait until `file` holds more than `bytes`, send `signal`, and wait for the end (killing it if it does not come). */
function interrupt(args: string[], file: string, signal: NodeJS.Signals, bytes = 2_000_000): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    let sent = false;
    let deadline: NodeJS.Timeout | null = null;
    const poll = setInterval(() => {
      if (sent) return;
      const size = existsSync(file) ? statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0) : 0;
      if (size > bytes || Date.now() - started > 60_000) {
        sent = true;
        child.kill(signal);
        // A command that ignores the signal fails the test rather than hang it.
        deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
      }
    }, 20);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      if (deadline) clearTimeout(deadline);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

function meta(file: string, key: string): string {
  const rows = JSON.parse(cli(['sql', file, `select value from meta where key = '${key}'`, '--json']).stdout) as { value: unknown }[];
  return String(rows[0]?.value ?? '');
}

describe('an interrupted recording is finished, said, and exits 128 + the signal', () => {
  it('record, SIGINT: exit 130, "interrupted (SIGINT, Ctrl-C) after N events", the file incomplete and merged, every event it says replayable', async () => {
    const file = join(dir, 'int.db');
    const r = await interrupt(['record', BIG, '-o', file], file, 'SIGINT');
    assert.equal(r.signal, null, 'killed by the signal: nothing finished the file');
    assert.equal(r.code, 130, r.stderr);
    const m = /^walkback: .*int\.db: interrupted \(SIGINT, Ctrl-C\) after ([\d,]+) events; what was written is kept \(status incomplete\) and replays\n$/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const events = Number(m[1]!.replace(/,/g, ''));
    assert.ok(events > 0);
    // One self-contained file: no WAL left behind.
    assert.ok(!existsSync(`${file}-wal`), 'the WAL was left unmerged');
    assert.equal(meta(file, 'status'), 'incomplete');
    assert.equal(meta(file, 'error'), 'interrupted (SIGINT, Ctrl-C)');
    assert.equal(Number(meta(file, 'event_count')), events);
    const show = cli(['show', file]);
    assert.equal(show.status, 0);
    assert.match(show.stdout, new RegExp(`^.*int\\.db: big \\(x86_64, kernel 6\\.13\\), ${m[1]} events, incomplete: interrupted \\(SIGINT, Ctrl-C\\)$`, 'm'));
    const ls = JSON.parse(cli(['ls', dir, '--json']).stdout) as { file: string; status: string; events: number }[];
    assert.deepEqual(ls.filter((row) => row.file.endsWith('int.db')).map((row) => [row.status, row.events]), [['interrupted', events]]);
  });

  it('record, SIGTERM: exit 143', async () => {
    const file = join(dir, 'term.db');
    const r = await interrupt(['record', BIG, '-o', file], file, 'SIGTERM');
    assert.equal(r.code, 143, `${r.signal} ${r.stderr}`);
    assert.match(r.stderr, /term\.db: interrupted \(SIGTERM\) after [\d,]+ events/);
    assert.equal(meta(file, 'status'), 'incomplete');
  });

  it('run without a terminal, SIGINT: exit 130, the same line, no UI', async () => {
    const file = join(dir, 'run.db');
    const r = await interrupt(['run', BIG, '-o', file], file, 'SIGINT');
    assert.equal(r.code, 130, `${r.signal} ${r.stderr}`);
    assert.match(r.stderr, /run\.db: interrupted \(SIGINT, Ctrl-C\) after [\d,]+ events; what was written is kept/);
    assert.equal(meta(file, 'error'), 'interrupted (SIGINT, Ctrl-C)');
  });

  it('sweep, SIGINT in its fault-free run: exit 130, its report says INTERRUPTED now and when read again', async () => {
    const file = join(dir, 'sweep.db');
    const r = await interrupt(['sweep', BIG, '-o', file], file, 'SIGINT');
    assert.equal(r.code, 130, `${r.signal} ${r.stderr}`);
    assert.match(r.stderr, /sweep\.db: the sweep was interrupted \(SIGINT, Ctrl-C\) after 0 failure points, in its fault-free run; what it recorded is kept \(walkback sweep .*sweep\.db reports on it\)\n$/);
    assert.match(r.stdout, /^INTERRUPTED: the sweep was cut short after 0 failure points/m);
    assert.ok(!existsSync(`${file}-wal`));
    const again = cli(['sweep', file]);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /^INTERRUPTED: the sweep was cut short/m);
    const ls = JSON.parse(cli(['ls', dir, '--json']).stdout) as { file: string; status: string }[];
    assert.equal(ls.find((row) => row.file.endsWith('sweep.db'))?.status, 'interrupted');
  });
});
