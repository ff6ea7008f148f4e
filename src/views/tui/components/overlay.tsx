// SPDX-License-Identifier: GPL-2.0-only
/** A scrollable full-screen text: the help, the abort summary, a diff. */
import { Box, Text } from 'ink';

export interface OverlayProps {
  readonly title: string;
  readonly lines: readonly string[];
  readonly scroll: number;
  readonly width: number;
  readonly height: number;
}

export function Overlay({ title, lines, scroll, width, height }: OverlayProps) {
  const visible = Math.max(1, height - 2);
  const first = Math.max(0, Math.min(scroll, lines.length - visible));
  const more = lines.length > visible ? ` (${first + 1}-${Math.min(lines.length, first + visible)} of ${lines.length}; j/k scroll)` : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        {title}
        <Text dimColor>{more}  Esc closes</Text>
      </Text>
      {lines.slice(first, first + visible).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line}
        </Text>
      ))}
    </Box>
  );
}
