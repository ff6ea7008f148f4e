#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// The walkback command: runs the bundled CLI (npm install builds it).
process.env.NODE_ENV ??= 'production';
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('walkback: not built yet; run npm install (or npm run build) in the walkback directory\n');
    process.exit(1);
  }
  throw error;
}
process.exitCode = await main(process.argv.slice(2));
