// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where a view writes its text as it makes it, piece by piece, so that what a
 * command prints is never held whole in memory (the CLI's LineWriter is one:
 * it writes at the reader's pace).
 */
export interface TextSink {
  write(text: string): void;
}

/** A sink that keeps the text, for callers that want it as a string. */
export class StringSink implements TextSink {
  private readonly pieces: string[] = [];

  write(text: string): void {
    this.pieces.push(text);
  }

  toString(): string {
    return this.pieces.join('');
  }
}
