// SPDX-License-Identifier: GPL-2.0-only
/**
 * Whether a recording's writer is alive, as the kernel knows it: the writer
 * holds an exclusive SQLite (POSIX fcntl) lock on an empty side file,
 * REC-lock, from before it creates the recording until it closes it. The
 * kernel drops a process's locks when it dies, whatever happens next: a
 * writer killed with SIGKILL, left a zombie by a parent that does not reap
 * it, or whose pid is later reused by another process is seen as gone at
 * once. (The pid and host in meta are for people, not the test of life.)
 *
 * The side file stays empty (its journal is in memory and nothing is ever
 * committed to it); a writer that dies leaves it behind, unlocked, and the
 * next writer of the same recording takes it over. SQLite arbitrates the lock
 * between connections of one process too, so a reader in the writer's own
 * process sees it held.
 */
import { realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** The side file whose lock says a writer is at work on `file`; the same path however the recording is named (links, relative paths). */
export function writerLockPath(file: string): string {
  let dir = dirname(file);
  let name = basename(file);
  try {
    // The recording itself, if it exists (a link to it locks and tests its target's side file).
    const real = realpathSync(file);
    dir = dirname(real);
    name = basename(real);
  } catch {
    try {
      dir = realpathSync(dir);
    } catch {
      // No such directory: the path as given.
    }
  }
  return join(dir, `${name}-lock`);
}

/** A lock held for a writer's lifetime; release() once the recording is closed. */
export interface WriterLock {
  release(): void;
}

/** Take the writer lock of `file`, or throw if another process holds it. */
export function acquireWriterLock(file: string): WriterLock {
  const path = writerLockPath(file);
  const take = (): Database.Database => {
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('journal_mode = MEMORY');
      db.exec('BEGIN EXCLUSIVE');
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  };
  let db: Database.Database;
  try {
    db = take();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw new Error(`another process is writing ${file} (it holds ${path})`);
    // Not an (empty) SQLite file: a stray file of that name, never a live writer's. Start it afresh.
    rmSync(path, { force: true });
    db = take();
  }
  return {
    release: () => {
      if (!db.open) return;
      rmSync(path, { force: true });
      db.close();
    },
  };
}

/** Whether a process holds the writer lock of `file` (this one included). */
export function writerLockHeld(file: string): boolean {
  let db: Database.Database;
  try {
    db = new Database(writerLockPath(file), { readonly: true, fileMustExist: true, timeout: 0 });
  } catch {
    // No side file: no writer (finished, or from a walkback that did not lock).
    return false;
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'SQLITE_BUSY';
  } finally {
    db.close();
  }
}
