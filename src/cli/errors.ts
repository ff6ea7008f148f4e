// SPDX-License-Identifier: GPL-2.0-only
/** Errors the CLI reports in one line and an exit code, never as a stack trace. */

/** Bad usage or bad input: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure while doing the work (I/O, a full disk, a database error): exit 1. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

/**
 * A command stopped by a signal (Ctrl-C, SIGTERM), after it finished what it
 * had started cleanly: exit 128 + the signal's number, as a shell reports a
 * process the signal killed (130 for SIGINT, 143 for SIGTERM).
 */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;
