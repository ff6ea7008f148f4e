// SPDX-License-Identifier: GPL-2.0-only
// Running a program on the kernel: the start state made by operations and
// checked, an address the runner's process already uses refused before
// anything runs, the runner's protocol errors in one line, and a runner that
// crashes or hangs turned into a typed error naming the step.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VmaFlag } from '../../src/events/walk-event.js';
import { KernelRefusal, KernelRunError } from '../../src/kernel/errors.js';
import { programLines } from '../../src/kernel/program-lines.js';
import { runKernel } from '../../src/kernel/run-kernel.js';
import { geometryOf } from '../../src/mm/geometry.js';
import { PAGE, Program, at, kernelSkip, linesOf, mapAt, runChecked, testRunner } from './program.js';

const skip = kernelSkip();
if (skip) console.log(`# skipping the runs on the running kernel: ${skip}`);
const HUGE = 512;

const dir = mkdtempSync(join(tmpdir(), 'walkback-fake-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for the runner: a shell script that prints these lines, then does `then`. */
function fakeRunner(name: string, lines: readonly string[], then: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\ncat > /dev/null\n${lines.map((l) => `echo '${l}'`).join('\n')}\n${then}\n`);
  chmodSync(path, 0o755);
  return path;
}

const HEADER = '{"runner":1,"pid":1,"pagemap_scan":true,"khugepaged":"unused"}';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    return error;
  }
  assert.fail('it did not fail');
}

describe('the start state on the running kernel', { skip }, () => {
  it('is made by mmap, a THP fault, guard install and writes, and a pte run in a thp VMA stays base pages', async () => {
    // A thp VMA of two PMD spans: a THP in the first, a pte run and a marker in the second;
    // a plain VMA with a pte run. Then a write in the second span: it has a PTE table, so
    // the fault maps one base page, not a THP (mm/memory.c: create_huge_pmd only on a none pmd).
    const p = new Program();
    const write = p.write(HUGE + 100, 1, 'ok');
    p.check(HUGE, `${'.'.repeat(10)}###${'.'.repeat(7)}g${'.'.repeat(79)}#`);
    const { lines, results, failures } = await runChecked(p, {
      vmas: [
        { start: at(0), end: at(2 * HUGE), flags: VmaFlag.THP, hugetlb: 0 },
        { start: at(4 * HUGE), end: at(4 * HUGE + 8), flags: 0, hugetlb: 0 },
      ],
      state: [
        { kind: 'thp-pmd', level: null, at: at(0), count: 1 },
        { kind: 'pte', level: null, at: at(HUGE + 10), count: 3 },
        { kind: 'guard', level: null, at: at(HUGE + 20), count: 1 },
        { kind: 'pte', level: null, at: at(4 * HUGE + 1), count: 2 },
      ],
    });
    assert.deepEqual(failures, []);
    assert.equal(mapAt(lines, results[write]!, at(0), HUGE), 'H'.repeat(HUGE));
    assert.equal(mapAt(lines, results[write]!, at(4 * HUGE), 8), '.##.....');
  });

  it('refuses a start state whose map the kernel did not make, naming the item at the first page that differs', async () => {
    const lines = programLines({
      file: 's.yaml',
      geometry: geometryOf('x86_64'),
      vmas: [{ start: at(0), end: at(HUGE), flags: VmaFlag.THP, hugetlb: 0 }],
      state: [{ kind: 'thp-pmd', level: null, at: at(0), count: 1 }],
      steps: [],
      faults: [],
    });
    // A kernel that maps a base page where the THP should be (THP off, or no free 2 MiB page).
    const runner = fakeRunner(
      'no-thp',
      [
        HEADER,
        `{"step":0,"ret":${at(0)},"errno":0,"access":null,"maps":null,"vm_pte":0,"khugepaged":0}`,
        `{"step":1,"ret":null,"errno":0,"access":"ok","maps":["#${'.'.repeat(HUGE - 1)}"],"vm_pte":0,"khugepaged":0}`,
        '{"done":2}',
      ],
      'exit 0',
    );
    const e = await rejection(runKernel(lines, { runner }));
    assert.ok(e instanceof KernelRefusal);
    assert.equal(e.item, 'state[0]');
    assert.match(e.message, /^s\.yaml: state\[0\]: the running kernel did not make it: at 0x10000000 pagemap shows '#' where the start state has 'H' \(the kernel mapped no THP/);
  });
});

describe('an address the runner already uses', { skip }, () => {
  it('is refused before any step runs, naming the step, its line and what is mapped there', async () => {
    // The top 32 GiB of user space hold the runner's stack (x86_64 randomises the stack top by at most 16 GiB).
    const start = 2 ** 47 - 2 ** 35;
    const pages = (2 ** 47 - 4096 - start) / PAGE;
    const lines = programLines(
      {
        file: 'taken.yaml',
        geometry: geometryOf('x86_64'),
        vmas: [],
        state: [],
        steps: [{ op: 'mmap', index: 0, line: 4, col: 5, expect: null, at: start, pages, prot: 'rw', populate: false, thp: false }],
        faults: [],
      },
      { maxReportPages: 2 ** 23 },
    );
    const e = await rejection(runKernel(lines, { runner: testRunner() }));
    assert.ok(e instanceof KernelRefusal, String(e));
    assert.equal(e.item, 'steps[0]');
    assert.equal(e.line, 4);
    assert.match(e.message, /^taken\.yaml:4:5: steps\[0\]: 0x7ff800000000-0x7ffffffff000 is already mapped in the runner's process \([0-9a-f]+-[0-9a-f]+ .*\): verify needs the program's addresses free/);
  });
});

describe('the runner', { skip }, () => {
  const cases: [string, string, RegExp][] = [
    ['an unknown operation', 'frob 10000000 1', /^kernel-runner: line 1: unknown operation "frob"$/],
    ['a misaligned address', 'report 10000000 1\nmmap 10000001 1 rw', /^kernel-runner: line 2: ADDR 0x10000001 is not page aligned$/],
    ['a count that is not hex', 'mmap 10000000 zz rw', /^kernel-runner: line 1: PAGES "zz" is not a hexadecimal number$/],
    ['a bad prot', 'mmap 10000000 1 rwz', /^kernel-runner: line 1: PROT "rwz" is not none, r, rw or rwx$/],
    ['a missing address', 'read', /^kernel-runner: line 1: ADDR is missing$/],
    ['a bad iovec', 'process_madvise 66 10000000', /^kernel-runner: line 1: "10000000" is not ADDR:PAGES$/],
    ['a range past the top', 'munmap fffffffffffff000 2', /^kernel-runner: line 1: 0x2 pages from 0xfffffffffffff000 run past the top of the address space$/],
    ['a word left over', 'munmap 10000000 1 now', /^kernel-runner: line 1: unexpected "now" after munmap$/],
  ];
  for (const [what, program, message] of cases) {
    it(`refuses ${what} with exit 2 and one line, before running anything`, () => {
      const run = spawnSync(testRunner(), [], { input: `${program}\n`, encoding: 'utf8' });
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr.trimEnd(), message);
      assert.ok(!run.stderr.trimEnd().includes('\n'));
    });
  }

  it('survives every fault of a read or write, page by page', async () => {
    const p = new Program();
    p.mmap(0, 4, at(0), { prot: 'r' });
    p.madvise(1, 1, 'guard_install', 0);
    p.write(0, 4, 'segv'); // every page the same: one word
    p.read(0, 6, ['ok', 'segv', 'ok', 'ok', 'segv', 'segv']); // pages 4, 5: no VMA
    const { failures } = await runChecked(p);
    assert.deepEqual(failures, []);
  });

  it('reports VmPTE in bytes: the first fault in an empty 512 GiB range allocates a PUD, a PMD and a PTE table', async () => {
    // mm/memory.c __handle_mm_fault: pud_alloc, pmd_alloc, then the PTE table; 4 KiB each on x86_64.
    // At 16 TiB: no other mapping of the runner (its executable, libraries, stack) shares that pgd entry.
    const p = new Program(2 ** 44);
    p.mmap(0, 1, 2 ** 44);
    const write = p.write(0, 1, 'ok');
    const { results } = await runChecked(p);
    assert.equal(results[write]!.vmPte - results[0]!.vmPte, 3 * 4096);
  });
});

describe('a runner that fails', () => {
  const program = () => {
    const p = new Program();
    p.mmap(0, 1);
    p.write(0, 1);
    return linesOf(p);
  };

  it('by a crash is a KernelRunError naming the step it was running', async () => {
    const runner = fakeRunner(
      'crash',
      [HEADER, `{"step":0,"ret":${at(0)},"errno":0,"access":null,"maps":["."],"vm_pte":0,"khugepaged":0}`],
      'kill -SEGV $$',
    );
    const e = await rejection(runKernel(program(), { runner }));
    assert.ok(e instanceof KernelRunError);
    assert.equal(e.step, 1);
    assert.equal(e.message, 'the kernel runner died of SIGSEGV during steps[1] (line 2)');
  });

  it('by hanging is a KernelRunError after the timeout', async () => {
    const runner = fakeRunner('hang', [HEADER], 'sleep 30');
    const e = await rejection(runKernel(program(), { runner, timeoutMs: 300 }));
    assert.ok(e instanceof KernelRunError);
    assert.equal(e.step, 0);
    assert.match(e.message, /^the kernel runner timed out after 0\.3 s during steps\[0\] \(line 1\)$/);
  });

  it('by breaking the protocol is a KernelRunError', async () => {
    const runner = fakeRunner('garbled', [HEADER, 'hello'], 'exit 0');
    const e = await rejection(runKernel(program(), { runner }));
    assert.ok(e instanceof KernelRunError);
    assert.match(e.message, /^the kernel runner broke its protocol during steps\[0\] \(line 1\): it printed a line that is not JSON: hello$/);
  });

  it('is run again, waiting for khugepaged, when khugepaged collapsed pages during an unsynchronised THP run', async () => {
    const p = new Program();
    p.mmap(0, 512, at(0), { thp: true });
    const result = `{"step":0,"ret":${at(0)},"errno":0,"access":null,"maps":["${'.'.repeat(512)}"],"vm_pte":0`;
    // The stand-in answers as a collapse-free, synchronised run only when told to wait.
    const runner = join(dir, 'khugepaged');
    writeFileSync(
      runner,
      `#!/bin/sh\ncat > /dev/null\ncase "$1" in --khugepaged-wait=*) s=synced k=0;; *) s=unsynced k=1;; esac\n` +
        `echo '{"runner":1,"pid":1,"pagemap_scan":true,"khugepaged":"'$s'"}'\necho '${result},"khugepaged":'$k'}'\necho '{"done":1}'\n`,
    );
    chmodSync(runner, 0o755);
    const run = await runKernel(linesOf(p), { runner });
    assert.equal(run.rerun, true);
    assert.equal(run.header.khugepaged, 'synced');
    assert.equal(run.khugepaged, 0);
    // A program without THP is never run again.
    const q = new Program();
    q.mmap(0, 512, at(0));
    const once = await runKernel(linesOf(q), { runner });
    assert.equal(once.rerun, false);
    assert.equal(once.khugepaged, 1);
  });

  it('when it cannot start is a KernelRunError', async () => {
    const e = await rejection(runKernel(program(), { runner: join(dir, 'missing') }));
    assert.ok(e instanceof KernelRunError);
    assert.match(e.message, /^the kernel runner .*ENOENT/);
  });
});
