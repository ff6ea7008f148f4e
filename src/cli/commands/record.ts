// SPDX-License-Identifier: GPL-2.0-only
/** walkback record SCENARIO [-o FILE]: run the walk and record it while it flows. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadScenario, openRecording, record } from '../../index.js';
import type { RecordResult, Scenario } from '../../index.js';
import { formatSummary } from '../../views/show/show.js';
import { RuntimeError, UsageError } from '../errors.js';
import { parseSize } from '../sizes.js';

export interface RecordFlags {
  readonly output?: string;
  readonly force?: boolean;
  readonly maxSize?: string;
}

/** recordings/<name>.db, or <name>-2.db, -3 ... when it exists (a recording is never overwritten unasked). */
export function defaultOutput(scenario: Scenario, dir = 'recordings'): string {
  const base = scenario.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'recording';
  let path = join(dir, `${base}.db`);
  for (let i = 2; existsSync(path); i++) path = join(dir, `${base}-${i}.db`);
  return path;
}

export function chooseOutput(scenario: Scenario, flags: RecordFlags): string {
  if (flags.output === undefined) return defaultOutput(scenario);
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) return defaultOutput(scenario, flags.output);
    if (!flags.force) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
  }
  return flags.output;
}

/** Record a scenario to a file, with a progress line on a terminal. Throws RuntimeError if the file could not be written whole. */
export async function recordScenario(scenario: Scenario, file: string, flags: RecordFlags = {}): Promise<RecordResult> {
  mkdirSync(dirname(file) || '.', { recursive: true });
  if (flags.force && existsSync(file)) {
    const { rmSync } = await import('node:fs');
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
  const progress = process.stderr.isTTY
    ? (events: number, bytes: number) => process.stderr.write(`\rrecording ${scenario.name}: ${events.toLocaleString('en-US')} events, ${(bytes / 1e6).toFixed(1)} MB`)
    : undefined;
  const maxBytes = flags.maxSize !== undefined ? parseSize(flags.maxSize, '--max-size') : undefined;
  let result: RecordResult;
  try {
    result = await record(scenario, file, {
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
  } catch (error) {
    throw new RuntimeError(`${file}: cannot write the recording: ${(error as Error).message}`);
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
  }
  if (result.status === 'incomplete')
    throw new RuntimeError(
      `${file}: the recording stopped after ${result.committed.toLocaleString('en-US')} events: ${result.error}; what was written is kept (status incomplete) and replays`,
    );
  return result;
}

export async function recordCommand(scenarioFile: string, flags: RecordFlags): Promise<void> {
  if (flags.maxSize !== undefined) parseSize(flags.maxSize, '--max-size');
  const scenario = loadScenario(scenarioFile);
  const file = chooseOutput(scenario, flags);
  const result = await recordScenario(scenario, file, flags);
  process.stdout.write(describeResult(result));
}

export function describeResult(result: RecordResult): string {
  const size = statSync(result.file).size;
  const outcome =
    result.status === 'complete' ? 'complete (ret 0)' : result.end === 'returned' ? `aborted (ret ${result.ret})` : `aborted (${result.end})`;
  const recording = openRecording(result.file);
  try {
    const lines = recording.length ? formatSummary(recording.summary()) : [];
    return `recorded ${result.file}: ${result.events.toLocaleString('en-US')} events, ${formatBytes(size)}, ${outcome}\n${lines.join('\n')}\n`;
  } finally {
    recording.close();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
