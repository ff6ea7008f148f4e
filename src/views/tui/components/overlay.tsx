// SPDX-License-Identifier: GPL-2.0-only
/** A scrollable full-screen text: the help, the abort summary, a diff. Long lines wrap, never cut. */
import { Box, Text } from 'ink';

export interface OverlayProps {
  readonly title: string;
  readonly lines: readonly string[];
  readonly scroll: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A line cut into pieces of at most `width` columns, at spaces where it can
 * be; the pieces after the first are indented two more than the line, so
 * that a wrapped summary line still reads as one.
 */
export function wrapLine(line: string, width: number): string[] {
  if (line.length <= width || width < 8) return [line];
  const indent = ' '.repeat(Math.min(line.length - line.trimStart().length + 2, Math.floor(width / 2)));
  const out: string[] = [];
  let rest = line;
  let prefix = '';
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    const space = rest.lastIndexOf(' ', room);
    const cut = space > 0 ? space : room;
    out.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  if (rest) out.push(prefix + rest);
  return out;
}

export function Overlay({ title, lines, scroll, width, height }: OverlayProps) {
  const wrapped = lines.flatMap((line) => wrapLine(line, width));
  const visible = Math.max(1, height - 2);
  const first = Math.max(0, Math.min(scroll, wrapped.length - visible));
  const more = wrapped.length > visible ? ` (${first + 1}-${Math.min(wrapped.length, first + visible)} of ${wrapped.length}; j/k scroll)` : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        {title}
        <Text dimColor>{more}  Esc closes</Text>
      </Text>
      {wrapped.slice(first, first + visible).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line}
        </Text>
      ))}
    </Box>
  );
}
