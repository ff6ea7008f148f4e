// SPDX-License-Identifier: GPL-2.0-only
/**
 * Start the terminal UI on a recording and give the terminal back as it was.
 *
 * Ink is imported here, lazily, and only after CI and CONTINUOUS_INTEGRATION
 * are removed from the environment: Ink reads them once, at import, and then
 * draws nothing but the last frame (a blank screen for the whole session).
 * The UI runs on the alternate screen, like less and htop, with the
 * terminal's alternate-scroll mode on so that a mouse wheel arrives as arrow
 * keys (and text can still be selected with the mouse).
 */
import { createElement } from 'react';
import type { ReactElement } from 'react';
import type { RunSide } from '../../replay/compare-runs.js';
import type { Recording } from '../../replay/open-recording.js';
import { TuiSession } from './model/session.js';
import { makeTheme } from './theme.js';

export interface OpenUiOptions {
  /** Start at this event (default: where the walk stopped). */
  readonly at?: number;
  /** Follow a recording that is still being written. */
  readonly follow?: boolean;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
}

const ENTER = '\x1b[?1049h\x1b[?1007h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1007l\x1b[?1049l';

/** Why the UI cannot start here, or null when stdin and stdout are terminals. */
export function whyNoTerminal(stdin: { isTTY?: boolean } = process.stdin, stdout: { isTTY?: boolean } = process.stdout): string | null {
  if (!stdin.isTTY && !stdout.isTTY) return 'neither standard input nor standard output is a terminal';
  if (!stdin.isTTY) return 'standard input is not a terminal';
  if (!stdout.isTTY) return 'standard output is not a terminal';
  return null;
}

/** Run the UI until the user quits. The recording stays open; the caller closes it. */
export async function openUi(recording: Recording, options: OpenUiOptions = {}): Promise<void> {
  await fullScreen(async () => {
    const props = { theme: makeTheme(), follow: options.follow ?? false, ...(options.at !== undefined ? { initialSeq: options.at } : {}) };
    // The runs of a sweep (and the diff view they can open) are loaded only for a sweep: a recording's first frame does not wait for them.
    if (recording.runs().length > 1) return createElement((await import('./run-switcher.js')).RunSwitcher, { recording, ...props });
    return createElement((await import('./app.js')).App, { session: new TuiSession(recording), ...props });
  }, options);
}

/** Two runs side by side, the cursors locked to where they part. */
export async function openDiffUi(a: RunSide, b: RunSide, divergence: number | null, options: Pick<OpenUiOptions, 'stdin' | 'stdout'> = {}): Promise<void> {
  await fullScreen(async () => {
    const [{ DiffApp }, { DiffModel }] = await Promise.all([import('./diff/diff-app.js'), import('./diff/diff-model.js')]);
    return createElement(DiffApp, { model: new DiffModel(a, b), divergence, theme: makeTheme() });
  }, options);
}

/** Render an Ink element on the alternate screen until it exits, and give the terminal back whatever happens. */
async function fullScreen(element: () => Promise<ReactElement>, options: Pick<OpenUiOptions, 'stdin' | 'stdout'>): Promise<void> {
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[name];
  const [{ render }, root] = await Promise.all([import('ink'), element()]);
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(LEAVE);
  };
  // Whatever ends the process, the terminal gets its screen and cursor back.
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  process.once('exit', restore);
  for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.once(s, onSignal);

  stdout.write(ENTER);
  try {
    const app = render(root, { stdout, stdin, exitOnCtrlC: false, patchConsole: true, maxFps: 1000, incrementalRendering: false });
    await app.waitUntilExit();
  } finally {
    restore();
    process.off('exit', restore);
    for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(s, onSignal);
  }
}
