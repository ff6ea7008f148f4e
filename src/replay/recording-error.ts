// SPDX-License-Identifier: GPL-2.0-only
/** A file that cannot be replayed: not a recording, damaged, or too new. Reported in one line, exit 2. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A recording that is damaged: what of it cannot be trusted. */
export function damaged(file: string, what: string): RecordingError {
  return new RecordingError(file, `is damaged: ${what}`);
}
