// SPDX-License-Identifier: GPL-2.0-only
/**
 * walkback export REC|SCENARIO --format perfetto|jsonl|trace [-o FILE]: a
 * walk in the formats other tools read. Perfetto: Chrome trace-event JSON
 * (ui.perfetto.dev, chrome://tracing); jsonl: one event a line, addresses as
 * hex strings (jq, pandas); trace: the kernel-style callback trace.
 * A file is written beside its target and renamed into place when complete.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import type { WalkEvent } from '../../events/walk-event.js';
import type { Geometry } from '../../mm/geometry.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import { runScenario } from '../../walker/run.js';
import { PerfettoDocument } from '../../views/export/perfetto.js';
import { eventJson } from '../../views/show/show.js';
import type { TextSink } from '../../views/text-sink.js';
import { formatTraceLine } from '../../events/trace-line.js';
import { UsageError } from '../errors.js';
import { isRecordingInput, parseRun, runOfScenario } from '../inputs.js';
import { outputError, refuseOutputOverInput } from '../output-file.js';
import { STDIN, STDIN_NAME } from '../../scenario/load-scenario.js';
import { LineWriter } from '../output.js';
import { openWalk } from '../walk-input.js';
import { packageVersion } from '../../recorder/package-root.js';

export const EXPORT_FORMATS = ['perfetto', 'jsonl', 'trace'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFlags {
  readonly format?: string;
  readonly output?: string;
  readonly force?: boolean;
  readonly run?: string;
}

/** A format, fed the walk's events one at a time: each is written as soon as it can be. */
interface FormatWriter {
  add(e: WalkEvent): void;
  end(): void;
}

function formatWriter(format: ExportFormat, out: TextSink, geometry: Geometry, title: string, about: Record<string, unknown>): FormatWriter {
  if (format === 'perfetto') return new PerfettoDocument(out, geometry, title, about);
  if (format === 'jsonl') return { add: (e) => out.write(`${JSON.stringify(eventJson(e))}\n`), end: () => {} };
  return {
    add: (e) => {
      const line = formatTraceLine(e);
      if (line !== null) out.write(`${line}\n`);
    },
    end: () => {},
  };
}

/** The walk to export: a recording's run, read chunk by chunk, or a scenario, walked as it is written out. */
interface ExportSource {
  readonly name: string;
  readonly arch: string;
  readonly kernel: string;
  readonly geometry: Geometry;
  /** The run of the recording, or null for a scenario. */
  readonly run: number | null;
  /** Hand every event to `add`, in order. */
  feed(add: (e: WalkEvent) => void): void;
  close(): void;
}

function openSource(input: string, run: number | undefined): ExportSource {
  if (isRecordingInput(input)) {
    const walk = openWalk(input, run);
    return {
      ...walk,
      run: walk.recording!.run,
      feed: (add) => {
        for (const e of walk.replay.log.events(0, walk.replay.length)) add(e);
      },
    };
  }
  if (run !== undefined) throw runOfScenario(input);
  const scenario = loadScenario(input);
  return {
    name: scenario.name,
    arch: scenario.arch,
    kernel: scenario.kernel,
    geometry: scenario.geometry,
    run: null,
    feed: (add) => void runScenario(scenario, add),
    close: () => {},
  };
}

export function exportCommand(input: string, flags: ExportFlags): void {
  const format = (flags.format ?? 'perfetto') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format ${flags.format}: not a format; give perfetto (Chrome trace-event JSON), jsonl (one event a line) or trace (the callback trace)`);
  const run = parseRun(flags.run);
  if (flags.output !== undefined) {
    refuseOutputOverInput(flags.output, [{ file: input === STDIN ? STDIN_NAME : input, kind: isRecordingInput(input) ? 'recording' : 'scenario' }]);
    if (existsSync(flags.output)) {
      if (statSync(flags.output).isDirectory()) throw new UsageError(`-o ${flags.output} is a directory; give a file name`);
      if (!flags.force) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
    }
  }
  const source = openSource(input, run);
  const runText = source.run ? ` run ${source.run}` : '';
  const title = `walkback ${source.name} (${source.arch}, ${source.kernel})${runText}`;
  const about = {
    walkback: packageVersion(),
    ...(source.run !== null ? { recording: input, run: source.run } : {}),
    scenario: source.name,
    arch: source.arch,
    kernel: source.kernel,
    time: '1 µs = 1 event',
  };
  const target = flags.output;
  const temporary = target === undefined ? null : `${target}.partial-${process.pid}`;
  let fd = 1;
  try {
    if (temporary) {
      try {
        fd = openSync(temporary, 'w');
      } catch (error) {
        throw outputError(target!, error);
      }
    }
    // Synchronous writes at the reader's pace: a pipe's reader holds the walk or the recording's reads back.
    const out = LineWriter.toFd(fd, target ?? 'to standard output');
    const writer = formatWriter(format, out, source.geometry, title, about);
    source.feed((e) => writer.add(e));
    writer.end();
    out.flush();
    if (temporary) {
      closeSync(fd);
      fd = 1;
      renameSync(temporary, target!);
    }
  } finally {
    if (fd !== 1) closeSync(fd);
    if (temporary && existsSync(temporary)) rmSync(temporary, { force: true });
    source.close();
  }
}
