// SPDX-License-Identifier: GPL-2.0-only
/**
 * The default demo (npm start): MADV_GUARD_INSTALL across a 1 GiB boundary
 * whose 3rd table allocation fails, recorded to recordings/demo.db (replaced
 * on each run: it is the demo's) and opened in the terminal UI.
 */
import { join } from 'node:path';
import { packageRoot } from '../../recorder/package-root.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import { recordAndOpen } from './run.js';

export const DEMO_SCENARIO = join(packageRoot(), 'examples', 'demo.yaml');
export const DEMO_RECORDING = join('recordings', 'demo.db');

export async function demoCommand(flags: { output?: string } = {}): Promise<void> {
  await recordAndOpen(loadScenario(DEMO_SCENARIO), flags.output ?? DEMO_RECORDING, { force: true });
}
