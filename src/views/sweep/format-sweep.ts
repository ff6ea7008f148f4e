// SPDX-License-Identifier: GPL-2.0-only
/**
 * A sweep's report as text: the fault-free run, then each distinct outcome
 * with how many failure points lead to it and which, those breaking the
 * scenario's expectations marked; and as JSON (`runs`, one per failure point,
 * and `groups`).
 */
import type { LevelName } from '../../events/walk-event.js';
import { LEVELS } from '../../events/walk-event.js';
import { hex } from '../../mm/geometry.js';
import type { OutcomeGroup, RunOutcome } from '../../sweep/outcomes.js';
import type { SweepReport } from '../../sweep/sweep-report.js';

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (count: number, word: string): string => `${n(count)} ${word}${count === 1 ? '' : 's'}`;

/** 'alloc 1, alloc 4-515, pte_map 2' from the labels of a group's runs. */
export function compressLabels(labels: readonly string[]): string {
  const parts: string[] = [];
  let kind = '';
  let from = -1;
  let to = -1;
  const flush = (): void => {
    if (from >= 0) parts.push(from === to ? `${kind} ${from}` : `${kind} ${from}-${to}`);
  };
  for (const label of labels) {
    const m = /^(\S+) (\d+)$/.exec(label);
    if (!m) {
      flush();
      from = -1;
      parts.push(label);
      continue;
    }
    const nth = Number(m[2]);
    if (m[1] === kind && nth === to + 1) {
      to = nth;
      continue;
    }
    flush();
    kind = m[1]!;
    from = to = nth;
  }
  flush();
  return parts.join(', ');
}

/** Run numbers as ranges: '1, 4-515'. */
export function compressRuns(runs: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < runs.length; ) {
    let j = i;
    while (j + 1 < runs.length && runs[j + 1] === runs[j]! + 1) j++;
    parts.push(i === j ? `${runs[i]}` : `${runs[i]}-${runs[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function tables(counts: Partial<Record<LevelName, number>>): string {
  const parts = LEVELS.filter((l) => (counts[l] ?? 0) > 0).map((l) => `${n(counts[l]!)} ${l}`);
  return parts.length ? `${parts.join(', ')}` : 'none';
}

/** Counts by kind, a range where they vary: '2 guard', '1 to 4 guard'; `word` names a kind for its count. */
function rangeWords(counts: Partial<Record<string, readonly [number, number]>>, word: (kind: string, count: number) => string = (k) => k): string {
  const parts = Object.entries(counts)
    .map(([kind, range]) => [kind, range ?? [0, 0]] as const)
    .map(([kind, [lo, hi]]) => (lo === hi ? `${n(lo)} ${word(kind, hi)}` : `${n(lo)} to ${n(hi)} ${word(kind, hi)}`));
  return parts.length ? parts.join(', ') : 'none';
}

function installedRange(group: OutcomeGroup): string {
  return rangeWords(group.installed);
}

/** A kind of entry destroyed, for a count: 'present PTEs', 'huge pmd', 'guard markers'. */
function destroyedKind(kind: string, count: number): string {
  const s = count === 1 ? '' : 's';
  return kind === 'present' ? `present PTE${s}` : kind === 'guard' ? `guard marker${s}` : `${kind}${s}`;
}

/** What a run destroyed, by kind with counts: '2 present PTEs, 1 huge pmd'. */
function destroyedWords(destroyed: Partial<Record<string, number>>): string {
  return rangeWords(Object.fromEntries(Object.entries(destroyed).map(([k, c]) => [k, [c ?? 0, c ?? 0] as const])), destroyedKind);
}

function baseLine(base: RunOutcome): string {
  const installed = Object.entries(base.installed).map(([k, c]) => `${n(c ?? 0)} ${k}`);
  const destroyed = Object.keys(base.destroyed).length ? `; destroyed: ${destroyedWords(base.destroyed)}` : '';
  return `fault-free: ret ${base.ret ?? 'none'}, ${base.outcome}, ${n(base.events)} events; tables allocated: ${tables(base.allocated)}; PTEs installed: ${installed.length ? installed.join(', ') : 'none'}${destroyed}${base.violations.length ? `\n  BREAKS EXPECTATIONS: ${base.violations.join('; ')}` : ''}`;
}

export function formatSweepReport(report: SweepReport, size: string): string[] {
  const s = report.scenario;
  const points = report.runs.length;
  const finished = report.runs.filter((r) => r.outcome !== 'incomplete').length;
  const where =
    report.points === null
      ? `failure points not known (${report.base.outcome === 'incomplete' || report.base.outcome === 'in progress' ? 'the fault-free run did not finish' : 'the file does not say'})`
      : report.points === 0
        ? `no failure point; the fault-free run is in ${report.file} (${size})`
        : `${plural(report.points, 'failure point')}, ${finished === report.points ? 'each' : `${n(finished)} of them`} a run of ${report.file} (${size})`;
  const lines = [`sweep of ${s.name} (${s.arch}, ${s.kernel}, ${s.api} ${s.start}-${s.end}): ${where}`];
  if (report.expectations.length) lines.push(`expected: ${report.expectations.join('; ')}`);
  lines.push(baseLine(report.base));
  if (report.interrupted)
    lines.push(
      `INTERRUPTED: the sweep was cut short after ${n(finished)}${report.points !== null ? ` of ${n(report.points)}` : ''} failure points${points > finished ? ` (and in the middle of run ${report.runs[report.runs.length - 1]!.run})` : ''}; what it recorded is kept and reported below (walkback sweep SCENARIO -o FILE --force runs it again)`,
    );
  if (points === 0) {
    lines.push('', report.points === 0 ? 'the walk allocates nothing: there is no failure point to try' : 'no run with a failure point was recorded');
    return lines;
  }
  const broken = report.runs.filter((r) => r.violations.length > 0).length;
  const baseBroken = report.base.violations.length > 0 ? '; so does the fault-free run' : '';
  lines.push('', `${plural(report.groups.length, 'outcome')}${report.expectations.length ? `; ${broken ? `${n(broken)} of ${plural(points, 'failure point')} ${broken === 1 ? 'breaks' : 'break'} the expectations${baseBroken}` : `every failure point meets the expectations${baseBroken ? '; the fault-free run does not' : ''}`}` : ''}:`);
  report.groups.forEach((g, i) => {
    const mark = g.violations.length ? '!' : ' ';
    lines.push(``, `${mark}${String(i + 1).padStart(3)}. ${plural(g.runs.length, 'point')}: ${g.description}`);
    const where = g.stopAddrs ? (g.stopAddrs[0] === g.stopAddrs[1] ? `, at ${hex(g.stopAddrs[0])}` : `, at ${hex(g.stopAddrs[0])} to ${hex(g.stopAddrs[1])}`) : '';
    lines.push(`       fails at: ${compressLabels(g.labels)} (run${g.runs.length === 1 ? '' : 's'} ${compressRuns(g.runs)})${where}`);
    const destroyed = Object.keys(g.destroyed).length ? `; destroyed: ${rangeWords(g.destroyed, destroyedKind)}` : '';
    lines.push(`       empty tables left: ${tables(g.empty)}; PTEs installed: ${installedRange(g)}${destroyed}`);
    for (const v of g.violations) lines.push(`       BREAKS EXPECTATION: ${v}`);
  });
  const example = report.groups[report.groups.length - 1]!.runs[0]!;
  lines.push(
    '',
    `walkback replay ${report.file} --run ${example} opens a run (]/[ in the UI: next/previous run);`,
    `walkback diff ${report.file} --run 0 --run ${example} compares it with the fault-free run`,
  );
  return lines;
}

/** The report as JSON: `runs` (one per failure point), `groups`, and the fault-free `base`. */
export function sweepJson(report: SweepReport, bytes: number): unknown {
  const run = (r: RunOutcome) => ({
    run: r.run,
    label: r.label,
    point: r.point,
    events: r.events,
    outcome: r.outcome,
    ret: r.ret,
    stop: r.stop,
    stopSeq: r.stopSeq,
    stopAddr: r.stopAddr === null ? null : hex(r.stopAddr),
    allocated: r.allocated,
    empty: r.empty,
    installed: r.installed,
    destroyed: r.destroyed,
    violations: r.violations,
  });
  return {
    file: report.file,
    bytes,
    points: report.points,
    interrupted: report.interrupted,
    scenario: report.scenario,
    expectations: report.expectations,
    base: run(report.base),
    runs: report.runs.map(run),
    groups: report.groups.map((g) => ({
      description: g.description,
      points: g.runs.length,
      ret: g.ret,
      stop: g.stop,
      stopAddrs: g.stopAddrs && { first: hex(g.stopAddrs[0]), last: hex(g.stopAddrs[1]) },
      empty: g.empty,
      installed: Object.fromEntries(Object.entries(g.installed).map(([k, r]) => [k, { min: r?.[0] ?? 0, max: r?.[1] ?? 0 }])),
      destroyed: Object.fromEntries(Object.entries(g.destroyed).map(([k, r]) => [k, { min: r?.[0] ?? 0, max: r?.[1] ?? 0 }])),
      runs: g.runs,
      labels: g.labels,
      violations: g.violations,
    })),
  };
}
