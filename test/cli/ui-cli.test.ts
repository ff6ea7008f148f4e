// The UI commands without a terminal (scripts, CI, a pipe): replay says what
// to use instead; run and the demo record and print the abort summary.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-ui-cli-');
after(cleanup);

describe('the UI commands without a terminal', () => {
  it('replay says it needs a terminal and names show and trace, exit 2, no stack trace', () => {
    const file = join(dir, 'r.db');
    assert.equal(cli(['record', `${EXAMPLES}demo.yaml`, '-o', file]).status, 0);
    const r = cli(['replay', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /replay is interactive and .*terminal/);
    assert.match(r.stderr, new RegExp(`walkback show ${file.replace(/[.]/g, '\\.')}`));
    assert.match(r.stderr, /walkback trace /);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  });

  it('replay of a file that is not a recording says so before anything else', () => {
    const r = cli(['replay', `${EXAMPLES}demo.yaml`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /demo\.yaml: is not a walkback recording .*walkback trace or record/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });

  it('run records, prints where and the abort summary, says why the UI did not open, exit 0', () => {
    const out = join(dir, 'run.db');
    const r = cli(['run', `${ROOT}test/fixtures/ui-rich.yaml`, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
    assert.match(r.stdout, /^recorded .*run\.db: 2,077 events, .*aborted \(ret -12\)/);
    assert.match(r.stdout, /stopped at event 2074 \(alloc_fail pmd 0x40000000\)/);
    assert.match(r.stderr, /not opening the terminal UI: .*walkback replay .*run\.db opens it/);
  });

  it('run rejects a bad scenario like record does: exit 2, nothing written', () => {
    const r = cli(['run', join(dir, 'nope.yaml'), '-o', join(dir, 'nope.db')]);
    assert.equal(r.status, 2);
    assert.ok(!existsSync(join(dir, 'nope.db')));
  });

  it('the demo (npm start) records recordings/demo.db, replacing it, and prints the summary', () => {
    for (let i = 0; i < 2; i++) {
      const r = cli(['demo'], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^recorded recordings\/demo\.db: 17 events/);
      assert.match(r.stdout, /allocating a pte table at 0x40000000 failed: -ENOMEM/);
    }
    assert.ok(!existsSync(join(dir, 'recordings', 'demo-2.db')), 'the demo replaces its own recording');
  });
});
