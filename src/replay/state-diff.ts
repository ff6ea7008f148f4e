// SPDX-License-Identifier: GPL-2.0-only
/**
 * The difference between the page tables of two states: entries added
 * (none -> something), removed (something -> none) and changed, per level,
 * coalesced into runs of neighbouring entries that changed the same way.
 */
import type { Addr, LevelIndex, LevelName } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import { canonicalAddr, ownerLevel } from '../mm/geometry.js';
import type { WalkState } from './walk-state.js';

export interface EntryRun {
  /** The real table the entries are in (its level: a folded level's entries are its real table's). */
  readonly level: LevelName;
  /** The level of the table a table entry of this level points to (the next real level down), or null for pte. */
  readonly child: LevelName | null;
  readonly start: Addr;
  readonly end: Addr;
  /** EntryKind before and after. */
  readonly from: number;
  readonly to: number;
  /** Entries in the run. */
  readonly count: number;
}

export interface StateDiff {
  readonly added: readonly EntryRun[];
  readonly removed: readonly EntryRun[];
  readonly changed: readonly EntryRun[];
  /** Entries that differ, in all. */
  readonly entries: number;
}

/**
 * Compare two states. `candidates`, when given, are the only tables that can
 * differ (from a recording's table versions): a diff of two moments of a long
 * recording then reads a handful of tables instead of all of them.
 */
export function diffStates(a: WalkState, b: WalkState, candidates?: readonly (readonly [LevelIndex, Addr])[]): StateDiff {
  const g = a.geometry;
  const runs: { -readonly [K in keyof EntryRun]: EntryRun[K] }[] = [];
  let entries = 0;
  const add = (name: LevelName, child: LevelName | null, start: Addr, size: number, from: number, to: number, count: number) => {
    entries += count;
    const last = runs[runs.length - 1];
    if (last && last.level === name && last.from === from && last.to === to && last.end === start) {
      last.end = start + size * count;
      last.count += count;
    } else runs.push({ level: name, child, start, end: start + size * count, from, to, count });
  };
  const byLevel: Set<Addr>[] | null = candidates ? [0, 1, 2, 3, 4].map(() => new Set<Addr>()) : null;
  if (byLevel && candidates) {
    for (const [level, base] of candidates) byLevel[level]!.add(base);
    for (const [level, base] of [...a.tables.ownTables(), ...b.tables.ownTables()]) byLevel[level]!.add(base);
  }
  for (let level = 0; level < 5; level++) {
    if (!g.real[level]) continue;
    const t = level as LevelIndex;
    const bases = new Set<Addr>();
    if (byLevel) for (const base of byLevel[t]!) bases.add(base);
    else {
      a.tables.forEachTable(t, (base) => bases.add(base));
      b.tables.forEachTable(t, (base) => bases.add(base));
    }
    const size = g.entrySize[t]!;
    const name = LEVELS[t];
    const owner = ownerLevel(g, t);
    const child = owner < 4 ? LEVELS[owner + 1]! : null;
    const n = g.ptrs[t]!;
    for (const base of [...bases].sort((x, y) => x - y)) {
      // A table on one side only, all of one kind (its counts say so): one run, without reading it.
      const uniform = (side: WalkState, other: WalkState): number | null => {
        if (other.tables.summaryAt(t, base) !== undefined) return null;
        const counts = side.tables.summaryAt(t, base);
        if (!counts) return null;
        const kind = counts.findIndex((c) => c === n);
        return kind > Entry.NONE ? kind : null;
      };
      const onlyB = uniform(b, a);
      if (onlyB !== null) {
        add(name, child, canonicalAddr(g, base), size, Entry.NONE, onlyB, n);
        continue;
      }
      const onlyA = uniform(a, b);
      if (onlyA !== null) {
        add(name, child, canonicalAddr(g, base), size, onlyA, Entry.NONE, n);
        continue;
      }
      const ta = a.tables.tableAt(t, base);
      const tb = b.tables.tableAt(t, base);
      if (ta === tb) continue;
      for (let i = 0; i < n; i++) {
        const from = ta ? ta[i]! : Entry.NONE;
        const to = tb ? tb[i]! : Entry.NONE;
        if (from !== to) add(name, child, canonicalAddr(g, base + i * size), size, from, to, 1);
      }
    }
  }
  return {
    added: runs.filter((r) => r.from === Entry.NONE),
    removed: runs.filter((r) => r.to === Entry.NONE),
    changed: runs.filter((r) => r.from !== Entry.NONE && r.to !== Entry.NONE),
    entries,
  };
}
