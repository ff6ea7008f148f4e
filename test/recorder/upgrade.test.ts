// Recordings written before checksums (schema 3, and schema 1 through the
// earlier upgrades) replay as they did, through an upgraded copy, and
// `walkback upgrade` turns them into exactly what walkback writes today: the
// same schema object by object, every checksum in place.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/recorder/schema.js';
import { abortSummary } from '../../src/replay/abort-summary.js';
import { RecordingLog } from '../../src/replay/event-log.js';
import { Recording } from '../../src/replay/open-recording.js';
import { Replay } from '../../src/replay/replay.js';
import { entryRuns } from '../../src/replay/selectors.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { recordSweep } from '../../src/sweep/record-sweep.js';
import { EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-upgrade-');
after(cleanup);

const FIXTURES = `${import.meta.dirname ?? new URL('.', import.meta.url).pathname}/../fixtures/`;

// The fixtures, as walkback wrote them at schema 3 (4-event chunks), and the same written today.
const OLD = {
  recording: { file: `${FIXTURES}recording-v3.db`, scenario: `${EXAMPLES}guard-install-thp-partial.yaml` },
  sweep: { file: `${FIXTURES}sweep-v3.db`, scenario: `${EXAMPLES}demo.yaml` },
};
const fresh = {
  recording: (await recordTo(dir, loadScenario(OLD.recording.scenario), { chunkEvents: 4 })).file,
  sweep: join(dir, 'fresh-sweep.db'),
};
await recordSweep(loadScenario(OLD.sweep.scenario), fresh.sweep, { walkbackVersion: 'test', chunkEvents: 4 });

/** A run as replay sees it: its events, the state at each of them, the summary, its outcome. */
function replayed(recording: Recording): unknown {
  const replay = new Replay(new RecordingLog(recording));
  const states = [];
  for (let seq = -1; seq < replay.length; seq++) {
    const { tables: _t, geometry: _g, ...s } = replay.stateAt(seq);
    const state = replay.stateAt(seq);
    states.push({ ...s, entries: state.walk ? entryRuns(state, Math.min(state.walk.start, state.walk.end), Math.max(state.walk.start, state.walk.end)) : null });
  }
  const { status, end, ret, clientRet, eventCount } = recording.meta();
  return JSON.parse(JSON.stringify({ events: [...recording.events()], states, summary: abortSummary(replay), status, end, ret, clientRet, eventCount }));
}

function schemaOf(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').raw().all();
  } finally {
    db.close();
  }
}

describe('a schema-3 recording', () => {
  for (const [kind, old] of Object.entries(OLD) as [keyof typeof OLD, (typeof OLD)[keyof typeof OLD]][])
    it(`${kind}: replays through an upgraded copy, every run as the same recording written today does`, () => {
      const before = readFileSync(old.file);
      const upgraded = Recording.open(old.file);
      const today = Recording.open(fresh[kind]);
      try {
        assert.equal(upgraded.upgradedFrom, 3);
        const runs = today.runs();
        assert.deepEqual(
          upgraded.runs().map(({ id, parent, forkSeq, label, status }) => ({ id, parent, forkSeq, label, status })),
          runs.map(({ id, parent, forkSeq, label, status }) => ({ id, parent, forkSeq, label, status })),
        );
        for (const { id } of runs) {
          const [a, b] = [upgraded, today].map((r) => (id === 0 ? r : r.openRun(id)));
          assert.deepEqual(replayed(a!), replayed(b!), `run ${id}`);
        }
        // Everything in the upgraded copy checks out.
        upgraded.verify();
      } finally {
        upgraded.close();
        today.close();
      }
      assert.ok(readFileSync(old.file).equals(before), 'the old file is untouched');
      for (const run of kind === 'sweep' ? ['0', '3'] : ['0']) {
        const trace = cli(['trace', old.file, '--run', run]);
        assert.equal(trace.status, 0, trace.stderr);
        assert.equal(trace.stdout, cli(['trace', fresh[kind], '--run', run]).stdout);
        assert.match(trace.stderr, /was written with recording schema 3; replaying an upgraded copy/);
      }
    });

  for (const [from, fixture] of [
    [3, `${FIXTURES}sweep-v3.db`],
    [1, `${FIXTURES}recording-v1.db`],
  ] as const)
    it(`walkback upgrade turns a schema-${from} file into what walkback writes today: its schema exactly, every checksum`, () => {
      const copy = join(dir, `old-v${from}.db`);
      copyFileSync(fixture, copy);
      const r = cli(['upgrade', copy]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`upgraded from recording schema ${from} to ${SCHEMA_VERSION}; the original is kept`));
      assert.ok(readFileSync(`${copy}.schema${from}.bak`).equals(readFileSync(fixture)));
      assert.deepEqual(schemaOf(copy), schemaOf(fresh.sweep));
      const db = new Database(copy, { readonly: true });
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), SCHEMA_VERSION);
        for (const table of ['chunks', 'checkpoints', 'runs']) assert.equal(db.prepare(`SELECT count(*) FROM ${table} WHERE crc = 0`).pluck().get(), 0, table);
      } finally {
        db.close();
      }
      const upgraded = Recording.open(copy);
      try {
        assert.equal(upgraded.upgradedFrom, null);
        upgraded.verify();
      } finally {
        upgraded.close();
      }
      // Damage after the upgrade is caught like any other.
      const damaged = join(dir, `old-v${from}-damaged.db`);
      copyFileSync(copy, damaged);
      const w = new Database(damaged);
      w.prepare('UPDATE chunks SET count = count - 1 WHERE first_seq = 0 AND run = 0').run();
      w.close();
      const trace = cli(['trace', damaged]);
      assert.equal(trace.status, 2);
      assert.match(trace.stderr, /is damaged: the chunk of events 0-\d+ fails its checksum/);
    });
});
