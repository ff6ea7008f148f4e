// Record scenarios to temporary files, in process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { record } from '../../src/recorder/record.js';
import type { RecordResult } from '../../src/recorder/record.js';
import { RecordingLog } from '../../src/replay/event-log.js';
import { Recording } from '../../src/replay/open-recording.js';
import { Replay } from '../../src/replay/replay.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { walk$ } from '../../src/walker/walk-stream.js';

export function tempDir(prefix = 'walkback-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;

export async function recordTo(dir: string, scenario: Scenario, options: { chunkEvents?: number; maxBytes?: number } = {}): Promise<RecordResult> {
  const file = join(dir, `r${counter++}.db`);
  return record(walk$(scenario), file, scenario, { walkbackVersion: 'test', ...options });
}

export function openReplay(file: string): { recording: Recording; replay: Replay } {
  const recording = Recording.open(file);
  return { recording, replay: new Replay(new RecordingLog(recording)) };
}
