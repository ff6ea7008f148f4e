// Exports: Perfetto (Chrome trace-event JSON) that is valid and nests as the
// walk does; JSON lines, one per event; the callback trace.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { LEVELS } from '../../src/events/walk-event.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { perfettoJson } from '../../src/views/export/perfetto.js';
import type { TraceEvent } from '../../src/views/export/perfetto.js';
import { arbScenario } from '../helpers/arbitrary.js';
import { EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { cli, events, traceOf } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-export-');
after(cleanup);

function exportOf(scenario: Scenario): { doc: { traceEvents: TraceEvent[]; otherData: Record<string, unknown> }; events: WalkEvent[] } {
  const list = events(scenario);
  const text = [...perfettoJson(list, scenario.geometry, scenario.name, { scenario: scenario.name })].join('');
  return { doc: JSON.parse(text) as { traceEvents: TraceEvent[]; otherData: Record<string, unknown> }, events: list };
}

const DEPTH: Record<string, number> = { walk: -2, vma: -1, pgd: 0, p4d: 1, pud: 2, pmd: 3, pte: 4 };
const big = (s: string) => BigInt(s);

/** Checks a document as a trace viewer needs it, and that its slices nest as a page-table walk does. */
function checkPerfetto(scenario: Scenario): void {
  const { doc, events: list } = exportOf(scenario);
  assert.ok(Array.isArray(doc.traceEvents));
  for (const t of doc.traceEvents) {
    assert.equal(typeof t.name, 'string');
    assert.ok(['X', 'i', 'M'].includes(t.ph), t.ph);
    assert.ok(Number.isFinite(t.ts) && t.ts >= 0);
    // To the nanosecond: what Perfetto keeps of a µs timestamp.
    assert.equal(Math.round(t.ts * 1000) / 1000, t.ts);
    assert.equal(t.pid, 1);
    assert.equal(t.tid, 1);
    if (t.ph === 'X') assert.ok(Number.isFinite(t.dur) && t.dur! > 0.9, JSON.stringify(t));
    if (t.ph === 'i') assert.equal(t.s, 't');
  }
  const slices = doc.traceEvents.filter((t) => t.ph === 'X').sort((a, b) => a.ts - b.ts || b.dur! - a.dur! || DEPTH[a.cat!]! - DEPTH[b.cat!]!);
  // Proper nesting: every slice lies inside the one open when it starts, one level deeper.
  const open: TraceEvent[] = [];
  for (const s of slices) {
    while (open.length && open[open.length - 1]!.ts + open[open.length - 1]!.dur! <= s.ts) open.pop();
    const parent = open[open.length - 1];
    if (parent) {
      // Strictly inside: no two slices share a start and an end, so no viewer has to guess which holds which.
      assert.ok(s.ts > parent.ts && s.ts + s.dur! < parent.ts + parent.dur!, `${s.name} [${s.ts}, +${s.dur}) is not strictly inside ${parent.name} [${parent.ts}, +${parent.dur})`);
      assert.ok(DEPTH[s.cat!]! > DEPTH[parent.cat!]!, `${s.name} inside ${parent.name}`);
      // An entry's range lies inside its parent's (the walk's, the VMA's, the entry above).
      if (DEPTH[s.cat!]! >= 0 && DEPTH[parent.cat!]! >= 0) {
        assert.ok(big(s.args!.start as string) >= big(parent.args!.start as string) && big(s.args!.end as string) <= big(parent.args!.end as string), `${s.name} outside ${parent.name}`);
        // and is one entry of its level.
        const size = BigInt(scenario.geometry.entrySize[LEVELS.indexOf(s.cat as never)]!);
        assert.equal(big(s.args!.start as string) / size, (big(s.args!.end as string) - 1n) / size, s.name);
      }
    } else assert.equal(s.cat, 'walk', `${s.name} outside any walk`);
    open.push(s);
  }
  // One walk slice per walk, spanning the walk's events up to its ret.
  const walks = list.filter((e) => e.type === 'walk');
  assert.equal(slices.filter((s) => s.cat === 'walk').length, walks.length);
  // Every allocation, failed allocation and split is an instant at its event.
  const notable = list.filter((e) => ['alloc', 'alloc_fail', 'split_pmd', 'split_pud'].includes(e.type)).map((e) => e.seq);
  const instants = doc.traceEvents.filter((t) => t.ph === 'i' && ['alloc', 'failure', 'split'].includes(t.cat!)).map((t) => t.args!.seq as number);
  for (const seq of notable) assert.ok(instants.includes(seq), `no instant at event ${seq}`);
  // An instant lies inside every slice that spans its event.
  for (const t of doc.traceEvents.filter((x) => x.ph === 'i')) {
    const seq = t.args!.seq as number;
    for (const s of slices) {
      const spans = Math.floor(s.ts) <= seq && seq < Math.ceil(s.ts + s.dur!);
      if (spans) assert.ok(s.ts < t.ts && t.ts < s.ts + s.dur!, `${t.name} outside ${s.name}`);
    }
  }
}

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => loadScenario(join(EXAMPLES, f)));

describe('export --format perfetto', () => {
  for (const scenario of examples) it(`${scenario.name}: valid, and nested as the walk`, () => checkPerfetto(scenario));

  it('generated scenarios: valid and nested', () => {
    fc.assert(
      fc.property(arbScenario({ install: true }), (s) => checkPerfetto(parseScenario(s.text))),
      { numRuns: 200 },
    );
  });

  it('the demo: the failed PTE allocation sits inside the PMD entry of 1G-1G+2M, inside the walk', () => {
    const { doc } = exportOf(loadScenario(join(EXAMPLES, 'demo.yaml')));
    const fail = doc.traceEvents.find((t) => t.ph === 'i' && t.name === 'alloc_fail pte 0x40000000')!;
    assert.ok(fail);
    const around = doc.traceEvents.filter((t) => t.ph === 'X' && t.ts < fail.ts && fail.ts < t.ts + t.dur!).map((t) => t.name);
    assert.deepEqual(around.sort(), ['pgd 0x3fffe000', 'pmd 0x40000000', 'pud 0x40000000', 'vma 0x3fe00000-0x40200000', 'walk_page_range_mm 0x3fffe000-0x40002000'].sort());
  });
});

describe('walkback export', () => {
  const demo = join(EXAMPLES, 'demo.yaml');

  it('perfetto from a recording equals perfetto from the scenario, and the file is JSON', async () => {
    const rec = await recordTo(dir, loadScenario(demo));
    const out = join(dir, 'demo.json');
    const r = cli(['export', rec.file, '--format', 'perfetto', '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const fromFile = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: TraceEvent[] };
    const live = JSON.parse(cli(['export', demo]).stdout) as { traceEvents: TraceEvent[] };
    assert.deepEqual(fromFile.traceEvents.slice(2), live.traceEvents.slice(2));
  });

  it('jsonl: one JSON object per event, addresses as hex strings', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'la57-install-near-top.yaml'));
    const rec = await recordTo(dir, scenario);
    const r = cli(['export', rec.file, '--format', 'jsonl']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const live = events(scenario);
    assert.equal(lines.length, live.length);
    lines.forEach((l, i) => {
      assert.equal(l.seq, i);
      assert.equal(l.type, live[i]!.type);
      const addr = (live[i] as { addr?: number; start?: number }).addr ?? (live[i] as { start?: number }).start;
      if (addr !== undefined) assert.equal(BigInt((l.addr ?? l.start) as string), BigInt(addr));
    });
  });

  it('trace: the callback trace, as walkback trace prints it', async () => {
    const scenario = loadScenario(join(EXAMPLES, 'guard-install-zap-retry.yaml'));
    const rec = await recordTo(dir, scenario);
    const r = cli(['export', rec.file, '--format', 'trace']);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), traceOf(events(scenario)));
  });

  it('bad input: one line, exit 2, nothing overwritten or left half-written', () => {
    const existing = join(dir, 'keep.json');
    writeFileSync(existing, 'precious');
    const cases: [string[], RegExp][] = [
      [['export', demo, '--format', 'svg'], /--format svg: not a format; give perfetto/],
      [['export', demo, '-o', existing], /exists; pass --force/],
      [['export', demo, '-o', dir], /is a directory/],
      [['export', demo, '--run', '2'], /--run applies to a recording/],
      [['export', join(dir, 'nope.db')], /nope.db/],
    ];
    for (const [args, says] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
    }
    assert.equal(readFileSync(existing, 'utf8'), 'precious');
    const forced = cli(['export', demo, '--format', 'trace', '-o', existing, '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(readFileSync(existing, 'utf8'), /^walk walk_page_range_mm/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial-')), []);
    const noDir = cli(['export', demo, '-o', join(dir, 'missing', 'x.json')]);
    assert.equal(noDir.status, 1);
    assert.match(noDir.stderr, /cannot write .*missing\/x.json/);
    assert.ok(!existsSync(join(dir, 'missing')));
  });
});
