// SPDX-License-Identifier: GPL-2.0-only
// What the probe finds about the running kernel, each fact checked against
// another source: the release (guard regions came in 6.13, pagemap's guard
// bit in 6.15, PAGEMAP_SCAN in 6.7), sysfs, the kernel's config, the boot
// command line, the shell's ulimit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, it } from 'node:test';
import { describeFacts, verifyBlocker } from '../../src/kernel/probe.js';
import type { KernelFacts } from '../../src/kernel/probe.js';
import { kernelFacts, probeSkip } from './program.js';

const skip = probeSkip();
if (skip) console.log(`# skipping the probe: ${skip}`);

/** The release's major.minor as one number: 6.18.44-fc → 618. */
function version(text: string): number {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? Number(m[1]) * 100 + Number(m[2]) : 0;
}

/** A kernel config option, from /proc/config.gz when the kernel exposes it (else null). */
function kernelConfig(name: string): string | null {
  if (!existsSync('/proc/config.gz')) return null;
  const text = spawnSync('gzip', ['-dc', '/proc/config.gz'], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout ?? '';
  const m = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
  return m ? m[1]! : 'n';
}

describe('probeKernel', { skip }, () => {
  const facts = skip ? (null as unknown as KernelFacts) : kernelFacts();
  const v = version(release());

  it('names the release and machine as uname does', () => {
    assert.equal(facts.release, release());
    assert.equal(facts.machine, spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim());
  });

  it('finds guard regions, the pagemap guard bit and PAGEMAP_SCAN exactly where the release has them', () => {
    assert.equal(facts.pagemap, true);
    assert.equal(facts.guardRegions, v >= 613);
    assert.equal(facts.guardSegv, v >= 613);
    assert.equal(facts.pagemapGuardBit, v >= 615);
    assert.equal(facts.pagemapScan, v >= 607);
    if (!facts.guardRegions) assert.equal(facts.guardErrno, 22); // EINVAL: an advice madvise_behavior_valid() does not know
  });

  it('reads the THP mode as sysfs shows it', () => {
    const path = '/sys/kernel/mm/transparent_hugepage/enabled';
    const mode = existsSync(path) ? (/\[(\w+)\]/.exec(readFileSync(path, 'utf8'))?.[1] ?? '') : '';
    assert.equal(facts.thpMode, mode);
    if (mode === 'never' || mode === '') assert.equal(facts.thpOnFault, false);
  });

  it('finds PT_RECLAIM where the kernel is configured with it (6.14+)', { skip: kernelConfig('CONFIG_PT_RECLAIM') === null ? 'no /proc/config.gz' : false }, () => {
    assert.equal(facts.ptReclaim, v >= 614 && kernelConfig('CONFIG_PT_RECLAIM') === 'y');
  });

  it('finds the zero page on read faults unless the kernel was booted without it', () => {
    // mm/memory.c do_anonymous_page maps the zero page for a read unless mm_forbids_zeropage();
    // this machine's PVM guest kernel takes pvm_no_zero_page=1 on its command line to turn that off.
    const cmdline = existsSync('/proc/cmdline') ? readFileSync('/proc/cmdline', 'utf8') : '';
    assert.equal(facts.readFaultMapsZeroPage, !/\bpvm_no_zero_page=1\b/.test(cmdline));
  });

  it('finds the mlock limit the shell reports', () => {
    const limit = spawnSync('sh', ['-c', 'ulimit -l'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(facts.memlockLimit, limit === 'unlimited' ? null : Number(limit) * 1024);
  });

  it('says why verify cannot run, or nothing', () => {
    const ok = { ...facts, machine: 'x86_64', pagemap: true, guardRegions: true, pagemapGuardBit: true, thpMode: 'madvise', thpOnFault: true };
    assert.equal(verifyBlocker(ok, { usesThp: true }), null);
    assert.match(verifyBlocker({ ...ok, guardRegions: false, guardErrno: 22 }, { usesThp: false })!, /has no guard regions \(MADV_GUARD_INSTALL gives errno 22; they came in 6\.13\)/);
    assert.match(verifyBlocker({ ...ok, pagemap: false }, { usesThp: false })!, /does not let a process read \/proc\/self\/pagemap/);
    assert.match(verifyBlocker({ ...ok, thpMode: 'always' }, { usesThp: false })!, /"always"; the model follows "madvise"/);
    assert.equal(verifyBlocker({ ...ok, thpMode: 'never', thpOnFault: false }, { usesThp: false }), null);
    assert.match(verifyBlocker({ ...ok, thpMode: 'never', thpOnFault: false }, { usesThp: true })!, /uses THP, but the running kernel maps none/);
    assert.equal(describeFacts(facts).length, 8);
  });
});
