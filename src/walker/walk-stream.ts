// SPDX-License-Identifier: GPL-2.0-only
/**
 * The walker as a cold Observable: subscribing runs the walk (synchronously),
 * completing ends it, unsubscribing stops it at the next event.
 *
 *   walk$(scenario).pipe(take(3))   vma--state--walk|
 */
import { Observable } from 'rxjs';
import type { WalkEvent } from '../events/walk-event.js';
import type { Scenario } from '../scenario/scenario.js';
import { WalkStop } from './mm-walk.js';
import { runScenario } from './run.js';

export function walk$(scenario: Scenario): Observable<WalkEvent> {
  return new Observable<WalkEvent>((subscriber) => {
    runScenario(scenario, (event) => {
      if (subscriber.closed) throw new WalkStop('unsubscribed');
      subscriber.next(event);
    });
    subscriber.complete();
  });
}
