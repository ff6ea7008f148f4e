// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fault injection. Not in the kernel: the model's stand-in for fail-nth.
 * Allocations and pte_offset_map_lock() calls are counted across the whole
 * scenario (every walk of a client), and the faults name which of them fail.
 */
import type { LevelIndex } from '../events/walk-event.js';
import { LEVELS } from '../events/walk-event.js';
import type { Fault } from '../scenario/scenario.js';

export class FaultPlan {
  /** Allocation attempts so far, all levels. */
  allocations = 0;
  /** Allocation attempts so far, per table level. */
  readonly allocationsAt = [0, 0, 0, 0, 0];
  /** pte_offset_map_lock() calls so far. */
  pteMaps = 0;
  private readonly allocFaults: { nth: number; level: number }[] = [];
  private readonly pteMapFaults = new Set<number>();

  /**
   * `onPoint`, when given, hears of every point where a fault could be
   * injected (an allocation, a pte_offset_map_lock() call), with its number:
   * how a sweep finds them.
   */
  constructor(
    faults: readonly Fault[],
    private readonly onPoint?: (kind: 'alloc' | 'pte_map', nth: number) => void,
  ) {
    for (const fault of faults) {
      if (fault.kind === 'alloc') this.allocFaults.push({ nth: fault.nth, level: fault.level ? LEVELS.indexOf(fault.level) : -1 });
      else this.pteMapFaults.add(fault.nth);
    }
  }

  /** Count an allocation of a table of `level`; true if it is to fail. */
  allocate(level: LevelIndex): boolean {
    const nth = ++this.allocations;
    const nthAtLevel = ++this.allocationsAt[level]!;
    this.onPoint?.('alloc', nth);
    for (const fault of this.allocFaults) {
      if (fault.level === -1 ? fault.nth === nth : fault.level === level && fault.nth === nthAtLevel) return true;
    }
    return false;
  }

  /** Count a pte_offset_map_lock() call; true if it is to fail. */
  mapPte(): boolean {
    const nth = ++this.pteMaps;
    this.onPoint?.('pte_map', nth);
    return this.pteMapFaults.has(nth);
  }
}
