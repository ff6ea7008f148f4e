// The real `walkback replay` in a real terminal (tmux, 80x24): jump to the
// failure, step back, open the diff, resize, quit, and the terminal is as it
// was. Started with CI=true on purpose: Ink draws nothing under CI unless
// walkback takes care of it, and CI is where these tests run.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const server = `walkback-e2e-${process.pid}`;
const { dir, cleanup } = tempDir('walkback-e2e-');
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'ui');
const flag = (name: string) => tmux('display-message', '-p', '-t', 'ui', `#{${name}}`).trim();

async function until(pred: (s: string) => boolean, what: string, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (pred(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
}
const position = (s: string) => Number(/event (\d+) of 0-\d+/.exec(s)?.[1] ?? NaN);

describe('walkback replay in a terminal', { skip: hasTmux ? false : 'tmux is not installed' }, () => {
  let file = '';
  before(() => {
    file = join(dir, 'rich.db');
    const r = cli(['record', `${ROOT}test/fixtures/ui-rich.yaml`, '-o', file]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    spawnSync('tmux', ['-L', server, 'kill-server']);
    cleanup();
  });

  it('opens at the failure, moves, diffs, redraws on resize, and quits leaving the terminal as it was', async () => {
    // stty prints the line discipline after walkback exits: raw mode must be off again.
    const command = `env CI=true TERM=xterm-256color ${COMMAND} replay ${file}; echo EXITED $?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; sleep 60`;
    tmux('new-session', '-d', '-s', 'ui', '-x', '80', '-y', '24', command);
    let s = await until((t) => /event \d+ of 0-2076/.test(t), 'the first frame');
    assert.equal(position(s), 2074, 'it opens where the walk stopped');
    assert.match(s, /^> +2074 alloc_fail pmd 0x40000000/m);
    assert.equal(flag('alternate_on'), '1', 'the UI runs on the alternate screen');
    assert.equal(flag('cursor_flag'), '0', 'the cursor is hidden');

    tmux('send-keys', '-t', 'ui', 'g');
    s = await until((t) => /the start, before event 0 of 0-2076/.test(t), 'the start');
    tmux('send-keys', '-t', 'ui', 'm');
    await until((t) => /mark set at the start:/.test(t), 'the mark');
    tmux('send-keys', '-t', 'ui', 'f');
    s = await until((t) => position(t) === 2074, 'the failure');
    tmux('send-keys', '-t', 'ui', 'Left');
    s = await until((t) => position(t) === 2073, 'one step back');
    assert.match(s, /^> +2073 set_pte 0x3ffff000/m);
    tmux('send-keys', '-t', 'ui', 'd');
    s = await until((t) => /what changed from the start to event 2073/.test(t), 'the diff');
    assert.match(s, /pte +0x7fe000-0xa00000 +none -> guard +\(514 entries\)/);
    tmux('send-keys', '-t', 'ui', 'Escape');
    await until((t) => /page tables/.test(t), 'the diff to close');

    // Mouse wheel: with alternate scroll mode a wheel turn arrives as arrow keys.
    tmux('send-keys', '-t', 'ui', 'Down', 'Down');
    await until((t) => position(t) === 2075, 'two steps on');

    tmux('resize-window', '-t', 'ui', '-x', '120', '-y', '40');
    s = await until((t) => t.split('\n').some((l) => l.length > 80), 'a redraw at 120 columns');
    assert.ok(s.split('\n').filter((l) => /^[> m] +\d+ /.test(l)).length > 20, 'more events listed at 40 rows');

    tmux('send-keys', '-t', 'ui', 'q');
    s = await until((t) => /EXITED \d+/.test(t), 'walkback to exit');
    assert.match(s, /EXITED 0/);
    assert.doesNotMatch(s, /page tables|alloc_fail/, 'the UI is gone: the screen is the shell\'s again');
    s = await until((t) => /icanon/.test(t), 'stty');
    assert.match(s, /^icanon$/m, 'the terminal is back in canonical mode');
    assert.equal(flag('alternate_on'), '0', 'back on the normal screen');
    assert.equal(flag('cursor_flag'), '1', 'the cursor is visible again');
  });

  it('at 120x40, 80x24 and 40x10: the header, the tree and the summary whole, or a plain "too small"', async () => {
    tmux('kill-session', '-t', 'ui');
    const demo = join(dir, 'demo.db');
    assert.equal(cli(['record', `${ROOT}examples/demo.yaml`, '-o', demo]).status, 0);
    tmux('new-session', '-d', '-s', 'ui', '-x', '120', '-y', '40', `env CI=true TERM=xterm-256color ${COMMAND} replay ${demo}; echo EXITED $?; sleep 60`);
    // The demo stops at alloc_fail pte 0x40000000 (event 14 of 0-16): the walker is at the pmd entry of 0x40000000.
    let s = await until((t) => /event 14 of 0-16/.test(t), 'the first frame at 120x40');
    const header = s.split('\n')[0]!;
    assert.match(header, /event 14 of 0-16 .*at pmd 0x40000000/);
    assert.doesNotMatch(header, /…/);

    tmux('resize-window', '-t', 'ui', '-x', '80', '-y', '24');
    s = await until((t) => t.split('\n').every((l) => l.length <= 80) && /event 14 of 0-16/.test(t) && / <$/m.test(t), 'a redraw at 80x24');
    // The walker's path: the pgd entry, the pud entry of 1G pointing to the empty PMD table, the pmd entry.
    const path = s.split('\n').filter((l) => / <$/.test(l.trimEnd()));
    assert.equal(path.length, 3, s);
    assert.match(path[1]!, /pud 0x40000000 -> pmd( table)? \(empty\) <$/);
    assert.match(s.split('\n')[0]!, /event 14 of 0-16 .*at pmd 0x40000000/);
    tmux('send-keys', '-t', 'ui', 'r');
    s = await until((t) => /abort summary/.test(t), 'the summary');
    const joined = s.split('\n').map((l) => l.trim()).join(' ');
    assert.match(joined, /stopped at event 14 \(alloc_fail pte 0x40000000\): allocating a pte table at 0x40000000 failed: -ENOMEM; everything allocated and installed before it stays/);
    tmux('send-keys', '-t', 'ui', 'Escape');

    tmux('resize-window', '-t', 'ui', '-x', '40', '-y', '10');
    s = await until((t) => /terminal too small/.test(t), 'the too-small notice');
    assert.doesNotMatch(s, /page tables|population/);
    tmux('resize-window', '-t', 'ui', '-x', '80', '-y', '24');
    await until((t) => /page tables/.test(t) && /population/.test(t), 'the panes again');
    tmux('send-keys', '-t', 'ui', 'q');
    s = await until((t) => /EXITED \d+/.test(t), 'walkback to exit');
    assert.match(s, /EXITED 0/);
  });

  it('restores the terminal when killed with SIGTERM', async () => {
    tmux('kill-session', '-t', 'ui');
    const command = `env CI=true ${COMMAND} replay ${file}; echo EXITED $?; sleep 60`;
    tmux('new-session', '-d', '-s', 'ui', '-x', '80', '-y', '24', command);
    await until((t) => /event \d+ of 0-2076/.test(t), 'the first frame');
    const pid = tmux('display-message', '-p', '-t', 'ui', '#{pane_pid}').trim();
    // The pane's shell runs env, which execs bin/walkback, which execs node: signal it.
    const child = execFileSync('pgrep', ['-f', '-P', pid, 'walkback'], { encoding: 'utf8' }).trim().split('\n')[0]!;
    const cmdline = execFileSync('cat', [`/proc/${child}/cmdline`], { encoding: 'utf8' }).split('\0');
    assert.ok(cmdline.includes('--max-old-space-size=1024'), `the UI runs with its heap limit: ${cmdline.join(' ')}`);
    process.kill(Number(child), 'SIGTERM');
    const s = await until((t) => /EXITED \d+/.test(t), 'walkback to exit');
    assert.match(s, /EXITED 143/);
    assert.equal(flag('alternate_on'), '0');
    assert.equal(flag('cursor_flag'), '1');
  });

  it('a sweep: replay --run K, ] to the next run, and diff --ui with both cursors on the divergence', async () => {
    tmux('kill-session', '-t', 'ui');
    const sweep = join(dir, 'demo-sweep.db');
    assert.equal(cli(['sweep', `${ROOT}examples/demo.yaml`, '-o', sweep]).status, 0);
    tmux('new-session', '-d', '-s', 'ui', '-x', '100', '-y', '30', `env CI=true ${COMMAND} replay ${sweep} --run 2; echo EXITED $?; sleep 60`);
    let s = await until((t) => /run 2 of 0-3 \(alloc 2\) +event 12 of 0-14/.test(t), 'run 2 at its failure');
    assert.match(s, /^> +12 alloc_fail pmd 0x40000000/m);
    tmux('send-keys', '-t', 'ui', ']');
    s = await until((t) => /run 3 of 0-3 \(alloc 3\) +event 14 of 0-16/.test(t), 'run 3');
    assert.match(s, /^> +14 alloc_fail pte 0x40000000/m);
    tmux('send-keys', '-t', 'ui', 'q');
    await until((t) => /EXITED 0/.test(t), 'walkback to exit');

    tmux('kill-session', '-t', 'ui');
    tmux('new-session', '-d', '-s', 'ui', '-x', '110', '-y', '30', `env CI=true ${COMMAND} diff ${sweep} --run 0 --run 3 --ui; echo EXITED $?; sleep 60`);
    s = await until((t) => /first divergence at event 14 +event 14 +locked/.test(t), 'the diff view');
    assert.match(s, />\s+14 alloc pte 0x40000000\s+>\s+14 alloc_fail pte 0x40000000/);
    assert.equal(flag('alternate_on'), '1');
    tmux('send-keys', '-t', 'ui', 'Right');
    await until((t) => /event 15 +locked/.test(t), 'a step of both');
    tmux('send-keys', '-t', 'ui', 'q');
    s = await until((t) => /EXITED \d+/.test(t), 'walkback to exit');
    assert.match(s, /EXITED 0/);
    assert.equal(flag('alternate_on'), '0');
    assert.equal(flag('cursor_flag'), '1');
  });
});
