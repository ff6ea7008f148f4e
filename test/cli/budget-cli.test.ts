// SPDX-License-Identifier: GPL-2.0-only
// What a recording will cost, said before it is made: check estimates the
// events and the size, and record, run and sweep refuse a walk above the
// default cap unless --max-size allows it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, EXAMPLES } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-budget-');
after(cleanup);

// MADV_GUARD_INSTALL over all of x86_64 user space: 2^35 pages, two events each.
const ALL = join(dir, 'all.yaml');
writeFileSync(
  ALL,
  `name: all-user-space
vmas: [{ start: 0x0, end: 0x7ffffffff000 }]
walk: { api: walk_page_range_mm, start: 0x1000, end: 0x7ffffffff000, ops: { preset: guard-install } }
`,
);
// The count an independent computation gives (see test/unit/walker/estimate-events.test.ts).
const ALL_EVENTS = (5 + 256 + 2 * 256 * 512 + 2 * 256 * 512 * 512 + 2 * ((0x7ffffffff000 - 0x1000) / 0x1000)).toLocaleString('en-US');

describe('walkback check estimates what a recording will cost', () => {
  it('prints the events and the size, and notes a walk above the default cap with the flag that allows it', () => {
    const r = cli(['check', ALL]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^estimate: ${ALL_EVENTS} events, a recording of about 1\\d\\d\\.\\d\\d GiB$`, 'm'));
    assert.match(r.stderr, /^walkback: note: that is above the default cap of 1\.00 GiB: walkback record refuses it unless --max-size allows it \(--max-size \d+G\)$/m);
  });

  it('an exact count for a plain walk, an upper bound (and why) when the walk may stop sooner', () => {
    const exact = cli(['check', `${EXAMPLES}guard-install-zap-retry.yaml`]);
    assert.equal(exact.status, 0);
    assert.match(exact.stdout, /^estimate: \d+ events, a recording of about [\d.]+ KiB$/m);
    assert.equal(exact.stderr, '');
    const upper = cli(['check', `${EXAMPLES}demo.yaml`]);
    assert.match(upper.stdout, /^estimate: at most 22 events \(an injected allocation failure stops the walk where it fires\), a recording of at most about [\d.]+ KiB$/m);
  });
});

describe('record, run and sweep refuse a walk above the default cap', () => {
  it('in one line naming the estimate, the cap and the flag; exit 2, nothing written', () => {
    for (const command of ['record', 'run', 'sweep']) {
      // Bounded: a walkback that does not refuse would fill the disk (160 GiB) at 20-30 MB/s.
      const r = spawnSync(process.execPath, [BIN, command, ALL], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, `${command} did not refuse: it started recording`);
      assert.equal(r.status, 2, `${command}: ${r.stderr}`);
      const what = command === 'sweep' ? 'sweep' : 'recording';
      assert.match(
        r.stderr,
        new RegExp(`^walkback: .*all\\.yaml: the ${what} would be about [\\d.]+ GiB \\(${ALL_EVENTS} events\\), above the default cap of 1\\.00 GiB; pass --max-size \\d+G to ${command === 'sweep' ? 'sweep' : 'record'} it anyway, or narrow the walk\\n$`),
      );
      assert.equal(r.stdout, '');
      assert.ok(!existsSync(join(dir, 'recordings')), `${command} wrote something`);
    }
  });

  it('--max-size lets it through, and stops it there (what was written kept)', () => {
    const out = join(dir, 'capped.db');
    const r = cli(['record', ALL, '-o', out, '--max-size', '2M']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /capped\.db: the recording stopped after [\d,]+ events/);
    assert.equal(cli(['show', out]).status, 0);
  });

  it('a walk under the cap records as before', () => {
    const r = cli(['record', `${EXAMPLES}demo.yaml`, '-o', join(dir, 'demo.db')]);
    assert.equal(r.status, 0, r.stderr);
  });
});
