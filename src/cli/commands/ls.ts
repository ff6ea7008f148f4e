// SPDX-License-Identifier: GPL-2.0-only
/** walkback ls [DIR]: the recordings in a directory, with status, events, size and return value. */
import { readdirSync, statSync } from 'node:fs';
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
    throw new UsageError(`${dir}: ${code === 'ENOENT' ? 'no such directory (walkback record writes to recordings/)' : code === 'ENOTDIR' ? 'is not a directory' : `cannot be read (${code})`}`);
  }
  const rows: LsRow[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    if (name.endsWith('-wal') || name.endsWith('-shm') || !statSync(file).isFile() || !looksLikeRecording(file)) continue;
    const size = statSync(file).size;
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
          status: sweep?.interrupted ? 'interrupted' : sweep?.writing ? 'recording' : recording.status(),
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
