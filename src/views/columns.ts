// SPDX-License-Identifier: GPL-2.0-only
/**
 * Rows as aligned columns, two spaces apart, the last column left ragged,
 * written as they come. The widths are those of the first block of rows (the
 * header and up to `block` rows, held until the block is full); past it, a
 * wider cell widens its column from that row on, so memory stays bounded
 * whatever the number of rows. A table within one block is aligned exactly.
 */
import type { TextSink } from './text-sink.js';
import { StringSink } from './text-sink.js';

/** Rows held to measure the columns before the first is written. */
export const ALIGN_BLOCK_ROWS = 1000;

export class ColumnWriter {
  private held: string[][] | null = [];
  private readonly widths: number[] = [];

  constructor(
    private readonly out: TextSink,
    private readonly block = ALIGN_BLOCK_ROWS,
  ) {}

  row(cells: readonly string[]): void {
    if (this.held) {
      this.measure(cells);
      this.held.push([...cells]);
      if (this.held.length > this.block) this.release();
      return;
    }
    this.measure(cells);
    this.write(cells);
  }

  /** Write whatever is held. */
  end(): void {
    if (this.held) this.release();
  }

  private release(): void {
    const held = this.held!;
    this.held = null;
    for (const cells of held) this.write(cells);
  }

  private measure(cells: readonly string[]): void {
    for (let i = 0; i < cells.length; i++) if (cells[i]!.length > (this.widths[i] ?? 0)) this.widths[i] = cells[i]!.length;
  }

  private write(cells: readonly string[]): void {
    let line = '';
    for (let i = 0; i < cells.length; i++) line += i === cells.length - 1 ? cells[i] : `${cells[i]!.padEnd(this.widths[i]!)}  `;
    this.out.write(`${line.trimEnd()}\n`);
  }
}

/** A small table (every row in memory) as aligned text. */
export function alignColumns(table: readonly (readonly string[])[]): string {
  const out = new StringSink();
  const columns = new ColumnWriter(out, Infinity);
  for (const row of table) columns.row(row);
  columns.end();
  return out.toString();
}
