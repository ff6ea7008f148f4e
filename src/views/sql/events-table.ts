// SPDX-License-Identifier: GPL-2.0-only
/**
 * The `events` table of `walkback sql`: every event of a recording as a row,
 * decoded from the chunks on the fly (a SQLite virtual table). Addresses are
 * hex text, as the trace prints them.
 */
import type Database from 'better-sqlite3';
import { eventLevel, eventRet } from '../../events/fields.js';
import type { WalkEvent } from '../../events/walk-event.js';
import { ACTION_NAMES, ENTRY_NAMES } from '../../events/walk-event.js';
import { addrToSql } from '../../recorder/schema.js';
import type { Recording } from '../../replay/open-recording.js';

export const EVENT_COLUMNS = ['seq', 'kind', 'level', 'addr', 'next', 'depth', 'value', 'entry', 'action', 'name', 'addr_int', 'next_int'] as const;

const hex = (a: number | null | undefined): string | null => (a === null || a === undefined ? null : '0x' + a.toString(16));
const entry = (k: number): string => ENTRY_NAMES[k] ?? String(k);
const int = (a: number | null): bigint | null => (a === null ? null : addrToSql(a));
/** A number as an SQL INTEGER (better-sqlite3 hands a JS number to SQLite as REAL, so seq / 2 would be 0.5). */
const integer = (n: number | null): bigint | null => (n === null ? null : BigInt(n));

/** One event as a row of the events table. */
export function eventRow(e: WalkEvent): unknown[] {
  let addr: number | null = null;
  let next: number | null = null;
  let depth: number | null = null;
  let value: number | null = eventRet(e);
  let ent: string | null = null;
  let action: string | null = null;
  let name: string | null = null;
  switch (e.type) {
    case 'vma':
      addr = e.start;
      next = e.end;
      value = e.flags;
      name = e.hugetlb ? `hugetlb ${e.hugetlb}` : null;
      break;
    case 'state':
      addr = e.at;
      value = e.count;
      name = e.kind;
      break;
    case 'walk':
      addr = e.start;
      next = e.end;
      name = e.api;
      break;
    case 'vma_enter':
    case 'zap':
      addr = e.start;
      next = e.end;
      break;
    case 'hole':
      addr = e.start;
      next = e.end;
      depth = e.depth;
      action = e.action < 0 ? null : ACTION_NAMES[e.action]!;
      break;
    case 'test_walk':
    case 'pre_vma':
      addr = e.start;
      next = e.end;
      action = e.action < 0 ? null : ACTION_NAMES[e.action]!;
      break;
    case 'pgd_entry':
    case 'p4d_entry':
    case 'pud_entry':
    case 'pmd_entry':
    case 'pte_entry':
    case 'hugetlb_entry':
      addr = e.start;
      next = e.end;
      ent = entry(e.entry);
      action = e.action < 0 ? null : ACTION_NAMES[e.action]!;
      break;
    case 'install_pte':
      addr = e.start;
      next = e.end;
      ent = entry(e.value);
      action = e.action < 0 ? null : ACTION_NAMES[e.action]!;
      break;
    case 'set_pte':
      addr = e.addr;
      ent = entry(e.value);
      break;
    case 'split_pmd':
    case 'split_pud':
    case 'zap_split':
      addr = e.addr;
      ent = entry(e.value);
      break;
    case 'clear':
      addr = e.addr;
      ent = entry(e.old);
      break;
    case 'alloc':
    case 'alloc_fail':
    case 'livelock':
      addr = e.addr;
      break;
    case 'pte_map_fail':
      addr = e.addr;
      value = e.injected ? 1 : 0;
      break;
    case 'oops':
      addr = e.addr;
      name = e.callback;
      break;
    case 'ret':
    case 'client_ret':
    case 'post_vma':
      break;
  }
  // addr and next are text, as the trace prints them; addr_int and next_int are the same as integers (signed, as in
  // notable: kernel-half addresses are negative), for comparisons and printf('0x%x', ...).
  return [BigInt(e.seq), e.type, eventLevel(e), hex(addr), hex(next), integer(depth), integer(value), ent, action, name, int(addr), int(next)];
}

/** Register `events` on a connection to the recording. */
export function registerEventsTable(db: Database.Database, recording: Recording): void {
  db.table('events', {
    columns: [...EVENT_COLUMNS],
    rows: function* () {
      for (const e of recording.events()) yield eventRow(e);
    },
  });
}
