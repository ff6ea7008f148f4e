#!/usr/bin/env node
// npm run bench -- sweep: `walkback sweep` of MADV_GUARD_INSTALL over an
// empty 1 GiB range (514 allocation points), against the baseline of running
// and recording each failure point as a standalone recording, in the same run.
//
// Figures: wall time of the whole command (median of 3 processes), of the
// recording part alone (in-process), the file's size; the fault-free
// recording's size; the standalone baseline's time and total size (one pass:
// it takes about as long as all the rest).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;

const SCENARIO_4G = `name: bench-sweep-guard-install-4g
arch: x86_64
kernel: "6.13"
vmas: [{ start: 0x40000000, end: 0x140000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x140000000, ops: { preset: guard-install } }
`;

const SCENARIO = `name: bench-sweep-guard-install-1g
arch: x86_64
kernel: "6.13"
vmas: [{ start: 0x40000000, end: 0x80000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80000000, ops: { preset: guard-install } }
`;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mib = (b) => `${fmt(b / 1024 / 1024, 2)} MiB`;
const size = (f) => statSync(f).size + (safeSize(`${f}-wal`) ?? 0);
const safeSize = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return null;
  }
};

async function child(mode, scenarioFile, dir) {
  const { loadScenario } = await import(dist('scenario/load-scenario.js'));
  const { recordSweep, faultAt } = await import(dist('sweep/record-sweep.js'));
  const { record } = await import(dist('index.js'));
  const scenario = loadScenario(scenarioFile);
  if (mode === 'record-sweep' || mode === 'record-sweep-exact') {
    const file = join(dir, `in-process-${process.pid}.db`);
    const t0 = now();
    const sweep = await recordSweep(scenario, file, { walkbackVersion: 'bench', exact: mode === 'record-sweep-exact' });
    const ms = now() - t0;
    const out = { ms, runs: sweep.runs.length - 1, bytes: size(file), points: sweep.runs.slice(1).map((r) => r.point) };
    rmSync(file, { force: true });
    return out;
  }
  // standalone: each point's fault in the scenario, run and recorded to its own file.
  const points = JSON.parse(process.env.POINTS);
  let bytes = 0;
  let events = 0;
  const t0 = now();
  for (const point of points) {
    const file = join(dir, `standalone-${point.nth}.db`);
    const r = await record({ ...scenario, faults: [faultAt(point)] }, file);
    events += r.events;
    bytes += size(file);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
  return { ms: now() - t0, bytes, events, runs: points.length };
}

if (process.argv[2] === 'child') {
  console.log(JSON.stringify(await child(process.argv[3], process.argv[4], process.argv[5])));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'walkback-bench-sweep-'));
try {
  const scenarioFile = join(dir, 'guard-install-1g.yaml');
  writeFileSync(scenarioFile, SCENARIO);
  const bin = join(ROOT, 'bin/walkback');
  const run = (args, env = {}) => {
    const t0 = now();
    const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
    const ms = now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    return { ms, stdout: r.stdout };
  };
  const childTask = (mode, env) => JSON.parse(run([process.execPath, fileURLToPath(import.meta.url), 'child', mode, scenarioFile, dir], env).stdout.trim().split('\n').pop());

  console.log(`\n## sweep (issue 5): MADV_GUARD_INSTALL over an empty 1 GiB range, x86_64, 6.13\n`);
  const base = join(dir, 'base.db');
  run([bin, 'record', scenarioFile, '-o', base]);
  const baseBytes = size(base);

  const commands = [];
  let report;
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `sweep-${i}.db`);
    const r = run([bin, 'sweep', scenarioFile, '-o', out, '--json']);
    commands.push({ ms: r.ms, bytes: size(out) });
    report = JSON.parse(r.stdout);
    rmSync(out, { force: true });
  }
  const inProcess = [0, 1, 2].map(() => childTask('record-sweep'));
  const exact = childTask('record-sweep-exact');
  const scenario4g = join(dir, 'guard-install-4g.yaml');
  writeFileSync(scenario4g, SCENARIO_4G);
  const out4g = join(dir, 'sweep-4g.db');
  const big = run([bin, 'sweep', scenario4g, '-o', out4g, '--json']);
  const bigReport = JSON.parse(big.stdout);
  const bigBase = join(dir, 'base-4g.db');
  run([bin, 'record', scenario4g, '-o', bigBase]);
  const points = inProcess[0].points;
  const standalone = childTask('standalone', { POINTS: JSON.stringify(points) });

  const sweepMs = median(commands.map((c) => c.ms));
  const sweepBytes = median(commands.map((c) => c.bytes));
  const recordMs = median(inProcess.map((c) => c.ms));
  console.log(`failure points: ${report.runs.length} (allocations of the fault-free walk), ${report.groups.length} outcomes`);
  console.log(`fault-free recording:            ${mib(baseBytes)}`);
  console.log(`walkback sweep, whole command:   ${fmt(sweepMs / 1000, 2)} s median [${commands.map((c) => fmt(c.ms / 1000, 2)).join(', ')}] (recording ${fmt(recordMs / 1000, 2)} s in-process [${inProcess.map((c) => fmt(c.ms / 1000, 2)).join(', ')}], the rest the report)`);
  console.log(`sweep file:                      ${mib(sweepBytes)} = ${fmt(sweepBytes / baseBytes, 2)}x the fault-free recording`);
  console.log(`baseline, each point recorded standalone: ${fmt(standalone.ms / 1000, 2)} s (one pass), ${mib(standalone.bytes)} in ${standalone.runs} files, ${fmt(standalone.events / 1e6, 1)} M events`);
  console.log(`ratios: sweep time / standalone ${fmt(sweepMs / standalone.ms, 3)} (recording alone ${fmt(recordMs / standalone.ms, 3)}); sweep size / standalone ${fmt(sweepBytes / standalone.bytes, 4)}`);
  console.log(`every branch walked in full from the start (--exact), recording in-process: ${fmt(exact.ms / 1000, 2)} s (${fmt(exact.ms / recordMs, 1)}x the default)`);
  console.log(`scaling: guard install over 4 GiB, ${bigReport.runs.length} points, whole command ${fmt(big.ms / 1000, 2)} s (one run), ${mib(size(out4g))} = ${fmt(size(out4g) / size(bigBase), 2)}x its fault-free recording`);
  console.log(`targets: the whole sweep under 30 s: ${fmt(sweepMs / 1000, 2)} s; the file at most 3x the fault-free recording: ${fmt(sweepBytes / baseBytes, 2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
