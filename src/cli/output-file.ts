// SPDX-License-Identifier: GPL-2.0-only
/** Where a new recording goes: named after its scenario, never over an existing one unless asked, never over its input. */
import { existsSync, fstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { STDIN_NAME } from '../scenario/load-scenario.js';
import { writerLockHeld } from '../recorder/writer-lock.js';
import type { Scenario } from '../scenario/scenario.js';
import { RuntimeError, UsageError } from './errors.js';

export interface OutputFlags {
  readonly output?: string;
  readonly force?: boolean;
}

/** The longest stem a default name gets, in UTF-8 bytes: with `-sweep-NNN.db` it stays far below NAME_MAX (255). */
const MAX_STEM_BYTES = 100;

/**
 * A scenario's name as a file name: letters, digits, `.`, `_` and `-` kept
 * (any script), every run of anything else (slashes, spaces, control
 * characters) one `-`; no leading dot (no hidden files, no `..`); at most
 * MAX_STEM_BYTES bytes; `recording` when nothing is left.
 */
export function safeFileStem(name: string): string {
  const trim = (s: string) => s.replace(/^[-.]+|[-.]+$/g, '');
  let stem = trim(name.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '-'));
  if (Buffer.byteLength(stem) > MAX_STEM_BYTES) {
    // Cut on a code point, never inside one.
    const points = [...stem];
    while (Buffer.byteLength(points.join('')) > MAX_STEM_BYTES) points.pop();
    stem = trim(points.join(''));
  }
  return stem || 'recording';
}

/** DIR/<name><suffix>.db, or <name><suffix>-2.db, -3 ... when it exists. */
export function defaultOutput(scenario: Scenario, dir = 'recordings', suffix = ''): string {
  const base = `${safeFileStem(scenario.name)}${suffix}`;
  let path = join(dir, `${base}.db`);
  for (let i = 2; existsSync(path); i++) path = join(dir, `${base}-${i}.db`);
  return path;
}

/**
 * -o FILE (replaced only with --force), or a new name in recordings/ (made if
 * need be); never the scenario being recorded (through any path or link).
 * -o names a file in a directory that exists: a directory, or a path through
 * directories that do not exist (a typo), is refused rather than written into
 * or made.
 */
export function chooseOutput(scenario: Scenario, flags: OutputFlags, suffix = ''): string {
  const input = [{ file: scenario.file, kind: 'scenario' as const }];
  if (flags.output === undefined) {
    const output = defaultOutput(scenario, 'recordings', suffix);
    refuseOutputOverInput(output, input, { sqlite: true });
    return output;
  }
  const out = flags.output;
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError(`-o ${out}: is a directory; name the file to write, e.g. -o ${defaultOutput(scenario, out, suffix)}`);
  const dir = dirname(out) || '.';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`-o ${out}: there is no directory ${dir}; create it first, or choose another -o`);
  refuseOutputOverInput(out, input, { sqlite: true });
  if (existsSync(out) && !flags.force) throw new UsageError(`${out} exists; pass --force to replace it, or choose another -o`);
  return out;
}

/** Make way for a recording at `file`: its directory made, an old file there (and its WAL files) removed. */
export function prepareOutput(file: string): void {
  // Never from under a writer at work: what it has recorded would be lost.
  if (writerLockHeld(file)) throw new UsageError(`${file} is being written by another walkback process; wait for it to finish, or choose another -o`);
  try {
    mkdirSync(dirname(file) || '.', { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  } catch (error) {
    throw outputError(file, error);
  }
}

/** A failure to make way for or create an output file, in one line: a bad name is bad usage (2), the rest a runtime failure (1). */
export function outputError(file: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENAMETOOLONG':
      return new UsageError(`cannot write ${file}: the name is too long for the file system; choose a shorter -o`);
    case 'ENOTDIR':
    case 'EEXIST':
      return new UsageError(`cannot write ${file}: a part of its directory is a file, not a directory; choose another -o`);
    case 'EISDIR':
      return new UsageError(`cannot write ${file}: it is a directory; choose another -o`);
    default:
      return new RuntimeError(`cannot write ${file}: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  }
}

/** A file a command reads: a scenario (read whole first) or a recording (with its -wal and -shm while written). */
export interface InputFile {
  /** A path, or STDIN_NAME (what standard input is, when it is a file). */
  readonly file: string;
  readonly kind: 'scenario' | 'recording';
}

/**
 * Refuse to write `output` where that would destroy an input: the same file
 * (device and inode, so through any path, symbolic or hard link), or, for a
 * SQLite output (`sqlite`: its -wal and -shm are made and removed too) or a
 * recording input, one of their -wal/-shm siblings. Throws UsageError.
 */
export function refuseOutputOverInput(output: string, inputs: readonly InputFile[], options: { sqlite?: boolean } = {}): void {
  const written = options.sqlite ? [output, `${output}-wal`, `${output}-shm`] : [output];
  for (const input of inputs) {
    const read = input.kind === 'recording' ? [input.file, `${input.file}-wal`, `${input.file}-shm`] : [input.file];
    for (const target of written) {
      const targetStat = statOrNull(target);
      if (!targetStat) continue;
      for (const source of read) {
        const sourceStat = source === STDIN_NAME ? fstatOrNull(0) : statOrNull(source);
        if (!sourceStat || sourceStat.dev !== targetStat.dev || sourceStat.ino !== targetStat.ino) continue;
        const what = source === STDIN_NAME ? `the ${input.kind} on standard input` : source === input.file ? `the ${input.kind} ${input.file}` : `the write-ahead file ${source} of the recording ${input.file}`;
        const how = target === output ? `is ${what}${source === STDIN_NAME || target === source ? '' : ' (the same file)'}` : `would replace ${target}, which is ${what}`;
        throw new UsageError(`-o ${output} ${how}: writing it would destroy its input; choose another -o`);
      }
    }
  }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function fstatOrNull(fd: number): Stats | null {
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? stat : null;
  } catch {
    return null;
  }
}
