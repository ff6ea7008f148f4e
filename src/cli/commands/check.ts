// SPDX-License-Identifier: GPL-2.0-only
/** walkback check SCENARIO: validate only, and say what the scenario will do. */
import { hex } from '../../mm/geometry.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import type { Scenario } from '../../scenario/scenario.js';
import { expectationWords } from '../../sweep/sweep-report.js';
import { madviseDifferences } from '../../walker/madvise-differences.js';
import { formatBytes, writeStdout } from '../output.js';
import { DEFAULT_MAX_BYTES, describeBudget, recordingBudget, sizeToAllow } from '../record-budget.js';

export function checkCommand(file: string): void {
  const scenario = loadScenario(file);
  writeStdout(`${scenario.file}: ok: ${describeScenario(scenario)}\n`);
  // What recording it will cost: a walk over all of user space passes check, and would fill a disk.
  const budget = recordingBudget(scenario);
  writeStdout(`estimate: ${describeBudget(budget)}\n`);
  for (const note of scenarioNotes(scenario)) process.stderr.write(`walkback: note: ${note}\n`);
  if (budget.bytes > DEFAULT_MAX_BYTES)
    process.stderr.write(
      `walkback: note: that is above the default cap of ${formatBytes(DEFAULT_MAX_BYTES)}: walkback record refuses it unless --max-size allows it (--max-size ${sizeToAllow(budget.bytes)})\n`,
    );
}

/** What a preset is, in a few words: the ops of a kernel user, not the madvise() call around them. */
const PRESET_WORDS: Record<string, string> = {
  'guard-install': "madvise_guard_install()'s retry loop, once over the whole range; not madvise(), which calls it per VMA after its VMA checks",
  'guard-remove': "MADV_GUARD_REMOVE's walk, once over the whole range; not madvise(), which walks per VMA after its VMA checks",
};

export function describeScenario(s: Scenario): string {
  const ops =
    s.walk.ops.preset !== null
      ? `preset ${s.walk.ops.preset} (${PRESET_WORDS[s.walk.ops.preset]})`
      : Object.keys(s.walk.ops.callbacks).join(', ') || 'no callbacks';
  const faults = s.faults.length ? `, ${s.faults.length} fault${s.faults.length > 1 ? 's' : ''}` : '';
  const expects = expectationWords(s.expect);
  return (
    `${s.name}: ${s.arch}, kernel ${s.kernel}, ${s.vmas.length} VMA${s.vmas.length === 1 ? '' : 's'}, ` +
    `${s.state.length} state item${s.state.length === 1 ? '' : 's'}; ${s.walk.api} ${hex(s.walk.start)}-${hex(s.walk.end)} with ${ops}${faults}` +
    (expects.length ? `; expects (walkback sweep checks every failure point): ${expects.join('; ')}` : '')
  );
}

/** Things that are valid but probably not what the author meant. */
export function scenarioNotes(s: Scenario): string[] {
  const notes: string[] = [];
  const hasInstall = s.walk.ops.preset === 'guard-install' || (s.walk.ops.preset === null && s.walk.ops.callbacks.install_pte);
  if (hasInstall && s.kernel !== '6.12' && s.walk.api !== 'walk_page_range_mm')
    notes.push(
      `${s.walk.api} refuses install_pte: the walk will return -22 (EINVAL), as the kernel's does; madvise uses walk_page_range_mm`,
    );
  if (s.walk.start >= s.walk.end && s.walk.api !== 'walk_page_vma')
    notes.push(`start ${hex(s.walk.start)} is not below end ${hex(s.walk.end)}: the walk will return -22 (EINVAL)`);
  // The presets are the kernel users' ops, not madvise(): say where madvise() over the range would differ.
  return notes.concat(madviseDifferences(s));
}
