// SPDX-License-Identifier: GPL-2.0-only
/**
 * `walkback diff` as text (the two event streams side by side around where
 * they part, then the final page tables B against A, as a reviewer would
 * paste them) and as JSON (addresses as hex strings).
 */
import type { WalkEvent } from '../../events/walk-event.js';
import { Entry, entryName } from '../../events/walk-event.js';
import { hex } from '../../mm/geometry.js';
import type { AbortSummary } from '../../replay/abort-summary.js';
import type { RunComparison, RunSide } from '../../replay/compare-runs.js';
import type { EntryRun } from '../../replay/state-diff.js';
import { formatEventLine } from '../trace/format-event-line.js';

const n = (x: number): string => x.toLocaleString('en-US');

function outcome(s: AbortSummary | null): string {
  if (!s) return 'no events';
  const ret = s.clientRet ?? s.ret;
  return `${s.outcome}${ret !== null ? ` (ret ${ret})` : ''}`;
}

function sideLine(tag: string, side: RunSide, summary: AbortSummary | null): string {
  return `${tag}: ${side.label}: ${side.name} (${side.arch}, ${side.kernel}), ${n(side.replay.length)} events, ${outcome(summary)}`;
}

/** An entry's kind; a table entry names the table it points to ('pmd table'). */
const kindName = (kind: number, child: string | null): string => (kind === Entry.TABLE ? `${child ?? '?'} table` : entryName(kind));

/** One run of entries that differ: the table they are in, range, what they were and what they became, how many. */
export function entryRunLine(r: EntryRun): string {
  return `${r.level.padEnd(4)} ${hex(r.start)}-${hex(r.end)}  ${kindName(r.from, r.child)} -> ${kindName(r.to, r.child)}${r.count > 1 ? `  (${n(r.count)} entries)` : ''}`;
}

const runLine = (r: EntryRun): string => `  ${entryRunLine(r)}`;

/** At most `max` rows of each kind of table difference (the JSON has them all). */
export function formatDiff(a: RunSide, b: RunSide, c: RunComparison, options: { width?: number; max?: number } = {}): string[] {
  const max = options.max ?? 40;
  const lines = [sideLine('A', a, c.summaries[0]), sideLine('B', b, c.summaries[1])];
  lines.push('');
  if (c.divergence === null) lines.push(`the runs do not diverge: the same ${n(a.replay.length)} events`);
  else {
    const ea = c.divergence < a.replay.length ? a.replay.event(c.divergence) : null;
    const eb = c.divergence < b.replay.length ? b.replay.event(c.divergence) : null;
    const what = !ea ? 'A ends there; B goes on' : !eb ? 'B ends there; A goes on' : ea.type !== eb.type ? `${ea.type} in A, ${eb.type} in B` : `${ea.type} differs`;
    lines.push(`first divergence at event ${n(c.divergence)}: ${what}`);
  }
  lines.push('');
  // A run that has ended says so once, then nothing.
  const text = (e: WalkEvent | null, seq = 0, length = 0) => (e ? formatEventLine(e) : seq === length ? '(ended)' : '');
  const seqWidth = Math.max(3, String(c.context[c.context.length - 1]?.seq ?? 0).length);
  const column = Math.min(
    c.context.reduce((widest, r) => Math.max(widest, text(r.a).length), 8),
    Math.max(24, Math.floor(((options.width ?? 160) - seqWidth - 7) / 2)),
  );
  const cut = (s: string) => (s.length > column ? `${s.slice(0, column - 1)}…` : s.padEnd(column));
  lines.push(`  ${'#'.padStart(seqWidth)}  ${cut('A')} | B`);
  for (const row of c.context) {
    const diverges = row.seq === c.divergence;
    const [ta, tb] = [text(row.a, row.seq, a.replay.length), text(row.b, row.seq, b.replay.length)];
    const same = row.a && row.b && !diverges && ta === tb;
    const mark = diverges ? '>' : row.seq > (c.divergence ?? Infinity) ? '!' : ' ';
    lines.push(`${mark} ${String(row.seq).padStart(seqWidth)}  ${cut(ta)} ${same ? '=' : '|'} ${tb}`.trimEnd());
  }
  lines.push('');
  if (c.tables === null) lines.push('final page tables: not compared (the runs are on different architectures)');
  else if (c.tables.entries === 0) lines.push('final page tables: the same');
  else {
    lines.push(`final page tables: ${n(c.tables.entries)} entr${c.tables.entries === 1 ? 'y differs' : 'ies differ'} (B against A)`);
    const section = (title: string, runs: readonly EntryRun[]) => {
      if (!runs.length) return;
      lines.push(title);
      for (const run of runs.slice(0, max)) lines.push(runLine(run));
      if (runs.length > max) lines.push(`  ... ${n(runs.length - max)} more (--json lists them all)`);
    };
    section('only in B (none in A)', c.tables.added);
    section('only in A (none in B)', c.tables.removed);
    section('different', c.tables.changed);
  }
  return lines;
}

export function diffJson(a: RunSide, b: RunSide, c: RunComparison): unknown {
  const side = (s: RunSide, summary: AbortSummary | null) => ({
    label: s.label,
    name: s.name,
    arch: s.arch,
    kernel: s.kernel,
    events: s.replay.length,
    outcome: summary?.outcome ?? null,
    ret: summary ? (summary.clientRet ?? summary.ret) : null,
  });
  const event = (e: WalkEvent | null) => (e ? { type: e.type, line: formatEventLine(e) } : null);
  const run = (r: EntryRun) => ({ level: r.level, start: hex(r.start), end: hex(r.end), from: entryName(r.from), to: entryName(r.to), count: r.count });
  return {
    a: side(a, c.summaries[0]),
    b: side(b, c.summaries[1]),
    divergence: c.divergence,
    context: c.context.map((r) => ({ seq: r.seq, a: event(r.a), b: event(r.b) })),
    tables: c.tables && {
      entries: c.tables.entries,
      onlyInB: c.tables.added.map(run),
      onlyInA: c.tables.removed.map(run),
      different: c.tables.changed.map(run),
    },
  };
}
