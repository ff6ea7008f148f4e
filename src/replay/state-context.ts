// SPDX-License-Identifier: GPL-2.0-only
/**
 * The small part of a WalkState (everything but the page tables), as the
 * JSON a checkpoint stores. Numbers round-trip exactly through JSON, 64-bit
 * addresses included (JSON keeps the shortest text that reads back the same).
 */
import type { Geometry } from '../mm/geometry.js';
import type { PageTables } from '../mm/page-tables.js';
import type { Vma } from '../mm/vmas.js';
import type { WalkState } from './walk-state.js';

export interface StateContext {
  readonly seq: number;
  readonly vmas: readonly (readonly [number, number, number, number])[];
  readonly walk: WalkState['walk'];
  readonly walks: number;
  /** Index of walk->vma in vmas, or -1. */
  readonly vma: number;
  readonly phase: WalkState['phase'];
  readonly ret: number | null;
  readonly clientRet: number | null;
  readonly at: WalkState['at'];
  readonly reached: number | null;
  readonly counts: WalkState['counts'];
}

export function toContext(s: WalkState): StateContext {
  return {
    seq: s.seq,
    vmas: s.vmas.map((v) => [v.start, v.end, v.flags, v.hugetlb] as const),
    walk: s.walk,
    walks: s.walks,
    vma: s.vma ? s.vmas.findIndex((v) => v.start === s.vma!.start) : -1,
    phase: s.phase,
    ret: s.ret,
    clientRet: s.clientRet,
    at: s.at,
    reached: s.reached,
    counts: s.counts,
  };
}

export function fromContext(c: StateContext, geometry: Geometry, tables: PageTables): WalkState {
  const vmas: Vma[] = c.vmas.map(([start, end, flags, hugetlb]) => ({ start, end, flags, hugetlb }));
  return {
    seq: c.seq,
    geometry,
    tables,
    vmas,
    walk: c.walk,
    walks: c.walks,
    vma: c.vma >= 0 ? vmas[c.vma] ?? null : null,
    phase: c.phase,
    ret: c.ret,
    clientRet: c.clientRet,
    at: c.at,
    reached: c.reached,
    counts: c.counts,
  };
}
