// SPDX-License-Identifier: GPL-2.0-only
/** The page tables at the cursor: a collapsible tree, entries the current event changed highlighted. */
import { Box, Text } from 'ink';
import { hex } from '../../../mm/geometry.js';
import { entryWhat } from '../../show/show.js';
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

/**
 * A row as text, at most `width` columns; `selected` puts a '>' in the first
 * column (visible without colour or attributes). What the entry is, its count
 * and the walker's '<' are never cut: in a narrow pane the row gives up, in
 * turn, the folded levels' note (the root row's), the end of its range (the
 * detail pane has it), the word 'table', and its address. Rows are indented
 * `indent` columns a level (one in a narrow pane: every row alike).
 */
export function rowText(row: TreeRow, selected = false, width = Infinity, indent = width >= 50 ? 2 : 1): string {
  const glyph = row.expandable ? (row.expanded ? '-' : '+') : ' ';
  const folded = row.folded.length ? ` (${row.folded.join(', ')} folded)` : '';
  const count = row.count > 1 ? ` x${row.count}` : '';
  const tail = (what: string) => ` ${what}${count}${row.here ? ' <' : ''}`;
  const what = entryWhat(row.entry, row.child, row.emptyTable);
  const short = row.entry === 1 ? `-> ${row.child ?? '?'}${row.emptyTable ? ' (empty)' : ''}` : what;
  const range = `${hex(row.start)}-${hex(row.end)}`;
  const text = (note: string, addr: string | null, kind: string) =>
    `${selected ? '>' : ' '}${' '.repeat(indent * row.depth)}${glyph} ${row.table}${note}${addr === null ? '' : ` ${addr}`}${tail(kind)}`;
  const candidates = [
    text(folded, range, what),
    text('', range, what),
    text('', hex(row.start), what),
    text('', hex(row.start), short),
    text('', null, what),
    text('', null, short),
  ];
  return candidates.find((t) => t.length <= width) ?? candidates[candidates.length - 1]!;
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
            {rowText(row, focused && index === selected, width)}
          </Text>
        );
      })}
    </Box>
  );
}
