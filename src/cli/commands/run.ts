// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback run SCENARIO: record, then open the recording in the terminal UI.
 * Without a terminal it records and prints the abort summary instead (exit 0),
 * so that scripts and CI get the recording and a report, not an error.
 */
import { loadScenario } from '../../scenario/load-scenario.js';
import { openUi, whyNoTerminal } from '../../views/tui/open-ui.js';
import { openRecording } from '../inputs.js';
import { chooseOutput, describeResult, recordScenario } from './record.js';
import type { RecordFlags } from './record.js';
import type { Scenario } from '../../scenario/scenario.js';
import { writeStdout } from '../output.js';
import { recordingBudget, refuseAboveDefaultCap } from '../record-budget.js';
import type { Budget } from '../record-budget.js';
import { parseSize } from '../sizes.js';

export async function runCommand(scenarioFile: string, flags: RecordFlags): Promise<void> {
  if (flags.maxSize !== undefined) parseSize(flags.maxSize, '--max-size');
  const scenario = loadScenario(scenarioFile);
  const budget = recordingBudget(scenario);
  refuseAboveDefaultCap(scenario, budget, flags.maxSize, 'recording');
  await recordAndOpen(scenario, chooseOutput(scenario, flags), flags, budget);
}

/** Record a scenario to `output` and open it (or, without a terminal, print what was recorded). */
export async function recordAndOpen(scenario: Scenario, output: string, flags: RecordFlags, budget?: Budget): Promise<void> {
  const result = await recordScenario(scenario, output, flags, budget);
  const why = whyNoTerminal();
  if (why) {
    writeStdout(describeResult(result));
    process.stderr.write(`walkback: not opening the terminal UI: ${why}; walkback replay ${result.file} opens it from a terminal\n`);
    return;
  }
  const recording = openRecording(result.file);
  try {
    await openUi(recording);
  } finally {
    recording.close();
  }
  writeStdout(`recorded ${result.file}; walkback replay ${result.file} opens it again\n`);
}
