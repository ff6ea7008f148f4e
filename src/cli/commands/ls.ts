// SPDX-License-Identifier: GPL-2.0-only
/** walkback ls [DIR]: the recordings in a directory, with status, events, size and return value. */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { Recording, RecordingError } from '../../replay/open-recording.js';
import { UsageError } from '../errors.js';
import { looksLikeRecording } from '../inputs.js';
import { alignColumns } from '../../views/columns.js';
import { formatBytes, writeStdout } from '../output.js';
import { sweepProgress } from '../../sweep/sweep-report.js';

export interface LsRow {
  file: string;
  scenario: string;
  status: string;
  events: number | null;
  size: number;
  ret: number | null;
  created: string;
  /** For a sweep, its failure points (runs besides the fault-free one). */
  points?: number;
}

export function listRecordings(dir: string): LsRow[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${dir}: ${code === 'ENOENT' ? 'no such directory (walkback record writes to recordings/)' : code === 'ENOTDIR' ? 'is not a directory' : code === 'ELOOP' ? 'is a loop of symbolic links' : `cannot be read (${code})`}`,
    );
  }
  const rows: LsRow[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    if (name.endsWith('-wal') || name.endsWith('-shm')) continue;
    // A directory entry may be anything: a broken link, a loop of links, a file gone since readdir.
    let stat: Stats;
    try {
      stat = statSync(file);
    } catch (error) {
      const why = unreachable(file, error as NodeJS.ErrnoException);
      // Only what is named like a recording is worth a row: a broken link to one is news.
      if (why !== null && RECORDING_NAME.test(name)) rows.push({ file, scenario: '', status: `unreadable: ${why}`, events: null, size: 0, ret: null, created: '' });
      continue;
    }
    if (!stat.isFile() || !looksLikeRecording(file)) continue;
    const size = stat.size;
    try {
      const recording = Recording.open(file);
      try {
        const meta = recording.meta();
        const sweep = sweepProgress(recording);
        const { recorded = 0, points = null } = sweep ?? {};
        rows.push({
          file,
          scenario: sweep
            ? `${meta.scenarioName} (sweep: ${points === null ? `${recorded} run${recorded === 1 ? '' : 's'}, failure points not known` : `${points !== recorded ? `${recorded} of ${points}` : points} failure point${points === 1 ? '' : 's'}`})`
            : meta.scenarioName,
          ...(sweep ? { points: recorded } : {}),
          // Cut short by a signal (Ctrl-C): 'interrupted', as a sweep cut short says.
          status: sweep?.interrupted ? 'interrupted' : sweep?.writing ? 'recording' : recording.status() === 'incomplete' && meta.error?.startsWith('interrupted') ? 'interrupted' : recording.status(),
          events: recording.length,
          size,
          ret: meta.clientRet ?? meta.ret,
          created: meta.createdAt,
        });
      } finally {
        recording.close();
      }
    } catch (error) {
      const why = error instanceof RecordingError ? error.message.slice(file.length + 2) : String(error);
      rows.push({ file, scenario: '', status: `unreadable: ${why}`, events: null, size, ret: null, created: '' });
    }
  }
  return rows;
}

const RECORDING_NAME = /\.(db|sqlite3?)$/i;

/** Why an entry that readdir listed cannot be stat'ed, in words; null if it has gone since. */
function unreachable(file: string, error: NodeJS.ErrnoException): string | null {
  let link = false;
  try {
    link = lstatSync(file).isSymbolicLink();
  } catch {
    return null;
  }
  if (link && error.code === 'ENOENT') {
    let target = '';
    try {
      target = ` (to ${readlinkSync(file)})`;
    } catch {
      // Gone since: say what we know.
    }
    return `a broken symbolic link${target}`;
  }
  if (error.code === 'ELOOP') return 'a loop of symbolic links';
  return `cannot be read (${error.code ?? error.message})`;
}

export function lsCommand(dir: string | undefined, flags: { json?: boolean }): void {
  const rows = listRecordings(dir ?? 'recordings');
  if (flags.json) {
    writeStdout(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    writeStdout(`no recordings in ${dir ?? 'recordings'} (walkback record SCENARIO writes one)\n`);
    return;
  }
  const table = [
    ['FILE', 'SCENARIO', 'STATUS', 'EVENTS', 'SIZE', 'RET', 'CREATED'],
    ...rows.map((r) => [r.file, r.scenario, r.status, r.events === null ? '' : r.events.toLocaleString('en-US'), formatBytes(r.size), r.ret === null ? '' : String(r.ret), r.created]),
  ];
  writeStdout(alignColumns(table));
}
