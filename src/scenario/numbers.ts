// SPDX-License-Identifier: GPL-2.0-only
/**
 * Numbers in scenarios: hex (0x...), decimal, or sizes (4K, 2M, 1G, 1T).
 * YAML integers arrive as BigInt (the loader parses with intAsBigInt), so a
 * 64-bit address is checked exactly before it becomes a JS number.
 */
export type NumberResult = { ok: true; value: bigint } | { ok: false; problem: string };

const SIZE_UNITS: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

/** Parse a scenario number: a YAML integer, or a string in hex, decimal or size form. */
export function parseNumber(value: unknown): NumberResult {
  if (typeof value === 'bigint') return { ok: true, value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { ok: false, problem: `${value} is not a whole number` };
    if (!Number.isSafeInteger(value)) return { ok: false, problem: `${value} is too large to be exact; write it in hex` };
    return { ok: true, value: BigInt(value) };
  }
  if (typeof value === 'string') {
    const text = value.trim().replace(/_/g, '');
    const size = /^(\d+)\s*([KMGT])(i?B)?$/i.exec(text);
    if (size) return { ok: true, value: BigInt(size[1]!) * SIZE_UNITS[size[2]!.toUpperCase()]! };
    if (/^-?0x[0-9a-f]+$/i.test(text) || /^-?\d+$/.test(text)) {
      const negative = text.startsWith('-');
      const magnitude = BigInt(negative ? text.slice(1) : text);
      return { ok: true, value: negative ? -magnitude : magnitude };
    }
    return { ok: false, problem: `'${value}' is not a number (write hex like 0x400000, decimal, or a size like 2M)` };
  }
  if (value === null || value === undefined) return { ok: false, problem: 'is missing a value' };
  return { ok: false, problem: `expected a number, found ${describeValue(value)}` };
}

/** What a YAML value is, for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value.length > 40 ? `'${value.slice(0, 40)}...'` : `'${value}'`;
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}

export function hexBig(value: bigint): string {
  return (value < 0n ? '-0x' : '0x') + (value < 0n ? -value : value).toString(16);
}
