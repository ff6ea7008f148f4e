// SPDX-License-Identifier: GPL-2.0-only
/**
 * Recording as a job that Ctrl-C (or SIGTERM, SIGHUP) can stop cleanly.
 *
 * A walk is synchronous: while it runs, the main thread's event loop does not,
 * and a signal handler installed there would run only once the walk is over
 * (without one, the signal kills the process and leaves the file unfinished,
 * its status `recording`, its WAL unmerged). So the walk and its writer run in
 * a worker thread, and the main thread, whose loop stays free, turns a signal
 * into a flag in shared memory that the writer reads after every chunk: it
 * stops the walk, writes what it has, and finishes the file as incomplete
 * with the reason. A second signal of the same kind is not caught: it ends the
 * process at once, as an impatient user means.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecordResult } from '../recorder/record.js';
import type { Scenario } from '../scenario/scenario.js';

/** What to record: the scenario as text (the worker reads it again), where, and how. */
export type RecordingJob =
  | { readonly kind: 'record'; readonly source: string; readonly scenarioFile: string; readonly file: string; readonly maxBytes?: number }
  | {
      readonly kind: 'sweep';
      readonly source: string;
      readonly scenarioFile: string;
      readonly file: string;
      readonly maxBytes?: number;
      readonly pteMap: boolean;
      readonly exact: boolean;
    };

/** A sweep's runs as the command needs them. */
export interface SweepJobRun {
  readonly run: number;
  readonly label: string;
  readonly result: RecordResult;
}

export type JobOutcome =
  | { readonly kind: 'record'; readonly result: RecordResult }
  | { readonly kind: 'sweep'; readonly runs: readonly SweepJobRun[]; readonly interrupted: string | null };

/** What the worker posts. */
export type JobMessage =
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'done'; readonly outcome: JobOutcome }
  | { readonly type: 'error'; readonly message: string; readonly code?: string; readonly stack?: string };

/** What the worker is given: the job, and the flag a signal sets (its number; 0 while none came). */
export interface JobData {
  readonly job: RecordingJob;
  readonly signal: SharedArrayBuffer;
  readonly progress: boolean;
}

export interface JobRun {
  readonly outcome: JobOutcome;
  /** The signal that asked the job to stop (it may have finished first), or null. */
  readonly signal: NodeJS.Signals | null;
}

const CAUGHT: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The reason a recording stopped on `signal`, as stamped into the file and said to the user. */
export function interruptReason(signal: number): string | null {
  if (signal === 0) return null;
  const name = CAUGHT.find((s) => constants.signals[s] === signal) ?? `signal ${signal}`;
  return `interrupted (${name}${name === 'SIGINT' ? ', Ctrl-C' : ''})`;
}

/** The job's scenario fields, from a loaded scenario. */
export function jobSource(scenario: Scenario): { source: string; scenarioFile: string } {
  return { source: scenario.source, scenarioFile: scenario.file };
}

/**
 * Run a recording job in a worker thread, stopping it cleanly on SIGINT,
 * SIGTERM or SIGHUP. `onProgress` hears (events, bytes) for a recording and
 * (runs done, of how many) for a sweep. `inThread`: a small job (a fraction
 * of a second), run here rather than pay for a worker's start; a signal that
 * comes while it runs is heard when it is done, the file finished whole.
 */
export async function runRecordingJob(
  job: RecordingJob,
  onProgress?: (done: number, total: number) => void,
  options: { inThread?: boolean } = {},
): Promise<JobRun> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  let received: NodeJS.Signals | null = null;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of CAUGHT) {
    const handler = () => {
      if (received === null) received = signal;
      Atomics.store(flag, 0, constants.signals[signal]);
      // The next one of its kind is not caught: it ends the process at once.
      process.removeListener(signal, handler);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  try {
    const data: JobData = { job, signal: flag.buffer as SharedArrayBuffer, progress: onProgress !== undefined };
    const script = options.inThread ? null : workerScript();
    const outcome = script ? await inWorker(script, data, onProgress) : await inThisThread(data, onProgress);
    // A signal that came while this thread was busy is delivered once its loop runs: let it, before the handlers go.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    return { outcome, signal: received };
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

/** The worker's compiled script beside this module (dist/cli in the bundle, dist/src/cli unbundled), or null when run from source. */
function workerScript(): URL | null {
  const url = new URL('./record-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

function inWorker(script: URL, data: JobData, onProgress?: (done: number, total: number) => void): Promise<JobOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    let outcome: JobOutcome | null = null;
    let failure: Error | null = null;
    worker.on('message', (message: JobMessage) => {
      if (message.type === 'progress') onProgress?.(message.done, message.total);
      else if (message.type === 'done') outcome = message.outcome;
      else failure = Object.assign(new Error(message.message), { code: message.code, stack: message.stack });
    });
    worker.on('error', (error) => {
      failure ??= error;
    });
    worker.on('exit', (code) => {
      if (outcome) resolve(outcome);
      else reject(failure ?? new Error(`the recording worker exited (code ${code}) without a result`));
    });
  });
}

/** A small job, or one without the compiled worker (walkback run from its TypeScript source): the same job here. */
async function inThisThread(data: JobData, onProgress?: (done: number, total: number) => void): Promise<JobOutcome> {
  const { runJob } = await import('./record-worker-job.js');
  return runJob(data, (message) => {
    if (message.type === 'progress') onProgress?.(message.done, message.total);
  });
}
