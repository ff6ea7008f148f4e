// Output into a pipe, as `walkback ... | jq`, `| less` and `| head -1` use it.
// Every command that writes a stream writes at the reader's pace: into a slow
// reader, every byte arrives (the same bytes as into a file) and the command
// exits 0, also when standard output is a non-blocking pipe (writes fail with
// EAGAIN while it is full); its memory stays that of writing to a file; and when
// the reader goes, the command stops at once, however much work was left.
// No test here is timed: "at once" is a walk of 17 billion events that ends
// as soon as its reader does (a timeout only stops a broken build from hanging).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli, events } from '../helpers/run.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';

const { dir, cleanup } = tempDir('walkback-pipes-');
after(cleanup);

const guardInstall = (name: string, start: number, end: number): string => {
  const file = join(dir, `${name}.yaml`);
  const range = `start: 0x${start.toString(16)}, end: 0x${end.toString(16)}`;
  writeFileSync(file, `name: ${name}\nvmas: [{ ${range} }]\nwalk: { api: walk_page_range_mm, ${range}, ops: { preset: guard-install } }\n`);
  return file;
};
const G = 2 ** 30;
const M = 2 ** 20;

/** 32 MiB of guard install: 16,424 events, 0.4 to 4 MB in each format (a pipe holds 64 KiB, a socket pair ~200 KiB). */
const small = guardInstall('small', G, G + 32 * M);
const rec = join(dir, 'small.db');
assert.equal(cli(['record', small, '-o', rec]).status, 0);
/** 64 TiB: 17 billion events, hours of walking. */
const endless = guardInstall('endless', G, G + 2 ** 46);

/** What the command writes into a file (Node's standard output to a file is synchronous). */
function intoFile(args: string[]): { status: number | null; bytes: Buffer; stderr: string } {
  const path = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(path, 'w');
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  closeSync(fd);
  return { status: r.status, bytes: readFileSync(path), stderr: r.stderr };
}

// A parent that makes its standard output (a pipe) non-blocking, as Node does
// for any process that touches process.stdout, and runs walkback on the same
// open pipe: walkback's writes then fail with EAGAIN whenever the pipe is full.
const NONBLOCKING_PARENT = `
const fs = require('node:fs');
process.stdout;
const flags = fs.existsSync('/proc/self/fdinfo/1') ? parseInt(/flags:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/fdinfo/1', 'utf8'))[1], 8) : 0o4000;
if (!(flags & 0o4000)) process.exit(99);
const r = require('node:child_process').spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
`;

interface Piped {
  status: number | null;
  bytes: Buffer;
  stderr: string;
}

/**
 * Run walkback into a pipe whose reader waits `waitMs` before its first read,
 * then takes one chunk (at most 64 KiB) every 5 ms, slower than walkback
 * writes, so that the pipe is full most of the time; `untilNewline` closes the
 * pipe after the first line instead.
 */
function intoPipe(args: string[], options: { waitMs?: number; nonBlocking?: boolean; untilNewline?: boolean } = {}): Promise<Piped> {
  const argv = options.nonBlocking ? ['-e', NONBLOCKING_PARENT, BIN, ...args] : [BIN, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // The listener comes first: a stream nobody listens to is drained (and lost) when the child exits.
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (options.untilNewline && chunk.includes(10)) {
      child.stdout.destroy();
      return;
    }
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 5);
  });
  child.stdout.pause();
  setTimeout(() => child.stdout.resume(), options.waitMs ?? 300);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, bytes: Buffer.concat(chunks), stderr })));
}

describe('a slow reader gets every byte', () => {
  const commands: [string, string[]][] = [
    ['export jsonl', ['export', rec, '--format', 'jsonl']],
    ['export perfetto', ['export', rec, '--format', 'perfetto']],
    ['export trace', ['export', rec, '--format', 'trace']],
    ['export of a scenario', ['export', small, '--format', 'jsonl']],
    ['trace of a recording', ['trace', rec]],
    ['trace of a scenario', ['trace', small]],
    ['sql, a table', ['sql', rec, 'select * from events']],
    ['sql --csv', ['sql', rec, 'select * from events', '--csv']],
    ['sql --json', ['sql', rec, 'select * from events', '--json']],
    ['show --json', ['show', rec, '--json']],
  ];
  for (const [name, args] of commands) {
    it(`${name}: the same bytes as into a file, exit 0; also through a non-blocking pipe (EAGAIN)`, async () => {
      const file = intoFile(args);
      assert.equal(file.status, 0, file.stderr);
      assert.ok(file.bytes.length > 256 * 1024 || name === 'show --json', `${name} writes ${file.bytes.length} bytes`);
      for (const nonBlocking of [false, true]) {
        const piped = await intoPipe(args, { nonBlocking });
        assert.equal(piped.stderr, '');
        assert.equal(piped.status, 0, `exit ${piped.status}${nonBlocking ? ' (non-blocking)' : ''}`);
        assert.equal(piped.bytes.length, file.bytes.length);
        assert.ok(piped.bytes.equals(file.bytes));
      }
    });
  }

  it('export jsonl of a recording bigger than 64 KiB: every line arrives, each a JSON event in order', async () => {
    const piped = await intoPipe(['export', rec, '--format', 'jsonl'], { nonBlocking: true, waitMs: 500 });
    assert.equal(piped.status, 0, piped.stderr);
    const lines = piped.bytes.toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, events(loadScenario(small)).length);
    lines.forEach((line, seq) => assert.equal(JSON.parse(line).seq, seq));
  });
});

describe('the reader goes', () => {
  // Each would run for hours (or, before, fill memory) if it did not stop when its reader left.
  const commands: [string, string[], string][] = [
    ['trace of a 64 TiB walk', ['trace', endless], `walk walk_page_range_mm 0x40000000 0x${(G + 2 ** 46).toString(16)}`],
    ['export of a 64 TiB walk', ['export', endless, '--format', 'trace'], `walk walk_page_range_mm 0x40000000 0x${(G + 2 ** 46).toString(16)}`],
    ['trace of a recording', ['trace', rec], 'walk walk_page_range_mm 0x40000000 0x42000000'],
    ['sql', ['sql', rec, 'select * from events'], 'seq  kind'],
  ];
  for (const [name, args, first] of commands) {
    it(`${name} | head -1: exits 0 without a word once the pipe is closed`, { timeout: 120_000 }, async () => {
      for (const nonBlocking of [false, true]) {
        const piped = await intoPipe(args, { untilNewline: true, waitMs: 0, nonBlocking });
        assert.equal(piped.stderr, '');
        assert.equal(piped.status, 0);
        assert.ok(piped.bytes.toString('utf8').startsWith(first), piped.bytes.toString('utf8').slice(0, 80));
      }
    });
  }
});

describe('memory into a pipe', () => {
  // The process's peak RSS, written by a module loaded before walkback (nothing in walkback measures itself).
  const probe = join(dir, 'max-rss.mjs');
  writeFileSync(probe, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`);
  const peakKiB = (file: string): number => {
    assert.ok(existsSync(file), 'the probe wrote no figure');
    return Number(readFileSync(file, 'utf8'));
  };

  it('trace of a 4 GiB walk (2.1 M events, 56 MB of text) into a reader that starts late: no more memory than into a file', { timeout: 120_000 }, async () => {
    const big = guardInstall('big', G, 5 * G);
    const fileRss = join(dir, 'rss-file');
    const fd = openSync('/dev/null', 'w');
    const r = spawnSync(process.execPath, ['--import', probe, BIN, 'trace', big], { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, MAX_RSS_FILE: fileRss } });
    closeSync(fd);
    assert.equal(r.status, 0);
    const pipeRss = join(dir, 'rss-pipe');
    // Meanwhile an unbounded writer would queue what the walker makes (~60 MB a second).
    const child = spawn(process.execPath, ['--import', probe, BIN, 'trace', big], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MAX_RSS_FILE: pipeRss } });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length)).pause();
    setTimeout(() => child.stdout.resume(), 2500);
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 0);
    assert.ok(bytes > 50_000_000, `${bytes} bytes`);
    const [file, pipe] = [peakKiB(fileRss), peakKiB(pipeRss)];
    assert.ok(pipe < file + 40 * 1024, `peak RSS into a pipe ${pipe} KiB, into a file ${file} KiB`);
  });
});
