// SPDX-License-Identifier: GPL-2.0-only
/**
 * A walk as Chrome trace-event JSON, for ui.perfetto.dev and chrome://tracing.
 * Time is the event number (1 µs an event). Slices nest as the walk does:
 * the walk, the VMA it is in, then one slice per page-table entry it works
 * on at each real level, down to single PTEs; allocations, failures, splits,
 * zaps, errors and the client's return are instant events, half way through
 * their event. Slices are complete ('X') events written when they end, so a
 * long recording streams; a slice starts 1 ns after and ends 1 ns before the
 * one around it, so that a viewer never has to guess which of two slices with
 * the same start and end holds the other (the format leaves it to file order).
 */
import { eventAddr, eventLevel, eventRet } from '../../events/fields.js';
import type { Addr, WalkEvent } from '../../events/walk-event.js';
import { LEVELS } from '../../events/walk-event.js';
import type { Geometry } from '../../mm/geometry.js';
import { alignDown, hex } from '../../mm/geometry.js';
import { formatEventLine } from '../trace/format-event-line.js';
import type { TextSink } from '../text-sink.js';

export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  readonly ph: 'X' | 'i' | 'M';
  readonly ts: number;
  readonly dur?: number;
  readonly s?: 't' | 'p' | 'g';
  readonly pid: number;
  readonly tid: number;
  readonly args?: Record<string, unknown>;
}

interface Open {
  /** -2 the walk, -1 a VMA, 0..4 a page-table level. */
  readonly depth: number;
  readonly name: string;
  readonly cat: string;
  readonly ts: number;
  readonly start: Addr;
  readonly end: Addr;
  readonly args: Record<string, unknown>;
}

const PID = 1;
/** How far a slice of this depth (-2 the walk ... 4 a PTE) is inset into its events, in µs: 1 ns a level. */
const nanos = (depth: number): number => (depth + 3) / 1000;
/** µs to the nanosecond, printed without float noise. */
const micros = (us: number): number => Math.round(us * 1000) / 1000;
const TID = 1;
const INSTANTS = new Set(['alloc', 'alloc_fail', 'split_pmd', 'split_pud', 'zap_split', 'pte_map_fail', 'zap', 'oops', 'livelock', 'client_ret']);

/**
 * The trace events of a walk, pushed as its events come (a live walk is not
 * an iterable): `add` each event, then `end`; each trace event goes to `emit`
 * as soon as it can be written.
 */
export class PerfettoSlices {
  private readonly stack: Open[] = [];
  /** The range entries are clipped to: the walk's, within the VMA it is in (walk_page_vma walks the whole VMA). */
  private walk: { api: string; start: Addr; end: Addr } | null = null;
  private range: { start: Addr; end: Addr } | null = null;

  constructor(
    private readonly geometry: Geometry,
    title: string,
    private readonly emit: (t: TraceEvent) => void,
  ) {
    emit({ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: TID, args: { name: title } });
    emit({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: TID, args: { name: 'page-table walk (1 µs = 1 event)' } });
  }

  add(e: WalkEvent): void {
    const stack = this.stack;
    switch (e.type) {
      case 'walk':
        this.close(-2, e.seq);
        this.walk = { api: e.api, start: e.start, end: e.end };
        this.range = this.walk;
        stack.push({ depth: -2, name: `${e.api} ${hex(e.start)}-${hex(e.end)}`, cat: 'walk', ts: e.seq, start: e.start, end: e.end, args: { seq: e.seq, api: e.api, start: hex(e.start), end: hex(e.end) } });
        return;
      case 'vma_enter': {
        this.close(-1, e.seq);
        const walk = this.walk;
        if (walk) this.range = walk.api === 'walk_page_vma' ? { start: e.start, end: e.end } : { start: Math.max(walk.start, e.start), end: Math.min(walk.end, e.end) };
        stack.push({ depth: -1, name: `vma ${hex(e.start)}-${hex(e.end)}`, cat: 'vma', ts: e.seq, start: e.start, end: e.end, args: { seq: e.seq, start: hex(e.start), end: hex(e.end) } });
        return;
      }
      case 'ret':
        if (e.value !== 0) this.emit(instant(e, `ret ${e.value}`, 'failure'));
        this.close(-2, e.seq + 1);
        this.walk = this.range = null;
        return;
      case 'vma':
      case 'state':
        return;
      default:
        break;
    }
    if (this.range) this.enter(e, this.range);
    if (INSTANTS.has(e.type)) this.emit(instant(e, formatEventLine(e), e.type === 'alloc' ? 'alloc' : e.type.startsWith('split') || e.type === 'zap_split' ? 'split' : e.type === 'zap' ? 'zap' : e.type === 'client_ret' ? 'client' : 'failure'));
    else {
      const ret = eventRet(e);
      if (ret !== null && ret !== 0) this.emit(instant(e, `${e.type} returned ${ret}`, 'failure'));
    }
    if (e.type === 'oops' || e.type === 'livelock') this.close(-2, e.seq + 1);
  }

  /** Close what is still open (a walk cut short), 1 µs after the latest start among them. */
  end(): void {
    let latest = -1;
    for (const s of this.stack) latest = Math.max(latest, s.ts);
    this.close(-2, latest + 1);
  }

  private close(toDepth: number, at: number): void {
    const stack = this.stack;
    while (stack.length && stack[stack.length - 1]!.depth >= toDepth) {
      const s = stack.pop()!;
      const inset = nanos(s.depth);
      this.emit({ name: s.name, cat: s.cat, ph: 'X', ts: micros(s.ts + inset), dur: micros(Math.max(1, at - s.ts) - 2 * inset), pid: PID, tid: TID, args: s.args });
    }
  }

  /** Make the open slices the chain of entries holding the event's address, down to its level. */
  private enter(e: WalkEvent, range: { start: Addr; end: Addr }): void {
    const { geometry, stack } = this;
    const addr = eventAddr(e);
    const name = eventLevel(e);
    if (addr === null || name === null) return;
    // An allocation is made from the entry above the table it allocates.
    const level = LEVELS.indexOf(name) - (e.type === 'alloc' || e.type === 'alloc_fail' ? 1 : 0);
    for (let l = 0; l <= level; l++) {
      if (!geometry.real[l]) continue;
      const size = geometry.entrySize[l]!;
      const start = Math.max(alignDown(addr, size), range.start);
      const end = Math.min(alignDown(addr, size) + size, range.end);
      // The slice at this level, if it is this entry's, stays open; anything else at or below it ends here.
      const i = stack.findIndex((s) => s.depth >= l);
      if (i >= 0 && stack[i]!.depth === l && stack[i]!.start === start) continue;
      if (i >= 0) this.close(l, e.seq);
      stack.push({ depth: l, name: `${LEVELS[l]} ${hex(start)}`, cat: LEVELS[l]!, ts: e.seq, start, end, args: { seq: e.seq, level: LEVELS[l], start: hex(start), end: hex(end) } });
    }
  }
}

const instant = (e: WalkEvent, name: string, cat: string): TraceEvent => ({ name, cat, ph: 'i', s: 't', ts: e.seq + 0.5, pid: PID, tid: TID, args: { seq: e.seq, line: formatEventLine(e) } });

/** The trace events of a walk, in the order they can be written. */
export function* perfettoEvents(events: Iterable<WalkEvent>, geometry: Geometry, title: string): Generator<TraceEvent> {
  const ready: TraceEvent[] = [];
  const slices = new PerfettoSlices(geometry, title, (t) => ready.push(t));
  for (const e of events) {
    slices.add(e);
    yield* ready;
    ready.length = 0;
  }
  slices.end();
  yield* ready;
}

/** The whole document, written to `out` as the walk's events are added: a JSON object with `traceEvents`. */
export class PerfettoDocument {
  private readonly slices: PerfettoSlices;
  private first = true;

  constructor(
    private readonly out: TextSink,
    geometry: Geometry,
    title: string,
    otherData: Record<string, unknown>,
  ) {
    out.write(`{"otherData":${JSON.stringify(otherData)},"traceEvents":[\n`);
    this.slices = new PerfettoSlices(geometry, title, (t) => {
      out.write(`${this.first ? '' : ',\n'}${JSON.stringify(t)}`);
      this.first = false;
    });
  }

  add(e: WalkEvent): void {
    this.slices.add(e);
  }

  end(): void {
    this.slices.end();
    this.out.write('\n]}\n');
  }
}

/** The whole document as text pieces. */
export function* perfettoJson(events: Iterable<WalkEvent>, geometry: Geometry, title: string, otherData: Record<string, unknown>): Generator<string> {
  const pieces = new StringPieces();
  const document = new PerfettoDocument(pieces, geometry, title, otherData);
  for (const e of events) {
    document.add(e);
    yield* pieces.take();
  }
  document.end();
  yield* pieces.take();
}

class StringPieces implements TextSink {
  private pieces: string[] = [];
  write(text: string): void {
    this.pieces.push(text);
  }
  take(): string[] {
    const taken = this.pieces;
    this.pieces = [];
    return taken;
  }
}
