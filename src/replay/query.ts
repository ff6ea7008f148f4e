// SPDX-License-Identifier: GPL-2.0-only
/**
 * Search expressions, as a user types them after `/`: space-separated terms,
 * all of which must match.
 *
 *   alloc_fail                 an event type (the trace's word), or several: alloc,split_pmd
 *   pte_hole / pmd_entry       a callback (pte_hole matches hole lines)
 *   level:pte  (or @pte)       the level an event is about
 *   0x401000                   an address the event covers
 *   0x400000-0x600000          a range the event overlaps (also 0x400000..0x600000)
 *   error                      failures: failed allocations and maps, non-zero returns, oopses
 */
import type { CallbackName, LevelName, WalkEventType } from '../events/walk-event.js';
import { CALLBACKS, EVENT_TYPES, LEVELS } from '../events/walk-event.js';
import type { EventQuery } from './replay.js';

export type ParsedQuery = { ok: true; query: EventQuery } | { ok: false; problem: string };

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;
const RANGE = /^(0x[0-9a-f]+|\d+)(?:-|\.\.)(0x[0-9a-f]+|\d+)$/i;

function number(text: string): number {
  return Number(BigInt(text));
}

export function parseQuery(text: string): ParsedQuery {
  const terms = text.trim().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return { ok: false, problem: 'type what to look for: an event type, level:pte, an address, a range, error' };
  const kinds: WalkEventType[] = [];
  let callback: CallbackName | undefined;
  let level: LevelName | undefined;
  let addr: number | undefined;
  let range: [number, number] | undefined;
  let error = false;
  for (const term of terms) {
    const lower = term.toLowerCase();
    const levelMatch = /^(?:level[:=]|@)(\w+)$/.exec(lower);
    if (levelMatch) {
      if (!(LEVELS as readonly string[]).includes(levelMatch[1]!)) return { ok: false, problem: `'${term}': levels are ${LEVELS.join(', ')}` };
      level = levelMatch[1] as LevelName;
      continue;
    }
    const rangeMatch = RANGE.exec(lower);
    if (rangeMatch) {
      const lo = number(rangeMatch[1]!);
      const hi = number(rangeMatch[2]!);
      if (lo >= hi) return { ok: false, problem: `'${term}': the range is empty` };
      range = [lo, hi];
      continue;
    }
    if (NUMBER.test(lower)) {
      addr = number(lower);
      continue;
    }
    if (lower === 'error' || lower === 'errors' || lower === 'err' || lower === 'failure') {
      error = true;
      continue;
    }
    for (const word of lower.split(',').filter(Boolean)) {
      if (word === 'pte_hole') callback = 'pte_hole';
      else if ((EVENT_TYPES as readonly string[]).includes(word)) kinds.push(word as WalkEventType);
      else if ((CALLBACKS as readonly string[]).includes(word)) callback = word as CallbackName;
      else return { ok: false, problem: `unknown term '${word}': try an event type (alloc, set_pte, pte_entry...), level:pte, 0xADDR, 0xA-0xB or error` };
    }
  }
  return {
    ok: true,
    query: {
      ...(kinds.length ? { kinds } : {}),
      ...(callback ? { callback } : {}),
      ...(level ? { level } : {}),
      ...(addr !== undefined ? { addr } : {}),
      ...(range ? { range } : {}),
      ...(error ? { error } : {}),
    },
  };
}
