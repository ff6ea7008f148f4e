#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js) into dist/cli/, one chunk per
// command, because start-up is mostly module loading: Ink, React and Yoga are
// about 200 files, 350-550 ms to import one by one, under 100 ms as one file.
// `walkback replay` opens its first frame that much sooner. better-sqlite3 stays
// outside (a native addon). React's production build is chosen at build time.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist/cli`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The recording worker (cli/recording-job.ts) is an entry of its own, beside main: it loads it as ./record-worker.js.
  entryPoints: { main: 'dist/src/cli/main.js', 'record-worker': 'dist/src/cli/record-worker.js' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Ink loads react-devtools-core only when DEV=true; it is not a dependency.
  external: ['better-sqlite3', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // Bundled CommonJS (React, ...) calls require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __walkbackRequire } from 'node:module'; const require = __walkbackRequire(import.meta.url);" },
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
