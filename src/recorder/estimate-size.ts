// SPDX-License-Identifier: GPL-2.0-only
/**
 * How big a recording of a run will be, from its event estimate
 * (walker/estimate-events.ts), before it is written: the schema and set-up
 * pages; about 1.9 bytes an event (the encoded events, notable rows and
 * checkpoints: 1.6 for pte_entry over present pages, 1.8 for an install, 2.2
 * where tables are written again and again, as a guard remove clears them);
 * and a stored copy of each table, one byte an entry, for every table the
 * scenario's state sets up and every table the walk allocates.
 * test/unit/walker/estimate-events.test.ts holds it to real recordings.
 */
import type { Geometry } from '../mm/geometry.js';
import type { EventEstimate } from '../walker/estimate-events.js';

/** An empty recording: schema, metadata, the first checkpoint (measured: 68 KiB for the demo's 17 events). */
const FIXED_BYTES = 64 * 1024;
const BYTES_PER_EVENT = 1.9;
/** What each failure point of a sweep adds (its run row, fork checkpoint, tables and tail: 2.8 KiB over 514 points of a 1 GiB install). */
const BYTES_PER_SWEEP_POINT = 3 * 1024;

/** The recording's size in bytes, about (at most about, when the events are an upper bound). */
export function estimateRecordingBytes(estimate: EventEstimate, geometry: Geometry, sourceBytes = 0): number {
  // Allocated tables are nearly all PTE tables.
  const tables = estimate.stateTables.reduce((sum, n, level) => sum + n * geometry.ptrs[level]!, 0) + estimate.allocations * geometry.ptrs[4]!;
  return Math.round(FIXED_BYTES + sourceBytes + estimate.events * BYTES_PER_EVENT + tables);
}

/** A sweep's file: the fault-free run, and a branch for each failure point (every allocation; with pte_map, every pte_offset_map_lock() too). */
export function estimateSweepBytes(estimate: EventEstimate, geometry: Geometry, pteMap: boolean, sourceBytes = 0): number {
  const points = estimate.allocations + (pteMap ? estimate.pteMaps : 0);
  return estimateRecordingBytes(estimate, geometry, sourceBytes) + points * BYTES_PER_SWEEP_POINT;
}
