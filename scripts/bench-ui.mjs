#!/usr/bin/env node
// The terminal UI's figures (npm run bench -- ui): the real `walkback replay`
// in a pseudo-terminal (util-linux `script`, 120x40), driven by keys, timed
// from the key written to the frame read back, on a recording of about 20
// million events. Baseline in the same run: less on the same recording's trace
// as text, reaching its last line and a line by number, at launch and in a
// session.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The command as users run it (bin/walkback, which gives the UI its heap limit).
const BIN = join(ROOT, 'bin/walkback');
const COLUMNS = 120;
const ROWS = 40;
const MOVES = 200;

// A guard install over 40 GiB of fresh address space (two events a page), whose
// 20,400th table allocation fails near the end: 20.9 million events.
const SCENARIO = `name: bench-ui-20m
arch: x86_64
kernel: "6.13"
vmas:
  - { start: 0x400000, end: 0x401000 }
  - { start: 0x1000000000, end: 0x1a00000000 }
state:
  - { kind: pte, at: 0x400000 }
walk:
  api: walk_page_range_mm
  start: 0x1000000000
  end: 0x1a00000000
  ops: { preset: guard-install }
faults:
  - { alloc: 20400 }
`;

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** A program in a pseudo-terminal: write keys, wait for what the screen shows. */
const terminals = new Set();

class Terminal {
  constructor(command) {
    terminals.add(this);
    this.t0 = performance.now();
    this.out = '';
    this.waiters = [];
    this.child = spawn('script', ['-q', '-e', '-c', `stty cols ${COLUMNS} rows ${ROWS}; exec ${command}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, TERM: 'xterm-256color', LESS: '', CI: 'true' },
    });
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.stdout.on('data', (d) => {
      this.out += d.toString('latin1');
      this.check();
    });
  }

  check() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(this.out)) return true;
      w.resolve(performance.now());
      return false;
    });
  }

  /** Resolves with the time at which pred(output since `mark`) first holds. */
  until(pred, what, ms = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const pid = this.pid();
        const ps = pid ? spawnSync('ps', ['-o', 'pid,stat,pcpu,rss,wchan:20,cmd', '-p', String(pid)], { encoding: 'utf8' }).stdout : 'no process';
        reject(new Error(`timed out waiting for ${what}; last output: ${JSON.stringify(this.out.slice(-300))}\n${ps}\nthe frame before: ${(this.previous ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').slice(-6000)}`));
      }, ms);
      this.waiters.push({ pred, resolve: (t) => (clearTimeout(timer), resolve(t)) });
      this.check();
    });
  }

  /** Write keys; resolve with the milliseconds until a whole new frame (title to last line) has arrived. */
  async key(keys, framePred = walkbackFrame) {
    this.previous = this.out;
    this.out = '';
    const t = performance.now();
    this.child.stdin.write(keys);
    const done = await this.until(framePred, `a frame after ${JSON.stringify(keys)}`);
    return done - t;
  }

  /** The program's processes: script's child, and its children (walkback's UI runs in a child of the launcher). */
  pids() {
    const out = [];
    let parents = [this.child.pid];
    while (parents.length) {
      const next = [];
      for (const p of parents)
        for (const line of spawnSync('pgrep', ['-P', String(p)], { encoding: 'utf8' }).stdout.trim().split('\n')) if (line) next.push(Number(line));
      out.push(...next);
      parents = next;
    }
    return out;
  }

  pid() {
    return this.pids()[0];
  }

  async quit(keys = 'q') {
    this.child.stdin.write(keys);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
    this.child.kill();
  }
}

/**
 * A whole walkback frame: the timeline's title, then every row below it, to the
 * end of the synchronized update Ink wraps each frame in on a terminal.
 */
function walkbackFrame(out) {
  const at = out.lastIndexOf('walkback bench-ui-20m');
  return at !== -1 && out.indexOf('\x1b[?2026l', at) !== -1;
}

const position = (out) => {
  const all = [...out.matchAll(/event (\d+) of/g)];
  return all.length ? Number(all[all.length - 1][1]) : null;
};

function peakRssMB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
  } catch {
    return NaN;
  }
}

async function main() {
  if (spawnSync('script', ['--version']).status !== 0 || spawnSync('less', ['--version']).status !== 0) {
    console.log('ui: skipped (needs util-linux script and less)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'walkback-bench-ui-'));
  try {
    const scenarioFile = join(dir, 'bench-ui-20m.yaml');
    const recording = join(dir, 'bench-ui-20m.db');
    const traceFile = join(dir, 'bench-ui-20m.trace');
    writeFileSync(scenarioFile, SCENARIO);
    let t = performance.now();
    const rec = spawnSync(BIN, ['record', scenarioFile, '-o', recording], { encoding: 'utf8' });
    if (rec.status !== 0) throw new Error(rec.stderr);
    const events = Number(/: ([\d,]+) events/.exec(rec.stdout)[1].replace(/,/g, ''));
    console.log(`\n## terminal UI (issue 4): ${events.toLocaleString('en-US')} events, recording ${fmt(statSync(recording).size / 2 ** 20)} MiB (recorded in ${fmt((performance.now() - t) / 1000)} s); ${COLUMNS}x${ROWS} pseudo-terminal\n`);
    t = performance.now();
    spawnSync('sh', ['-c', `${BIN} trace ${recording} > ${traceFile}`]);
    const traceLines = Number(spawnSync('wc', ['-l', traceFile], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0]);
    console.log(`baseline text: walkback trace of it, ${traceLines.toLocaleString('en-US')} lines, ${fmt(statSync(traceFile).size / 2 ** 20)} MiB (written in ${fmt((performance.now() - t) / 1000)} s)\n`);

    // Launch to first frame: walkback at the failure, at the end, at a given event; less +G and +N.
    const target = Math.floor(events / 2);
    const targetLine = spawnSync('sed', ['-n', `${target}p`, traceFile], { encoding: 'utf8' }).stdout.trim();
    const launches = { 'walkback replay (opens at the failure)': [], 'walkback replay --at end': [], [`walkback replay --at ${target}`]: [], 'less +G (the last line)': [], [`less +${target} (line ${target})`]: [] };
    for (let i = 0; i < 5; i++) {
      for (const [label, args] of [
        ['walkback replay (opens at the failure)', ''],
        ['walkback replay --at end', '--at end'],
        [`walkback replay --at ${target}`, `--at ${target}`],
      ]) {
        const term = new Terminal(`${BIN} replay ${args} ${recording}`);
        const shown = await term.until(walkbackFrame, 'the first frame');
        launches[label].push(shown - term.t0);
        await term.quit();
      }
      for (const [label, args, want] of [
        ['less +G (the last line)', '+G', 'ret -12'],
        [`less +${target} (line ${target})`, `+${target}`, targetLine],
      ]) {
        const term = new Terminal(`less ${args} ${traceFile}`);
        const shown = await term.until((o) => o.includes(want), label);
        launches[label].push(shown - term.t0);
        await term.quit();
      }
    }
    const widths = [44, 10, 10, 10];
    const row = (cells) => cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join('  ');
    console.log('launch to first frame, 5 launches each (ms)');
    console.log(row(['', 'median', 'p99', 'min']));
    for (const [label, times] of Object.entries(launches)) console.log(row([label, fmt(median(times)), fmt(quantile(times, 0.99)), fmt(Math.min(...times))]));

    // Keys in one session.
    const term = new Terminal(`${BIN} replay ${recording}`);
    await term.until(walkbackFrame, 'the first frame');
    const pids = term.pids();
    const moves = {};
    const time = async (label, keys, n = MOVES, pred = walkbackFrame) => {
      moves[label] ??= [];
      for (let i = 0; i < n; i++) moves[label].push(await term.key(typeof keys === 'function' ? keys(i) : keys, pred));
    };
    await term.key(`:${Math.floor(events / 3)}\r`);
    await time('step on (l)', 'l');
    await time('step back (h)', 'h');
    await time('1000 on ())', ')');
    await time('1000 back (()', '(');
    await time('next allocation (a)', 'a');
    await time('previous allocation (A)', 'A');
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const targets = Array.from({ length: MOVES }, () => Math.floor(random() * events));
    // Typed ahead of the Enter: what is timed is the jump itself.
    moves['go to a random event (:N Enter)'] = [];
    for (const n of targets) {
      term.child.stdin.write(`:${n}`);
      await new Promise((r) => setTimeout(r, 5));
      moves['go to a random event (:N Enter)'].push(await term.key('\r', (o) => walkbackFrame(o) && position(o) === n));
    }
    await time('start / end (g, G)', (i) => (i % 2 ? 'G' : 'g'));
    await time('the failure (f) from the start', (i) => (i % 2 ? 'f' : 'g'));
    term.child.stdin.write('/alloc\r');
    await new Promise((r) => setTimeout(r, 300));
    await time('next search match (n, /alloc)', 'n');
    await time('Tab, then a table row (j)', (i) => (i % 2 ? 'j' : '\t'));
    await term.key('g');
    await term.key('m');
    await term.key('G');
    // The first opening computes the diff; later ones redraw it. Both are timed.
    const anyFrame = (o) => /what changed|walkback bench-ui-20m/.test(o) && o.includes('\x1b[?2026l');
    moves['diff, first opening: mark at the start, cursor at the end (d)'] = [await term.key('d', anyFrame)];
    await term.key('\x1b', anyFrame);
    await time('diff, opened again and closed (d, Esc)', (i) => (i % 2 ? '\x1b' : 'd'), 40, anyFrame);
    const rssEach = pids.map(peakRssMB);
    const rss = rssEach.reduce((a, b) => a + b, 0);
    await term.quit('\x1bq');

    console.log(`\nkey to frame, one session (ms); peak RSS of walkback ${fmt(rss)} MB `);
    console.log(row(['', 'median', 'p99', 'max', 'moves']));
    const p99s = [];
    for (const [label, times] of Object.entries(moves)) {
      console.log(row([label, fmt(median(times)), fmt(quantile(times, 0.99)), fmt(Math.max(...times)), times.length]));
      p99s.push(quantile(times, 0.99));
    }

    // less in one session: the end, and a line by number.
    const less = new Terminal(`less ${traceFile}`);
    await less.until((o) => o.includes('walk walk_page_range_mm'), 'less');
    const lessMoves = { 'less: the last line (G), from the top (g)': [], 'less: a random line (N g)': [] };
    for (let i = 0; i < 10; i++) {
      lessMoves['less: the last line (G), from the top (g)'].push(await less.key('G', (o) => o.includes('ret -12')));
      await less.key('g', (o) => o.includes('walk walk_page_range_mm'));
    }
    const lines = targets.slice(0, 10);
    for (const n of lines) {
      const want = spawnSync('sed', ['-n', `${n}p`, traceFile], { encoding: 'utf8' }).stdout.trim();
      lessMoves['less: a random line (N g)'].push(await less.key(`${n}g`, (o) => o.includes(want)));
    }
    await less.quit();
    console.log('\nbaseline: less in one session (ms), 10 moves each');
    for (const [label, times] of Object.entries(lessMoves)) console.log(row([label, fmt(median(times)), fmt(quantile(times, 0.99)), fmt(Math.max(...times)), times.length]));

    const first = median(launches['walkback replay (opens at the failure)']);
    console.log(`
targets: first frame < 500 ms: ${fmt(first)} ms; key to frame p99 < 50 ms: worst p99 ${fmt(Math.max(...p99s))} ms; peak RSS < 300 MB: ${fmt(rss)} MB
vs less: reaching event ${target} at launch ${fmt(median(launches[`walkback replay --at ${target}`]))} ms vs less +N ${fmt(median(launches[`less +${target} (line ${target})`]))} ms (${fmt(median(launches[`less +${target} (line ${target})`]) / median(launches[`walkback replay --at ${target}`]))}x);`);
    console.log(`         the end at launch ${fmt(median(launches['walkback replay --at end']))} ms vs less +G ${fmt(median(launches['less +G (the last line)']))} ms;`);
    console.log(`         in a session, a random event ${fmt(median(moves['go to a random event (:N Enter)']))} ms vs less ${fmt(median(lessMoves['less: a random line (N g)']))} ms; the end ${fmt(median(moves['start / end (g, G)']))} ms vs less ${fmt(median(lessMoves['less: the last line (G), from the top (g)']))} ms`);
  } finally {
    for (const term of terminals) {
      const pids = term.pids();
      term.child.kill('SIGKILL');
      for (const pid of pids) spawnSync('kill', ['-9', String(pid)]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run when invoked; importable for a one-off session (Terminal, walkbackFrame).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

export { Terminal, walkbackFrame, position };
