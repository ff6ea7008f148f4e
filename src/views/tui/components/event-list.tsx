// SPDX-License-Identifier: GPL-2.0-only
/** The events around the cursor: seq and trace line, failures in red, the cursor's line inverse. */
import { Box, Text } from 'ink';
import type { EventRow } from '../model/session.js';
import type { Theme } from '../theme.js';

export interface EventListProps {
  readonly rows: readonly EventRow[];
  readonly seq: number;
  readonly mark: number | null;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  readonly theme: Theme;
}

export function EventList({ rows, seq, mark, width, height, focused, theme }: EventListProps) {
  const seqWidth = Math.max(3, String(rows[rows.length - 1]?.seq ?? 0).length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold underline={focused} wrap="truncate-end">
        events
      </Text>
      {rows.slice(0, height - 1).map((row) => {
        const here = row.seq === seq;
        const prefix = here ? '>' : row.seq === mark ? 'm' : ' ';
        return (
          <Text key={row.seq} wrap="truncate-end" inverse={here} color={row.error ? theme.error : undefined} dimColor={row.detail && !here} bold={row.error}>
            {prefix} {String(row.seq).padStart(seqWidth)} {row.line}
          </Text>
        );
      })}
    </Box>
  );
}
