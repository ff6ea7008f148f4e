// Recordings survive what goes wrong: a writer killed mid-run, a full disk,
// a reader that opens the file while it is written; and every kind of file
// that is not a good recording gets one clear error, exit 2, no stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Recording } from '../../src/replay/open-recording.js';
import { loadScenario, parseScenario } from '../../src/scenario/load-scenario.js';
import { SCHEMA_VERSION } from '../../src/recorder/schema.js';
import { formatTraceLine } from '../../src/events/trace-line.js';
import { CHUNK_EVENTS, ChunkEncoder, decodeChunk } from '../../src/events/codec.js';
import type { WalkEvent } from '../../src/events/walk-event.js';
import { runScenario } from '../../src/walker/run.js';
import { BIN, EXAMPLES } from '../helpers/paths.js';
import { openReplay, recordTo, tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-reliability-');
after(cleanup);

// An install walk over 16 GiB: about 8.4 million events, a second or two to record.
const BIG = `name: big
vmas: [{ start: 0x400000000, end: 0x800000000 }]
walk: { api: walk_page_range_mm, start: 0x400000000, end: 0x800000000, ops: { install_pte: ok } }
`;
const bigFile = join(dir, 'big.yaml');
writeFileSync(bigFile, BIG);
const big = parseScenario(BIG);

// The live events of the big walk, kept encoded (8 million event objects would not fit in a test):
// decoded on demand to compare with what a reader finds in the recording.
const liveChunks: Uint8Array[] = [];
{
  const encoder = new ChunkEncoder(big.geometry.pageSize);
  encoder.reset(0);
  runScenario(big, (e) => {
    encoder.add(e);
    if (encoder.count === CHUNK_EVENTS) {
      liveChunks.push(encoder.finish());
      encoder.reset(e.seq + 1);
    }
  });
  liveChunks.push(encoder.finish());
}
const LIVE_LENGTH = (liveChunks.length - 1) * CHUNK_EVENTS + decodeChunk(liveChunks.at(-1)!, 0, big.geometry.pageSize).length;

/** Live events [from, to). */
function live(from: number, to: number): WalkEvent[] {
  const out: WalkEvent[] = [];
  for (let c = Math.floor(from / CHUNK_EVENTS); c * CHUNK_EVENTS < to; c++)
    for (const e of decodeChunk(liveChunks[c]!, c * CHUNK_EVENTS, big.geometry.pageSize)) if (e.seq >= from && e.seq < to) out.push(e);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out');
    await sleep(10);
  }
}

function recordingHasEvents(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const r = Recording.open(file);
    try {
      return r.length > 0;
    } finally {
      r.close();
    }
  } catch {
    return false;
  }
}

describe('a writer killed with SIGKILL', () => {
  it('leaves a recording that opens, says incomplete, and replays every committed event', async () => {
    const out = join(dir, 'killed.db');
    const child = spawn(process.execPath, [BIN, 'record', bigFile, '-o', out], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => recordingHasEvents(out));
    await sleep(Math.floor(Math.random() * 300));
    child.kill('SIGKILL');
    await exited;

    const { recording, replay } = openReplay(out);
    try {
      assert.equal(recording.status(), 'incomplete');
      const n = recording.length;
      assert.ok(n > 0 && n < 8_400_000, `${n} events committed`);
      assert.deepEqual([...recording.events(Math.max(0, n - 5000), n)], live(Math.max(0, n - 5000), n));
      assert.deepEqual([...recording.events(0, 100)], live(0, 100));
      // The state at the last committed event: one PTE installed per set_pte so far, nothing after.
      const state = replay.stateAt(n - 1);
      const lastSet = live(n - 2, n).filter((e) => e.type === 'set_pte').at(-1);
      assert.ok(lastSet?.type === 'set_pte');
      assert.equal(state.counts.installs, (lastSet.addr - 0x400000000) / 4096 + 1);
      assert.equal(state.tables.entry(4, 0x400000000), 3);
    } finally {
      recording.close();
    }
    // The CLI reads it too, and says what it is.
    const show = cli(['show', out]);
    assert.equal(show.status, 0);
    assert.match(show.stdout, /incomplete/);
  });
});

describe('reading while the writer writes', () => {
  it('sees a consistent, growing prefix of the live events', async () => {
    const out = join(dir, 'live.db');
    const child = spawn(process.execPath, [BIN, 'record', bigFile, '-o', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    await waitFor(() => recordingHasEvents(out));
    let reads = 0;
    let previous = 0;
    while (!done) {
      const recording = Recording.open(out);
      try {
        const n = recording.length;
        assert.ok(n >= previous, 'the prefix never shrinks');
        previous = n;
        if (recording.status() === 'recording') reads++;
        assert.deepEqual([...recording.events(Math.max(0, n - 2000), n)], live(Math.max(0, n - 2000), n));
      } finally {
        recording.close();
      }
      await sleep(20);
    }
    assert.equal(await exited, 0);
    assert.ok(reads >= 2, `read ${reads} times while it was being written`);
    const final = Recording.open(out);
    try {
      assert.equal(final.status(), 'complete');
      assert.equal(final.length, LIVE_LENGTH);
    } finally {
      final.close();
    }
  });
});

describe('a size cap (how the tests fill a disk)', () => {
  it('ends with a clear error and an incomplete recording that replays', async () => {
    const out = join(dir, 'full.db');
    const r = cli(['record', bigFile, '-o', out, '--max-size', '400K']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^walkback: .*full\.db: the recording stopped after [\d,]+ events: it reached the size cap of 409,600 bytes \(--max-size 400K; a larger --max-size records more\); what was written is kept \(status incomplete\) and replays\n$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const recording = Recording.open(out);
    try {
      assert.equal(recording.status(), 'incomplete');
      const n = recording.length;
      assert.ok(n > 0);
      assert.deepEqual([...recording.events()].map(formatTraceLine), live(0, n).map(formatTraceLine));
    } finally {
      recording.close();
    }
  });
});

describe('files that are not good recordings', () => {
  const good = join(dir, 'good.db');
  const made = cli(['record', `${EXAMPLES}guard-install-zap-retry.yaml`, '-o', good]);
  assert.equal(made.status, 0, made.stderr);

  const variants: { name: string; make: (file: string) => void; says: RegExp }[] = [
    { name: 'an empty file', make: (f) => writeFileSync(f, ''), says: /is empty, not a recording/ },
    { name: 'random bytes', make: (f) => writeFileSync(f, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256))), says: /is not a walkback recording \(not a SQLite file\)/ },
    { name: 'a scenario file', make: (f) => copyFileSync(`${EXAMPLES}demo.yaml`, f), says: /is not a walkback recording \(not a SQLite file\)/ },
    {
      name: 'a truncated recording',
      make: (f) => {
        copyFileSync(good, f);
        truncateSync(f, Math.floor(statSync(f).size / 3));
      },
      says: /is damaged/,
    },
    {
      name: 'a recording cut inside its first page',
      make: (f) => {
        copyFileSync(good, f);
        truncateSync(f, 100);
      },
      says: /is damaged/,
    },
    {
      name: "another application's SQLite database",
      make: (f) => {
        const db = new Database(f);
        db.exec('CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES (\'a\', \'1\')');
        db.close();
      },
      says: /is a SQLite database, but not a walkback recording/,
    },
    {
      name: 'a recording from a newer walkback',
      make: (f) => {
        copyFileSync(good, f);
        const db = new Database(f);
        db.pragma('user_version = 99');
        db.close();
      },
      says: new RegExp(`was written by a newer walkback \\(recording schema 99; this walkback reads up to ${SCHEMA_VERSION}\\): upgrade walkback`),
    },
    {
      name: 'a recording whose metadata table was replaced by a view',
      make: (f) => {
        copyFileSync(good, f);
        const db = new Database(f);
        db.exec("ALTER TABLE meta RENAME TO meta_old; CREATE VIEW meta AS SELECT key, value FROM meta_old");
        db.close();
      },
      says: /is damaged or not walkback's: meta is a view, not a table/,
    },
    {
      name: 'a recording with a trigger',
      make: (f) => {
        copyFileSync(good, f);
        const db = new Database(f);
        db.exec("CREATE TRIGGER t AFTER INSERT ON meta BEGIN DELETE FROM chunks; END");
        db.close();
      },
      says: /has triggers, which walkback never writes/,
    },
  ];

  for (const v of variants) {
    it(`refuses ${v.name} with one clear line and exit 2`, () => {
      const file = join(dir, `${v.name.replace(/\W+/g, '-')}.db`);
      v.make(file);
      for (const command of [['show', file], ['trace', file], ['sql', file, 'select 1']]) {
        if (command[0] === 'trace' && v.name === 'a scenario file') continue; // trace runs scenarios
        const r = cli(command);
        assert.equal(r.status, 2, `${command[0]}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, /^walkback: /);
        assert.match(lines[0]!, v.says);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
    });
  }

  it('refuses a missing file and a directory', () => {
    const missing = cli(['show', join(dir, 'nope.db')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.db: no such file/);
    const directory = cli(['show', dir]);
    assert.equal(directory.status, 2);
    assert.match(directory.stderr, /is a directory, not a recording/);
  });

  it('opens recordings read-only: replaying never writes the file', () => {
    const copy = join(dir, 'readonly.db');
    copyFileSync(good, copy);
    const before = readFileSync(copy);
    assert.equal(cli(['show', copy]).status, 0);
    assert.equal(cli(['trace', copy]).status, 0);
    assert.equal(cli(['sql', copy, 'select count(*) from events']).status, 0);
    assert.ok(readFileSync(copy).equals(before));
    const write = cli(['sql', copy, "delete from chunks"]);
    assert.equal(write.status, 2);
    assert.match(write.stderr, /read-only|readonly/);
  });
});

describe('a recording written by an older walkback (schema 1, walkback 0.1.0)', () => {
  const fixture = `${import.meta.dirname ?? new URL('.', import.meta.url).pathname}/../fixtures/recording-v1.db`;

  it('replays through an upgraded copy, and says so on stderr only', () => {
    const before = readFileSync(fixture);
    const trace = cli(['trace', fixture]);
    assert.equal(trace.status, 0, trace.stderr);
    assert.equal(trace.stdout, cli(['trace', `${EXAMPLES}guard-install-zap-retry.yaml`]).stdout);
    assert.match(trace.stderr, /was written with recording schema 1; replaying an upgraded copy/);
    const show = cli(['show', fixture, '--json']);
    assert.equal(show.status, 0);
    assert.equal(JSON.parse(show.stdout).status, 'complete');
    assert.ok(readFileSync(fixture).equals(before), 'the old file is untouched');
  });

  it('walkback upgrade upgrades it in place and keeps a backup', () => {
    const copy = join(dir, 'old.db');
    copyFileSync(fixture, copy);
    const r = cli(['upgrade', copy]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`upgraded from recording schema 1 to ${SCHEMA_VERSION}; the original is kept as .*old\\.db\\.schema1\\.bak`));
    assert.ok(readFileSync(`${copy}.schema1.bak`).equals(readFileSync(fixture)));
    const after = cli(['trace', copy]);
    assert.equal(after.stderr, '');
    assert.equal(after.stdout, cli(['trace', `${EXAMPLES}guard-install-zap-retry.yaml`]).stdout);
    assert.match(cli(['upgrade', copy]).stdout, new RegExp(`already at recording schema ${SCHEMA_VERSION}`));
  });
});

describe('an early schema-2 recording (runs, but no entry counts and no index on them)', () => {
  it('replays through an upgraded copy whose counts are those of its tables', async () => {
    const scenario = loadScenario(`${EXAMPLES}guard-install-thp-partial.yaml`);
    const file = join(dir, 'early-v2.db');
    await recordTo(dir, scenario, { chunkEvents: 4 }).then((r) => copyFileSync(r.file, file));
    const db = new Database(file);
    db.exec('DROP INDEX table_versions_counts');
    for (const c of ['n_table', 'n_present', 'n_guard', 'n_huge', 'n_hugetlb']) db.exec(`ALTER TABLE table_versions DROP COLUMN ${c}`);
    db.pragma('user_version = 2');
    db.prepare("UPDATE meta SET value = 2 WHERE key = 'schema_version'").run();
    db.close();
    const trace = cli(['trace', file]);
    assert.equal(trace.status, 0, trace.stderr);
    assert.match(trace.stderr, /was written with recording schema 2; replaying an upgraded copy/);
    assert.equal(trace.stdout, cli(['trace', `${EXAMPLES}guard-install-thp-partial.yaml`]).stdout);
    // The counts the upgrade made are the tables' own.
    const upgraded = cli(['upgrade', file]);
    assert.equal(upgraded.status, 0, upgraded.stderr);
    const check = new Database(file, { readonly: true });
    const rows = check.prepare('SELECT data, n_table, n_present, n_guard, n_huge, n_hugetlb FROM table_versions').raw().all() as [Buffer, ...number[]][];
    assert.ok(rows.length > 0);
    for (const [data, ...counts] of rows) {
      const want = [1, 2, 3, 4, 5].map((k) => [...data].filter((v) => v === k).length);
      assert.deepEqual(counts, want);
    }
    assert.ok(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'table_versions_counts'").get());
    check.close();
  });
});
