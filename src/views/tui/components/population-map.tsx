// SPDX-License-Identifier: GPL-2.0-only
/** The population map: one glyph per cell of the range, where the walk stopped, and what it never reached. */
import { Box, Text } from 'ink';
import { hex, roughSize } from '../../../mm/geometry.js';
import type { Cell, CellKind } from '../model/population-map.js';
import type { Theme } from '../theme.js';

export const GLYPHS: Record<CellKind, string> = { untouched: '.', empty: '-', present: '#', guard: 'g', huge: 'H', hugetlb: 'T' };

export interface PopulationMapProps {
  readonly cells: readonly Cell[];
  /** The address the walker stopped at (or is at), marked X. */
  readonly stop: number | null;
  /** The walk did not get past this address (the unreached part is dimmed), or null. */
  readonly reached: number | null;
  readonly range: readonly [number, number] | null;
  readonly zoom: number;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  readonly theme: Theme;
}

export function PopulationMap({ cells, stop, reached, range, zoom, width, height, focused, theme }: PopulationMapProps) {
  const lines: Cell[][] = [];
  for (let i = 0; i < cells.length; i += width) lines.push(cells.slice(i, i + width));
  const colour = (cell: Cell) =>
    cell.kind === 'guard' ? theme.good : cell.kind === 'present' ? theme.accent : cell.kind === 'huge' || cell.kind === 'hugetlb' ? theme.special : undefined;
  const cellSize = cells[0] ? cells[0].end - cells[0].start : 0;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold underline={focused} wrap="truncate-end">
        population{range ? ` ${hex(range[0])}-${hex(range[1])}` : ''} {cellSize ? `(${roughSize(cellSize)} a cell${zoom ? `, zoom ${zoom}` : ''})` : ''}
        <Text dimColor>  . none  - empty table  # present  g guard  H huge  T hugetlb  X stop</Text>
      </Text>
      {lines.slice(0, height - 1).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {segments(line, stop, reached, colour, theme.error).map((seg, j) => (
            <Text key={j} color={seg.color} bold={seg.stop} dimColor={seg.dim} inverse={seg.stop}>
              {seg.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

interface Segment {
  text: string;
  color: string | undefined;
  stop: boolean;
  dim: boolean;
}

/** A line of cells as runs of one style: a few Text nodes a line, not one a cell (Ink lays out and styles each). */
export function segments(line: readonly Cell[], stop: number | null, reached: number | null, colour: (cell: Cell) => string | undefined, stopColour?: string): Segment[] {
  const out: Segment[] = [];
  for (const cell of line) {
    const isStop = stop !== null && cell.start <= stop && stop < cell.end;
    const unreached = reached !== null && cell.start >= reached;
    const glyph = isStop ? 'X' : unreached ? GLYPHS[cell.kind].replace('.', ' ') : GLYPHS[cell.kind];
    const color = isStop ? stopColour : colour(cell);
    const dim = unreached && !isStop;
    const last = out[out.length - 1];
    if (last && last.color === color && last.stop === isStop && last.dim === dim && !isStop) last.text += glyph;
    else out.push({ text: glyph, color, stop: isStop, dim });
  }
  return out;
}
