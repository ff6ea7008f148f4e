// SPDX-License-Identifier: GPL-2.0-only
/**
 * Callbacks made from a scenario's rules, and the ops of real kernel users
 * (the presets). Rule `times` counters live in the callback objects, so they
 * count across every walk of a run; a run builds fresh ones.
 */
import type { Addr, CallbackName } from '../events/walk-event.js';
import { Action, CALLBACKS, Entry, NO_ENTRY } from '../events/walk-event.js';
import type { OpsSpec, PresetName, Rule, RuleState } from '../scenario/scenario.js';
import type { CallbackModel, MmWalk, WalkOps } from './mm-walk.js';

/** A callback that returns 0 and does nothing else: `ok`. */
const OK: CallbackModel = { call: () => 0 };

const isHuge = (entry: number): boolean => entry === Entry.HUGE || entry === Entry.HUGETLB;

/** The state a rule's `if` sees for an entry, per callback. */
function stateOf(callback: CallbackName, entry: number): RuleState | null {
  if (entry === NO_ENTRY) return null;
  switch (callback) {
    case 'pte_entry':
      return entry === Entry.NONE ? 'none' : entry === Entry.MARKER ? 'marker' : 'present';
    case 'install_pte':
      return 'none';
    case 'hugetlb_entry':
      return entry === Entry.NONE ? 'none' : 'huge';
    default:
      return entry === Entry.NONE ? 'none' : isHuge(entry) ? 'huge' : 'table';
  }
}

/** A callback answering by a list of rules: the first that matches decides; none matching returns 0. */
class RulesCallback implements CallbackModel {
  private readonly left: (number | null)[];

  constructor(
    private readonly name: CallbackName,
    private readonly rules: readonly Rule[],
  ) {
    this.left = rules.map((rule) => rule.times);
  }

  call(walk: MmWalk, addr: Addr, _next: Addr, entry: number): number {
    const noAddress = this.name === 'post_vma';
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      const left = this.left[i]!;
      if (left === 0) continue;
      if (rule.at !== null && (noAddress || rule.at !== addr)) continue;
      if (rule.in !== null && (noAddress || addr < rule.in[0] || addr >= rule.in[1])) continue;
      if (rule.if !== null && rule.if !== stateOf(this.name, entry)) continue;
      if (left !== null) this.left[i] = left - 1;
      walk.cbAction = rule.action;
      if (rule.install !== null) walk.cbInstall = rule.install;
      return rule.return;
    }
    return 0;
  }
}

// mm/madvise.c (6.13): guard_install_pud_entry(), guard_install_pmd_entry():
// a huge entry makes the walk stop with 1, so the client zaps and retries.
const guardInstallHuge: CallbackModel = { call: (_w, _a, _n, entry) => (isHuge(entry) ? 1 : 0) };

// mm/madvise.c: guard_install_pte_entry(): an existing guard marker is counted; anything else stops the walk.
const guardInstallPte: CallbackModel = { call: (_w, _a, _n, entry) => (entry === Entry.MARKER ? 0 : 1) };

// mm/madvise.c: guard_install_set_pte(): hand back a guard marker.
const guardInstallSetPte: CallbackModel = {
  call: (w) => {
    w.cbInstall = Entry.MARKER;
    return 0;
  },
};

// mm/madvise.c: guard_remove_pud_entry(), guard_remove_pmd_entry(): skip a huge entry, never split it.
const guardRemoveHuge: CallbackModel = {
  call: (w, _a, _n, entry) => {
    if (isHuge(entry)) w.cbAction = Action.CONTINUE;
    return 0;
  },
};

// mm/madvise.c: guard_remove_pte_entry(): clear a guard marker.
const guardRemovePte: CallbackModel = {
  call: (w, _a, _n, entry) => {
    if (entry === Entry.MARKER) w.cbClear = true;
    return 0;
  },
};

const PRESET_OPS: Record<PresetName, () => WalkOps> = {
  'guard-install': () => ({
    pud_entry: guardInstallHuge,
    pmd_entry: guardInstallHuge,
    pte_entry: guardInstallPte,
    install_pte: guardInstallSetPte,
  }),
  'guard-remove': () => ({
    pud_entry: guardRemoveHuge,
    pmd_entry: guardRemoveHuge,
    pte_entry: guardRemovePte,
  }),
};

/** The ops of a scenario, fresh for one run (rule counters start full). */
export function buildOps(spec: OpsSpec): WalkOps {
  if (spec.preset !== null) return PRESET_OPS[spec.preset]();
  const ops: Partial<Record<CallbackName, CallbackModel>> = {};
  for (const name of CALLBACKS) {
    const rules = spec.callbacks[name];
    if (rules === undefined) continue;
    ops[name] = rules.length === 0 ? OK : new RulesCallback(name, rules);
  }
  return ops;
}
