// SPDX-License-Identifier: GPL-2.0-only
/**
 * Colours that read on dark and light terminals (no white, black, yellow or
 * blue text), none at all under NO_COLOR (https://no-color.org): then bold,
 * dim and inverse still mark what matters.
 */
export interface Theme {
  readonly error: string | undefined;
  readonly change: string | undefined;
  readonly accent: string | undefined;
  readonly good: string | undefined;
  readonly special: string | undefined;
}

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const off = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return off
    ? { error: undefined, change: undefined, accent: undefined, good: undefined, special: undefined }
    : { error: 'red', change: 'magenta', accent: 'cyan', good: 'green', special: 'magenta' };
}
