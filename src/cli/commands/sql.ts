// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback sql REC "SELECT ...": any read-only SQL over a recording, with its
 * events as a table. Rows are written as SQLite yields them, at the reader's
 * pace; integers are exact (BigInt) in every format.
 */
import { Recording } from '../../replay/open-recording.js';
import { RecordingError } from '../../replay/recording-error.js';
import { registerEventsTable } from '../../views/sql/events-table.js';
import { writeRows } from '../../views/sql/format-rows.js';
import { UsageError } from '../errors.js';
import { parseRun, runOption } from '../inputs.js';
import { LineWriter } from '../output.js';

const TABLES = 'events, notable_events, notable, meta, recording, checkpoints, chunks, table_versions';

function queryFailed(file: string, error: unknown): UsageError {
  const message = (error as Error).message;
  return new UsageError(`${file}: the query failed: ${message}${/no such table/.test(message) ? ` (tables: ${TABLES})` : ''}`);
}

/** An error of SQLite's while the rows are read (a bug in walkback, or a damaged recording, is not one). */
const isSqliteError = (error: unknown): boolean => error instanceof Error && error.name === 'SqliteError';

/** The rows, an error of the query itself (not of whoever reads them) reported as one. */
function* reported(rows: Iterator<unknown[]>, file: string): Generator<unknown[]> {
  try {
    for (;;) {
      let next: IteratorResult<unknown[]>;
      try {
        next = rows.next();
      } catch (error) {
        throw isSqliteError(error) ? queryFailed(file, error) : error;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    rows.return?.();
  }
}

export function sqlCommand(file: string, query: string, flags: { json?: boolean; csv?: boolean; run?: string }): void {
  const run = parseRun(flags.run);
  const recording = Recording.open(file);
  // The events table decodes chunks while a query runs (those of run K of a sweep): through a connection of its own.
  const source = Recording.open(file, runOption(run));
  try {
    registerEventsTable(recording.database, source);
    let result: ReturnType<Recording['query']>;
    try {
      result = recording.query(query);
    } catch (error) {
      throw error instanceof RecordingError ? error : queryFailed(file, error);
    }
    const out = new LineWriter();
    writeRows(out, result.columns, reported(result.rows, file), flags.json ? 'json' : flags.csv ? 'csv' : 'table');
    out.flush();
  } finally {
    source.close();
    recording.close();
  }
}
