// SPDX-License-Identifier: GPL-2.0-only
/** What the commands take: a scenario or a recording, an event number. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { RecordingLog } from '../replay/event-log.js';
import { Recording } from '../replay/open-recording.js';
import { Replay } from '../replay/replay.js';
import { STDIN } from '../scenario/load-scenario.js';
import { UsageError } from './errors.js';

/**
 * Whether a file starts like a SQLite database (a recording) rather than a
 * scenario. Only a regular file can be one; anything else (a FIFO, a device)
 * is not opened for reading, so it cannot block.
 */
export function looksLikeRecording(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return false;
    const header = Buffer.alloc(16);
    const n = readSync(fd, header, 0, 16, 0);
    return n === 16 && header.toString('latin1') === 'SQLite format 3\0';
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Whether a command that takes a scenario or a recording should read `file` as a recording (its name or its first bytes say so); `-` is a scenario on standard input. */
export function isRecordingInput(file: string): boolean {
  if (file === STDIN) return false;
  return /\.(db|sqlite3?)$/i.test(file) || looksLikeRecording(file);
}

/** Open a recording, noting on stderr when it was written by an older walkback. */
export function openRecording(file: string, options: { run?: number } = {}): Recording {
  const recording = Recording.open(file, options);
  if (recording.upgradedFrom !== null)
    process.stderr.write(`walkback: note: ${file} was written with recording schema ${recording.upgradedFrom}; replaying an upgraded copy (walkback upgrade ${file} upgrades it in place)\n`);
  return recording;
}

export interface OpenedReplay {
  readonly recording: Recording;
  readonly replay: Replay;
}

export function openReplay(file: string, options: { run?: number } = {}): OpenedReplay {
  const recording = openRecording(file, options);
  return { recording, replay: new Replay(new RecordingLog(recording)) };
}

/**
 * An event number as users write it: N (from 0), -N (from the end: -1 is the
 * last event), `start` (-1: before the first) or `end`.
 */
export function parseEventNumber(text: string, length: number, option = '--at'): number {
  const last = length - 1;
  const t = text.trim().toLowerCase();
  let n: number;
  if (t === 'end' || t === 'last') n = last;
  else if (t === 'start' || t === 'begin') n = -1;
  else if (/^-?\d+$/.test(t)) n = Number(t) < 0 ? length + Number(t) : Number(t);
  else throw new UsageError(`${option} ${text}: not an event number; give N (0 to ${last}), -N from the end, start or end`);
  if (n < -1 || n > last) throw new UsageError(`${option} ${text}: the recording has events 0 to ${last}`);
  return n;
}

/** --run K: a run of a sweep (0 is the fault-free base; a plain recording has only 0). */
export function parseRun(text: string | undefined, option = '--run'): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${option} ${text}: not a run number; give 0 (the recorded walk, or a sweep's fault-free run) or a sweep's run number (walkback sweep FILE lists them)`);
  return Number(text);
}

/** --run given with a scenario: runs belong to recordings. */
export function runOfScenario(file: string): UsageError {
  return new UsageError(`--run applies to a recording; ${file} is a scenario (walkback sweep records one run per failure point)`);
}

/** `{ run }` when one was given, for Recording.open. */
export function runOption(run: number | undefined): { run?: number } {
  return run === undefined ? {} : { run };
}
