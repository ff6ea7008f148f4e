// SPDX-License-Identifier: GPL-2.0-only
/**
 * What each row's CRC covers, written once for the writer, the upgrade of
 * older recordings and the reader (schema.ts says where each is stored).
 */
import type { NotableRow } from '../events/notable.js';
import { META_CHECKSUM_KEY } from './schema.js';
import { addCrc, CRC_START, crc32, crcEnd, crcHalves, crcInt, crcNull, intRowCrc, RowCrc } from './checksum.js';

const row = new RowCrc();

/** A row of runs, as its columns are named in SQL (run-segments.ts reads them so). */
export interface RunColumns {
  readonly id: number;
  readonly parent: number | null;
  readonly forkSeq: number;
  readonly label: string;
  readonly status: string;
  readonly endReason: string | null;
  readonly ret: number | null;
  readonly clientRet: number | null;
  readonly eventCount: number;
  readonly error: string | null;
}

export function runCrc(r: RunColumns): number {
  return row.int(r.id).int(r.parent).int(r.forkSeq).text(r.label).text(r.status).text(r.endReason).int(r.ret).int(r.clientRet).int(r.eventCount).text(r.error).crc();
}

/** Room for a row of whole numbers. */
const ints = new Float64Array(10);

/** A chunk's row: its key, its events' count, and the CRC of its notable rows. */
export function chunkCrc(run: number, first: number, count: number, notableCrc: number): number {
  ints[0] = run;
  ints[1] = first;
  ints[2] = count;
  ints[3] = notableCrc;
  return intRowCrc(ints, 4);
}

/** A chunk's bytes, after its key (run, first_seq): its data_crc. */
export function chunkDataCrc(run: number, first: number, data: Uint8Array): number {
  ints[0] = run;
  ints[1] = first;
  return crc32(data, intRowCrc(ints, 2));
}

/** A checkpoint's row: its key and the CRC of its table versions. */
export function checkpointCrc(run: number, seq: number, versionsCrc: number): number {
  ints[0] = run;
  ints[1] = seq;
  ints[2] = versionsCrc;
  return intRowCrc(ints, 3);
}

/** A checkpoint's context (its UTF-8 bytes), after its key (run, seq): its context_crc. */
export function contextCrc(run: number, seq: number, context: string): number {
  ints[0] = run;
  ints[1] = seq;
  return crc32(Buffer.from(context, 'utf8'), intRowCrc(ints, 2));
}

/**
 * A table version's row (its key and its entry counts n_table ... n_hugetlb,
 * from `counts[at]` on); their sum is the checkpoint's versions_crc.
 */
export function versionCrc(run: number, level: number, base: number, seq: number, counts: ArrayLike<number>, at = 0): number {
  ints[0] = run;
  ints[1] = level;
  ints[2] = base;
  ints[3] = seq;
  for (let i = 0; i < 5; i++) ints[4 + i] = counts[at + i]!;
  return intRowCrc(ints, 9);
}

/** A table version's bytes, after its key (run, level, base, seq): its data_crc. */
export function versionDataCrc(run: number, level: number, base: number, seq: number, data: Uint8Array): number {
  ints[0] = run;
  ints[1] = level;
  ints[2] = base;
  ints[3] = seq;
  return crc32(data, intRowCrc(ints, 4));
}

/** A notable row, as the writer has it; their sum over a chunk is the chunk's notable_crc. */
export function notableCrc(run: number, r: NotableRow): number {
  const values = [r.seq, r.kind, r.level, r.addr, r.next, r.depth, r.value, r.count, r.seqStep, r.addrStep];
  let c = crcInt(CRC_START, run);
  for (const v of values) {
    if (v === null) c = crcNull(c);
    else if (Number.isInteger(v)) c = crcInt(c, v);
    else return notableCrcSlow(run, r);
  }
  return crcEnd(c);
}

/** The same through RowCrc, for a row with a value that is not a whole number (which walkback never writes). */
function notableCrcSlow(run: number, r: NotableRow): number {
  return row.int(run).int(r.seq).int(r.kind).int(r.level).int(r.addr).int(r.next).int(r.depth).int(r.value).int(r.count).int(r.seqStep).int(r.addrStep).crc();
}

/**
 * A notable row as a reader has it, addresses as two unsigned 32-bit halves
 * (notable-store.ts): [seq, kind, level, addrHi, addrLo, nextHi, nextLo, depth, value, count, seq_step, addr_step].
 */
export function notableRawCrc(run: number, r: readonly (number | null)[]): number {
  // RowCrc's steps on a bare register: a reader checks every notable row of a recording this way.
  let c = crcInt(CRC_START, run);
  for (let i = 0; i < 12; i++) {
    const v = r[i]!;
    if (i === 3 || i === 5) {
      // An address, as its halves (both null when there is none).
      c = v === null ? crcNull(c) : crcHalves(c, v, r[i + 1]!);
      i++;
    } else if (v === null) c = crcNull(c);
    else if (Number.isInteger(v)) c = crcInt(c, v);
    else return notableRawCrcSlow(run, r);
  }
  return crcEnd(c);
}

/** The same, for a row with a value that is not a whole number (a damaged one): through RowCrc. */
function notableRawCrcSlow(run: number, r: readonly (number | null)[]): number {
  row.int(run).int(r[0]!).int(r[1]!).int(r[2]!);
  if (r[3] === null || r[4] === null) row.null();
  else row.halves(r[3]!, r[4]!);
  if (r[5] === null || r[6] === null) row.null();
  else row.halves(r[5]!, r[6]!);
  return row.int(r[7]!).int(r[8]!).int(r[9]!).int(r[10]!).int(r[11]!).crc();
}

/** One row of meta: its key and its value (as bound, and as read back with safe integers). */
export function metaRowCrc(key: string, value: unknown): number {
  return row.text(key).value(value).crc();
}

/**
 * The checksum of meta: its rows' CRCs added up (mod 2^32), every row but the
 * checksum's own. A sum, so that a writer updates it a row at a time (it
 * stamps the event count with every batch).
 */
export function metaCrc(rows: Iterable<readonly [string, unknown]>): number {
  let sum = 0;
  for (const [key, value] of rows) if (key !== META_CHECKSUM_KEY) sum = addCrc(sum, metaRowCrc(key, value));
  return sum;
}

/**
 * The columns of notable a reader's row is read as (notableRawCrc's order):
 * addresses as two unsigned 32-bit halves, so that no BigInt is made.
 */
export const NOTABLE_RAW_COLUMNS = `seq, kind, level, (addr >> 32) & 4294967295 AS addrHi, addr & 4294967295 AS addrLo,
  (next >> 32) & 4294967295 AS nextHi, next & 4294967295 AS nextLo, depth, value, count, seq_step AS seqStep, addr_step AS addrStep`;
