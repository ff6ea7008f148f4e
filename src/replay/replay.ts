// SPDX-License-Identifier: GPL-2.0-only
/**
 * Time travel over an event log: the state at any event (a checkpoint plus at
 * most one chunk of events, folded by the reducer), search forwards and
 * backwards, and provenance: which events made an entry what it is.
 *
 * "The state at event n" is the state after event n; n = -1 is the state
 * before the first event.
 */
import { CHUNK_EVENTS } from '../events/codec.js';
import { eventAddr, eventEnd, eventLevel, isError } from '../events/fields.js';
import type { NotableRow } from '../events/notable.js';
import { CHANGE_KINDS, KIND_INDEX, rowMembers } from '../events/notable.js';
import type { Addr, CallbackName, EntryKind, LevelIndex, LevelName, WalkEvent, WalkEventType } from '../events/walk-event.js';
import { EVENT_TYPES, LEVELS } from '../events/walk-event.js';
import { alignDown } from '../mm/geometry.js';
import type { EventLog } from './event-log.js';
import { diffStates } from './state-diff.js';
import type { StateDiff } from './state-diff.js';
import { evolve, foldEvents } from './walk-state.js';
import type { WalkState } from './walk-state.js';

/** What to look for: every given field must match. */
export interface EventQuery {
  readonly kinds?: readonly WalkEventType[];
  readonly level?: LevelName;
  /** An address the event's range (or address) contains. */
  readonly addr?: Addr;
  /** A half-open range the event's range overlaps. */
  readonly range?: readonly [Addr, Addr];
  /** Only failures: failed allocations and maps, non-zero returns, oopses, livelocks. */
  readonly error?: boolean;
  /** A callback by its ops name (pte_hole matches hole lines). */
  readonly callback?: CallbackName;
}

/** Whether an event matches a query. */
export function matches(e: WalkEvent, q: EventQuery): boolean {
  if (q.kinds && !q.kinds.includes(e.type)) return false;
  if (q.callback && e.type !== (q.callback === 'pte_hole' ? 'hole' : q.callback)) return false;
  if (q.level && eventLevel(e) !== q.level) return false;
  if (q.error && !isError(e)) return false;
  if (q.addr !== undefined || q.range) {
    const start = eventAddr(e);
    if (start === null) return false;
    const end = eventEnd(e) ?? start + 1;
    const lo = Math.min(start, end);
    const hi = Math.max(start, end, start + 1);
    if (q.addr !== undefined && !(lo <= q.addr && q.addr < hi)) return false;
    if (q.range && !(lo < q.range[1] && q.range[0] < hi)) return false;
  }
  return true;
}

/** The kinds of event that can be a failure (isError): the notable index holds each such event. */
const ERROR_KINDS: readonly WalkEventType[] = [
  'alloc_fail', 'pte_map_fail', 'oops', 'livelock', 'ret', 'client_ret', 'hole', 'install_pte', 'test_walk', 'pre_vma',
  'pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry', 'pte_entry', 'hugetlb_entry',
];

/** The kinds a query can only match (so the notable index can answer it), or null. */
function notableKinds(q: EventQuery): number[] | null {
  if (!q.kinds || q.addr !== undefined || q.range || q.callback || q.error) return null;
  const indexed: WalkEventType[] = [
    'vma',
    'state',
    'walk',
    'ret',
    'client_ret',
    'vma_enter',
    'alloc',
    'alloc_fail',
    'split_pmd',
    'split_pud',
    'zap_split',
    'set_pte',
    'clear',
    'zap',
    'pte_map_fail',
    'oops',
    'livelock',
  ];
  if (!q.kinds.every((k) => indexed.includes(k))) return null;
  if (q.level) return null;
  return q.kinds.map((k) => KIND_INDEX[k]);
}

/** A slot's state for provenance: its entry, or ABSENT when its table does not exist. */
export const ABSENT = -1;

export interface EntryChange {
  readonly seq: number;
  readonly type: WalkEventType;
  /** EntryKind before and after, or ABSENT. */
  readonly from: number;
  readonly to: number;
}

export interface Provenance {
  readonly level: LevelName;
  /** The slot: the span of the entry at this level that covers the address. */
  readonly start: Addr;
  readonly end: Addr;
  /** The entry at the cursor (an EntryKind, or ABSENT). */
  readonly entry: number;
  /** The event that last changed it at or before the cursor, or null (as the scenario set it up). */
  readonly lastChange: number | null;
  /** Every change to the slot in the whole log, in order. */
  readonly history: readonly EntryChange[];
}

/** States kept for reuse: the cursor's, its neighbours', and provenance's probes. */
const CACHE_SIZE = 6;
/** Slots whose change history lastChange() remembers. */
const SLOT_MEMO_SIZE = 64;

export class Replay {
  /** Recently built states, most recent last. */
  private cache: { n: number; state: WalkState }[] = [];

  constructor(readonly log: EventLog) {}

  get length(): number {
    return this.log.length;
  }

  /** The state after event n (n = -1: before the first event). */
  stateAt(n: number): WalkState {
    if (!Number.isInteger(n) || n < -1 || n >= this.log.length)
      throw new RangeError(`no event ${n} (the recording holds 0 to ${this.log.length - 1})`);
    const hit = this.cache.find((c) => c.n === n);
    if (hit) return hit.state;
    let state: WalkState;
    const checkpoint = this.log.checkpoint(n + 1);
    // The nearest cached state before n, past the checkpoint: fold on from it.
    let from: { n: number; state: WalkState } | null = null;
    for (const c of this.cache) if (c.n < n && c.n + 1 >= checkpoint.seq && (!from || c.n > from.n)) from = c;
    if (from) {
      state = n === from.n + 1 ? evolve(from.state, this.log.event(n)) : foldEvents(from.state, this.log.events(from.n + 1, n + 1));
    } else {
      state = foldEvents(checkpoint.state, this.log.events(checkpoint.seq, n + 1));
    }
    this.cache.push({ n, state });
    if (this.cache.length > CACHE_SIZE) this.cache.shift();
    return state;
  }

  event(n: number): WalkEvent {
    return this.log.event(n);
  }

  /**
   * The next event after `from` (direction 1) or before it (-1) that matches,
   * or null. Queries the index when it can answer them, else scans.
   */
  find(from: number, query: EventQuery, direction: 1 | -1 = 1): number | null {
    const kinds = notableKinds(query);
    if (kinds) return this.nextNotable(from, kinds, direction);
    if (query.error) {
      // Every failure is in the index (non-zero returns, failed allocations and maps, oopses):
      // step through its rows of those kinds and test each, rather than scan every event.
      const candidates = ERROR_KINDS.filter((k) => !query.kinds || query.kinds.includes(k)).map((k) => KIND_INDEX[k]);
      for (let at = from; ; ) {
        const seq = this.nextNotable(at, candidates, direction);
        if (seq === null || matches(this.log.event(seq), query)) return seq;
        at = seq;
      }
    }
    if (direction === 1) {
      for (let start = from + 1; start < this.log.length; start += CHUNK_EVENTS) {
        for (const e of this.log.events(start, Math.min(this.log.length, start + CHUNK_EVENTS))) if (matches(e, query)) return e.seq;
      }
      return null;
    }
    for (let end = Math.min(from, this.log.length); end > 0; end -= CHUNK_EVENTS) {
      const events = [...this.log.events(Math.max(0, end - CHUNK_EVENTS), end)];
      for (let i = events.length - 1; i >= 0; i--) if (matches(events[i]!, query)) return events[i]!.seq;
    }
    return null;
  }

  /** The nearest member of a notable row of these kinds after (1) or before (-1) `from`. */
  nextNotable(from: number, kinds: readonly number[], direction: 1 | -1): number | null {
    if (direction === 1) {
      // A run starts at most one chunk before any of its members.
      let window = CHUNK_EVENTS * 4;
      for (let lo = Math.max(0, from - CHUNK_EVENTS); lo < this.log.length; lo += window, window *= 4) {
        let best: number | null = null;
        for (const row of this.log.notable(kinds, lo, lo + window))
          for (const [seq] of rowMembers(row)) if (seq > from && (best === null || seq < best)) best = seq;
        if (best !== null) return best;
      }
      return null;
    }
    let window = CHUNK_EVENTS * 4;
    for (let hi = from; hi > 0; hi -= window, window *= 4) {
      let best: number | null = null;
      for (const row of this.log.notable(kinds, Math.max(0, hi - window), hi))
        for (const [seq] of rowMembers(row)) if (seq < from && (best === null || seq > best)) best = seq;
      if (best !== null) return best;
    }
    return null;
  }

  /** Notable rows of the given event types over the whole log (or [from, to)). */
  notable(types: readonly WalkEventType[], from = 0, to = this.log.length): NotableRow[] {
    return this.log.notable(
      types.map((t) => KIND_INDEX[t]),
      from,
      to,
    );
  }

  /** The difference between the page tables at events a and b (reads only the tables that can differ). */
  diff(a: number, b: number): StateDiff {
    const sa = this.stateAt(a);
    const sb = this.stateAt(b);
    return diffStates(sa, sb, this.log.tablesChangedBetween?.(a + 1, b + 1));
  }

  /** Which events made the entry of walker level `level` covering `addr` what it is at event `at`. */
  provenance(level: LevelIndex, addr: Addr, at: number): Provenance {
    const slot = this.slot(level, addr);
    const history: EntryChange[] = [];
    for (const seq of this.changeCandidates(level, addr)) {
      const from = this.slotValue(level, addr, seq - 1);
      const to = this.slotValue(level, addr, seq);
      if (from !== to) history.push({ seq, type: this.log.event(seq).type, from, to });
    }
    const last = [...history].reverse().find((h) => h.seq <= at);
    return { level: LEVELS[level], ...slot, entry: this.slotValue(level, addr, at), lastChange: last ? last.seq : null, history };
  }

  /** Just the last event at or before `at` that changed the entry: cheaper than provenance(), for a pane redrawn on every key. */
  lastChange(level: LevelIndex, addr: Addr, at: number): number | null {
    // Which events may change a slot, and whether one did, never change once recorded: both are
    // remembered, so moving the cursor costs a lookup, not two replays per candidate.
    const { start } = this.slot(level, addr);
    const key = `${level}:${start}`;
    let memo = this.slotMemo.get(key);
    if (!memo || memo.length !== this.log.length) {
      memo = { length: this.log.length, candidates: this.changeCandidates(level, addr), changed: new Map() };
      this.slotMemo.set(key, memo);
      if (this.slotMemo.size > SLOT_MEMO_SIZE) this.slotMemo.delete(this.slotMemo.keys().next().value!);
    }
    const { candidates, changed } = memo;
    // The last candidate at or before `at`, by binary search, then back from there.
    let lo = 0;
    let hi = candidates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (candidates[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const seq = candidates[i]!;
      let did = changed.get(seq);
      if (did === undefined) changed.set(seq, (did = this.slotValue(level, addr, seq - 1) !== this.slotValue(level, addr, seq)));
      if (did) return seq;
    }
    return null;
  }

  private readonly slotMemo = new Map<string, { length: number; candidates: number[]; changed: Map<number, boolean> }>();

  private slot(level: LevelIndex, addr: Addr): { start: Addr; end: Addr } {
    const g = this.log.geometry;
    const size = g.entrySize[g.slotTable[level]!]!;
    const start = alignDown(addr, size);
    return { start, end: start + size };
  }

  private slotValue(level: LevelIndex, addr: Addr, n: number): number {
    const tables = this.stateAt(n).tables;
    return tables.table(this.log.geometry.slotTable[level]!, addr) === undefined ? ABSENT : tables.entry(level, addr);
  }

  /** Events that may have changed the slot, ascending: the index narrows them, the states decide. */
  private changeCandidates(level: LevelIndex, addr: Addr): number[] {
    const g = this.log.geometry;
    const table = g.slotTable[level]!;
    const { start, end } = this.slot(level, addr);
    const candidates = new Set<number>();
    // A slot also changes when its table comes into being (absent -> none): look at changes anywhere in
    // the table's span, and keep those that really changed the slot.
    const span = g.tableSpan[table]!;
    const windowStart = alignDown(addr, span);
    const windowEnd = windowStart + span;
    // State items can be long (a million PTEs): all of them are candidates. Other changes lie near:
    // a run starts at most a chunk of pages before the window, a split at most a huge page.
    const margin = Math.max(g.hugePud, g.hugePmd, CHUNK_EVENTS * g.pageSize);
    const rows = [
      ...this.notable(['state']),
      ...this.log.notable(
        CHANGE_KINDS.filter((t) => t !== 'state').map((t) => KIND_INDEX[t]),
        0,
        this.log.length,
        [Math.max(0, windowStart - margin), windowEnd],
      ),
    ];
    for (const row of rows) {
      const type = EVENT_TYPES[row.kind]!;
      if (row.addr === null) continue;
      if (type === 'state') {
        const [lo, hi] = stateSpan(this.log.event(row.seq), g.hugePmd, g.hugePud, g.pageSize);
        if (lo < windowEnd && windowStart < hi) candidates.add(row.seq);
        continue;
      }
      // Members of a run: addr + i * addrStep, each covering changeSpan. set_pte and clear change one
      // slot and never create a table: they matter only on the slot itself.
      const oneSlot = type === 'set_pte' || type === 'clear';
      // set_pte writes a PTE, clear the entry of its own level: neither touches a slot of another table level.
      if (type === 'set_pte' && table !== g.slotTable[4]) continue;
      if (type === 'clear' && row.level !== null && g.slotTable[row.level as LevelIndex] !== table) continue;
      // An allocation writes one entry (the parent's, over addr) and creates one table (every slot of it).
      if (type === 'alloc' && row.level !== null && row.level > 0) {
        const created = row.level as LevelIndex;
        const writesSlot = g.slotTable[(created - 1) as LevelIndex] === table && start <= row.addr && row.addr < end;
        const createsSlot = created === table && windowStart <= row.addr && row.addr < windowEnd;
        if (writesSlot || createsSlot) candidates.add(row.seq);
        continue;
      }
      const [lo0, hi0] = changeSpan(type, row.level, row.addr, g.hugePmd, g.hugePud, g.pageSize);
      const [from, to] = oneSlot ? [start, end] : [windowStart, windowEnd];
      if (row.count === 1) {
        if (lo0 < to && from < hi0) candidates.add(row.seq);
        continue;
      }
      const width = hi0 - lo0;
      const first = Math.max(0, Math.ceil((from - width + 1 - lo0) / row.addrStep));
      const last = Math.min(row.count - 1, Math.floor((to - 1 - lo0) / row.addrStep));
      for (let i = first; i <= last; i++) candidates.add(row.seq + i * row.seqStep);
    }
    return [...candidates].sort((a, b) => a - b);
  }
}

/** The addresses a state item covers (the tables above it included, since they cover its start). */
function stateSpan(e: WalkEvent, hugePmd: number, hugePud: number, page: number): [Addr, Addr] {
  if (e.type !== 'state') return [0, 0];
  const size = e.kind === 'pte' || e.kind === 'guard' ? e.count * page : e.kind === 'thp-pmd' ? hugePmd : e.kind === 'thp-pud' ? hugePud : 1;
  return [e.at, e.at + size];
}

/** The addresses a change event may affect. */
function changeSpan(type: WalkEventType, level: number | null, addr: Addr, hugePmd: number, hugePud: number, page: number): [Addr, Addr] {
  const huge = (size: number): [Addr, Addr] => [alignDown(addr, size), alignDown(addr, size) + size];
  switch (type) {
    case 'split_pmd':
      return huge(hugePmd);
    case 'split_pud':
      return huge(hugePud);
    case 'zap_split':
      return huge(level === 2 ? hugePud : hugePmd);
    case 'set_pte':
      return [addr, addr + page];
    default:
      return [addr, addr + 1];
  }
}

/** Entry names for display, ABSENT included. */
export function entryName(kind: number): string {
  if (kind === ABSENT) return 'no table';
  return ['none', 'table', 'present', 'guard', 'huge', 'hugetlb'][kind as EntryKind] ?? `?${kind}`;
}

