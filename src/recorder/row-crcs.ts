// SPDX-License-Identifier: GPL-2.0-only
/**
 * What each row's CRC covers, written once for the writer, the upgrade of
 * older recordings and the reader (schema.ts says where each is stored).
 */
import type { NotableRow } from '../events/notable.js';
import { EVENT_TYPES, LEVELS } from '../events/walk-event.js';
import { META_CHECKSUM_KEY } from './schema.js';
import { addCrc, crc32, intRowCrc, RowCrc } from './checksum.js';

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

/** A chunk's row: its key, its events' count, and the sum of its notable rows. */
export function chunkCrc(run: number, first: number, count: number, notableSum: number): number {
  ints[0] = run;
  ints[1] = first;
  ints[2] = count;
  ints[3] = notableSum;
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

/**
 * The notable rows of a chunk are summed by SQLite itself when a reader checks
 * them (there can be a row for every few events: hashing each in JavaScript
 * would cost a replay its first frame). So a row's hash is arithmetic SQL has:
 * each column (an address as its two 32-bit halves) times its own constant,
 * mod the prime 2^31 - 1, and a null its own constant; a chunk's notable_sum
 * is its rows' hashes added up, mod the same prime. Every step stays below
 * 2^53, exact as a JavaScript number and as a SQLite integer, and truncates
 * toward zero in both. A changed value changes the hash (the prime does not
 * divide a change by a power of two); a row added, removed or moved to
 * another chunk changes the sums.
 */
export const NOTABLE_PRIME = 2147483647;
const P = NOTABLE_PRIME;
/** Per column: its factor, and (for columns that may be null) the term a null stands for. */
const HASH: Record<string, readonly [number, number?]> = {
  run: [1000003],
  seq: [999983],
  kind: [999979],
  level: [999961, 123457],
  addrHi: [999959, 234571],
  addrLo: [999953],
  nextHi: [999931, 345679],
  nextLo: [999917],
  depth: [999907, 456791],
  value: [999883, 567899],
  count: [999863],
  seqStep: [999853],
  addrStep: [999809],
};

const term = (v: number, factor: number): number => ((v % P) * factor) % P;
const nullable = (v: number | null, [factor, none]: readonly [number, number?]): number => (v === null ? none! : term(v, factor));
const TWO_32 = 4294967296;

/** A notable row's hash, as the writer computes it (notable_sum is the sum of a chunk's rows' hashes, mod NOTABLE_PRIME). */
export function notableHash(run: number, r: NotableRow): number {
  const hi = (a: number | null) => (a === null ? null : Math.floor(a / TWO_32));
  const lo = (a: number) => a - Math.floor(a / TWO_32) * TWO_32;
  return (
    (term(run, HASH.run![0]) +
      term(r.seq, HASH.seq![0]) +
      term(r.kind, HASH.kind![0]) +
      nullable(r.level, HASH.level!) +
      nullable(hi(r.addr), HASH.addrHi!) +
      (r.addr === null ? 0 : term(lo(r.addr), HASH.addrLo![0])) +
      nullable(hi(r.next), HASH.nextHi!) +
      (r.next === null ? 0 : term(lo(r.next), HASH.nextLo![0])) +
      nullable(r.depth, HASH.depth!) +
      nullable(r.value, HASH.value!) +
      term(r.count, HASH.count![0]) +
      term(r.seqStep, HASH.seqStep![0]) +
      term(r.addrStep, HASH.addrStep![0])) %
    P
  );
}

/** The same hash, as SQL over a row of notable (`n.` its columns). */
export const NOTABLE_HASH_SQL = (() => {
  const t = (column: string, [factor]: readonly [number, number?]) => `((${column} % ${P}) * ${factor}) % ${P}`;
  const n = (column: string, spec: readonly [number, number?]) => `CASE WHEN ${column} IS NULL THEN ${spec[1]} ELSE ${t(column, spec)} END`;
  const half = (column: string, high: boolean) => (high ? `((n.${column} >> 32) & 4294967295)` : `(n.${column} & 4294967295)`);
  return `((${[
    t('n.run', HASH.run!),
    t('n.seq', HASH.seq!),
    t('n.kind', HASH.kind!),
    n('n.level', HASH.level!),
    n(half('addr', true), HASH.addrHi!),
    `CASE WHEN n.addr IS NULL THEN 0 ELSE ${t(half('addr', false), HASH.addrLo!)} END`,
    n(half('next', true), HASH.nextHi!),
    `CASE WHEN n.next IS NULL THEN 0 ELSE ${t(half('next', false), HASH.nextLo!)} END`,
    n('n.depth', HASH.depth!),
    n('n.value', HASH.value!),
    t('n.count', HASH.count!),
    t('n.seq_step', HASH.seqStep!),
    t('n.addr_step', HASH.addrStep!),
  ].join(' + ')}) % ${P})`;
})();

/**
 * What SQLite finds in the notable rows of a stored run with seq in [@lo,
 * @hi), from the rows as stored (not through an index), in one pass: the sum
 * of their hashes (mod NOTABLE_PRIME, as the chunks' notable_sums add up),
 * how many are not rows walkback writes (a kind or level it does not know, a
 * value of the wrong type, members outside their chunk: the k-th chunk from
 * the run's first event @start, of @size events each, the writer filling each
 * before the next), and what the indexes of notable must hold of them too:
 * how many, and the sums of their seqs, kinds, kinds times seqs, and address
 * halves.
 */
export const NOTABLE_SUMS_SQL = `SELECT sum(${NOTABLE_HASH_SQL}) % ${P},
  sum(CASE WHEN typeof(n.seq) = 'integer' AND typeof(n.kind) = 'integer' AND n.kind BETWEEN 0 AND ${EVENT_TYPES.length - 1}
    AND (n.level IS NULL OR (typeof(n.level) = 'integer' AND n.level BETWEEN 0 AND ${LEVELS.length - 1}))
    AND typeof(n.depth) IN ('integer', 'null') AND typeof(n.value) IN ('integer', 'null')
    AND typeof(n.count) = 'integer' AND typeof(n.seq_step) = 'integer' AND typeof(n.addr_step) = 'integer'
    AND n.count >= 1 AND n.seq_step >= 0 AND (n.count = 1 OR n.seq_step > 0)
    AND n.seq + (n.count - 1) * n.seq_step < min(@hi, @start + ((n.seq - @start) / @size + 1) * @size)
    THEN 0 ELSE 1 END),
  count(*), sum(n.seq), sum(n.kind), sum(n.kind * n.seq), sum((n.addr >> 32) & 4294967295), sum(n.addr & 4294967295)
  FROM notable n NOT INDEXED WHERE n.run = @run AND n.seq >= @lo AND n.seq < @hi`;

/** What notable_kind holds of the rows of a run with seq in [?, ?): as NOTABLE_SUMS_SQL's last five sums (the addresses' left out). */
export const NOTABLE_KIND_INDEX_SQL = 'SELECT count(*), sum(seq), sum(kind), sum(kind * seq) FROM notable INDEXED BY notable_kind WHERE run = ? AND seq >= ? AND seq < ?';
/** What notable_addr holds of them: how many, and the sums of their seqs and address halves. */
export const NOTABLE_ADDR_INDEX_SQL =
  'SELECT count(*), sum(seq), sum((addr >> 32) & 4294967295), sum(addr & 4294967295) FROM notable INDEXED BY notable_addr WHERE run = ? AND seq >= ? AND seq < ?';

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

/** The columns of notable a reader's row is read as: addresses as two unsigned 32-bit halves, so that no BigInt is made. */
export const NOTABLE_RAW_COLUMNS = `seq, kind, level, (addr >> 32) & 4294967295 AS addrHi, addr & 4294967295 AS addrLo,
  (next >> 32) & 4294967295 AS nextHi, next & 4294967295 AS nextLo, depth, value, count, seq_step AS seqStep, addr_step AS addrStep`;
