// SPDX-License-Identifier: GPL-2.0-only
/** walkback replay REC [--at N] [--follow]: the time-travel terminal UI on a recording. */
import { openUi, whyNoTerminal } from '../../views/tui/open-ui.js';
import { UsageError } from '../errors.js';
import { openRecording, parseEventNumber, parseRun, runOption } from '../inputs.js';

export interface ReplayFlags {
  readonly at?: string;
  readonly follow?: boolean;
  readonly run?: string;
}

export async function replayCommand(file: string, flags: ReplayFlags): Promise<void> {
  const run = parseRun(flags.run);
  // The file first: a wrong file is the more useful thing to hear about.
  const recording = openRecording(file, runOption(run));
  try {
    const why = whyNoTerminal();
    if (why)
      throw new UsageError(
        `replay is interactive and ${why}; for text use walkback show ${file}${run !== undefined ? ` --run ${run}` : ''} (the state and abort summary, --json for JSON) or walkback trace ${file}${run !== undefined ? ` --run ${run}` : ''} (the callback trace)`,
      );
    const at = flags.at === undefined ? undefined : parseEventNumber(flags.at, recording.length);
    await openUi(recording, { follow: flags.follow ?? false, ...(at !== undefined ? { at } : {}) });
  } finally {
    recording.close();
  }
}
