// SPDX-License-Identifier: GPL-2.0-only
/**
 * The compact encoding of events in a recording: chunks of up to CHUNK_EVENTS
 * events, each event a header byte and a few varints.
 *
 * Header: bits 0-4 the event type (its index in EVENT_TYPES), bits 5-6 how the address is coded, bit 7
 * "same tail as the previous event of this type". Address modes: 0 = the
 * previous event's address, 1 = the previous event's end, 2 = a zig-zag
 * varint delta from the previous address, 3 = an absolute varint. Addresses
 * and spans are in units of 4 KiB (every address walkback handles is a
 * multiple of that), so 64-bit addresses stay below 2^53 and exact. The tail
 * is the span (end - start, for range events) and the type's small fields.
 *
 * A walk is mostly runs of the same event on consecutive addresses, so most
 * events take one byte: a pte_entry after a pte_entry, a set_pte after its
 * install_pte. Each chunk decodes on its own (the prediction state restarts),
 * so replay can start at any chunk.
 *
 * Arithmetic only, no 32-bit bitwise operators on addresses.
 */
import type { Addr, EntryKind, LevelName, WalkEvent, WalkEventType } from './walk-event.js';
import { CALLBACKS, EVENT_TYPES, LEVELS, STATE_KINDS, WALK_APIS } from './walk-event.js';

/** Events per chunk: also the checkpoint interval of a recording. */
export const CHUNK_EVENTS = 4096;
/** The unit addresses and spans are coded in. */
const UNIT = 4096;

const TYPE_INDEX: Record<WalkEventType, number> = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<
  WalkEventType,
  number
>;
const LEVEL_INDEX: Record<LevelName, number> = Object.fromEntries(LEVELS.map((l, i) => [l, i])) as Record<LevelName, number>;

// Type numbers as constants: the encoder's switch stays free of keyed lookups.
const T = TYPE_INDEX;
const T_PTE = T.pte_entry;
const T_INSTALL = T.install_pte;
const T_SET = T.set_pte;
const T_HOLE = T.hole;

const zig = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzig = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Encodes events into one chunk at a time. */
export class ChunkEncoder {
  private buf = new Uint8Array(64 * 1024);
  private pos = 0;
  private prevAddr = 0;
  private prevEnd = 0;
  /** Per type: the last tail written, [span, f0, f1, f2] at type * 4. */
  private readonly tails = new Float64Array(EVENT_TYPES.length * 4);
  /** Per type: whether a tail has been written in this chunk. */
  private readonly hasTail = new Uint8Array(EVENT_TYPES.length);
  private readonly page: number;
  /** Events in the current chunk. */
  count = 0;
  /** Sequence number of the chunk's first event. */
  firstSeq = 0;

  constructor(pageSize: number) {
    this.page = pageSize;
  }

  /** Start a new chunk whose first event will be `firstSeq`. */
  reset(firstSeq: number): void {
    this.pos = 0;
    this.count = 0;
    this.firstSeq = firstSeq;
    this.prevAddr = 0;
    this.prevEnd = 0;
    this.hasTail.fill(0);
  }

  /** The encoded chunk (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Encoded bytes so far. */
  get size(): number {
    return this.pos;
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buf.length * 2);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  private varint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (v < 0x80000000) {
      // Small values: 32-bit operators are exact here.
      while (v >= 128) {
        buf[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
    } else {
      while (v >= 128) {
        const q = Math.floor(v / 128);
        buf[pos++] = v - q * 128 + 128;
        v = q;
      }
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /**
   * Append an event: its type, address, span (end - addr for range events,
   * 0 otherwise), the end the next event may start at, and up to three small fields.
   */
  private put(type: number, addr: Addr, span: number, end: Addr, f0: number, f1: number, f2: number, fields: number): void {
    if (this.pos + 64 > this.buf.length) this.grow();
    const tails = this.tails;
    const t = type * 4;
    const spanUnits = span / UNIT;
    const same = this.hasTail[type] === 1 && tails[t] === spanUnits && tails[t + 1] === f0 && tails[t + 2] === f1 && tails[t + 3] === f2;
    const headerAt = this.pos++;
    let mode: number;
    if (addr === this.prevAddr) mode = 0;
    else if (addr === this.prevEnd) mode = 1;
    else {
      const delta = (addr - this.prevAddr) / UNIT;
      if (delta > -(2 ** 40) && delta < 2 ** 40) {
        mode = 2;
        this.varint(zig(delta));
      } else {
        mode = 3;
        this.varint(addr / UNIT);
      }
    }
    if (!same) {
      this.varint(zig(spanUnits));
      if (fields > 0) this.varint(zig(f0));
      if (fields > 1) this.varint(zig(f1));
      if (fields > 2) this.varint(zig(f2));
      tails[t] = spanUnits;
      tails[t + 1] = f0;
      tails[t + 2] = f1;
      tails[t + 3] = f2;
      this.hasTail[type] = 1;
    }
    this.buf[headerAt] = type + mode * 32 + (same ? 128 : 0);
    this.prevAddr = addr;
    this.prevEnd = end;
    this.count++;
  }

  add(e: WalkEvent): void {
    const page = this.page;
    switch (e.type) {
      case 'pte_entry':
        return this.put(T_PTE, e.start, e.end - e.start, e.end, e.entry, e.ret, e.action, 3);
      case 'install_pte':
        return this.put(T_INSTALL, e.start, e.end - e.start, e.end, e.value, e.ret, e.action, 3);
      case 'set_pte':
        return this.put(T_SET, e.addr, 0, e.addr + page, e.value, 0, 0, 1);
      case 'pmd_entry':
      case 'pud_entry':
      case 'p4d_entry':
      case 'pgd_entry':
      case 'hugetlb_entry':
        return this.put(TYPE_INDEX[e.type], e.start, e.end - e.start, e.end, e.entry, e.ret, e.action, 3);
      case 'hole':
        return this.put(T_HOLE, e.start, e.end - e.start, e.end, e.depth, e.ret, e.action, 3);
      case 'test_walk':
      case 'pre_vma':
        return this.put(TYPE_INDEX[e.type], e.start, e.end - e.start, e.end, e.ret, e.action, 0, 2);
      case 'post_vma':
        return this.put(TYPE_INDEX.post_vma, this.prevAddr, 0, this.prevEnd, 0, 0, 0, 0);
      case 'alloc':
      case 'alloc_fail':
        return this.put(TYPE_INDEX[e.type], e.addr, 0, e.addr, LEVEL_INDEX[e.level], 0, 0, 1);
      case 'split_pmd':
      case 'split_pud':
        return this.put(TYPE_INDEX[e.type], e.addr, 0, e.addr, e.value, 0, 0, 1);
      case 'zap_split':
        return this.put(TYPE_INDEX.zap_split, e.addr, 0, e.addr, LEVEL_INDEX[e.level], e.value, 0, 2);
      case 'clear':
        return this.put(TYPE_INDEX.clear, e.addr, 0, e.addr + page, LEVEL_INDEX[e.level], e.old, 0, 2);
      case 'zap':
        return this.put(TYPE_INDEX.zap, e.start, e.end - e.start, e.end, 0, 0, 0, 0);
      case 'walk':
        return this.put(TYPE_INDEX.walk, e.start, e.end - e.start, e.start, WALK_APIS.indexOf(e.api), 0, 0, 1);
      case 'ret':
        return this.put(TYPE_INDEX.ret, this.prevAddr, 0, this.prevEnd, e.value, e.why, 0, 2);
      case 'client_ret':
        return this.put(TYPE_INDEX.client_ret, this.prevAddr, 0, this.prevEnd, e.value, 0, 0, 1);
      case 'vma_enter':
        return this.put(TYPE_INDEX.vma_enter, e.start, e.end - e.start, e.start, 0, 0, 0, 0);
      case 'vma':
        return this.put(TYPE_INDEX.vma, e.start, e.end - e.start, e.end, e.flags, e.hugetlb / UNIT, 0, 2);
      case 'state':
        return this.put(
          TYPE_INDEX.state,
          e.at,
          e.count * UNIT,
          e.at,
          STATE_KINDS.indexOf(e.kind),
          e.level === null ? 0 : LEVEL_INDEX[e.level] + 1,
          0,
          2,
        );
      case 'pte_map_fail':
        return this.put(TYPE_INDEX.pte_map_fail, e.addr, 0, e.addr, e.injected ? 1 : 0, 0, 0, 1);
      case 'oops':
        return this.put(TYPE_INDEX.oops, e.addr, 0, e.addr, CALLBACKS.indexOf(e.callback), 0, 0, 1);
      case 'livelock':
        return this.put(TYPE_INDEX.livelock, e.addr, 0, e.addr, LEVEL_INDEX[e.level], 0, 0, 1);
    }
  }
}

/** Field counts per type index, for the decoder (must match ChunkEncoder.add). */
const FIELDS: number[] = EVENT_TYPES.map((t) => {
  switch (t) {
    case 'pte_entry':
    case 'pmd_entry':
    case 'pud_entry':
    case 'p4d_entry':
    case 'pgd_entry':
    case 'hugetlb_entry':
    case 'install_pte':
    case 'hole':
      return 3;
    case 'test_walk':
    case 'pre_vma':
    case 'clear':
    case 'zap_split':
    case 'vma':
    case 'state':
    case 'ret':
      return 2;
    case 'post_vma':
    case 'zap':
    case 'vma_enter':
      return 0;
    default:
      return 1;
  }
});

/** Thrown for a chunk that does not decode (a damaged recording). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Decode a chunk back to the events it holds. */
export function decodeChunk(data: Uint8Array, firstSeq: number, pageSize: number): WalkEvent[] {
  const out: WalkEvent[] = [];
  let pos = 0;
  let prevAddr = 0;
  let prevEnd = 0;
  const tails: (number[] | undefined)[] = [];
  const n = data.length;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (pos >= n) throw new CodecError(`chunk at seq ${firstSeq} ends inside an event`);
      const b = data[pos++]!;
      if (b < 128) return v + b * scale;
      v += (b - 128) * scale;
      scale *= 128;
    }
  };
  let seq = firstSeq;
  while (pos < n) {
    const header = data[pos++]!;
    const type = header % 32;
    const mode = Math.floor(header / 32) % 4;
    const same = header >= 128;
    if (type >= EVENT_TYPES.length) throw new CodecError(`unknown event type ${type} at seq ${seq}`);
    let addr: number;
    if (mode === 0) addr = prevAddr;
    else if (mode === 1) addr = prevEnd;
    else if (mode === 2) addr = prevAddr + unzig(varint()) * UNIT;
    else addr = varint() * UNIT;
    let tail = tails[type];
    if (!same) {
      const fields = FIELDS[type]!;
      const spanUnits = unzig(varint());
      const f0 = fields > 0 ? unzig(varint()) : 0;
      const f1 = fields > 1 ? unzig(varint()) : 0;
      const f2 = fields > 2 ? unzig(varint()) : 0;
      tail = [spanUnits, f0, f1, f2];
      tails[type] = tail;
    } else if (tail === undefined) {
      throw new CodecError(`event at seq ${seq} repeats a tail never written`);
    }
    const span = tail[0]! * UNIT;
    const end = addr + span;
    // A damaged chunk can decode: what it decodes to must still be events walkback makes.
    if (!(addr >= 0 && addr < 2 ** 64)) throw new CodecError(`event at seq ${seq} has an address outside 64 bits`);
    const f0 = tail[1]!;
    const f1 = tail[2]!;
    const f2 = tail[3]!;
    const e = build(EVENT_TYPES[type]!, seq, addr, end, f0, f1, f2, pageSize);
    out.push(e);
    prevAddr = addr;
    prevEnd = impliedEnd(e, addr, end, pageSize, prevEnd);
    seq++;
  }
  return out;
}

function impliedEnd(e: WalkEvent, addr: Addr, end: Addr, page: number, prevEnd: Addr): Addr {
  switch (e.type) {
    case 'set_pte':
    case 'clear':
      return addr + page;
    case 'walk':
    case 'vma_enter':
    case 'state':
    case 'alloc':
    case 'alloc_fail':
    case 'split_pmd':
    case 'split_pud':
    case 'zap_split':
    case 'pte_map_fail':
    case 'oops':
    case 'livelock':
      return addr;
    case 'post_vma':
    case 'ret':
    case 'client_ret':
      return prevEnd;
    default:
      return end;
  }
}

function build(type: WalkEventType, seq: number, addr: Addr, end: Addr, f0: number, f1: number, f2: number, page: number): WalkEvent {
  void page;
  switch (type) {
    case 'pte_entry':
    case 'pmd_entry':
    case 'pud_entry':
    case 'p4d_entry':
    case 'pgd_entry':
    case 'hugetlb_entry':
      return { seq, type, start: addr, end, entry: entry(f0, seq), ret: f1, action: action(f2, seq) };
    case 'install_pte':
      return { seq, type, start: addr, end, ret: f1, action: action(f2, seq), value: entry(f0, seq) };
    case 'set_pte':
      return { seq, type, addr, value: entry(f0, seq) };
    case 'hole':
      return { seq, type, start: addr, end, depth: f0, ret: f1, action: action(f2, seq) };
    case 'test_walk':
    case 'pre_vma':
      return { seq, type, start: addr, end, ret: f0, action: action(f1, seq) };
    case 'post_vma':
      return { seq, type };
    case 'alloc':
    case 'alloc_fail':
      return { seq, type, level: level(f0), addr };
    case 'split_pmd':
    case 'split_pud':
      return { seq, type, addr, value: entry(f0, seq) };
    case 'zap_split':
      return { seq, type, level: level(f0), addr, value: entry(f1, seq) };
    case 'clear':
      return { seq, type, level: level(f0), addr, old: entry(f1, seq) };
    case 'zap':
      return { seq, type, start: addr, end };
    case 'walk': {
      const api = WALK_APIS[f0];
      if (api === undefined) throw new CodecError(`unknown walk api ${f0} at seq ${seq}`);
      return { seq, type, api, start: addr, end };
    }
    case 'ret':
      return { seq, type, value: f0, why: f1 };
    case 'client_ret':
      return { seq, type, value: f0 };
    case 'vma_enter':
      return { seq, type, start: addr, end };
    case 'vma':
      return { seq, type, start: addr, end, flags: f0, hugetlb: f1 * UNIT };
    case 'state': {
      const kind = STATE_KINDS[f0];
      if (kind === undefined) throw new CodecError(`unknown state kind ${f0} at seq ${seq}`);
      return { seq, type, kind, level: f1 === 0 ? null : level(f1 - 1), at: addr, count: (end - addr) / UNIT };
    }
    case 'pte_map_fail':
      return { seq, type, addr, injected: f0 === 1 };
    case 'oops': {
      const callback = CALLBACKS[f0];
      if (callback === undefined) throw new CodecError(`unknown callback ${f0} at seq ${seq}`);
      return { seq, type, callback, addr };
    }
    case 'livelock':
      return { seq, type, level: level(f0), addr };
  }
}

/** An entry field: one of the EntryKinds. */
function entry(f: number, seq: number): EntryKind {
  if (f >= 0 && f <= 5) return f as EntryKind;
  throw new CodecError(`unknown entry kind ${f} at seq ${seq}`);
}

/** walk->action as a callback left it: -1 (none written) or an Action. */
function action(f: number, seq: number): number {
  if (f >= -1 && f <= 2) return f;
  throw new CodecError(`unknown walk action ${f} at seq ${seq}`);
}

function level(i: number): LevelName {
  const name = LEVELS[i];
  if (name === undefined) throw new CodecError(`unknown level ${i}`);
  return name;
}
