// SPDX-License-Identifier: GPL-2.0-only
/** walkback show REC [--at N] [--json]: the state at one event, with the abort summary. */
import { abortSummary } from '../../replay/abort-summary.js';
import { recordedFaults } from '../../replay/recorded-faults.js';
import { formatShow, showJson } from '../../views/show/show.js';
import type { ShowInput } from '../../views/show/show.js';
import { UsageError } from '../errors.js';
import { openReplay, parseEventNumber, parseRun, runOption } from '../inputs.js';
import { LineWriter } from '../output.js';
import { writeJson } from '../../views/json-text.js';

export function showCommand(file: string, flags: { at?: string; json?: boolean; run?: string }): void {
  const { recording, replay } = openReplay(file, runOption(parseRun(flags.run)));
  try {
    if (replay.length === 0) throw new UsageError(`${file}: the recording holds no events yet`);
    const at = flags.at === undefined ? replay.length - 1 : parseEventNumber(flags.at, replay.length);
    const input: ShowInput = {
      file: recording.run === 0 ? file : `${file} run ${recording.run} (${recording.ownRun()?.label ?? '?'})`,
      meta: recording.meta(),
      status: recording.status(),
      length: replay.length,
      at,
      event: at >= 0 ? replay.event(at) : null,
      state: replay.stateAt(at),
      summary: abortSummary(replay, at, { faults: recordedFaults(recording) }),
    };
    // The JSON lists every table allocated and every run of PTEs installed: written member by member.
    const out = new LineWriter();
    if (flags.json) {
      writeJson(out, showJson(input));
      out.write('\n');
    } else out.write(formatShow(input));
    out.flush();
  } finally {
    recording.close();
  }
}
