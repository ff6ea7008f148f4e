// Paths the tests share.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/walkback.js`;
/** The command as users run it: a shell script that starts Node (with a heap limit for the UI). */
export const COMMAND = `${ROOT}bin/walkback`;
export const EXAMPLES = `${ROOT}examples/`;
export const KERNEL_GOLDEN = `${ROOT}test/golden/kernel/`;
/** The shared golden set beside the checkout, when there is one (CI has it; a user's clone may not). */
export const SHARED_GOLDEN = existsSync(`${ROOT}../shared/golden/`) ? `${ROOT}../shared/golden/` : null;
