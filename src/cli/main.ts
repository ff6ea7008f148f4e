// SPDX-License-Identifier: GPL-2.0-only
/**
 * The walkback command line: one error boundary. User errors print one line
 * (what, where, how to fix) and exit 2; runtime failures exit 1; a bug in
 * walkback exits 70 and asks for a report. Never a stack trace, unless
 * WALKBACK_DEBUG is set. Each command's module is loaded only when it runs:
 * `show` need not pay for the walker or the terminal UI.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ScenarioError } from '../scenario/errors.js';
import { RecordingError } from '../replay/recording-error.js';
import { packageVersion } from '../recorder/package-root.js';
import { constants } from 'node:os';
import { EXIT_INTERNAL, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, InterruptedError, RuntimeError, UsageError } from './errors.js';
import { ReaderGone, writeStdout } from './output.js';

/** An option that takes one value: given twice, say so (rather than keep the last silently). */
function once(value: string, previous: string | undefined): string {
  if (previous !== undefined) throw new InvalidArgumentError(`given twice (${previous}, then ${value}); give it once`);
  return value;
}

function buildProgram(): Command {
  const program = new Command('walkback');
  program
    .description(
      'Record, replay and time-travel through Linux page-table walks (mm/pagewalk.c, before and after install_pte).',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ writeOut: writeStdout, outputError: (text, write) => write(`walkback: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(walkback --help lists the commands)')
    .addHelpText(
      'after',
      `
Examples:
  walkback trace examples/guard-install-zap-retry.yaml   the callback trace, as an instrumented kernel prints it
  walkback check my-scenario.yaml                        validate a scenario
  walkback run examples/demo.yaml                        record a scenario and open it in the terminal UI
  walkback replay recordings/demo.db                     time-travel through a recording (? lists the keys)
  npm start                                              the demo: a guard install whose 3rd allocation fails`,
    );

  program
    .command('trace')
    .argument('<file>', 'a scenario (YAML or JSON; - reads standard input) or a recording')
    .option('--run <k>', 'which run of a recording (a sweep holds one per failure point; 0, the default, is the fault-free run)', once)
    .description('print the kernel-style callback trace of a scenario (run) or a recording (replayed); nothing else on stdout')
    .action(async (file: string, flags: { run?: string }) => (await import('./commands/trace.js')).traceCommand(file, flags));

  program
    .command('record')
    .argument('<scenario>', 'a scenario file (YAML or JSON; - reads standard input)')
    .option('-o, --output <file>', 'where to write (default: recordings/<scenario name>.db, numbered if it exists)')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--max-size <size>', 'stop with an error once the file would pass this size (e.g. 200M)')
    .description('run the walk and record every event to a SQLite file, then print where and a summary')
    .action(async (file: string, flags: { output?: string; force?: boolean; maxSize?: string }) => (await import('./commands/record.js')).recordCommand(file, flags));

  program
    .command('replay')
    .argument('<recording>', 'a recording (.db)')
    .option('--at <n>', 'start at this event: N, -N from the end, start or end (default: where the walk stopped)')
    .option('-F, --follow', 'follow a recording that is still being written (like less +F); any move stops following, F resumes')
    .option('--run <k>', 'which run of the recording (0, the default, is the recorded walk)', once)
    .description('time-travel through a recording in the terminal UI (? lists the keys)')
    .action(async (file: string, flags: { at?: string; follow?: boolean; run?: string }) => (await import('./commands/replay.js')).replayCommand(file, flags));

  program
    .command('run')
    .argument('<scenario>', 'a scenario file (YAML or JSON; - reads standard input)')
    .option('-o, --output <file>', 'where to record (default: recordings/<scenario name>.db, numbered if it exists)')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--max-size <size>', 'stop with an error once the file would pass this size (e.g. 200M)')
    .description('record a scenario and open it in the terminal UI (without a terminal: record and print the abort summary)')
    .action(async (file: string, flags: { output?: string; force?: boolean; maxSize?: string }) => (await import('./commands/run.js')).runCommand(file, flags));

  program
    .command('sweep')
    .argument('<scenario>', 'a scenario file (YAML or JSON; - reads standard input), or a sweep file to report on again')
    .option('-o, --output <file>', 'where to record (default: recordings/<scenario name>-sweep.db, numbered if it exists)')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--pte-map', 'also fail each pte_offset_map_lock() call in turn')
    .option('--exact', "run every branch's walk in full from the start (by default a failed allocation's branch is the walker's way out from the fork: the same events, linear time)")
    .option('--json', 'print the report as JSON (runs: one per failure point; groups: the distinct outcomes)')
    .option('--max-size <size>', 'stop with an error once the file would pass this size (e.g. 200M)')
    .description("fail each allocation of the walk in turn (the scenario's own faults are dropped), record every run into one file and group the outcomes; exit 1 if any breaks the scenario's expect: block")
    .action(async (file: string, flags: { output?: string; force?: boolean; pteMap?: boolean; json?: boolean; exact?: boolean; maxSize?: string }) => (await import('./commands/sweep.js')).sweepCommand(file, flags));

  program
    .command('diff')
    .argument('<a>', 'a recording or a scenario')
    .argument('[b]', 'another (left out: two runs of A, given with --run twice)')
    .option('--run <k>', 'a run of a sweep: the first --run is for A, the second for B', (v: string, list: string[]) => [...list, v], [] as string[])
    .option('-C, --context <n>', 'events to show before and after the divergence (default 5)')
    .option('--json', 'print JSON')
    .option('--ui', 'open the two runs side by side in the terminal UI, the cursors locked to the divergence')
    .description('compare two walks: the first event where they diverge, both streams side by side around it, and the difference between their final page tables')
    .action(async (a: string, b: string | undefined, flags: { run?: string[]; context?: string; json?: boolean; ui?: boolean }) => (await import('./commands/diff.js')).diffCommand(a, b, flags));

  program
    .command('export')
    .argument('<file>', 'a recording (or a scenario, run here)')
    .option('--format <format>', 'perfetto (Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing), jsonl (one event a line) or trace (the callback trace)', 'perfetto')
    .option('-o, --output <file>', 'where to write (default: standard output)')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--run <k>', 'which run of a recording (a sweep holds one per failure point)', once)
    .description('export a walk for other tools: Perfetto/Chrome tracing (levels as nested slices), JSON lines, or the callback trace')
    .action(async (file: string, flags: { format?: string; output?: string; force?: boolean; run?: string }) => (await import('./commands/export.js')).exportCommand(file, flags));

  program
    .command('show')
    .argument('<recording>', 'a recording (.db)')
    .option('--at <n>', 'the event: N (from 0), -N from the end, start or end (default: end)')
    .option('--json', 'print JSON (stable; see the README)')
    .option('--run <k>', 'which run of a recording (a sweep holds one per failure point)', once)
    .description('print the state at one event of a recording: page tables, where the walker is, and the abort summary')
    .action(async (file: string, flags: { at?: string; json?: boolean; run?: string }) => (await import('./commands/show.js')).showCommand(file, flags));

  program
    .command('ls')
    .argument('[dir]', 'a directory (default: recordings)')
    .option('--json', 'print JSON')
    .description('list the recordings in a directory: status, events, size and return value')
    .action(async (dir: string | undefined, flags: { json?: boolean }) => (await import('./commands/ls.js')).lsCommand(dir, flags));

  program
    .command('sql')
    .argument('<recording>', 'a recording (.db)')
    .argument('<query>', 'a read-only SQL query; the table `events` holds every event')
    .option('--json', 'print JSON rows')
    .option('--csv', 'print CSV')
    .option('--run <k>', 'which run of a sweep the events table holds (default 0, the fault-free run)', once)
    .description('run SQL over a recording (tables: events, notable_events, runs, meta, recording, ...)')
    .action(async (file: string, query: string, flags: { json?: boolean; csv?: boolean; run?: string }) => (await import('./commands/sql.js')).sqlCommand(file, query, flags));

  program
    .command('check')
    .argument('<scenario>', 'a scenario file (YAML or JSON; - reads standard input)')
    .description('validate a scenario without running it')
    .action(async (file: string) => (await import('./commands/check.js')).checkCommand(file));

  program
    .command('upgrade')
    .argument('<recording>', 'a recording written by an older walkback')
    .description('upgrade a recording to this walkback\'s schema, in place (keeps a backup); replay reads old ones without it')
    .action(async (file: string) => (await import('./commands/upgrade.js')).upgradeCommand(file));

  program
    .command('demo')
    .option('-o, --output <file>', 'where to record (default: recordings/demo.db, replaced)')
    .description('the default demo (npm start): record MADV_GUARD_INSTALL whose 3rd page-table allocation fails and open it')
    .action(async (flags: { output?: string }) => (await import('./commands/demo.js')).demoCommand(flags));

  return program;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  // A reader who closes the pipe (walkback trace x | head) is not an error: the command stopped at once.
  if (error instanceof ReaderGone) return EXIT_OK;
  if (error instanceof CommanderError) {
    // Commander has printed its own message (help, version, or a usage error).
    return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? EXIT_OK
      : EXIT_USAGE;
  }
  if (process.env.WALKBACK_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  if (error instanceof ScenarioError || error instanceof UsageError || error instanceof RecordingError) {
    process.stderr.write(`walkback: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof RuntimeError) {
    process.stderr.write(`walkback: ${error.message}\n`);
    return EXIT_RUNTIME;
  }
  if (error instanceof InterruptedError) {
    process.stderr.write(`walkback: ${error.message}\n`);
    return 128 + (constants.signals[error.signal] ?? 0);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `walkback: internal error: ${message}\n  This is a bug in walkback; please report it with the scenario or recording (WALKBACK_DEBUG=1 shows the stack).\n`,
  );
  return EXIT_INTERNAL;
}
