// SPDX-License-Identifier: GPL-2.0-only
/**
 * The body of a recording job (recording-job.ts): read the scenario again from
 * its text, record it or sweep it, and stop when the shared flag says a
 * signal came. Runs in the worker thread (record-worker.ts).
 */
import { packageVersion } from '../recorder/package-root.js';
import { record } from '../recorder/record.js';
import { parseScenario } from '../scenario/load-scenario.js';
import { recordSweep } from '../sweep/record-sweep.js';
import { walk$ } from '../walker/walk-stream.js';
import type { JobData, JobMessage, JobOutcome } from './recording-job.js';
import { interruptReason } from './recording-job.js';

export async function runJob(data: JobData, post: (message: JobMessage) => void): Promise<JobOutcome> {
  const { job } = data;
  const flag = new Int32Array(data.signal);
  const stop = () => interruptReason(Atomics.load(flag, 0));
  const scenario = parseScenario(job.source, job.scenarioFile);
  const progress = data.progress ? (done: number, total: number) => post({ type: 'progress', done, total }) : undefined;
  const common = {
    walkbackVersion: packageVersion(),
    stop,
    ...(job.maxBytes !== undefined ? { maxBytes: job.maxBytes } : {}),
    ...(progress ? { onProgress: progress } : {}),
  };
  if (job.kind === 'record') return { kind: 'record', result: await record(walk$(scenario), job.file, scenario, common) };
  const sweep = await recordSweep(scenario, job.file, { ...common, pteMap: job.pteMap, exact: job.exact });
  return { kind: 'sweep', runs: sweep.runs.map(({ run, label, result }) => ({ run, label, result })), interrupted: sweep.interrupted };
}
