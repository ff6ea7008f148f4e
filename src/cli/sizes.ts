// SPDX-License-Identifier: GPL-2.0-only
import { UsageError } from './errors.js';

/** A byte size as users write it: 4096, 64K, 200M, 2G (KiB units). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${option} ${text}: not a size; write bytes or 64K, 200M, 2G`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * unit);
}
