// SPDX-License-Identifier: GPL-2.0-only
/** walkback record SCENARIO [-o FILE]: run the walk and record it while it flows. */
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { loadScenario, openRecording } from '../../index.js';
import type { RecordResult, Scenario } from '../../index.js';
import { formatSummary } from '../../views/show/show.js';
import { InterruptedError, RuntimeError } from '../errors.js';
import { interruptReason, jobSource, runRecordingJob } from '../recording-job.js';
import { IN_THREAD_EVENTS, recordingBudget, refuseAboveDefaultCap } from '../record-budget.js';
import type { Budget } from '../record-budget.js';
import { parseSize } from '../sizes.js';
import { formatBytes, writeStdout } from '../output.js';
import { chooseOutput, prepareOutput } from '../output-file.js';
export { chooseOutput };

export interface RecordFlags {
  readonly output?: string;
  readonly force?: boolean;
  readonly maxSize?: string;
}

/**
 * Record a scenario to a file, with a progress line on a terminal. Throws
 * RuntimeError if the file could not be written whole, InterruptedError if a
 * signal stopped it (the file then finished as incomplete, and said so).
 */
export async function recordScenario(scenario: Scenario, file: string, flags: RecordFlags = {}, budget: Budget = recordingBudget(scenario)): Promise<RecordResult> {
  // chooseOutput let an existing file through only with --force.
  prepareOutput(file);
  const progress = process.stderr.isTTY
    ? (events: number, bytes: number) => process.stderr.write(`\rrecording ${scenario.name}: ${events.toLocaleString('en-US')} events, ${(bytes / 1e6).toFixed(1)} MB`)
    : undefined;
  const maxBytes = flags.maxSize !== undefined ? parseSize(flags.maxSize, '--max-size') : undefined;
  let run;
  try {
    run = await runRecordingJob({ kind: 'record', ...jobSource(scenario), file, ...(maxBytes !== undefined ? { maxBytes } : {}) }, progress, {
      inThread: budget.estimate.events < IN_THREAD_EVENTS,
    });
  } catch (error) {
    throw new RuntimeError(`${file}: cannot write the recording: ${(error as Error).message}`);
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
  }
  if (run.outcome.kind !== 'record') throw new Error('a recording job came back as a sweep');
  const result = run.outcome.result;
  if (run.signal && result.status === 'incomplete' && result.error?.startsWith('interrupted'))
    throw new InterruptedError(
      `${file}: ${result.error} after ${result.committed.toLocaleString('en-US')} events; what was written is kept (status incomplete) and replays`,
      run.signal,
    );
  if (result.status === 'incomplete') {
    // The cap and a full disk read differently: one is asked for, the other is not.
    const cap = maxBytes !== undefined && result.error?.startsWith('it reached the size cap') ? ` (--max-size ${flags.maxSize}; a larger --max-size records more)` : '';
    throw new RuntimeError(
      `${file}: the recording stopped after ${result.committed.toLocaleString('en-US')} events: ${result.error}${cap}; what was written is kept (status incomplete) and replays`,
    );
  }
  if (run.signal) {
    // The walk ended before the writer saw the signal: the file is whole; say so, and still exit as interrupted.
    writeStdout(describeResult(result));
    throw new InterruptedError(`${interruptReason(constants.signals[run.signal])}, after the recording had finished: ${file} is complete`, run.signal);
  }
  return result;
}

export async function recordCommand(scenarioFile: string, flags: RecordFlags): Promise<void> {
  if (flags.maxSize !== undefined) parseSize(flags.maxSize, '--max-size');
  const scenario = loadScenario(scenarioFile);
  const budget = recordingBudget(scenario);
  refuseAboveDefaultCap(scenario, budget, flags.maxSize, 'recording');
  const file = chooseOutput(scenario, flags);
  const result = await recordScenario(scenario, file, flags, budget);
  writeStdout(describeResult(result));
}

export function describeResult(result: RecordResult): string {
  const size = statSync(result.file).size;
  const outcome =
    result.status === 'complete' ? 'complete (ret 0)' : result.end === 'returned' ? `aborted (ret ${result.ret})` : `aborted (${result.end})`;
  const recording = openRecording(result.file);
  try {
    const lines = recording.length ? formatSummary(recording.summary(), recording.stateAt(-1).geometry) : [];
    return `recorded ${result.file}: ${result.events.toLocaleString('en-US')} events, ${formatBytes(size)}, ${outcome}\n${lines.join('\n')}\n`;
  } finally {
    recording.close();
  }
}
