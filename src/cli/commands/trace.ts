// SPDX-License-Identifier: GPL-2.0-only
/** walkback trace SCENARIO|REC: the kernel-style callback trace, and nothing else, on stdout. */
import { loadScenario } from '../../scenario/load-scenario.js';
import { formatTraceLine } from '../../events/trace-line.js';
import { runScenario } from '../../walker/run.js';
import { isRecordingInput, openRecording, parseRun, runOfScenario, runOption } from '../inputs.js';
import { LineWriter } from '../output.js';

export function traceCommand(file: string, flags: { run?: string } = {}): void {
  const out = new LineWriter();
  const run = parseRun(flags.run);
  if (isRecordingInput(file)) {
    const recording = openRecording(file, runOption(run));
    try {
      for (const event of recording.events()) {
        const line = formatTraceLine(event);
        if (line !== null) out.line(line);
      }
      out.flush();
      if (recording.status() === 'incomplete')
        process.stderr.write(`walkback: ${file} is incomplete: the trace ends where the recording does\n`);
    } finally {
      recording.close();
    }
    return;
  }
  if (run !== undefined) throw runOfScenario(file);
  const scenario = loadScenario(file);
  const result = runScenario(scenario, (event) => {
    const line = formatTraceLine(event);
    if (line !== null) out.line(line);
  });
  out.flush();
  if (result.end === 'livelock')
    process.stderr.write(
      'walkback: the walk never ends (a callback asks for ACTION_AGAIN every time, so the kernel would loop forever); stopped it\n',
    );
}
