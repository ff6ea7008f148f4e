// SPDX-License-Identifier: GPL-2.0-only
/**
 * Run a program on the running kernel: spawn the kernel runner (a process of
 * its own: walkback's address space is never touched), feed it the lines,
 * check that the start state came out as the scenario wrote it, and turn
 * each result line into a typed result of the step it belongs to.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { StepOp } from '../scenario/steps.js';
import { ERRNOS } from '../scenario/steps.js';
import type { CompileOptions } from './compile-runner.js';
import { compileRunner } from './compile-runner.js';
import { KernelRefusal, KernelRunError } from './errors.js';
import type { LineOrigin, RunnerProgram } from './program-lines.js';

/** The runner's first line. */
export interface RunnerHeader {
  readonly pid: number;
  /** Whether PAGEMAP_SCAN works: without it a huge page reads as '#', not 'H'. */
  readonly pagemapScan: boolean;
  /** Whether the run started just after a khugepaged scan (native/kernel-runner.c says why). */
  readonly khugepaged: 'synced' | 'unsynced' | 'unused' | 'unavailable';
}

export type AccessOutcome = 'ok' | 'segv' | 'sigbus';

/** What the running kernel did at one step of `steps:`. */
export interface KernelStepResult {
  /** The step's index in `steps:`. */
  readonly index: number;
  readonly op: StepOp;
  /** The call's return value, or -errno when it failed; null for read, write and check. */
  readonly ret: number | null;
  readonly errno: number;
  /** read and write: 'ok' or 'segv' when every page had that outcome, else each page's; null otherwise. */
  readonly access: 'ok' | 'segv' | readonly AccessOutcome[] | null;
  /** After the step: one map per report range (`check`'s alphabet; 's' a swap entry). */
  readonly maps: readonly string[];
  /** VmPTE after the step, in bytes: every page-table page of the runner's mm. */
  readonly vmPte: number;
  /**
   * Pages khugepaged collapsed (anywhere in the system) from just before the previous step's maps
   * were read to just after these were: not 0 means an 'H' here may be khugepaged's.
   */
  readonly khugepaged: number;
}

export interface KernelRunOptions {
  /** The runner executable (default: compiled from native/kernel-runner.c, cached). */
  readonly runner?: string;
  readonly compile?: CompileOptions;
  /** The whole run's limit (default 120 s). */
  readonly timeoutMs?: number;
  /** How long the runner waits for khugepaged's scan before a THP program (default: the runner's, 200 ms). */
  readonly khugepagedWaitMs?: number;
}

interface RawLine {
  step?: number;
  ret?: number | null;
  errno?: number;
  access?: 'ok' | 'segv' | AccessOutcome[] | null;
  maps?: string[] | null;
  vm_pte?: number;
  /** A result's count of collapses; the header's word. */
  khugepaged?: number | string;
  done?: number;
  runner?: number;
  pid?: number;
  pagemap_scan?: boolean;
}

const ERRNO_NAMES = new Map(Object.entries(ERRNOS).map(([name, value]) => [value, name]));
const errnoName = (errno: number): string => `-${ERRNO_NAMES.get(errno) ?? errno}`;
const hexAddr = (a: number): string => `0x${a.toString(16)}`;
const collapses = (raw: RawLine): number => (typeof raw.khugepaged === 'number' ? raw.khugepaged : 0);

/** A kernel run in progress: the header and the start state are in, the steps stream. */
export class KernelRun {
  private readonly lines: AsyncIterator<string>;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private timedOut = false;
  private readonly timer: NodeJS.Timeout;
  private next = 0; // the operation line whose result comes next
  header!: RunnerHeader;
  /** The start state's maps as the kernel made them (equal to program.startMaps: run-kernel checks). */
  startMaps: readonly string[] = [];
  /** Pages khugepaged collapsed while the start state was made. */
  setupKhugepaged = 0;

  private constructor(
    readonly program: RunnerProgram,
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
    private readonly timeoutMs: number,
  ) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (this.stderr.length < 65536) this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    child.on('error', (error) => {
      this.stderr ||= `cannot start the kernel runner: ${error.message}`;
    });
    child.stdin.on('error', () => {}); // EPIPE when it dies before reading everything: the exit says why
    child.stdin.end(`${program.lines.join('\n')}\n`);
    this.lines = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
  }

  /** Spawn the runner, read its header and the start state's lines; refuses what the kernel did not make. */
  static async start(program: RunnerProgram, options: KernelRunOptions = {}): Promise<KernelRun> {
    const runner = options.runner ?? compileRunner(options.compile).path;
    const args = options.khugepagedWaitMs !== undefined ? [`--khugepaged-wait=${Math.round(options.khugepagedWaitMs)}`] : [];
    const child = spawn(runner, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const run = new KernelRun(program, child, options.timeoutMs ?? 120_000);
    try {
      const header = await run.read();
      if (header.runner !== 1) throw run.protocolError('its first line is not the header');
      const khugepaged = ['synced', 'unsynced', 'unused', 'unavailable'].includes(String(header.khugepaged))
        ? (header.khugepaged as RunnerHeader['khugepaged'])
        : 'unavailable';
      run.header = { pid: header.pid ?? 0, pagemapScan: header.pagemap_scan === true, khugepaged };
      await run.readSetup();
      return run;
    } catch (error) {
      run.close();
      throw error;
    }
  }

  /** The results of the steps, in order; a crash, a timeout or a broken line is a KernelRunError naming the step. */
  async *steps(): AsyncGenerator<KernelStepResult> {
    try {
      while (this.next < this.program.origins.length) {
        const origin = this.program.origins[this.next]!;
        const raw = await this.read();
        if (origin.kind !== 'step') throw this.protocolError('a set-up line came after the steps began');
        yield this.result(origin, raw);
      }
      const done = await this.read();
      if (done.done !== this.program.origins.length) throw this.protocolError(`it ended with ${JSON.stringify(done)}`);
      const { code } = await this.exited;
      if (code !== 0) throw await this.failure();
    } finally {
      this.close();
    }
  }

  close(): void {
    clearTimeout(this.timer);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** The next JSON line; the end of the output is the runner's failure. */
  private async read(): Promise<RawLine> {
    const { value, done } = await this.lines.next();
    if (done) throw await this.failure();
    let raw: RawLine;
    try {
      raw = JSON.parse(value) as RawLine;
    } catch {
      throw this.protocolError(`it printed a line that is not JSON: ${value.slice(0, 80)}`);
    }
    if (raw.step !== undefined) {
      if (raw.step !== this.next) throw this.protocolError(`result ${raw.step} came where ${this.next} was due`);
      this.next++;
    }
    return raw;
  }

  private async readSetup(): Promise<void> {
    const { program } = this;
    for (let i = 0; i < program.setupLines; i++) {
      const origin = program.origins[i]!;
      const line = program.lines[program.reports.length + i]!;
      const raw = await this.read();
      this.setupKhugepaged += collapses(raw);
      const item = origin.kind === 'setup' ? origin.item : `line ${i}`;
      const [op, at] = line.split(' ');
      const want = op === 'mmap' ? Number.parseInt(at!, 16) : 0;
      if (op === 'write' ? raw.access !== 'ok' : raw.ret !== want) {
        const got = op === 'write' ? `a write fault gave ${JSON.stringify(raw.access)}` : `${op} returned ${raw.ret! < 0 ? errnoName(-raw.ret!) : raw.ret}`;
        throw this.setupRefusal(item, `the running kernel did not make it: ${got} (runner line: ${line.replace(/ quiet$/, '')})`);
      }
      if (i === program.setupLines - 1) {
        this.startMaps = raw.maps ?? [];
        this.checkStartMaps();
      }
    }
  }

  /** The start state as made must be the start state as written; else name the item at the first page that differs. */
  private checkStartMaps(): void {
    const { program } = this;
    const page = 4096;
    program.reports.forEach((range, r) => {
      const got = this.startMaps[r] ?? '';
      const want = program.startMaps[r]!;
      if (got === want) return;
      let i = 0;
      while (i < want.length && got[i] === want[i]) i++;
      const at = range.at + i * page;
      const part = [...program.startParts].reverse().find((p) => p.at <= at && at < p.at + p.pages * page);
      const why =
        want[i] === 'H'
          ? ' (the kernel mapped no THP on the fault: see /sys/kernel/mm/transparent_hugepage/enabled, or no free 2 MiB page)'
          : this.setupKhugepaged > 0
            ? ' (khugepaged collapsed pages meanwhile: run it again)'
            : '';
      throw this.setupRefusal(
        part?.item ?? 'vmas',
        `the running kernel did not make it: at ${hexAddr(at)} pagemap shows '${got[i] ?? ''}' where the start state has '${want[i]}'${why}`,
      );
    });
  }

  private setupRefusal(item: string, problem: string): KernelRefusal {
    const name = item.startsWith('vmas') ? 'vmas' : item;
    const text = item.startsWith('vmas') ? `${item.slice(5)}: ${problem}` : problem;
    return new KernelRefusal(text, { file: this.program.file, item: name });
  }

  private result(origin: Extract<LineOrigin, { kind: 'step' }>, raw: RawLine): KernelStepResult {
    if (!Array.isArray(raw.maps) || raw.maps.length !== this.program.reports.length)
      throw this.protocolError(`steps[${origin.index}] has ${Array.isArray(raw.maps) ? raw.maps.length : 'no'} maps for ${this.program.reports.length} report ranges`);
    return {
      index: origin.index,
      op: origin.op,
      ret: raw.ret ?? null,
      errno: raw.errno ?? 0,
      access: raw.access ?? null,
      maps: raw.maps,
      vmPte: raw.vm_pte ?? -1,
      khugepaged: collapses(raw),
    };
  }

  /** Where the runner was: the origin of the line whose result was due. */
  private where(): { text: string; step: number | null } {
    const origin = this.program.origins[this.next];
    if (!this.header) return { text: 'before the program began', step: null };
    if (!origin) return { text: this.next === 0 ? 'before the first line' : 'after the last step', step: null };
    if (origin.kind === 'setup') return { text: `while making ${origin.item}`, step: null };
    return { text: `during steps[${origin.index}] (line ${origin.line})`, step: origin.index };
  }

  private protocolError(what: string): KernelRunError {
    const { text, step } = this.where();
    return new KernelRunError(`the kernel runner broke its protocol ${text}: ${what}`, step);
  }

  /** Why the runner stopped: its exit status and its one line on stderr, as a typed error. */
  private async failure(): Promise<Error> {
    const { code, signal } = await this.exited;
    clearTimeout(this.timer);
    const message = this.stderr.trim().split('\n')[0]?.replace(/^kernel-runner: /, '') ?? '';
    const { text, step } = this.where();
    if (this.timedOut) return new KernelRunError(`the kernel runner timed out after ${this.timeoutMs / 1000} s ${text}`, step);
    if (code === 3) return this.takenRefusal(message);
    if (code === 4) return new KernelRunError(`the kernel runner cannot read the page tables: ${message}`, null);
    if (code === 2) return new KernelRunError(`the kernel runner refused its input (a bug in walkback): ${message}`, step);
    if (signal) return new KernelRunError(`the kernel runner died of ${signal} ${text}${message ? `: ${message}` : ''}`, step);
    return new KernelRunError(`the kernel runner stopped (exit status ${code}) ${text}${message ? `: ${message}` : ''}`, step);
  }

  /** "0x...-0x... (line N) is already mapped in the runner's process: MAPS LINE", for the step or item of line N. */
  private takenRefusal(message: string): KernelRefusal {
    const parsed = /^(0x[0-9a-f]+-0x[0-9a-f]+) \(line (\d+)\) is already mapped in the runner's process: (.*)$/.exec(message);
    const { program } = this;
    const problem = parsed
      ? `${parsed[1]} is already mapped in the runner's process (${parsed[3]!.replace(/\s+/g, ' ').trim()}): verify needs the program's addresses free; choose others`
      : message;
    const origin = parsed ? program.origins[Number(parsed[2]) - 1 - program.reports.length] : undefined;
    if (origin?.kind === 'step')
      return new KernelRefusal(problem, { file: program.file, item: `steps[${origin.index}]`, line: origin.line, col: origin.col });
    if (origin?.kind === 'setup') return this.setupRefusal(origin.item, problem);
    return new KernelRefusal(problem, { file: program.file, item: 'steps' });
  }
}

export interface KernelRunResult {
  readonly header: RunnerHeader;
  readonly startMaps: readonly string[];
  readonly steps: readonly KernelStepResult[];
  /** Pages khugepaged collapsed during the run (set-up included). */
  readonly khugepaged: number;
  /** Whether the run was made again, synchronised with khugepaged, because it collapsed pages during the first. */
  readonly rerun: boolean;
}

/** Start a run whose steps stream: for a program whose maps are too big to keep every step's. */
export function startKernelRun(program: RunnerProgram, options: KernelRunOptions = {}): Promise<KernelRun> {
  return KernelRun.start(program, options);
}

/**
 * Run the whole program and collect every step's result. A THP program
 * during which khugepaged collapsed pages, without the runner having
 * synchronised with it, runs once more, waiting for khugepaged's scan
 * first: a collapse in it would otherwise read as the kernel's fault path.
 */
export async function runKernel(program: RunnerProgram, options: KernelRunOptions = {}): Promise<KernelRunResult> {
  const first = await collect(program, options);
  if (!program.usesThp || first.khugepaged === 0 || first.header.khugepaged === 'synced' || options.khugepagedWaitMs !== undefined) return first;
  const again = await collect(program, { ...options, khugepagedWaitMs: khugepagedSleepMs() + 2000 });
  return { ...again, rerun: true };
}

async function collect(program: RunnerProgram, options: KernelRunOptions): Promise<KernelRunResult> {
  const run = await KernelRun.start(program, options);
  const steps: KernelStepResult[] = [];
  for await (const result of run.steps()) steps.push(result);
  const khugepaged = run.setupKhugepaged + steps.reduce((sum, s) => sum + s.khugepaged, 0);
  return { header: run.header, startMaps: run.startMaps, steps, khugepaged, rerun: false };
}

/** khugepaged's sleep between scans (10 s unless tuned). */
function khugepagedSleepMs(): number {
  try {
    const ms = Number(readFileSync('/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs', 'utf8').trim());
    return Number.isFinite(ms) && ms >= 0 ? ms : 10_000;
  } catch {
    return 10_000;
  }
}
