// SPDX-License-Identifier: GPL-2.0-only
/**
 * mm/pagewalk.c, ported to the model for 6.12 (before install_pte), 6.13 (as
 * merged) and 7.0 (with "mm/pagewalk: fix race between concurrent split and
 * refault"). One function per kernel function, with the kernel's names and
 * control flow; comments mark where versions differ and where walkback
 * differs from the kernel. Results are ints with the kernel's 0 / >0 / <0
 * contract. Events are emitted where an instrumented kernel would printk.
 */
import type { Addr, EntryCallbackName, EntryKind, LevelIndex, WalkApi } from '../events/walk-event.js';
import { Action, Entry, LEVELS, NO_ENTRY, RetWhy } from '../events/walk-event.js';
import { levelAddrEnd, realDepth, slotIndex } from '../mm/geometry.js';
import { hugeSlotLevel } from '../mm/state-items.js';
import type { Vma } from '../mm/vmas.js';
import { findVma, isAnonymous, isHugetlb, isPfnmap, vmaContaining } from '../mm/vmas.js';
import type { CallbackModel, MmWalk } from './mm-walk.js';
import { K613, K70, PMD_AGAIN_LIMIT, PUD_AGAIN_LIMIT, WalkStop } from './mm-walk.js';

export const EINVAL = -22;
export const ENOMEM = -12;

const isHuge = (kind: number): boolean => kind === Entry.HUGE || kind === Entry.HUGETLB;

/**
 * The entry a callback of walker level `level` is given. Above a folded level (the level's own
 * none check is not real) the slot is the one of a lower level, and at this level it is never a
 * leaf: the asm-generic nop?d.h headers make it present, and pX_leaf()/pX_trans_huge() are the
 * generic false (on 2-level i386, x86's PSE-testing pud_leaf() is not built). So a huge entry
 * there (i386's 4 MiB THP or hugetlb page, the pgd entry) is a table to pgd/p4d/pud_entry, and
 * only pmd_entry sees it huge.
 */
export function seenAt(w: MmWalk, level: LevelIndex, kind: EntryKind): EntryKind {
  return !w.g.noneCheck[level] && isHuge(kind) ? Entry.TABLE : kind;
}

// ---- the printk points ----

function callEntry(w: MmWalk, type: EntryCallbackName | 'hugetlb_entry', cb: CallbackModel, addr: Addr, next: Addr, entry: number): number {
  const ret = w.decide(cb, addr, next, entry);
  w.push({ seq: w.seq++, type, start: addr, end: next, entry: entry as EntryKind, ret, action: w.cbAction });
  w.applyAction();
  return ret;
}

function callPteHole(w: MmWalk, cb: CallbackModel, addr: Addr, next: Addr, depth: number): number {
  const ret = w.decide(cb, addr, next, NO_ENTRY);
  w.push({ seq: w.seq++, type: 'hole', start: addr, end: next, depth, ret, action: w.cbAction });
  w.applyAction();
  return ret;
}

function callRange(w: MmWalk, type: 'test_walk' | 'pre_vma', cb: CallbackModel, start: Addr, end: Addr): number {
  const ret = w.decide(cb, start, end, NO_ENTRY);
  w.push({ seq: w.seq++, type, start, end, ret, action: w.cbAction });
  w.applyAction();
  return ret;
}

/**
 * __p4d_alloc / __pud_alloc / __pmd_alloc / __pte_alloc: allocate a table of
 * `level` for the none slot above it. Not in the kernel: the fault plan can
 * make it fail, as fail-nth would.
 */
function allocTable(w: MmWalk, level: LevelIndex, addr: Addr): number {
  if (w.faults.allocate(level)) {
    w.emit({ type: 'alloc_fail', level: LEVELS[level], addr });
    return ENOMEM;
  }
  w.mm.allocTable(level, addr);
  w.emit({ type: 'alloc', level: LEVELS[level], addr });
  return 0;
}

/** Not in the kernel: stop a walk that retries one entry forever (the kernel would hang). */
function livelock(w: MmWalk, level: LevelIndex, addr: Addr): never {
  w.emit({ type: 'livelock', level: LEVELS[level], addr });
  throw new WalkStop('livelock');
}

// ---- per level ----

// mm/pagewalk.c: walk_pte_range_inner()
function walkPteRangeInner(w: MmWalk, table: Uint8Array, addr: Addr, end: Addr): number {
  const page = w.g.pageSize;
  const install = w.ops.install_pte;
  const pteEntry = w.ops.pte_entry;
  let i = slotIndex(w.g, 4, addr);
  let err = 0;
  for (;;) {
    const kind = table[i]!;
    if (install !== undefined && kind === Entry.NONE) {
      err = w.decide(install, addr, addr + page, Entry.NONE);
      const value = w.cbInstall;
      w.push({ seq: w.seq++, type: 'install_pte', start: addr, end: addr + page, ret: err, action: w.cbAction, value });
      w.applyAction();
      if (err) break;
      table[i] = value;
      w.push({ seq: w.seq++, type: 'set_pte', addr, value });
    } else {
      if (pteEntry === undefined) {
        // v6.13+: install_pte set, no pte_entry, an entry that is not none: a call through NULL.
        w.emit({ type: 'oops', callback: 'pte_entry', addr });
        throw new WalkStop('oops');
      }
      err = w.decide(pteEntry, addr, addr + page, kind);
      const clear = w.cbClear;
      w.push({ seq: w.seq++, type: 'pte_entry', start: addr, end: addr + page, entry: kind as EntryKind, ret: err, action: w.cbAction });
      w.applyAction();
      if (clear) {
        table[i] = Entry.NONE;
        w.push({ seq: w.seq++, type: 'clear', level: 'pte', addr, old: kind as EntryKind });
      }
      if (err) break;
    }
    if (addr >= end - page) break;
    addr += page;
    i++;
  }
  return err;
}

// mm/pagewalk.c: walk_pte_range()
function walkPteRange(w: MmWalk, addr: Addr, end: Addr): number {
  let table: Uint8Array | undefined;
  if (w.noVma) {
    // pte_offset_kernel() or pte_offset_map(): the pmd is a table here (leaves were skipped), so it cannot fail.
    table = w.mm.table(4, addr);
  } else {
    // pte_offset_map_lock() fails on a pmd that is not a table; a pte_map fault makes it fail anyway.
    const injected = w.faults.mapPte();
    if (!injected && w.mm.entry(3, addr) === Entry.TABLE) table = w.mm.table(4, addr);
    if (table === undefined) w.emit({ type: 'pte_map_fail', addr, injected });
  }
  if (table === undefined) {
    w.action = Action.AGAIN;
    return 0;
  }
  if (w.ops.install_pte !== undefined || w.ops.pte_entry !== undefined) table = w.mm.writableTable(4, addr);
  return walkPteRangeInner(w, table, addr, end);
}

/** split_huge_pmd(): an anonymous THP becomes its deposited table of present PTEs; any other huge PMD is cleared. */
function splitHugePmd(w: MmWalk, vma: Vma, addr: Addr): void {
  if (!isHuge(w.mm.entry(3, addr))) return;
  const value = isAnonymous(vma) ? Entry.TABLE : Entry.NONE;
  w.mm.splitEntry(3, addr, value);
  w.emit({ type: 'split_pmd', addr, value });
}

/** split_huge_pud(): a PUD THP (DAX or huge pfnmap) is cleared. A folded pud is never trans-huge. */
function splitHugePud(w: MmWalk, addr: Addr): void {
  if (!w.g.hugePud || !w.g.noneCheck[2] || !isHuge(w.mm.entry(2, addr))) return;
  w.mm.splitEntry(2, addr, Entry.NONE);
  w.emit({ type: 'split_pud', addr, value: Entry.NONE });
}

// mm/pagewalk.c: walk_pmd_range()
function walkPmdRange(w: MmWalk, addr: Addr, end: Addr): number {
  const g = w.g;
  const ops = w.ops;
  const mm = w.mm;
  if (w.kernel >= K70) {
    // 7.0: a pud that is not a table (a split cleared it) makes walk_pud_range look again.
    const pud = mm.entry(2, addr);
    const present = !g.noneCheck[2] || pud !== Entry.NONE;
    const leaf = g.noneCheck[2] && isHuge(pud);
    if (!present || leaf) {
      w.action = Action.AGAIN;
      return 0;
    }
  }
  const hasHandler = ops.pte_entry !== undefined;
  const hasInstall = ops.install_pte !== undefined;
  const depth = realDepth(g, 3);
  let err = 0;
  let next = addr;
  entries: do {
    let retries = 0;
    again: for (;;) {
      if (++retries > PMD_AGAIN_LIMIT) livelock(w, 3, addr);
      next = levelAddrEnd(g, 3, addr, end);
      let pmd = mm.entry(3, addr);
      if (pmd === Entry.NONE) {
        if (hasInstall) err = allocTable(w, 4, addr);
        else if (ops.pte_hole) err = callPteHole(w, ops.pte_hole, addr, next, depth);
        if (err) break entries;
        if (!hasInstall) break again;
        pmd = Entry.TABLE;
      }

      w.action = Action.SUBTREE;
      if (ops.pmd_entry) err = callEntry(w, 'pmd_entry', ops.pmd_entry, addr, next, pmd);
      if (err) break entries;

      if (w.action === Action.AGAIN) continue again;
      if (w.action === Action.CONTINUE) break again;

      // 6.12 writes these tests as one condition; without install_pte it is the same.
      if (!hasHandler) {
        if (!hasInstall) break again;
        // The no-split rule: only installing, so leave a present THP alone.
        if (isHuge(mm.entry(3, addr))) break again;
      }

      if (w.vma) splitHugePmd(w, w.vma, addr);
      else if (isHuge(mm.entry(3, addr)) || mm.entry(3, addr) === Entry.NONE) break again;

      err = walkPteRange(w, addr, next);
      if (err) break entries;

      if (w.action === Action.AGAIN) continue again;
      break again;
    }
  } while ((addr = next) !== end);
  return err;
}

// mm/pagewalk.c: walk_pud_range()
function walkPudRange(w: MmWalk, addr: Addr, end: Addr): number {
  const g = w.g;
  const ops = w.ops;
  const mm = w.mm;
  const hasHandler = ops.pmd_entry !== undefined || ops.pte_entry !== undefined;
  const hasInstall = ops.install_pte !== undefined;
  const depth = realDepth(g, 2);
  const real = g.noneCheck[2]!; // false when the pmd is folded: pud_none() is 0, the pud is present and never a leaf
  let err = 0;
  let next = addr;
  entries: do {
    let retries = 0;
    again: for (;;) {
      if (++retries > PUD_AGAIN_LIMIT) livelock(w, 2, addr);
      next = levelAddrEnd(g, 2, addr, end);
      let pud = seenAt(w, 2, mm.entry(2, addr));
      if (real && pud === Entry.NONE) {
        if (hasInstall) err = allocTable(w, 3, addr);
        else if (ops.pte_hole) err = callPteHole(w, ops.pte_hole, addr, next, depth);
        if (err) break entries;
        if (!hasInstall) break again;
        pud = Entry.TABLE;
      }

      w.action = Action.SUBTREE;
      if (ops.pud_entry) err = callEntry(w, 'pud_entry', ops.pud_entry, addr, next, pud);
      if (err) break entries;

      if (w.action === Action.AGAIN) continue again;
      if (w.action === Action.CONTINUE) break again;

      const huge = real && isHuge(mm.entry(2, addr));
      if (!hasHandler) {
        if (!hasInstall) break again;
        if (huge && g.hugePud) break again; // the no-split rule
      }

      if (w.vma) splitHugePud(w, addr);
      else if (huge) break again;

      // 6.12 to 6.19: a pud the split cleared is looked at again (a hole, or an allocation).
      if (w.kernel < K70 && real && mm.entry(2, addr) === Entry.NONE) continue again;

      err = walkPmdRange(w, addr, next);
      if (err) break entries;

      // 7.0: walk_pmd_range() asks for a new look at a pud that is not a table, and a stale AGAIN left
      // by the last pmd's callbacks re-walks the whole pud entry too.
      if (w.kernel >= K70 && w.action === Action.AGAIN) continue again;
      break again;
    }
  } while ((addr = next) !== end);
  return err;
}

// mm/pagewalk.c: walk_p4d_range()
function walkP4dRange(w: MmWalk, addr: Addr, end: Addr): number {
  const g = w.g;
  const ops = w.ops;
  const hasHandler = ops.pud_entry !== undefined || ops.pmd_entry !== undefined || ops.pte_entry !== undefined;
  const hasInstall = ops.install_pte !== undefined;
  const depth = realDepth(g, 1);
  const real = g.noneCheck[1]!;
  let err = 0;
  let next = addr;
  do {
    next = levelAddrEnd(g, 1, addr, end);
    let p4d = seenAt(w, 1, w.mm.entry(1, addr));
    if (real && p4d === Entry.NONE) {
      if (hasInstall) err = allocTable(w, 2, addr);
      else if (ops.pte_hole) err = callPteHole(w, ops.pte_hole, addr, next, depth);
      if (err) break;
      if (!hasInstall) continue;
      p4d = Entry.TABLE;
    }
    if (ops.p4d_entry) {
      err = callEntry(w, 'p4d_entry', ops.p4d_entry, addr, next, p4d);
      if (err) break;
    }
    if (hasHandler || hasInstall) err = walkPudRange(w, addr, next);
    if (err) break;
  } while ((addr = next) !== end);
  return err;
}

// mm/pagewalk.c: walk_pgd_range()
function walkPgdRange(w: MmWalk, addr: Addr, end: Addr): number {
  const g = w.g;
  const ops = w.ops;
  const hasHandler =
    ops.p4d_entry !== undefined || ops.pud_entry !== undefined || ops.pmd_entry !== undefined || ops.pte_entry !== undefined;
  const hasInstall = ops.install_pte !== undefined;
  const real = g.noneCheck[0]!;
  let err = 0;
  let next = addr;
  do {
    next = levelAddrEnd(g, 0, addr, end);
    let pgd = seenAt(w, 0, w.mm.entry(0, addr));
    if (real && pgd === Entry.NONE) {
      if (hasInstall) err = allocTable(w, 1, addr);
      else if (ops.pte_hole) err = callPteHole(w, ops.pte_hole, addr, next, 0);
      if (err) break;
      if (!hasInstall) continue;
      pgd = Entry.TABLE;
    }
    if (ops.pgd_entry) {
      err = callEntry(w, 'pgd_entry', ops.pgd_entry, addr, next, pgd);
      if (err) break;
    }
    if (hasHandler || hasInstall) err = walkP4dRange(w, addr, next);
    if (err) break;
  } while ((addr = next) !== end);
  return err;
}

// mm/pagewalk.c: walk_hugetlb_range(), with hugetlb_walk() / huge_pte_offset(): the slot exists when its table does.
function walkHugetlbRange(w: MmWalk, cb: CallbackModel, addr: Addr, end: Addr): number {
  const g = w.g;
  const size = w.vma!.hugetlb;
  const level = hugeSlotLevel(g, size) as LevelIndex;
  const table = g.slotTable[level]!;
  let err = 0;
  let next = addr;
  do {
    const boundary = (Math.floor(addr / size) + 1) * size;
    next = boundary < end ? boundary : end;
    if (w.mm.table(table, addr) !== undefined) err = callEntry(w, 'hugetlb_entry', cb, addr, next, w.mm.entry(level, addr));
    else if (w.ops.pte_hole) err = callPteHole(w, w.ops.pte_hole, addr, next, -1);
    if (err) break;
  } while ((addr = next) !== end);
  return err;
}

// mm/pagewalk.c: walk_page_test()
function walkPageTest(w: MmWalk, start: Addr, end: Addr): number {
  const ops = w.ops;
  if (ops.test_walk) return callRange(w, 'test_walk', ops.test_walk, start, end);
  if (isPfnmap(w.vma!)) {
    let err = 1;
    if (ops.pte_hole) err = callPteHole(w, ops.pte_hole, start, end, -1);
    return err ? err : 1;
  }
  return 0;
}

// mm/pagewalk.c: __walk_page_range()
function walkPageRangeVma(w: MmWalk, start: Addr, end: Addr): number {
  const ops = w.ops;
  const vma = w.vma!;
  const hugetlb = isHugetlb(vma);
  let err = 0;
  // 6.13+: hugetlb PTE installation is not supported.
  if (w.kernel >= K613 && ops.install_pte && hugetlb) return refuse(w, RetWhy.HUGETLB_INSTALL);
  if (ops.pre_vma) {
    err = callRange(w, 'pre_vma', ops.pre_vma, start, end);
    if (err) return err;
  }
  if (hugetlb) {
    if (ops.hugetlb_entry) err = walkHugetlbRange(w, ops.hugetlb_entry, start, end);
  } else {
    err = walkPgdRange(w, start, end);
  }
  // post_vma runs even when the walk failed (the header says otherwise; the code does not check).
  if (ops.post_vma) {
    w.decide(ops.post_vma, 0, 0, NO_ENTRY);
    w.emit({ type: 'post_vma' });
    w.applyAction();
  }
  return err;
}

function enterVma(w: MmWalk, vma: Vma): void {
  w.vma = vma;
  w.emit({ type: 'vma_enter', start: vma.start, end: vma.end });
}

/** check_ops_valid() (6.13; check_ops_safe() in 7.0): install_pte is for mm-internal walks only. */
function opsInvalid(w: MmWalk): boolean {
  return w.kernel >= K613 && w.ops.install_pte !== undefined;
}

/** Return -EINVAL, noting why (for the ret event; not in the kernel). */
function refuse(w: MmWalk, why: number): number {
  w.why = why;
  return EINVAL;
}

// mm/pagewalk.c: walk_page_range_mm() (6.13; walk_page_range_mm_unsafe() in 7.0), the body of walk_page_range().
function walkPageRangeMm(w: MmWalk, start: Addr, end: Addr): number {
  if (start >= end) return refuse(w, RetWhy.RANGE);
  let vma = findVma(w.vmas, start);
  let next = start;
  let err = 0;
  do {
    if (!vma) {
      w.vma = null;
      next = end;
      if (w.ops.pte_hole) err = callPteHole(w, w.ops.pte_hole, start, next, -1);
    } else if (start < vma.start) {
      w.vma = null;
      next = Math.min(end, vma.start);
      if (w.ops.pte_hole) err = callPteHole(w, w.ops.pte_hole, start, next, -1);
    } else {
      enterVma(w, vma);
      next = Math.min(end, vma.end);
      vma = findVma(w.vmas, vma.end);
      err = walkPageTest(w, start, next);
      if (err > 0) {
        err = 0;
        continue;
      }
      if (err < 0) break;
      err = walkPageRangeVma(w, start, next);
    }
    if (err) break;
  } while ((start = next) < end);
  return err;
}

/** Run one entry point of the walker on [start, end): the `walk` and `ret` lines and everything between. */
export function walkApi(w: MmWalk, api: WalkApi, start: Addr, end: Addr): number {
  w.emit({ type: 'walk', api, start, end });
  w.action = Action.SUBTREE; // a new struct mm_walk
  w.vma = null;
  w.noVma = false;
  w.why = RetWhy.WALK;
  const ret = dispatch(w, api, start, end);
  w.emit({ type: 'ret', value: ret, why: ret === EINVAL ? w.why : RetWhy.WALK });
  return ret;
}

function dispatch(w: MmWalk, api: WalkApi, start: Addr, end: Addr): number {
  switch (api) {
    case 'walk_page_range':
      if (opsInvalid(w)) return refuse(w, RetWhy.OPS);
      return walkPageRangeMm(w, start, end);
    case 'walk_page_range_mm':
      return walkPageRangeMm(w, start, end);
    case 'walk_page_vma': {
      // The VMA that contains start (the scenario loader checked there is one).
      const vma = vmaContaining(w.vmas, start)!;
      if (opsInvalid(w)) return refuse(w, RetWhy.OPS);
      enterVma(w, vma);
      return walkPageRangeVma(w, vma.start, vma.end);
    }
    case 'walk_page_range_vma': {
      const vma = findVma(w.vmas, start)!;
      // 7.0 checks the ops first; 6.13 last. Every check fails with -EINVAL, so only the order of the code differs.
      if (w.kernel >= K70 && opsInvalid(w)) return refuse(w, RetWhy.OPS);
      if (start >= end) return refuse(w, RetWhy.RANGE);
      if (start < vma.start || end > vma.end) return refuse(w, RetWhy.OUTSIDE_VMA);
      if (opsInvalid(w)) return refuse(w, RetWhy.OPS);
      enterVma(w, vma);
      return walkPageRangeVma(w, start, end);
    }
    case 'walk_page_range_novma': {
      // 6.12 and 6.13; 7.0 has walk_page_range_debug() for a user mm, with the same checks and walk.
      if (start >= end) return refuse(w, RetWhy.RANGE);
      if (opsInvalid(w)) return refuse(w, RetWhy.OPS);
      w.noVma = true;
      const err = walkPgdRange(w, start, end);
      w.noVma = false;
      return err;
    }
  }
}

