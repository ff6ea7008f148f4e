// SPDX-License-Identifier: GPL-2.0-only
/** What can go wrong on the kernel side of `walkback verify`, each a one-line message. */
import { ScenarioError } from '../scenario/errors.js';

/**
 * A program the running kernel cannot run, or a start state no operation
 * makes: names the step or state item and says why (exit 2, as any bad
 * scenario). `item` is how the scenario names it: `steps[3]`, `state[1]`,
 * `vmas`, `faults`, `arch`.
 */
export class KernelRefusal extends ScenarioError {
  override readonly name = 'KernelRefusal';
  readonly item: string;

  constructor(problem: string, where: { file: string; item: string; line?: number | null; col?: number | null }) {
    super(problem, { file: where.file, line: where.line ?? null, col: where.col ?? null, field: where.item });
    this.item = where.item;
  }
}

/**
 * The kernel run itself failed: the runner crashed, timed out or broke its
 * protocol. `step` is the index (in `steps:`) of the step it was running, or
 * null when it failed before the first step (exit 1: a runtime failure).
 */
export class KernelRunError extends Error {
  override readonly name = 'KernelRunError';

  constructor(
    message: string,
    readonly step: number | null,
  ) {
    super(message);
  }
}

/** The runner could not be compiled: no C compiler, or the compiler failed (exit 1). */
export class RunnerBuildError extends Error {
  override readonly name = 'RunnerBuildError';
}
