// SPDX-License-Identifier: GPL-2.0-only
/**
 * The UI over a sweep: one App per run, `]` and `[` move to the next or the
 * previous run (failure point). Each run opens at where it stopped; the
 * recordings opened here for other runs are closed when the UI ends (the
 * first is the caller's).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Recording } from '../../replay/open-recording.js';
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
  const open = useCallback(
    (to: number): string | null => {
      const target = runs[to]!;
      try {
        // Through the first run's connection: the rows the runs share are read once.
        const next = target.id === recording.run ? recording : (opened.current.find((r) => r.run === target.id) ?? recording.openRun(target.id));
        if (next !== recording && !opened.current.includes(next)) opened.current.push(next);
        latest.current = to;
        setCurrent({ session: new TuiSession(next), first: false });
        return null;
      } catch (error) {
        return `cannot open run ${target.id}: ${(error as Error).message}`;
      }
    },
    [runs, recording],
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
  const info: RunSwitch = { index, count: runs.length, id: run.id, label: run.label, outcome, switchRun, openRun };
  return <App key={run.id} session={current.session} runs={info} {...rest} {...(current.first && initialSeq !== undefined ? { initialSeq } : {})} />;
}
