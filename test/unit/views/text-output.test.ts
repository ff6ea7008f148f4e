// The text writers views stream through: JSON written member by member is
// JSON.stringify(value, null, 2) exactly (and BigInt exact); aligned columns
// are measured on a first block of rows and widen only from where a wider cell
// comes, checked against widths computed here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ColumnWriter, alignColumns } from '../../../src/views/columns.js';
import { writeJson } from '../../../src/views/json-text.js';
import { StringSink } from '../../../src/views/text-sink.js';
import { writeRows } from '../../../src/views/sql/format-rows.js';

const json = (value: unknown): string => {
  const out = new StringSink();
  writeJson(out, value);
  return out.toString();
};

describe('writeJson', () => {
  it('writes what JSON.stringify(value, null, 2) does, for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => assert.equal(json(value), JSON.stringify(value, null, 2))), { numRuns: 500 });
  });

  it('leaves out undefined members of objects, writes them as null in arrays, and calls toJSON', () => {
    const value = { a: undefined, b: [undefined, () => 1, 2], c: {}, d: [], e: { f: undefined }, g: new Date(0), h: -0, i: NaN };
    assert.equal(json(value), JSON.stringify(value, null, 2));
  });

  it('writes a BigInt with all its digits, as a JSON number', () => {
    assert.equal(json({ a: -67272519433842688n, b: [2n ** 64n - 1n] }), '{\n  "a": -67272519433842688,\n  "b": [\n    18446744073709551615\n  ]\n}');
  });
});

/** Widths computed independently: the widest cell of each column over `rows`. */
const widthsOf = (rows: readonly string[][]): number[] => {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return widths;
};
const render = (row: readonly string[], widths: readonly number[]): string =>
  row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();

describe('ColumnWriter', () => {
  const cell = fc.string({ maxLength: 12 }).map((s) => s.replace(/\s/g, '_'));
  const table = fc.integer({ min: 1, max: 4 }).chain((n) => fc.array(fc.array(cell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 40 }));

  it('a table within the block: every column as wide as its widest cell', () => {
    fc.assert(
      fc.property(table, (rows) => assert.equal(alignColumns(rows), rows.map((r) => `${render(r, widthsOf(rows))}\n`).join(''))),
    );
  });

  it('past the block: the first block on its own widths, later rows on the widths so far', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: 1, max: 10 }), (rows, block) => {
        const out = new StringSink();
        const writer = new ColumnWriter(out, block);
        for (const row of rows) writer.row(row);
        writer.end();
        const first = rows.slice(0, block + 1);
        const expected = rows.map((row, i) => `${render(row, widthsOf(i <= block ? first : rows.slice(0, i + 1)))}\n`).join('');
        assert.equal(out.toString(), expected);
      }),
    );
  });
});

describe('writeRows', () => {
  it('CSV quotes commas, quotes and line breaks; NULL is empty, a blob its size', () => {
    const out = new StringSink();
    writeRows(out, ['a', 'b,c'], [['x"y', null], [1.5, new Uint8Array(3)], ['a\r\nb', 12n]], 'csv');
    assert.equal(out.toString(), 'a,"b,c"\n"x""y",\n1.5,<3 bytes>\n"a\r\nb",12\n');
  });

  it('JSON: what JSON.stringify(rows as objects, null, 2) prints; a later column of the same name wins, in the first place', () => {
    const rows = [['x', 1, 2], [null, 3.5, 'z']];
    const out = new StringSink();
    writeRows(out, ['a', 'b', 'a'], rows, 'json');
    assert.equal(out.toString(), `${JSON.stringify([{ a: 2, b: 1 }, { a: 'z', b: 3.5 }], null, 2)}\n`);
    const none = new StringSink();
    writeRows(none, ['a'], [], 'json');
    assert.equal(none.toString(), '[]\n');
  });
});
