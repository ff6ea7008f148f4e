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
import { perfettoJson } from '../../views/export/perfetto.js';
import { eventJson } from '../../views/show/show.js';
import { formatTraceLine } from '../../events/trace-line.js';
import { RuntimeError, UsageError } from '../errors.js';
import { isRecordingInput, parseRun } from '../inputs.js';
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
  if (flags.output !== undefined) {
    refuseOutputOverInput(flags.output, [{ file: input === STDIN ? STDIN_NAME : input, kind: isRecordingInput(input) ? 'recording' : 'scenario' }]);
    if (existsSync(flags.output)) {
      if (statSync(flags.output).isDirectory()) throw new UsageError(`-o ${flags.output} is a directory; give a file name`);
      if (!flags.force) throw new UsageError(`${flags.output} exists; pass --force to replace it, or choose another -o`);
    }
  }
  const walk = openWalk(input, run);
  const events = walk.replay.log.events(0, walk.replay.length);
  const runText = walk.recording && walk.recording.run ? ` run ${walk.recording.run}` : '';
  const title = `walkback ${walk.name} (${walk.arch}, ${walk.kernel})${runText}`;
  const about = {
    walkback: packageVersion(),
    ...(walk.recording ? { recording: input, run: walk.recording.run } : {}),
    scenario: walk.name,
    arch: walk.arch,
    kernel: walk.kernel,
    time: '1 µs = 1 event',
  };
  const geometry = walk.geometry;
  const close = () => walk.close();
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
    const sink = LineWriter.toFd(fd);
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
