// SPDX-License-Identifier: GPL-2.0-only
import { writeSync } from 'node:fs';
/**
 * Buffered text output: one write per ~64 KiB, so a million-line trace costs
 * a few dozen writes. To standard output by default, or to any sink (a file
 * descriptor, written whole each time).
 */
const CHUNK = 64 * 1024;

export class LineWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly sink: (text: string) => void = (text) => process.stdout.write(text)) {}

  /** A writer to a file descriptor (synchronous, every byte written). */
  static toFd(fd: number): LineWriter {
    return new LineWriter((text) => {
      const bytes = Buffer.from(text);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    });
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Text as it is (no newline added). */
  write(text: string): void {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.sink(this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }
}

/** A reader who closes the pipe (walkback trace x | head) is not an error. */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** A byte count for people: 80.0 KiB, 2.6 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Rows as aligned columns, two spaces apart, the last column left ragged. */
export function alignColumns(table: string[][]): string {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
