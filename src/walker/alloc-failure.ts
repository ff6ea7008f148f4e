// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the walker does once a page-table allocation fails, given the walk
 * as it stood just before: the events from the failure to the end of the run.
 *
 * A sweep needs this for every allocation of a walk. Running the walk again
 * from the start for each one costs points x events (quadratic in the range:
 * a 4 GiB guard install walks 2 billion events); the walker cannot be paused
 * and copied mid-recursion. But the path after a failed allocation is short
 * and fixed, in every kernel modelled:
 *
 *  - __pXd_alloc() fails: the walk_pXd_range() that called it breaks out of
 *    its loop and returns -ENOMEM, and so does every walk_pXd_range() above
 *    it (`if (err) break;` at each level): no callback runs on the way out;
 *  - __walk_page_range() still calls post_vma (it does not check err);
 *    allocations happen only inside it (walk_pgd_range() of a VMA) or, for
 *    walk_page_range_novma(), with no VMA and no post_vma;
 *  - walk_page_range_mm() and the other entry points stop their VMA loop and
 *    return the error;
 *  - madvise_guard_install() returns it at once (err <= 0: no zap, no retry).
 *
 * The sweep checks this against the walker itself: every branch it records
 * this way equals a standalone recording of the same fault, at every event
 * (test/sweep), and `walkback sweep --exact` runs every branch in full.
 */
import type { AllocEvent, WalkApi, WalkEvent } from '../events/walk-event.js';
import { RetWhy } from '../events/walk-event.js';
import type { Scenario } from '../scenario/scenario.js';
import { buildOps } from './callbacks.js';
import { ENOMEM } from './pagewalk.js';

/** The events of a run whose allocation `attempted` (the fault-free run's alloc event at the fork) fails. */
export function allocFailureTail(scenario: Scenario, attempted: AllocEvent): WalkEvent[] {
  let seq = attempted.seq;
  const out: WalkEvent[] = [{ seq: seq++, type: 'alloc_fail', level: attempted.level, addr: attempted.addr }];
  const api: WalkApi = scenario.walk.api;
  const ops = buildOps(scenario.walk.ops);
  if (api !== 'walk_page_range_novma' && ops.post_vma !== undefined) out.push({ seq: seq++, type: 'post_vma' });
  out.push({ seq: seq++, type: 'ret', value: ENOMEM, why: RetWhy.WALK });
  if (scenario.walk.ops.preset === 'guard-install') out.push({ seq: seq++, type: 'client_ret', value: ENOMEM });
  return out;
}
