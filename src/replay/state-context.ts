// SPDX-License-Identifier: GPL-2.0-only
/**
 * The small part of a WalkState (everything but the page tables), as the
 * JSON a checkpoint stores. Numbers round-trip exactly through JSON, 64-bit
 * addresses included (JSON keeps the shortest text that reads back the same).
 */
import { LEVELS, WALK_APIS } from '../events/walk-event.js';
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

const PHASES: readonly WalkState['phase'][] = ['setup', 'walking', 'returned', 'done', 'oops', 'livelock'];
const COUNT_KEYS: readonly (keyof WalkState['counts'])[] = ['callbacks', 'holes', 'allocs', 'allocFails', 'installs', 'splits', 'zaps', 'cleared', 'pteMapFails'];

/**
 * A checkpoint's context as read back (JSON.parse'd): a StateContext, or
 * null when it is not one (a damaged recording) - never a half-shaped object
 * that fails later, far from where it was read.
 */
export function asContext(value: unknown): StateContext | null {
  const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
  const isAddr = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value)) return null;
  const c = value;
  if (!isInt(c.seq) || c.seq < -1) return null;
  if (!Array.isArray(c.vmas) || !c.vmas.every((v) => Array.isArray(v) && v.length === 4 && isAddr(v[0]) && isAddr(v[1]) && v[0] < v[1] && isInt(v[2]) && isAddr(v[3]))) return null;
  if (c.walk !== null && !(isObject(c.walk) && (WALK_APIS as readonly unknown[]).includes(c.walk.api) && isAddr(c.walk.start) && isAddr(c.walk.end))) return null;
  if (!isInt(c.walks) || c.walks < 0) return null;
  if (!isInt(c.vma) || c.vma < -1 || c.vma >= c.vmas.length) return null;
  if (!PHASES.includes(c.phase as WalkState['phase'])) return null;
  if ((c.ret !== null && !isInt(c.ret)) || (c.clientRet !== null && !isInt(c.clientRet))) return null;
  if (c.at !== null && !(isObject(c.at) && (c.at.level === null || (LEVELS as readonly unknown[]).includes(c.at.level)) && isAddr(c.at.addr))) return null;
  if (c.reached !== null && !isAddr(c.reached)) return null;
  if (!isObject(c.counts) || !COUNT_KEYS.every((k) => isInt((c.counts as Record<string, unknown>)[k]))) return null;
  return c as unknown as StateContext;
}
