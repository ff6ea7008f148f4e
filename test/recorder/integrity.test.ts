// A damaged recording is refused, never decoded into a wrong answer. Every
// stored blob and field of a small recording and of a sweep is damaged in turn
// (a bit flipped, a value zeroed or changed, a row removed); everything walkback
// shows of the file (the trace, the state at every event, the abort summary,
// the notable index, the timeline, the exports, a sweep's report, the diff of
// its runs, what ls and sql say) must then be exactly what it shows of the good
// file, or the file is refused as damaged, with exit 2 from the CLI.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EVENT_TYPES } from '../../src/events/walk-event.js';
import { formatTraceLine } from '../../src/events/trace-line.js';
import { abortSummary } from '../../src/replay/abort-summary.js';
import { compareRuns } from '../../src/replay/compare-runs.js';
import { RecordingLog } from '../../src/replay/event-log.js';
import { Recording, RecordingError } from '../../src/replay/open-recording.js';
import { Replay } from '../../src/replay/replay.js';
import { entryRuns } from '../../src/replay/selectors.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { recordSweep } from '../../src/sweep/record-sweep.js';
import { sweepProgress, sweepReport } from '../../src/sweep/sweep-report.js';
import { perfettoEvents } from '../../src/views/export/perfetto.js';
import { eventRow, registerEventsTable } from '../../src/views/sql/events-table.js';
import { TuiSession } from '../../src/views/tui/model/session.js';
import { EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-integrity-');
after(cleanup);

// The good files: a recording with a THP split, a zap and guard markers over several 4-event chunks
// and checkpoints, and a sweep (a base and three branches).
const plain = join(dir, 'plain.db');
copyFileSync((await recordTo(dir, loadScenario(`${EXAMPLES}guard-install-thp-partial.yaml`), { chunkEvents: 4 })).file, plain);
const sweep = join(dir, 'sweep.db');
await recordSweep(loadScenario(`${EXAMPLES}demo.yaml`), sweep, { walkbackVersion: 'test', chunkEvents: 4 });

/** A JSON-friendly copy: bigints as text, byte arrays as lists. */
const plainData = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v)));

/** What walkback shows of one run of a recording, through the library. */
function runAnswers(recording: Recording): unknown {
  const replay = new Replay(new RecordingLog(recording));
  const length = replay.length;
  const states = [];
  for (let seq = -1; seq < length; seq++) {
    const s = replay.stateAt(seq);
    const range: [number, number] | null = s.walk && s.walk.start < s.walk.end ? [s.walk.start, s.walk.end] : s.vmas.length ? [s.vmas[0]!.start, s.vmas.at(-1)!.end] : null;
    const { tables: _t, geometry: _g, ...rest } = s;
    states.push({ ...rest, entries: range ? entryRuns(s, range[0], range[1], 200) : null });
  }
  const session = new TuiSession(recording);
  const events = [...recording.events()];
  return {
    meta: recording.meta(),
    status: recording.status(),
    length,
    trace: events.map(formatTraceLine),
    rows: events.map(eventRow),
    states,
    summaries: length ? [0, Math.floor(length / 2), length - 1].map((at) => abortSummary(replay, at)) : [],
    notable: replay.notable([...EVENT_TYPES]),
    markers: [40, 97].map((w) => session.markers(w)),
    window: session.window(Math.floor(length / 2), 12).map((r) => r.line),
    perfetto: [...perfettoEvents(recording.events(), recording.geometry, 'walk')],
  };
}

/** Everything walkback shows of a file; throws a RecordingError if it refuses it. */
function answers(file: string): string {
  const recording = Recording.open(file);
  try {
    const runs = recording.runs();
    const progress = sweepProgress(recording);
    const out: Record<string, unknown> = {
      runs,
      ls: { status: recording.status(), events: recording.length, ret: recording.meta().clientRet ?? recording.meta().ret, progress },
    };
    const opened = runs.map((r) => (r.id === recording.run ? recording : recording.openRun(r.id)));
    out.each = opened.map(runAnswers);
    if (progress) out.report = sweepReport(recording);
    if (opened.length > 1) {
      const side = (r: Recording) => ({ label: `run ${r.run}`, name: 'x', arch: 'x86_64', kernel: '6.13', replay: new Replay(new RecordingLog(r)) });
      out.diffs = opened.slice(1).map((r) => compareRuns(side(opened[0]!), side(r)));
    }
    // walkback sql: the whole file checked, then its tables and views read as they are.
    recording.verify();
    registerEventsTable(recording.database, recording);
    out.sql = ['notable_events', 'recording', 'runs', 'meta', 'kinds', 'levels', 'entry_kinds', 'events', 'notable', 'checkpoints', 'table_versions', 'chunks'].map(
      (table) => {
        const { columns, rows } = recording.query(`SELECT * FROM ${table}`);
        return { columns, rows: [...rows] };
      },
    );
    return JSON.stringify(plainData(out));
  } finally {
    recording.close();
  }
}

/** A small, seeded random source (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mutation {
  readonly name: string;
  apply(db: Database.Database): void;
}

/** The primary key of each table, to address one row. */
const KEYS: Record<string, string[]> = {
  meta: ['key'],
  runs: ['id'],
  chunks: ['run', 'first_seq'],
  checkpoints: ['run', 'seq'],
  table_versions: ['run', 'level', 'base', 'seq'],
  notable: ['run', 'seq'],
  kinds: ['id'],
  levels: ['id'],
  entry_kinds: ['id'],
};

/** Ways to damage a value: bits flipped, zeroed, changed, emptied. */
function damagesOf(value: unknown, rnd: () => number): [string, unknown][] {
  if (typeof value === 'bigint') {
    const bit = BigInt(Math.floor(rnd() * 40));
    return [
      ['+1', value + 1n],
      ['-1', value - 1n],
      [`bit ${bit}`, value ^ (1n << bit)],
      ['0', 0n],
      ['null', null],
      ['real', Number(value) + 0.5],
    ];
  }
  if (typeof value === 'number') return [['+1.5', value + 1.5], ['inf', Infinity], ['null', null]];
  if (typeof value === 'string') {
    const at = Math.floor(rnd() * value.length);
    return [
      ['char changed', value.slice(0, at) + String.fromCharCode((value.charCodeAt(at) || 64) ^ 1) + value.slice(at + 1)],
      ['empty', ''],
      ['longer', `${value}x`],
      ['number', 12],
      ['null', null],
    ];
  }
  if (Buffer.isBuffer(value)) {
    const flip = Buffer.from(value);
    const at = Math.floor(rnd() * flip.length);
    if (flip.length) flip[at] = flip[at]! ^ (1 << Math.floor(rnd() * 8));
    const random = Buffer.from(value.map(() => Math.floor(rnd() * 256)));
    return [
      [`bit flipped at ${at}`, flip],
      ['zeroed', Buffer.alloc(value.length)],
      ['random bytes', random],
      ['a byte short', value.subarray(0, Math.max(0, value.length - 1))],
      ['a byte more', Buffer.concat([value, Buffer.from([0])])],
    ];
  }
  // A null: some value where there was none.
  return [
    ['0', 0n],
    ['text', 'x'],
  ];
}

/** Every column of every table, damaged in every way, in up to `perColumn` of its rows; and rows removed. */
function mutationsOf(file: string, seed: number, perColumn: number): Mutation[] {
  const rnd = random(seed);
  const db = new Database(file, { readonly: true });
  const out: Mutation[] = [];
  try {
    for (const [table, key] of Object.entries(KEYS)) {
      const rows = db.prepare(`SELECT * FROM ${table}`).safeIntegers(true).all() as Record<string, unknown>[];
      const where = key.map((k) => `${k} = ?`).join(' AND ');
      const pick = (n: number) => [...rows].sort(() => rnd() - 0.5).slice(0, n);
      for (const column of Object.keys(rows[0] ?? {}))
        for (const row of pick(perColumn)) {
          const at = key.map((k) => row[k]);
          for (const [how, value] of damagesOf(row[column], rnd))
            out.push({
              name: `${table}.${column} of row (${at.join(', ')}): ${how}`,
              apply: (w) => w.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`).run(value, ...at),
            });
        }
      for (const row of pick(2)) {
        const at = key.map((k) => row[k]);
        out.push({ name: `${table}: row (${at.join(', ')}) removed`, apply: (w) => w.prepare(`DELETE FROM ${table} WHERE ${where}`).run(...at) });
      }
    }
  } finally {
    db.close();
  }
  return out;
}

/** A copy of `good` with a mutation applied; null when SQLite refuses the change itself (a constraint). */
function damaged(good: string, m: Mutation, name: string): string | null {
  const file = join(dir, name);
  copyFileSync(good, file);
  const db = new Database(file);
  try {
    m.apply(db);
    return file;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') || /datatype mismatch/.test((error as Error).message)) return null;
    throw error;
  } finally {
    db.close();
  }
}

describe('a damaged recording (every blob and field, in the library)', () => {
  for (const [label, good, perColumn] of [
    ['a recording', plain, 3],
    ['a sweep', sweep, 2],
  ] as const) {
    it(`${label}: the same answers as the good file, or "is damaged"`, () => {
      // The good answers from the same path (a sweep's report names its file).
      copyFileSync(good, join(dir, 'bulk.db'));
      const want = answers(join(dir, 'bulk.db'));
      const seed = 20261203;
      let refused = 0;
      let same = 0;
      for (const m of mutationsOf(good, seed, perColumn)) {
        const file = damaged(good, m, 'bulk.db');
        if (file === null) continue;
        let got: string;
        try {
          got = answers(file);
        } catch (error) {
          assert.ok(error instanceof RecordingError, `${m.name} (seed ${seed}): ${(error as Error).stack}`);
          assert.match(error.message, /: is damaged/, `${m.name} (seed ${seed}): ${error.message}`);
          refused++;
          continue;
        }
        assert.ok(got === want, `${m.name} (seed ${seed}): a different answer`);
        same++;
      }
      // Nearly everything is refused; the rest changes nothing walkback shows (a value set to what it was).
      assert.ok(refused > 200, `${refused} refused, ${same} the same`);
    });
  }
});

describe('a damaged file (bytes flipped below SQLite, in the library)', () => {
  it('gives the same answers as the good file, or is refused as damaged', () => {
    const file = join(dir, 'bytes.db');
    copyFileSync(sweep, file);
    const want = answers(file);
    const bytes = readFileSync(sweep);
    const rnd = random(99);
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      // Past the 100-byte header (the file's identity and SQLite's settings), anywhere: pages of tables, indexes, the schema, free pages.
      const at = 100 + Math.floor(rnd() * (bytes.length - 100));
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ (1 << Math.floor(rnd() * 8));
      writeFileSync(file, copy);
      try {
        assert.ok(answers(file) === want, `byte ${at}: a different answer`);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof RecordingError, `byte ${at}: ${(error as Error).stack}`);
        assert.match(error.message, /: is damaged/, `byte ${at}`);
        refused++;
      }
    }
    assert.ok(refused > 0);
  });
});

/** What each command prints for a file. */
function cliRuns(file: string, listed: string): { command: string[]; status: number | null; stdout: string; stderr: string }[] {
  const commands = [
    ['trace', file],
    ['show', file],
    ['show', file, '--json', '--at', '5', '--run', '3'],
    ['ls', listed],
    ['sql', file, 'select * from notable_events'],
    ['export', file, '--format', 'jsonl'],
    ['diff', file, '--run', '0', '--run', '2'],
    ['sweep', file, '--json'],
  ];
  return commands.map((command) => ({ command, ...cli(command) }));
}

describe('a damaged recording, through the command line', () => {
  it('every command gives the good answer or says "is damaged" in one line, exit 2, never a stack trace or exit 70', () => {
    // The same path for the good and the damaged file (outputs name it), alone in its directory (for ls).
    const listed = join(dir, 'cli');
    mkdirSync(listed);
    const file = join(listed, 'cli.db');
    copyFileSync(sweep, file);
    const good = cliRuns(file, listed);
    for (const g of good) assert.equal(g.status, 0, `${g.command.join(' ')}: ${g.stderr}`);
    // One damage of each table's, in one of its fields...
    const rnd = random(7);
    const sample = mutationsOf(sweep, 7, 1).sort(() => rnd() - 0.5);
    const fields = ['chunks.data', 'table_versions.data', 'checkpoints.context', 'meta.value', 'notable.addr', 'runs.status'].map(
      (column) => sample.find((m) => m.name.startsWith(`${column} `) && /bit|char changed|\+1/.test(m.name) && damaged(sweep, m, 'scratch.db') !== null)!,
    );
    // ... and damage below SQLite: a byte of the file itself (past its 100-byte header: identity, not damage).
    const bytes = readFileSync(sweep);
    const offsets = [1, 2].map((i) => 100 + Math.floor(random(100 + i)() * (bytes.length - 100)));
    const cases: [string, () => void][] = [
      ...fields.map((m): [string, () => void] => [
        m.name,
        () => {
          const db = new Database(file);
          try {
            m.apply(db);
          } finally {
            db.close();
          }
        },
      ]),
      ...offsets.map((at): [string, () => void] => [
        `byte ${at} of the file flipped`,
        () => {
          const copy = Buffer.from(bytes);
          copy[at] = copy[at]! ^ 0x10;
          writeFileSync(file, copy);
        },
      ]),
    ];
    for (const [name, damage] of cases) {
      copyFileSync(sweep, file);
      damage();
      cliRuns(file, listed).forEach((r, i) => {
        const what = `${name}: ${r.command.join(' ')}`;
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: a stack trace`);
        if (r.command[0] === 'ls') {
          // ls lists the directory whatever its files hold: the file's line is the good one, or says it is damaged.
          assert.equal(r.status, 0, `${what}: ${r.stderr}`);
          if (r.stdout !== good[i]!.stdout) assert.match(r.stdout, /cli\.db +unreadable: is damaged/, what);
          return;
        }
        if (r.status === 0) {
          assert.equal(r.stdout, good[i]!.stdout, `${what}: a different answer`);
          return;
        }
        assert.equal(r.status, 2, `${what}: exit ${r.status}: ${r.stderr}`);
        assert.match(r.stderr, /^walkback: [^\n]*cli\.db[^\n]*is damaged[^\n]*\n$/, what);
        // What was written before the damage was met is the good answer's beginning.
        assert.ok(good[i]!.stdout.startsWith(r.stdout), `${what}: printed something else first`);
      });
    }
  });
});
