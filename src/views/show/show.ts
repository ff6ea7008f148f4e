// SPDX-License-Identifier: GPL-2.0-only
/**
 * `walkback show`: the state at one event of a recording, as text (for a
 * terminal or a mailing-list reply) or as JSON (stable, documented in the
 * README; addresses are hex strings so no consumer rounds them).
 */
import type { Addr, WalkEvent } from '../../events/walk-event.js';
import { ACTION_NAMES, entryName } from '../../events/walk-event.js';
import { hex } from '../../mm/geometry.js';
import type { Geometry } from '../../mm/geometry.js';
import { describeVma } from '../../mm/vmas.js';
import type { AbortSummary } from '../../replay/abort-summary.js';
import { destroyedWords } from '../../replay/abort-summary.js';
import type { ReadStatus } from '../../replay/open-recording.js';
import { entryRuns, tableCounts } from '../../replay/selectors.js';
import type { EntryRunView } from '../../replay/selectors.js';
import type { WalkState } from '../../replay/walk-state.js';
import type { RecordingMeta } from '../../recorder/schema.js';
import { formatTraceLine } from '../../events/trace-line.js';
import { eventName, eventPosition } from '../event-numbers.js';
import { entryOfLevel, levelsLine, walkerLevelName } from '../level-names.js';
import { formatEventLine } from '../trace/format-event-line.js';

export interface ShowInput {
  readonly file: string;
  readonly meta: RecordingMeta;
  readonly status: ReadStatus;
  readonly length: number;
  readonly at: number;
  readonly event: WalkEvent | null;
  readonly state: WalkState;
  readonly summary: AbortSummary;
}


/** The range whose page tables `show` lists: the current (or last) walk's, else the VMAs'. */
export function shownRange(state: WalkState): [Addr, Addr] | null {
  if (state.walk && state.walk.start < state.walk.end) return [state.walk.start, state.walk.end];
  if (state.vmas.length) return [state.vmas[0]!.start, state.vmas[state.vmas.length - 1]!.end];
  return null;
}

function statusText(input: ShowInput): string {
  const { status, meta } = input;
  const ret = meta.clientRet ?? meta.ret;
  if (status === 'aborted') return `aborted (${meta.end === 'returned' ? `ret ${ret}` : meta.end})`;
  if (status === 'complete') return 'complete (ret 0)';
  if (status === 'incomplete') return `incomplete${meta.error ? `: ${meta.error}` : ' (the writer stopped before it finished)'}`;
  return 'still being recorded';
}

/** An entry's kind in words; a table entry names the table it points to ('-> pmd table (empty)'). */
export function entryWhat(entry: number, table: string | null, emptyTable: boolean): string {
  if (entry === 1) return `-> ${table ?? '?'} table${emptyTable ? ' (empty)' : ''}`;
  return entry === 0 ? 'none' : entryName(entry);
}

/** One run of entries: its range, the table the entries are in, what they are, how many. */
export function formatRun(run: EntryRunView): string {
  const count = run.count > 1 ? `${run.count} entries` : '';
  return `  ${`${hex(run.start)}-${hex(run.end)}`.padEnd(40)} ${run.level.padEnd(4)} ${entryWhat(run.entry, run.table, run.emptyTable).padEnd(22)} ${count}`.trimEnd();
}

export function formatShow(input: ShowInput): string {
  const { meta, state, summary } = input;
  const lines: string[] = [];
  lines.push(`${input.file}: ${meta.scenarioName} (${meta.arch}, kernel ${meta.kernel}), ${input.length.toLocaleString('en-US')} events, ${statusText(input)}`);
  lines.push(`recorded by walkback ${meta.walkbackVersion} on ${meta.createdAt}`);
  lines.push('');
  if (input.event) lines.push(`at ${eventPosition(input.at, input.length)}: ${formatEventLine(input.event)}`);
  else lines.push(`at ${eventPosition(-1, input.length)}`);
  if (state.walk) {
    const ret = state.phase === 'walking' ? 'in progress' : `returned ${state.ret}`;
    lines.push(`walk ${state.walks}: ${state.walk.api} ${hex(state.walk.start)}-${hex(state.walk.end)}, ${ret}${state.clientRet !== null ? `; the client returned ${state.clientRet}` : ''}`);
  }
  if (state.vma) lines.push(`walk->vma: ${describeVma(state.vma)}`);
  if (state.at) lines.push(`walker at: ${state.at.level ? walkerLevelName(state.geometry, state.at.level) : 'vma'} ${hex(state.at.addr)}`);
  const counts = tableCounts(state)
    .map((c) => `${c.tables} ${c.level}`)
    .join(', ');
  lines.push(`page tables: ${counts}`);
  lines.push('');

  const range = shownRange(state);
  if (range) {
    lines.push(`page tables over ${hex(range[0])}-${hex(range[1])} (${levelsLine(state.geometry)}):`);
    const { runs, truncated } = entryRuns(state, range[0], range[1], 200);
    for (const run of runs) lines.push(formatRun(run));
    if (truncated) lines.push('  ... (more: use walkback replay to browse them)');
    lines.push('');
  }
  return lines.concat(formatSummary(summary, state.geometry)).join('\n') + '\n';
}


/**
 * The abort summary as text. Events are named by number ('event 14'), walks by
 * their order and the event that began them ('walk 2 (event 12)'), tables by
 * the level of the entries they hold. `g` names a folded level's entries (a
 * split on i386); without it levels are named as recorded.
 */
export function formatSummary(s: AbortSummary, g?: Geometry): string[] {
  const lines: string[] = [];
  const last = s.walks[s.walks.length - 1];
  lines.push(`summary: ${s.outcome}${s.clientRet !== null ? ` (client returned ${s.clientRet})` : s.ret !== null ? ` (ret ${s.ret})` : ''}`);
  s.walks.forEach((w, i) => lines.push(`  walk ${i + 1} (${eventName(w.seq)}): ${w.api} ${hex(w.start)}-${hex(w.end)} -> ${w.ret === null ? 'running' : `ret ${w.ret}`}`));
  if (s.stop) lines.push(`  stopped at ${eventName(s.stop.seq)} (${s.stop.line}): ${s.stop.reason}`);
  if (last && s.reached !== null) {
    // A walk that returned 0 covered its range, whatever its last event's address.
    const upTo = s.outcome === 'completed' ? last.end : s.reached;
    const full = upTo > last.start ? `${hex(last.start)}-${hex(upTo)}` : 'nothing';
    lines.push(`  walked in full: ${full}${s.outcome === 'in progress' ? ' so far' : ''}`);
    if (s.stoppedIn) {
      const entry = g ? entryOfLevel(g, s.stoppedIn.level) : `${s.stoppedIn.level} entry`;
      lines.push(`  stopped inside: ${hex(s.stoppedIn.start)}-${hex(s.stoppedIn.end)} (the walker was in its ${entry}: entered, not walked to the end)`);
    }
    if (s.unreached) lines.push(`  never reached: ${hex(s.unreached[0])}-${hex(s.unreached[1])}`);
  }
  for (const f of s.unfired) lines.push(`  fault never fired: ${f.fault} (${f.why})`);
  const empty = s.allocated.filter((a) => a.empty);
  lines.push(`  allocated: ${s.allocated.length} table${s.allocated.length === 1 ? '' : 's'}${empty.length ? `, ${empty.length} still empty` : ''}`);
  for (const a of s.allocated.slice(0, 20))
    lines.push(`    ${eventName(a.seq)}: ${a.level} table for ${hex(a.start)}-${hex(a.end)}${a.empty ? '  (empty)' : ''}`);
  if (s.allocated.length > 20) lines.push(`    ... ${s.allocated.length - 20} more`);
  const total = s.installed.reduce((n, r) => n + r.count, 0);
  lines.push(`  installed: ${total} PTE${total === 1 ? '' : 's'}`);
  for (const r of s.installed.slice(0, 20))
    lines.push(`    ${hex(r.start)}-${hex(r.end)}: ${r.count} ${r.entry} (${r.firstSeq === r.lastSeq ? eventName(r.firstSeq) : `set from event ${r.firstSeq} to event ${r.lastSeq}`})`);
  if (s.installed.length > 20) lines.push(`    ... ${s.installed.length - 20} more runs`);
  if (s.splits.length) {
    lines.push(`  split: ${s.splits.length}`);
    for (const x of s.splits.slice(0, 20)) lines.push(`    ${eventName(x.seq)}: the huge ${g ? entryOfLevel(g, x.level) : `${x.level} entry`} at ${hex(x.addr)} -> ${x.result}${x.by === 'zap' ? ' (by the zap)' : ''}`);
  }
  if (s.zaps.length) {
    lines.push(`  zapped: ${s.zaps.length}`);
    for (const z of s.zaps.slice(0, 20)) lines.push(`    ${eventName(z.seq)}: ${hex(z.start)}-${hex(z.end)}`);
  }
  // What the run took away, beside what it left: mappings (and guard markers) that were there and are gone.
  lines.push(`  destroyed: ${destroyedWords(s.destroyed)}`);
  for (const h of s.destroyed.huge.slice(0, 20))
    lines.push(`    #${h.seq} huge ${h.level} ${hex(h.start)}-${hex(h.end)} (${h.event === 'clear' ? 'zapped whole' : `${h.event}: cleared`})`);
  if (s.destroyed.huge.length > 20) lines.push(`    ... ${s.destroyed.huge.length - 20} more`);
  return lines;
}

const hexOrNull = (a: Addr | null): string | null => (a === null ? null : hex(a));

/** An event as JSON: its fields, addresses as hex strings, and its trace line. */
export function eventJson(e: WalkEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (['start', 'end', 'addr', 'at'].includes(key) && typeof value === 'number') out[key] = hex(value);
    else if (key === 'action' && typeof value === 'number') out[key] = value < 0 ? null : ACTION_NAMES[value];
    else if ((key === 'entry' || key === 'value' || key === 'old') && typeof value === 'number' && e.type !== 'ret' && e.type !== 'client_ret') out[key] = entryName(value);
    else out[key] = value;
  }
  out.line = formatTraceLine(e);
  return out;
}

export function summaryJson(s: AbortSummary): Record<string, unknown> {
  return {
    // The start (before event 0) is null: -1 would read as the last event, as --at -1 means.
    at: s.at < 0 ? null : s.at,
    outcome: s.outcome,
    ret: s.ret,
    clientRet: s.clientRet,
    walks: s.walks.map((w) => ({ seq: w.seq, api: w.api, start: hex(w.start), end: hex(w.end), ret: w.ret })),
    stop: s.stop,
    reached: hexOrNull(s.reached),
    stoppedIn: s.stoppedIn ? { level: s.stoppedIn.level, start: hex(s.stoppedIn.start), end: hex(s.stoppedIn.end) } : null,
    unreached: s.unreached ? [hex(s.unreached[0]), hex(s.unreached[1])] : null,
    unfiredFaults: s.unfired.map((f) => ({ fault: f.fault, why: f.why })),
    allocated: s.allocated.map((a) => ({ seq: a.seq, level: a.level, addr: hex(a.addr), start: hex(a.start), end: hex(a.end), empty: a.empty })),
    installed: s.installed.map((r) => ({ start: hex(r.start), end: hex(r.end), count: r.count, entry: r.entry, firstSeq: r.firstSeq, lastSeq: r.lastSeq })),
    splits: s.splits.map((x) => ({ seq: x.seq, level: x.level, addr: hex(x.addr), result: x.result, by: x.by })),
    zaps: s.zaps.map((z) => ({ seq: z.seq, start: hex(z.start), end: hex(z.end) })),
    destroyed: {
      present: s.destroyed.present,
      guard: s.destroyed.guard,
      huge: s.destroyed.huge.map((h) => ({ seq: h.seq, level: h.level, start: hex(h.start), end: hex(h.end), event: h.event })),
      bytes: s.destroyed.bytes,
    },
  };
}

export function showJson(input: ShowInput): Record<string, unknown> {
  const { meta, state } = input;
  const range = shownRange(state);
  const view = range ? entryRuns(state, range[0], range[1], 10_000) : null;
  return {
    file: input.file,
    scenario: { name: meta.scenarioName, file: meta.scenarioFile, arch: meta.arch, kernel: meta.kernel },
    walkbackVersion: meta.walkbackVersion,
    createdAt: meta.createdAt,
    status: input.status,
    events: input.length,
    at: input.at < 0 ? null : input.at,
    event: input.event ? eventJson(input.event) : null,
    state: {
      phase: state.phase,
      walk: state.walk ? { api: state.walk.api, start: hex(state.walk.start), end: hex(state.walk.end) } : null,
      walks: state.walks,
      vma: state.vma ? { start: hex(state.vma.start), end: hex(state.vma.end), flags: state.vma.flags, hugetlb: state.vma.hugetlb } : null,
      position: state.at ? { level: state.at.level, addr: hex(state.at.addr) } : null,
      ret: state.ret,
      clientRet: state.clientRet,
      reached: hexOrNull(state.reached),
      counts: state.counts,
      tables: tableCounts(state),
    },
    pageTables: view
      ? {
          range: [hex(range![0]), hex(range![1])],
          runs: view.runs.map((r) => ({ start: hex(r.start), end: hex(r.end), level: r.level, entry: entryName(r.entry), table: r.table, emptyTable: r.emptyTable, count: r.count })),
          truncated: view.truncated,
        }
      : null,
    summary: summaryJson(input.summary),
  };
}
