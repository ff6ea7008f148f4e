// SPDX-License-Identifier: GPL-2.0-only
/** walkback upgrade REC: bring a recording written by an older walkback up to this one's schema, in place. */
import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from '../../recorder/migrations.js';
import { SCHEMA_VERSION } from '../../recorder/schema.js';
import { Recording } from '../../replay/open-recording.js';
import { UsageError } from '../errors.js';
import { writeStdout } from '../output.js';

export function upgradeCommand(file: string): void {
  // Opening checks that it is a recording this walkback can read (upgrading a copy if need be).
  const probe = Recording.open(file);
  const from = probe.upgradedFrom;
  probe.close();
  if (from === null) {
    writeStdout(`${file}: already at recording schema ${SCHEMA_VERSION}; nothing to do\n`);
    return;
  }
  const backup = `${file}.schema${from}.bak`;
  if (existsSync(backup)) throw new UsageError(`${backup} exists; move it away first (it may be an earlier backup)`);
  copyFileSync(file, backup);
  const db = new Database(file);
  try {
    migrate(db);
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  writeStdout(`${file}: upgraded from recording schema ${from} to ${SCHEMA_VERSION}; the original is kept as ${backup}\n`);
}
