// SPDX-License-Identifier: GPL-2.0-only
/**
 * The UI over a sweep: one App per run, `]` and `[` move to the next or the
 * previous run (failure point), `R` to run K. Each run opens at where it
 * stopped. `D` compares the run with the fault-free one in the diff view,
 * cursors locked on where they part; leaving it comes back to the run. The
 * recordings opened here for other runs are closed when the UI ends (the
 * first is the caller's).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RunSide } from '../../replay/compare-runs.js';
import { RecordingLog } from '../../replay/event-log.js';
import { firstDivergence } from '../../replay/first-divergence.js';
import type { Recording } from '../../replay/open-recording.js';
import { Replay } from '../../replay/replay.js';
import { sharedPrefix } from '../../replay/run-segments.js';
import { DiffApp } from './diff/diff-app.js';
import { DiffModel } from './diff/diff-model.js';
import { describe, runOutcome } from '../../sweep/outcomes.js';
import { App } from './app.js';
import type { AppProps, RunSwitch } from './app.js';
import { TuiSession } from './model/session.js';

export interface RunSwitcherProps extends Omit<AppProps, 'session' | 'runs' | 'initialSeq'> {
  readonly recording: Recording;
  readonly initialSeq?: number;
}

export function RunSwitcher({ recording, initialSeq, ...rest }: RunSwitcherProps) {
  const runs = useMemo(() => recording.runs(), [recording]);
  const [current, setCurrent] = useState(() => ({ session: new TuiSession(recording), first: true }));
  const [diff, setDiff] = useState<{ model: DiffModel; divergence: number | null } | null>(null);
  const opened = useRef<Recording[]>([]);
  useEffect(
    () => () => {
      for (const r of opened.current) r.close();
    },
    [],
  );
  const index = Math.max(0, runs.findIndex((r) => r.id === current.session.recording.run));
  // Keys typed ahead of a frame each move from where the one before left (not from the drawn run).
  const latest = useRef(index);
  latest.current = index;
  /** Run `id`, through the first run's connection: the rows the runs share are read once. */
  const recordingOf = useCallback(
    (id: number): Recording => {
      if (id === recording.run) return recording;
      let found = opened.current.find((r) => r.run === id);
      if (!found) opened.current.push((found = recording.openRun(id)));
      return found;
    },
    [recording],
  );
  const open = useCallback(
    (to: number): string | null => {
      const target = runs[to]!;
      try {
        const next = recordingOf(target.id);
        latest.current = to;
        setCurrent({ session: new TuiSession(next), first: false });
        return null;
      } catch (error) {
        return `cannot open run ${target.id}: ${(error as Error).message}`;
      }
    },
    [runs, recordingOf],
  );
  const switchRun = useCallback(
    (delta: 1 | -1): string | null => {
      const from = latest.current;
      if (!runs[from + delta]) return delta > 0 ? `run ${runs[from]!.id} is the last run` : `run ${runs[from]!.id} is the first run`;
      return open(from + delta);
    },
    [runs, open],
  );
  const openRun = useCallback(
    (id: number): string | null => {
      const to = runs.findIndex((r) => r.id === id);
      return to < 0 ? `no run ${id}: this sweep has runs 0 to ${runs[runs.length - 1]!.id}` : open(to);
    },
    [runs, open],
  );
  const run = runs[index]!;
  // What this run ended with, in the sweep report's words (a few ms: its summary at the end).
  const outcome = useMemo(() => {
    try {
      return describe(runOutcome(current.session.recording, run.label, null));
    } catch {
      return null;
    }
  }, [current.session]);
  const diffWithBase = useCallback((): string | null => {
    const base = runs.find((r) => r.parent === null);
    const mine = current.session.recording;
    if (!base || base.id === mine.run) return 'this is the fault-free run: D compares a failure point with it';
    try {
      const theirs = recordingOf(base.id);
      const meta = recording.meta();
      const side = (label: string, replay: Replay): RunSide => ({ label, name: meta.scenarioName, arch: meta.arch, kernel: meta.kernel, replay });
      // This run's side keeps the replay (and its caches) the run's view has.
      const a = side(`run ${base.id} (${base.label})`, new Replay(new RecordingLog(theirs)));
      const b = side(`run ${mine.run} (${run.label})`, current.session.replay);
      // The view needs only where they part: it compares the tables at its cursors itself.
      setDiff({ model: new DiffModel(a, b), divergence: firstDivergence(a.replay.log, b.replay.log, sharedPrefix(theirs.segments, mine.segments)) });
      return null;
    } catch (error) {
      return `cannot compare with the fault-free run: ${(error as Error).message}`;
    }
  }, [runs, current.session, recording, recordingOf, run.label]);
  if (diff) return <DiffApp model={diff.model} divergence={diff.divergence} theme={rest.theme} {...(rest.size ? { size: rest.size } : {})} onClose={() => setDiff(null)} />;
  const info: RunSwitch = { index, count: runs.length, id: run.id, label: run.label, outcome, switchRun, openRun, diffWithBase };
  return <App key={run.id} session={current.session} runs={info} {...rest} {...(current.first && initialSeq !== undefined ? { initialSeq } : {})} />;
}
