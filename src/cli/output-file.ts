// SPDX-License-Identifier: GPL-2.0-only
/** Where a new recording goes: named after its scenario, never over an existing one unless asked. */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/**
 * -o FILE (replaced only with --force), or a new name in recordings/ (made if
 * need be). -o names a file in a directory that exists: a directory, or a
 * path through directories that do not exist (a typo), is refused rather than
 * written into or made.
 */
export function chooseOutput(scenario: Scenario, flags: OutputFlags, suffix = ''): string {
  if (flags.output === undefined) return defaultOutput(scenario, 'recordings', suffix);
  const out = flags.output;
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError(`-o ${out}: is a directory; name the file to write, e.g. -o ${defaultOutput(scenario, out, suffix)}`);
  const dir = dirname(out) || '.';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`-o ${out}: there is no directory ${dir}; create it first, or choose another -o`);
  if (existsSync(out) && !flags.force) throw new UsageError(`${out} exists; pass --force to replace it, or choose another -o`);
  return out;
}

/** Make way for a recording at `file`: its directory made, an old file there (and its WAL files) removed. */
export function prepareOutput(file: string): void {
  mkdirSync(dirname(file) || '.', { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}
