// SPDX-License-Identifier: GPL-2.0-only
/** A bad scenario: where it is (file, line, column, field), what is wrong, and how to fix it. */
export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number | null;
  readonly col: number | null;
  /** The field, as a path: walk.ops.pte_entry[1].at */
  readonly field: string | null;
  readonly problem: string;

  constructor(problem: string, where: { file: string; line?: number | null; col?: number | null; field?: string | null }) {
    const position = where.line ? `:${where.line}:${where.col ?? 1}` : '';
    const field = where.field ? ` ${where.field}:` : '';
    super(`${where.file}${position}:${field} ${problem}`);
    this.name = 'ScenarioError';
    this.file = where.file;
    this.line = where.line ?? null;
    this.col = where.col ?? null;
    this.field = where.field ?? null;
    this.problem = problem;
  }
}

/** Render a field path the way a user writes it: walk.ops.pte_entry[1].at */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
