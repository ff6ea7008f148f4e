// SPDX-License-Identifier: GPL-2.0-only
/**
 * The five page-table geometries, as data, with folding as the kernel's
 * asm-generic pgtable-nop4d.h / nopud.h / nopmd.h do it.
 *
 * Every walker level (pgd, p4d, pud, pmd, pte) exists in every geometry. A folded
 * level has one entry per table (PTRS_PER_X == 1): its "table" is the slot of
 * the level above, its addr_end returns end, and the level above it never
 * sees that slot as none (pgd_none() etc. return 0). Real tables exist only
 * for real levels.
 */
import type { Addr, LevelIndex, LevelName } from '../events/walk-event.js';
import { LEVELS } from '../events/walk-event.js';

export const ARCHES = ['x86_64', 'x86_64-la57', 'arm64-4k-39', 'arm64-64k-48', 'i386'] as const;
export type ArchName = (typeof ARCHES)[number];

export interface Geometry {
  readonly arch: ArchName;
  /** 2^64, or 2^32 on i386: addresses wrap here. */
  readonly wordTop: number;
  readonly pageSize: number;
  /** log2 of the span of one entry at each walker level (a folded level repeats the level above). */
  readonly shift: readonly number[];
  /** Span of one entry at each walker level. */
  readonly entrySize: readonly number[];
  /** Entries per table at each walker level; 1 when folded. */
  readonly ptrs: readonly number[];
  /** Whether the level has tables of its own. */
  readonly real: readonly boolean[];
  /** For each walker level, the real level whose table holds that level's slot. */
  readonly slotTable: readonly LevelIndex[];
  /** Whether the level's none check is real (the level below it is not folded). */
  readonly noneCheck: readonly boolean[];
  /** Span covered by one table of each real level (the parent entry's span). */
  readonly tableSpan: readonly number[];
  /** Span of the whole pgd: addresses index the pgd modulo this (the kernel half aliases). */
  readonly rootSpan: number;
  /** Top of user space (TASK_SIZE): a VMA ends at or below it. */
  readonly userTop: Addr;
  /** Size of a PMD THP (0 if none). */
  readonly hugePmd: number;
  /** Size of a PUD THP (0 if none). */
  readonly hugePud: number;
  /** Page sizes a hugetlb VMA may use, smallest first. */
  readonly hugetlbSizes: readonly number[];
}

interface ArchSpec {
  pageShift: number;
  /** Shifts of the real levels' entries, by level name; absent = folded. */
  levels: Partial<Record<LevelName, { shift: number; ptrs: number }>>;
  wordBits: 64 | 32;
  userTop: number;
  hugePmd: boolean;
  hugePud: boolean;
}

const SPECS: Record<ArchName, ArchSpec> = {
  x86_64: {
    pageShift: 12,
    wordBits: 64,
    userTop: 2 ** 47 - 4096,
    levels: { pgd: { shift: 39, ptrs: 512 }, pud: { shift: 30, ptrs: 512 }, pmd: { shift: 21, ptrs: 512 }, pte: { shift: 12, ptrs: 512 } },
    hugePmd: true,
    hugePud: true,
  },
  'x86_64-la57': {
    pageShift: 12,
    wordBits: 64,
    userTop: 2 ** 56 - 4096,
    levels: {
      pgd: { shift: 48, ptrs: 512 },
      p4d: { shift: 39, ptrs: 512 },
      pud: { shift: 30, ptrs: 512 },
      pmd: { shift: 21, ptrs: 512 },
      pte: { shift: 12, ptrs: 512 },
    },
    hugePmd: true,
    hugePud: true,
  },
  'arm64-4k-39': {
    pageShift: 12,
    wordBits: 64,
    userTop: 2 ** 39,
    levels: { pgd: { shift: 30, ptrs: 512 }, pmd: { shift: 21, ptrs: 512 }, pte: { shift: 12, ptrs: 512 } },
    hugePmd: true,
    hugePud: false,
  },
  'arm64-64k-48': {
    pageShift: 16,
    wordBits: 64,
    userTop: 2 ** 48,
    levels: { pgd: { shift: 42, ptrs: 64 }, pmd: { shift: 29, ptrs: 8192 }, pte: { shift: 16, ptrs: 8192 } },
    hugePmd: true,
    hugePud: false,
  },
  i386: {
    pageShift: 12,
    wordBits: 32,
    userTop: 0xc0000000,
    levels: { pgd: { shift: 22, ptrs: 1024 }, pte: { shift: 12, ptrs: 1024 } },
    // x86 selects HAVE_ARCH_TRANSPARENT_HUGEPAGE on 32-bit too: with PSE, a 4 MiB PMD THP is the pgd
    // entry seen through the folded pmd. There is no PUD THP (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD is 64-bit only).
    hugePmd: true,
    hugePud: false,
  },
};

function buildGeometry(arch: ArchName): Geometry {
  const spec = SPECS[arch];
  const shift: number[] = [];
  const ptrs: number[] = [];
  const real: boolean[] = [];
  const slotTable: LevelIndex[] = [];
  for (let i = 0; i < LEVELS.length; i++) {
    const level = spec.levels[LEVELS[i]!];
    if (level) {
      shift.push(level.shift);
      ptrs.push(level.ptrs);
      real.push(true);
      slotTable.push(i as LevelIndex);
    } else {
      if (i === 0) throw new Error('pgd is never folded');
      shift.push(shift[i - 1]!);
      ptrs.push(1);
      real.push(false);
      slotTable.push(slotTable[i - 1]!);
    }
  }
  const entrySize = shift.map((s) => 2 ** s);
  const noneCheck = real.map((_, i) => i < 4 && real[i + 1]!);
  const tableSpan = entrySize.map((size, i) => size * ptrs[i]!);
  const pmdSize = entrySize[3]!;
  const pudSize = entrySize[2]!;
  const hugePmd = spec.hugePmd ? pmdSize : 0;
  const hugePud = spec.hugePud ? pudSize : 0;
  return {
    arch,
    wordTop: 2 ** spec.wordBits,
    pageSize: 2 ** spec.pageShift,
    shift,
    entrySize,
    ptrs,
    real,
    slotTable,
    noneCheck,
    tableSpan,
    rootSpan: tableSpan[0]!,
    userTop: spec.userTop,
    hugePmd,
    hugePud,
    // hugetlb pages sit in a PMD or PUD slot (i386: the folded PMD, i.e. the pgd entry).
    hugetlbSizes: arch === 'i386' ? [pmdSize] : [pmdSize, ...(hugePud ? [pudSize] : [])],
  };
}

export const GEOMETRIES: Record<ArchName, Geometry> = Object.fromEntries(
  ARCHES.map((arch) => [arch, buildGeometry(arch)]),
) as Record<ArchName, Geometry>;

export function geometryOf(arch: ArchName): Geometry {
  return GEOMETRIES[arch];
}

/** The kernel's real_depth(): the depth at which a hole found at `depth` is reported, skipping folded levels. */
export function realDepth(g: Geometry, depth: number): number {
  if (depth === 3 && g.ptrs[3] === 1) depth = 2;
  if (depth === 2 && g.ptrs[2] === 1) depth = 1;
  if (depth === 1 && g.ptrs[1] === 1) depth = 0;
  return depth;
}

/**
 * The X_addr_end() of walker level `level`: the end of the entry that holds `addr`,
 * or `end` if that comes first. Folded levels return `end`. A boundary that wraps
 * past the top of the address space yields `end`, as the kernel's wrap to 0 does.
 */
export function levelAddrEnd(g: Geometry, level: LevelIndex, addr: Addr, end: Addr): Addr {
  if (!g.real[level]) return end;
  const size = g.entrySize[level]!;
  const boundary = (Math.floor(addr / size) + 1) * size;
  return boundary >= g.wordTop || boundary >= end ? end : boundary;
}

/** addr rounded down to a multiple of size (a power of two). */
export function alignDown(addr: Addr, size: number): Addr {
  return Math.floor(addr / size) * size;
}

/** Whether addr is a multiple of size (a power of two). */
export function isAligned(addr: Addr, size: number): boolean {
  return Math.floor(addr / size) * size === addr;
}

/** The address as the page tables see it: modulo the span of the pgd. */
export function tableAddr(g: Geometry, addr: Addr): Addr {
  return addr - Math.floor(addr / g.rootSpan) * g.rootSpan;
}

/**
 * The address a table slot stands for. Tables index addresses modulo the pgd's
 * span; on x86 the upper half of that span is the kernel half, whose addresses
 * are sign-extended. (arm64 walks kernel addresses through another pgd, which
 * walkback does not model: there the slot's user address is given.)
 */
export function canonicalAddr(g: Geometry, tableAddress: Addr): Addr {
  if (g.arch !== 'x86_64' && g.arch !== 'x86_64-la57') return tableAddress;
  return tableAddress >= g.rootSpan / 2 ? tableAddress + (g.wordTop - g.rootSpan) : tableAddress;
}

/** Index of addr's slot in a table of real level `level`. */
export function slotIndex(g: Geometry, level: LevelIndex, addr: Addr): number {
  const q = Math.floor(addr / g.entrySize[level]!);
  const n = g.ptrs[level]!;
  return q - Math.floor(q / n) * n;
}

/** Base (table address, see tableAddr) of the table of real level `level` covering addr. */
export function tableBase(g: Geometry, level: LevelIndex, addr: Addr): Addr {
  return alignDown(tableAddr(g, addr), g.tableSpan[level]!);
}

/** The level of the table that a walker level allocates when its slot is none (the level below it). */
export function childLevel(level: LevelIndex): LevelIndex {
  return (level + 1) as LevelIndex;
}

/** The walker level that owns a slot of real table `table`: the deepest level sharing the slot, whose none check is real. */
export function ownerLevel(g: Geometry, table: LevelIndex): LevelIndex {
  let l = table;
  while (l < 4 && !g.real[l + 1]) l++;
  return l as LevelIndex;
}

/** Format an address the kernel way: lowercase hex, 0x, no padding. */
export function hex(addr: Addr): string {
  return '0x' + addr.toString(16);
}

const SIZE_UNITS: readonly [number, string][] = [
  [2 ** 40, 'T'],
  [2 ** 30, 'G'],
  [2 ** 20, 'M'],
  [2 ** 10, 'K'],
];

/** A size for messages: 4K, 2M, 1G, or hex. */
export function sizeName(size: number): string {
  for (const [unit, name] of SIZE_UNITS) if (size >= unit && isAligned(size, unit)) return `${size / unit}${name}`;
  return hex(size);
}

/** A size for a glance: 4K, 1.5M, 114M (one decimal at most). */
export function roughSize(bytes: number): string {
  for (const [unit, name] of SIZE_UNITS) if (bytes >= unit) return `${+(bytes / unit).toFixed(1)}${name}`;
  return `${bytes}B`;
}
