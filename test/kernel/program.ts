// SPDX-License-Identifier: GPL-2.0-only
// Programs for the kernel runner's tests, written as Step[] the way the
// scenario loader makes them, with what each step expects; and a run on the
// running kernel that checks every expectation and returns what differed.
// It does not model anything: every expected value is written in the test,
// from the kernel's selftest or source.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geometryOf } from '../../src/mm/geometry.js';
import type { StateItem } from '../../src/mm/state-items.js';
import type { Vma } from '../../src/mm/vmas.js';
import type { Advice, PageRange, Prot, Step, StepExpect } from '../../src/scenario/steps.js';
import { compileRunner } from '../../src/kernel/compile-runner.js';
import { RunnerBuildError } from '../../src/kernel/errors.js';
import type { KernelFacts } from '../../src/kernel/probe.js';
import { probeKernel } from '../../src/kernel/probe.js';
import type { KernelStepResult } from '../../src/kernel/run-kernel.js';
import { runKernel } from '../../src/kernel/run-kernel.js';
import type { RunnerProgram } from '../../src/kernel/program-lines.js';
import { programLines } from '../../src/kernel/program-lines.js';

export const PAGE = 4096;
/** Where the programs live: free in any process (below the executable, the heap and the libraries). */
export const BASE = 0x10000000;
/** The address of page n of the program's area. */
export const at = (n: number): number => BASE + n * PAGE;

export const ENOMEM = -12;
export const EINVAL = -22;
export const EFAULT = -14;

type AccessWant = 'ok' | 'segv' | readonly ('ok' | 'segv')[];
/** What a step expects: a return value, an access outcome (for every page, or page by page), or nothing. */
type Want = number | AccessWant | undefined;

/** Pages' outcomes from a string: 'S' segv, 'o' ok ("SoSo" = segv, ok, segv, ok). */
export const pagesOf = (outcomes: string): ('ok' | 'segv')[] => [...outcomes].map((c) => (c === 'S' ? 'segv' : 'ok'));

/** A program as Step[], with each step's expectation kept beside it. */
export class Program {
  readonly steps: Step[] = [];
  readonly wants = new Map<number, Want>();

  /** Page numbers count from `base`. */
  constructor(readonly base = BASE) {}

  private at(n: number): number {
    return this.base + n * PAGE;
  }

  private push(step: Record<string, unknown>, want: Want): number {
    const index = this.steps.length;
    const expect: StepExpect | null =
      typeof want === 'number' ? { kind: 'ret', value: want } : want === 'ok' || want === 'segv' ? { kind: 'access', value: want } : null;
    this.steps.push({ ...step, index, line: index + 1, col: 5, expect } as unknown as Step);
    this.wants.set(index, want);
    return index;
  }

  mmap(page: number, pages: number, want?: Want, opts: { prot?: Prot; populate?: boolean; thp?: boolean } = {}): number {
    return this.push({ op: 'mmap', at: this.at(page), pages, prot: opts.prot ?? 'rw', populate: opts.populate ?? false, thp: opts.thp ?? false }, want);
  }
  munmap(page: number, pages: number, want?: Want): number {
    return this.push({ op: 'munmap', at: this.at(page), pages }, want);
  }
  mprotect(page: number, pages: number, prot: Prot, want?: Want): number {
    return this.push({ op: 'mprotect', at: this.at(page), pages, prot }, want);
  }
  mremap(page: number, pages: number, newPages: number, want?: Want, opts: { to?: number; maymove?: boolean } = {}): number {
    return this.push({ op: 'mremap', at: this.at(page), pages, newPages, to: opts.to === undefined ? null : this.at(opts.to), maymove: opts.maymove ?? false }, want);
  }
  madvise(page: number, pages: number, advice: Advice, want?: Want): number {
    return this.push({ op: 'madvise', at: this.at(page), pages, advice }, want);
  }
  processMadvise(ranges: readonly [number, number][], advice: Advice, want?: Want): number {
    const list: PageRange[] = ranges.map(([page, pages]) => ({ at: this.at(page), pages }));
    return this.push({ op: 'process_madvise', ranges: list, advice }, want);
  }
  mlock(page: number, pages: number, want?: Want): number {
    return this.push({ op: 'mlock', at: this.at(page), pages }, want);
  }
  munlock(page: number, pages: number, want?: Want): number {
    return this.push({ op: 'munlock', at: this.at(page), pages }, want);
  }
  read(page: number, pages: number, want?: AccessWant): number {
    return this.push({ op: 'read', at: this.at(page), pages }, want);
  }
  write(page: number, pages: number, want?: AccessWant): number {
    return this.push({ op: 'write', at: this.at(page), pages }, want);
  }
  /** The selftests' try_read_write_buf(): a read, then a write, of each page. */
  rw(page: number, pages: number, want?: AccessWant): void {
    this.read(page, pages, want);
    this.write(page, pages, want);
  }
  /** A `check`: the map of the pages from `page` (the selftests' pagemap assertions). */
  check(page: number, map: string): number {
    const index = this.steps.length;
    this.steps.push({ op: 'check', index, line: index + 1, col: 5, at: this.at(page), map, expect: null });
    return index;
  }
}

export interface StartState {
  readonly vmas?: readonly Vma[];
  readonly state?: readonly StateItem[];
}

/** The translation of a program into runner lines. */
export function linesOf(program: Program, start: StartState = {}): RunnerProgram {
  return programLines({
    file: 'test.yaml',
    geometry: geometryOf('x86_64'),
    vmas: start.vmas ?? [],
    state: start.state ?? [],
    steps: program.steps,
    faults: [],
  });
}

let cache: string | undefined;
/** The runner, compiled once per test process into a directory of its own (removed at exit). */
export function testRunner(): string {
  if (!cache) {
    cache = mkdtempSync(join(tmpdir(), 'walkback-kernel-test-'));
    const dir = cache;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return compileRunner({ cacheDir: cache }).path;
}

let facts: KernelFacts | undefined;
export function kernelFacts(): KernelFacts {
  facts ??= probeKernel({ runner: testRunner() });
  return facts;
}

/** Why the kernel cannot be probed here (printed as the skip reason), or false. */
export function probeSkip(): string | false {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): no /proc/self/pagemap`;
  try {
    kernelFacts();
  } catch (error) {
    if (error instanceof RunnerBuildError) return `the kernel runner cannot be built here: ${error.message}`;
    throw error;
  }
  return false;
}

/** Why programs cannot run on this kernel (printed as the skip reason), or false. */
export function kernelSkip(): string | false {
  const cannot = probeSkip();
  if (cannot) return cannot;
  const f = kernelFacts();
  if (!f.pagemap) return `the running kernel (${f.release}) does not let a process read /proc/self/pagemap`;
  if (!f.guardRegions) return `the running kernel (${f.release}) has no guard regions (MADV_GUARD_INSTALL: errno ${f.guardErrno})`;
  if (!f.pagemapGuardBit) return `the running kernel (${f.release}) does not show guard markers in pagemap (bit 58, 6.15+)`;
  return false;
}

/** The map of `pages` pages from `addr` in a result (the report range that holds them). */
export function mapAt(program: RunnerProgram, result: KernelStepResult, addr: number, pages: number): string {
  const r = program.reports.findIndex((range) => range.at <= addr && addr + pages * PAGE <= range.at + range.pages * PAGE);
  if (r < 0) throw new Error(`0x${addr.toString(16)} (+${pages} pages) is in no report range`);
  const from = (addr - program.reports[r]!.at) / PAGE;
  return result.maps[r]!.slice(from, from + pages);
}

export interface Checked {
  readonly lines: RunnerProgram;
  readonly results: readonly KernelStepResult[];
  /** One line per expectation the kernel did not meet (empty: all held). */
  readonly failures: string[];
}

/** Run the program on the running kernel and compare each step with what it expects. */
export async function runChecked(program: Program, start: StartState = {}): Promise<Checked> {
  const lines = linesOf(program, start);
  const run = await runKernel(lines, { runner: testRunner() });
  const failures: string[] = [];
  const results = run.steps;
  if (results.length !== program.steps.length) failures.push(`${results.length} results for ${program.steps.length} steps`);
  for (const step of program.steps) {
    const got = results[step.index];
    if (!got) continue;
    const name = `steps[${step.index}] ${step.op}`;
    if (step.op === 'check') {
      const map = mapAt(lines, got, step.at, step.map.length);
      if (map !== step.map) failures.push(`${name} at 0x${step.at.toString(16)}: map ${map}, expected ${step.map}`);
      continue;
    }
    const want = program.wants.get(step.index);
    if (want === undefined) continue;
    if (typeof want === 'number') {
      if (got.ret !== want) failures.push(`${name}: returned ${got.ret}, expected ${want}`);
    } else if (JSON.stringify(got.access) !== JSON.stringify(want)) {
      failures.push(`${name}: access ${JSON.stringify(got.access)}, expected ${JSON.stringify(want)}`);
    }
  }
  return { lines, results, failures };
}
