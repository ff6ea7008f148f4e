// SPDX-License-Identifier: GPL-2.0-only
/**
 * Everything the CLI writes to standard output (and the files export writes)
 * goes through here: synchronous writes, each of which returns only when the
 * kernel has taken every byte. A reader slower than walkback (a pipe into
 * `less`, `jq`, a slow consumer) therefore holds the producer back, whatever
 * it is (the walker, a recording's events, a SQL query's rows): memory stays
 * bounded by one buffer, and nothing is queued inside Node. When the reader
 * goes (`| head -1`), the next write fails with EPIPE and ReaderGone unwinds
 * the command at once; main exits 0 without a word.
 *
 * process.stdout is deliberately never touched: for a pipe, Node would make
 * the file description non-blocking and queue without bound. Standard output
 * can still be non-blocking (set by another process sharing the pipe, or by
 * `2>&1` and a write to process.stderr): a write then fails with EAGAIN, and
 * we sleep briefly (Atomics.wait, growing from 50 µs to 10 ms) and try again.
 * Measured: 200 MB into `wc -l` in ~0.17 s through a blocking pipe, ~0.25 s
 * through a non-blocking one, against ~0.6 s for the walker to make a trace
 * of that size.
 */
import { writeSync } from 'node:fs';
import { RuntimeError } from './errors.js';

/** The reader of standard output has gone (EPIPE): not an error; the command stops where it is. */
export class ReaderGone extends Error {
  constructor() {
    super('the reader of standard output has gone');
  }
}

const FIRST_PAUSE_MS = 0.05;
const LAST_PAUSE_MS = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Write all of `bytes` to `fd`, waiting while a non-blocking pipe is full. `what` names it in errors. */
export function writeFully(fd: number, bytes: Uint8Array, what: string): void {
  let pause = FIRST_PAUSE_MS;
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
      pause = FIRST_PAUSE_MS;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        Atomics.wait(sleeper, 0, 0, pause);
        pause = Math.min(2 * pause, LAST_PAUSE_MS);
      } else if (code === 'EPIPE' && fd === 1) throw new ReaderGone();
      else if (code) throw new RuntimeError(`cannot write ${what}: ${(error as Error).message}`);
      else throw error;
    }
  }
}

/** Text to standard output, whole (for what is small or already made). */
export function writeStdout(text: string): void {
  writeFully(1, Buffer.from(text), 'to standard output');
}

const CHUNK = 64 * 1024;

/**
 * Buffered text output: one write per ~64 KiB, so a million-line trace costs
 * a few hundred writes. To standard output by default, or to any sink.
 */
export class LineWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly sink: (text: string) => void = writeStdout) {}

  /** A writer to a file descriptor; `what` names it in errors ("to standard output", "walk.json"). */
  static toFd(fd: number, what: string): LineWriter {
    return new LineWriter((text) => writeFully(fd, Buffer.from(text), what));
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
    const text = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    this.sink(text);
  }
}

/** A byte count for people: 80.0 KiB, 2.6 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
