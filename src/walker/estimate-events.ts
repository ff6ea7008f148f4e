// SPDX-License-Identifier: GPL-2.0-only
/**
 * How many events a scenario's run makes, counted without walking it: what
 * `walkback check` says and `record` weighs against its size cap, before a
 * guard install over all of user space (2^36 events) fills a disk.
 *
 * The count follows pagewalk.ts level by level over the tables that exist
 * (those the scenario's state makes: their number bounds the work), and where
 * the walker would allocate a table for a none slot and walk into it, it
 * counts that slot's whole subtree in closed form instead: every slot below is
 * none, so each level allocates, calls its callback and descends the same way,
 * and each page costs install_pte and set_pte. A guard install that meets a
 * present PTE or a huge entry is madvise_guard_install()'s retry: the first
 * walk up to where it stops, the zap (counted by the zap itself, on a copy),
 * and the second walk, which sees the first one's tables and markers.
 *
 * Callbacks given by rules are counted as `ok` (return 0, no action): exact
 * for rules that return 0 and set no action. A rule that may return non-zero
 * stops the walk, and one that skips a subtree (or a VMA) walks less, but
 * what it skips may be what would have stopped the walk (an oops, a hugetlb
 * VMA refused): with such rules the count goes on through those, and is an
 * upper bound. An injected allocation failure only stops the walk sooner. A
 * rule that asks for ACTION_AGAIN re-walks an entry, at most the whole walk
 * again each time it matches (up to the livelock limit when it has no
 * `times`; in 7.0 a stale AGAIN can re-walk a PUD entry until the livelock
 * limit too): an upper bound as well. A failing pte_offset_map_lock() costs
 * its pte_map_fail and one more pmd_entry.
 *
 * Keep this in step with pagewalk.ts: test/unit/walker/estimate-events.test.ts
 * holds it to the walker's own counts on every example and on generated
 * scenarios.
 */
import type { Addr, CallbackName, LevelIndex } from '../events/walk-event.js';
import { Action, Entry, NO_ACTION, NO_ENTRY } from '../events/walk-event.js';
import { levelAddrEnd, slotIndex } from '../mm/geometry.js';
import type { Geometry } from '../mm/geometry.js';
import { PageTables } from '../mm/page-tables.js';
import { applyStateItem, hugeSlotLevel } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';
import { findVma, isAnonymous, isHugetlb, isPfnmap, vmaContaining } from '../mm/vmas.js';
import type { Scenario } from '../scenario/scenario.js';
import { buildOps } from './callbacks.js';
import { FaultPlan } from './faults.js';
import type { CallbackModel, WalkOps } from './mm-walk.js';
import { K613, K70, MmWalk, PMD_AGAIN_LIMIT, PUD_AGAIN_LIMIT, WalkStop } from './mm-walk.js';
import { MAX_MADVISE_GUARD_RETRIES } from './run.js';
import { seenAt } from './pagewalk.js';
import { zapRange } from './zap.js';

export interface EventEstimate {
  /** The events of the run (set-up included): exactly, or at most (`upper`). */
  readonly events: number;
  /** Whether `events` is the count (for the walker as modelled) or only an upper bound. */
  readonly bound: 'exact' | 'upper';
  /** Why it is an upper bound (null when exact). */
  readonly why: string | null;
  /** Table allocations attempted (a sweep's failure points), counted like the events. */
  readonly allocations: number;
  /** pte_offset_map_lock() calls (a sweep's --pte-map points). */
  readonly pteMaps: number;
  /** Page tables the scenario's state sets up, per real level (they are stored in a recording too). */
  readonly stateTables: readonly number[];
}

const EINVAL = -22;
const OK: CallbackModel = { call: () => 0 };
const isHuge = (kind: number): boolean => kind === Entry.HUGE || kind === Entry.HUGETLB;

/** Events, allocations and installs, as one walk adds them up. */
interface Tally {
  events: number;
  allocs: number;
  installs: number;
  pteMaps: number;
}

const emptyTally = (): Tally => ({ events: 0, allocs: 0, installs: 0, pteMaps: 0 });

/** Count a scenario's events without walking it. Pure: reads the scenario only. */
export function estimateEvents(scenario: Scenario): EventEstimate {
  const g = scenario.geometry;
  const initial = PageTables.empty(g);
  for (const item of scenario.state) applyStateItem(initial, item, vmaContaining(scenario.vmas, item.at)?.hugetlb ?? 0);
  const stateTables = [0, 1, 2, 3, 4].map((level) => (g.real[level] ? initial.tableCount(level as LevelIndex) : 0));
  const setup = scenario.vmas.length + scenario.state.length;
  const { ops, upper, again, skips } = opsModel(scenario);
  const { api, start, end } = scenario.walk;

  const total = emptyTally();
  const add = (t: Tally, sign = 1) => {
    total.events += sign * t.events;
    total.allocs += sign * t.allocs;
    total.installs += sign * t.installs;
    total.pteMaps += sign * t.pteMaps;
  };
  let once: number;
  // The most one re-walk can cost: the events of the largest PUD entry walked (a PMD entry is inside one).
  let rewalk = 0;
  if (scenario.walk.ops.preset === 'guard-install') {
    // madvise_guard_install(): walk; a positive result zaps the range and walks again.
    let mm = initial.flatten();
    let previous: Tally | null = null;
    let stopped = false;
    for (let walk = 0; walk < MAX_MADVISE_GUARD_RETRIES; walk++) {
      const counter = new WalkCounter(scenario, mm, ops, skips);
      const ret = counter.walkApi(api, start, end);
      add(counter.tally);
      if (previous) {
        // The walk before this one allocated its tables and installed its markers: this one finds them.
        total.events -= previous.allocs + previous.installs;
        total.allocs -= previous.allocs;
      }
      stopped = counter.stopped;
      if (ret <= 0 || stopped) break;
      // Not expected (a zap leaves nothing that stops a walk): a third walk is counted like the second, at most.
      if (walk === 1) upper.push('the guard install may walk a third time');
      // The zap finds what the walk left of the state: the same present and huge entries (the walk stopped at the first).
      const zapped = initial.flatten();
      total.events += countZap(scenario, zapped, start, end);
      previous = counter.tally;
      mm = zapped;
    }
    // The client's return (an oops ends the run before it).
    if (!stopped) total.events += 1;
    once = total.events;
  } else {
    const counter = new WalkCounter(scenario, initial.flatten(), ops, skips);
    counter.walkApi(api, start, end);
    add(counter.tally);
    once = total.events;
    rewalk = counter.maxPudEntry;
  }
  let events = setup + once;
  const pteMapFaults = scenario.faults.filter((f) => f.kind === 'pte_map').length;
  if (pteMapFaults) {
    // Each makes pte_map_fail, and the pmd entry is looked at again (pmd_entry once more, if there is one).
    events += pteMapFaults * 2;
    upper.push(`${pteMapFaults === 1 ? 'a pte_map fault adds' : `${pteMapFaults} pte_map faults add`} at most 2 events each`);
  }
  if (scenario.faults.some((f) => f.kind === 'alloc')) upper.push('an injected allocation failure stops the walk where it fires');
  if (again > 0) {
    // Each ACTION_AGAIN re-walks one entry, at most what its first walk cost (its tables are there, its PTEs set), or stops it as a livelock.
    events += again * (rewalk + 1) + 1;
    upper.push(`rules may ask for ACTION_AGAIN, ${again.toLocaleString('en-US')} time${again === 1 ? '' : 's'} at most, each re-walking an entry`);
  }
  return {
    events,
    bound: upper.length ? 'upper' : 'exact',
    why: upper.length ? upper.join('; ') : null,
    allocations: total.allocs,
    pteMaps: total.pteMaps + pteMapFaults,
    stateTables,
  };
}

/**
 * The ops as counted: a preset's own callbacks (their answers depend only on
 * the entry), and rules as `ok`, noting what in them makes the count an upper
 * bound, and how many re-walks ACTION_AGAIN can make.
 */
function opsModel(scenario: Scenario): { ops: WalkOps; upper: string[]; again: number; skips: boolean } {
  const spec = scenario.walk.ops;
  if (spec.preset !== null) return { ops: buildOps(spec), upper: [], again: 0, skips: false };
  const ops: Partial<Record<CallbackName, CallbackModel>> = {};
  const stops = new Set<string>();
  let again = 0;
  for (const [name, rules] of Object.entries(spec.callbacks) as [CallbackName, readonly NonNullable<(typeof spec.callbacks)[CallbackName]>[number][]][]) {
    ops[name] = OK;
    for (const rule of rules) {
      // post_vma's return value is ignored.
      if (rule.return !== 0 && name !== 'post_vma') stops.add(name);
      if (rule.action === Action.CONTINUE) stops.add(name);
      if (rule.action === Action.AGAIN) again += rule.times ?? PMD_AGAIN_LIMIT;
    }
  }
  // 7.0 re-walks a PUD entry while a stale AGAIN is left in walk->action, until the livelock limit.
  if (again > 0 && scenario.kernel === '7.0') again += PUD_AGAIN_LIMIT;
  return {
    ops,
    upper: stops.size ? [`${[...stops].join(', ')} may stop the walk or skip part of it`] : [],
    again,
    skips: stops.size > 0 || again > 0,
  };
}

/** The zap between two walks of a guard install, on `mm` (changed as the zap changes it); returns its events. */
function countZap(scenario: Scenario, mm: PageTables, start: Addr, end: Addr): number {
  let events = 0;
  const w = new MmWalk(scenario.geometry, scenario.kernel, mm, scenario.vmas, new FaultPlan([]), () => events++);
  zapRange(w, start, end);
  return events;
}

/**
 * One walk, counted: pagewalk.ts's functions over the tables that exist, the
 * subtree of a none slot the walker would allocate counted in closed form.
 * Callback answers come from the ops as modelled, through an MmWalk (the
 * walker's own decide/applyAction); events are counted, never made.
 */
class WalkCounter {
  readonly tally = emptyTally();
  /** The walk ended without returning (an oops). */
  stopped = false;
  /** The most events one PUD entry of the walk made (a whole none one, for one counted in closed form above it). */
  maxPudEntry = 0;
  private readonly g: Geometry;
  private readonly w: MmWalk;
  /** Per level: events and allocations of a whole none slot of that level (closed form, memoised). */
  private readonly full: ({ events: number; allocs: number } | undefined)[] = [];

  /**
   * `lenient`: rules may skip what would stop the walk, so go on through it:
   * an oops is counted as the pte_entry call it stands for, a refused hugetlb
   * VMA as skipped.
   */
  constructor(
    scenario: Scenario,
    mm: PageTables,
    ops: WalkOps,
    private readonly lenient: boolean,
  ) {
    this.g = scenario.geometry;
    this.w = new MmWalk(this.g, scenario.kernel, mm, scenario.vmas, new FaultPlan([]), () => {});
    this.w.ops = ops;
  }

  private get ops(): WalkOps {
    return this.w.ops;
  }

  private get hasInstall(): boolean {
    return this.ops.install_pte !== undefined;
  }

  /** A callback's event: decide, count, apply its action; returns its result. */
  private call(cb: CallbackModel, addr: Addr, next: Addr, entry: number): number {
    const ret = this.w.decide(cb, addr, next, entry);
    this.tally.events++;
    this.w.applyAction();
    return ret;
  }

  // ---- the closed form: a none slot whose subtree the walker allocates ----

  /**
   * The events from a none slot of walker level `level` over [addr, next) on,
   * with install_pte: the allocation of the table below, the level's callback
   * (on the new table: 0, no action, for every preset and for rules counted as
   * ok), and every level below, all none, down to install_pte and set_pte for
   * each page.
   */
  private noneSlot(level: LevelIndex, addr: Addr, next: Addr): void {
    const r = this.noneSubtree(level, addr, next);
    this.tally.events += r.events;
    this.tally.allocs += r.allocs;
    if (level < 2) this.maxPudEntry = Math.max(this.maxPudEntry, (this.full[2] ??= this.noneSubtree(2, 0, this.g.entrySize[2]!)).events);
    const pages = (next - addr) / this.g.pageSize;
    this.tally.installs += pages;
    this.tally.pteMaps += this.pmdSlots(addr, next);
    // The tables at both ends of the range, as the walker leaves them: the next VMA may share them.
    const mm = this.w.mm;
    mm.ensureTables(4, addr);
    mm.ensureTables(4, next - this.g.pageSize);
  }

  private noneSubtree(level: LevelIndex, addr: Addr, next: Addr): { events: number; allocs: number } {
    const g = this.g;
    if (level === 4) return { events: 2 * ((next - addr) / g.pageSize), allocs: 0 };
    const own = g.noneCheck[level] ? 1 : 0;
    const cb = this.entryCallback(level) ? 1 : 0;
    const below = this.noneLevel((level + 1) as LevelIndex, addr, next);
    return { events: own + cb + below.events, allocs: own + below.allocs };
  }

  /** Every slot of level `level` in [addr, end), all none (a fresh table). */
  private noneLevel(level: LevelIndex, addr: Addr, end: Addr): { events: number; allocs: number } {
    const g = this.g;
    if (level === 4) return this.noneSubtree(4, addr, end);
    if (!g.real[level]) return this.noneSubtree(level, addr, end);
    const size = g.entrySize[level]!;
    const firstEnd = levelAddrEnd(g, level, addr, end);
    const first = this.noneSubtree(level, addr, firstEnd);
    if (firstEnd === end) return first;
    const lastStart = Math.max(firstEnd, Math.floor((end - 1) / size) * size);
    const whole = (lastStart - firstEnd) / size;
    const last = this.noneSubtree(level, lastStart, end);
    const one = (this.full[level] ??= this.noneSubtree(level, 0, size));
    return { events: first.events + whole * one.events + last.events, allocs: first.allocs + whole * one.allocs + last.allocs };
  }

  /** PMD slots in [addr, next): one pte_offset_map_lock() each. */
  private pmdSlots(addr: Addr, next: Addr): number {
    const size = this.g.entrySize[3]!;
    return Math.floor((next - 1) / size) - Math.floor(addr / size) + 1;
  }

  private entryCallback(level: LevelIndex): CallbackModel | undefined {
    return [this.ops.pgd_entry, this.ops.p4d_entry, this.ops.pud_entry, this.ops.pmd_entry][level];
  }

  // ---- pagewalk.ts, counted ----

  // walk_pte_range_inner()
  private walkPteRangeInner(table: Uint8Array, addr: Addr, end: Addr): number {
    const g = this.g;
    const page = g.pageSize;
    const install = this.ops.install_pte;
    const pteEntry = this.ops.pte_entry;
    let i = slotIndex(g, 4, addr);
    let err = 0;
    for (;;) {
      const kind = table[i]!;
      if (install !== undefined && kind === Entry.NONE) {
        err = this.call(install, addr, addr + page, Entry.NONE);
        if (err) break;
        table[i] = this.w.cbInstall;
        this.tally.events++; // set_pte
        this.tally.installs++;
      } else {
        if (pteEntry === undefined) {
          this.tally.events++; // oops
          if (!this.lenient) throw new WalkStop('oops');
        } else {
          err = this.call(pteEntry, addr, addr + page, kind);
          if (this.w.cbClear) {
            table[i] = Entry.NONE;
            this.tally.events++; // clear
          }
          if (err) break;
        }
      }
      if (addr >= end - page) break;
      addr += page;
      i++;
    }
    return err;
  }

  // walk_pte_range()
  private walkPteRange(addr: Addr, end: Addr): number {
    const w = this.w;
    let table: Uint8Array | undefined;
    if (w.noVma) table = w.mm.table(4, addr);
    else {
      this.tally.pteMaps++;
      if (w.mm.entry(3, addr) === Entry.TABLE) table = w.mm.table(4, addr);
      if (table === undefined) this.tally.events++; // pte_map_fail
    }
    if (table === undefined) {
      w.action = Action.AGAIN;
      return 0;
    }
    if (this.ops.install_pte !== undefined || this.ops.pte_entry !== undefined) table = w.mm.writableTable(4, addr);
    return this.walkPteRangeInner(table, addr, end);
  }

  private splitHugePmd(vma: Vma, addr: Addr): void {
    const mm = this.w.mm;
    if (!isHuge(mm.entry(3, addr))) return;
    mm.splitEntry(3, addr, isAnonymous(vma) ? Entry.TABLE : Entry.NONE);
    this.tally.events++;
  }

  private splitHugePud(addr: Addr): void {
    const { g, w } = this;
    if (!g.hugePud || !g.noneCheck[2] || !isHuge(w.mm.entry(2, addr))) return;
    w.mm.splitEntry(2, addr, Entry.NONE);
    this.tally.events++;
  }

  private livelock(): never {
    this.tally.events++;
    throw new WalkStop('livelock');
  }

  // walk_pmd_range()
  private walkPmdRange(addr: Addr, end: Addr): number {
    const { g, w } = this;
    const ops = this.ops;
    const mm = w.mm;
    if (w.kernel >= K70) {
      const pud = mm.entry(2, addr);
      if ((g.noneCheck[2] && pud === Entry.NONE) || (g.noneCheck[2] && isHuge(pud))) {
        w.action = Action.AGAIN;
        return 0;
      }
    }
    const hasHandler = ops.pte_entry !== undefined;
    const hasInstall = this.hasInstall;
    let err = 0;
    let next = addr;
    entries: do {
      let retries = 0;
      again: for (;;) {
        if (++retries > PMD_AGAIN_LIMIT) this.livelock();
        next = levelAddrEnd(g, 3, addr, end);
        const pmd = mm.entry(3, addr);
        if (pmd === Entry.NONE) {
          if (hasInstall) {
            this.noneSlot(3, addr, next);
            break again;
          }
          if (ops.pte_hole) err = this.call(ops.pte_hole, addr, next, NO_ENTRY);
          if (err) break entries;
          break again;
        }
        w.action = Action.SUBTREE;
        if (ops.pmd_entry) err = this.call(ops.pmd_entry, addr, next, pmd);
        if (err) break entries;
        if (w.action === Action.AGAIN) continue again;
        if (w.action === Action.CONTINUE) break again;
        if (!hasHandler) {
          if (!hasInstall) break again;
          if (isHuge(mm.entry(3, addr))) break again;
        }
        if (w.vma) this.splitHugePmd(w.vma, addr);
        else if (isHuge(mm.entry(3, addr)) || mm.entry(3, addr) === Entry.NONE) break again;
        err = this.walkPteRange(addr, next);
        if (err) break entries;
        if (w.action === Action.AGAIN) continue again;
        break again;
      }
    } while ((addr = next) !== end);
    return err;
  }

  // walk_pud_range()
  private walkPudRange(addr: Addr, end: Addr): number {
    const { g, w } = this;
    const ops = this.ops;
    const mm = w.mm;
    const hasHandler = ops.pmd_entry !== undefined || ops.pte_entry !== undefined;
    const hasInstall = this.hasInstall;
    const real = g.noneCheck[2]!;
    let err = 0;
    let next = addr;
    entries: do {
      let retries = 0;
      const before = this.tally.events;
      again: for (;;) {
        if (++retries > PUD_AGAIN_LIMIT) this.livelock();
        next = levelAddrEnd(g, 2, addr, end);
        const pud = seenAt(w, 2, mm.entry(2, addr));
        if (real && pud === Entry.NONE) {
          if (hasInstall) {
            this.noneSlot(2, addr, next);
            break again;
          }
          if (ops.pte_hole) err = this.call(ops.pte_hole, addr, next, NO_ENTRY);
          if (err) break entries;
          break again;
        }
        w.action = Action.SUBTREE;
        if (ops.pud_entry) err = this.call(ops.pud_entry, addr, next, pud);
        if (err) break entries;
        if (w.action === Action.AGAIN) continue again;
        if (w.action === Action.CONTINUE) break again;
        const huge = real && isHuge(mm.entry(2, addr));
        if (!hasHandler) {
          if (!hasInstall) break again;
          if (huge && g.hugePud) break again;
        }
        if (w.vma) this.splitHugePud(addr);
        else if (huge) break again;
        if (w.kernel < K70 && real && mm.entry(2, addr) === Entry.NONE) continue again;
        err = this.walkPmdRange(addr, next);
        if (err) break entries;
        if (w.kernel >= K70 && w.action === Action.AGAIN) continue again;
        break again;
      }
      this.maxPudEntry = Math.max(this.maxPudEntry, this.tally.events - before);
    } while ((addr = next) !== end);
    return err;
  }

  // walk_p4d_range() and walk_pgd_range(): the same shape, one level apart.
  private walkUpperRange(level: 0 | 1, addr: Addr, end: Addr): number {
    const { g, w } = this;
    const ops = this.ops;
    const callback = level === 0 ? ops.pgd_entry : ops.p4d_entry;
    const hasHandler =
      (level === 0 && ops.p4d_entry !== undefined) || ops.pud_entry !== undefined || ops.pmd_entry !== undefined || ops.pte_entry !== undefined;
    const hasInstall = this.hasInstall;
    const real = g.noneCheck[level]!;
    let err = 0;
    let next = addr;
    do {
      next = levelAddrEnd(g, level, addr, end);
      const entry = seenAt(w, level, w.mm.entry(level, addr));
      if (real && entry === Entry.NONE) {
        if (hasInstall) {
          this.noneSlot(level, addr, next);
          continue;
        }
        if (ops.pte_hole) err = this.call(ops.pte_hole, addr, next, NO_ENTRY);
        if (err) break;
        continue;
      }
      if (callback) {
        err = this.call(callback, addr, next, entry);
        if (err) break;
      }
      if (hasHandler || hasInstall) err = level === 0 ? this.walkUpperRange(1, addr, next) : this.walkPudRange(addr, next);
      if (err) break;
    } while ((addr = next) !== end);
    return err;
  }

  // walk_hugetlb_range(): a slot with its table calls hugetlb_entry, one without it pte_hole; counted a table's span at a time.
  private walkHugetlbRange(cb: CallbackModel, addr: Addr, end: Addr): number {
    const { g, w } = this;
    const size = w.vma!.hugetlb;
    const level = hugeSlotLevel(g, size) as LevelIndex;
    const table = g.slotTable[level]!;
    const span = g.tableSpan[table]!;
    while (addr < end) {
      const stop = Math.min(end, (Math.floor(addr / span) + 1) * span);
      // The huge pages the loop visits in [addr, stop), partial ones at the ends included.
      const pages = Math.floor((stop - 1) / size) - Math.floor(addr / size) + 1;
      const first = Math.min(stop, (Math.floor(addr / size) + 1) * size);
      // Rules are counted as ok and hugetlb_entry is no preset's: every call returns what the first does.
      const hole = this.ops.pte_hole;
      const present = w.mm.table(table, addr) !== undefined;
      if (present || hole) {
        const err = present ? this.call(cb, addr, first, w.mm.entry(level, addr)) : this.call(hole!, addr, first, NO_ENTRY);
        if (err) return err;
        this.tally.events += pages - 1;
      }
      addr = stop;
    }
    return 0;
  }

  // walk_page_test()
  private walkPageTest(start: Addr, end: Addr): number {
    const ops = this.ops;
    if (ops.test_walk) return this.call(ops.test_walk, start, end, NO_ENTRY);
    if (isPfnmap(this.w.vma!)) {
      let err = 1;
      if (ops.pte_hole) err = this.call(ops.pte_hole, start, end, NO_ENTRY);
      return err ? err : 1;
    }
    return 0;
  }

  // __walk_page_range()
  private walkPageRangeVma(start: Addr, end: Addr): number {
    const { w } = this;
    const ops = this.ops;
    const hugetlb = isHugetlb(w.vma!);
    let err = 0;
    if (w.kernel >= K613 && ops.install_pte && hugetlb) return this.lenient ? 0 : EINVAL;
    if (ops.pre_vma) {
      err = this.call(ops.pre_vma, start, end, NO_ENTRY);
      if (err) return err;
    }
    if (hugetlb) {
      if (ops.hugetlb_entry) err = this.walkHugetlbRange(ops.hugetlb_entry, start, end);
    } else err = this.walkUpperRange(0, start, end);
    if (ops.post_vma) this.call(ops.post_vma, 0, 0, NO_ENTRY);
    return err;
  }

  private enterVma(vma: Vma): void {
    this.w.vma = vma;
    this.tally.events++; // vma_enter
  }

  // walk_page_range_mm()
  private walkPageRangeMm(start: Addr, end: Addr): number {
    const { w } = this;
    if (start >= end) return EINVAL;
    let vma = findVma(w.vmas, start);
    let next = start;
    let err = 0;
    do {
      if (!vma || start < vma.start) {
        w.vma = null;
        next = vma ? Math.min(end, vma.start) : end;
        if (this.ops.pte_hole) err = this.call(this.ops.pte_hole, start, next, NO_ENTRY);
      } else {
        this.enterVma(vma);
        next = Math.min(end, vma.end);
        vma = findVma(w.vmas, vma.end);
        err = this.walkPageTest(start, next);
        if (err > 0) {
          err = 0;
          continue;
        }
        if (err < 0) break;
        err = this.walkPageRangeVma(start, next);
      }
      if (err) break;
    } while ((start = next) < end);
    return err;
  }

  private opsInvalid(): boolean {
    return this.w.kernel >= K613 && this.ops.install_pte !== undefined;
  }

  /** One entry point: its walk and ret events and everything between; returns what it returns (1 when an oops ended it). */
  walkApi(api: Scenario['walk']['api'], start: Addr, end: Addr): number {
    const w = this.w;
    this.tally.events += 2; // walk, ret
    w.action = Action.SUBTREE;
    w.cbAction = NO_ACTION;
    w.vma = null;
    w.noVma = false;
    try {
      return this.dispatch(api, start, end);
    } catch (error) {
      if (!(error instanceof WalkStop)) throw error;
      // An oops or a livelock ends the run there: no ret.
      this.tally.events--;
      this.stopped = true;
      return 1;
    }
  }

  private dispatch(api: Scenario['walk']['api'], start: Addr, end: Addr): number {
    const w = this.w;
    switch (api) {
      case 'walk_page_range':
        if (this.opsInvalid()) return EINVAL;
        return this.walkPageRangeMm(start, end);
      case 'walk_page_range_mm':
        return this.walkPageRangeMm(start, end);
      case 'walk_page_vma': {
        const vma = vmaContaining(w.vmas, start)!;
        if (this.opsInvalid()) return EINVAL;
        this.enterVma(vma);
        return this.walkPageRangeVma(vma.start, vma.end);
      }
      case 'walk_page_range_vma': {
        const vma = findVma(w.vmas, start)!;
        if (w.kernel >= K70 && this.opsInvalid()) return EINVAL;
        if (start >= end || start < vma.start || end > vma.end || this.opsInvalid()) return EINVAL;
        this.enterVma(vma);
        return this.walkPageRangeVma(start, end);
      }
      case 'walk_page_range_novma': {
        if (start >= end || this.opsInvalid()) return EINVAL;
        w.noVma = true;
        const err = this.walkUpperRange(0, start, end);
        w.noVma = false;
        return err;
      }
    }
  }
}
