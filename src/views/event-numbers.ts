// SPDX-License-Identifier: GPL-2.0-only
/**
 * How every view writes an event's number, so that one number means one
 * thing everywhere. Events are numbered from 0 in the order they happened
 * (the `seq` of `walkback sql`, `--at N`, `:N` in the UI); a recording of 17
 * events has events 0 to 16, and a position reads "event 14 of 0-16". The
 * moment before the first event (seq -1 inside walkback) is "the start",
 * never "event -1": `--at -1` means the last event.
 */

/** 'event 14', or 'the start' for the moment before event 0. */
export function eventName(seq: number): string {
  return seq < 0 ? 'the start' : `event ${seq}`;
}

/** 'events 0-16' (or 'event 0', 'no events'): the numbers a run of `length` events has. */
export function eventNumbers(length: number): string {
  if (length <= 0) return 'no events';
  return length === 1 ? 'event 0' : `events 0-${length - 1}`;
}

/** Where a cursor is: 'event 14 of 0-16', or 'the start, before event 0 of 0-16'. */
export function eventPosition(seq: number, length: number): string {
  const range = length > 0 ? `0-${length - 1}` : 'none';
  return seq < 0 ? `the start, before event 0 of ${range}` : `event ${seq} of ${range}`;
}
