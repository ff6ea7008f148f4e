// SPDX-License-Identifier: GPL-2.0-only
/**
 * The faults a recorded run was given: its scenario's, read back from the
 * scenario the file holds. A sweep's runs get theirs from the sweep (each
 * branch's point fires by construction; the base has none), so they have none
 * here. A scenario that cannot be read back gives none: the summary then
 * says nothing about faults rather than something wrong.
 */
import { parseScenario } from '../scenario/load-scenario.js';
import type { Fault } from '../scenario/scenario.js';
import type { Recording } from './open-recording.js';

export function recordedFaults(recording: Recording): readonly Fault[] {
  try {
    if (recording.run !== 0 || recording.metaValue('sweep') !== null) return [];
    const meta = recording.meta();
    return parseScenario(meta.scenarioSource, meta.scenarioFile).faults;
  } catch {
    return [];
  }
}
