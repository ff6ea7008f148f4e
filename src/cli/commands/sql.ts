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


function queryFailed(file: string, error: unknown, recording: Recording): UsageError {
  const message = (error as Error).message;
  return new UsageError(`${file}: the query failed: ${message}${/no such table/.test(message) ? ` (tables: ${queryableTables(recording)})` : ''}`);
}

/** An error of SQLite's while the rows are read (a bug in walkback, or a damaged recording, is not one). */
const isSqliteError = (error: unknown): boolean => error instanceof Error && error.name === 'SqliteError';

/** The rows, an error of the query itself (not of whoever reads them) reported as one. */
function* reported(rows: Iterator<unknown[]>, file: string, recording: Recording): Generator<unknown[]> {
  try {
    for (;;) {
      let next: IteratorResult<unknown[]>;
      try {
        next = rows.next();
      } catch (error) {
        throw isSqliteError(error) ? queryFailed(file, error, recording) : error;
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
  // A query reads the tables themselves, every run's: all of it is checked against its checksums first.
  try {
    recording.verify();
  } catch (error) {
    recording.close();
    throw error;
  }
  // The events table decodes chunks while a query runs (those of run K of a sweep): through a connection of its own.
  const source = Recording.open(file, runOption(run));
  try {
    registerEventsTable(recording.database, source);
    let result: ReturnType<Recording['query']>;
    try {
      result = recording.query(query);
    } catch (error) {
      // walkback's own refusals name the file already; SQLite's are said as the query's failure.
      throw error instanceof RecordingError ? error : queryFailed(file, error, recording);
    }
    const out = new LineWriter();
    writeRows(out, result.columns, reported(result.rows, file, recording), flags.json ? 'json' : flags.csv ? 'csv' : 'table');
    out.flush();
  } finally {
    source.close();
    recording.close();
  }
}

/** Every table and view a query can read: the events table, and the file's own, as its schema lists them. */
function queryableTables(recording: Recording): string {
  const own = recording.database
    .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
    .pluck()
    .all() as string[];
  return [...new Set(['events', ...own])].join(', ');
}
