// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the running kernel is, as facts the model can be run with: each one
 * found by doing it (in the kernel runner's process, never in walkback's),
 * not by trusting a version number.
 */
import { spawnSync } from 'node:child_process';
import { machine, release } from 'node:os';
import { compileRunner } from './compile-runner.js';
import type { CompileOptions } from './compile-runner.js';
import { KernelRunError } from './errors.js';

export interface KernelFacts {
  /** uname -r. */
  readonly release: string;
  /** uname -m. */
  readonly machine: string;
  /** /proc/self/pagemap can be read. */
  readonly pagemap: boolean;
  /** The PAGEMAP_SCAN ioctl works (6.7+): it tells a huge page ('H') from a base page. */
  readonly pagemapScan: boolean;
  /** MADV_GUARD_INSTALL works on anonymous memory (6.13+). */
  readonly guardRegions: boolean;
  /** Its errno when it does not (EINVAL: an advice the kernel does not know). */
  readonly guardErrno: number;
  /** A read of a guard page raises SIGSEGV. */
  readonly guardSegv: boolean;
  /** pagemap marks a guard marker with PM_GUARD_REGION, bit 58 (6.15+); before, only as a swap entry. */
  readonly pagemapGuardBit: boolean;
  /** A read fault of untouched anonymous memory maps the shared zero page (false: a new page, as a kernel booted without one does). */
  readonly readFaultMapsZeroPage: boolean;
  /** /sys/kernel/mm/transparent_hugepage/enabled: 'always', 'madvise', 'never', or '' without THP. */
  readonly thpMode: string;
  /** A write fault in an aligned MADV_HUGEPAGE span maps a PMD THP. */
  readonly thpOnFault: boolean;
  /** MADV_DONTNEED of a whole written 2 MiB span frees its PTE table (PT_RECLAIM, 6.14+ where configured), as VmPTE shows. */
  readonly ptReclaim: boolean;
  /** process_madvise(MADV_GUARD_INSTALL) on the caller's own pidfd works. */
  readonly processMadviseSelf: boolean;
  /** RLIMIT_MEMLOCK in bytes (mlock beyond it fails), or null when unlimited. */
  readonly memlockLimit: number | null;
}

interface RawProbe {
  probe: number;
  pagemap: boolean;
  pagemap_scan: boolean;
  guard_regions: boolean;
  guard_errno: number;
  guard_segv: boolean;
  pagemap_guard_bit: boolean;
  read_fault_zero_page: boolean;
  thp_enabled: string;
  thp_on_fault: boolean;
  pt_reclaim: boolean;
  process_madvise_self: boolean;
  memlock_limit: number;
}

export interface ProbeOptions {
  readonly runner?: string;
  readonly compile?: CompileOptions;
}

/** Probe the running kernel (the runner's --probe mode). */
export function probeKernel(options: ProbeOptions = {}): KernelFacts {
  const runner = options.runner ?? compileRunner(options.compile).path;
  const run = spawnSync(runner, ['--probe'], { encoding: 'utf8', timeout: 30_000 });
  const why = run.error?.message ?? run.stderr.trim().split('\n')[0]?.replace(/^kernel-runner: /, '');
  if (run.status !== 0) throw new KernelRunError(`the kernel probe failed (${run.signal ?? `exit status ${run.status}`})${why ? `: ${why}` : ''}`, null);
  let raw: RawProbe;
  try {
    raw = JSON.parse(run.stdout) as RawProbe;
  } catch {
    throw new KernelRunError(`the kernel probe printed what is not JSON: ${run.stdout.slice(0, 80)}`, null);
  }
  return {
    release: release(),
    machine: machine(),
    pagemap: raw.pagemap,
    pagemapScan: raw.pagemap_scan,
    guardRegions: raw.guard_regions,
    guardErrno: raw.guard_errno,
    guardSegv: raw.guard_segv,
    pagemapGuardBit: raw.pagemap_guard_bit,
    readFaultMapsZeroPage: raw.read_fault_zero_page,
    thpMode: raw.thp_enabled,
    thpOnFault: raw.thp_on_fault,
    ptReclaim: raw.pt_reclaim,
    processMadviseSelf: raw.process_madvise_self,
    memlockLimit: raw.memlock_limit < 0 ? null : raw.memlock_limit,
  };
}

/**
 * Why verify cannot run on this kernel, or null. Without pagemap there are
 * no maps; without guard regions the programs verify exists for cannot run;
 * without the guard bit a marker reads as a swap entry ('s'). THP: the model
 * follows enabled=madvise, so `always` changes every fault in a large enough
 * mapping, and `never` every THP program.
 */
export function verifyBlocker(facts: KernelFacts, program: { readonly usesThp: boolean }): string | null {
  if (facts.machine !== 'x86_64') return `verify runs on x86_64 Linux only; this machine is ${facts.machine}`;
  if (!facts.pagemap) return `the running kernel (${facts.release}) does not let a process read /proc/self/pagemap`;
  if (!facts.guardRegions)
    return `the running kernel (${facts.release}) has no guard regions (MADV_GUARD_INSTALL gives errno ${facts.guardErrno}; they came in 6.13)`;
  if (!facts.pagemapGuardBit) return `the running kernel (${facts.release}) does not mark guard markers in pagemap (bit 58 came in 6.15)`;
  if (facts.thpMode === 'always') return 'transparent_hugepage/enabled is "always"; the model follows "madvise": set it to madvise to verify';
  if (program.usesThp && !facts.thpOnFault)
    return `the program uses THP, but the running kernel maps none on a fault (transparent_hugepage/enabled is "${facts.thpMode || 'absent'}")`;
  return null;
}

/** The facts, one "name: value" per line, for a report. */
export function describeFacts(facts: KernelFacts): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `kernel: ${facts.release} (${facts.machine})`,
    `pagemap: ${yes(facts.pagemap)}, PAGEMAP_SCAN: ${yes(facts.pagemapScan)}, guard bit: ${yes(facts.pagemapGuardBit)}`,
    `guard regions: ${yes(facts.guardRegions)}${facts.guardRegions ? '' : ` (errno ${facts.guardErrno})`}`,
    `read fault maps the zero page: ${yes(facts.readFaultMapsZeroPage)}`,
    `THP: ${facts.thpMode || 'absent'}, THP on a fault: ${yes(facts.thpOnFault)}`,
    `empty PTE tables reclaimed after MADV_DONTNEED: ${yes(facts.ptReclaim)}`,
    `process_madvise on itself: ${yes(facts.processMadviseSelf)}`,
    `mlock limit: ${facts.memlockLimit === null ? 'unlimited' : `${facts.memlockLimit} bytes`}`,
  ];
}
