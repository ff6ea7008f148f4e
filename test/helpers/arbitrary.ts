// fast-check generators of valid scenarios, as scenario text (JSON, which is YAML),
// so every generated case also goes through the scenario loader.
//
// A scenario lives in a window of pages around a boundary of some level (a PMD,
// a PUD or a PGD entry), so walks cross tables and stay small. VMAs, state and
// the walk's range are drawn inside the window; ops are random subsets of the
// callbacks with small rule lists. What is deliberately not generated: hugetlb
// VMAs (their alignment rarely fits a window) and livelocking rules (every
// action rule has a times limit).
import fc from 'fast-check';
import type { CallbackName, KernelVersion, WalkApi } from '../../src/events/walk-event.js';
import type { ArchName } from '../../src/mm/geometry.js';
import { ARCHES, GEOMETRIES } from '../../src/mm/geometry.js';

export interface GenOptions {
  /** Which kernels to draw from. */
  kernels?: readonly KernelVersion[];
  /** Allow install_pte and the guard presets. */
  install?: boolean;
  /** Allow faults. */
  faults?: boolean;
  arches?: readonly ArchName[];
}

const hex = (n: number): string => '0x' + n.toString(16);

const RULE_CALLBACKS: readonly CallbackName[] = [
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'pte_hole',
  'test_walk',
  'pre_vma',
  'post_vma',
];

export interface GeneratedScenario {
  text: string;
  /** The parsed JSON object, to derive variants. */
  data: Record<string, unknown>;
}

export function arbScenario(options: GenOptions = {}): fc.Arbitrary<GeneratedScenario> {
  const kernels = options.kernels ?? ['6.12', '6.13', '7.0'];
  const arches = options.arches ?? ARCHES;
  return fc
    .record({
      arch: fc.constantFrom(...arches),
      kernel: fc.constantFrom(...kernels),
      boundaryLevel: fc.constantFrom(0, 2, 3),
      boundaryIndex: fc.integer({ min: 1, max: 3 }),
      halfWindow: fc.integer({ min: 4, max: 700 }),
      vmaCuts: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 6 }),
      vmaKeep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      vmaFlags: fc.array(fc.constantFrom('anon', 'anon', 'anon', 'thp', 'pfnmap'), { minLength: 6, maxLength: 6 }),
      stateSeeds: fc.array(
        fc.record({
          kind: fc.constantFrom('pte', 'pte', 'guard', 'thp-pmd', 'thp-pud', 'table'),
          where: fc.integer({ min: 0, max: 1000 }),
          count: fc.integer({ min: 1, max: 6 }),
          level: fc.constantFrom('p4d', 'pud', 'pmd', 'pte'),
        }),
        { maxLength: 6 },
      ),
      walkFrom: fc.integer({ min: 0, max: 1000 }),
      walkTo: fc.integer({ min: 0, max: 1000 }),
      api: fc.constantFrom<WalkApi>(
        'walk_page_range',
        'walk_page_range',
        'walk_page_range_mm',
        'walk_page_vma',
        'walk_page_range_vma',
        'walk_page_range_novma',
      ),
      callbacks: fc.uniqueArray(fc.constantFrom(...RULE_CALLBACKS), { maxLength: 7 }),
      rules: fc.array(
        fc.record({
          kind: fc.constantFrom('ok', 'return', 'action', 'if'),
          value: fc.constantFrom(1, -5, -14, 3),
          action: fc.constantFrom('again', 'continue', 'subtree'),
          where: fc.integer({ min: 0, max: 1000 }),
          state: fc.constantFrom('none', 'present', 'marker', 'table', 'huge'),
          times: fc.integer({ min: 1, max: 2 }),
        }),
        { minLength: 9, maxLength: 9 },
      ),
      install: fc.constantFrom('none', 'none', 'install', 'install-entry', 'guard-install', 'guard-remove'),
      faults: fc.array(
        fc.oneof(
          fc.record({ alloc: fc.integer({ min: 1, max: 6 }) }),
          fc.record({ alloc: fc.integer({ min: 1, max: 3 }), level: fc.constantFrom('pmd', 'pte') }),
          fc.record({ pte_map: fc.integer({ min: 1, max: 4 }) }),
        ),
        { maxLength: 2 },
      ),
    })
    .map((r) => build(r, options));
}

interface Draw {
  arch: ArchName;
  kernel: KernelVersion;
  boundaryLevel: number;
  boundaryIndex: number;
  halfWindow: number;
  vmaCuts: number[];
  vmaKeep: boolean[];
  vmaFlags: string[];
  stateSeeds: { kind: string; where: number; count: number; level: string }[];
  walkFrom: number;
  walkTo: number;
  api: WalkApi;
  callbacks: CallbackName[];
  rules: { kind: string; value: number; action: string; where: number; state: string; times: number }[];
  install: string;
  faults: Record<string, unknown>[];
}

function build(r: Draw, options: GenOptions): GeneratedScenario {
  const g = GEOMETRIES[r.arch];
  const page = g.pageSize;
  // The boundary: a multiple of the entry size of a real level that fits user space.
  let level = r.boundaryLevel;
  while (!g.real[level] || g.entrySize[level]! * (r.boundaryIndex + 1) + r.halfWindow * page >= g.userTop) level++;
  const size = g.entrySize[level]!;
  const boundary = size * Math.max(r.boundaryIndex, Math.ceil(((r.halfWindow + 1) * page) / size));
  const first = boundary - r.halfWindow * page;
  const pages = 2 * r.halfWindow;
  const at = (where: number): number => first + Math.floor((where / 1001) * pages) * page;

  // VMAs between sorted cut points, some kept.
  const cuts = [...new Set(r.vmaCuts.map(at))].sort((a, b) => a - b);
  const vmas: { start: number; end: number; flag: string }[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (!r.vmaKeep[i]) continue;
    vmas.push({ start: cuts[i]!, end: cuts[i + 1]!, flag: r.vmaFlags[i]! });
  }
  const vmaOf = (addr: number) => vmas.find((v) => v.start <= addr && addr < v.end);

  // State inside VMAs, without overlapping leaves.
  const state: Record<string, unknown>[] = [];
  const leaves: [number, number][] = [];
  const hugeLeaves: [number, number, number][] = [];
  const free = (s: number, e: number) => leaves.every(([a, b]) => e <= a || s >= b);
  for (const seed of r.stateSeeds) {
    const addr = at(seed.where);
    if (seed.kind === 'pte' || seed.kind === 'guard') {
      let count = seed.count;
      const vma = vmaOf(addr);
      if (!vma) continue;
      count = Math.min(count, (vma.end - addr) / page);
      if (!free(addr, addr + count * page)) continue;
      leaves.push([addr, addr + count * page]);
      state.push({ kind: seed.kind, at: hex(addr), count });
    } else if (seed.kind === 'thp-pmd' || seed.kind === 'thp-pud') {
      const size = seed.kind === 'thp-pmd' ? g.hugePmd : g.hugePud;
      if (!size) continue;
      const base = Math.floor(addr / size) * size;
      const vma = vmaOf(base);
      if (!vma || base + size > vma.end || !free(base, base + size)) continue;
      if (state.some((s) => s.kind === 'table' && Number(s.at) >= base && Number(s.at) < base + size)) continue;
      leaves.push([base, base + size]);
      hugeLeaves.push([base, base + size, seed.kind === 'thp-pmd' ? 3 : 2]);
      state.push({ kind: seed.kind, at: hex(base) });
    } else {
      const li = ['pgd', 'p4d', 'pud', 'pmd', 'pte'].indexOf(seed.level);
      if (!g.real[li] || !vmaOf(addr)) continue;
      if (hugeLeaves.some(([s, e, hl]) => hl < li && s <= addr && addr < e)) continue;
      state.push({ kind: 'table', level: seed.level, at: hex(addr) });
    }
  }

  // The walk.
  let api = r.api;
  let start = at(Math.min(r.walkFrom, r.walkTo));
  let end = at(Math.max(r.walkFrom, r.walkTo));
  if (start === end) end = start + page;
  if (api === 'walk_page_vma' && !vmaOf(start)) api = 'walk_page_range';
  if (api === 'walk_page_range_vma' && !vmas.some((v) => v.end > start)) api = 'walk_page_range';
  let kernel = r.kernel;
  const allowInstall = options.install !== false && kernel !== '6.12';
  if ((kernel === '6.12' || options.install === false) && api === 'walk_page_range_mm') api = 'walk_page_range';

  let ops: Record<string, unknown> = {};
  const install = allowInstall ? r.install : 'none';
  if (install === 'guard-install') ops = { preset: 'guard-install' };
  else if (install === 'guard-remove') ops = { preset: 'guard-remove' };
  else {
    r.callbacks.forEach((name, i) => {
      const rule = r.rules[i]!;
      const where = hex(at(rule.where));
      if (rule.kind === 'ok') ops[name] = 'ok';
      else if (rule.kind === 'return') ops[name] = [{ at: where, return: rule.value }];
      else if (rule.kind === 'action') ops[name] = [{ in: [where, hex(at(rule.where) + 64 * page)], action: rule.action, times: rule.times }];
      else {
        const states = ifStates(name);
        if (!states) ops[name] = [{ at: where, return: rule.value }];
        else ops[name] = [{ if: states.includes(rule.state) ? rule.state : states[0], return: rule.value, times: rule.times }];
      }
    });
    if (install === 'install' || install === 'install-entry') {
      ops.install_pte = 'ok';
      if (install === 'install-entry') ops.pte_entry ??= 'ok';
      // Keep install walks on the entry point that allows them (most of the time).
      if (api !== 'walk_page_range_novma' && r.walkFrom % 5 !== 0) api = 'walk_page_range_mm';
    }
  }
  if (install === 'guard-install') api = 'walk_page_range_mm';

  const data: Record<string, unknown> = {
    arch: r.arch,
    kernel,
    vmas: vmas.map((v) => ({
      start: hex(v.start),
      end: hex(v.end),
      ...(v.flag === 'thp' ? { thp: true } : v.flag === 'pfnmap' ? { pfnmap: true } : {}),
    })),
    state,
    walk: { api, start: hex(start), end: hex(end), ops },
    faults: options.faults === false ? [] : r.faults.filter((f) => f.level === undefined || g.real[f.level === 'pmd' ? 3 : 4]),
  };
  kernel = data.kernel as KernelVersion;
  return { text: JSON.stringify(data, null, 1), data };
}

function ifStates(name: CallbackName): string[] | null {
  if (name === 'pte_entry') return ['none', 'present', 'marker'];
  if (name.endsWith('_entry')) return ['none', 'table', 'huge'];
  return null;
}

/** The same scenario with another kernel. */
export function withKernel(s: GeneratedScenario, kernel: KernelVersion): string {
  return JSON.stringify({ ...s.data, kernel }, null, 1);
}

/** The same scenario with other faults. */
export function withFaults(s: GeneratedScenario, faults: Record<string, unknown>[]): string {
  return JSON.stringify({ ...s.data, faults }, null, 1);
}
