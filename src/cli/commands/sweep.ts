// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback sweep SCENARIO [-o FILE] [--pte-map] [--json]: fail every
 * allocation point of the walk in turn, record every run into one file (each
 * a branch of the fault-free run), and report the outcomes grouped. Given a
 * sweep file instead of a scenario, it prints that sweep's report again.
 */
import { statSync } from 'node:fs';
import { loadScenario } from '../../scenario/load-scenario.js';
import { recordSweep } from '../../sweep/record-sweep.js';
import { sweepReport } from '../../sweep/sweep-report.js';
import { formatSweepReport, sweepJson } from '../../views/sweep/format-sweep.js';
import { RuntimeError, UsageError } from '../errors.js';
import { isRecordingInput, openRecording } from '../inputs.js';
import type { Recording } from '../../replay/open-recording.js';
import { packageVersion } from '../../recorder/package-root.js';
import { formatBytes, writeStdout } from '../output.js';
import { chooseOutput, prepareOutput } from '../output-file.js';

export interface SweepFlags {
  readonly output?: string;
  readonly force?: boolean;
  readonly pteMap?: boolean;
  readonly json?: boolean;
  readonly exact?: boolean;
}

export async function sweepCommand(input: string, flags: SweepFlags): Promise<void> {
  let file: string;
  let recording: Recording | null = null;
  if (isRecordingInput(input)) {
    if (flags.output !== undefined || flags.pteMap || flags.exact) throw new UsageError(`${input} is a recording: -o, --pte-map and --exact apply when sweeping a scenario; given a sweep file, walkback sweep prints its report`);
    file = input;
    recording = openRecording(input);
    if (recording.metaValue('sweep') === null) {
      recording.close();
      throw new UsageError(`${input} is a recording of one walk, not a sweep; walkback sweep SCENARIO makes one (walkback show ${input} summarizes this one)`);
    }
  } else {
    const scenario = loadScenario(input);
    file = chooseOutput(scenario, flags, '-sweep');
    prepareOutput(file);
    const progress = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\rsweeping ${scenario.name}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} failure points`)
      : undefined;
    let result;
    try {
      result = await recordSweep(scenario, file, { walkbackVersion: packageVersion(), pteMap: flags.pteMap ?? false, exact: flags.exact ?? false, ...(progress ? { onProgress: progress } : {}) });
    } catch (error) {
      throw new RuntimeError(`${file}: cannot write the sweep: ${(error as Error).message}`);
    } finally {
      if (progress) process.stderr.write('\r\x1b[K');
    }
    const failed = result.runs.find((r) => r.result.status === 'incomplete');
    if (failed)
      throw new RuntimeError(`${file}: the sweep stopped at run ${failed.run} (${failed.label}): ${failed.result.error}; the runs recorded so far are kept`);
  }
  let report;
  try {
    report = sweepReport(recording ?? file);
  } finally {
    recording?.close();
  }
  const bytes = statSync(file).size;
  writeStdout(flags.json ? `${JSON.stringify(sweepJson(report, bytes), null, 2)}\n` : `${formatSweepReport(report, formatBytes(bytes)).join('\n')}\n`);
  const broken = report.runs.filter((r) => r.violations.length > 0).length;
  const baseBroken = report.base.violations.length > 0;
  if (broken || baseBroken) {
    const what = [broken ? `${broken} of ${report.runs.length} failure point${report.runs.length === 1 ? '' : 's'}` : '', baseBroken ? 'the fault-free run' : ''].filter(Boolean).join(' and ');
    throw new RuntimeError(`${what} break${broken === 1 && !baseBroken ? 's' : ''} the scenario's expectations (${flags.json ? 'their violations are in the JSON' : 'marked above'})`);
  }
}

