// SPDX-License-Identifier: GPL-2.0-only
/** The page tables at the cursor: a collapsible tree, entries the current event changed highlighted. */
import { Box, Text } from 'ink';
import { ENTRY_NAMES } from '../../../events/walk-event.js';
import { hex } from '../../../mm/geometry.js';
import type { TreeRow } from '../model/page-table-tree.js';
import type { Theme } from '../theme.js';

export interface PageTableViewProps {
  readonly rows: readonly TreeRow[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  readonly theme: Theme;
  readonly truncated: boolean;
}

/** A row as text; `selected` puts a '>' in the first column (visible without colour or attributes). */
export function rowText(row: TreeRow, selected = false): string {
  const glyph = row.expandable ? (row.expanded ? '-' : '+') : ' ';
  const what = row.entry === 1 ? (row.emptyTable ? 'table (empty)' : 'table') : (ENTRY_NAMES[row.entry] ?? '?');
  const folded = row.folded.length ? ` (${row.folded.join(', ')} folded)` : '';
  const count = row.count > 1 ? ` x${row.count}` : '';
  return `${selected ? '>' : ' '}${'  '.repeat(row.depth)}${glyph} ${row.table}${folded} ${hex(row.start)}-${hex(row.end)} ${what}${count}${row.here ? ' <' : ''}`;
}

export function PageTableView({ rows, selected, width, height, focused, theme, truncated }: PageTableViewProps) {
  const visible = height - 1;
  const first = Math.max(0, Math.min(selected - Math.floor(visible / 2), rows.length - visible));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold underline={focused} wrap="truncate-end">
        page tables{truncated ? ' (first rows)' : ''}
      </Text>
      {rows.slice(first, first + visible).map((row, i) => {
        const index = first + i;
        const color = row.changed ? theme.change : row.entry === 3 ? theme.good : row.entry === 4 || row.entry === 5 ? theme.special : undefined;
        return (
          <Text key={`${row.key}:${index}`} wrap="truncate-end" inverse={focused && index === selected} color={color} bold={row.changed || row.here} dimColor={row.entry === 0 && !row.changed}>
            {rowText(row, focused && index === selected)}
          </Text>
        );
      })}
    </Box>
  );
}
