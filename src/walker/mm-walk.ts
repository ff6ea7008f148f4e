// SPDX-License-Identifier: GPL-2.0-only
/**
 * struct mm_walk and struct mm_walk_ops (include/linux/pagewalk.h), for the
 * model: the walk's context passed down every level, never module state.
 *
 * Callbacks are models, not code: each decides its result from its arguments
 * (and, for a kernel user's ops, from the entry), and reports it through the
 * walk's cb* fields, so the walker can emit the call's event, with its result,
 * before it applies what the callback asked for. That keeps the event order
 * the kernel's printk order: the call first, then the entries it changed.
 */
import type { Addr, CallbackName, EntryKind, KernelVersion, WalkEvent } from '../events/walk-event.js';
import { Action, Entry, NO_ACTION, RetWhy } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import type { PageTables } from '../mm/page-tables.js';
import type { Vma } from '../mm/vmas.js';
import type { FaultPlan } from './faults.js';

/** A modelled callback. */
export interface CallbackModel {
  /**
   * Decide the result of a call on [addr, next) with the given entry (an
   * EntryKind, or NO_ENTRY). May set walk.cbAction, walk.cbInstall and
   * walk.cbClear; returns the callback's int result.
   */
  call(walk: MmWalk, addr: Addr, next: Addr, entry: number): number;
}

/** mm_walk_ops: a callback that is not set does not exist. */
export type WalkOps = Readonly<Partial<Record<CallbackName, CallbackModel>>>;

/** The kernel versions as ordered numbers, for version checks on the hot path. */
export const K612 = 0;
export const K613 = 1;
export const K70 = 2;
export const kernelRank = (kernel: KernelVersion): number => (kernel === '6.12' ? K612 : kernel === '6.13' ? K613 : K70);

/** Thrown to unwind a walk that cannot continue (an oops, a livelock, an unsubscribe). */
export class WalkStop {
  constructor(readonly reason: 'oops' | 'livelock' | 'unsubscribed') {}
}

/**
 * How many times one entry may be walked again (ACTION_AGAIN) before walkback
 * calls the walk a livelock and stops it, where the kernel would loop forever.
 * A pud entry is re-walked whole (every pmd and pte below it), so its limit is lower.
 */
export const PMD_AGAIN_LIMIT = 1000;
export const PUD_AGAIN_LIMIT = 100;

/** Distributive Omit, so each member of the WalkEvent union keeps its own fields. */
export type EventBody<E> = E extends WalkEvent ? Omit<E, 'seq'> : never;

export class MmWalk {
  readonly g: Geometry;
  readonly kernel: number;
  readonly mm: PageTables;
  readonly vmas: readonly Vma[];
  readonly faults: FaultPlan;
  private readonly sink: (event: WalkEvent) => void;
  seq = 0;

  ops: WalkOps = {};
  /** walk->vma: the VMA being walked, or null in a gap or a no_vma walk. */
  vma: Vma | null = null;
  noVma = false;
  /** walk->action, one field shared by every level. */
  action: number = Action.SUBTREE;
  /** Why the entry point refused the walk (RetWhy), for the ret event. Not in the kernel. */
  why: number = RetWhy.WALK;

  // Results of the last callback decision.
  cbAction: number = NO_ACTION;
  cbInstall: EntryKind = Entry.MARKER;
  cbClear = false;

  constructor(g: Geometry, kernel: KernelVersion, mm: PageTables, vmas: readonly Vma[], faults: FaultPlan, sink: (event: WalkEvent) => void) {
    this.g = g;
    this.kernel = kernelRank(kernel);
    this.mm = mm;
    this.vmas = vmas;
    this.faults = faults;
    this.sink = sink;
  }

  /** Emit an event (the model's printk); the walk gives it the next sequence number. */
  emit(body: EventBody<WalkEvent>): void {
    (body as unknown as { seq: number }).seq = this.seq++;
    this.sink(body as WalkEvent);
  }

  /** Emit an event already numbered with `walk.seq++` (hot paths build it in one literal). */
  push(event: WalkEvent): void {
    this.sink(event);
  }

  /** Ask a callback for its decision; resets the cb* results first. */
  decide(cb: CallbackModel, addr: Addr, next: Addr, entry: number): number {
    this.cbAction = NO_ACTION;
    this.cbInstall = Entry.MARKER;
    this.cbClear = false;
    return cb.call(this, addr, next, entry);
  }

  /** After the call's event: write walk->action if the callback asked to. */
  applyAction(): void {
    if (this.cbAction !== NO_ACTION) this.action = this.cbAction;
  }
}
