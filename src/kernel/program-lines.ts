// SPDX-License-Identifier: GPL-2.0-only
/**
 * A scenario's program as the kernel runner's lines (native/kernel-runner.c
 * describes the protocol): first the start state, made by the operations
 * that make it, then one line per step. What no operation makes, or what
 * the running kernel cannot run, is refused here, before anything runs.
 *
 * The start state, in this order:
 * - each VMA: mmap, rw (a `thp` VMA: MADV_HUGEPAGE after it);
 * - each thp-pmd: a write fault at its first page, in its thp VMA;
 * - each guard run: MADV_GUARD_INSTALL;
 * - each pte run: a write fault on every page. In a thp VMA a first fault in
 *   an empty 2 MiB span would map a THP, so a span with no table yet gets
 *   one first (guard install and remove on one page: the install allocates
 *   the PTE table, the remove leaves it empty).
 */
import type { Addr } from '../events/walk-event.js';
import type { Geometry } from '../mm/geometry.js';
import type { StateItem } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';
import { describeVma, isHugetlb, isPfnmap, vmaContaining } from '../mm/vmas.js';
import { VmaFlag } from '../events/walk-event.js';
import type { Fault } from '../scenario/scenario.js';
import type { PageRange, Step, StepOp } from '../scenario/steps.js';
import { ADVICE_NUMBERS } from '../scenario/steps.js';
import { KernelRefusal } from './errors.js';

/** What the runner needs of a scenario: its start state and its steps. */
export interface KernelProgramInput {
  /** For messages. */
  readonly file: string;
  readonly geometry: Geometry;
  readonly vmas: readonly Vma[];
  readonly state: readonly StateItem[];
  readonly steps: readonly Step[];
  readonly faults: readonly Fault[];
}

export interface ProgramLimits {
  /** vm.mmap_min_addr: the kernel maps nothing below it (default 64 KiB, the usual value). */
  readonly mmapMinAddr?: number;
  /** The most pages the report ranges may hold together: every result line prints a map of them all. */
  readonly maxReportPages?: number;
}

/** 16 GiB of 4 KiB pages: a map of 4 MiB characters per step. */
export const MAX_REPORT_PAGES = 2 ** 22;

/** What an operation line makes: part of the start state, or a step of the program. */
export type LineOrigin =
  | { readonly kind: 'setup'; readonly item: string }
  | { readonly kind: 'step'; readonly index: number; readonly op: StepOp; readonly line: number; readonly col: number };

/** A run of the start state, for naming the item a page belongs to. */
export interface StartPart {
  readonly at: Addr;
  readonly pages: number;
  readonly item: string;
}

export interface RunnerProgram {
  readonly file: string;
  /** The runner's input: `report` lines, then one line per operation. */
  readonly lines: readonly string[];
  /** For each operation line, in order (the runner numbers them from 0). */
  readonly origins: readonly LineOrigin[];
  /** The ranges each result line maps: every range the program touches, merged. */
  readonly reports: readonly PageRange[];
  /** How many of the operation lines make the start state (they come first). */
  readonly setupLines: number;
  /** The start state's map of each report range, as pagemap shows it when the set-up worked. */
  readonly startMaps: readonly string[];
  /** The start state's VMAs and state items, for naming the one a page belongs to. */
  readonly startParts: readonly StartPart[];
  /** Whether the program uses THP (then khugepaged may act on its memory). */
  readonly usesThp: boolean;
}

const MADV_GUARD_INSTALL = ADVICE_NUMBERS.guard_install;
const MADV_GUARD_REMOVE = ADVICE_NUMBERS.guard_remove;

const hex = (n: number): string => n.toString(16);
const addr = (n: number): string => `0x${n.toString(16)}`;

/** Translate a scenario's start state and steps into the runner's lines, or refuse with the reason. */
export function programLines(input: KernelProgramInput, limits: ProgramLimits = {}): RunnerProgram {
  const { file, geometry: g } = input;
  const page = g.pageSize;
  const refuse = (item: string, problem: string, at?: { line: number; col: number }): never => {
    throw new KernelRefusal(problem, { file, item, line: at?.line ?? null, col: at?.col ?? null });
  };

  if (g.arch !== 'x86_64')
    refuse('arch', `verify runs programs on x86_64 only (4-level page tables, as the running kernel has them); this scenario is ${g.arch}`);
  if (input.faults.length > 0)
    refuse('faults', 'injected allocation failures cannot be made to happen in the running kernel; remove faults: to verify the program');

  const minAddr = limits.mmapMinAddr ?? 0x10000;
  const inUserSpace = (item: string, at: Addr, pages: number, where?: { line: number; col: number }): void => {
    const end = at + pages * page;
    if (end > g.userTop)
      refuse(item, `${addr(at)}-${addr(end)} reaches above the top of user space (${addr(g.userTop)}): no process can map it`, where);
    if (at < minAddr && pages > 0)
      refuse(item, `${addr(at)} is below vm.mmap_min_addr (${addr(minAddr)}): the kernel maps nothing there`, where);
  };

  // ---- the start state ----
  const ops: string[] = [];
  const origins: LineOrigin[] = [];
  const startParts: StartPart[] = [];
  const touched: PageRange[] = [];
  const emit = (line: string, origin: LineOrigin) => {
    ops.push(line);
    origins.push(origin);
  };

  for (const vma of input.vmas) {
    const item = `vmas ${describeVma(vma)}`;
    if (isPfnmap(vma)) refuse('vmas', `the VMA ${describeVma(vma)}: only a driver's remap_pfn_range() makes one, no anonymous mapping does`);
    if (isHugetlb(vma))
      refuse('vmas', `the VMA ${describeVma(vma)}: hugetlb needs huge pages reserved in the running kernel (vm.nr_hugepages), which verify does not set up`);
    const pages = (vma.end - vma.start) / page;
    inUserSpace('vmas', vma.start, pages);
    const thp = (vma.flags & VmaFlag.THP) !== 0;
    emit(`mmap ${hex(vma.start)} ${hex(pages)} rw${thp ? ' thp' : ''}`, { kind: 'setup', item });
    touched.push({ at: vma.start, pages });
    startParts.push({ at: vma.start, pages, item });
  }

  const hugePages = g.hugePmd / page;
  const spanOf = (a: Addr): Addr => Math.floor(a / g.hugePmd) * g.hugePmd;
  const withTable = new Set<Addr>(); // 2 MiB spans of thp VMAs that have a PTE table already
  const itemOrder = (kind: StateItem['kind']): number => ['thp-pmd', 'guard', 'pte'].indexOf(kind);
  input.state.forEach((item, i) => {
    const name = `state[${i}]`;
    switch (item.kind) {
      case 'table':
        if (!input.state.some((other) => other !== item && other.kind !== 'table' && covers(g, item, other)))
          refuse(name, `an empty ${item.level} table: verify makes page tables only by mapping pages or markers under them`);
        return;
      case 'thp-pud':
        refuse(name, 'no fault maps a PUD-sized THP in anonymous memory (anonymous THPs are PMD-sized), so verify cannot make one');
        return;
      case 'hugetlb':
        refuse(name, 'hugetlb pages need huge pages reserved in the running kernel (vm.nr_hugepages), which verify does not set up');
        return;
      case 'thp-pmd': {
        const vma = vmaContaining(input.vmas, item.at);
        if (!vma || (vma.flags & VmaFlag.THP) === 0)
          refuse(name, `a THP at ${addr(item.at)} needs a VMA with thp: true: the kernel maps a huge page on a fault only in MADV_HUGEPAGE memory (enabled=madvise)`);
        if (item.at + g.hugePmd > vma!.end || item.at < vma!.start)
          refuse(name, `the THP at ${addr(item.at)} does not fit in its VMA ${describeVma(vma!)}: the kernel maps a huge page only where the VMA covers all 2 MiB`);
        return;
      }
      case 'pte':
      case 'guard': {
        inUserSpace(name, item.at, item.count);
        for (let a = item.at; a < item.at + item.count * page; ) {
          const vma = vmaContaining(input.vmas, a);
          if (!vma) refuse(name, `${addr(a)} is outside every VMA: no operation maps a page or installs a marker there`);
          a = vma!.end;
        }
        return;
      }
    }
  });
  const leaves = input.state
    .map((item, i) => ({ item, name: `state[${i}]` }))
    .filter(({ item }) => itemOrder(item.kind) >= 0)
    .sort((a, b) => itemOrder(a.item.kind) - itemOrder(b.item.kind));
  for (const { item, name } of leaves) {
    const origin: LineOrigin = { kind: 'setup', item: name };
    if (item.kind === 'thp-pmd') {
      emit(`write ${hex(item.at)} 1`, origin);
      withTable.add(item.at);
      startParts.push({ at: item.at, pages: hugePages, item: name });
      continue;
    }
    if (item.kind === 'guard') {
      emit(`madvise ${hex(item.at)} ${hex(item.count)} ${hex(MADV_GUARD_INSTALL)}`, origin);
      for (let s = spanOf(item.at); s < item.at + item.count * page; s += g.hugePmd) withTable.add(s);
    } else {
      for (let a = item.at; a < item.at + item.count * page; a = spanOf(a) + g.hugePmd) {
        const vma = vmaContaining(input.vmas, a)!;
        if ((vma.flags & VmaFlag.THP) === 0 || withTable.has(spanOf(a))) continue;
        emit(`madvise ${hex(a)} 1 ${hex(MADV_GUARD_INSTALL)}`, origin);
        emit(`madvise ${hex(a)} 1 ${hex(MADV_GUARD_REMOVE)}`, origin);
        withTable.add(spanOf(a));
      }
      emit(`write ${hex(item.at)} ${hex(item.count)}`, origin);
    }
    startParts.push({ at: item.at, pages: item.count, item: name });
  }
  const setupLines = ops.length;

  // ---- the steps ----
  let usesThp = input.vmas.some((vma) => (vma.flags & VmaFlag.THP) !== 0);
  for (const step of input.steps) {
    const name = `steps[${step.index}]`;
    const where = { line: step.line, col: step.col };
    const origin: LineOrigin = { kind: 'step', index: step.index, op: step.op, line: step.line, col: step.col };
    const ranges = stepRanges(step);
    if (ranges === null) refuse(name, 'a walk step runs scenario callbacks, which the running kernel has no counterpart of; verify runs every other step', where);
    for (const r of ranges!) {
      inUserSpace(name, r.at, r.pages, where);
      touched.push(r);
    }
    switch (step.op) {
      case 'mmap':
        emit(`mmap ${hex(step.at)} ${hex(step.pages)} ${step.prot}${step.populate ? ' populate' : ''}${step.thp ? ' thp' : ''}`, origin);
        usesThp ||= step.thp;
        break;
      case 'mprotect':
        emit(`mprotect ${hex(step.at)} ${hex(step.pages)} ${step.prot}`, origin);
        break;
      case 'mremap':
        emit(
          `mremap ${hex(step.at)} ${hex(step.pages)} ${hex(step.newPages)}${step.maymove ? ' maymove' : ''}${step.to !== null ? ` to=${hex(step.to)}` : ''}`,
          origin,
        );
        break;
      case 'madvise':
        emit(`madvise ${hex(step.at)} ${hex(step.pages)} ${hex(ADVICE_NUMBERS[step.advice])}`, origin);
        usesThp ||= step.advice === 'hugepage';
        break;
      case 'process_madvise':
        emit(`process_madvise ${hex(ADVICE_NUMBERS[step.advice])} ${step.ranges.map((r) => `${hex(r.at)}:${hex(r.pages)}`).join(' ')}`, origin);
        usesThp ||= step.advice === 'hugepage';
        break;
      case 'check':
        emit('map', origin);
        break;
      case 'walk':
        break; // refused above
      default:
        emit(`${step.op} ${hex(step.at)} ${hex(step.pages)}`, origin);
    }
  }

  // ---- what every result line maps ----
  const reports = mergeRanges(touched, page);
  const total = reports.reduce((sum, r) => sum + r.pages, 0);
  const maxPages = limits.maxReportPages ?? MAX_REPORT_PAGES;
  if (total > maxPages)
    refuse('steps', `the program touches ${total} pages; verify maps at most ${maxPages} (${(maxPages * page) / 2 ** 30} GiB) after every step`);

  // Quiet set-up lines print no maps: only the last one shows what the set-up made.
  const lines = [
    ...reports.map((r) => `report ${hex(r.at)} ${hex(r.pages)}`),
    ...ops.map((line, i) => (i < setupLines - 1 ? `${line} quiet` : line)),
  ];
  return {
    file,
    lines,
    origins,
    reports,
    setupLines,
    startMaps: startMaps(input, reports, page, hugePages),
    startParts,
    usesThp,
  };
}

/** The ranges a step touches (mremap: both the old range, grown in place, and its target), or null for a walk. */
export function stepRanges(step: Step): PageRange[] | null {
  switch (step.op) {
    case 'walk':
      return null;
    case 'check':
      return [{ at: step.at, pages: step.map.length }];
    case 'process_madvise':
      return step.ranges.map((r) => ({ at: r.at, pages: r.pages }));
    case 'mremap':
      return [{ at: step.at, pages: Math.max(step.pages, step.newPages) }, ...(step.to !== null ? [{ at: step.to, pages: step.newPages }] : [])];
    default:
      return [{ at: step.at, pages: step.pages }];
  }
}

/** Sorted, with overlapping and adjacent ranges joined; empty ranges dropped. */
export function mergeRanges(ranges: readonly PageRange[], page: number): PageRange[] {
  const sorted = ranges.filter((r) => r.pages > 0).sort((a, b) => a.at - b.at);
  const out: { at: Addr; end: Addr }[] = [];
  for (const r of sorted) {
    const end = r.at + r.pages * page;
    const last = out[out.length - 1];
    if (last && r.at <= last.end) last.end = Math.max(last.end, end);
    else out.push({ at: r.at, end });
  }
  return out.map((r) => ({ at: r.at, pages: (r.end - r.at) / page }));
}

/** Does a table item lie above a leaf item (the leaf's entries are in that table or below it)? */
function covers(g: Geometry, table: StateItem, leaf: StateItem): boolean {
  const level = ['pgd', 'p4d', 'pud', 'pmd', 'pte'].indexOf(table.level ?? 'pte');
  const span = g.tableSpan[level]!;
  const start = Math.floor(table.at / span) * span;
  const leafEnd = leaf.at + (leaf.kind === 'pte' || leaf.kind === 'guard' ? leaf.count * g.pageSize : leaf.kind === 'thp-pmd' ? g.hugePmd : g.hugePud);
  return leaf.at < start + span && start < leafEnd;
}

/** '.' everywhere, '#' on pte runs, 'g' on guard runs, 'H' on THPs. */
function startMaps(input: KernelProgramInput, reports: readonly PageRange[], page: number, hugePages: number): string[] {
  return reports.map((r) => {
    const map = Buffer.alloc(r.pages, '.');
    const end = r.at + r.pages * page;
    for (const item of input.state) {
      const [char, pages] = item.kind === 'pte' ? ['#', item.count] : item.kind === 'guard' ? ['g', item.count] : item.kind === 'thp-pmd' ? ['H', hugePages] : ['', 0];
      const from = Math.max(item.at, r.at);
      const to = Math.min(item.at + pages * page, end);
      if (char && from < to) map.fill(char, (from - r.at) / page, (to - r.at) / page);
    }
    return map.toString('latin1');
  });
}
