// SPDX-License-Identifier: GPL-2.0-only
/** Where a new recording goes: named after its scenario, never over an existing one unless asked. */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writerLockHeld } from '../recorder/writer-lock.js';
import type { Scenario } from '../scenario/scenario.js';
import { UsageError } from './errors.js';

export interface OutputFlags {
  readonly output?: string;
  readonly force?: boolean;
}

/** DIR/<name><suffix>.db, or <name><suffix>-2.db, -3 ... when it exists. */
export function defaultOutput(scenario: Scenario, dir = 'recordings', suffix = ''): string {
  const base = `${scenario.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'recording'}${suffix}`;
  let path = join(dir, `${base}.db`);
  for (let i = 2; existsSync(path); i++) path = join(dir, `${base}-${i}.db`);
  return path;
}

/** -o FILE (replaced only with --force), -o DIR (a new name in it), or a new name in recordings/. */
export function chooseOutput(scenario: Scenario, flags: OutputFlags, suffix = ''): string {
  if (flags.output === undefined) return defaultOutput(scenario, 'recordings', suffix);
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) return defaultOutput(scenario, flags.output, suffix);
    if (!flags.force) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
  }
  return flags.output;
}

/** Make way for a recording at `file`: its directory made, an old file there (and its WAL files) removed. */
export function prepareOutput(file: string): void {
  // Never from under a writer at work: what it has recorded would be lost.
  if (writerLockHeld(file)) throw new UsageError(`${file} is being written by another walkback process; wait for it to finish, or choose another -o`);
  mkdirSync(dirname(file) || '.', { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}
