// SPDX-License-Identifier: GPL-2.0-only
/**
 * The rows of a `walkback sql` query as text, written row by row as SQLite
 * hands them over: an aligned table (see ../columns.ts for its widths), CSV,
 * or a JSON array of objects. Integers come as BigInt (the statement reads
 * safe integers) and are printed with all their digits in every format.
 */
import { ColumnWriter } from '../columns.js';
import { jsonScalar } from '../json-text.js';
import type { TextSink } from '../text-sink.js';

export type RowFormat = 'table' | 'csv' | 'json';

const isBlob = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** A value as a table or CSV cell: NULL is empty, a blob is its size. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return v.toString();
  if (isBlob(v)) return `<${v.length} bytes>`;
  return String(v);
}

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A value as JSON: integers exact, a blob null. */
const jsonValue = (v: unknown): string => (isBlob(v) ? 'null' : (jsonScalar(v ?? null) ?? 'null'));

export function writeRows(out: TextSink, columns: readonly string[], rows: Iterable<readonly unknown[]>, format: RowFormat): void {
  if (format === 'csv') {
    out.write(`${columns.map(csvField).join(',')}\n`);
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < row.length; i++) line += (i ? ',' : '') + csvField(cellText(row[i]));
      out.write(`${line}\n`);
    }
    return;
  }
  if (format === 'json') return writeJsonRows(out, columns, rows);
  const table = new ColumnWriter(out);
  table.row(columns);
  for (const row of rows) table.row(row.map(cellText));
  table.end();
}

/**
 * A JSON array of one object per row, as JSON.stringify(rows, null, 2) would
 * print it. Two columns of one name are one key (the later column's value, at
 * the earlier one's place), as in an object built from the row.
 */
function writeJsonRows(out: TextSink, columns: readonly string[], rows: Iterable<readonly unknown[]>): void {
  const last = new Map<string, number>();
  columns.forEach((name, i) => last.set(name, i));
  const keys = [...last.entries()].map(([name, i]) => ({ prefix: `    ${JSON.stringify(name)}: `, i }));
  let first = true;
  for (const row of rows) {
    let text = first ? '[\n  {' : ',\n  {';
    first = false;
    for (let k = 0; k < keys.length; k++) text += `${k ? ',' : ''}\n${keys[k]!.prefix}${jsonValue(row[keys[k]!.i])}`;
    out.write(keys.length ? `${text}\n  }` : `${text}}`);
  }
  out.write(first ? '[]\n' : '\n]\n');
}
