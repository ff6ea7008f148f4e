// SPDX-License-Identifier: GPL-2.0-only
/**
 * The events of a walk: walkback's pagewalk.h. Every stage (walker, recorder,
 * replay, views) imports these types and none redefines them.
 *
 * An event is a plain fact: numbers and short strings, no methods, no
 * references to in-memory objects. Each trace-visible event prints as one line
 * of `walkback trace`; the others ("detail" events) carry what a replay needs
 * beyond the trace: the address space set up before the walk, entries a client
 * clears, the VMA the walker enters. Folding the events of a run from an empty
 * page table, in order, gives the page tables the walker left behind.
 */

/** A virtual address. Page-aligned 64-bit values are exact as JS numbers; use arithmetic, never 32-bit bitwise operators. */
export type Addr = number;

/** Walker levels, in the kernel's order. Folded levels keep their names. */
export const LEVELS = ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as const;
export type LevelName = (typeof LEVELS)[number];
/** Index into LEVELS: 0 = pgd ... 4 = pte. */
export type LevelIndex = 0 | 1 | 2 | 3 | 4;

export const WALK_APIS = [
  'walk_page_range',
  'walk_page_range_mm',
  'walk_page_vma',
  'walk_page_range_vma',
  'walk_page_range_novma',
] as const;
export type WalkApi = (typeof WALK_APIS)[number];

export const KERNELS = ['6.12', '6.13', '7.0'] as const;
export type KernelVersion = (typeof KERNELS)[number];

export const ENTRY_CALLBACKS = ['pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry', 'pte_entry'] as const;
export type EntryCallbackName = (typeof ENTRY_CALLBACKS)[number];

export const CALLBACKS = [
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'pte_hole',
  'hugetlb_entry',
  'test_walk',
  'pre_vma',
  'post_vma',
  'install_pte',
] as const;
export type CallbackName = (typeof CALLBACKS)[number];

/**
 * What a page-table slot holds. Stored as one byte per slot.
 * HUGE is a transparent huge page (or huge pfnmap) leaf at the PMD or PUD level;
 * HUGETLB a hugetlbfs entry. MARKER is a guard PTE marker: not present, not none.
 */
export const Entry = {
  NONE: 0,
  TABLE: 1,
  PRESENT: 2,
  MARKER: 3,
  HUGE: 4,
  HUGETLB: 5,
} as const;
export type EntryKind = (typeof Entry)[keyof typeof Entry];
export const ENTRY_NAMES = ['none', 'table', 'present', 'guard', 'huge', 'hugetlb'] as const;
export type EntryName = (typeof ENTRY_NAMES)[number];
/** An EntryKind's name ('?7' for a number that is none). */
export const entryName = (kind: number): string => ENTRY_NAMES[kind] ?? `?${kind}`;

/** walk->action values; NO_ACTION (-1) in an event means the callback did not write walk->action. */
export const Action = { SUBTREE: 0, CONTINUE: 1, AGAIN: 2 } as const;
export type ActionValue = (typeof Action)[keyof typeof Action];
export const NO_ACTION = -1;
export const ACTION_NAMES = ['subtree', 'continue', 'again'] as const;
/** The entry field of a callback that is given no page-table entry (pte_hole, test_walk, ...). */
export const NO_ENTRY = -1;

/** VMA flags, as a bit set (stored in the `vma` setup event). */
export const VmaFlag = { THP: 1, PFNMAP: 2 } as const;

export const STATE_KINDS = ['pte', 'guard', 'thp-pmd', 'thp-pud', 'table', 'hugetlb'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

interface Seq {
  /** Position in the stream, from 0. */
  readonly seq: number;
}

// ---- setup (detail events, no trace line) ----
/** A VMA of the mm, emitted before the first walk. */
export interface VmaEvent extends Seq {
  readonly type: 'vma';
  readonly start: Addr;
  readonly end: Addr;
  /** VmaFlag bits. */
  readonly flags: number;
  /** hugetlb page size, or 0. */
  readonly hugetlb: number;
}
/** One item of the scenario's `state:`, applied to the page tables before the walk (tables above it are allocated). */
export interface StateEvent extends Seq {
  readonly type: 'state';
  readonly kind: StateKind;
  /** For kind 'table': the level of the table; null otherwise. */
  readonly level: LevelName | null;
  readonly at: Addr;
  readonly count: number;
}

// ---- walks and clients ----
export interface WalkEvent_ extends Seq {
  readonly type: 'walk';
  readonly api: WalkApi;
  readonly start: Addr;
  readonly end: Addr;
}
export interface RetEvent extends Seq {
  readonly type: 'ret';
  readonly value: number;
  /** Why the entry point itself returned an error (a RetWhy), or 0 when the value comes from the walk. */
  readonly why: number;
}

/** Why an entry point refused a walk with -EINVAL (the `why` of a ret event). */
export const RetWhy = {
  /** The value came from the walk (a callback, an allocation), or the walk succeeded. */
  WALK: 0,
  /** install_pte through a public entry point: check_ops_valid() (check_ops_safe() in 7.0). */
  OPS: 1,
  /** start >= end. */
  RANGE: 2,
  /** install_pte on a hugetlb VMA (__walk_page_range()). */
  HUGETLB_INSTALL: 3,
  /** walk_page_range_vma(): the range leaves the VMA. */
  OUTSIDE_VMA: 4,
} as const;
/** The final result of a client (the guard-install preset), after its own walks. */
export interface ClientRetEvent extends Seq {
  readonly type: 'client_ret';
  readonly value: number;
}
/** The VMA loop (or a VMA entry point) sets walk->vma to this VMA. Detail event. */
export interface VmaEnterEvent extends Seq {
  readonly type: 'vma_enter';
  readonly start: Addr;
  readonly end: Addr;
}

// ---- callbacks ----
export interface RangeCallbackEvent extends Seq {
  readonly type: 'test_walk' | 'pre_vma';
  readonly start: Addr;
  readonly end: Addr;
  readonly ret: number;
  readonly action: number;
}
export interface PostVmaEvent extends Seq {
  readonly type: 'post_vma';
}
export interface HoleEvent extends Seq {
  readonly type: 'hole';
  readonly start: Addr;
  readonly end: Addr;
  readonly depth: number;
  readonly ret: number;
  readonly action: number;
}
export interface EntryCallbackEvent extends Seq {
  readonly type: EntryCallbackName | 'hugetlb_entry';
  readonly start: Addr;
  readonly end: Addr;
  /** The entry the callback is given (an EntryKind). */
  readonly entry: EntryKind;
  readonly ret: number;
  readonly action: number;
}
export interface InstallPteEvent extends Seq {
  readonly type: 'install_pte';
  readonly start: Addr;
  readonly end: Addr;
  readonly ret: number;
  readonly action: number;
  /** The PTE install_pte hands back (written by the walker when ret is 0). */
  readonly value: EntryKind;
}

// ---- page-table changes ----
export interface SetPteEvent extends Seq {
  readonly type: 'set_pte';
  readonly addr: Addr;
  /** New value; the old one is always none (install_pte is only called on none PTEs). */
  readonly value: EntryKind;
}
/** The walker allocates a table of `level` (old entry none, new entry table); A is the walker's current address. */
export interface AllocEvent extends Seq {
  readonly type: 'alloc' | 'alloc_fail';
  readonly level: LevelName;
  readonly addr: Addr;
}
/** A huge entry really split. value: what the entry becomes (TABLE: a deposited table of present PTEs; NONE: cleared). */
export interface SplitEvent extends Seq {
  readonly type: 'split_pmd' | 'split_pud';
  readonly addr: Addr;
  readonly value: EntryKind;
}
/**
 * A client's zap splits a huge entry it covers only in part: zap_pmd_range() / zap_pud_range()
 * in mm/memory.c call __split_huge_pmd() / __split_huge_pud(), not mm/pagewalk.c, so an
 * instrumented walker prints nothing. Detail event (no trace line); it changes the page tables
 * as a split_pmd / split_pud does. level: 'pmd' or 'pud' (the walker level of the entry);
 * value: what the entry becomes (TABLE: the deposited table of present PTEs; NONE: cleared).
 */
export interface ZapSplitEvent extends Seq {
  readonly type: 'zap_split';
  readonly level: LevelName;
  readonly addr: Addr;
  readonly value: EntryKind;
}
/** A client clears an entry (zap, guard removal). Detail event. */
export interface ClearEvent extends Seq {
  readonly type: 'clear';
  readonly level: LevelName;
  readonly addr: Addr;
  readonly old: EntryKind;
}
export interface ZapEvent extends Seq {
  readonly type: 'zap';
  readonly start: Addr;
  readonly end: Addr;
}

// ---- failures ----
export interface PteMapFailEvent extends Seq {
  readonly type: 'pte_map_fail';
  readonly addr: Addr;
  /** True when injected by a `pte_map` fault, false when the pmd was not a table. */
  readonly injected: boolean;
}
/** A call through a missing callback: the kernel would oops. Nothing follows. */
export interface OopsEvent extends Seq {
  readonly type: 'oops';
  readonly callback: CallbackName;
  readonly addr: Addr;
}
/** walkback stopped a walk that would never end (ACTION_AGAIN every time). Detail event; nothing follows. */
export interface LivelockEvent extends Seq {
  readonly type: 'livelock';
  readonly level: LevelName;
  readonly addr: Addr;
}

/** One event of a run. */
export type WalkEvent =
  | VmaEvent
  | StateEvent
  | WalkEvent_
  | RetEvent
  | ClientRetEvent
  | VmaEnterEvent
  | RangeCallbackEvent
  | PostVmaEvent
  | HoleEvent
  | EntryCallbackEvent
  | InstallPteEvent
  | SetPteEvent
  | AllocEvent
  | SplitEvent
  | ClearEvent
  | ZapEvent
  | PteMapFailEvent
  | OopsEvent
  | LivelockEvent
  | ZapSplitEvent;

export type WalkEventType = WalkEvent['type'];

/**
 * Every event type, in a fixed order: the index is the event's kind number in recordings.
 * Append new types at the end, never reorder (a chunk header has room for 32).
 */
export const EVENT_TYPES = [
  'vma',
  'state',
  'walk',
  'ret',
  'client_ret',
  'vma_enter',
  'test_walk',
  'pre_vma',
  'post_vma',
  'hole',
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'hugetlb_entry',
  'install_pte',
  'set_pte',
  'alloc',
  'alloc_fail',
  'split_pmd',
  'split_pud',
  'clear',
  'zap',
  'pte_map_fail',
  'oops',
  'livelock',
  // Added after schema 3's first release: appended, so every older recording decodes as before.
  'zap_split',
] as const satisfies readonly WalkEventType[];

/** The event of one type (an interface may cover several types, e.g. alloc and alloc_fail). */
export type EventOf<T extends WalkEventType> = WalkEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? Omit<E, 'type'> & { readonly type: T }
      : never
    : never
  : never;

// Compile-time check that EVENT_TYPES lists every event type.
type MissingEventTypes = Exclude<WalkEventType, (typeof EVENT_TYPES)[number]>;
const everyEventTypeListed: MissingEventTypes extends never ? true : never = true;
void everyEventTypeListed;
