// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel runner (native/kernel-runner.c), compiled once with the C
 * compiler that better-sqlite3's build already needs, and cached under a
 * name that is a hash of its source and of how it was compiled: a second
 * run reuses the binary, and a changed source compiles anew.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunnerBuildError } from './errors.js';

/** How the runner is compiled: plain C, no library beyond libc. */
export const RUNNER_CFLAGS: readonly string[] = ['-O2', '-std=gnu11', '-Wall', '-Wextra'];

export interface CompileOptions {
  /** Where binaries are cached (default: $XDG_CACHE_HOME/walkback, ~/.cache/walkback, or the temp directory). */
  readonly cacheDir?: string;
  /** The compiler (default: $CC, else cc, else gcc). */
  readonly cc?: string;
  /** The runner's source (default: native/kernel-runner.c of this package). */
  readonly source?: string;
}

export interface CompiledRunner {
  /** The executable. */
  readonly path: string;
  /** Whether this call compiled it (false: it was in the cache). */
  readonly compiled: boolean;
}

let packageDir: string | undefined;

/** The walkback package's directory, found from this file wherever the build put it (compiled, bundled or run by tsx). */
function walkbackDir(): string {
  if (packageDir !== undefined) return packageDir;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'walkback') return (packageDir = dir);
    if (dirname(dir) === dir) throw new RunnerBuildError('cannot find the walkback package directory (and in it native/kernel-runner.c)');
  }
}

export function runnerSourcePath(): string {
  return join(walkbackDir(), 'native', 'kernel-runner.c');
}

/** Cache directories to try, in order. */
export function cacheDirCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) dirs.push(join(env.XDG_CACHE_HOME, 'walkback'));
  const home = env.HOME || homedir();
  if (home) dirs.push(join(home, '.cache', 'walkback'));
  dirs.push(join(tmpdir(), `walkback-${process.getuid?.() ?? 'user'}`));
  return dirs;
}

/**
 * A directory we may cache an executable in: ours, and writable by nobody else
 * (a binary another user could replace would run as us).
 */
function usableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (!st.isDirectory()) return false;
    if (process.getuid && st.uid !== process.getuid()) return false;
    if ((st.mode & 0o022) !== 0) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function compilers(options: CompileOptions): string[] {
  if (options.cc) return [options.cc];
  if (process.env.CC) return [process.env.CC];
  return ['cc', 'gcc'];
}

/**
 * The runner's executable: from the cache, or compiled now (to a temporary
 * name, then renamed, so a concurrent run never sees half a binary).
 */
export function compileRunner(options: CompileOptions = {}): CompiledRunner {
  const source = options.source ?? runnerSourcePath();
  let text: Buffer;
  try {
    text = readFileSync(source);
  } catch (error) {
    throw new RunnerBuildError(`cannot read the kernel runner's source ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const dirs = options.cacheDir ? [options.cacheDir] : cacheDirCandidates();
  const dir = dirs.find(usableDir);
  if (!dir) throw new RunnerBuildError(`no usable cache directory for the kernel runner (tried ${dirs.join(', ')}): make one writable by you alone`);

  const tried: string[] = [];
  for (const cc of compilers(options)) {
    const key = createHash('sha256').update(text).update('\0').update([cc, ...RUNNER_CFLAGS, process.arch].join(' ')).digest('hex').slice(0, 16);
    const path = join(dir, `kernel-runner-${key}`);
    if (isExecutable(path)) return { path, compiled: false };
    const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const run = spawnSync(cc, [...RUNNER_CFLAGS, '-o', temp, source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
      tried.push(cc);
      continue;
    }
    if (run.error || run.status !== 0) {
      rmSync(temp, { force: true });
      const why = run.error ? run.error.message : firstLine(run.stderr) || `exit status ${run.status}`;
      throw new RunnerBuildError(`${cc} could not compile ${source}: ${why}`);
    }
    renameSync(temp, path);
    return { path, compiled: true };
  }
  throw new RunnerBuildError(
    `no C compiler found (tried ${tried.join(', ')}): walkback verify compiles its kernel runner with one; install gcc or set CC`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The compiler's first error line (or its first line at all). */
function firstLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').trim();
}
