// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page tables of one mm: sparse, one byte per slot (an EntryKind), one
 * table per populated slot of the level above. Memory is proportional to the
 * tables that exist, never to the size of an address range.
 *
 * Tables of each real level are kept in a Map keyed by the table's base
 * address (see tableBase: addresses index the pgd modulo its span, so the
 * kernel half of the address space aliases the user half as it does in the
 * hardware). A PageTables can be derived from another one without copying:
 * the derived instance reads through to its parent and copies a table the
 * first time it writes to it. The parent must not change afterwards; replay
 * relies on that to rebuild any moment from a checkpoint in time proportional
 * to the events replayed, not to the size of the address space.
 */
import type { Addr, EntryKind, LevelIndex } from '../events/walk-event.js';
import { Entry, LEVELS } from '../events/walk-event.js';
import type { Geometry } from './geometry.js';
import { ownerLevel, slotIndex, tableBase } from './geometry.js';

export type TableMap = Map<Addr, Uint8Array>;

/** How many entries of a table hold each EntryKind (indexed by EntryKind). */
export type TableSummary = Uint32Array;

/** Count a table's entries by kind. */
export function summarize(table: Uint8Array): TableSummary {
  const counts = new Uint32Array(6);
  for (let i = 0; i < table.length; i++) counts[table[i]!]!++;
  return counts;
}

/** Where tables can be read from: a PageTables, or a recording's table versions at a checkpoint. */
export interface TableSource {
  /** The table of real level `level` whose base is `base`. Never write the array returned. */
  tableAt(level: LevelIndex, base: Addr): Uint8Array | undefined;
  /** Visit every table of a real level, in no particular order. */
  forEachTable(level: LevelIndex, fn: (base: Addr, table: Uint8Array) => void): void;
  /** A table's entry counts, when the source knows them without reading the table. */
  summaryAt?(level: LevelIndex, base: Addr): TableSummary | undefined;
  /** How many tables of a real level there are, when the source knows without reading them. */
  tableCount?(level: LevelIndex): number;
}

export class PageTables implements TableSource {
  readonly g: Geometry;
  /** Tables written by this instance (per real level; null for folded levels). */
  private readonly own: (TableMap | null)[];
  /** Read-through parent, frozen while this instance exists. */
  private readonly parent: TableSource | null;
  /** Tables this instance may write in place; null means every table in `own`. */
  private readonly owned: Set<Uint8Array> | null;

  /** Bases of the tables written since the last takeDirty(), per level, when tracking. */
  private dirty: Set<Addr>[] | null = null;

  private constructor(g: Geometry, own: (TableMap | null)[], parent: TableSource | null, owned: Set<Uint8Array> | null) {
    this.g = g;
    this.own = own;
    this.parent = parent;
    this.owned = owned;
  }

  /** An mm with only its (empty) pgd. */
  static empty(g: Geometry): PageTables {
    const own = g.real.map((real) => (real ? new Map<Addr, Uint8Array>() : null));
    own[0]!.set(0, new Uint8Array(g.ptrs[0]!));
    return new PageTables(g, own, null, null);
  }

  /** A copy-on-write view over any table source (a checkpoint of a recording). */
  static over(g: Geometry, source: TableSource): PageTables {
    return new PageTables(
      g,
      g.real.map((real) => (real ? new Map<Addr, Uint8Array>() : null)),
      source,
      new Set(),
    );
  }

  /**
   * A copy-on-write copy. Neither instance may be written afterwards except
   * the new one; the source stays as it was.
   */
  derive(): PageTables {
    if (this.parent) {
      const own = this.own.map((m) => (m ? new Map(m) : null));
      return new PageTables(this.g, own, this.parent, new Set());
    }
    return new PageTables(
      this.g,
      this.g.real.map((real) => (real ? new Map<Addr, Uint8Array>() : null)),
      this,
      new Set(),
    );
  }

  /** A copy with no parent, sharing nothing writable with this one. */
  flatten(): PageTables {
    const own = this.g.real.map((real) => (real ? new Map<Addr, Uint8Array>() : null));
    for (let level = 0; level < 5; level++) {
      const map = own[level];
      if (!map) continue;
      this.forEachTable(level as LevelIndex, (base, table) => map.set(base, table.slice()));
    }
    return new PageTables(this.g, own, null, null);
  }

  /** The table of real level `level` whose base is `base`. */
  tableAt(level: LevelIndex, base: Addr): Uint8Array | undefined {
    const t = this.own[level]!.get(base);
    if (t !== undefined || !this.parent) return t;
    return this.parent.tableAt(level, base);
  }

  /** A table's entry counts (for maps of large ranges: a recording knows them without reading the table). */
  summaryAt(level: LevelIndex, base: Addr): TableSummary | undefined {
    const mine = this.own[level]!.get(base);
    if (mine !== undefined) return summarize(mine);
    if (!this.parent) return undefined;
    const known = this.parent.summaryAt?.(level, base);
    if (known !== undefined) return known;
    const table = this.parent.tableAt(level, base);
    return table ? summarize(table) : undefined;
  }

  /** The table of real level `level` covering addr, if allocated. */
  table(level: LevelIndex, addr: Addr): Uint8Array | undefined {
    return this.tableAt(level, tableBase(this.g, level, addr));
  }

  /** What this instance reads through to (a checkpoint of a recording), or null: the same object for every state folded from that checkpoint. */
  get source(): TableSource | null {
    return this.parent;
  }

  /** The tables this instance wrote itself (not read through from its parent), as [level, base] pairs. */
  ownTables(): [LevelIndex, Addr][] {
    const out: [LevelIndex, Addr][] = [];
    this.own.forEach((map, level) => {
      if (map && this.parent) for (const base of map.keys()) out.push([level as LevelIndex, base]);
    });
    return out;
  }

  /** Count of allocated tables of a real level (read from what the parent knows, not from its tables, where it can). */
  tableCount(level: LevelIndex): number {
    const mine = this.own[level];
    if (!mine) return 0;
    if (level === 0) return 1; // one pgd, always
    const parent = this.parent;
    const inherited = parent?.tableCount?.(level);
    if (!parent || inherited === undefined) {
      let n = 0;
      this.forEachTable(level, () => n++);
      return n;
    }
    let n = inherited;
    for (const base of mine.keys()) if ((parent.summaryAt ? parent.summaryAt(level, base) : parent.tableAt(level, base)) === undefined) n++;
    return n;
  }

  /** Visit every table of a real level, in no particular order. */
  forEachTable(level: LevelIndex, fn: (base: Addr, table: Uint8Array) => void): void {
    const mine = this.own[level];
    if (!mine) return;
    for (const [base, table] of mine) fn(base, table);
    if (this.parent)
      this.parent.forEachTable(level, (base, table) => {
        if (!mine.has(base)) fn(base, table);
      });
  }

  /** The kind of the slot that walker level `level` sees at addr, or NONE if its table does not exist. */
  entry(level: LevelIndex, addr: Addr): EntryKind {
    const t = this.g.slotTable[level]!;
    const table = this.table(t, addr);
    return table ? (table[slotIndex(this.g, t, addr)]! as EntryKind) : Entry.NONE;
  }

  // The table last made writable: runs of writes hit the same table.
  private lastLevel = -1;
  private lastBase = -1;
  private lastTable: Uint8Array | null = null;

  /** A writable version of a table, copying it into this instance first if needed. */
  private writable(level: LevelIndex, base: Addr): Uint8Array {
    if (level === this.lastLevel && base === this.lastBase && this.lastTable !== null) return this.lastTable;
    const table = this.makeWritable(level, base);
    this.lastLevel = level;
    this.lastBase = base;
    this.lastTable = table;
    return table;
  }

  private makeWritable(level: LevelIndex, base: Addr): Uint8Array {
    const mine = this.own[level]!;
    let table = mine.get(base);
    if (table !== undefined && (this.owned === null || this.owned.has(table))) {
      this.dirty?.[level]!.add(base);
      return table;
    }
    const source = table ?? this.parent?.tableAt(level, base);
    if (source === undefined) throw new Error(`no ${LEVELS[level]} table at ${base.toString(16)}`);
    table = source.slice();
    mine.set(base, table);
    this.owned?.add(table);
    this.dirty?.[level]!.add(base);
    return table;
  }

  private createTable(level: LevelIndex, base: Addr, fill: EntryKind): Uint8Array {
    const table = new Uint8Array(this.g.ptrs[level]!);
    if (fill !== Entry.NONE) table.fill(fill);
    this.own[level]!.set(base, table);
    this.owned?.add(table);
    this.dirty?.[level]!.add(base);
    return table;
  }

  /** Start recording which tables are written (for checkpoints). */
  trackWrites(): void {
    this.dirty ??= LEVELS.map(() => new Set<Addr>());
  }

  /** The tables written since tracking began or the last call, as [level, base] pairs; resets the set. */
  takeDirty(): [LevelIndex, Addr][] {
    if (!this.dirty) return [];
    const out: [LevelIndex, Addr][] = [];
    this.lastTable = null; // the next write to it must mark it dirty again
    this.dirty.forEach((bases, level) => {
      for (const base of bases) out.push([level as LevelIndex, base]);
      bases.clear();
    });
    return out;
  }

  /** The table of real level `level` covering addr (which must exist), writable by this instance. */
  writableTable(level: LevelIndex, addr: Addr): Uint8Array {
    return this.writable(level, tableBase(this.g, level, addr));
  }

  /** Write the slot that walker level `level` sees at addr; its table must exist. */
  setEntry(level: LevelIndex, addr: Addr, kind: EntryKind): void {
    const t = this.g.slotTable[level]!;
    this.writable(t, tableBase(this.g, t, addr))[slotIndex(this.g, t, addr)] = kind;
  }

  /**
   * Allocate the table of real level `level` covering addr and link it into the
   * slot above (which must exist and be none, as the kernel's __X_alloc finds it).
   */
  allocTable(level: LevelIndex, addr: Addr, fill: EntryKind = Entry.NONE): void {
    this.setEntry((level - 1) as LevelIndex, addr, Entry.TABLE);
    this.createTable(level, tableBase(this.g, level, addr), fill);
  }

  /** Make sure every table down to real level `level` exists at addr, allocating as needed (scenario set-up). */
  ensureTables(level: LevelIndex, addr: Addr): void {
    for (let l = 1; l <= level; l++) {
      if (!this.g.real[l]) continue;
      if (this.table(l as LevelIndex, addr) === undefined) this.allocTable(l as LevelIndex, addr);
    }
  }

  /**
   * Replace a huge entry at walker level `level` by `kind`. A split into a table
   * links a new table of the next level filled with present entries (the table
   * deposited when the THP was made).
   */
  splitEntry(level: LevelIndex, addr: Addr, kind: EntryKind): void {
    if (kind === Entry.TABLE) {
      const child = (level + 1) as LevelIndex;
      this.setEntry(level, addr, Entry.TABLE);
      this.createTable(child, tableBase(this.g, child, addr), Entry.PRESENT);
    } else {
      this.setEntry(level, addr, kind);
    }
  }

  /** The walker level that owns slots of a real table (see ownerLevel). */
  owner(table: LevelIndex): LevelIndex {
    return ownerLevel(this.g, table);
  }

  /** A canonical, comparable description: every table and its non-none slots. */
  dump(): string[] {
    const lines: string[] = [];
    for (let level = 0; level < 5; level++) {
      const entries: [Addr, Uint8Array][] = [];
      this.forEachTable(level as LevelIndex, (base, table) => entries.push([base, table]));
      entries.sort((a, b) => a[0] - b[0]);
      for (const [base, table] of entries) {
        const slots: string[] = [];
        for (let i = 0; i < table.length; i++) if (table[i] !== Entry.NONE) slots.push(`${i}:${table[i]}`);
        lines.push(`${LEVELS[level]} ${base.toString(16)} ${slots.join(',')}`);
      }
    }
    return lines;
  }
}
