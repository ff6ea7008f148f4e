// SPDX-License-Identifier: GPL-2.0-only
/** The diff view's keys, as data: the status line is drawn from this table. */
import { ch, named } from '../state/keymap.js';
import type { KeyPress } from '../state/keymap.js';
import type { DiffAction } from './diff-state.js';

export interface DiffBinding {
  readonly label: string;
  readonly help: string;
  readonly match: (key: KeyPress) => boolean;
  /** The action, or 'quit'. */
  readonly action: DiffAction | 'quit';
}


export const DIFF_KEYS: readonly DiffBinding[] = [
  { label: '←→', help: 'step', match: named('right', 'l'), action: { type: 'step', delta: 1 } },
  { label: '', help: '', match: named('left', 'h'), action: { type: 'step', delta: -1 } },
  { label: '', help: '', match: named('down', 'j'), action: { type: 'step', delta: 1 } },
  { label: '', help: '', match: named('up', 'k'), action: { type: 'step', delta: -1 } },
  { label: 'J/K', help: '10', match: named('pageDown', 'J'), action: { type: 'step', delta: 10 } },
  { label: '', help: '', match: named('pageUp', 'K'), action: { type: 'step', delta: -10 } },
  { label: 'g/G', help: 'start/end', match: named('home', 'g'), action: { type: 'jump', seq: -1 } },
  { label: '', help: '', match: named('end', 'G'), action: { type: 'end' } },
  { label: 'f', help: 'divergence', match: ch('f', 'd'), action: { type: 'divergence' } },
  { label: 'L', help: 'lock', match: ch('L'), action: { type: 'lock/toggle' } },
  { label: 'Tab', help: 'side', match: named('tab'), action: { type: 'side/toggle' } },
  { label: 'q', help: 'quit', match: (k) => ch('q')(k) || named('escape')(k) || (k.ctrl === true && k.input === 'c'), action: 'quit' },
];

export const DIFF_HINTS = DIFF_KEYS.filter((b) => b.label)
  .map((b) => `${b.label}:${b.help}`)
  .join(' ');

export function diffActionFor(key: KeyPress): DiffAction | 'quit' | null {
  return DIFF_KEYS.find((b) => b.match(key))?.action ?? null;
}
