// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a recording will cost, said before it is made: check prints it, and
 * record, run and sweep refuse a walk whose file would pass the default cap
 * unless --max-size says how much is fine.
 */
import { estimateRecordingBytes, estimateSweepBytes } from '../recorder/estimate-size.js';
import type { Scenario } from '../scenario/scenario.js';
import { estimateEvents } from '../walker/estimate-events.js';
import type { EventEstimate } from '../walker/estimate-events.js';
import { UsageError } from './errors.js';
import { formatBytes } from './output.js';

/** The size above which record, run and sweep refuse a walk unless --max-size is given. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;

/** Below this many events a recording is made on the main thread: a worker would cost more than the walk (see recording-job.ts). */
export const IN_THREAD_EVENTS = 1_000_000;

export interface Budget {
  readonly estimate: EventEstimate;
  /** The file's size, about (at most about, for an upper bound). */
  readonly bytes: number;
}

export function recordingBudget(scenario: Scenario, sweep?: { pteMap: boolean }): Budget {
  const estimate = estimateEvents(scenario);
  const source = Buffer.byteLength(scenario.source);
  const bytes = sweep ? estimateSweepBytes(estimate, scenario.geometry, sweep.pteMap, source) : estimateRecordingBytes(estimate, scenario.geometry, source);
  return { estimate, bytes };
}

/** "about 17 events, a recording of about 68.0 KiB", or with "at most" and why for an upper bound. */
export function describeBudget(budget: Budget, what = 'a recording'): string {
  const { estimate, bytes } = budget;
  const n = estimate.events.toLocaleString('en-US');
  if (estimate.bound === 'exact') return `${n} event${estimate.events === 1 ? '' : 's'}, ${what} of about ${formatBytes(bytes)}`;
  return `at most ${n} events (${estimate.why}), ${what} of at most about ${formatBytes(bytes)}`;
}

/** A --max-size that would let it through, rounded up: 200M, 170G. */
export function sizeToAllow(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 4, 'T'],
    [1024 ** 3, 'G'],
    [1024 ** 2, 'M'],
  ];
  const [unit, name] = units.find(([u]) => bytes * 1.25 >= u) ?? units[units.length - 1]!;
  return `${Math.ceil((bytes * 1.25) / unit)}${name}`;
}

/**
 * Refuse, in one line naming the estimate, the cap and the flag, a recording
 * (or sweep) that would pass the default cap when no --max-size was given.
 */
export function refuseAboveDefaultCap(scenario: Scenario, budget: Budget, maxSize: string | undefined, what: 'recording' | 'sweep'): void {
  if (maxSize !== undefined || budget.bytes <= DEFAULT_MAX_BYTES) return;
  const { estimate } = budget;
  const about = estimate.bound === 'exact' ? 'about' : 'at most about';
  throw new UsageError(
    `${scenario.file}: the ${what} would be ${about} ${formatBytes(budget.bytes)} (${estimate.bound === 'exact' ? '' : 'at most '}${estimate.events.toLocaleString('en-US')} events), above the default cap of ${formatBytes(DEFAULT_MAX_BYTES)}; pass --max-size ${sizeToAllow(budget.bytes)} to ${what === 'sweep' ? 'sweep' : 'record'} it anyway, or narrow the walk`,
  );
}
