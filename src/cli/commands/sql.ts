// SPDX-License-Identifier: GPL-2.0-only
/** walkback sql REC "SELECT ...": any read-only SQL over a recording, with its events as a table. */
import { Recording } from '../../replay/open-recording.js';
import { registerEventsTable } from '../../views/sql/events-table.js';
import { UsageError } from '../errors.js';
import { parseRun, runOption } from '../inputs.js';
import { alignColumns } from '../output.js';

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
    let result: { columns: string[]; rows: unknown[][] };
    try {
      result = recording.query(query);
    } catch (error) {
      const message = (error as Error).message;
      throw new UsageError(`${file}: the query failed: ${message}${/no such table/.test(message) ? ' (tables: events, notable_events, notable, meta, recording, checkpoints, chunks, table_versions)' : ''}`);
    }
    const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `<${v.length} bytes>` : String(v));
    if (flags.json) {
      const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, typeof row[i] === 'bigint' ? Number(row[i]) : Buffer.isBuffer(row[i]) ? null : row[i]])));
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    } else if (flags.csv) {
      const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      process.stdout.write([result.columns, ...result.rows.map((r) => r.map(cell))].map((r) => r.map(quote).join(',')).join('\n') + '\n');
    } else {
      process.stdout.write(alignColumns([result.columns, ...result.rows.map((r) => r.map(cell))]));
    }
  } finally {
    source.close();
    recording.close();
  }
}
