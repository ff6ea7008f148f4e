// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a run did and left behind, at any event: the range it was asked to
 * walk, how far it got, the tables it allocated (and which of them are still
 * empty), the PTEs it installed, what it split and zapped, what it destroyed
 * (present PTEs, guard markers and huge entries it cleared), where and why it
 * stopped, and the part of the range it never reached. Built from the notable
 * index and the state at that event, so it costs the same on a run of any length.
 */
import { rowMembers } from '../events/notable.js';
import type { Addr, LevelIndex, LevelName, WalkApi, WalkEvent } from '../events/walk-event.js';
import { CALLBACKS, Entry, ENTRY_NAMES, EVENT_TYPES, LEVELS, RetWhy } from '../events/walk-event.js';
import type { NotableRow } from '../events/notable.js';
import type { Geometry } from '../mm/geometry.js';
import { alignDown, hex, ownerLevel, sizeName } from '../mm/geometry.js';
import { formatTraceLine } from '../events/trace-line.js';
import type { Fault } from '../scenario/scenario.js';
import type { Replay } from './replay.js';
import type { WalkState } from './walk-state.js';

export interface WalkSummary {
  readonly seq: number;
  readonly api: WalkApi;
  readonly start: Addr;
  readonly end: Addr;
  /** What it returned, or null if it has not (yet). */
  readonly ret: number | null;
}

export interface AllocatedTable {
  readonly seq: number;
  /** The level of the table allocated. */
  readonly level: LevelName;
  /** The walker's address at the allocation. */
  readonly addr: Addr;
  /** The span the table covers. */
  readonly start: Addr;
  readonly end: Addr;
  /** Whether every entry of the table is none at this event. */
  readonly empty: boolean;
}

export interface Installed {
  readonly start: Addr;
  readonly end: Addr;
  readonly count: number;
  /** What was written: guard or present. */
  readonly entry: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface Split {
  readonly seq: number;
  readonly level: LevelName;
  readonly addr: Addr;
  readonly result: string;
  /** Who split it: the walker (split_huge_pmd/pud) or the client's zap (zap_pmd_range/zap_pud_range). */
  readonly by: 'walker' | 'zap';
}

/** A huge entry the run destroyed: cleared whole by a zap, or split into nothing (a huge pfnmap or PUD entry). */
export interface DestroyedHuge {
  readonly seq: number;
  /** The walker level of the entry (pmd or pud). */
  readonly level: LevelName;
  readonly start: Addr;
  readonly end: Addr;
  /** The event that destroyed it: clear (a zap cleared it whole), zap_split, split_pmd or split_pud (a split that clears). */
  readonly event: 'clear' | 'zap_split' | 'split_pmd' | 'split_pud';
}

/** What the run destroyed: entries that mapped something (or guarded it) before and are gone. */
export interface Destroyed {
  /** Present PTEs cleared (by a zap; a THP split into PTEs first counts here for the PTEs cleared, not as a huge entry). */
  readonly present: number;
  /** Guard markers cleared (guard remove). */
  readonly guard: number;
  readonly huge: readonly DestroyedHuge[];
  /** Bytes no longer mapped: the present PTEs' pages and the huge entries' spans. */
  readonly bytes: number;
}

export interface Stop {
  readonly seq: number;
  /** The trace line of the event where it stopped (or the event that made it stop). */
  readonly line: string;
  readonly reason: string;
}

export interface AbortSummary {
  /** The event the summary is taken at. */
  readonly at: number;
  readonly outcome: 'completed' | 'aborted' | 'oops' | 'livelock' | 'in progress' | 'not started';
  readonly walks: readonly WalkSummary[];
  /** The last walk's return value. */
  readonly ret: number | null;
  /** The client's return value (guard-install), if any. */
  readonly clientRet: number | null;
  /** How far the last walk got: below this address it walked its range in full. */
  readonly reached: Addr | null;
  /**
   * When the walk stopped early, the part of its range it had entered but not
   * finished: from `reached` to the end of the entry the walker was at (its
   * level), within the range. Null when the walker stopped on an entry boundary.
   */
  readonly stoppedIn: StoppedIn | null;
  /** The part of the last walk's range no event of the walk touched, when it stopped early. */
  readonly unreached: readonly [Addr, Addr] | null;
  /** Injected faults that never fired (the walk never got that far), once the run has ended. */
  readonly unfired: readonly UnfiredFault[];
  readonly allocated: readonly AllocatedTable[];
  readonly installed: readonly Installed[];
  /** Huge entries split: by the walker (split_pmd, split_pud) or by a client's zap (zap_split, no trace line). */
  readonly splits: readonly Split[];
  readonly zaps: readonly { readonly seq: number; readonly start: Addr; readonly end: Addr }[];
  readonly destroyed: Destroyed;
  readonly stop: Stop | null;
}

export interface StoppedIn {
  /** The walker level whose entry it was in. */
  readonly level: LevelName;
  readonly start: Addr;
  readonly end: Addr;
}

export interface UnfiredFault {
  /** As the scenario writes it: 'alloc 5', 'alloc 2 (level pte)', 'pte_map 3'. */
  readonly fault: string;
  /** Why it never fired, in words. */
  readonly why: string;
}

export interface SummaryOptions {
  /** The faults the run was given (the scenario's), to report those that never fired. */
  readonly faults?: readonly Fault[];
}

const KIND = (t: (typeof EVENT_TYPES)[number]): number => EVENT_TYPES.indexOf(t);

export function abortSummary(replay: Replay, at: number = replay.length - 1, options: SummaryOptions = {}): AbortSummary {
  const state = replay.stateAt(at);
  const upto = at + 1;
  const rows = (types: (typeof EVENT_TYPES)[number][]) => replay.notable(types, 0, upto);

  const walks = walksUpTo(replay, at);

  const g = state.geometry;
  const allocated: AllocatedTable[] = rows(['alloc']).map((row) => {
    const level = row.level ?? 0;
    const span = g.tableSpan[level]!;
    const start = alignDown(row.addr!, span);
    // A recording knows each table's entry counts: no need to read 20,000 tables for a summary.
    const counts = state.tables.summaryAt(level as 1 | 2 | 3 | 4, start);
    // No counts: the table is not there (any more), so nothing of it is left behind but none entries.
    const empty = counts ? counts[0] === g.ptrs[level] : true;
    return {
      seq: row.seq,
      level: LEVELS[level]!,
      addr: row.addr!,
      start,
      end: start + span,
      empty,
    };
  });

  const installed: Installed[] = [];
  const install = (start: Addr, count: number, entry: string, firstSeq: number, lastSeq: number) => {
    const last = installed[installed.length - 1];
    if (last && last.end === start && last.entry === entry) installed[installed.length - 1] = { ...last, end: start + count * g.pageSize, count: last.count + count, lastSeq };
    else installed.push({ start, end: start + count * g.pageSize, count, entry, firstSeq, lastSeq });
  };
  for (const row of rows(['set_pte'])) {
    if (row.addr === null) continue;
    const entry = ENTRY_NAMES[row.value ?? 0] ?? '?';
    if (row.count > 1 && row.addrStep === g.pageSize && row.seqStep > 0) {
      // A run of neighbouring pages: whole, or cut at `at`, without visiting each member.
      const members = Math.min(row.count, Math.floor((at - row.seq) / row.seqStep) + 1);
      if (members > 0) install(row.addr, members, entry, row.seq, row.seq + (members - 1) * row.seqStep);
      continue;
    }
    for (const [seq, addr] of rowMembers(row)) if (seq <= at && addr !== null) install(addr, 1, entry, seq, seq);
  }

  const splits: Split[] = rows(['split_pmd', 'split_pud', 'zap_split']).map((row) => ({
    seq: row.seq,
    level: row.kind === KIND('zap_split') ? LEVELS[row.level ?? 3]! : row.kind === KIND('split_pmd') ? 'pmd' : 'pud',
    addr: row.addr!,
    result: row.value === 1 ? 'a table of present PTEs' : 'none (cleared)',
    by: row.kind === KIND('zap_split') ? 'zap' : 'walker',
  }));
  const zaps = rows(['zap']).map((row) => ({ seq: row.seq, start: row.addr!, end: row.next! }));
  const destroyed = destroyedBy(rows(['clear', 'split_pmd', 'split_pud', 'zap_split']), g, at);

  const lastWalk = walks[walks.length - 1] ?? null;
  const outcome: AbortSummary['outcome'] =
    state.phase === 'oops'
      ? 'oops'
      : state.phase === 'livelock'
        ? 'livelock'
        : state.phase === 'setup'
          ? 'not started'
          : state.phase === 'walking' || (state.phase === 'returned' && isClientRun(replay) && state.clientRet === null)
            ? 'in progress'
            : (state.clientRet ?? state.ret) === 0
              ? 'completed'
              : 'aborted';

  const stop = findStop(replay, state, at, lastWalk);
  const stoppedEarly = outcome !== 'completed' && outcome !== 'in progress' && outcome !== 'not started';
  const { reached, stoppedIn, unreached } = stoppedEarly ? reachOf(state, stop ? oopsLevel(replay.event(stop.seq)) : null) : { reached: state.reached, stoppedIn: null, unreached: null };
  const unfired = options.faults?.length && outcome !== 'in progress' && outcome !== 'not started' ? unfiredFaults(replay, at, options.faults) : [];

  return {
    at,
    outcome,
    walks,
    ret: state.ret,
    clientRet: state.clientRet,
    reached,
    stoppedIn,
    unreached,
    unfired,
    allocated,
    installed,
    splits,
    zaps,
    destroyed,
    stop,
  };
}

/** How many members of a notable row are at or before `at` (a run may go on past it). */
function membersUpTo(row: NotableRow, at: number): number {
  if (row.count === 1 || row.seqStep <= 0) return row.seq <= at ? 1 : 0;
  return Math.max(0, Math.min(row.count, Math.floor((at - row.seq) / row.seqStep) + 1));
}

/** What the clear and split rows up to `at` destroyed. A split into a table of present PTEs destroys nothing by itself. */
function destroyedBy(rows: readonly NotableRow[], g: Geometry, at: number): Destroyed {
  let present = 0;
  let guard = 0;
  const huge: DestroyedHuge[] = [];
  for (const row of rows) {
    const type = EVENT_TYPES[row.kind]!;
    const members = membersUpTo(row, at);
    if (members === 0 || row.addr === null) continue;
    if (type === 'clear') {
      // A clear's level is the table the entry sits in; the entry belongs to the deepest level sharing that slot.
      const owner = ownerLevel(g, (row.level ?? 4) as LevelIndex);
      if (row.value === Entry.PRESENT) present += members;
      else if (row.value === Entry.MARKER) guard += members;
      else if (row.value === Entry.HUGE || row.value === Entry.HUGETLB)
        for (let i = 0; i < members; i++) {
          const start = row.addr + i * row.addrStep;
          huge.push({ seq: row.seq + i * row.seqStep, level: LEVELS[owner]!, start, end: start + g.entrySize[owner]!, event: 'clear' });
        }
      continue;
    }
    if (row.value !== Entry.NONE) continue;
    const level = type === 'split_pud' ? 2 : type === 'split_pmd' ? 3 : ((row.level ?? 3) as 2 | 3);
    const size = g.entrySize[level]!;
    const start = alignDown(row.addr, size);
    huge.push({ seq: row.seq, level: LEVELS[level]!, start, end: start + size, event: type as DestroyedHuge['event'] });
  }
  huge.sort((a, b) => a.seq - b.seq);
  const bytes = present * g.pageSize + huge.reduce((n, h) => n + (h.end - h.start), 0);
  return { present, guard, huge, bytes };
}

/** What a run destroyed, in words ('2 present PTEs, 1 huge pmd (2M)'), or 'nothing'. */
export function destroyedWords(d: Destroyed): string {
  const parts: string[] = [];
  if (d.present) parts.push(`${d.present} present PTE${d.present === 1 ? '' : 's'}`);
  for (const level of ['pud', 'pmd'] as const) {
    const of = d.huge.filter((h) => h.level === level);
    if (of.length) parts.push(`${of.length} huge ${level}${of.length === 1 ? '' : 's'} (${sizeName(of[0]!.end - of[0]!.start)}${of.length === 1 ? '' : ' each'})`);
  }
  if (d.guard) parts.push(`${d.guard} guard marker${d.guard === 1 ? '' : 's'}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

/**
 * How far the state's walk got, when it stopped early: walked in full below
 * `reached`; entered but not finished from there to the end of the entry the
 * walker was at (the pud entry it ran pud_entry on, the pmd entry whose PTE
 * table it failed to allocate); and, past that entry, never touched at all.
 * `stopLevel` is the level of an entry the walker stopped at without a level
 * of its own in the state (an oops: the entry it would call the callback on).
 */
export function reachOf(state: WalkState, stopLevel: LevelName | null = null): Pick<AbortSummary, 'reached' | 'stoppedIn' | 'unreached'> {
  const walk = state.walk;
  const reached = state.reached;
  if (!walk || reached === null || walk.start >= walk.end || reached >= walk.end) return { reached, stoppedIn: null, unreached: null };
  const from = Math.max(reached, walk.start);
  let stoppedIn: StoppedIn | null = null;
  const at = state.at;
  const level = at?.level ?? stopLevel;
  if (at && level !== null) {
    const size = state.geometry.entrySize[LEVELS.indexOf(level) as LevelIndex]!;
    const entryStart = alignDown(at.addr, size);
    const end = Math.min(entryStart + size, walk.end);
    if (end > from && entryStart < walk.end) stoppedIn = { level, start: from, end };
  }
  const untouched = stoppedIn ? stoppedIn.end : from;
  return { reached, stoppedIn, unreached: untouched < walk.end ? [untouched, walk.end] : null };
}

/** The level of the entry an oops stopped at: that of the callback it would have called. */
function oopsLevel(e: WalkEvent): LevelName | null {
  if (e.type !== 'oops') return null;
  const level = e.callback.replace(/_entry$/, '');
  return (LEVELS as readonly string[]).includes(level) ? (level as LevelName) : null;
}

/**
 * The faults that never fired by event `at`: an allocation fault whose
 * allocation was never attempted (counted, as the walker counts them, from the
 * alloc and alloc_fail events, in all and per level), a pte_map fault past the
 * injected map failures (they fire in the order of their numbers).
 */
export function unfiredFaults(replay: Replay, at: number, faults: readonly Fault[]): UnfiredFault[] {
  const out: UnfiredFault[] = [];
  const tries = [0, 0, 0, 0, 0];
  let all = 0;
  for (const row of replay.notable(['alloc', 'alloc_fail'], 0, at + 1)) {
    all += 1;
    tries[row.level ?? 0]! += 1;
  }
  const injectedMaps = replay.notable(['pte_map_fail'], 0, at + 1).filter((row) => row.value === 1).length;
  const mapNths = [...new Set(faults.filter((f) => f.kind === 'pte_map').map((f) => f.nth))].sort((a, b) => a - b);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const seen = new Set<string>();
  for (const f of faults) {
    const key = JSON.stringify(f);
    if (seen.has(key)) continue;
    seen.add(key);
    if (f.kind === 'alloc') {
      const made = f.level ? tries[LEVELS.indexOf(f.level)]! : all;
      if (made >= f.nth) continue;
      out.push({
        fault: `alloc ${f.nth}${f.level ? ` (level ${f.level})` : ''}`,
        why: `the walk tried ${made ? `only ${plural(made, f.level ? `${f.level}-table allocation` : 'table allocation')}` : `no ${f.level ? `${f.level}-table ` : 'table '}allocation`}`,
      });
    } else if (mapNths.indexOf(f.nth) >= injectedMaps) {
      out.push({ fault: `pte_map ${f.nth}`, why: `the walk made fewer than ${f.nth} pte_offset_map_lock() calls` });
    }
  }
  return out;
}

/** The walks begun at or before `at`, with what each returned. */
function walksUpTo(replay: Replay, at: number): WalkSummary[] {
  const walks: WalkSummary[] = [];
  for (const row of replay.notable(['walk', 'ret'], 0, at + 1)) {
    if (row.kind === KIND('walk')) {
      const e = replay.event(row.seq);
      if (e.type === 'walk') walks.push({ seq: row.seq, api: e.api, start: e.start, end: e.end, ret: null });
    } else if (walks.length) {
      const last = walks[walks.length - 1]!;
      walks[walks.length - 1] = { ...last, ret: row.value };
    }
  }
  return walks;
}

/** Just where the walk stopped, at `at` (the summary's `stop`), without counting what it allocated and installed. */
export function stopAt(replay: Replay, at: number = replay.length - 1): Stop | null {
  const walks = walksUpTo(replay, at);
  return findStop(replay, replay.stateAt(at), at, walks[walks.length - 1] ?? null);
}

function isClientRun(replay: Replay): boolean {
  return replay.notable(['client_ret']).length > 0;
}

/** Where the last walk stopped and why. */
function findStop(replay: Replay, state: WalkState, at: number, walk: WalkSummary | null): Stop | null {
  if (!walk) return null;
  const line = (e: WalkEvent) => formatTraceLine(e) ?? e.type;
  // The events that can end a walk, after the walk began.
  const kinds = ['alloc_fail', 'oops', 'livelock', 'pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry', 'pte_entry', 'hugetlb_entry', 'install_pte', 'hole', 'test_walk', 'pre_vma'] as const;
  const culprit = replay
    .notable([...kinds], walk.seq, at + 1)
    .filter((r) => r.kind !== KIND('test_walk') || (r.value ?? 0) < 0)
    .pop();
  if (state.phase === 'oops' && culprit) {
    const e = replay.event(culprit.seq);
    const cb = e.type === 'oops' ? e.callback : CALLBACKS[0];
    return { seq: culprit.seq, line: line(e), reason: `the walker would call ${cb} through a NULL pointer: install_pte is set without pte_entry, and the entry at ${hex(e.type === 'oops' ? e.addr : 0)} is not none (the kernel oopses)` };
  }
  if (state.phase === 'livelock' && culprit) {
    const e = replay.event(culprit.seq);
    return { seq: culprit.seq, line: line(e), reason: 'a callback asks for ACTION_AGAIN every time: the kernel would loop forever; walkback stopped it' };
  }
  if (walk.ret === null || walk.ret === 0) return null;
  const retSeq = replay.find(walk.seq, { kinds: ['ret'] }, 1);
  if (culprit && (retSeq === null || culprit.seq < retSeq)) {
    const e = replay.event(culprit.seq);
    if (e.type === 'alloc_fail') return { seq: e.seq, line: line(e), reason: `allocating a ${e.level} table at ${hex(e.addr)} failed: -ENOMEM; everything allocated and installed before it stays` };
    const name = e.type === 'hole' ? 'pte_hole' : e.type;
    const ret = 'ret' in e ? e.ret : walk.ret;
    if (e.type === 'hole' && e.depth === -1 && state.vma && ret > 0)
      return { seq: e.seq, line: line(e), reason: `pte_hole returned ${ret} for a VM_PFNMAP VMA` };
    return { seq: e.seq, line: line(e), reason: `${name} returned ${ret}: ${ret > 0 ? 'a positive value stops the walk and is returned' : 'an error aborts the walk and is returned'}` };
  }
  // No callback failed: the entry point refused the walk.
  const retEvent = retSeq !== null ? replay.event(retSeq) : replay.event(at);
  const why = retEvent.type === 'ret' ? WHY_TEXT[retEvent.why] : undefined;
  return { seq: retEvent.seq, line: line(retEvent), reason: why ? why(walk) : `the walk returned ${walk.ret}` };
}

const WHY_TEXT: Record<number, (walk: WalkSummary) => string> = {
  [RetWhy.OPS]: (w) => `${w.api} refuses install_pte (check_ops_valid()): -EINVAL; madvise uses walk_page_range_mm`,
  [RetWhy.RANGE]: (w) => `start ${hex(w.start)} is not below end ${hex(w.end)}: -EINVAL`,
  [RetWhy.HUGETLB_INSTALL]: () => 'install_pte on a hugetlb VMA is not supported: __walk_page_range() returns -EINVAL',
  [RetWhy.OUTSIDE_VMA]: () => 'walk_page_range_vma(): the range leaves the VMA: -EINVAL',
};

/** Table levels by owner, for messages. */
export function tableLevelName(g: WalkState['geometry'], level: number): LevelName {
  return LEVELS[ownerLevel(g, level as 0 | 1 | 2 | 3 | 4)]!;
}
