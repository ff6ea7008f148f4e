// The UI's own state: a pure reducer, keys as data, colours that can be turned off.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { commandFor, KEYMAP } from '../../src/views/tui/state/keymap.js';
import type { Command, KeyPress } from '../../src/views/tui/state/keymap.js';
import { initialUiState, uiReducer } from '../../src/views/tui/state/ui-state.js';
import type { UiAction } from '../../src/views/tui/state/ui-state.js';
import { makeTheme } from '../../src/views/tui/theme.js';

describe('the UI reducer', () => {
  it('keeps the cursor in [-1, length-1] whatever the moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.oneof(fc.integer({ min: -5000, max: 5000 }).map((delta): UiAction => ({ type: 'cursor/step', delta })), fc.integer({ min: -20_000, max: 20_000 }).map((seq): UiAction => ({ type: 'cursor/jump', seq })))),
        (length, actions) => {
          let s = initialUiState(length);
          let expected = length - 1;
          for (const a of actions) {
            s = uiReducer(s, a);
            expected = a.type === 'cursor/step' ? Math.max(-1, Math.min(length - 1, expected + a.delta)) : a.type === 'cursor/jump' ? Math.max(-1, Math.min(length - 1, a.seq)) : expected;
            assert.equal(s.seq, expected);
          }
        },
      ),
    );
  });

  it('does not change the state it is given', () => {
    const s = initialUiState(100, { seq: 5 });
    const frozen = JSON.stringify({ ...s, expanded: [...s.expanded], collapsed: [...s.collapsed] });
    for (const a of [
      { type: 'cursor/step', delta: 3 },
      { type: 'mark/set' },
      { type: 'table/expand', key: '0:0', open: true },
      { type: 'overlay/toggle', overlay: 'help' },
      { type: 'map/zoom', delta: 2 },
    ] as UiAction[])
      uiReducer(s, a);
    assert.equal(JSON.stringify({ ...s, expanded: [...s.expanded], collapsed: [...s.collapsed] }), frozen);
  });

  it('follows the end as the recording grows until the user moves back, like less +F', () => {
    let s = initialUiState(10, { follow: true });
    s = uiReducer(s, { type: 'recording/grew', length: 50 });
    assert.equal(s.seq, 49);
    s = uiReducer(s, { type: 'cursor/step', delta: -1 });
    assert.equal(s.follow, false);
    s = uiReducer(s, { type: 'recording/grew', length: 80 });
    assert.equal(s.seq, 48);
    assert.equal(s.length, 80);
    s = uiReducer(s, { type: 'follow/set', on: true });
    assert.equal(s.seq, 79);
    s = uiReducer(s, { type: 'cursor/jump', seq: 10 });
    assert.equal(s.follow, false);
  });

  it('toggles overlays, scrolls them from the top, clamps the zoom and tracks opened and closed tables', () => {
    let s = initialUiState(10);
    s = uiReducer(s, { type: 'overlay/toggle', overlay: 'diff' });
    assert.equal(s.overlay, 'diff');
    s = uiReducer(s, { type: 'overlay/scroll', delta: -3 });
    assert.equal(s.overlayScroll, 0);
    s = uiReducer(s, { type: 'overlay/scroll', delta: 4 });
    assert.equal(s.overlayScroll, 4);
    s = uiReducer(s, { type: 'overlay/toggle', overlay: 'help' });
    assert.equal(s.overlay, 'help');
    assert.equal(s.overlayScroll, 0);
    s = uiReducer(s, { type: 'overlay/toggle', overlay: 'help' });
    assert.equal(s.overlay, null);
    s = uiReducer(s, { type: 'map/zoom', delta: -1 });
    assert.equal(s.zoom, 0);
    s = uiReducer(s, { type: 'table/expand', key: 'a', open: true });
    s = uiReducer(s, { type: 'table/expand', key: 'b', open: false });
    assert.deepEqual([[...s.expanded], [...s.collapsed]], [['a'], ['b']]);
    s = uiReducer(s, { type: 'table/expand', key: 'a', open: false });
    assert.deepEqual([[...s.expanded], [...s.collapsed]], [[], ['b', 'a']]);
  });
});

describe('the keymap', () => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  const named: KeyPress['name'][] = ['left', 'right', 'up', 'down', 'pageUp', 'pageDown', 'home', 'end', 'tab', 'return', 'escape', 'backspace'];
  const presses: KeyPress[] = [...printable.map((input) => ({ input })), ...named.map((name) => ({ input: '', name })), { input: 'c', ctrl: true }];

  it('binds no key to two commands', () => {
    for (const key of presses) {
      const matches = KEYMAP.filter((b) => b.match(key)).map((b) => b.command);
      assert.ok(matches.length <= 1, `${JSON.stringify(key)} runs ${matches.join(' and ')}`);
    }
  });

  it('reaches every command from some key, and documents every key in the help', () => {
    const reached = new Set<Command>(presses.map(commandFor).filter((c): c is Command => c !== null));
    for (const b of KEYMAP) assert.ok(reached.has(b.command), `${b.command} has a key`);
    // A binding without help text is the second half of a pair whose label names it ("e E").
    for (const b of KEYMAP.filter((b) => !b.help)) {
      const pair = KEYMAP.find((p) => p.help && p.label.split(' ').length === 2 && p.command.replace(/-next$/, '') === b.command.replace(/-prev$/, ''));
      assert.ok(pair, `${b.command} is documented with its pair`);
    }
  });

  it('has the conventions of terminal tools: arrows and vim keys, ? / n N q', () => {
    const is = (key: KeyPress, command: Command) => assert.equal(commandFor(key), command, JSON.stringify(key));
    is({ input: '', name: 'right' }, 'step-next');
    is({ input: 'l' }, 'step-next');
    is({ input: '', name: 'left' }, 'step-prev');
    is({ input: 'h' }, 'step-prev');
    is({ input: 'j' }, 'down');
    is({ input: 'k' }, 'up');
    is({ input: 'g' }, 'start');
    is({ input: 'G' }, 'end');
    is({ input: '?' }, 'help');
    is({ input: '/' }, 'search');
    is({ input: 'n' }, 'match-next');
    is({ input: 'N' }, 'match-prev');
    is({ input: 'q' }, 'quit');
    is({ input: 'c', ctrl: true }, 'quit');
  });
});

describe('colours', () => {
  it('are off under NO_COLOR, and never white, black, yellow or blue (unreadable on one theme or the other)', () => {
    const off = makeTheme({ NO_COLOR: '1' });
    for (const v of Object.values(off)) assert.equal(v, undefined);
    const on = makeTheme({});
    for (const v of Object.values(on)) {
      assert.ok(v, 'a colour');
      assert.ok(!/white|black|yellow|blue|gray|grey/.test(v));
    }
    // An empty NO_COLOR does not count (no-color.org).
    assert.deepEqual(makeTheme({ NO_COLOR: '' }), on);
  });
});
