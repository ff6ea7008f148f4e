// SPDX-License-Identifier: GPL-2.0-only
/** Details: every field of the event at the cursor, and the selected entry with the event that made it. */
import { Box, Text } from 'ink';
import type { Theme } from '../theme.js';

export interface DetailPaneProps {
  /** Lines about the event at the cursor: its line, what it means, every field. */
  readonly event: readonly string[];
  /** Lines about the selected page-table entry: what it is, which event made it. */
  readonly entry: readonly string[];
  /** The tables pane has the focus: the entry comes first. */
  readonly entryFirst: boolean;
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

/**
 * What fits: the event's line and meaning, the entry and its maker, then the
 * event's fields when there is room (the trace line already shows most of them).
 */
export function detailLines(event: readonly string[], entry: readonly string[], entryFirst: boolean, height: number): { text: string; head: boolean }[] {
  const ev = event.map((text, i) => ({ text, head: i === 0 }));
  const en = entry.map((text, i) => ({ text, head: i === 0 }));
  const [first, second] = entryFirst ? [en, ev] : [ev, en];
  const short = [...first.slice(0, 2), ...second.slice(0, 2)];
  const rest = [...first.slice(2), ...second.slice(2)];
  return [...short, ...rest].slice(0, height);
}

export function DetailPane({ event, entry, entryFirst, width, height, theme }: DetailPaneProps) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      {detailLines(event, entry, entryFirst, height).map((line, i) => (
        <Text key={i} wrap="truncate-end" color={line.head ? theme.accent : undefined} bold={line.head}>
          {line.text}
        </Text>
      ))}
    </Box>
  );
}
