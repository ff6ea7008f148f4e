// SPDX-License-Identifier: GPL-2.0-only
/**
 * The diff view's state, and the pure reducer that moves it. Two cursors,
 * one per run, locked together by default (a step moves both); unlocked, a
 * step moves only the active side, so a user can line up events that shifted.
 */
import { eventName } from '../../event-numbers.js';

export type Side = 'a' | 'b';

export interface DiffUiState {
  readonly a: number;
  readonly b: number;
  readonly lengths: readonly [number, number];
  readonly locked: boolean;
  readonly active: Side;
  readonly divergence: number | null;
  readonly message: string | null;
}

export type DiffAction =
  | { readonly type: 'step'; readonly delta: number }
  | { readonly type: 'jump'; readonly seq: number }
  | { readonly type: 'end' }
  | { readonly type: 'divergence' }
  | { readonly type: 'lock/toggle' }
  | { readonly type: 'side/toggle' }
  | { readonly type: 'message'; readonly text: string | null };

export function initialDiffState(lengths: readonly [number, number], divergence: number | null): DiffUiState {
  const at = divergence ?? Math.max(lengths[0], lengths[1]) - 1;
  return {
    a: clamp(at, lengths[0]),
    b: clamp(at, lengths[1]),
    lengths,
    locked: true,
    active: 'a',
    divergence,
    message: divergence === null ? 'the runs do not diverge' : `first divergence at event ${divergence}`,
  };
}

const clamp = (seq: number, length: number): number => Math.max(-1, Math.min(length - 1, seq));

export function diffReducer(state: DiffUiState, action: DiffAction): DiffUiState {
  const move = (to: (seq: number) => number): DiffUiState => {
    if (state.locked) return { ...state, a: clamp(to(state.a), state.lengths[0]), b: clamp(to(state.b), state.lengths[1]), message: null };
    return state.active === 'a' ? { ...state, a: clamp(to(state.a), state.lengths[0]), message: null } : { ...state, b: clamp(to(state.b), state.lengths[1]), message: null };
  };
  switch (action.type) {
    case 'step':
      return move((seq) => seq + action.delta);
    case 'jump':
      return move(() => action.seq);
    case 'end':
      return state.locked
        ? { ...state, a: state.lengths[0] - 1, b: state.lengths[1] - 1, message: null }
        : move(() => state.lengths[state.active === 'a' ? 0 : 1] - 1);
    case 'divergence': {
      if (state.divergence === null) return { ...state, message: 'the runs do not diverge' };
      const d = state.divergence;
      return { ...state, a: clamp(d, state.lengths[0]), b: clamp(d, state.lengths[1]), locked: true, message: `first divergence at event ${d}` };
    }
    case 'lock/toggle':
      return { ...state, locked: !state.locked, message: state.locked ? `unlocked: steps move ${state.active.toUpperCase()} only (Tab switches)` : `locked: steps move both (A at ${eventName(state.a)}, B at ${eventName(state.b)})` };
    case 'side/toggle':
      return { ...state, active: state.active === 'a' ? 'b' : 'a', message: state.locked ? 'locked: L unlocks, then steps move the active side' : `steps move ${state.active === 'a' ? 'B' : 'A'} only` };
    case 'message':
      return { ...state, message: action.text };
  }
}
