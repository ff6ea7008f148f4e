// SPDX-License-Identifier: GPL-2.0-only
/**
 * How every view names page-table levels, one convention everywhere: a table
 * is named by the level of the entries it holds (the pmd table is what
 * `alloc pmd` allocates, __pmd_alloc()), an entry by the table it sits in
 * (a pud entry is a slot of the pud table), and an entry that points to a
 * table says which ("-> pmd table"). A folded level has no table of its own:
 * its entry is the slot of the real table above it, and is named as folded
 * ("pgd (p4d folded)" on 4-level x86_64), never as if it had a table.
 */
import type { LevelIndex, LevelName } from '../events/walk-event.js';
import { LEVELS } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';

/** A walker level as a place: 'pmd', or 'p4d (folded into pgd)' for a level with no table of its own. */
export function walkerLevelName(g: Geometry, level: LevelName): string {
  const i = LEVELS.indexOf(level) as LevelIndex;
  return g.real[i] ? level : `${level} (folded into ${LEVELS[g.slotTable[i]!]})`;
}

/** The entry of walker level `level` by the table it sits in: 'pmd entry', or 'pgd entry (pmd folded)' on i386. */
export function entryOfLevel(g: Geometry, level: LevelName): string {
  const i = LEVELS.indexOf(level) as LevelIndex;
  const table = g.slotTable[i]!;
  return table === i ? `${level} entry` : `${LEVELS[table]} entry (${level} folded)`;
}

/** 'levels pgd, pud, pmd, pte; p4d folded': a geometry's tables, said once above a listing. */
export function levelsLine(g: Geometry): string {
  const real = LEVELS.filter((_, i) => g.real[i]);
  const folded = LEVELS.filter((_, i) => !g.real[i]);
  return `levels ${real.join(', ')}${folded.length ? `; ${folded.join(', ')} folded` : ''}`;
}
