// SPDX-License-Identifier: GPL-2.0-only
/** The walkback package's directory and version, found from this file wherever the build put it (compiled or bundled). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'walkback') return (root = dir);
    if (dirname(dir) === dir) throw new Error('cannot find the walkback package directory');
  }
}

let version: string | null = null;

/** walkback's version, from package.json: stamped into every recording. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
