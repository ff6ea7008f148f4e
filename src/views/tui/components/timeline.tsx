// SPDX-License-Identifier: GPL-2.0-only
/** The timeline: where the cursor is in the recording, markers of what happened where, and the walker's context. */
import { Box, Text } from 'ink';
import type { Theme } from '../theme.js';

export interface TimelineProps {
  readonly width: number;
  readonly title: string;
  readonly seq: number;
  readonly length: number;
  readonly mark: number | null;
  /** One character per column (see TuiSession.markers). */
  readonly markers: string;
  /** The walker's context at the cursor: walk, VMA, level. */
  readonly context: string;
  readonly follow: boolean;
  readonly theme: Theme;
}

export function column(seq: number, length: number, width: number): number {
  if (length <= 1) return 0;
  return Math.max(0, Math.min(width - 1, Math.floor((Math.max(0, seq) * width) / length)));
}

export function Timeline(props: TimelineProps) {
  const { width, seq, length, markers, theme } = props;
  const cursor = column(seq, length, width);
  const mark = props.mark === null ? -1 : column(props.mark, length, width);
  const before = markers.slice(0, cursor);
  const at = markers[cursor] === ' ' || markers[cursor] === undefined ? '|' : markers[cursor]!;
  const after = markers.slice(cursor + 1);
  const position = seq < 0 ? `before event 0 of ${length}` : `event ${seq} of ${length - 1}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>{props.title}</Text>
        {'  '}
        <Text color={theme.accent} bold>
          {position}
        </Text>
        {props.follow ? <Text color={theme.good}> following</Text> : null}
        {'  '}
        {props.context}
      </Text>
      <Text wrap="truncate-end">
        <Text color={theme.accent}>{before}</Text>
        <Text inverse>{at}</Text>
        <Text color={theme.accent}>{after}</Text>
      </Text>
      <Text wrap="truncate-end" dimColor>
        {mark >= 0 ? `${' '.repeat(mark)}^ mark ${props.mark}` : 'a alloc  ! failure  s split  z zap  | ret  . install'}
      </Text>
    </Box>
  );
}
