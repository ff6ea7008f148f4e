#!/usr/bin/env node
// One benchmark task in a fresh process (so peak RSS and JIT state are its own).
// Prints one JSON line: { ms, events, bytes?, rssMB, ... }.
//
//   node scripts/bench-task.mjs <task> <scenario-case> <out-dir>
//
// Tasks: count (walk$ with a counting subscriber), record (walkback's recorder),
// jsonl (the same events as JSON lines, the baseline), rows (one SQLite row per
// event, prepared statement, 4096-event transactions, the baseline),
// stateat (1,000 stateAt() at random events of a recording made first).
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { parseScenario } = await import(dist('scenario/load-scenario.js'));
const { walk$ } = await import(dist('walker/walk-stream.js'));
const { record } = await import(dist('recorder/record.js'));
const { Recording } = await import(dist('replay/open-recording.js'));
const { RecordingLog } = await import(dist('replay/event-log.js'));
const { Replay } = await import(dist('replay/replay.js'));
const Database = (await import('better-sqlite3')).default;

export const CASES = {
  'install-1g': `name: bench-install-1g
arch: x86_64
vmas: [{ start: 0x40000000, end: 0x80000000 }]
walk: { api: walk_page_range_mm, start: 0x40000000, end: 0x80000000, ops: { install_pte: ok } }`,
  'populated-16g': `name: bench-populated-16g
arch: x86_64
vmas: [{ start: 0x400000000, end: 0x800000000 }]
state: [{ kind: pte, at: 0x400000000, count: 4194304 }]
walk: { start: 0x400000000, end: 0x800000000, ops: { pmd_entry: ok, pte_entry: ok } }`,
};

const [task, key, outDir] = process.argv.slice(2);
const scenario = parseScenario(CASES[key], `${key}.yaml`);
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${key}-${task}-${process.pid}`);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const rssMB = () => process.resourceUsage().maxRSS / 1024;

function drain(stream) {
  return new Promise((resolve) => stream.once('drain', resolve));
}

async function main(warmup) {
  let t0 = now();
  let result;
  if (task === 'count') {
    let n = 0;
    walk$(scenario).subscribe({ next: () => n++ });
    result = { events: n };
  } else if (task === 'record') {
    const r = await record(walk$(scenario), `${file}.db`, scenario, { walkbackVersion: 'bench' });
    result = { events: r.events, file: `${file}.db` };
  } else if (task === 'jsonl') {
    const out = createWriteStream(`${file}.jsonl`);
    let batch = [];
    let n = 0;
    const pending = [];
    walk$(scenario).subscribe({
      next: (e) => {
        batch.push(JSON.stringify(e));
        n++;
        if (batch.length === 4096) {
          if (!out.write(batch.join('\n') + '\n')) pending.push(true);
          batch = [];
        }
      },
    });
    out.write(batch.join('\n') + '\n');
    await new Promise((resolve) => out.end(resolve));
    result = { events: n, file: `${file}.jsonl` };
  } else if (task === 'rows') {
    const db = new Database(`${file}.rows.db`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, kind INTEGER, level INTEGER, addr INTEGER, next INTEGER, depth INTEGER, value INTEGER)');
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
    const kinds = new Map();
    const flush = db.transaction((rows) => {
      for (const r of rows) insert.run(r);
    });
    let rows = [];
    let n = 0;
    walk$(scenario).subscribe({
      next: (e) => {
        let kind = kinds.get(e.type);
        if (kind === undefined) kinds.set(e.type, (kind = kinds.size));
        const addr = e.start ?? e.addr ?? e.at ?? null;
        rows.push([e.seq, kind, null, addr, e.end ?? null, e.depth ?? null, e.ret ?? e.value ?? e.entry ?? null]);
        n++;
        if (rows.length === 4096) {
          flush(rows);
          rows = [];
        }
      },
    });
    flush(rows);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    result = { events: n, file: `${file}.rows.db` };
  } else if (task === 'stateat') {
    const r = await record(walk$(scenario), `${file}.db`, scenario, { walkbackVersion: 'bench' });
    const recording = Recording.open(`${file}.db`);
    const replay = new Replay(new RecordingLog(recording));
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const times = [];
    for (let i = 0; i < 1000; i++) {
      const n = Math.floor(random() * replay.length);
      const t = now();
      replay.stateAt(n);
      times.push(now() - t);
    }
    recording.close();
    times.sort((a, b) => a - b);
    result = { events: r.events, median: times[500], p99: times[990], max: times[999] };
    rmSync(`${file}.db`, { force: true });
    console.log(JSON.stringify({ ...result, ms: now() - t0, rssMB: rssMB() }));
    return;
  } else {
    throw new Error(`unknown task ${task}`);
  }
  const ms = now() - t0;
  let bytes = null;
  if (result.file) {
    bytes = statSync(result.file).size;
    for (const suffix of ['', '-wal', '-shm']) rmSync(result.file + suffix, { force: true });
  }
  if (!warmup) console.log(JSON.stringify({ ms, events: result.events, bytes, rssMB: rssMB() }));
}

// One untimed warm-up run first (the JIT's steady state is what a long recording sees), then the timed run.
if (task !== 'stateat') await main(true);
await main(false);
void drain;
