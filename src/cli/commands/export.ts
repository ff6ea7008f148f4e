// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback export REC|SCENARIO --format perfetto|jsonl|trace [-o FILE]: a
 * walk in the formats other tools read. Perfetto: Chrome trace-event JSON
 * (ui.perfetto.dev, chrome://tracing); jsonl: one event a line, addresses as
 * hex strings (jq, pandas); trace: the kernel-style callback trace.
 * A file is written beside its target and renamed into place when complete.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { WalkEvent } from '../../events/walk-event.js';
import type { Geometry } from '../../mm/geometry.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import { perfettoJson } from '../../views/export/perfetto.js';
import { eventJson } from '../../views/show/show.js';
import { formatTraceLine } from '../../events/trace-line.js';
import { runScenario } from '../../walker/run.js';
import { RuntimeError, UsageError } from '../errors.js';
import { isRecordingInput, openRecording, parseRun, runOption } from '../inputs.js';
import { packageVersion } from '../../recorder/package-root.js';

export const EXPORT_FORMATS = ['perfetto', 'jsonl', 'trace'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFlags {
  readonly format?: string;
  readonly output?: string;
  readonly force?: boolean;
  readonly run?: string;
}

/** Text pieces to a file descriptor, 64 KiB at a time. */
class Sink {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 65536) this.flush();
  }
  flush(): void {
    if (!this.parts.length) return;
    const buffer = Buffer.from(this.parts.join(''));
    for (let off = 0; off < buffer.length; ) off += writeSync(this.fd, buffer, off);
    this.parts = [];
    this.size = 0;
  }
}

function* pieces(format: ExportFormat, events: Iterable<WalkEvent>, geometry: Geometry, title: string, about: Record<string, unknown>): Generator<string> {
  if (format === 'perfetto') return yield* perfettoJson(events, geometry, title, about);
  for (const e of events) {
    if (format === 'jsonl') yield `${JSON.stringify(eventJson(e))}\n`;
    else {
      const line = formatTraceLine(e);
      if (line !== null) yield `${line}\n`;
    }
  }
}

export function exportCommand(input: string, flags: ExportFlags): void {
  const format = (flags.format ?? 'perfetto') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format ${flags.format}: not a format; give perfetto (Chrome trace-event JSON), jsonl (one event a line) or trace (the callback trace)`);
  const run = parseRun(flags.run);
  if (flags.output !== undefined && existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) throw new UsageError(`-o ${flags.output} is a directory; give a file name`);
    if (!flags.force) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
  }
  let close = () => {};
  let events: Iterable<WalkEvent>;
  let geometry: Geometry;
  let title: string;
  let about: Record<string, unknown>;
  if (isRecordingInput(input)) {
    const recording = openRecording(input, runOption(run));
    close = () => recording.close();
    const meta = recording.meta();
    events = recording.events();
    geometry = recording.geometry;
    title = `walkback ${meta.scenarioName} (${meta.arch}, ${meta.kernel})${recording.run ? ` run ${recording.run}` : ''}`;
    about = { walkback: packageVersion(), recording: input, run: recording.run, scenario: meta.scenarioName, arch: meta.arch, kernel: meta.kernel, time: '1 µs = 1 event' };
  } else {
    if (run !== undefined) throw new UsageError(`--run applies to a recording; ${input} is a scenario`);
    const scenario = loadScenario(input);
    const list: WalkEvent[] = [];
    runScenario(scenario, (e) => list.push(e));
    events = list;
    geometry = scenario.geometry;
    title = `walkback ${scenario.name} (${scenario.arch}, ${scenario.kernel})`;
    about = { walkback: packageVersion(), scenario: scenario.name, arch: scenario.arch, kernel: scenario.kernel, time: '1 µs = 1 event' };
  }
  const target = flags.output;
  const temporary = target === undefined ? null : `${target}.partial-${process.pid}`;
  let fd = 1;
  try {
    if (temporary) {
      try {
        fd = openSync(temporary, 'w');
      } catch (error) {
        throw new RuntimeError(`cannot write ${target}: ${(error as Error).message}`);
      }
    }
    const sink = new Sink(fd);
    try {
      for (const piece of pieces(format, events, geometry, title, about)) sink.write(piece);
      sink.flush();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code) throw new RuntimeError(`cannot write ${target ?? 'to standard output'}: ${(error as Error).message}`);
      throw error;
    }
    if (temporary) {
      closeSync(fd);
      fd = 1;
      renameSync(temporary, target!);
    }
  } finally {
    if (fd !== 1) closeSync(fd);
    if (temporary && existsSync(temporary)) rmSync(temporary, { force: true });
    close();
  }
}
