// SPDX-License-Identifier: GPL-2.0-only
/**
 * The state of a run at one event, rebuilt from events alone: the page tables,
 * the VMAs, where the walker is and what it has done so far.
 *
 * evolve() and foldEvents() are the reducer: pure (they never change the
 * state they are given, and depend on nothing else) and the only way state is
 * rebuilt, for a live run and a replay alike. Inside, one fold works on a
 * private draft, so folding N events costs N small steps and one
 * copy-on-write page table, not N copies.
 */
import type { Addr, LevelName, WalkApi, WalkEvent } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import { PageTables } from '../mm/page-tables.js';
import { applyStateItem, levelIndex } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';
import { vmaContaining } from '../mm/vmas.js';

export type Phase = 'setup' | 'walking' | 'returned' | 'done' | 'oops' | 'livelock';

export interface Counts {
  readonly callbacks: number;
  readonly holes: number;
  readonly allocs: number;
  readonly allocFails: number;
  readonly installs: number;
  readonly splits: number;
  readonly zaps: number;
  readonly cleared: number;
  readonly pteMapFails: number;
}

export interface WalkState {
  /** The last event folded in, or -1 before any. */
  readonly seq: number;
  readonly geometry: Geometry;
  /** The page tables. Read only: never write a state's tables. */
  readonly tables: PageTables;
  /** Sorted by start. */
  readonly vmas: readonly Vma[];
  /** The walk in progress, or the last one. */
  readonly walk: { readonly api: WalkApi; readonly start: Addr; readonly end: Addr } | null;
  /** Walks begun so far (a client such as guard-install walks more than once). */
  readonly walks: number;
  /** walk->vma: the VMA being walked, or null (a gap, a no_vma walk, between walks). */
  readonly vma: Vma | null;
  readonly phase: Phase;
  /** What the last walk returned. */
  readonly ret: number | null;
  /** What the client returned (guard-install), once it has. */
  readonly clientRet: number | null;
  /** Where the walker is: the level and address of its last step. */
  readonly at: { readonly level: LevelName | null; readonly addr: Addr } | null;
  /** How far the current walk got: the end of the last range it finished or entered. */
  readonly reached: Addr | null;
  readonly counts: Counts;
}

const ZERO_COUNTS: Counts = {
  callbacks: 0,
  holes: 0,
  allocs: 0,
  allocFails: 0,
  installs: 0,
  splits: 0,
  zaps: 0,
  cleared: 0,
  pteMapFails: 0,
};

/** The state before the first event: an mm with only its pgd, no VMAs. */
export function initialState(geometry: Geometry): WalkState {
  return {
    seq: -1,
    geometry,
    tables: PageTables.empty(geometry),
    vmas: [],
    walk: null,
    walks: 0,
    vma: null,
    phase: 'setup',
    ret: null,
    clientRet: null,
    at: null,
    reached: null,
    counts: ZERO_COUNTS,
  };
}

/** The reducer: the state after one more event. Pure. */
export function evolve(state: WalkState, event: WalkEvent): WalkState {
  const builder = new StateBuilder(state);
  builder.apply(event);
  return builder.finish();
}

/** The state after folding events in order. Pure; the same result as evolve() one event at a time. */
export function foldEvents(state: WalkState, events: Iterable<WalkEvent>): WalkState {
  const builder = new StateBuilder(state);
  for (const event of events) builder.apply(event);
  return builder.finish();
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const CALLBACK_LEVEL = { pgd_entry: 'pgd', p4d_entry: 'p4d', pud_entry: 'pud', pmd_entry: 'pmd' } as const;

/**
 * The reducer's engine: a state being built, event by event. It copies what
 * it changes (a copy-on-write page table, the counts, the VMA list), so the
 * state it starts from is never changed. With `ownTables`, it writes the
 * starting state's page tables in place instead: for a recorder that folds a
 * whole run into one state it owns.
 */
export class StateBuilder {
  private readonly s: Mutable<WalkState>;
  private readonly counts: Mutable<Counts>;
  private tablesDerived: boolean;
  private vmasCopied = false;
  // Where the walker is, as scalars (an object per event would be garbage): turned into `at` by finish().
  private atLevel: LevelName | null = null;
  private atAddr: Addr = 0;
  private atSet = false;

  constructor(base: WalkState, options: { ownTables?: boolean } = {}) {
    this.s = { ...base };
    this.counts = { ...base.counts };
    this.tablesDerived = options.ownTables === true;
  }

  /** The state built so far. With ownTables, its page tables keep changing as events are applied. */
  finish(): WalkState {
    this.s.counts = { ...this.counts };
    if (this.atSet) this.s.at = this.atLevel === null && this.atAddr === -1 ? null : { level: this.atLevel, addr: this.atAddr };
    return { ...this.s };
  }

  private tables(): PageTables {
    if (!this.tablesDerived) {
      this.s.tables = this.s.tables.derive();
      this.tablesDerived = true;
    }
    return this.s.tables;
  }

  private step(level: LevelName | null, addr: Addr): void {
    this.atLevel = level;
    this.atAddr = addr;
    this.atSet = true;
  }

  private reach(addr: Addr): void {
    if (this.s.reached === null || addr > this.s.reached) this.s.reached = addr;
  }

  apply(e: WalkEvent): void {
    const s = this.s;
    const c = this.counts;
    s.seq = e.seq;
    // The commonest events first: a string switch tests its cases in order.
    switch (e.type) {
      case 'pte_entry':
        c.callbacks += 1;
        this.step('pte', e.start);
        this.reach(e.end);
        return;
      case 'install_pte':
        c.callbacks += 1;
        this.step('pte', e.start);
        return;
      case 'set_pte':
        this.tables().setEntry(4, e.addr, e.value);
        c.installs += 1;
        this.reach(e.addr + s.geometry.pageSize);
        return;
      case 'vma': {
        if (!this.vmasCopied) {
          s.vmas = [...s.vmas];
          this.vmasCopied = true;
        }
        const vmas = s.vmas as Vma[];
        vmas.push({ start: e.start, end: e.end, flags: e.flags, hugetlb: e.hugetlb });
        vmas.sort((a, b) => a.start - b.start);
        return;
      }
      case 'state':
        applyStateItem(this.tables(), e, vmaContaining(s.vmas, e.at)?.hugetlb ?? 0);
        return;
      case 'walk':
        s.walk = { api: e.api, start: e.start, end: e.end };
        s.walks += 1;
        s.vma = null;
        s.phase = 'walking';
        s.ret = null;
        this.atLevel = null;
        this.atAddr = -1;
        this.atSet = true;
        s.reached = e.start;
        return;
      case 'ret':
        s.ret = e.value;
        s.phase = 'returned';
        s.vma = null;
        return;
      case 'client_ret':
        s.clientRet = e.value;
        s.phase = 'done';
        return;
      case 'vma_enter':
        s.vma = vmaContaining(s.vmas, e.start);
        return;
      case 'test_walk':
      case 'pre_vma':
        c.callbacks += 1;
        this.step(null, e.start);
        return;
      case 'post_vma':
        c.callbacks += 1;
        if (s.vma) this.reach(Math.min(s.vma.end, s.walk?.end ?? s.vma.end));
        return;
      case 'hole':
        c.callbacks += 1;
        c.holes += 1;
        if (e.depth === -1 && !(s.vma && s.vma.start <= e.start && e.end <= s.vma.end)) s.vma = null;
        this.step(e.depth >= 0 ? LEVELS[e.depth] ?? null : null, e.start);
        this.reach(e.end);
        return;
      case 'pgd_entry':
      case 'p4d_entry':
      case 'pud_entry':
      case 'pmd_entry':
        c.callbacks += 1;
        this.step(CALLBACK_LEVEL[e.type], e.start);
        return;
      case 'hugetlb_entry':
        c.callbacks += 1;
        this.step(null, e.start);
        this.reach(e.end);
        return;
      case 'alloc':
        this.tables().allocTable(levelIndex(e.level), e.addr);
        c.allocs += 1;
        this.step(LEVELS[levelIndex(e.level) - 1]!, e.addr);
        return;
      case 'alloc_fail':
        c.allocFails += 1;
        this.step(LEVELS[levelIndex(e.level) - 1]!, e.addr);
        return;
      case 'split_pmd':
      case 'split_pud': {
        const level = e.type === 'split_pmd' ? 3 : 2;
        this.tables().splitEntry(level, e.addr, e.value);
        c.splits += 1;
        this.step(LEVELS[level], e.addr);
        return;
      }
      case 'zap_split':
        // The client's zap splits the entry (mm/memory.c): the page tables change as for a walker's split; the walker does not move.
        this.tables().splitEntry(levelIndex(e.level), e.addr, e.value);
        c.splits += 1;
        return;
      case 'clear':
        this.tables().setEntry(this.tables().owner(levelIndex(e.level)), e.addr, Entry.NONE);
        c.cleared += 1;
        return;
      case 'zap':
        c.zaps += 1;
        return;
      case 'pte_map_fail':
        c.pteMapFails += 1;
        this.step('pmd', e.addr);
        return;
      case 'oops':
        s.phase = 'oops';
        this.step(null, e.addr);
        return;
      case 'livelock':
        s.phase = 'livelock';
        this.step(e.level, e.addr);
        return;
    }
  }
}
