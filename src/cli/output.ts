// SPDX-License-Identifier: GPL-2.0-only
/** Buffered line output to stdout: one write per ~64 KiB, so a million-line trace costs a few dozen writes. */
const CHUNK = 64 * 1024;

export class LineWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  line(text: string): void {
    this.buffer.push(text);
    this.size += text.length + 1;
    if (this.size >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.stream.write(this.buffer.join('\n') + '\n');
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
