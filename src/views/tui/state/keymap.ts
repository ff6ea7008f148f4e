// SPDX-License-Identifier: GPL-2.0-only
/**
 * Keys, as data: each command, the keys that run it, and what it does. The
 * help overlay is drawn from this table, so keys and help cannot drift.
 * Conventions of terminal tools people know: arrows and vim keys, lowercase
 * forward and uppercase back (gdb's SingleKey mode), / n N (less), ? and q.
 */
export type Command =
  | 'step-next'
  | 'step-prev'
  | 'down'
  | 'up'
  | 'step+10'
  | 'step-10'
  | 'step+100'
  | 'step-100'
  | 'step+1000'
  | 'step-1000'
  | 'start'
  | 'end'
  | 'goto'
  | 'failure'
  | 'alloc-next'
  | 'alloc-prev'
  | 'error-next'
  | 'error-prev'
  | 'split-next'
  | 'split-prev'
  | 'install-next'
  | 'install-prev'
  | 'zap-next'
  | 'zap-prev'
  | 'vma-next'
  | 'vma-prev'
  | 'walk-next'
  | 'walk-prev'
  | 'search'
  | 'match-next'
  | 'match-prev'
  | 'mark'
  | 'mark-clear'
  | 'diff'
  | 'summary'
  | 'provenance'
  | 'focus-next'
  | 'toggle'
  | 'zoom-in'
  | 'zoom-out'
  | 'follow'
  | 'run-next'
  | 'run-prev'
  | 'run-goto'
  | 'run-diff'
  | 'help'
  | 'close'
  | 'quit';

/** A key as the container sees it: a character, or a named key. */
export interface KeyPress {
  readonly input: string;
  readonly name?: 'left' | 'right' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'tab' | 'return' | 'escape' | 'backspace';
  readonly ctrl?: boolean;
}

export interface Binding {
  readonly command: Command;
  /** How the help shows the keys. */
  readonly label: string;
  readonly help: string;
  readonly group: 'Move' | 'Jump' | 'Search and compare' | 'View';
  readonly match: (key: KeyPress) => boolean;
}

/** A plain character key, one of these. */
export const ch = (...chars: string[]) => (k: KeyPress) => !k.ctrl && !k.name && chars.includes(k.input);
/** A named key, or one of these characters. */
export const named = (name: KeyPress['name'], ...chars: string[]) => (k: KeyPress) => k.name === name || ch(...chars)(k);

export const KEYMAP: readonly Binding[] = [
  { command: 'step-next', label: '→ l', help: 'next event', group: 'Move', match: named('right', 'l') },
  { command: 'step-prev', label: '← h', help: 'previous event', group: 'Move', match: named('left', 'h') },
  { command: 'down', label: '↓ j', help: 'next event (tables: next row)', group: 'Move', match: named('down', 'j') },
  { command: 'up', label: '↑ k', help: 'previous event (tables: previous row)', group: 'Move', match: named('up', 'k') },
  { command: 'step+10', label: 'J PgDn', help: '10 events on', group: 'Move', match: named('pageDown', 'J') },
  { command: 'step-10', label: 'K PgUp', help: '10 events back', group: 'Move', match: named('pageUp', 'K') },
  { command: 'step+100', label: '}', help: '100 events on', group: 'Move', match: ch('}') },
  { command: 'step-100', label: '{', help: '100 events back', group: 'Move', match: ch('{') },
  { command: 'step+1000', label: ')', help: '1000 events on', group: 'Move', match: ch(')') },
  { command: 'step-1000', label: '(', help: '1000 events back', group: 'Move', match: ch('(') },
  { command: 'start', label: 'g Home', help: 'the start', group: 'Move', match: named('home', 'g') },
  { command: 'end', label: 'G End', help: 'the last event', group: 'Move', match: named('end', 'G') },
  { command: 'goto', label: ':', help: 'go to an event number (-N from the end)', group: 'Move', match: ch(':') },
  { command: 'failure', label: 'f', help: 'where the walk stopped (the failure)', group: 'Jump', match: ch('f') },
  { command: 'error-next', label: 'e E', help: 'next / previous failure or non-zero return', group: 'Jump', match: ch('e') },
  { command: 'error-prev', label: '', help: '', group: 'Jump', match: ch('E') },
  { command: 'alloc-next', label: 'a A', help: 'next / previous table allocation', group: 'Jump', match: ch('a') },
  { command: 'alloc-prev', label: '', help: '', group: 'Jump', match: ch('A') },
  { command: 'install-next', label: 'i I', help: 'next / previous install (set_pte)', group: 'Jump', match: ch('i') },
  { command: 'install-prev', label: '', help: '', group: 'Jump', match: ch('I') },
  { command: 'split-next', label: 's S', help: 'next / previous split', group: 'Jump', match: ch('s') },
  { command: 'split-prev', label: '', help: '', group: 'Jump', match: ch('S') },
  { command: 'zap-next', label: 'z Z', help: 'next / previous zap', group: 'Jump', match: ch('z') },
  { command: 'zap-prev', label: '', help: '', group: 'Jump', match: ch('Z') },
  { command: 'vma-next', label: 'v V', help: 'next / previous VMA entered', group: 'Jump', match: ch('v') },
  { command: 'vma-prev', label: '', help: '', group: 'Jump', match: ch('V') },
  { command: 'walk-next', label: 'w W', help: 'next / previous walk boundary (walk, ret)', group: 'Jump', match: ch('w') },
  { command: 'walk-prev', label: '', help: '', group: 'Jump', match: ch('W') },
  { command: 'search', label: '/', help: 'search: alloc_fail, pte_entry, level:pmd, 0xADDR, 0xA-0xB, error', group: 'Search and compare', match: ch('/') },
  { command: 'match-next', label: 'n N', help: 'next / previous match', group: 'Search and compare', match: ch('n') },
  { command: 'match-prev', label: '', help: '', group: 'Search and compare', match: ch('N') },
  { command: 'mark', label: 'm', help: 'set the mark at the cursor', group: 'Search and compare', match: ch('m') },
  { command: 'mark-clear', label: 'M', help: 'clear the mark', group: 'Search and compare', match: ch('M') },
  { command: 'diff', label: 'd', help: 'what changed between the mark and the cursor', group: 'Search and compare', match: ch('d') },
  { command: 'provenance', label: 'p', help: 'go to the event that made the selected entry what it is', group: 'Search and compare', match: ch('p') },
  { command: 'summary', label: 'r', help: 'the abort summary (report)', group: 'View', match: ch('r') },
  { command: 'focus-next', label: 'Tab', help: 'next pane: events, page tables, population map', group: 'View', match: named('tab') },
  { command: 'toggle', label: 'Enter Space', help: 'page tables: open / close the selected table', group: 'View', match: (k) => k.name === 'return' || ch(' ')(k) },
  { command: 'zoom-in', label: '+', help: 'population map: zoom in (to single pages)', group: 'View', match: ch('+', '=') },
  { command: 'zoom-out', label: '-', help: 'population map: zoom out', group: 'View', match: ch('-', '_') },
  { command: 'follow', label: 'F', help: 'follow the end of a recording being written', group: 'View', match: ch('F') },
  { command: 'run-next', label: '] [', help: 'sweep: next / previous run (failure point)', group: 'View', match: ch(']') },
  { command: 'run-prev', label: '', help: '', group: 'View', match: ch('[') },
  { command: 'run-goto', label: 'R', help: 'sweep: go to run K (0 is the fault-free run)', group: 'View', match: ch('R') },
  { command: 'run-diff', label: 'D', help: 'sweep: this run against the fault-free run, side by side (q comes back)', group: 'View', match: ch('D') },
  { command: 'help', label: '?', help: 'this help', group: 'View', match: ch('?') },
  { command: 'close', label: 'Esc', help: 'close the help, summary, diff or prompt', group: 'View', match: named('escape') },
  { command: 'quit', label: 'q', help: 'quit', group: 'View', match: (k) => ch('q')(k) || (k.ctrl === true && k.input === 'c') },
];

export function commandFor(key: KeyPress): Command | null {
  for (const binding of KEYMAP) if (binding.match(key)) return binding.command;
  return null;
}

/** Ink's key object, as a KeyPress. */
export function toKeyPress(input: string, key: { [k: string]: boolean | undefined }): KeyPress {
  const names = ['leftArrow', 'rightArrow', 'upArrow', 'downArrow', 'pageUp', 'pageDown', 'home', 'end', 'tab', 'return', 'escape', 'backspace', 'delete'] as const;
  const map: Record<(typeof names)[number], KeyPress['name']> = {
    leftArrow: 'left',
    rightArrow: 'right',
    upArrow: 'up',
    downArrow: 'down',
    pageUp: 'pageUp',
    pageDown: 'pageDown',
    home: 'home',
    end: 'end',
    tab: 'tab',
    return: 'return',
    escape: 'escape',
    backspace: 'backspace',
    delete: 'backspace',
  };
  for (const n of names) if (key[n]) return { input, name: map[n]!, ctrl: key.ctrl === true };
  return { input, ctrl: key.ctrl === true };
}

/**
 * What the terminal sent at once, key by key: one key, or several characters
 * (typed ahead, or pasted: ":12345" then Enter), each to be handled in turn.
 */
export function splitPresses(press: KeyPress): KeyPress[] {
  const chars = [...press.input];
  if (press.name || press.ctrl || chars.length <= 1) return [press];
  return chars.map((input) => (input === '\r' || input === '\n' ? { input: '', name: 'return' } : input === '\t' ? { input: '', name: 'tab' } : { input }));
}
