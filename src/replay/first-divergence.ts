// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where two runs part: the first event number at which their events differ
 * (in any field but the number), or at which one ends before the other.
 */
import type { WalkEvent } from '../events/walk-event.js';
import type { EventLog } from './event-log.js';

/** Two events alike but for their numbers. */
export function sameEvent(a: WalkEvent, b: WalkEvent): boolean {
  if (a.type !== b.type) return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (key === 'seq') continue;
    keys++;
    if (x[key] !== y[key]) return false;
  }
  for (const key in y) if (key !== 'seq') keys--;
  return keys === 0;
}

/**
 * The first event number where `a` and `b` differ, or null when they hold the
 * same events. `from`: events before it are known to be alike (a sweep's runs
 * share their stored prefix).
 */
export function firstDivergence(a: EventLog, b: EventLog, from = 0): number | null {
  const common = Math.min(a.length, b.length);
  const step = 4096;
  for (let at = Math.min(from, common); at < common; at += step) {
    const to = Math.min(common, at + step);
    const ys = b.events(at, to)[Symbol.iterator]();
    let seq = at;
    for (const x of a.events(at, to)) {
      const y = ys.next().value as WalkEvent;
      if (!sameEvent(x, y)) return seq;
      seq++;
    }
  }
  return a.length === b.length ? null : common;
}
