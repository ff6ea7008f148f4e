// SPDX-License-Identifier: GPL-2.0-only
/**
 * The terminal UI's own state (where the cursor is, what is open) and its
 * reducer: pure, like the walk's. Actions that need the recording (the next
 * allocation, a search) are resolved by the container into plain jumps first.
 */
import type { EventQuery } from '../../../replay/replay.js';
import { eventName } from '../../event-numbers.js';

export type Pane = 'events' | 'tables' | 'map';
export type Overlay = 'help' | 'summary' | 'diff';
export type PromptKind = 'search' | 'goto' | 'run';

export interface UiState {
  /** The event at the cursor; -1 is before the first. */
  readonly seq: number;
  readonly length: number;
  readonly mark: number | null;
  readonly focus: Pane;
  readonly overlay: Overlay | null;
  /** Scroll position inside the overlay. */
  readonly overlayScroll: number;
  readonly prompt: { readonly kind: PromptKind; readonly text: string } | null;
  /** The last search, for n and N. */
  readonly search: { readonly text: string; readonly query: EventQuery } | null;
  readonly message: { readonly text: string; readonly error: boolean } | null;
  /** The selected row of the page-table tree. */
  readonly tableRow: number;
  readonly expanded: ReadonlySet<string>;
  readonly collapsed: ReadonlySet<string>;
  /** Population map zoom: 0 shows the whole range, each step in halves it. */
  readonly zoom: number;
  /** Live follow: the cursor stays on the last event as the recording grows (like less +F). */
  readonly follow: boolean;
}

export type UiAction =
  | { type: 'cursor/jump'; seq: number; message?: string }
  | { type: 'cursor/step'; delta: number }
  | { type: 'recording/grew'; length: number }
  | { type: 'mark/set' }
  | { type: 'mark/clear' }
  | { type: 'focus/next' }
  | { type: 'focus/set'; pane: Pane }
  | { type: 'overlay/toggle'; overlay: Overlay }
  | { type: 'overlay/close' }
  | { type: 'overlay/scroll'; delta: number }
  | { type: 'prompt/open'; kind: PromptKind }
  | { type: 'prompt/input'; text: string }
  | { type: 'prompt/close' }
  | { type: 'search/set'; text: string; query: EventQuery }
  | { type: 'message'; text: string; error?: boolean }
  | { type: 'table/select'; row: number }
  | { type: 'table/expand'; key: string; open: boolean }
  /** Zoom in (delta > 0) or out, within [0, max]: max is where a cell is one page (60 when not known). */
  | { type: 'map/zoom'; delta: number; max?: number }
  | { type: 'follow/set'; on: boolean; message?: string };

export function initialUiState(length: number, options: { seq?: number; follow?: boolean } = {}): UiState {
  return {
    seq: options.seq ?? length - 1,
    length,
    mark: null,
    focus: 'events',
    overlay: null,
    overlayScroll: 0,
    prompt: null,
    search: null,
    message: null,
    tableRow: 0,
    expanded: new Set(),
    collapsed: new Set(),
    zoom: 0,
    follow: options.follow ?? false,
  };
}

const PANES: Pane[] = ['events', 'tables', 'map'];
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'cursor/jump':
      return {
        ...state,
        seq: clamp(action.seq, -1, state.length - 1),
        follow: action.seq >= state.length - 1 && state.follow,
        message: action.message ? { text: action.message, error: false } : null,
      };
    case 'cursor/step': {
      const seq = clamp(state.seq + action.delta, -1, state.length - 1);
      const edge = seq === state.seq ? (action.delta > 0 ? 'at the last event' : 'at the start') : null;
      return { ...state, seq, follow: state.follow && action.delta > 0, message: edge ? { text: edge, error: false } : null };
    }
    case 'recording/grew':
      return { ...state, length: action.length, seq: state.follow ? action.length - 1 : state.seq };
    case 'mark/set':
      return { ...state, mark: state.seq, message: { text: `mark set at ${eventName(state.seq)}: d shows what changed since`, error: false } };
    case 'mark/clear':
      return { ...state, mark: null, message: { text: 'mark cleared', error: false } };
    case 'focus/next':
      return { ...state, focus: PANES[(PANES.indexOf(state.focus) + 1) % PANES.length]! };
    case 'focus/set':
      return { ...state, focus: action.pane };
    case 'overlay/toggle':
      return { ...state, overlay: state.overlay === action.overlay ? null : action.overlay, overlayScroll: 0 };
    case 'overlay/close':
      return { ...state, overlay: null, overlayScroll: 0 };
    case 'overlay/scroll':
      return { ...state, overlayScroll: Math.max(0, state.overlayScroll + action.delta) };
    case 'prompt/open':
      return { ...state, prompt: { kind: action.kind, text: '' }, message: null };
    case 'prompt/input':
      return state.prompt ? { ...state, prompt: { ...state.prompt, text: action.text } } : state;
    case 'prompt/close':
      return { ...state, prompt: null };
    case 'search/set':
      return { ...state, search: { text: action.text, query: action.query } };
    case 'message':
      return { ...state, message: { text: action.text, error: action.error ?? false } };
    case 'table/select':
      return { ...state, tableRow: Math.max(0, action.row) };
    case 'table/expand': {
      const expanded = new Set(state.expanded);
      const collapsed = new Set(state.collapsed);
      if (action.open) {
        expanded.add(action.key);
        collapsed.delete(action.key);
      } else {
        expanded.delete(action.key);
        collapsed.add(action.key);
      }
      return { ...state, expanded, collapsed };
    }
    case 'map/zoom': {
      const max = action.max ?? 60;
      return { ...state, zoom: clamp(Math.min(state.zoom, max) + action.delta, 0, max) };
    }
    case 'follow/set':
      return { ...state, follow: action.on, seq: action.on ? state.length - 1 : state.seq, message: action.message ? { text: action.message, error: false } : state.message };
  }
}
