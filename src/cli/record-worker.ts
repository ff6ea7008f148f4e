// SPDX-License-Identifier: GPL-2.0-only
/** The worker thread of a recording job (recording-job.ts): runs it and posts its outcome, or its error. */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob } from './record-worker-job.js';
import type { JobData, JobMessage } from './recording-job.js';

const post = (message: JobMessage) => parentPort!.postMessage(message);

try {
  post({ type: 'done', outcome: await runJob(workerData as JobData, post) });
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  post({ type: 'error', message: e instanceof Error ? e.message : String(error), ...(e.code ? { code: e.code } : {}), ...(e.stack ? { stack: e.stack } : {}) });
}
