// SPDX-License-Identifier: GPL-2.0-only
// The kernel runner is compiled once and cached under a hash of its source:
// a second run does not compile, a changed source does, and a missing or
// failing compiler is one clear line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cacheDirCandidates, compileRunner, runnerSourcePath } from '../../src/kernel/compile-runner.js';
import { RunnerBuildError } from '../../src/kernel/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'walkback-compile-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hasCompiler = ['cc', 'gcc'].some((cc) => !spawnSync(cc, ['--version']).error);

describe('compileRunner', { skip: hasCompiler ? false : 'no C compiler (cc or gcc) on this machine' }, () => {
  it('compiles once; the second call finds the binary in the cache', () => {
    const cache = join(dir, 'once');
    const first = compileRunner({ cacheDir: cache });
    assert.equal(first.compiled, true);
    const built = statSync(first.path).mtimeMs;
    const second = compileRunner({ cacheDir: cache });
    assert.deepEqual(second, { path: first.path, compiled: false });
    assert.equal(statSync(second.path).mtimeMs, built);
    // Compiled to a temporary name, then renamed: nothing else is left in the cache.
    assert.deepEqual(readdirSync(cache), [first.path.slice(cache.length + 1)]);
    // And it is the runner.
    const run = spawnSync(first.path, [], { input: 'frob\n', encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^kernel-runner: line 1: unknown operation "frob"/);
  });

  it('compiles again when the source changes, under another name', () => {
    const cache = join(dir, 'changed');
    const source = join(dir, 'kernel-runner.c');
    writeFileSync(source, readFileSync(runnerSourcePath()));
    const before = compileRunner({ cacheDir: cache, source });
    writeFileSync(source, `${readFileSync(runnerSourcePath(), 'utf8')}\n/* changed */\n`);
    const after = compileRunner({ cacheDir: cache, source });
    assert.equal(after.compiled, true);
    assert.notEqual(after.path, before.path);
  });

  it('says in one line that there is no compiler', () => {
    assert.throws(
      () => compileRunner({ cacheDir: join(dir, 'nocc'), cc: '/nonexistent/walkback-cc' }),
      (e: unknown) =>
        e instanceof RunnerBuildError &&
        e.message === 'no C compiler found (tried /nonexistent/walkback-cc): walkback verify compiles its kernel runner with one; install gcc or set CC',
    );
  });

  it('says in one line that the compiler failed, and leaves no half-built binary', () => {
    const cache = join(dir, 'broken');
    const source = join(dir, 'broken.c');
    writeFileSync(source, 'int main(void) { return undefined_thing; }\n');
    assert.throws(
      () => compileRunner({ cacheDir: cache, source }),
      (e: unknown) => e instanceof RunnerBuildError && /could not compile .*broken\.c: .*undefined_thing/.test(e.message) && !e.message.includes('\n'),
    );
    assert.deepEqual(readdirSync(cache), []);
  });

  it('caches under $XDG_CACHE_HOME, then ~/.cache, then the temp directory', () => {
    assert.deepEqual(cacheDirCandidates({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }).slice(0, 2), ['/x/cache/walkback', '/home/u/.cache/walkback']);
    // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    assert.equal(cacheDirCandidates({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' })[0], '/home/u/.cache/walkback');
    assert.ok(cacheDirCandidates({ HOME: '/home/u' }).at(-1)!.startsWith(tmpdir()));
  });
});
