// The chunk codec: every event decodes to exactly what was encoded, for every
// event type and for addresses up to the top of the 64-bit address space.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChunkEncoder, CodecError, decodeChunk } from '../../../src/events/codec.js';
import type { WalkEvent } from '../../../src/events/walk-event.js';
import { CALLBACKS, ENTRY_CALLBACKS, EVENT_TYPES, LEVELS, STATE_KINDS, WALK_APIS } from '../../../src/events/walk-event.js';
import { parseScenario } from '../../../src/scenario/load-scenario.js';
import { events } from '../../helpers/run.js';
import { readdirSync } from 'node:fs';
import { loadScenario } from '../../../src/scenario/load-scenario.js';
import { EXAMPLES } from '../../helpers/paths.js';

function roundTrip(list: WalkEvent[], page = 4096): WalkEvent[] {
  const enc = new ChunkEncoder(page);
  enc.reset(list[0]?.seq ?? 0);
  for (const e of list) enc.add(e);
  return decodeChunk(enc.finish(), list[0]?.seq ?? 0, page);
}

const addr = fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((p) => Number(p * 4096n));
const small = fc.integer({ min: -200, max: 200 });
const entry = fc.integer({ min: 0, max: 5 });
const action = fc.integer({ min: -1, max: 2 });

const anyEvent: fc.Arbitrary<Omit<WalkEvent, 'seq'>> = fc.oneof(
  fc.record({ type: fc.constant('vma' as const), start: addr, end: addr, flags: fc.integer({ min: 0, max: 3 }), hugetlb: fc.constantFrom(0, 2 ** 21, 2 ** 30) }),
  fc.record({ type: fc.constant('state' as const), kind: fc.constantFrom(...STATE_KINDS), level: fc.constantFrom(null, ...LEVELS), at: addr, count: fc.integer({ min: 1, max: 1 << 22 }) }),
  fc.record({ type: fc.constant('walk' as const), api: fc.constantFrom(...WALK_APIS), start: addr, end: addr }),
  fc.record({ type: fc.constant('ret' as const), value: fc.integer({ min: -600, max: 600 }), why: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ type: fc.constant('client_ret' as const), value: fc.integer({ min: -600, max: 600 }) }),
  fc.record({ type: fc.constant('vma_enter' as const), start: addr, end: addr }),
  fc.record({ type: fc.constantFrom('test_walk' as const, 'pre_vma' as const), start: addr, end: addr, ret: small, action }),
  fc.record({ type: fc.constant('post_vma' as const) }),
  fc.record({ type: fc.constant('hole' as const), start: addr, end: addr, depth: fc.integer({ min: -1, max: 3 }), ret: small, action }),
  fc.record({ type: fc.constantFrom(...ENTRY_CALLBACKS, 'hugetlb_entry' as const), start: addr, end: addr, entry, ret: small, action }),
  fc.record({ type: fc.constant('install_pte' as const), start: addr, end: addr, ret: small, action, value: entry }),
  fc.record({ type: fc.constant('set_pte' as const), addr, value: entry }),
  fc.record({ type: fc.constantFrom('alloc' as const, 'alloc_fail' as const), level: fc.constantFrom(...LEVELS), addr }),
  fc.record({ type: fc.constantFrom('split_pmd' as const, 'split_pud' as const), addr, value: entry }),
  fc.record({ type: fc.constant('clear' as const), level: fc.constantFrom(...LEVELS), addr, old: entry }),
  fc.record({ type: fc.constant('zap' as const), start: addr, end: addr }),
  fc.record({ type: fc.constant('pte_map_fail' as const), addr, injected: fc.boolean() }),
  fc.record({ type: fc.constant('oops' as const), callback: fc.constantFrom(...CALLBACKS), addr }),
  fc.record({ type: fc.constant('livelock' as const), level: fc.constantFrom(...LEVELS), addr }),
  fc.record({ type: fc.constant('zap_split' as const), level: fc.constantFrom('pmd' as const, 'pud' as const), addr, value: entry }),
) as fc.Arbitrary<Omit<WalkEvent, 'seq'>>;

describe('chunk codec', () => {
  it('round-trips any sequence of any events, addresses up to 2^64 - 4K included', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 60 }), fc.nat({ max: 1e9 }), (bodies, first) => {
        const list = bodies.map((b, i) => ({ ...b, seq: first + i }) as WalkEvent);
        assert.deepEqual(roundTrip(list), list);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips the extremes of the address space', () => {
    const top = 2 ** 64 - 4096;
    const list: WalkEvent[] = [
      { seq: 0, type: 'walk', api: 'walk_page_range_novma', start: top - 4096, end: top },
      { seq: 1, type: 'pte_entry', start: top - 4096, end: top, entry: 2, ret: 0, action: -1 },
      { seq: 2, type: 'hole', start: 0, end: top, depth: -1, ret: 0, action: -1 },
      { seq: 3, type: 'set_pte', addr: top, value: 3 },
      { seq: 4, type: 'ret', value: 0, why: 0 },
    ];
    assert.deepEqual(roundTrip(list), list);
  });

  it('round-trips every example and kernel golden run, in 64K pages too', () => {
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))) {
      const scenario = loadScenario(`${EXAMPLES}${file}`);
      const list = events(scenario);
      assert.deepEqual(roundTrip(list, scenario.geometry.pageSize), list, file);
    }
  });

  it('takes about one byte per event on a walk over populated PTEs', () => {
    const scenario = parseScenario(`
vmas: [{ start: 0x40000000, end: 0x40400000 }]
state: [{ kind: pte, at: 0x40000000, count: 1024 }]
walk: { start: 0x40000000, end: 0x40400000, ops: { pmd_entry: ok, pte_entry: ok } }`);
    const list = events(scenario);
    const enc = new ChunkEncoder(4096);
    enc.reset(0);
    for (const e of list) enc.add(e);
    assert.ok(enc.size / list.length < 1.1, `${enc.size} bytes for ${list.length} events`);
  });

  it('refuses a damaged chunk with a CodecError', () => {
    const enc = new ChunkEncoder(4096);
    enc.reset(0);
    enc.add({ seq: 0, type: 'hole', start: 0x400000, end: 0x600000, depth: 3, ret: 0, action: -1 });
    const data = enc.finish();
    assert.throws(() => decodeChunk(data.subarray(0, data.length - 1), 0, 4096), CodecError);
    assert.throws(() => decodeChunk(Uint8Array.of(31), 0, 4096), CodecError);
  });

  it('keeps the kind numbers recordings already hold: new event types are appended, and fit the header', () => {
    // Schema 3 as first released: the kind number of each type is its index here.
    const released = [
      'vma', 'state', 'walk', 'ret', 'client_ret', 'vma_enter', 'test_walk', 'pre_vma', 'post_vma', 'hole',
      'pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry', 'pte_entry', 'hugetlb_entry', 'install_pte', 'set_pte',
      'alloc', 'alloc_fail', 'split_pmd', 'split_pud', 'clear', 'zap', 'pte_map_fail', 'oops', 'livelock',
    ];
    assert.deepEqual(EVENT_TYPES.slice(0, released.length), released);
    assert.ok(EVENT_TYPES.length <= 32, 'a chunk header has 5 bits for the type');
  });
});
