// The damage hard use found (issue 9), one case each: what decoded into a
// plausible wrong answer, what ended in exit 70, and views that lied or hung
// walkback sql. Each is now refused: one line naming what is damaged, exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { stampMetaChecksum } from '../../src/recorder/migrations.js';
import { contextCrc, runCrc } from '../../src/recorder/row-crcs.js';
import type { RunColumns } from '../../src/recorder/row-crcs.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { BIN, EXAMPLES } from '../helpers/paths.js';
import { recordTo, tempDir } from '../helpers/recording.js';
import { cli } from '../helpers/run.js';
import type { CliResult } from '../helpers/run.js';

const { dir, cleanup } = tempDir('walkback-damage-');
after(cleanup);

const FIXTURES = `${import.meta.dirname ?? new URL('.', import.meta.url).pathname}/../fixtures/`;

// The demo (17 events, aborted with -12), in 4-event chunks: checkpoints at 4, 8, 12 and 16, with their page tables.
const demo = join(dir, 'demo.db');
copyFileSync((await recordTo(dir, loadScenario(`${EXAMPLES}demo.yaml`), { chunkEvents: 4 })).file, demo);
const goodTrace = cli(['trace', demo]).stdout;

let counter = 0;
/** A copy of `from` changed by `change` (on a writable connection). */
function copyWith(from: string, change: (db: Database.Database) => void): string {
  const file = join(dir, `damaged-${counter++}.db`);
  copyFileSync(from, file);
  const db = new Database(file);
  try {
    change(db);
  } finally {
    db.close();
  }
  return file;
}

/** The command's one line on stderr (after the note that an older file is read through an upgraded copy), exit 2, nothing on stdout. */
function refused(r: CliResult, says: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  const stderr = r.stderr.replace(/^walkback: note: [^\n]*upgraded copy[^\n]*\n/, '');
  assert.match(stderr, /^walkback: [^\n]+\n$/);
  assert.match(stderr, says);
}

/** Set run 0's row as a writer would (its checksum with it). */
function setRun(db: Database.Database, change: Partial<RunColumns>): void {
  const row = db
    .prepare('SELECT id, parent, fork_seq AS forkSeq, label, status, end_reason AS endReason, ret, client_ret AS clientRet, event_count AS eventCount, error FROM runs WHERE id = 0')
    .get() as RunColumns;
  const next = { ...row, ...change };
  db.prepare('UPDATE runs SET status = ?, end_reason = ?, ret = ?, client_ret = ?, event_count = ?, crc = ? WHERE id = 0').run(
    next.status,
    next.endReason,
    next.ret,
    next.clientRet,
    next.eventCount,
    runCrc(next),
  );
}

describe('damage that used to decode into a plausible wrong answer', () => {
  it('one flipped byte in an events chunk: trace refuses the chunk', () => {
    const file = copyWith(demo, (db) => {
      const data = db.prepare('SELECT data FROM chunks WHERE run = 0 AND first_seq = 0').pluck().get() as Buffer;
      data[1] = data[1]! ^ 0x01;
      db.prepare('UPDATE chunks SET data = ? WHERE run = 0 AND first_seq = 0').run(data);
    });
    refused(cli(['trace', file]), /damaged-\d+\.db: is damaged: the chunk of events 0-3 fails its checksum$/m);
  });

  for (const [how, bytes] of [
    ['zeroed', (n: number) => Buffer.alloc(n)],
    ['random', (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 256))],
  ] as const)
    it(`${how} page-table data at a checkpoint: show refuses the table`, () => {
      const file = copyWith(demo, (db) => {
        const [level, base, seq, data] = db.prepare('SELECT level, base, seq, data FROM table_versions WHERE run = 0 AND level = 4 ORDER BY seq DESC').raw().get() as [number, number, number, Buffer];
        db.prepare('UPDATE table_versions SET data = ? WHERE run = 0 AND level = ? AND base = ? AND seq = ?').run(bytes(data.length), level, base, seq);
      });
      refused(cli(['show', file]), /is damaged: the pte table at 0x[0-9a-f]+ of the checkpoint at event \d+ fails its checksum$/m);
    });

  it('an edited checkpoint context: show --json refuses the checkpoint', () => {
    const file = copyWith(demo, (db) => {
      const context = db.prepare('SELECT context FROM checkpoints WHERE run = 0 AND seq = 16').pluck().get() as string;
      assert.match(context, /"allocs":2/);
      db.prepare('UPDATE checkpoints SET context = ? WHERE run = 0 AND seq = 16').run(context.replace('"allocs":2', '"allocs":7'));
    });
    refused(cli(['show', file, '--json']), /is damaged: the checkpoint at event 16 fails its checksum$/m);
  });

  it("an edited meta status: show's header and ls no longer say complete (ret 0)", () => {
    const file = copyWith(demo, (db) => db.prepare("UPDATE meta SET value = 'complete' WHERE key = 'status'").run());
    refused(cli(['show', file]), /is damaged: its metadata fails its checksum$/m);
    const ls = cli(['ls', dir]);
    assert.equal(ls.status, 0);
    const line = ls.stdout.split('\n').find((l) => l.includes(file))!;
    assert.match(line, /unreadable: is damaged: its metadata fails its checksum/);
    assert.doesNotMatch(line, /complete/);
  });

  it('an outcome that disagrees with the events is refused even with its checksums made good', () => {
    // meta alone: it disagrees with the base run.
    const metaOnly = copyWith(demo, (db) => {
      db.prepare("UPDATE meta SET value = 'complete' WHERE key = 'status'").run();
      db.prepare("UPDATE meta SET value = 0 WHERE key IN ('ret', 'client_ret')").run();
      stampMetaChecksum(db);
    });
    refused(cli(['show', metaOnly]), /is damaged: its metadata and its base run disagree on how the run ended$/m);
    // Both: the events still end with -12.
    const both = copyWith(metaOnly, (db) => setRun(db, { status: 'complete', ret: 0, clientRet: 0 }));
    refused(cli(['show', both]), /is damaged: it says the run ended complete \(ret 0\), but its events end aborted \(ret -12\)$/m);
    refused(cli(['show', both, '--json']), /but its events end aborted/);
  });

  it('an event count that disagrees with the events is refused even with its checksums made good', () => {
    const file = copyWith(demo, (db) => {
      db.prepare("UPDATE meta SET value = 16 WHERE key = 'event_count'").run();
      stampMetaChecksum(db);
      setRun(db, { eventCount: 16 });
    });
    refused(cli(['trace', file]), /is damaged: it holds 17 events, but says 16$/m);
  });
});

describe('damage that used to end in exit 70', () => {
  // A schema-3 recording is upgraded (a copy) and given checksums as it is found: only what it decodes to can tell.
  const v3 = `${FIXTURES}recording-v3.db`;

  it('a checkpoint context of {}', () => {
    // The last checkpoint, the one show reads for the state at the end.
    const file = copyWith(v3, (db) => db.prepare("UPDATE checkpoints SET context = '{}' WHERE run = 0 AND seq = 20").run());
    refused(cli(['show', file]), /is damaged: the checkpoint at event 20 does not hold the state before that event$/m);
    // A schema-4 one whose checksum was made to match: the same.
    const forged = copyWith(demo, (db) => db.prepare("UPDATE checkpoints SET context = '{}', context_crc = ? WHERE run = 0 AND seq = 8").run(contextCrc(0, 8, '{}')));
    refused(cli(['show', forged, '--at', '9']), /is damaged: the checkpoint at event 8 does not hold the state before that event$/m);
  });

  it('a page_size of 1e400', () => {
    const file = copyWith(v3, (db) => db.prepare("UPDATE meta SET value = 1e400 WHERE key = 'page_size'").run());
    for (const command of ['show', 'trace']) refused(cli([command, file]), /is damaged: its metadata's page_size is Infinity, not a whole number$/m);
    const forged = copyWith(demo, (db) => {
      db.prepare("UPDATE meta SET value = 8192 WHERE key = 'page_size'").run();
      stampMetaChecksum(db);
    });
    refused(cli(['trace', forged]), /is damaged: its metadata's page_size is 8192, not x86_64's 4096$/m);
  });
});

describe("views and every other schema object are walkback's, or the file is refused", () => {
  const cases: [string, string, RegExp][] = [
    [
      'a notable_events view that calls alloc_fail alloc',
      `DROP VIEW notable_events;
       CREATE VIEW notable_events AS SELECT n.run AS run, n.seq AS seq, replace(k.name, 'alloc_fail', 'alloc') AS kind FROM notable n JOIN kinds k ON k.id = n.kind`,
      /is damaged or not walkback's: its view notable_events is not the one walkback writes$/m,
    ],
    [
      'a recording view that recurses for ever',
      `DROP VIEW recording;
       CREATE VIEW recording AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n AS scenario FROM r`,
      /is damaged or not walkback's: its view recording is not the one walkback writes$/m,
    ],
    ['an extra view', 'CREATE VIEW extra AS SELECT 1', /is damaged or not walkback's: it has a view extra, which walkback never writes$/m],
    ['an extra index', 'CREATE INDEX extra ON chunks (count)', /it has a index extra, which walkback never writes$/m],
    ['an extra table', 'CREATE TABLE extra (x)', /it has a table extra, which walkback never writes$/m],
    ['a table with a column added', 'ALTER TABLE runs ADD COLUMN x', /its table runs is not the one walkback writes$/m],
    ['a missing index', 'DROP INDEX notable_addr', /is damaged or not walkback's: notable_addr is missing$/m],
  ];
  /** walkback sql, stopped after 20 s (a view that recursed for ever hung it). */
  const sql = (file: string, query: string): CliResult => {
    const r = spawnSync(process.execPath, [BIN, 'sql', file, query], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, `walkback sql ${query}: still running after 20 s`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  for (const [name, change, says] of cases)
    it(`refuses ${name}, before any query runs`, () => {
      const file = copyWith(demo, (db) => db.exec(change));
      for (const query of ['select kind from notable_events where seq = 14', 'select * from recording']) refused(sql(file, query), says);
      refused(cli(['show', file]), says);
    });

  it('the good file answers the same queries', () => {
    const r = cli(['sql', demo, 'select kind from notable_events where seq = 14']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^kind\s*\nalloc_fail\s*\n$/);
    assert.equal(cli(['trace', demo]).stdout, goodTrace);
  });
});
