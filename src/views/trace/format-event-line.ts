// SPDX-License-Identifier: GPL-2.0-only
/**
 * Any event as one line: its trace line, or, for the events the trace does
 * not show (set-up, vma_enter, clear, zap_split, livelock), a description in parentheses.
 */
import type { WalkEvent } from '../../events/walk-event.js';
import { hex } from '../../mm/geometry.js';
import { formatTraceLine } from '../../events/trace-line.js';

/** An event the trace does not show, described in parentheses. */
export function describeDetail(e: WalkEvent): string {
  switch (e.type) {
    case 'vma':
      return `(vma ${hex(e.start)}-${hex(e.end)}${e.hugetlb ? ' hugetlb' : ''}${e.flags & 2 ? ' pfnmap' : ''}${e.flags & 1 ? ' thp' : ''})`;
    case 'state':
      return `(state ${e.kind}${e.level ? ` ${e.level}` : ''} ${hex(e.at)}${e.count > 1 ? ` x${e.count}` : ''})`;
    case 'vma_enter':
      return `(walk->vma = ${hex(e.start)}-${hex(e.end)})`;
    case 'clear':
      return `(clear ${e.level} ${hex(e.addr)})`;
    case 'zap_split':
      return `(zap splits the huge ${e.level} at ${hex(e.addr)})`;
    case 'livelock':
      return `(livelock: ${e.level} ${hex(e.addr)} asks for ACTION_AGAIN forever)`;
    default:
      return `(${e.type})`;
  }
}

export function formatEventLine(e: WalkEvent): string {
  return formatTraceLine(e) ?? describeDetail(e);
}
