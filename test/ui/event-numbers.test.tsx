// One numbering, one wording: events are numbered from 0 (the seq a recording
// stores, what --at and :N take), a position reads "event N of 0-L" where L is
// the last event's number, the moment before event 0 is "the start" (never
// "event -1", which --at reads as the last event), and a walk is counted
// apart from the event that began it. Checked in show (text and JSON), the
// summary, the UI's header, marks, diff overlay, details and prompts, against
// the recording's events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WalkEvent } from '../../src/events/walk-event.js';
import type { TuiSession } from '../../src/views/tui/model/session.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import { KEYS, renderApp, sessionFor } from '../helpers/ui.js';

const { dir, cleanup } = tempDir('walkback-numbers-');
let session: TuiSession;
let events: WalkEvent[];
let close: () => void;
let file = '';

before(async () => {
  ({ session, events, close } = await sessionFor(dir, `${ROOT}test/fixtures/ui-rich.yaml`));
  file = session.file;
});
after(() => {
  close?.();
  cleanup();
});

const last = () => events.length - 1;
const walkStarts = () => events.filter((e) => e.type === 'walk').map((e) => e.seq);

describe('event numbers', () => {
  it('show: "event N of 0-L" at an event, "the start" before event 0, and never event -1', () => {
    const end = cli(['show', file]);
    assert.match(end.stdout, new RegExp(`^at event ${last()} of 0-${last()}: ret -12$`, 'm'));
    const start = cli(['show', file, '--at', 'start']);
    assert.match(start.stdout, new RegExp(`^at the start, before event 0 of 0-${last()}$`, 'm'));
    assert.doesNotMatch(start.stdout, /event -1|#-1/);
    const json = JSON.parse(cli(['show', file, '--json', '--at', 'start']).stdout);
    assert.equal(json.at, null, 'the start is null in JSON: -1 would be the last event');
    assert.equal(json.summary.at, null);
    assert.equal(json.summary.outcome, 'not started');
    assert.equal(JSON.parse(cli(['show', file, '--json', '--at', '-1']).stdout).at, last());
  });

  it('the summary counts walks apart from the events that began them, and names events by number', () => {
    const out = cli(['show', file]).stdout;
    const walks = [...out.matchAll(/^  walk (\d+) \(event (\d+)\): walk_page_range_mm/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.deepEqual(walks, walkStarts().map((seq, i) => [i + 1, seq]));
    assert.doesNotMatch(out, /#\d/);
    const failure = events.find((e) => e.type === 'alloc_fail')!;
    assert.match(out, new RegExp(`stopped at event ${failure.seq} \\(alloc_fail pmd 0x40000000\\)`));
    const allocs = events.filter((e) => e.type === 'alloc').map((e) => e.seq);
    assert.deepEqual([...out.matchAll(/^    event (\d+): \w+ table for/gm)].map((m) => Number(m[1])), allocs);
  });

  it('the UI: header, marks, the diff overlay, details and the prompt all say the same', async () => {
    const ui = await renderApp({ session, initialSeq: 0 });
    try {
      assert.match(ui.frame(), new RegExp(`event 0 of 0-${last()}`));
      assert.match(ui.frame(), /^event 0: \(vma /m, 'details name the event by number');
      // d without a mark says so, with no "null".
      await ui.press('d');
      assert.match(ui.frame(), /what changed: no mark set/);
      assert.match(ui.frame(), /No mark: press m/);
      assert.doesNotMatch(ui.frame(), /null/);
      await ui.press(KEYS.escape, 'g');
      assert.match(ui.frame(), new RegExp(`the start, before event 0 of 0-${last()}`));
      assert.match(ui.frame(), /^the start, before event 0/m);
      await ui.press('m');
      assert.match(ui.frame(), /mark set at the start: d shows what changed since/);
      assert.match(ui.frame(), /\^ mark: the start/);
      await ui.press('G', 'd');
      assert.match(ui.frame(), new RegExp(`what changed from the start to event ${last()}`));
      assert.match(ui.frame(), new RegExp(`entries differ between the start and event ${last()}`));
      assert.doesNotMatch(ui.frame(), /event -1/);
      await ui.press(KEYS.escape, ':', '9', '9', '9', '9', KEYS.enter);
      assert.match(ui.frame(), new RegExp(`no event 9999: the recording has events 0-${last()}`));
      // The summary overlay: walks counted, events by number.
      await ui.press('r');
      const walks = [...ui.frame().matchAll(/walk (\d+) \(event (\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      assert.deepEqual(walks, walkStarts().map((seq, i) => [i + 1, seq]));
    } finally {
      ui.unmount();
    }
  });
});
