// A spread into a call's arguments (Math.max(...xs), out.push(...xs)) puts every
// element on the stack: past a hundred thousand or so, V8 throws "Maximum call
// stack size exceeded" (walkback sql of 200k rows did, through Math.max). No
// code in src/ spreads an array into a call; the one exception is forwarding a
// function's own rest parameter, which holds only what its caller spelt out.
// Read with the TypeScript parser, so that array literals ([...a, ...b], which
// do not use the stack) and rest parameters are told apart from calls.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT } from '../../helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Is `name` a rest parameter of a function around `node`? */
function isRestParameter(node: ts.Node, name: string): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent)
    if (ts.isFunctionLike(n) && n.parameters.some((p) => p.dotDotDotToken && ts.isIdentifier(p.name) && p.name.text === name)) return true;
  return false;
}

export function spreadArguments(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments)
      for (const arg of node.arguments)
        if (ts.isSpreadElement(arg) && !(ts.isIdentifier(arg.expression) && isRestParameter(arg, arg.expression.text))) {
          const { line } = source.getLineAndCharacterOfPosition(arg.getStart());
          found.push(`${file}:${line + 1}: ${node.getText().slice(0, 80)}`);
        }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('arrays spread into calls', () => {
  it('the check finds them, and leaves array literals and forwarded rest parameters alone', () => {
    const text = 'const a = Math.max(...xs); out.push(1, ...rows.map(f)); const b = [...xs, ...ys]; const f = (...c: string[]) => g(...c); new Set(...s);';
    assert.equal(spreadArguments('x.ts', text).length, 3);
  });

  it('no file of src/ has one', () => {
    const found = sources(join(ROOT, 'src')).flatMap((file) => spreadArguments(relative(ROOT, file), readFileSync(file, 'utf8')));
    assert.deepEqual(found, []);
  });
});
