// Paths the tests share.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/walkback.js`;
export const EXAMPLES = `${ROOT}examples/`;
export const KERNEL_GOLDEN = `${ROOT}test/golden/kernel/`;
/** The shared golden set beside the checkout, when there is one (CI has it; a user's clone may not). */
export const SHARED_GOLDEN = existsSync(`${ROOT}../shared/golden/`) ? `${ROOT}../shared/golden/` : null;
