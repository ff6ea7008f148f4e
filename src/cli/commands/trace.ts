// SPDX-License-Identifier: GPL-2.0-only
/** walkback trace SCENARIO: the kernel-style callback trace, and nothing else, on stdout. */
import { loadScenario } from '../../scenario/load-scenario.js';
import { formatTraceLine } from '../../views/trace/format-trace-line.js';
import { runScenario } from '../../walker/run.js';
import { LineWriter } from '../output.js';

export function traceCommand(file: string): void {
  const scenario = loadScenario(file);
  const out = new LineWriter();
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
