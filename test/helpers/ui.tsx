// The terminal UI under ink-testing-library: a session on a recorded scenario, keys, frames.
import { render } from 'ink-testing-library';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { Recording } from '../../src/replay/open-recording.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { App } from '../../src/views/tui/app.js';
import type { AppProps } from '../../src/views/tui/app.js';
import { TuiSession } from '../../src/views/tui/model/session.js';
import { makeTheme } from '../../src/views/tui/theme.js';
import { recordTo } from './recording.js';

/** Record a scenario file and open a UI session on it. */
export async function sessionFor(dir: string, scenarioFile: string): Promise<{ session: TuiSession; events: WalkEvent[]; close: () => void }> {
  const result = await recordTo(dir, loadScenario(scenarioFile));
  const recording = Recording.open(result.file);
  const session = new TuiSession(recording);
  return { session, events: [...recording.events(0, recording.length)], close: () => recording.close() };
}

export const KEYS = {
  right: '\u001B[C',
  left: '\u001B[D',
  up: '\u001B[A',
  down: '\u001B[B',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
  home: '\u001B[H',
  end: '\u001B[F',
  tab: '\t',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
} as const;

export interface Ui {
  frame(): string;
  /** Send keys (each written alone, as a terminal would on separate presses) and wait for the frame to settle. */
  press(...keys: string[]): Promise<string>;
  /** The cursor's event number from the timeline (-1 before the first). */
  seq(): number;
  unmount(): void;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function waitFor(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function renderApp(props: Omit<AppProps, 'theme'> & { theme?: AppProps['theme'] }): Promise<Ui> {
  const instance = render(<App theme={makeTheme({ NO_COLOR: '1' })} size={{ columns: 100, rows: 30 }} {...props} />);
  const frame = () => instance.lastFrame() ?? '';
  await waitFor(() => frame().length > 0, 'the first frame');
  const ui: Ui = {
    frame,
    async press(...keys) {
      if (keys.length > 1 && keys.every((k) => k.length === 1 && k !== '\u001B')) {
        // Several plain keys: written back to back, as a fast typist or key repeat sends them.
        const before = instance.frames.length;
        for (const key of keys) instance.stdin.write(key);
        const until = Date.now() + 500;
        while (instance.frames.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
        await new Promise((r) => setTimeout(r, 30));
        return frame();
      }
      for (const key of keys) {
        const before = instance.frames.length;
        instance.stdin.write(key);
        // A lone Esc is held back for a turn of the event loop, in case a sequence follows.
        await tick();
        await tick();
        const until = Date.now() + 200;
        while (instance.frames.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
        await tick();
      }
      return frame();
    },
    seq() {
      const f = frame();
      if (/the start, before event 0 of 0-\d+/.test(f)) return -1;
      const m = /event (\d+) of 0-(\d+)/.exec(f);
      if (!m) throw new Error(`no position on the screen:\n${f}`);
      return Number(m[1]);
    },
    unmount: () => instance.unmount(),
  };
  return ui;
}
