// SPDX-License-Identifier: GPL-2.0-only
/** The default demo (npm start): MADV_GUARD_INSTALL across a 1 GiB boundary whose 3rd table allocation fails. */
import { fileURLToPath } from 'node:url';
import { traceCommand } from './trace.js';

export const DEMO_SCENARIO = fileURLToPath(new URL('../../../../examples/demo.yaml', import.meta.url));

export function demoCommand(): void {
  traceCommand(DEMO_SCENARIO);
}
