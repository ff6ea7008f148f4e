// Golden traces. test/golden/kernel/ holds traces that the kernel's own
// mm/pagewalk.c produced for its scenarios (shared/golden, copied here so a
// clone is self-contained; when shared/ sits beside the checkout, any newer
// traces there are checked too). examples/ holds walkback's example scenarios,
// whose expected traces were derived from the kernel source by hand.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { events, traceOf } from '../helpers/run.js';
import { EXAMPLES, KERNEL_GOLDEN, SHARED_GOLDEN } from '../helpers/paths.js';

function goldenCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .filter((f) => readdirSync(dir).includes(f.replace(/\.yaml$/, '.trace')))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

function expectTrace(dir: string, name: string): void {
  const expected = readFileSync(`${dir}${name}.trace`, 'utf8').split('\n').filter((l) => l !== '');
  const actual = traceOf(events(loadScenario(`${dir}${name}.yaml`)));
  assert.deepEqual(actual, expected);
}

describe('kernel golden traces', () => {
  for (const name of goldenCases(KERNEL_GOLDEN)) it(name, () => expectTrace(KERNEL_GOLDEN, name));
});

if (SHARED_GOLDEN) {
  const shared = SHARED_GOLDEN;
  describe('shared golden traces (beside the checkout)', () => {
    for (const name of goldenCases(shared)) it(name, () => expectTrace(shared, name));
  });
}

describe('example scenarios', () => {
  const names = goldenCases(EXAMPLES);
  it('ships at least 25 examples with expected traces', () => assert.ok(names.length >= 25, `${names.length} examples`));
  for (const name of names) it(name, () => expectTrace(EXAMPLES, name));
});
