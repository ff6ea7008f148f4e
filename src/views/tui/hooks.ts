// SPDX-License-Identifier: GPL-2.0-only
/** Hooks the UI's views share: the terminal's size, and state behind a pure reducer that keys meet at once. */
import { useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

/** The terminal's size, kept up to date; `fixed` when the caller knows better (tests). */
export function useTerminalSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  // One row less than the terminal: a frame as tall as the screen makes Ink clear the whole screen on every redraw.
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: (stdout.rows || 24) - 1 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return size;
}

/**
 * State held so that a key always meets the state the keys before it made,
 * even before React has drawn it: Ink re-subscribes input handlers only after
 * each frame, and a fast typist (or a terminal's key repeat) gets there
 * first. Dispatch applies the pure reducer at once, then asks for a frame.
 */
export function useStore<S, A>(reducer: (state: S, action: A) => S, init: () => S): [S, () => S, (action: A) => void] {
  const ref = useRef<S | null>(null);
  if (ref.current === null) ref.current = init();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const dispatch = useCallback((action: A) => {
    const next = reducer(ref.current!, action);
    if (next !== ref.current) {
      ref.current = next;
      redraw();
    }
  }, [reducer]);
  const latest = useCallback(() => ref.current!, []);
  return [ref.current, latest, dispatch];
}
