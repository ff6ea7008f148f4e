// SPDX-License-Identifier: GPL-2.0-only
/** A loaded, validated scenario: the address space before a walk, the walk, its ops and faults. */
import type { Addr, CallbackName, EntryKind, KernelVersion, LevelName, WalkApi } from '../events/walk-event.js';
import type { ArchName, Geometry } from '../mm/geometry.js';
import type { StateItem } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';

export const PRESETS = ['guard-install', 'guard-remove'] as const;
export type PresetName = (typeof PRESETS)[number];

/** Entry states a rule's `if` can name. */
export const RULE_STATES = ['none', 'present', 'marker', 'table', 'huge'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** One rule of a callback: the first rule that matches a call decides its result. */
export interface Rule {
  readonly at: Addr | null;
  /** Half-open [start, end). */
  readonly in: readonly [Addr, Addr] | null;
  readonly if: RuleState | null;
  readonly return: number;
  /** walk->action to write (Action value), or -1. */
  readonly action: number;
  /** How many times the rule may match (across the whole scenario), or null for always. */
  readonly times: number | null;
  /** install_pte only: the PTE to hand back. */
  readonly install: EntryKind | null;
}

export type OpsSpec =
  | { readonly preset: PresetName }
  | { readonly preset: null; readonly callbacks: Readonly<Partial<Record<CallbackName, readonly Rule[]>>> };

export type Fault =
  | { readonly kind: 'alloc'; readonly nth: number; readonly level: LevelName | null }
  | { readonly kind: 'pte_map'; readonly nth: number };

/**
 * What the user expects of every run (checked by a sweep, and by record and
 * run on the one run they make): a run that breaks one is flagged.
 */
export interface Expectations {
  /** The return value (the client's, for guard install) is one of these. */
  readonly ret: readonly number[] | null;
  /** No table of these levels is left allocated and empty. */
  readonly noEmptyTables: readonly LevelName[] | null;
  /** No guard marker outside the walk's range. */
  readonly noGuardOutsideRange: boolean;
}

export interface Scenario {
  readonly name: string;
  /** Where it was read from (for messages), or '<inline>'. */
  readonly file: string;
  /** The source text, as written. */
  readonly source: string;
  readonly arch: ArchName;
  readonly geometry: Geometry;
  readonly kernel: KernelVersion;
  /** Sorted by start. */
  readonly vmas: readonly Vma[];
  readonly state: readonly StateItem[];
  readonly walk: {
    readonly api: WalkApi;
    readonly start: Addr;
    readonly end: Addr;
    readonly ops: OpsSpec;
  };
  readonly faults: readonly Fault[];
  /** Absent when the scenario states no expectations. */
  readonly expect?: Expectations;
}
