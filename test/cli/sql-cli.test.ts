// walkback sql: 64-bit integers exact in every output format, checked near the
// top of the address space against values computed here with BigInt; the
// events table's integers are SQL integers; every row of a large recording is
// listed (as they come: no more memory than counting them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../helpers/paths.js';
import { tempDir } from '../helpers/recording.js';
import { cli, events } from '../helpers/run.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';

const { dir, cleanup } = tempDir('walkback-sql-');
after(cleanup);

function recordScenario(name: string, yaml: string): string {
  const scenario = join(dir, `${name}.yaml`);
  writeFileSync(scenario, yaml);
  const rec = join(dir, `${name}.db`);
  const r = cli(['record', scenario, '-o', rec]);
  assert.equal(r.status, 0, r.stderr);
  return rec;
}

/** Signed 64-bit, as the events table and notable store an address. */
const signed = (a: bigint): bigint => BigInt.asIntN(64, a);

// walk_page_range_novma over the last 2 MiB of x86_64's kernel half (0xffff800000000000..; as signed integers,
// small negative numbers), and over la57's kernel half at 0xff11000000001000, -67272519433842688 as a signed
// integer: past 2^53, where a double can no longer hold every integer (it printed -67272519433842690).
const walks = [
  {
    name: 'x86_64-top',
    arch: 'x86_64',
    start: 0xffffffffffe00000n,
    end: 0xfffffffffffff000n,
    state: '[{ kind: pte, at: 0xfffffffffffe0000, count: 3 }]',
  },
  {
    name: 'la57-kernel',
    arch: 'x86_64-la57',
    start: 0xff11000000001000n,
    end: 0xff11000000010000n,
    state: '[{ kind: pte, at: 0xff11000000004000, count: 2 }]',
  },
];

describe('64-bit integers in walkback sql', () => {
  for (const w of walks) {
    const rec = recordScenario(
      w.name,
      `name: ${w.name}\narch: ${w.arch}\nstate: ${w.state}\nwalk:\n  api: walk_page_range_novma\n  start: 0x${w.start.toString(16)}\n  end: 0x${w.end.toString(16)}\n  ops: { pte_entry: ok, pte_hole: ok, pmd_entry: ok }\n`,
    );
    // Every PTE of the range is visited by pte_entry (its PMD's table exists), 4 KiB apart.
    const expected: [bigint, bigint][] = [];
    for (let a = w.start; a < w.end; a += 4096n) expected.push([signed(a), signed(a + 4096n)]);
    const query = "select addr_int, next_int from events where kind = 'pte_entry' order by seq";

    it(`${w.name}: addr_int and next_int exact in the table, --csv and --json`, () => {
      if (w.arch === 'x86_64-la57') assert.ok(expected[0]![0] === -67272519433842688n && expected[0]![0] < -(2n ** 53n));
      const table = cli(['sql', rec, query]);
      assert.equal(table.status, 0, table.stderr);
      assert.deepEqual(
        table.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim().split(/\s+/)),
        expected.map(([a, n]) => [String(a), String(n)]),
      );
      const csv = cli(['sql', rec, query, '--csv']);
      assert.equal(csv.stdout, `addr_int,next_int\n${expected.map(([a, n]) => `${a},${n}\n`).join('')}`);
      const json = cli(['sql', rec, query, '--json']);
      assert.equal(JSON.parse(json.stdout).length, expected.length, 'valid JSON, a row per event');
      // JSON.parse would round them: read the numbers as written.
      const written = [...json.stdout.matchAll(/"(addr_int|next_int)": (-?\d+)/g)].map((m) => BigInt(m[2]!));
      assert.deepEqual(written, expected.flat());
    });
  }

  it('integer literals and 64-bit extremes come out with every digit', () => {
    const rec = join(dir, 'x86_64-top.db');
    const q = 'select 9007199254740993 as above_2_53, -9223372036854775808 as min64, 9223372036854775807 as max64, 0.5 as half';
    assert.equal(cli(['sql', rec, q, '--csv']).stdout, 'above_2_53,min64,max64,half\n9007199254740993,-9223372036854775808,9223372036854775807,0.5\n');
    assert.equal(
      cli(['sql', rec, q, '--json']).stdout,
      '[\n  {\n    "above_2_53": 9007199254740993,\n    "min64": -9223372036854775808,\n    "max64": 9223372036854775807,\n    "half": 0.5\n  }\n]\n',
    );
    assert.match(cli(['sql', rec, q]).stdout, /\n9007199254740993 +-9223372036854775808 +9223372036854775807 +0\.5\n$/);
  });

  it('the events table holds integers as SQL integers (seq / 2 divides as integers)', () => {
    const rec = join(dir, 'x86_64-top.db');
    const r = cli(['sql', rec, "select typeof(seq), typeof(value), typeof(addr_int), seq / 2 from events where kind = 'pte_entry' order by seq limit 1", '--csv']);
    assert.equal(r.stdout, 'typeof(seq),typeof(value),typeof(addr_int),seq / 2\ninteger,integer,integer,1\n');
  });
});

describe('every row of a large recording', () => {
  // 512 MiB of guard install: 262,676 events (a spread of 200k rows into Math.max overflowed the stack).
  const rec = recordScenario(
    'large',
    'name: large\nvmas: [{ start: 0x40000000, end: 0x60000000 }]\nwalk: { api: walk_page_range_mm, start: 0x40000000, end: 0x60000000, ops: { preset: guard-install } }\n',
  );
  const count = events(loadScenario(join(dir, 'large.yaml'))).length;
  // The process's peak RSS, written by a module loaded before walkback (nothing in walkback measures itself).
  const probe = join(dir, 'max-rss.mjs');
  writeFileSync(probe, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`);
  /** stdout, and the peak RSS in KiB. */
  const sql = (args: string[]): { stdout: string; peak: number } => {
    const file = join(dir, `rss-${args.join('-').replace(/\W+/g, '_')}`);
    const r = spawnSync(process.execPath, ['--import', probe, BIN, 'sql', rec, ...args], { env: { ...process.env, MAX_RSS_FILE: file }, maxBuffer: 1 << 30, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(file));
    return { stdout: r.stdout, peak: Number(readFileSync(file, 'utf8')) };
  };

  it('select * from events in each format: a row per event, exit 0, and no more memory than counting them (into a pipe)', { timeout: 300_000 }, () => {
    assert.ok(count > 200_000);
    const counting = sql(['select count(*) from events']);
    assert.equal(counting.stdout, `count(*)\n${count}\n`);
    const within = (peak: number, format: string) => assert.ok(peak < counting.peak + 40 * 1024, `${format}: peak RSS ${peak} KiB listing, ${counting.peak} KiB counting`);

    const csv = sql(['select * from events', '--csv']);
    const rows = csv.stdout.trimEnd().split('\n');
    assert.equal(rows.length, count + 1);
    within(csv.peak, 'csv');

    const json = sql(['select * from events', '--json']);
    assert.equal(JSON.parse(json.stdout).length, count);
    within(json.peak, 'json');

    const table = sql(['select * from events']);
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines.length, count + 1);
    within(table.peak, 'table');
    // The same cells as the CSV (no cell here holds a space).
    const cells = (line: string) => line.split(/ +/).filter(Boolean);
    for (let i = 0; i < lines.length; i += 997) assert.deepEqual(cells(lines[i]!), rows[i]!.split(',').filter(Boolean));
    // The header and the first 1,000 rows are aligned on their own widths: each cell starts under its column's name.
    const header = lines[0]!;
    const starts = cells(header).map((name) => header.indexOf(name));
    for (const i of [1, 2, 500, 1000]) {
      const fields = rows[i]!.split(',');
      fields.forEach((cell, c) => cell && assert.equal(lines[i]!.slice(starts[c], starts[c]! + cell.length), cell, `row ${i} column ${c}`));
    }
  });
});
