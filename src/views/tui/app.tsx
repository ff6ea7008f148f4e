// SPDX-License-Identifier: GPL-2.0-only
/**
 * The container: the only useInput, the only place state and the recording
 * meet. Components below only draw what they are given. Keys become commands
 * (keymap.ts); commands that need the recording (next allocation, search) are
 * resolved here into plain reducer actions.
 */
import { Box, useApp, useInput } from 'ink';
import { useEffect, useMemo, useState } from 'react';

import { hex } from '../../mm/geometry.js';
import { describeVma } from '../../mm/vmas.js';
import { reachOf } from '../../replay/abort-summary.js';
import { parseQuery } from '../../replay/query.js';
import { eventName, eventNumbers } from '../event-numbers.js';
import { walkerLevelName } from '../level-names.js';
import { formatSummary } from '../show/show.js';
import { entryRunLine } from '../diff/format-diff.js';
import type { EntryRun } from '../../replay/state-diff.js';
import { DetailPane } from './components/detail-pane.js';
import { EventList } from './components/event-list.js';
import { Overlay } from './components/overlay.js';
import { PageTableView } from './components/page-table-view.js';
import { PopulationMap } from './components/population-map.js';
import { StatusBar } from './components/status-bar.js';
import { MARKER_LEGEND, Timeline } from './components/timeline.js';
import type { HeaderPart } from './components/timeline.js';
import { TooSmall } from './components/too-small.js';
import { entryDetail, eventDetail } from './model/details.js';
import { changedBy, treeRows } from './model/page-table-tree.js';
import { maxZoom, populationMap, zoomedRange } from './model/population-map.js';
import type { JumpKind, TuiSession } from './model/session.js';
import { commandFor, KEYMAP, splitPresses, toKeyPress } from './state/keymap.js';
import type { Command, KeyPress } from './state/keymap.js';
import { initialUiState, uiReducer } from './state/ui-state.js';
import type { UiAction, UiState } from './state/ui-state.js';
import type { Theme } from './theme.js';
import { useStore, useTerminalSize } from './hooks.js';

export interface AppProps {
  readonly session: TuiSession;
  readonly theme: Theme;
  /** Start at this event (default: the failure, or the end). */
  readonly initialSeq?: number;
  /** Follow a recording that is still being written. */
  readonly follow?: boolean;
  /** Terminal size, when the caller knows better than stdout (tests). */
  readonly size?: { readonly columns: number; readonly rows: number };
  /** How often to look for new events when following, in ms. */
  readonly pollMs?: number;
  /** The runs of a sweep, when the recording is one. */
  readonly runs?: RunSwitch;
}

/** Where the UI is among the runs of a sweep, and how to move to another. */
export interface RunSwitch {
  /** Position among the runs (0 is the fault-free base). */
  readonly index: number;
  readonly count: number;
  /** The run's id and label ('alloc 3'). */
  readonly id: number;
  readonly label: string;
  /** What the run ended with, in words (the sweep report's), if known. */
  readonly outcome?: string | null;
  /** Open the next (1) or previous (-1) run; a message if there is none. */
  readonly switchRun: (delta: 1 | -1) => string | null;
  /** Open run `id`; a message if there is none. */
  readonly openRun: (id: number) => string | null;
  /** Compare this run with the fault-free one in the diff view; a message if it cannot. */
  readonly diffWithBase?: () => string | null;
}


const JUMP_COMMANDS: Partial<Record<Command, [JumpKind, 1 | -1]>> = {
  'alloc-next': ['alloc', 1],
  'alloc-prev': ['alloc', -1],
  'error-next': ['failure', 1],
  'error-prev': ['failure', -1],
  'split-next': ['split', 1],
  'split-prev': ['split', -1],
  'install-next': ['install', 1],
  'install-prev': ['install', -1],
  'zap-next': ['zap', 1],
  'zap-prev': ['zap', -1],
  'vma-next': ['vma', 1],
  'vma-prev': ['vma', -1],
  'walk-next': ['walk', 1],
  'walk-prev': ['walk', -1],
};

const STEPS: Partial<Record<Command, number>> = {
  'step-next': 1,
  'step-prev': -1,
  'step+10': 10,
  'step-10': -10,
  'step+100': 100,
  'step-100': -100,
  'step+1000': 1000,
  'step-1000': -1000,
};


export function App({ session, theme, initialSeq, follow, size: fixedSize, pollMs = 250, runs }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize(fixedSize);
  const [ui, latest, dispatch] = useStore(uiReducer, () => {
    const state = initialUiState(session.length, { seq: initialSeq ?? session.failureOrEnd(), follow: follow ?? false });
    return runs && runs.count > 1
      ? uiReducer(state, { type: 'message', text: `run ${runs.id} of 0-${runs.count - 1} (${runs.label}): ${runs.outcome ?? `${session.length.toLocaleString('en-US')} events`}  (] [ R: other runs, D: against the fault-free run)` })
      : state;
  });

  // A recording still being written grows on screen (and F follows its end) until its writer is gone (finished, or dead: its lock says which).
  const [live, setLive] = useState(() => follow === true || session.status() === 'recording');
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      try {
        // Asked before the last read: a writer that has let go has committed all it ever will.
        const writing = session.recording.writerActive();
        if (session.refresh()) dispatch({ type: 'recording/grew', length: session.length });
        if (writing) return;
        setLive(false);
        const status = session.recording.status();
        if (latest().follow) dispatch({ type: 'follow/set', on: false, message: `no longer being written: the recording is ${status}; stopped at its last event` });
      } catch {
        // A writer mid-transaction: try again at the next tick.
      }
    }, pollMs);
    return () => clearInterval(timer);
  }, [live, session, pollMs]);

  const layout = computeLayout(columns, rows);
  const state = useMemo(() => session.stateAt(ui.seq), [session, ui.seq, ui.length]);
  const event = session.event(ui.seq);
  const range = session.range(state);
  const changed = useMemo(() => changedBy(event, state.geometry), [event, state.geometry]);
  const tree = useMemo(
    () =>
      range
        ? treeRows(state, range[0], range[1], { expanded: ui.expanded, collapsed: ui.collapsed, followWalker: true, changed })
        : { rows: [], truncated: false },
    [state, range?.[0], range?.[1], ui.expanded, ui.collapsed, changed],
  );
  // The selected row: the user's in the tables pane; otherwise the entry the event changed, or where the walker is.
  const selected =
    ui.focus === 'tables' ? Math.min(ui.tableRow, Math.max(0, tree.rows.length - 1)) : Math.max(0, autoSelected(tree.rows));
  const row = tree.rows[selected] ?? null;
  const madeBy = useMemo(() => {
    if (!row || ui.seq < 0) return null;
    const seq = session.replay.lastChange(row.owner, row.start, ui.seq);
    return seq === null ? null : session.event(seq);
  }, [session, row?.owner, row?.start, ui.seq]);

  const mapCells = layout.mapRows * layout.width;
  const zoomLimit = range ? maxZoom(range[0], range[1], state.geometry.pageSize, mapCells) : 0;
  const zoom = Math.min(ui.zoom, zoomLimit);
  const mapRange = range ? zoomedRange(range[0], range[1], zoom, state.at?.addr ?? range[0], state.geometry.pageSize, mapCells) : null;
  const cells = useMemo(() => (mapRange ? populationMap(state, mapRange[0], mapRange[1], mapCells) : []), [state, mapRange?.[0], mapRange?.[1], mapCells]);
  const walkEnded = state.phase === 'returned' || state.phase === 'done' || state.phase === 'oops' || state.phase === 'livelock';
  // Dimmed on the map: what the walk never touched, once it has stopped early.
  const untouched = walkEnded && (state.clientRet ?? state.ret) !== 0 ? (reachOf(state).unreached?.[0] ?? null) : null;

  useInput((input, key) => {
    const context = { treeRows: tree.rows.length, selectedKey: row?.expandable ? row.key : null, selectedExpanded: row?.expanded ?? false, madeBy: madeBy?.seq ?? null, selected, runs: runs ?? null, zoomLimit };
    const press = toKeyPress(input, key as unknown as Record<string, boolean>);
    handleInput(press, latest, dispatch, session, exit, context);
  });

  if (columns < MIN_SIZE.columns || rows < MIN_SIZE.rows) return <TooSmall columns={columns} rows={rows} min={MIN_SIZE} />;

  if (ui.overlay) {
    const lines =
      ui.overlay === 'help'
        ? helpLines()
        : ui.overlay === 'summary'
          ? formatSummary(session.summary(session.length - 1), state.geometry)
          : diffLines(session, ui);
    const title =
      ui.overlay === 'help'
        ? 'keys'
        : ui.overlay === 'summary'
          ? `abort summary of the recording (${session.length} events)`
          : ui.mark === null
            ? 'what changed: no mark set'
            : `what changed from ${eventName(Math.min(ui.mark, ui.seq))} to ${eventName(Math.max(ui.mark, ui.seq))}`;
    return (
      <Box flexDirection="column" width={layout.width} height={rows}>
        <Overlay title={title} lines={lines} scroll={ui.overlayScroll} width={layout.width} height={rows - 1} />
        <StatusBar prompt={ui.prompt} message={ui.message} width={layout.width} theme={theme} />
      </Box>
    );
  }

  const meta = session.meta();
  // The header, in display order; a narrow terminal drops the least telling parts whole (priority: 0 stays longest).
  const ended = state.phase === 'returned' || state.phase === 'done' ? `ret ${state.clientRet ?? state.ret}` : state.phase === 'oops' || state.phase === 'livelock' ? state.phase : null;
  const parts: HeaderPart[] = [
    { text: `walkback ${meta.scenarioName} (${meta.arch}, ${meta.kernel})`, priority: 3, style: 'title' },
    ...(runs && runs.count > 1 ? [{ text: `run ${runs.id} of 0-${runs.count - 1} (${runs.label})`, priority: 1, style: 'title' as const }] : []),
    { text: state.walk ? `walk ${state.walks}` : 'set-up', priority: 2 },
    ...(state.walk ? [{ text: state.walk.api, priority: 4 }] : []),
    ...(state.vma ? [{ text: `vma ${describeVma(state.vma)}`, priority: 5 }] : []),
    ...(state.at ? [{ text: `at ${state.at.level ? walkerLevelName(state.geometry, state.at.level) : 'vma'} ${hex(state.at.addr)}`, priority: 1 }] : []),
    ...(ended ? [{ text: ended, priority: 1 }] : []),
  ];

  return (
    <Box flexDirection="column" width={layout.width} height={rows}>
      <Timeline
        width={layout.width}
        seq={ui.seq}
        length={session.length}
        mark={ui.mark}
        markers={session.markers(layout.width)}
        parts={parts}
        follow={ui.follow}
        theme={theme}
      />
      <Box flexDirection="row" height={layout.middle}>
        <EventList rows={session.window(ui.seq, layout.middle - 1)} seq={ui.seq} mark={ui.mark} width={layout.eventsWidth} height={layout.middle} focused={ui.focus === 'events'} theme={theme} />
        <Box width={1} />
        <PageTableView rows={tree.rows} selected={selected} width={layout.width - layout.eventsWidth - 1} height={layout.middle} focused={ui.focus === 'tables'} theme={theme} truncated={tree.truncated} />
      </Box>
      <PopulationMap
        cells={cells}
        stop={state.at?.addr ?? null}
        reached={untouched}
        range={mapRange}
        zoom={zoom}
        width={layout.width}
        height={layout.mapRows + 1}
        focused={ui.focus === 'map'}
        theme={theme}
      />
      <DetailPane event={eventDetail(event)} entry={entryDetail(row, madeBy)} entryFirst={ui.focus === 'tables'} width={layout.width} height={layout.detail} theme={theme} />
      <StatusBar prompt={ui.prompt} message={ui.message} width={layout.width} theme={theme} />
    </Box>
  );
}

/** A recording that is not being written any more, in words. */
function finishedWords(status: string): string {
  return status === 'incomplete' ? 'not being written any more (incomplete: its writer stopped)' : `finished (${status})`;
}

/** The row an event is about: the first entry it changed, else the deepest entry the walker is at. */
function autoSelected(rows: readonly { changed: boolean; here: boolean }[]): number {
  const changed = rows.findIndex((r) => r.changed);
  if (changed >= 0) return changed;
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.here) return i;
  return 0;
}

export interface Layout {
  readonly width: number;
  readonly middle: number;
  readonly eventsWidth: number;
  readonly mapRows: number;
  readonly detail: number;
}

/** Below this (columns, and rows of the frame: the terminal's less one), the panes cannot be drawn without overlapping. */
export const MIN_SIZE = { columns: 60, rows: 15 } as const;

/** Where the panes go: the timeline (3 lines), events beside page tables, the map, details, the status line. */
export function computeLayout(columns: number, rows: number): Layout {
  const width = Math.max(MIN_SIZE.columns, columns);
  const mapRows = rows >= 40 ? 4 : rows >= 30 ? 3 : 2;
  const detail = rows >= 28 ? 5 : 4;
  const middle = Math.max(4, rows - 3 - (mapRows + 1) - detail - 1);
  const eventsWidth = Math.floor(width * (width >= 120 ? 0.45 : 0.5));
  return { width, middle, eventsWidth, mapRows, detail };
}

function helpLines(): string[] {
  const lines: string[] = [];
  let group = '';
  for (const b of KEYMAP) {
    if (!b.help) continue;
    if (b.group !== group) {
      if (group) lines.push('');
      lines.push(b.group);
      group = b.group;
    }
    lines.push(`  ${b.label.padEnd(12)} ${b.help}`);
  }
  lines.push('', `Timeline markers: ${MARKER_LEGEND}`);
  lines.push('Population map: . no table  - empty table  # present  g guard marker  H huge  T hugetlb  X the walker');
  return lines;
}

function diffLines(session: TuiSession, ui: UiState): string[] {
  if (ui.mark === null) return ['No mark: press m at one event, move, then d.'];
  const [a, b] = ui.mark <= ui.seq ? [ui.mark, ui.seq] : [ui.seq, ui.mark];
  const diff = session.diff(a, b);
  const line = (r: EntryRun) => `  ${entryRunLine(r)}`;
  const lines = [`${diff.entries} entr${diff.entries === 1 ? 'y' : 'ies'} differ between ${eventName(a)} and ${eventName(b)}`];
  const section = (title: string, runs: readonly EntryRun[]) => {
    if (!runs.length) return;
    lines.push('', title);
    for (const r of runs) lines.push(line(r));
  };
  section('added', diff.added);
  section('removed', diff.removed);
  section('changed', diff.changed);
  return lines;
}

interface KeyContext {
  readonly treeRows: number;
  readonly selectedKey: string | null;
  readonly selectedExpanded: boolean;
  readonly madeBy: number | null;
  readonly selected: number;
  readonly runs?: RunSwitch | null;
  /** The closest the map can zoom in the range drawn (a cell a page). */
  readonly zoomLimit?: number;
}

/**
 * What the terminal sent at once: one key, or several characters (typed ahead,
 * or pasted: ":12345" then Enter). Each is handled in turn against the state
 * the ones before it make, as if typed one by one.
 */
export function handleInput(
  press: KeyPress,
  latest: () => UiState,
  dispatch: (action: UiAction) => void,
  session: TuiSession,
  exit: () => void,
  context: KeyContext,
): void {
  for (const one of splitPresses(press)) handleKey(one, latest(), dispatch, session, exit, context);
}


/** One key press: prompt editing, overlay scrolling, or a command. */
export function handleKey(
  key: KeyPress,
  ui: UiState,
  dispatch: (action: UiAction) => void,
  session: TuiSession,
  exit: () => void,
  context: KeyContext,
): void {
  if (ui.prompt) {
    if (key.name === 'escape') return dispatch({ type: 'prompt/close' });
    if (key.name === 'backspace') return dispatch({ type: 'prompt/input', text: ui.prompt.text.slice(0, -1) });
    if (key.name === 'return') {
      dispatch({ type: 'prompt/close' });
      if (ui.prompt.kind === 'run') {
        const text = ui.prompt.text.trim();
        const problem = !/^\d+$/.test(text) ? `'${ui.prompt.text}' is not a run number` : context.runs ? context.runs.openRun(Number(text)) : 'this recording has one run';
        return problem ? dispatch({ type: 'message', text: problem, error: true }) : undefined;
      }
      return submitPrompt(ui.prompt.kind, ui.prompt.text, ui, dispatch, session);
    }
    if (key.input && !key.ctrl && !key.name) dispatch({ type: 'prompt/input', text: ui.prompt.text + key.input });
    return;
  }
  const command = commandFor(key);
  if (ui.overlay) {
    if (command === 'close' || command === 'quit' || command === (ui.overlay === 'help' ? 'help' : ui.overlay === 'summary' ? 'summary' : 'diff'))
      return dispatch({ type: 'overlay/close' });
    if (command === 'down' || command === 'step-next') return dispatch({ type: 'overlay/scroll', delta: 1 });
    if (command === 'up' || command === 'step-prev') return dispatch({ type: 'overlay/scroll', delta: -1 });
    if (command === 'step+10') return dispatch({ type: 'overlay/scroll', delta: 10 });
    if (command === 'step-10') return dispatch({ type: 'overlay/scroll', delta: -10 });
    return;
  }
  if (command === null) return;
  const step = STEPS[command];
  if (step !== undefined) return dispatch({ type: 'cursor/step', delta: step });
  const jump = JUMP_COMMANDS[command];
  if (jump) {
    const [kind, direction] = jump;
    const seq = session.jump(kind, ui.seq, direction);
    if (seq === null) return dispatch({ type: 'message', text: `no ${direction > 0 ? 'later' : 'earlier'} ${kind === 'failure' ? 'failure' : kind} event` });
    return dispatch({ type: 'cursor/jump', seq });
  }
  switch (command) {
    case 'down':
    case 'up': {
      const delta = command === 'down' ? 1 : -1;
      if (ui.focus === 'tables') return dispatch({ type: 'table/select', row: Math.min(context.treeRows - 1, context.selected + delta) });
      return dispatch({ type: 'cursor/step', delta });
    }
    case 'start':
      return dispatch({ type: 'cursor/jump', seq: -1 });
    case 'end':
      return dispatch({ type: 'cursor/jump', seq: session.length - 1 });
    case 'failure':
      return dispatch({ type: 'cursor/jump', seq: session.failureOrEnd(), message: `where the walk stopped: event ${session.failureOrEnd()}` });
    case 'goto':
      return dispatch({ type: 'prompt/open', kind: 'goto' });
    case 'search':
      return dispatch({ type: 'prompt/open', kind: 'search' });
    case 'match-next':
    case 'match-prev': {
      if (!ui.search) return dispatch({ type: 'message', text: 'no search yet: press / to search' });
      const direction = command === 'match-next' ? 1 : -1;
      const seq = session.search(ui.search.query, ui.seq, direction);
      if (seq === null) return dispatch({ type: 'message', text: `no ${direction > 0 ? 'later' : 'earlier'} match for /${ui.search.text}`, error: true });
      return dispatch({ type: 'cursor/jump', seq });
    }
    case 'mark':
      return dispatch({ type: 'mark/set' });
    case 'mark-clear':
      return dispatch({ type: 'mark/clear' });
    case 'diff':
      return dispatch({ type: 'overlay/toggle', overlay: 'diff' });
    case 'summary':
      return dispatch({ type: 'overlay/toggle', overlay: 'summary' });
    case 'help':
      return dispatch({ type: 'overlay/toggle', overlay: 'help' });
    case 'provenance':
      if (context.madeBy === null) return dispatch({ type: 'message', text: 'the selected entry has not changed since the start' });
      return dispatch({ type: 'cursor/jump', seq: context.madeBy, message: `the event that made the selected entry: ${context.madeBy}` });
    case 'focus-next':
      // Entering the tables, start from the row the event is about.
      if (ui.focus === 'events') dispatch({ type: 'table/select', row: context.selected });
      return dispatch({ type: 'focus/next' });
    case 'toggle':
      if (ui.focus !== 'tables' || !context.selectedKey) return;
      return dispatch({ type: 'table/expand', key: context.selectedKey, open: !context.selectedExpanded });
    case 'zoom-in':
    case 'zoom-out': {
      const limit = context.zoomLimit ?? 60;
      const from = Math.min(ui.zoom, limit);
      if (command === 'zoom-in' && from >= limit) return dispatch({ type: 'message', text: 'the map shows single pages: it cannot zoom in further' });
      if (command === 'zoom-out' && from <= 0) return dispatch({ type: 'message', text: 'the map shows the whole range: it cannot zoom out further' });
      return dispatch({ type: 'map/zoom', delta: command === 'zoom-in' ? 1 : -1, max: limit });
    }
    case 'follow': {
      if (ui.follow) return dispatch({ type: 'follow/set', on: false, message: 'following stopped' });
      const status = session.status();
      if (status !== 'recording') return dispatch({ type: 'message', text: `the recording is ${finishedWords(status)}: there is nothing to follow (G goes to its last event)` });
      return dispatch({ type: 'follow/set', on: true, message: 'following the end of the recording as it is written (any move stops it)' });
    }
    case 'run-next':
    case 'run-prev': {
      if (!context.runs || context.runs.count < 2) return dispatch({ type: 'message', text: 'this recording has one run: ] and [ move between the runs of a sweep (walkback sweep)' });
      const problem = context.runs.switchRun(command === 'run-next' ? 1 : -1);
      return problem ? dispatch({ type: 'message', text: problem, error: true }) : undefined;
    }
    case 'run-diff': {
      if (!context.runs || context.runs.count < 2 || !context.runs.diffWithBase) return dispatch({ type: 'message', text: 'this recording has one run: D compares a run of a sweep with its fault-free run' });
      const problem = context.runs.diffWithBase();
      return problem ? dispatch({ type: 'message', text: problem, error: true }) : undefined;
    }
    case 'run-goto':
      if (!context.runs || context.runs.count < 2) return dispatch({ type: 'message', text: 'this recording has one run: R goes to a run of a sweep (walkback sweep)' });
      return dispatch({ type: 'prompt/open', kind: 'run' });
    case 'close':
      return dispatch({ type: 'message', text: '' });
    case 'quit':
      return exit();
    default:
      return;
  }
}

function submitPrompt(kind: 'search' | 'goto', text: string, ui: UiState, dispatch: (action: UiAction) => void, session: TuiSession): void {
  if (kind === 'goto') {
    const t = text.trim();
    if (!/^-?\d+$/.test(t)) return dispatch({ type: 'message', text: `'${text}' is not an event number`, error: true });
    const n = Number(t) < 0 ? session.length + Number(t) : Number(t);
    if (n < 0 || n >= session.length) return dispatch({ type: 'message', text: `no event ${t}: the recording has ${eventNumbers(session.length)}`, error: true });
    return dispatch({ type: 'cursor/jump', seq: n });
  }
  const parsed = parseQuery(text);
  if (!parsed.ok) return dispatch({ type: 'message', text: parsed.problem, error: true });
  dispatch({ type: 'search/set', text, query: parsed.query });
  const seq = session.search(parsed.query, ui.seq, 1) ?? session.search(parsed.query, -1, 1);
  if (seq === null) return dispatch({ type: 'message', text: `no match for /${text}`, error: true });
  return dispatch({ type: 'cursor/jump', seq, message: seq <= ui.seq ? `/${text}: wrapped to the first match` : `/${text}` });
}


