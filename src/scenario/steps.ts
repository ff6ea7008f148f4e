// SPDX-License-Identifier: GPL-2.0-only
/**
 * The steps of a program (a scenario's `steps:`, ../shared/spec/steps.md), as
 * loaded and validated: what the model runs and what `walkback verify` runs on
 * the real kernel. Ranges are an address and a count of the geometry's base
 * pages; every address is page aligned and below the geometry's limit.
 */
import type { Addr, WalkApi } from '../events/walk-event.js';
import type { OpsSpec } from './scenario.js';

export const PROTS = ['none', 'r', 'rw', 'rwx'] as const;
export type Prot = (typeof PROTS)[number];

export const ADVICES = [
  'guard_install',
  'guard_remove',
  'dontneed',
  'free',
  'cold',
  'pageout',
  'populate_read',
  'populate_write',
  'hugepage',
  'nohugepage',
  'willneed',
] as const;
export type Advice = (typeof ADVICES)[number];

/** The kernel's number for each advice (include/uapi/asm-generic/mman-common.h). */
export const ADVICE_NUMBERS: Readonly<Record<Advice, number>> = {
  willneed: 3,
  dontneed: 4,
  free: 8,
  hugepage: 14,
  nohugepage: 15,
  cold: 20,
  pageout: 21,
  populate_read: 22,
  populate_write: 23,
  guard_install: 102,
  guard_remove: 103,
};

export const STEP_OPS = ['mmap', 'munmap', 'mprotect', 'mremap', 'madvise', 'process_madvise', 'mlock', 'munlock', 'read', 'write', 'walk', 'check'] as const;
export type StepOp = (typeof STEP_OPS)[number];

/** What a step expects: a system call's return value, or an access's outcome. */
export type StepExpect = { readonly kind: 'ret'; readonly value: number } | { readonly kind: 'access'; readonly value: 'ok' | 'segv' };

export interface PageRange {
  readonly at: Addr;
  readonly pages: number;
}

/** Where a step was written, for messages (1-based). */
export interface StepSource {
  readonly line: number;
  readonly col: number;
}

interface StepBase extends StepSource {
  /** Position in `steps:`, from 0. */
  readonly index: number;
  /** Absent when the step states no expectation (and always for `check`). */
  readonly expect: StepExpect | null;
}

export interface MmapStep extends StepBase, PageRange {
  readonly op: 'mmap';
  readonly prot: Prot;
  readonly populate: boolean;
  /** A following MADV_HUGEPAGE over the new mapping. */
  readonly thp: boolean;
}
export interface RangeStep extends StepBase, PageRange {
  readonly op: 'munmap' | 'mlock' | 'munlock' | 'read' | 'write';
}
export interface MprotectStep extends StepBase, PageRange {
  readonly op: 'mprotect';
  readonly prot: Prot;
}
export interface MremapStep extends StepBase, PageRange {
  readonly op: 'mremap';
  readonly newPages: number;
  /** MREMAP_MAYMOVE|MREMAP_FIXED to this address, or null. */
  readonly to: Addr | null;
  readonly maymove: boolean;
}
export interface MadviseStep extends StepBase, PageRange {
  readonly op: 'madvise';
  readonly advice: Advice;
}
export interface ProcessMadviseStep extends StepBase {
  readonly op: 'process_madvise';
  readonly ranges: readonly PageRange[];
  readonly advice: Advice;
}
export interface WalkStep extends StepBase {
  readonly op: 'walk';
  readonly api: WalkApi;
  readonly start: Addr;
  readonly end: Addr;
  readonly ops: OpsSpec;
}
export interface CheckStep extends StepSource {
  readonly op: 'check';
  readonly index: number;
  readonly at: Addr;
  /** One character per page: `.` none, `#` present, `g` guard, `H` huge, `T` hugetlb, `?` anything. */
  readonly map: string;
  readonly expect: null;
}

export type Step = MmapStep | RangeStep | MprotectStep | MremapStep | MadviseStep | ProcessMadviseStep | WalkStep | CheckStep;

/** The characters of a `check` map. */
export const MAP_CHARS = ['.', '#', 'g', 'H', 'T', '?'] as const;

/** Errno values a step's `expect` may name (include/uapi/asm-generic/errno-base.h). */
export const ERRNOS: Readonly<Record<string, number>> = {
  EPERM: 1,
  EINTR: 4,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
};
