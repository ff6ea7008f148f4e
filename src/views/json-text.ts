// SPDX-License-Identifier: GPL-2.0-only
/**
 * JSON written piece by piece: the same text as JSON.stringify(value, null, 2)
 * for plain data, streamed member by member into a sink, so a document with
 * hundreds of thousands of entries is never one string. A BigInt (SQLite's
 * 64-bit integers) is written as a JSON number with exactly its decimal digits
 * (JSON.stringify refuses BigInt; a double would round anything past 2^53).
 */
import type { TextSink } from './text-sink.js';

const INDENT = '  ';

/** A value that is not an array or object, as JSON text; undefined for what JSON.stringify leaves out. */
export function jsonScalar(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Write `value` as JSON.stringify(value, null, 2) would, followed by nothing. */
export function writeJson(out: TextSink, value: unknown, depth = 0): void {
  const toJSON = value !== null && typeof value === 'object' ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === 'function') value = toJSON.call(value);
  if (value === null || typeof value !== 'object') {
    out.write(jsonScalar(value) ?? 'null');
    return;
  }
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return out.write('[]');
    out.write('[');
    for (let i = 0; i < value.length; i++) {
      out.write(i === 0 ? inner : `,${inner}`);
      const member: unknown = value[i];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') out.write('null');
      else writeJson(out, member, depth + 1);
    }
    out.write(`\n${INDENT.repeat(depth)}]`);
    return;
  }
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    out.write(`${first ? '{' : ','}${inner}${JSON.stringify(key)}: `);
    first = false;
    writeJson(out, member, depth + 1);
  }
  out.write(first ? '{}' : `\n${INDENT.repeat(depth)}}`);
}
