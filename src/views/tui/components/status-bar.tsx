// SPDX-License-Identifier: GPL-2.0-only
/** The last line: a prompt being typed, a message, or the key hints. */
import { Text } from 'ink';
import type { PromptKind } from '../state/ui-state.js';
import type { Theme } from '../theme.js';

export interface StatusBarProps {
  readonly prompt: { readonly kind: PromptKind; readonly text: string } | null;
  readonly message: { readonly text: string; readonly error: boolean } | null;
  readonly width: number;
  readonly theme: Theme;
}

export const HINTS = '?:keys q:quit ←→:step f:failure a/e/s/i/z:next /:search m:mark d:diff r:summary Tab:pane';

export function StatusBar({ prompt, message, width, theme }: StatusBarProps) {
  if (prompt)
    return (
      <Text wrap="truncate-end">
        {prompt.kind === 'search' ? '/' : prompt.kind === 'run' ? 'go to run: ' : 'go to event: '}
        {prompt.text}
        <Text inverse> </Text>
      </Text>
    );
  if (message)
    return (
      <Text wrap="truncate-end" color={message.error ? theme.error : theme.accent}>
        {message.text}
      </Text>
    );
  return (
    <Text wrap="truncate-end" dimColor>
      {HINTS.slice(0, width)}
    </Text>
  );
}
