// SPDX-License-Identifier: GPL-2.0-only
// The 17 guard-region selftests that a page-table model can reproduce
// (tools/testing/selftests/mm/guard-regions.c, classes (a) and (b) of
// ../shared/guide/guard-selftests.md, anonymous variant), as Step[] programs
// run on the running kernel through the kernel runner. Every expected value
// is the selftest's own assertion (ASSERT_EQ on a return value, errno, or
// try_read_write_buf()), or follows from the kernel source where the
// selftest checks data we do not track: a marker's page is 'g' (pagemap
// PM_GUARD_REGION), a page an access faulted in is '#', MADV_GUARD_INSTALL
// zaps what it covers (madvise_guard_install: zap_page_range_single, then
// install), MADV_GUARD_REMOVE never zaps, MADV_DONTNEED/FREE/COLD/PAGEOUT
// leave markers (zap_details.even_cows without ZAP_FLAG_DROP_MARKER).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EFAULT, EINVAL, ENOMEM, PAGE, Program, at, kernelSkip, pagesOf, runChecked } from './program.js';

const skip = kernelSkip();
if (skip) console.log(`# skipping the guard selftests on the running kernel: ${skip}`);

/** guard-regions.c basic (b) */
function basic(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.write(0, 1, 'ok'); // "Trivially assert we can touch the first page."
  p.madvise(0, 1, 'guard_install', 0);
  p.rw(0, 1, 'segv');
  p.rw(1, 9, 'ok'); // "Establish that 1st page SIGSEGV's." ... the rest are fine
  p.check(0, 'g#########'); // the install zapped page 0; the accesses faulted in 1..9
  p.madvise(9, 1, 'guard_install', 0); // a populated page: zap, then install
  p.rw(0, 1, 'segv');
  p.rw(9, 1, 'segv');
  p.check(0, 'g########g');
  p.madvise(0, 1, 'guard_remove', 0);
  p.rw(0, 1, 'ok');
  p.madvise(9, 1, 'guard_remove', 0);
  p.rw(9, 1, 'ok');
  p.madvise(0, 3, 'guard_install', 0);
  p.rw(0, 3, 'segv');
  p.rw(3, 7, 'ok');
  p.madvise(0, 10, 'guard_remove', 0);
  p.rw(0, 10, 'ok');
  p.madvise(0, 10, 'guard_remove', 0); // "Remove guard regions again ... data intact": remove never zaps
  p.check(0, '##########');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c multi_vma (a): install over gaps acts on every VMA, then -ENOMEM */
function multiVma(): Program {
  const p = new Program();
  p.mmap(0, 100, at(0), { prot: 'none' });
  p.mmap(0, 10, at(0));
  p.mmap(50, 5, at(50));
  p.mmap(80, 20, at(80));
  p.munmap(10, 40, 0);
  p.munmap(55, 25, 0);
  p.madvise(0, 100, 'guard_install', ENOMEM); // ASSERT_EQ(madvise(...), -1); ASSERT_EQ(errno, ENOMEM)
  p.check(0, `${'g'.repeat(10)}${'.'.repeat(40)}${'g'.repeat(5)}${'.'.repeat(25)}${'g'.repeat(20)}`);
  p.rw(0, 10, 'segv');
  p.rw(50, 5, 'segv');
  p.rw(80, 20, 'segv');
  p.madvise(0, 100, 'guard_remove', ENOMEM);
  p.rw(0, 10, 'ok');
  p.rw(50, 5, 'ok');
  p.rw(80, 20, 'ok');
  p.mmap(10, 40, at(10), { prot: 'rwx' }); // PROT_EXEC: the VMAs do not merge
  p.mmap(55, 25, at(55), { prot: 'rwx' });
  p.madvise(0, 100, 'guard_install', 0);
  p.check(0, 'g'.repeat(100));
  p.rw(0, 100, 'segv');
  p.madvise(0, 100, 'guard_remove', 0);
  p.rw(0, 100, 'ok');
  p.munmap(0, 100, 0);
  return p;
}

/** guard-regions.c process_madvise (a): six iovecs, the first VMA populated by MAP_POPULATE */
function processMadvise(): Program {
  const p = new Program();
  const ends: [number, number][] = [1, 10, 50, 54, 79, 98].map((page) => [page, 1]);
  p.mmap(0, 100, at(0), { prot: 'none' });
  p.mmap(1, 10, at(1), { populate: true });
  p.mmap(50, 5, at(50));
  p.mmap(79, 20, at(79));
  p.munmap(0, 1, 0);
  p.munmap(11, 39, 0);
  p.munmap(55, 24, 0);
  p.munmap(99, 1, 0);
  p.processMadvise(ends, 'guard_install', 6 * PAGE); // ASSERT_EQ(count, 6 * page_size)
  p.check(1, 'g########g'); // the populated pages between the two markers stay
  for (const [page] of ends) p.rw(page, 1, 'segv');
  p.processMadvise(ends, 'guard_remove', 6 * PAGE);
  for (const [page] of ends) p.rw(page, 1, 'ok');
  p.munmap(1, 10, 0);
  p.munmap(50, 5, 0);
  p.munmap(79, 20, 0);
  return p;
}

/** guard-regions.c munmap (a): markers go with the unmapped range */
function munmap(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(0, 1, 'guard_install', 0);
  p.madvise(9, 1, 'guard_install', 0);
  p.rw(0, 1, 'segv');
  p.rw(9, 1, 'segv');
  p.munmap(0, 1, 0);
  p.munmap(9, 1, 0);
  p.mmap(0, 1, at(0));
  p.mmap(9, 1, at(9));
  p.check(0, '..........');
  p.rw(0, 1, 'ok');
  p.rw(9, 1, 'ok');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c mprotect (a): mprotect splits the VMA and keeps the markers */
function mprotect(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(5, 2, 'guard_install', 0);
  p.rw(5, 2, 'segv');
  p.mprotect(5, 2, 'r', 0);
  p.check(0, '.....gg...');
  p.read(5, 2, 'segv');
  p.madvise(5, 2, 'guard_install', 0); // idempotent
  p.read(5, 2, 'segv');
  p.madvise(0, 10, 'guard_remove', 0);
  p.read(0, 10, 'ok');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c split_merge (a) */
function splitMerge(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(0, 10, 'guard_install', 0);
  p.rw(0, 10, 'segv');
  p.munmap(2, 1, 0);
  p.munmap(5, 1, 0);
  p.munmap(8, 1, 0);
  p.check(0, 'gg.gg.gg.g');
  for (const [page, pages] of [[0, 2], [3, 2], [6, 2], [9, 1]] as const) p.rw(page, pages, 'segv');
  p.mmap(2, 1, at(2));
  p.mmap(5, 1, at(5));
  p.mmap(8, 1, at(8));
  p.rw(0, 10, pagesOf('SSoSSoSSoS')); // only the re-mapped pages are accessible
  p.madvise(0, 10, 'guard_install', 0);
  p.rw(0, 10, 'segv');
  p.mprotect(0, 3, 'r', 0);
  p.mprotect(7, 3, 'r', 0);
  p.read(0, 10, 'segv');
  p.mprotect(0, 10, 'rw', 0); // merges again
  p.rw(0, 10, 'segv');
  p.mprotect(0, 3, 'r', 0);
  p.mprotect(7, 3, 'r', 0);
  p.madvise(0, 10, 'guard_remove', 0);
  p.read(0, 10, 'ok');
  p.mprotect(0, 10, 'rw', 0);
  p.rw(0, 10, 'ok');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c dontneed (b): markers survive MADV_DONTNEED, the pages between them go */
function dontneed(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.write(0, 10, 'ok');
  for (let page = 0; page < 10; page += 2) p.madvise(page, 1, 'guard_install', 0);
  p.madvise(0, 10, 'dontneed', 0);
  p.check(0, 'g.g.g.g.g.');
  p.read(0, 10, pagesOf('SoSoSoSoSo'));
  p.write(0, 10, pagesOf('SoSoSoSoSo'));
  p.check(0, 'g#g#g#g#g#');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c mlock (b): install refuses VM_LOCKED (-EINVAL); remove does not */
function mlock(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.write(0, 10, 'ok');
  p.mlock(0, 10, 0);
  p.madvise(0, 10, 'guard_install', EINVAL); // ASSERT_EQ(errno, EINVAL)
  p.check(0, '##########'); // and it changed nothing
  p.munlock(0, 10, 0);
  p.madvise(0, 5, 'guard_install', 0);
  p.rw(0, 5, 'segv');
  p.read(5, 5, 'ok');
  p.mlock(5, 5, 0);
  p.madvise(0, 10, 'guard_remove', 0);
  p.rw(0, 10, 'ok');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c mremap_move (a): markers move with the page tables */
function mremapMove(): Program {
  const p = new Program();
  p.mmap(0, 5, at(0));
  p.madvise(0, 1, 'guard_install', 0);
  p.madvise(4, 1, 'guard_install', 0);
  p.mmap(100, 5, at(100), { prot: 'none' });
  p.mremap(0, 5, 5, at(100), { to: 100 });
  p.check(0, '.....');
  p.check(100, 'g...g');
  p.rw(100, 1, 'segv');
  p.rw(104, 1, 'segv');
  p.munmap(100, 5, 0);
  return p;
}

/** guard-regions.c mremap_expand (a) */
function mremapExpand(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.munmap(5, 5, 0);
  p.madvise(0, 1, 'guard_install', 0);
  p.madvise(4, 1, 'guard_install', 0);
  p.mremap(0, 5, 10, at(0)); // in place
  p.check(0, 'g...g.....');
  p.rw(0, 1, 'segv');
  p.rw(4, 1, 'segv');
  p.mmap(100, 20, at(100), { prot: 'none' });
  p.mremap(0, 10, 20, at(100), { to: 100 });
  p.check(100, `g...g${'.'.repeat(15)}`);
  p.rw(100, 1, 'segv');
  p.rw(104, 1, 'segv');
  p.munmap(100, 20, 0);
  return p;
}

/** guard-regions.c mremap_shrink (a): the tail marker is lost for good */
function mremapShrink(): Program {
  const p = new Program();
  p.mmap(0, 5, at(0));
  p.madvise(0, 1, 'guard_install', 0);
  p.madvise(4, 1, 'guard_install', 0);
  p.rw(0, 1, 'segv');
  p.rw(4, 1, 'segv');
  p.mremap(0, 5, 3, at(0), { maymove: true });
  p.rw(0, 1, 'segv');
  p.rw(1, 2, 'ok');
  p.mremap(0, 3, 5, at(0), { maymove: true });
  p.rw(0, 1, 'segv');
  p.rw(1, 4, 'ok');
  p.check(0, 'g####');
  p.munmap(0, 5, 0);
  return p;
}

/** guard-regions.c lazyfree (a): MADV_FREE leaves markers */
function lazyfree(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(0, 10, 'guard_install', 0);
  p.rw(0, 10, 'segv');
  p.madvise(0, 10, 'free', 0);
  p.check(0, 'g'.repeat(10));
  p.rw(0, 10, 'segv');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c populate (b): the populate calls meet the marker's SIGSEGV as -EFAULT */
function populate(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(0, 10, 'guard_install', 0);
  p.madvise(0, 10, 'populate_read', EFAULT); // ASSERT_EQ(errno, EFAULT)
  p.madvise(0, 10, 'populate_write', EFAULT);
  p.check(0, 'g'.repeat(10));
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c cold_pageout (a) */
function coldPageout(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.madvise(0, 10, 'guard_install', 0);
  p.rw(0, 10, 'segv');
  p.madvise(0, 10, 'cold', 0);
  p.rw(0, 10, 'segv');
  p.madvise(0, 10, 'pageout', 0);
  p.rw(0, 10, 'segv');
  p.madvise(0, 10, 'guard_remove', 0);
  p.rw(0, 10, 'ok');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c anon_zeropage (b): read-only anonymous memory takes markers (6.15+) */
function anonZeropage(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0), { prot: 'r' });
  for (let page = 0; page < 10; page += 2) p.madvise(page, 1, 'guard_install', 0);
  p.read(0, 10, pagesOf('SoSoSoSoSo'));
  p.madvise(0, 10, 'guard_remove', 0);
  p.read(0, 10, 'ok');
  p.check(0, '##########'); // the zero page or a new page: '#' either way
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c pagemap (a): PM_GUARD_REGION exactly on the guarded pages */
function pagemap(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.check(0, '..........');
  for (let page = 0; page < 10; page += 2) p.madvise(page, 1, 'guard_install', 0);
  p.check(0, 'g.g.g.g.g.');
  p.munmap(0, 10, 0);
  return p;
}

/** guard-regions.c pagemap_scan (a): the same guarded pages (five one-page regions) */
function pagemapScan(): Program {
  const p = new Program();
  p.mmap(0, 10, at(0));
  p.check(0, '..........');
  for (let page = 0; page < 10; page += 2) p.madvise(page, 1, 'guard_install', 0);
  p.check(0, 'g.g.g.g.g.');
  p.munmap(0, 10, 0);
  return p;
}

const SELFTESTS: readonly [string, () => Program][] = [
  ['basic', basic],
  ['multi_vma', multiVma],
  ['process_madvise', processMadvise],
  ['munmap', munmap],
  ['mprotect', mprotect],
  ['split_merge', splitMerge],
  ['dontneed', dontneed],
  ['mlock', mlock],
  ['mremap_move', mremapMove],
  ['mremap_expand', mremapExpand],
  ['mremap_shrink', mremapShrink],
  ['lazyfree', lazyfree],
  ['populate', populate],
  ['cold_pageout', coldPageout],
  ['anon_zeropage', anonZeropage],
  ['pagemap', pagemap],
  ['pagemap_scan', pagemapScan],
];

describe('the guard-region selftests on the running kernel', { skip: skip }, () => {
  it('are the 17 of classes (a) and (b)', () => assert.equal(SELFTESTS.length, 17));
  for (const [name, build] of SELFTESTS) {
    it(`${name}: every return value, access and map the selftest asserts`, async () => {
      const { failures } = await runChecked(build());
      assert.deepEqual(failures, []);
    });
  }
});
