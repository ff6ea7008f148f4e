// SPDX-License-Identifier: GPL-2.0-only
/**
 * The default demo (npm start): MADV_GUARD_INSTALL across a 1 GiB boundary
 * whose 3rd table allocation fails, recorded to recordings/demo.db (replaced
 * on each run: it is the demo's) and opened in the terminal UI.
 */
import { join } from 'node:path';
import { packageRoot } from '../../recorder/package-root.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import { refuseOutputOverInput } from '../output-file.js';
import { recordAndOpen } from './run.js';

export const DEMO_SCENARIO = join(packageRoot(), 'examples', 'demo.yaml');
export const DEMO_RECORDING = join('recordings', 'demo.db');

export async function demoCommand(flags: { output?: string } = {}): Promise<void> {
  const scenario = loadScenario(DEMO_SCENARIO);
  const output = flags.output ?? DEMO_RECORDING;
  // The demo's recording is its own to replace, but never the scenario it comes from.
  refuseOutputOverInput(output, [{ file: scenario.file, kind: 'scenario' }], { sqlite: true });
  await recordAndOpen(scenario, output, { force: true });
}
