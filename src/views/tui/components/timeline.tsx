// SPDX-License-Identifier: GPL-2.0-only
/** The timeline: where the cursor is in the recording, markers of what happened where, and the walker's context. */
import { Box, Text } from 'ink';
import { eventName, eventPosition } from '../../event-numbers.js';
import type { Theme } from '../theme.js';

/** A piece of the header line; when the line is too narrow, the least important pieces go whole, never cut mid-word. */
export interface HeaderPart {
  readonly text: string;
  /** 0 is kept longest. */
  readonly priority: number;
  readonly style?: 'title' | 'position' | 'follow';
}

export interface TimelineProps {
  readonly width: number;
  readonly seq: number;
  readonly length: number;
  readonly mark: number | null;
  /** One character per column (see TuiSession.markers). */
  readonly markers: string;
  /** The title and the walker's context at the cursor (walk, VMA, level, return), in display order. */
  readonly parts: readonly HeaderPart[];
  readonly follow: boolean;
  readonly theme: Theme;
}

/** What each marker stands for, as the timeline draws it (TuiSession.markers), for the legend and the help. */
export const MARKER_LEGEND = 'a alloc  ! failure or error return  s split  z zap  | ret  . install';

export function column(seq: number, length: number, width: number): number {
  if (length <= 1) return 0;
  return Math.max(0, Math.min(width - 1, Math.floor((Math.max(0, seq) * width) / length)));
}

/** The parts that fit in `width` columns (joined by two spaces), the most important first to stay, in display order. */
export function fitParts<P extends { readonly text: string; readonly priority: number }>(parts: readonly P[], width: number): P[] {
  const order = parts.map((_, i) => i).sort((a, b) => parts[a]!.priority - parts[b]!.priority || a - b);
  const keep = new Set<number>();
  let used = 0;
  for (const i of order) {
    const cost = parts[i]!.text.length + (keep.size ? 2 : 0);
    if (used + cost > width) continue;
    keep.add(i);
    used += cost;
  }
  return parts.filter((_, i) => keep.has(i));
}

/** A caret under the mark's column with its label beside it: after the caret, or before it near the right edge. */
export function markLine(column: number, label: string, width: number): string {
  if (column + 2 + label.length <= width) return `${' '.repeat(column)}^ ${label}`;
  return `${' '.repeat(Math.max(0, column - label.length - 1))}${label} ^`;
}

export function Timeline(props: TimelineProps) {
  const { width, seq, length, markers, theme } = props;
  const cursor = column(seq, length, width);
  const mark = props.mark === null ? -1 : column(props.mark, length, width);
  const before = markers.slice(0, cursor);
  const at = markers[cursor] === ' ' || markers[cursor] === undefined ? '|' : markers[cursor]!;
  const after = markers.slice(cursor + 1);
  const parts: HeaderPart[] = [
    ...props.parts.filter((p) => p.style === 'title'),
    { text: eventPosition(seq, length), priority: 0, style: 'position' },
    ...(props.follow ? [{ text: 'following', priority: 0, style: 'follow' } as const] : []),
    ...props.parts.filter((p) => p.style !== 'title'),
  ];
  const shown = fitParts(parts, width);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        {shown.map((p, i) => (
          <Text key={i} bold={p.style === 'title' || p.style === 'position'} color={p.style === 'position' ? theme.accent : p.style === 'follow' ? theme.good : undefined}>
            {i ? '  ' : ''}
            {p.text}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate-end">
        <Text color={theme.accent}>{before}</Text>
        <Text inverse>{at}</Text>
        <Text color={theme.accent}>{after}</Text>
      </Text>
      <Text wrap="truncate-end" dimColor>
        {mark >= 0 ? markLine(mark, `mark: ${eventName(props.mark!)}`, width) : MARKER_LEGEND}
      </Text>
    </Box>
  );
}
