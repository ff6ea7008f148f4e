// SPDX-License-Identifier: GPL-2.0-only
/**
 * The index of notable events: the ones a user jumps to (walks and their
 * returns, allocations, failures, splits, installs, zaps, callback errors,
 * oopses) and every event that changes the page tables (so "who last changed
 * this entry" is a query, not a scan). set_pte and clear come in long runs
 * (one per page of a walk); a run at fixed seq and address steps is one row.
 */
import type { Addr, WalkEvent, WalkEventType } from './walk-event.js';
import { CALLBACKS, EVENT_TYPES, LEVELS, STATE_KINDS } from './walk-event.js';

export interface NotableRow {
  /** The first event of the row. */
  readonly seq: number;
  /** Index into EVENT_TYPES. */
  readonly kind: number;
  /** Index into LEVELS, or null. */
  readonly level: number | null;
  readonly addr: Addr | null;
  readonly next: Addr | null;
  /** pte_hole's depth, for a hole that returned non-zero. */
  readonly depth: number | null;
  /**
   * Per kind: ret/client_ret the value; a callback its (non-zero) return; set_pte the
   * entry written; clear the entry cleared; split (and zap_split) the entry left; state its kind index;
   * vma its flags; oops the callback index; pte_map_fail 1 if injected.
   */
  readonly value: number | null;
  /** Events in the run (1 for a single event). */
  readonly count: number;
  readonly seqStep: number;
  readonly addrStep: number;
}

export const KIND_INDEX = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<WalkEventType, number>;

/** Kinds that change the page tables. */
export const CHANGE_KINDS: readonly WalkEventType[] = ['state', 'alloc', 'set_pte', 'split_pmd', 'split_pud', 'zap_split', 'clear'];

type MutableRow = { -readonly [K in keyof NotableRow]: NotableRow[K] };

/** Turns events into notable rows, merging runs. Feed add(), collect with take(). */
export class NotableIndexer {
  private rows: MutableRow[] = [];
  private run: MutableRow | null = null;

  add(e: WalkEvent): void {
    // The commonest events first: a string switch tests its cases in order.
    switch (e.type) {
      case 'pgd_entry':
      case 'p4d_entry':
      case 'pud_entry':
      case 'pmd_entry':
      case 'pte_entry':
        if (e.ret !== 0) this.row(e.seq, e.type, LEVELS.indexOf(e.type.slice(0, 3) as (typeof LEVELS)[number]), e.start, e.end, null, e.ret);
        return;
      case 'set_pte':
        return this.extendRun(e.seq, KIND_INDEX.set_pte, 4, e.addr, e.value);
      case 'clear':
        return this.extendRun(e.seq, KIND_INDEX.clear, LEVELS.indexOf(e.level), e.addr, e.old);
      case 'alloc':
      case 'alloc_fail':
      case 'livelock':
        return this.row(e.seq, e.type, LEVELS.indexOf(e.level), e.addr, null, null, null);
      case 'split_pmd':
      case 'split_pud':
        return this.row(e.seq, e.type, e.type === 'split_pmd' ? 3 : 2, e.addr, null, null, e.value);
      case 'zap_split':
        return this.row(e.seq, e.type, LEVELS.indexOf(e.level), e.addr, null, null, e.value);
      case 'zap':
      case 'vma_enter':
      case 'walk':
        return this.row(e.seq, e.type, null, e.start, e.end, null, null);
      case 'ret':
      case 'client_ret':
        return this.row(e.seq, e.type, null, null, null, null, e.value);
      case 'pte_map_fail':
        return this.row(e.seq, e.type, 3, e.addr, null, null, e.injected ? 1 : 0);
      case 'oops':
        return this.row(e.seq, e.type, null, e.addr, null, null, CALLBACKS.indexOf(e.callback));
      case 'vma':
        return this.row(e.seq, e.type, null, e.start, e.end, null, e.flags);
      case 'state':
        return this.row(e.seq, e.type, e.level === null ? null : LEVELS.indexOf(e.level), e.at, null, null, STATE_KINDS.indexOf(e.kind));
      case 'hole':
        if (e.ret !== 0) this.row(e.seq, e.type, null, e.start, e.end, e.depth, e.ret);
        return;
      case 'install_pte':
        if (e.ret !== 0) this.row(e.seq, e.type, 4, e.start, e.end, null, e.ret);
        return;
      case 'hugetlb_entry':
      case 'test_walk':
      case 'pre_vma':
        if (e.ret !== 0) this.row(e.seq, e.type, null, e.start, e.end, null, e.ret);
        return;
      case 'post_vma':
        return;
    }
  }

  /** The rows so far, ending any run in progress (a run never spans two takes). */
  take(): NotableRow[] {
    this.endRun();
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  private row(seq: number, type: WalkEventType, level: number | null, addr: Addr | null, next: Addr | null, depth: number | null, value: number | null): void {
    this.endRun();
    this.rows.push({ seq, kind: KIND_INDEX[type], level, addr, next, depth, value, count: 1, seqStep: 0, addrStep: 0 });
  }

  private extendRun(seq: number, kind: number, level: number, addr: Addr, value: number): void {
    const run = this.run;
    if (run !== null && run.kind === kind && run.level === level && run.value === value) {
      if (run.count === 1) {
        const seqStep = seq - run.seq;
        const addrStep = addr - run.addr!;
        if (seqStep > 0 && addrStep > 0 && addrStep <= 2 ** 40) {
          run.seqStep = seqStep;
          run.addrStep = addrStep;
          run.count = 2;
          return;
        }
      } else if (seq === run.seq + run.count * run.seqStep && addr === run.addr! + run.count * run.addrStep) {
        run.count++;
        return;
      }
    }
    this.endRun();
    this.run = { seq, kind, level, addr, next: null, depth: null, value, count: 1, seqStep: 0, addrStep: 0 };
  }

  private endRun(): void {
    if (this.run) {
      this.rows.push(this.run);
      this.run = null;
    }
  }
}

/** The members of a row: [seq, addr] of each event it stands for. */
export function* rowMembers(row: NotableRow): Generator<[number, Addr | null]> {
  for (let i = 0; i < row.count; i++) yield [row.seq + i * row.seqStep, row.addr === null ? null : row.addr + i * row.addrStep];
}
