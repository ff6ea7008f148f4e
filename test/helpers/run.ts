// Helpers to run scenarios in-process and the CLI as a process.
import { spawnSync } from 'node:child_process';
import { toArray, lastValueFrom } from 'rxjs';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { formatTraceLine } from '../../src/events/trace-line.js';
import { runScenario } from '../../src/walker/run.js';
import { walk$ } from '../../src/walker/walk-stream.js';
import { BIN } from './paths.js';

export function events(scenario: Scenario): WalkEvent[] {
  const out: WalkEvent[] = [];
  runScenario(scenario, (e) => out.push(e));
  return out;
}

export async function streamEvents(scenario: Scenario): Promise<WalkEvent[]> {
  return lastValueFrom(walk$(scenario).pipe(toArray()));
}

export function traceOf(events: readonly WalkEvent[]): string[] {
  return events.map(formatTraceLine).filter((line): line is string => line !== null);
}

export function trace(yaml: string): string[] {
  return traceOf(events(parseScenario(yaml)));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    input: options.input,
    env: { ...process.env, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
