// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback sweep SCENARIO [-o FILE] [--pte-map] [--json]: fail every
 * allocation point of the walk in turn, record every run into one file (each
 * a branch of the fault-free run), and report the outcomes grouped. Given a
 * sweep file instead of a scenario, it prints that sweep's report again.
 */
import { statSync } from 'node:fs';
import { loadScenario } from '../../scenario/load-scenario.js';
import { sweepReport } from '../../sweep/sweep-report.js';
import { formatSweepReport, sweepJson } from '../../views/sweep/format-sweep.js';
import { constants } from 'node:os';
import { InterruptedError, RuntimeError, UsageError } from '../errors.js';
import { interruptReason, jobSource, runRecordingJob } from '../recording-job.js';
import { parseSize } from '../sizes.js';
import { IN_THREAD_EVENTS, recordingBudget, refuseAboveDefaultCap } from '../record-budget.js';
import { isRecordingInput, openRecording } from '../inputs.js';
import type { Recording } from '../../replay/open-recording.js';
import { formatBytes, writeStdout } from '../output.js';
import { chooseOutput, prepareOutput } from '../output-file.js';

export interface SweepFlags {
  readonly output?: string;
  readonly force?: boolean;
  readonly pteMap?: boolean;
  readonly json?: boolean;
  readonly exact?: boolean;
  readonly maxSize?: string;
}

export async function sweepCommand(input: string, flags: SweepFlags): Promise<void> {
  let file: string;
  let recording: Recording | null = null;
  // A sweep stopped by a signal still reports what it recorded, then exits as interrupted.
  let stopped: InterruptedError | null = null;
  let cutShort = false;
  if (isRecordingInput(input)) {
    if (flags.output !== undefined || flags.pteMap || flags.exact || flags.maxSize !== undefined)
      throw new UsageError(`${input} is a recording: -o, --pte-map, --exact and --max-size apply when sweeping a scenario; given a sweep file, walkback sweep prints its report`);
    file = input;
    recording = openRecording(input);
    if (recording.metaValue('sweep') === null) {
      recording.close();
      throw new UsageError(`${input} is a recording of one walk, not a sweep; walkback sweep SCENARIO makes one (walkback show ${input} summarizes this one)`);
    }
  } else {
    const maxBytes = flags.maxSize !== undefined ? parseSize(flags.maxSize, '--max-size') : undefined;
    const scenario = loadScenario(input);
    const pteMap = flags.pteMap ?? false;
    const budget = recordingBudget(scenario, { pteMap });
    refuseAboveDefaultCap(scenario, budget, flags.maxSize, 'sweep');
    file = chooseOutput(scenario, flags, '-sweep');
    prepareOutput(file);
    const progress = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\rsweeping ${scenario.name}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} failure points`)
      : undefined;
    let job;
    try {
      job = await runRecordingJob(
        { kind: 'sweep', ...jobSource(scenario), file, pteMap, exact: flags.exact ?? false, ...(maxBytes !== undefined ? { maxBytes } : {}) },
        progress,
        // A sweep does its base walk, then a little per point (the whole walk per point with --exact or --pte-map).
        { inThread: budget.estimate.events < IN_THREAD_EVENTS / 4 && budget.estimate.allocations < 256 && !flags.exact && !pteMap },
      );
    } catch (error) {
      throw new RuntimeError(`${file}: cannot write the sweep: ${(error as Error).message}`);
    } finally {
      if (progress) process.stderr.write('\r\x1b[K');
    }
    if (job.outcome.kind !== 'sweep') throw new Error('a sweep job came back as a recording');
    const { runs, interrupted } = job.outcome;
    cutShort = interrupted !== null || runs.some((r) => r.result.status === 'incomplete');
    const done = runs.filter((r) => r.run !== 0 && r.result.status !== 'incomplete').length;
    if (interrupted && job.signal)
      stopped = new InterruptedError(
        `${file}: the sweep was ${interrupted} after ${done} failure point${done === 1 ? '' : 's'}${runs[0]!.result.status === 'incomplete' ? ', in its fault-free run' : ''}; what it recorded is kept (walkback sweep ${file} reports on it)`,
        job.signal,
      );
    else if (job.signal) stopped = new InterruptedError(`${interruptReason(constants.signals[job.signal])}, after the sweep had finished: ${file} is complete`, job.signal);
    else {
      const failed = runs.find((r) => r.result.status === 'incomplete');
      if (failed)
        throw new RuntimeError(`${file}: the sweep stopped at run ${failed.run} (${failed.label}): ${failed.result.error}; the runs recorded so far are kept`);
    }
  }
  let report;
  try {
    report = sweepReport(recording ?? file);
    // This process wrote it, so the file's writer looks alive to the report: say what happened.
    if (cutShort) report = { ...report, interrupted: true };
  } finally {
    recording?.close();
  }
  const bytes = statSync(file).size;
  writeStdout(flags.json ? `${JSON.stringify(sweepJson(report, bytes), null, 2)}\n` : `${formatSweepReport(report, formatBytes(bytes)).join('\n')}\n`);
  if (stopped) throw stopped;
  const broken = report.runs.filter((r) => r.violations.length > 0).length;
  const baseBroken = report.base.violations.length > 0;
  if (broken || baseBroken) {
    const what = [broken ? `${broken} of ${report.runs.length} failure point${report.runs.length === 1 ? '' : 's'}` : '', baseBroken ? 'the fault-free run' : ''].filter(Boolean).join(' and ');
    throw new RuntimeError(`${what} break${broken === 1 && !baseBroken ? 's' : ''} the scenario's expectations (${flags.json ? 'their violations are in the JSON' : 'marked above'})`);
  }
}

