// SPDX-License-Identifier: GPL-2.0-only
/**
 * Two runs side by side: A's events on the left, B's on the right, the
 * cursors locked to the first divergence; events that differ from the other
 * run's are marked; below, the page tables at the two cursors compared.
 */
import { Box, Text, useApp, useInput } from 'ink';
import { splitPresses, toKeyPress } from '../state/keymap.js';
import { useStore, useTerminalSize } from '../hooks.js';
import { entryRunLine } from '../../diff/format-diff.js';
import { eventName } from '../../event-numbers.js';
import { TooSmall } from '../components/too-small.js';
import type { Theme } from '../theme.js';
import { DIFF_HINTS, diffActionFor } from './diff-keys.js';
import type { DiffModel, DiffRow } from './diff-model.js';
import { diffReducer, initialDiffState } from './diff-state.js';

export interface DiffAppProps {
  readonly model: DiffModel;
  readonly divergence: number | null;
  readonly theme: Theme;
  readonly size?: { readonly columns: number; readonly rows: number };
  /** Called on q instead of ending the UI (when the diff was opened from a run of a sweep). */
  readonly onClose?: () => void;
}


function Column({ title, rows, seq, active, width, height, theme }: { title: string; rows: readonly DiffRow[]; seq: number; active: boolean; width: number; height: number; theme: Theme }) {
  const seqWidth = Math.max(3, String(rows[rows.length - 1]?.seq ?? 0).length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold underline={active} wrap="truncate-end">
        {title}
      </Text>
      {rows.slice(0, height - 1).map((row) => (
        <Text key={row.seq} wrap="truncate-end" inverse={row.seq === seq} color={row.differs ? theme.change : undefined} bold={row.error} dimColor={row.detail && row.seq !== seq && !row.differs}>
          {row.seq === seq ? '>' : row.differs ? '!' : ' '} {String(row.seq).padStart(seqWidth)} {row.line}
        </Text>
      ))}
    </Box>
  );
}

/** Below this the diff view's panes overlap (rows of the frame: the terminal's less one). */
export const DIFF_MIN_SIZE = { columns: 60, rows: 11 } as const;

export function DiffApp({ model, divergence, theme, size: fixed, onClose }: DiffAppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize(fixed);
  const [ui, , dispatch] = useStore(diffReducer, () => initialDiffState([model.a.replay.length, model.b.replay.length], divergence));
  useInput((input, key) => {
    const presses = splitPresses(toKeyPress(input, key as unknown as Record<string, boolean>));
    for (const press of presses) {
      const action = diffActionFor(press);
      if (action === 'quit') return onClose ? onClose() : exit();
      if (action) dispatch(action);
    }
  });

  const width = Math.max(40, columns);
  const half = Math.floor((width - 1) / 2);
  const tablesHeight = Math.max(3, Math.min(10, Math.floor(rows / 3)));
  const listHeight = Math.max(4, rows - 3 - tablesHeight - 1);
  const tables = model.tablesAt(ui.a, ui.b);
  const tableLines = tables === null
    ? ['not compared: the runs are on different architectures']
    : tables.entries === 0
      ? ['the same']
      : [...tables.added.map((r) => `+ ${entryRunLine(r)}`), ...tables.removed.map((r) => `- ${entryRunLine(r)}`), ...tables.changed.map((r) => `~ ${entryRunLine(r)}`)];
  const shown = tableLines.slice(0, tablesHeight - 1);
  const more = tableLines.length - shown.length;
  const where = ui.a === ui.b ? eventName(ui.a) : `A ${eventName(ui.a)}, B ${eventName(ui.b)}`;
  if (columns < DIFF_MIN_SIZE.columns || rows < DIFF_MIN_SIZE.rows) return <TooSmall columns={columns} rows={rows} min={DIFF_MIN_SIZE} />;
  return (
    <Box flexDirection="column" width={width} height={rows}>
      <Text bold wrap="truncate-end">
        walkback diff  {divergence === null ? 'no divergence' : `first divergence at event ${divergence}`}  {where}  {ui.locked ? 'locked' : `unlocked, moving ${ui.active.toUpperCase()}`}
      </Text>
      <Text wrap="truncate-end">A: {model.a.label} ({model.a.replay.length.toLocaleString('en-US')} events)</Text>
      <Text wrap="truncate-end">B: {model.b.label} ({model.b.replay.length.toLocaleString('en-US')} events)</Text>
      <Box flexDirection="row" height={listHeight}>
        <Column title="A" rows={model.window('a', ui.a, listHeight - 1)} seq={ui.a} active={ui.active === 'a'} width={half} height={listHeight} theme={theme} />
        <Box width={1} />
        <Column title="B" rows={model.window('b', ui.b, listHeight - 1)} seq={ui.b} active={ui.active === 'b'} width={width - half - 1} height={listHeight} theme={theme} />
      </Box>
      <Box flexDirection="column" height={tablesHeight}>
        <Text bold wrap="truncate-end">
          page tables, B against A at {where}: {tables ? `${tables.entries.toLocaleString('en-US')} entr${tables.entries === 1 ? 'y differs' : 'ies differ'}` : ''}{more > 0 ? ` (${more} more runs)` : ''}
        </Text>
        {shown.map((line, i) => (
          <Text key={i} wrap="truncate-end" color={line.startsWith('+') ? theme.good : line.startsWith('-') ? theme.error : line.startsWith('~') ? theme.change : undefined}>
            {line}
          </Text>
        ))}
      </Box>
      <Text wrap="truncate-end" color={ui.message ? theme.accent : undefined} dimColor={!ui.message}>
        {ui.message ?? DIFF_HINTS}
      </Text>
    </Box>
  );
}
