#!/usr/bin/env node
// npm run bench: walkback's performance figures, measured on the compiled code.
//
//   npm run bench                 every suite
//   npm run bench -- walker       one suite (walker, recorder, ui, sweep)
//
// Each figure is the median of several timed runs after warm-up runs, with the
// range; ratios are taken against baselines measured in the same run. The
// machine is shared and noisy: compare medians, and rerun when in doubt.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { parseScenario } = await import(dist('scenario/load-scenario.js'));
const { runScenario } = await import(dist('walker/run.js'));
const { walk$ } = await import(dist('walker/walk-stream.js'));

const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = (name) => suites.length === 0 || suites.includes(name);

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Time fn() `runs` times after `warmups` untimed runs; returns milliseconds. */
function timeRuns(fn, { warmups = 2, runs = 7 } = {}) {
  for (let i = 0; i < warmups; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

const fmt = (n, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const range = (t) => `[${fmt(Math.min(...t))}..${fmt(Math.max(...t))}]`;

function row(cells, widths) {
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join('  ');
}

// ---------------------------------------------------------------------------
// walker
// ---------------------------------------------------------------------------
const SCENARIOS = {
  a: `name: bench-a-pte-entry-populated-1g
arch: x86_64
vmas: [{ start: 0x40000000, end: 0x80000000 }]
state: [{ kind: pte, at: 0x40000000, count: 262144 }]
walk: { start: 0x40000000, end: 0x80000000, ops: { pte_entry: ok } }`,
  b: `name: bench-b-install-empty-1g
arch: x86_64
vmas: [{ start: 0x40000000, end: 0x80000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80000000, ops: { install_pte: ok } }`,
  c: `name: bench-c-pte-hole-128t
arch: x86_64
vmas:
  - { start: 0x400000, end: 0x600000 }
  - { start: 0x7f0000000000, end: 0x7f0040000000 }
  - { start: 0x7ff000000000, end: 0x7ff000200000 }
  - { start: 0x7ffffffde000, end: 0x7ffffffff000 }
state:
  - { kind: pte, at: 0x400000, count: 16 }
  - { kind: pte, at: 0x7ffffffde000, count: 4 }
walk: { start: 0x0, end: 0x7ffffffff000, ops: { pte_hole: ok } }`,
};

function benchWalker() {
  console.log('\n## walker (issue 2): x86_64, medians of 7 runs after 2 warm-ups, ms [min..max]\n');
  const widths = [80, 8, 22, 12, 10];
  console.log(row(['case', 'events', 'time ms', 'events/s', 'ns/event'], widths));
  const results = {};
  for (const key of ['a', 'b', 'c']) {
    const scenario = parseScenario(SCENARIOS[key], `bench-${key}.yaml`);
    let count = 0;
    const bare = timeRuns(() => {
      count = 0;
      runScenario(scenario, () => count++);
    });
    const events = count;
    const counting = timeRuns(() => {
      let n = 0;
      walk$(scenario).subscribe({ next: () => n++ });
      count = n;
    });
    for (const [label, times] of [
      ['walker, no subscriber (a counting sink)', bare],
      ['walk$, counting subscriber', counting],
    ]) {
      const ms = median(times);
      console.log(row([`(${key}) ${scenario.name}: ${label}`, events, `${fmt(ms)} ${range(times)}`, fmt(events / (ms / 1000), 0), fmt((ms * 1e6) / events)], widths));
    }
    results[key] = { events, bareMs: median(bare), countingMs: median(counting) };
  }

  // (d) walkback trace of (b) to /dev/null, as a whole process.
  const dir = mkdtempSync(join(tmpdir(), 'walkback-bench-'));
  const file = join(dir, 'b.yaml');
  writeFileSync(file, SCENARIOS.b);
  const processTimes = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/walkback.js'), 'trace', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    processTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`walkback trace failed: ${r.stderr}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const lines = spawnLines(SCENARIOS.b);
  console.log(row([`(d) walkback trace (b) > /dev/null, whole process`, lines, `${fmt(median(processTimes))} ${range(processTimes)}`, '', ''], widths));
  const a = results.a;
  const b = results.b;
  const c = results.c;
  console.log(`
targets: (a) and (b) >= 10 M events/s with the counting subscriber: (a) ${fmt(a.events / a.countingMs / 1000, 1)} M/s, (b) ${fmt(b.events / b.countingMs / 1000, 1)} M/s
         (c) under 50 ms: ${fmt(c.countingMs)} ms;  (d) under 1500 ms including process start: ${fmt(median(processTimes))} ms`);
}

function spawnLines(text) {
  const scenario = parseScenario(text, 'b.yaml');
  let n = 0;
  runScenario(scenario, (e) => {
    if (!['vma', 'state', 'vma_enter', 'clear', 'livelock'].includes(e.type)) n++;
  });
  return n;
}

// ---------------------------------------------------------------------------
// recorder (issue 3)
// ---------------------------------------------------------------------------
function task(name, key, dir) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bench-task.mjs'), name, key, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench task ${name} ${key} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function benchRecorder() {
  const RUNS = 5;
  const dir = mkdtempSync(join(tmpdir(), 'walkback-bench-rec-'));
  console.log(`\n## recorder (issue 3): x86_64; each figure the median of ${RUNS} processes, each timing one run after one warm-up run\n`);
  const widths = [16, 34, 9, 14, 12, 11, 10];
  console.log(row(['case', 'variant', 'events', 'ms [min..max]', 'events/s', 'bytes/ev', 'peak RSS'], widths));
  const summary = {};
  for (const key of ['install-1g', 'populated-16g']) {
    const results = { count: [], record: [], jsonl: [], rows: [] };
    for (let i = 0; i < RUNS; i++) for (const name of Object.keys(results)) results[name].push(task(name, key, dir));
    const med = (name, field) => median(results[name].map((r) => r[field]));
    for (const [name, label] of [
      ['count', 'walk$ with a counting subscriber'],
      ['record', 'walkback record (SQLite chunks)'],
      ['jsonl', 'baseline: JSON lines'],
      ['rows', 'baseline: a SQLite row per event'],
    ]) {
      const times = results[name].map((r) => r.ms);
      const ms = median(times);
      const events = results[name][0].events;
      const bytes = med(name, 'bytes');
      console.log(
        row(
          [key, label, events, `${fmt(ms)} ${range(times)}`, fmt(events / (ms / 1000), 0), bytes ? fmt(bytes / events, 2) : '', `${fmt(max(results[name].map((r) => r.rssMB)), 0)} MB`],
          widths,
        ),
      );
    }
    summary[key] = {
      rate: results.record[0].events / (med('record', 'ms') / 1000),
      overhead: med('record', 'ms') / med('count', 'ms'),
      vsRows: med('rows', 'ms') / med('record', 'ms'),
      vsJsonl: med('jsonl', 'ms') / med('record', 'ms'),
      bytes: med('record', 'bytes') / results.record[0].events,
      rss: max(results.record.map((r) => r.rssMB)),
    };
  }
  const stateAt = [0, 1, 2].map(() => task('stateat', 'populated-16g', dir));
  rmSync(dir, { recursive: true, force: true });
  console.log(`
stateAt() at 1,000 random events of the 16 GiB recording (3 processes): median ${stateAt.map((s) => fmt(s.median, 2)).join(' / ')} ms, p99 ${stateAt.map((s) => fmt(s.p99, 2)).join(' / ')} ms, max ${stateAt.map((s) => fmt(s.max, 1)).join(' / ')} ms
`);
  for (const [key, s] of Object.entries(summary))
    console.log(
      `${key}: ${fmt(s.rate / 1e6, 1)} M events/s recorded (target >= 5), ${fmt(s.vsRows, 1)}x the row-per-event baseline (target >= 3.5), ${fmt(s.vsJsonl, 1)}x JSON lines; overhead ${fmt(s.overhead, 2)}x the counting subscriber (target <= 4); ${fmt(s.bytes, 2)} bytes/event (target <= 8); peak RSS ${fmt(s.rss, 0)} MB (target < 300)`,
    );
  console.log(`stateAt targets: median < 5 ms, p99 < 20 ms`);
}

const max = (values) => Math.max(...values);

if (wanted('walker')) benchWalker();
if (wanted('recorder')) benchRecorder();
if (wanted('ui')) spawnSync(process.execPath, [join(ROOT, 'scripts/bench-ui.mjs')], { stdio: 'inherit' });
if (wanted('sweep')) spawnSync(process.execPath, [join(ROOT, 'scripts/bench-sweep.mjs')], { stdio: 'inherit' });

export { quantile };
