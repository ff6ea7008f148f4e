// SPDX-License-Identifier: GPL-2.0-only
/** What the UI draws in a terminal too small for its panes: a plain request for more room, instead of panes drawn over each other. */
import { Box, Text } from 'ink';

export interface TooSmallProps {
  readonly columns: number;
  readonly rows: number;
  /** The smallest frame the panes fit in (rows of the frame: the terminal's less one). */
  readonly min: { readonly columns: number; readonly rows: number };
}

export function tooSmallText(min: TooSmallProps['min']): string {
  return `terminal too small: the UI needs at least ${min.columns} columns and ${min.rows + 1} lines; enlarge it (q quits)`;
}

export function TooSmall({ columns, rows, min }: TooSmallProps) {
  return (
    <Box width={Math.max(1, columns)} height={Math.max(1, rows)}>
      <Text wrap="wrap">{tooSmallText(min)}</Text>
    </Box>
  );
}
