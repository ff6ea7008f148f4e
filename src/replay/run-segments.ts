// SPDX-License-Identifier: GPL-2.0-only
/**
 * A run of a recording as the stored runs it is made of. A plain recording is
 * one run. A branch of a sweep shares its parent's events up to its fork
 * point and stores only its own from there: its events [0, fork) are read
 * from the parent (and so on up), [fork, ...) from the branch.
 */
import type Database from 'better-sqlite3';
import { runCrc } from '../recorder/row-crcs.js';
import { damaged, RecordingError } from './recording-error.js';

export interface Segment {
  /** The stored run that holds these events. */
  readonly run: number;
  /** Half-open [from, to); `to` is END for the run replayed. */
  readonly from: number;
  readonly to: number;
}

/** A seq past any recording's end (SQLite binds it as an integer). */
export const END = Number.MAX_SAFE_INTEGER;

export interface RunRow {
  readonly id: number;
  readonly parent: number | null;
  readonly forkSeq: number;
  readonly label: string;
  readonly status: string;
  readonly ret: number | null;
  readonly clientRet: number | null;
  readonly eventCount: number;
  /** How it ended ('returned', 'oops', 'livelock'), once it has. */
  readonly endReason: string | null;
  readonly error: string | null;
}

const COLUMNS = 'id, parent, fork_seq AS forkSeq, label, status, ret, client_ret AS clientRet, event_count AS eventCount, end_reason AS endReason, error, crc';

const STATUSES = ['recording', 'complete', 'aborted', 'incomplete'];

/** A run's row as read, checked against its checksum (and its status one walkback writes); without the checksum. */
function checked(file: string, row: (RunRow & { crc?: number }) | undefined): RunRow | undefined {
  if (row === undefined) return undefined;
  const { crc, ...run } = row;
  if (crc !== runCrc(run) || !STATUSES.includes(run.status)) throw damaged(file, `run ${run.id}'s row fails its checksum`);
  return run;
}

/** Every run of a file, checked: their ids run from 0 without a gap (the writer numbers them so). */
export function readRuns(file: string, db: Database.Database): RunRow[] {
  const rows = (db.prepare(`SELECT ${COLUMNS} FROM runs ORDER BY id`).all() as RunRow[]).map((r) => checked(file, r)!);
  rows.forEach((r, i) => {
    if (r.id !== i) throw damaged(file, `run ${i} is missing`);
  });
  return rows;
}

/** One run's row, checked, or undefined. */
export function readRun(file: string, db: Database.Database, id: number): RunRow | undefined {
  return checked(file, db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined);
}

/**
 * A run and its ancestors, oldest first, read one row each (a sweep's file
 * holds thousands of runs; a run needs two). A missing run or a loop of
 * parents is a damaged file.
 */
export function readRunChain(file: string, db: Database.Database, id: number): RunRow[] {
  const chain: RunRow[] = [];
  const seen = new Set<number>();
  const statement = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id = ?`);
  for (let at: number | null = id; at !== null; ) {
    if (seen.has(at)) throw new RecordingError(file, `is damaged: run ${id}'s parents form a loop`);
    seen.add(at);
    const row = checked(file, statement.get(at) as RunRow | undefined);
    if (!row) throw new RecordingError(file, at === id ? `has no run ${id}` : `is damaged: run ${id}'s ancestor run ${at} is missing`);
    chain.unshift(row);
    at = row.parent;
  }
  return chain;
}

/** The segments of a run, given its chain (oldest ancestor first). */
export function segmentsOf(file: string, chain: readonly RunRow[]): Segment[] {
  return chain.map((r, i) => {
    const next = chain[i + 1];
    const from = i === 0 ? 0 : r.forkSeq;
    const to = next ? next.forkSeq : END;
    if (to < from) throw new RecordingError(file, `is damaged: run ${next!.id} forks at ${to}, before its parent's own events begin (${from})`);
    return { run: r.id, from, to };
  });
}

/** The segment holding `seq`. */
export function segmentAt(segments: readonly Segment[], seq: number): Segment {
  for (let i = segments.length - 1; i > 0; i--) if (seq >= segments[i]!.from) return segments[i]!;
  return segments[0]!;
}

/** How many first events two runs of one file read from the same stored rows (and so hold alike). */
export function sharedPrefix(a: readonly Segment[], b: readonly Segment[]): number {
  let shared = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.run !== y.run || x.from !== y.from) break;
    shared = Math.min(x.to, y.to);
    if (x.to !== y.to) break;
  }
  return shared;
}
