// SPDX-License-Identifier: GPL-2.0-only
/**
 * What each row's CRC covers, written once for the writer, the upgrade of
 * older recordings and the reader (schema.ts says where each is stored).
 */
import type { NotableRow } from '../events/notable.js';
import { META_CHECKSUM_KEY } from './schema.js';
import { RowCrc } from './checksum.js';

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

/** A chunk's row: its key, its events' count, and the CRCs of its notable rows and of its bytes. */
export function chunkCrc(run: number, first: number, count: number, notableCrc: number, dataCrc: number): number {
  return row.int(run).int(first).int(count).int(notableCrc).int(dataCrc).crc();
}

/** A checkpoint's row: its key, the CRC of its table versions and of its context. */
export function checkpointCrc(run: number, seq: number, versionsCrc: number, contextCrc: number): number {
  return row.int(run).int(seq).int(versionsCrc).int(contextCrc).crc();
}

/** A table version's row (its entry counts n_table ... n_hugetlb, the CRC of its bytes); their sum is the checkpoint's versions_crc. */
export function versionCrc(run: number, level: number, base: number, seq: number, counts: ArrayLike<number>, dataCrc: number): number {
  return row.int(run).int(level).int(base).int(seq).int(counts[0]!).int(counts[1]!).int(counts[2]!).int(counts[3]!).int(counts[4]!).int(dataCrc).crc();
}

/** A notable row, as the writer has it; their sum over a chunk is the chunk's notable_crc. */
export function notableCrc(run: number, r: NotableRow): number {
  return row.int(run).int(r.seq).int(r.kind).int(r.level).int(r.addr).int(r.next).int(r.depth).int(r.value).int(r.count).int(r.seqStep).int(r.addrStep).crc();
}

/**
 * A notable row as a reader has it, addresses as two unsigned 32-bit halves
 * (notable-store.ts): [seq, kind, level, addrHi, addrLo, nextHi, nextLo, depth, value, count, seq_step, addr_step].
 */
export function notableRawCrc(run: number, r: readonly (number | null)[]): number {
  row.int(run).int(r[0]!).int(r[1]!).int(r[2]!);
  if (r[3] === null || r[4] === null) row.null();
  else row.halves(r[3]!, r[4]!);
  if (r[5] === null || r[6] === null) row.null();
  else row.halves(r[5]!, r[6]!);
  return row.int(r[7]!).int(r[8]!).int(r[9]!).int(r[10]!).int(r[11]!).crc();
}

/** The checksum of meta: every row but the checksum's own, by key. */
export function metaCrc(rows: Iterable<readonly [string, unknown]>): number {
  const sorted = [...rows].filter(([key]) => key !== META_CHECKSUM_KEY).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted) row.text(key).value(value);
  return row.crc();
}

/**
 * The columns of notable a reader's row is read as (notableRawCrc's order):
 * addresses as two unsigned 32-bit halves, so that no BigInt is made.
 */
export const NOTABLE_RAW_COLUMNS = `seq, kind, level, (addr >> 32) & 4294967295 AS addrHi, addr & 4294967295 AS addrLo,
  (next >> 32) & 4294967295 AS nextHi, next & 4294967295 AS nextLo, depth, value, count, seq_step AS seqStep, addr_step AS addrStep`;
