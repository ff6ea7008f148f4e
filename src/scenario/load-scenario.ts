// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reads a scenario file (YAML; JSON being YAML) and validates it against the
 * contract in spec/scenario-and-trace.md. Every problem becomes one
 * ScenarioError naming the file, line, column and field, what is wrong and
 * what would be right. Run-time conditions the kernel reports itself (start >=
 * end, install_pte through a public entry point) are not errors here: the
 * walk returns -EINVAL, as the kernel does.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { Addr, CallbackName, EntryKind, KernelVersion, LevelName, WalkApi } from '../events/walk-event.js';
import { CALLBACKS, Entry, KERNELS, LEVELS, STATE_KINDS, VmaFlag, WALK_APIS } from '../events/walk-event.js';
import type { ArchName, Geometry } from '../mm/geometry.js';
import { ARCHES, geometryOf, hex, isAligned, sizeName, tableAddr } from '../mm/geometry.js';
import type { StateItem } from '../mm/state-items.js';
import { hugeSlotLevel, levelIndex } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';
import { findVma, isHugetlb, vmaContaining } from '../mm/vmas.js';
import { fieldPath, ScenarioError } from './errors.js';
import { describeValue, hexBig, parseNumber } from './numbers.js';
import type { Expectations, Fault, OpsSpec, PresetName, Rule, RuleState, Scenario } from './scenario.js';
import { PRESETS } from './scenario.js';

type Path = readonly (string | number)[];
type Mapping = Record<string, unknown>;

const TOP_KEYS = ['name', 'arch', 'kernel', 'vmas', 'state', 'walk', 'faults', 'expect'] as const;
const EXPECT_KEYS = ['ret', 'no_empty_tables', 'no_guard_outside_range'] as const;
const VMA_KEYS = ['start', 'end', 'thp', 'pfnmap', 'hugetlb'] as const;
const STATE_KEYS = ['kind', 'at', 'count', 'level'] as const;
const WALK_KEYS = ['api', 'start', 'end', 'ops'] as const;
const RULE_KEYS = ['at', 'in', 'if', 'return', 'action', 'times', 'install'] as const;
const ACTIONS = ['subtree', 'continue', 'again'] as const;

/** The entry states a rule's `if` can test, per callback (an `if` on the others never matches). */
const IF_STATES: Partial<Record<CallbackName, readonly RuleState[]>> = {
  pgd_entry: ['none', 'table', 'huge'],
  p4d_entry: ['none', 'table', 'huge'],
  pud_entry: ['none', 'table', 'huge'],
  pmd_entry: ['none', 'table', 'huge'],
  pte_entry: ['none', 'present', 'marker'],
  hugetlb_entry: ['huge', 'none'],
  install_pte: ['none'],
};

/** The path that stands for standard input, and the name messages give it. */
export const STDIN = '-';
export const STDIN_NAME = '<stdin>';

/** The largest scenario read: a scenario is a few lines of YAML; this keeps /dev/zero and its kind from filling memory. */
export const MAX_SCENARIO_BYTES = 16 * 1024 * 1024;

/** Read and validate a scenario file, or standard input for `-`. Throws ScenarioError. */
export function loadScenario(path: string): Scenario {
  const file = path === STDIN ? STDIN_NAME : path;
  const text = path === STDIN ? readStandardInput() : readScenarioFile(path);
  if (text.includes('\u0000') || text.startsWith('SQLite format 3'))
    throw new ScenarioError(
      text.startsWith('SQLite format 3')
        ? path === STDIN
          ? 'holds a recording (a SQLite file), which cannot be read from a pipe; give its path instead of -'
          : 'is a recording (a SQLite file), not a scenario; recordings go to walkback show or replay'
        : 'is binary data, not a scenario (YAML or JSON); recordings go to walkback show or replay',
      { file },
    );
  return parseScenario(text, file);
}

/**
 * A scenario file: a regular file only (opened without blocking, so a FIFO
 * with no writer cannot hang the command; checked on the open descriptor, so
 * what is read is what was checked).
 */
function readScenarioFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'no such file; give the path of a scenario file (see examples/)'
        : code === 'EISDIR'
          ? 'is a directory, not a scenario file'
          : code === 'EACCES'
            ? 'cannot be read: permission denied'
            : code === 'ELOOP'
              ? 'is a loop of symbolic links'
              : `cannot be read (${code ?? String(error)})`;
    throw new ScenarioError(problem, { file: path });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ScenarioError('is a directory, not a scenario file', { file: path });
    if (!stat.isFile())
      throw new ScenarioError(
        `is ${specialFileKind(stat)}, not a scenario file${stat.isFIFO() ? '; to read a scenario from a pipe, give - (standard input) and redirect the pipe to it' : ''}`,
        { file: path },
      );
    if (stat.size > MAX_SCENARIO_BYTES) throw new ScenarioError(`is ${stat.size} bytes; a scenario is at most ${MAX_SCENARIO_BYTES / 1024 / 1024} MiB of YAML`, { file: path });
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    throw new ScenarioError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file: path });
  } finally {
    closeSync(fd);
  }
}

function specialFileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Standard input, whole, synchronously (a scenario is small): up to
 * MAX_SCENARIO_BYTES, stopping at the first NUL byte (binary data is refused
 * at once, /dev/zero included). A descriptor left non-blocking by whoever
 * shares it is waited on, not failed.
 */
function readStandardInput(): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(64 * 1024);
  let pause: Int32Array | null = null;
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        pause ??= new Int32Array(new SharedArrayBuffer(4));
        Atomics.wait(pause, 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw new ScenarioError(`cannot be read (${code ?? String(error)})`, { file: STDIN_NAME });
    }
    if (n === 0) break;
    const chunk = Buffer.from(buffer.subarray(0, n));
    chunks.push(chunk);
    total += n;
    if (chunk.includes(0)) break;
    if (total > MAX_SCENARIO_BYTES) throw new ScenarioError(`holds more than ${MAX_SCENARIO_BYTES / 1024 / 1024} MiB; a scenario is a few lines of YAML`, { file: STDIN_NAME });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Validate scenario text. `file` names it in messages. Throws ScenarioError. */
export function parseScenario(text: string, file = '<inline>'): Scenario {
  return new ScenarioReader(text, file).read();
}

class ScenarioReader {
  private readonly lines = new LineCounter();
  private readonly doc;
  private geometry!: Geometry;
  private vmas: Vma[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.doc = parseDocument(text, { intAsBigInt: true, lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
  }

  read(): Scenario {
    const yamlError = this.doc.errors[0];
    if (yamlError) {
      const pos = this.lines.linePos(yamlError.pos[0]);
      const message = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new ScenarioError(`YAML syntax error: ${message}`, { file: this.file, line: pos.line, col: pos.col });
    }
    let badKey: YamlNode | null = null;
    visit(this.doc, {
      Pair: (_, pair) => {
        if (pair.key !== null && !isScalar(pair.key)) {
          badKey = pair.key as YamlNode;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (badKey) {
      const pos = (badKey as YamlNode).range ? this.lines.linePos((badKey as YamlNode).range![0]) : null;
      throw new ScenarioError('YAML: a key must be a plain name, not a list or mapping', { file: this.file, line: pos?.line, col: pos?.col });
    }
    let data: unknown;
    try {
      data = this.doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new ScenarioError(`YAML: ${(error as Error).message}`, { file: this.file });
    }
    if (data === null || data === undefined)
      this.fail([], 'the file is empty; a scenario needs at least a walk: { start, end, ops }');
    const top = this.mapping([], data, TOP_KEYS);

    const name = top.name === undefined || top.name === null ? null : this.string(['name'], top.name);
    const arch = (top.arch === undefined ? 'x86_64' : this.oneOf(['arch'], top.arch, ARCHES)) as ArchName;
    this.geometry = geometryOf(arch);
    const kernel = this.kernel(top.kernel);
    this.vmas = this.readVmas(top.vmas);
    if (top.walk === undefined || top.walk === null)
      this.fail([], 'walk is missing: add walk: { api, start, end, ops }', 'walk');
    const walkMap = this.mapping(['walk'], top.walk, WALK_KEYS);
    const api = (walkMap.api === undefined ? 'walk_page_range' : this.oneOf(['walk', 'api'], walkMap.api, WALK_APIS)) as WalkApi;
    const novma = api === 'walk_page_range_novma';
    const state = this.readState(top.state, novma);
    const walk = this.readWalk(walkMap, api, kernel);
    const faults = this.readFaults(top.faults);
    const expect = top.expect === undefined || top.expect === null ? null : this.readExpect(top.expect);
    return {
      ...(expect ? { expect } : {}),
      name: name ?? this.defaultName(),
      file: this.file,
      source: this.text,
      arch,
      geometry: this.geometry,
      kernel,
      vmas: this.vmas,
      state,
      walk,
      faults,
    };
  }

  private defaultName(): string {
    if (this.file === STDIN_NAME) return 'stdin';
    const base = this.file.split(/[\\/]/).pop() ?? 'scenario';
    return base.replace(/\.(ya?ml|json)$/i, '') || 'scenario';
  }

  // ---- errors and positions ----

  private fail(path: Path, problem: string, key?: string): never {
    const node = this.nodeAt(key === undefined ? path : [...path, key], key !== undefined);
    const pos = node?.range ? this.lines.linePos(node.range[0]) : null;
    const field = fieldPath(key === undefined ? path : [...path, key]);
    throw new ScenarioError(problem, { file: this.file, line: pos?.line ?? null, col: pos?.col ?? null, field: field || null });
  }

  /** The YAML node at a path; for a missing key, the mapping that lacks it; with asKey, the key node. */
  private nodeAt(path: Path, asKey: boolean): YamlNode | null {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part));
        if (!pair) return node;
        node = asKey && i === path.length - 1 ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part];
        if (!item) return node;
        node = item;
      } else {
        break;
      }
    }
    return (node as YamlNode | null) ?? null;
  }

  // ---- shapes ----

  private mapping(path: Path, value: unknown, keys: readonly string[]): Mapping {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, `expected a mapping (${keys.join(', ')}), found ${describeValue(value)}`);
    const map = value as Mapping;
    for (const key of Object.keys(map)) {
      if (!keys.includes(key)) {
        const suggestion = closest(key, keys);
        this.fail(
          path,
          `unknown key '${key}'${suggestion ? `; did you mean '${suggestion}'?` : ''} (expected: ${keys.join(', ')})`,
          key,
        );
      }
    }
    return map;
  }

  private list(path: Path, value: unknown, what: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `expected a list of ${what}, found ${describeValue(value)}`);
    return value;
  }

  private string(path: Path, value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'bigint' || typeof value === 'number') return String(value);
    return this.fail(path, `expected text, found ${describeValue(value)}`);
  }

  private oneOf<T extends string>(path: Path, value: unknown, choices: readonly T[]): T {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    const suggestion = typeof value === 'string' ? closest(value, choices) : null;
    return this.fail(
      path,
      `${describeValue(value)} is not one of ${choices.join(', ')}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    );
  }

  private bool(path: Path, value: unknown): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    return this.fail(path, `expected true or false, found ${describeValue(value)}`);
  }

  private bigint(path: Path, value: unknown): bigint {
    const result = parseNumber(value);
    if (!result.ok) this.fail(path, result.problem);
    return result.value;
  }

  /** A whole number >= 1 (counts, times, fault positions). */
  private count(path: Path, value: unknown): number {
    const n = this.bigint(path, value);
    if (n < 1n) this.fail(path, `must be a whole number of at least 1, found ${n}`);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(path, `${n} is too large`);
    return Number(n);
  }

  /** A signed 32-bit return value. */
  private int(path: Path, value: unknown): number {
    const n = this.bigint(path, value);
    if (n < -(2n ** 31n) || n >= 2n ** 31n) this.fail(path, `${n} does not fit a callback's int return value`);
    return Number(n);
  }

  /**
   * A page-aligned address below `limit` (exclusive unless inclusive). An
   * unaligned one is refused with the aligned value to use: a start rounded
   * down, an end (`side`) rounded up, as madvise() rounds a length up to whole
   * pages, so the range keeps every page it touched and never becomes empty.
   */
  private address(path: Path, value: unknown, limit: number, limitName: string, inclusive = true, side: 'start' | 'end' = 'start'): Addr {
    const n = this.bigint(path, value);
    const g = this.geometry;
    if (n < 0n) this.fail(path, `${hexBig(n)} is negative; addresses are unsigned`);
    if (n >= BigInt(g.wordTop)) this.fail(path, `${hexBig(n)} is beyond the ${g.wordTop === 2 ** 32 ? 32 : 64}-bit address space of ${g.arch}`);
    const page = BigInt(g.pageSize);
    if (n % page !== 0n) {
      const down = (n / page) * page;
      const up = down + page;
      const upFits = inclusive ? up <= BigInt(limit) : up < BigInt(limit);
      const use = side === 'end' && upFits ? `${hexBig(up)} (an end rounds up to whole pages, as madvise() rounds a length)` : hexBig(down);
      this.fail(path, `${hexBig(n)} is not page aligned (${sizeName(g.pageSize)} pages on ${g.arch}); use ${use}`);
    }
    const addr = Number(n);
    if (inclusive ? addr > limit : addr >= limit)
      this.fail(path, `${hexBig(n)} is above ${limitName} (${hex(limit)}) on ${g.arch}`);
    return addr;
  }

  private userAddress(path: Path, value: unknown, side: 'start' | 'end' = 'start'): Addr {
    return this.address(path, value, this.geometry.userTop, 'the top of user space', true, side);
  }

  /** An address anywhere in the address space (walk_page_range_novma). */
  private anyAddress(path: Path, value: unknown, side: 'start' | 'end' = 'start'): Addr {
    return this.address(path, value, this.geometry.wordTop, 'the top of the address space', false, side);
  }

  // ---- sections ----

  private kernel(value: unknown): KernelVersion {
    if (value === undefined || value === null) return '6.13';
    if (typeof value === 'number') {
      const text = value === 7 ? '7.0' : value.toFixed(2);
      if ((KERNELS as readonly string[]).includes(text)) return text as KernelVersion;
    }
    if (typeof value === 'bigint' && value === 7n) return '7.0';
    return this.oneOf(['kernel'], typeof value === 'string' ? value : String(value), KERNELS);
  }

  private readVmas(value: unknown): Vma[] {
    const g = this.geometry;
    const items = this.list(['vmas'], value, 'VMAs');
    const vmas: { vma: Vma; index: number }[] = [];
    items.forEach((item, index) => {
      const path = ['vmas', index];
      const map = this.mapping(path, item, VMA_KEYS);
      if (map.start === undefined) this.fail(path, 'start is missing', 'start');
      if (map.end === undefined) this.fail(path, 'end is missing', 'end');
      const start = this.userAddress([...path, 'start'], map.start);
      const end = this.userAddress([...path, 'end'], map.end, 'end');
      if (start >= end) this.fail([...path, 'end'], `end ${hex(end)} must be above start ${hex(start)}`);
      const thp = this.bool([...path, 'thp'], map.thp);
      const pfnmap = this.bool([...path, 'pfnmap'], map.pfnmap);
      let hugetlb = 0;
      if (map.hugetlb !== undefined && map.hugetlb !== null && map.hugetlb !== false) {
        const size = this.bigint([...path, 'hugetlb'], map.hugetlb);
        const sizes = g.hugetlbSizes;
        if (!sizes.some((s) => BigInt(s) === size))
          this.fail([...path, 'hugetlb'], `${sizeName(Number(size))} is not a huge page size of ${g.arch} (use ${sizes.map(sizeName).join(' or ')})`);
        hugetlb = Number(size);
        if (pfnmap) this.fail([...path, 'pfnmap'], 'a VMA cannot be both hugetlb and pfnmap');
        if (!isAligned(start, hugetlb) || !isAligned(end, hugetlb))
          this.fail(path, `a hugetlb ${sizeName(hugetlb)} VMA must start and end on ${sizeName(hugetlb)} boundaries (${hex(start)}-${hex(end)})`);
      }
      const flags = (thp ? VmaFlag.THP : 0) | (pfnmap ? VmaFlag.PFNMAP : 0);
      vmas.push({ vma: { start, end, flags, hugetlb }, index });
    });
    const sorted = [...vmas].sort((a, b) => a.vma.start - b.vma.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.vma.start < prev.vma.end) {
        const [later, earlier] = cur.index > prev.index ? [cur, prev] : [prev, cur];
        this.fail(['vmas', later.index], `overlaps vmas[${earlier.index}] (${hex(earlier.vma.start)}-${hex(earlier.vma.end)}); VMAs must not overlap`);
      }
    }
    return sorted.map((v) => v.vma);
  }

  private readState(value: unknown, novma: boolean): StateItem[] {
    const g = this.geometry;
    const items = this.list(['state'], value, 'state items');
    const state: StateItem[] = [];
    const leaves: { start: number; end: number; index: number; level: number }[] = [];
    const tables: { at: number; level: number; index: number }[] = [];
    items.forEach((item, index) => {
      const path = ['state', index];
      const map = this.mapping(path, item, STATE_KEYS);
      if (map.kind === undefined) this.fail(path, `kind is missing (one of ${STATE_KINDS.join(', ')})`, 'kind');
      const kind = this.oneOf([...path, 'kind'], map.kind, STATE_KINDS);
      if (map.at === undefined) this.fail(path, 'at is missing', 'at');
      const at = novma ? this.anyAddress([...path, 'at'], map.at) : this.userAddress([...path, 'at'], map.at);
      const pages = kind === 'pte' || kind === 'guard';
      if (map.count !== undefined && !pages) this.fail(path, `count applies only to pte and guard items, not ${kind}`, 'count');
      const count = map.count === undefined ? 1 : this.count([...path, 'count'], map.count);
      if (map.level !== undefined && kind !== 'table') this.fail(path, `level applies only to table items, not ${kind}`, 'level');
      let level: LevelName | null = null;
      let hugetlbSize = 0;

      // Where the item lives, and whether it needs a VMA.
      const above = (addr: number) => novma && addr >= g.userTop;
      switch (kind) {
        case 'pte':
        case 'guard': {
          const end = at + count * g.pageSize;
          if (end > g.wordTop) this.fail([...path, 'count'], `${count} pages from ${hex(at)} run past the top of the address space`);
          this.requireCoverage(path, at, end, novma, `${kind} pages`);
          leaves.push({ start: tableAddr(g, at), end: tableAddr(g, at) + count * g.pageSize, index, level: 4 });
          break;
        }
        case 'thp-pmd':
        case 'thp-pud': {
          const size = kind === 'thp-pmd' ? g.hugePmd : g.hugePud;
          if (size === 0)
            this.fail([...path, 'kind'], `${g.arch} has no ${kind === 'thp-pmd' ? 'PMD' : 'PUD'}-level huge pages${g.hugePmd ? ' (use thp-pmd)' : ''}`);
          if (!isAligned(at, size)) this.fail([...path, 'at'], `${hex(at)} is not ${sizeName(size)} aligned (${kind})`);
          if (!above(at)) {
            const vma = vmaContaining(this.vmas, at);
            if (!vma || at + size > vma.end || isHugetlb(vma))
              this.fail([...path, 'at'], `a ${kind} at ${hex(at)} must lie inside one VMA that is not hugetlb (it spans ${hex(at)}-${hex(at + size)})`);
          }
          leaves.push({ start: tableAddr(g, at), end: tableAddr(g, at) + size, index, level: kind === 'thp-pmd' ? 3 : 2 });
          break;
        }
        case 'table': {
          if (map.level === undefined) this.fail(path, 'level is missing (the level of the table: p4d, pud, pmd or pte)', 'level');
          level = this.oneOf([...path, 'level'], map.level, LEVELS);
          const li = levelIndex(level);
          if (li === 0) this.fail([...path, 'level'], 'the pgd always exists; name a lower level');
          if (!g.real[li]) this.fail([...path, 'level'], `${level} is folded on ${g.arch}: it has no tables of its own (real levels: ${LEVELS.filter((_, i) => g.real[i]).join(', ')})`);
          if (!above(at) && !vmaContaining(this.vmas, at)) this.fail([...path, 'at'], `${hex(at)} is not inside any VMA`);
          tables.push({ at: tableAddr(g, at), level: li, index });
          break;
        }
        case 'hugetlb': {
          const vma = vmaContaining(this.vmas, at);
          if (!vma || !isHugetlb(vma)) this.fail([...path, 'at'], `${hex(at)} is not inside a hugetlb VMA`);
          hugetlbSize = vma.hugetlb;
          if (!isAligned(at, hugetlbSize)) this.fail([...path, 'at'], `${hex(at)} is not aligned to the VMA's ${sizeName(hugetlbSize)} huge pages`);
          const slot = hugeSlotLevel(g, hugetlbSize);
          leaves.push({ start: tableAddr(g, at), end: tableAddr(g, at) + hugetlbSize, index, level: slot });
          break;
        }
      }
      state.push({ kind, level, at, count });
    });

    const sorted = [...leaves].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.start < prev.end) {
        const [later, earlier] = cur.index > prev.index ? [cur, prev] : [prev, cur];
        this.fail(['state', later.index], `overlaps state[${earlier.index}]; leaf entries (pte, guard, thp, hugetlb) must not overlap`);
      }
    }
    for (const table of tables) {
      for (const leaf of leaves) {
        if (leaf.level < table.level && leaf.start <= table.at && table.at < leaf.end)
          this.fail(['state', table.index], `a ${LEVELS[table.level]} table cannot lie inside the huge entry of state[${leaf.index}]`);
      }
    }
    return state;
  }

  /** [start, end) lies in VMAs that are not hugetlb (or, for a novma walk, above the top of user space). */
  private requireCoverage(path: Path, start: number, end: number, novma: boolean, what: string): void {
    const g = this.geometry;
    let addr = start;
    while (addr < end) {
      if (novma && addr >= g.userTop) return;
      const vma = vmaContaining(this.vmas, addr);
      if (!vma) this.fail([...path, 'at'], `${what} at ${hex(addr)} lie outside every VMA`);
      if (isHugetlb(vma)) this.fail([...path, 'at'], `${what} at ${hex(addr)} lie in a hugetlb VMA; use kind: hugetlb`);
      addr = vma.end;
    }
  }

  private readWalk(map: Mapping, api: WalkApi, kernel: KernelVersion): Scenario['walk'] {
    const path = ['walk'];
    const novma = api === 'walk_page_range_novma';
    if (kernel === '6.12' && api === 'walk_page_range_mm')
      this.fail([...path, 'api'], 'walk_page_range_mm does not exist in 6.12 (added in 6.13); set kernel: "6.13" or use walk_page_range');
    if (map.start === undefined) this.fail(path, 'start is missing', 'start');
    if (map.end === undefined) this.fail(path, 'end is missing', 'end');
    const start = novma ? this.anyAddress([...path, 'start'], map.start) : this.userAddress([...path, 'start'], map.start);
    const end = novma ? this.anyAddress([...path, 'end'], map.end, 'end') : this.userAddress([...path, 'end'], map.end, 'end');
    if (api === 'walk_page_vma' && !vmaContaining(this.vmas, start))
      this.fail([...path, 'start'], `walk_page_vma walks the VMA that contains start, and no VMA contains ${hex(start)}`);
    if (api === 'walk_page_range_vma' && !findVma(this.vmas, start))
      this.fail([...path, 'start'], `walk_page_range_vma needs a VMA at or after start (${hex(start)}), and there is none`);
    const ops = this.readOps(map.ops, kernel);
    return { api, start, end, ops };
  }

  private readOps(value: unknown, kernel: KernelVersion): OpsSpec {
    const path = ['walk', 'ops'];
    if (value === undefined || value === null) return { preset: null, callbacks: {} };
    const keys = [...CALLBACKS, 'preset'];
    const map = this.mapping(path, value, keys);
    if (map.preset !== undefined) {
      const preset = this.oneOf([...path, 'preset'], map.preset, PRESETS) as PresetName;
      const other = Object.keys(map).find((k) => k !== 'preset');
      if (other) this.fail(path, `a preset stands alone: remove '${other}' or the preset`, other);
      if (kernel === '6.12')
        this.fail([...path, 'preset'], `${preset} needs MADV_GUARD_INSTALL/REMOVE, added in 6.13; set kernel: "6.13"`);
      return { preset };
    }
    const callbacks: Partial<Record<CallbackName, Rule[]>> = {};
    for (const name of Object.keys(map) as CallbackName[]) {
      if (name === 'install_pte' && kernel === '6.12')
        this.fail(path, 'install_pte does not exist in 6.12 (added in 6.13); set kernel: "6.13" or remove it', name);
      callbacks[name] = this.readRules([...path, name], name, map[name]);
    }
    return { preset: null, callbacks };
  }

  private readRules(path: Path, callback: CallbackName, value: unknown): Rule[] {
    if (value === null || value === undefined || value === 'ok') return [];
    if (typeof value === 'string')
      this.fail(path, `'${value}' is not a callback value: write ok, a list of rules, or a rule mapping`);
    if (Array.isArray(value)) return value.map((rule, i) => this.readRule([...path, i], callback, rule));
    if (typeof value === 'object') return [this.readRule(path, callback, value)];
    return this.fail(path, `expected ok, a list of rules or a rule mapping, found ${describeValue(value)}`);
  }

  private readRule(path: Path, callback: CallbackName, value: unknown): Rule {
    const map = this.mapping(path, value, RULE_KEYS);
    const at = map.at === undefined ? null : this.anyAddress([...path, 'at'], map.at);
    let range: readonly [Addr, Addr] | null = null;
    if (map.in !== undefined) {
      if (!Array.isArray(map.in) || map.in.length !== 2) this.fail([...path, 'in'], 'expected [start, end]');
      const lo = this.anyAddress([...path, 'in', 0], map.in[0]);
      const hi = this.anyAddress([...path, 'in', 1], map.in[1], 'end');
      if (lo >= hi) this.fail([...path, 'in'], `[${hex(lo)}, ${hex(hi)}) is empty; end must be above start`);
      range = [lo, hi];
    }
    let state: RuleState | null = null;
    if (map.if !== undefined) {
      const allowed = IF_STATES[callback];
      if (!allowed) this.fail([...path, 'if'], `${callback} is given no page-table entry, so an if would never match; remove it`);
      state = this.oneOf([...path, 'if'], map.if, allowed);
    }
    const ret = map.return === undefined ? 0 : this.int([...path, 'return'], map.return);
    const action = map.action === undefined ? -1 : ACTIONS.indexOf(this.oneOf([...path, 'action'], map.action, ACTIONS));
    const times = map.times === undefined ? null : this.count([...path, 'times'], map.times);
    let install: EntryKind | null = null;
    if (map.install !== undefined) {
      if (callback !== 'install_pte') this.fail(path, 'install applies only to install_pte', 'install');
      const what = this.oneOf([...path, 'install'], map.install, ['pte', 'marker', 'guard'] as const);
      install = what === 'pte' ? Entry.PRESENT : Entry.MARKER;
    }
    return { at, in: range, if: state, return: ret, action, times, install };
  }

  private readExpect(value: unknown): Expectations {
    const map = this.mapping(['expect'], value, EXPECT_KEYS);
    let ret: number[] | null = null;
    if (map.ret !== undefined) {
      const values = Array.isArray(map.ret) ? map.ret : [map.ret];
      if (values.length === 0) this.fail(['expect'], 'list at least one value (e.g. [0, -12])', 'ret');
      ret = values.map((v, i) => this.int(Array.isArray(map.ret) ? ['expect', 'ret', i] : ['expect', 'ret'], v));
    }
    let noEmptyTables: LevelName[] | null = null;
    const allocated = LEVELS.filter((_, i) => i > 0 && this.geometry.real[i]);
    if (map.no_empty_tables !== undefined && map.no_empty_tables !== false) {
      if (map.no_empty_tables === true) noEmptyTables = [...allocated];
      else {
        const values = Array.isArray(map.no_empty_tables) ? map.no_empty_tables : [map.no_empty_tables];
        noEmptyTables = values.map((v, i) => {
          const path = Array.isArray(map.no_empty_tables) ? ['expect', 'no_empty_tables', i] : ['expect', 'no_empty_tables'];
          const level = this.oneOf(path, v, LEVELS);
          if (!allocated.includes(level)) this.fail(path, `${this.geometry.arch} never allocates a ${level} table (allocated levels: ${allocated.join(', ')})`);
          return level;
        });
      }
    }
    const noGuardOutsideRange = map.no_guard_outside_range === undefined ? false : this.bool(['expect', 'no_guard_outside_range'], map.no_guard_outside_range);
    if (ret === null && noEmptyTables === null && !noGuardOutsideRange)
      this.fail(['expect'], 'expect states nothing: give ret, no_empty_tables or no_guard_outside_range');
    return { ret, noEmptyTables, noGuardOutsideRange };
  }

  private readFaults(value: unknown): Fault[] {
    const g = this.geometry;
    return this.list(['faults'], value, 'faults').map((item, index) => {
      const path = ['faults', index];
      const map = this.mapping(path, item, ['alloc', 'pte_map', 'level']);
      if (map.alloc !== undefined && map.pte_map !== undefined) this.fail(path, 'a fault is either alloc or pte_map, not both', 'pte_map');
      if (map.alloc !== undefined) {
        const nth = this.count([...path, 'alloc'], map.alloc);
        let level: LevelName | null = null;
        if (map.level !== undefined) {
          level = this.oneOf([...path, 'level'], map.level, LEVELS);
          const li = levelIndex(level);
          if (li === 0 || !g.real[li])
            this.fail([...path, 'level'], `${g.arch} never allocates a ${level} table (allocated levels: ${LEVELS.filter((_, i) => i > 0 && g.real[i]).join(', ')})`);
        }
        return { kind: 'alloc', nth, level } as const;
      }
      if (map.pte_map !== undefined) {
        if (map.level !== undefined) this.fail(path, 'level applies only to alloc faults', 'level');
        return { kind: 'pte_map', nth: this.count([...path, 'pte_map'], map.pte_map) } as const;
      }
      return this.fail(path, 'a fault needs alloc: N (the Nth table allocation fails) or pte_map: N');
    });
  }
}

/** The choice closest to a mistyped word, if it is close enough to suggest. */
function closest(word: string, choices: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const d = editDistance(word.toLowerCase(), choice.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = choice;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
