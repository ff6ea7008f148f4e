// The walker as a cold Observable: subscribing runs the walk, completing ends
// it, unsubscribing stops it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import { walk$ } from '../../../src/walker/walk-stream.js';
import { events } from '../../helpers/run.js';

// An install walk over an empty 1 GiB range: about half a million events.
const big = parseScenario(`
vmas: [{ start: 0x40000000, end: 0x80000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80000000, ops: { install_pte: ok } }`);

const small = parseScenario(`
vmas: [{ start: 0x400000, end: 0x600000 }]
state: [{ kind: pte, at: 0x400000, count: 3 }]
walk: { start: 0x400000, end: 0x403000, ops: { pmd_entry: ok, pte_entry: ok } }`);

describe('walk$', () => {
  it('emits the same events as the synchronous walker, numbered from 0, then completes', async () => {
    const streamed = await lastValueFrom(walk$(small).pipe(toArray()));
    assert.deepEqual(streamed, events(small));
    assert.deepEqual(
      streamed.map((e) => e.seq),
      streamed.map((_, i) => i),
    );
  });

  it('is cold: each subscription runs the walk again from the start', async () => {
    const stream = walk$(small);
    const first = await lastValueFrom(stream.pipe(toArray()));
    const second = await lastValueFrom(stream.pipe(toArray()));
    assert.deepEqual(second, first);
  });

  it('does nothing until subscribed', () => {
    let emitted = 0;
    walk$(small).pipe(tap(() => emitted++));
    assert.equal(emitted, 0);
  });

  it('stops the walk when the subscriber unsubscribes', async () => {
    let produced = 0;
    const taken = await lastValueFrom(
      walk$(big).pipe(
        tap(() => produced++),
        take(10),
        toArray(),
      ),
    );
    assert.equal(taken.length, 10);
    assert.equal(produced, 10, 'no event is produced after the unsubscribe');
  });

  it('carries no in-memory objects: every event survives a JSON round trip unchanged', () => {
    for (const e of events(small)) assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  });
});
