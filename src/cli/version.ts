// SPDX-License-Identifier: GPL-2.0-only
import { readFileSync } from 'node:fs';

let version: string | null = null;

/** walkback's version, from package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
