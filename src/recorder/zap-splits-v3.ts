// SPDX-License-Identifier: GPL-2.0-only
/**
 * Part of the upgrade from schema 3: the splits a client's zap made, stored
 * then as split_pmd / split_pud, become the zap_split detail events that
 * walkback records today (an instrumented mm/pagewalk.c prints no line for
 * them: the split is zap_pmd_range()'s / zap_pud_range()'s, not the walker's).
 *
 * Which splits they are is certain from the stream alone: the walker splits
 * only inside a walk, and a client zaps only between its walks, so a split
 * after a `zap` and before the next `walk` is the zap's. A sweep's branch
 * forks inside a walk, so each run's own events start outside a zap.
 *
 * The page tables change alike either way; only the walker's position does
 * not move with a zap_split, so the checkpoint contexts of a run that had
 * such a split are folded again from its events (tables are untouched).
 * Works on the schema-3 tables (chunks_v3, notable_v3, checkpoints_v3) in
 * place, before the upgrade copies them.
 */
import type Database from 'better-sqlite3';
import { ChunkEncoder, decodeChunk } from '../events/codec.js';
import type { WalkEvent } from '../events/walk-event.js';
import { EVENT_TYPES } from '../events/walk-event.js';
import { geometryOf } from '../mm/geometry.js';
import { ARCHES } from '../mm/geometry.js';
import type { ArchName } from '../mm/geometry.js';
import { asContext, toContext } from '../replay/state-context.js';
import { initialState, StateBuilder } from '../replay/walk-state.js';

interface RunRow {
  readonly id: number;
  readonly parent: number | null;
  readonly forkSeq: number | null;
}

const KIND = (type: string): number => EVENT_TYPES.indexOf(type as (typeof EVENT_TYPES)[number]);

export function reinterpretZapSplits(db: Database.Database): void {
  const meta = new Map((db.prepare('SELECT key, value FROM meta_v3').raw().all() as [string, unknown][]).map(([k, v]) => [k, v]));
  const pageSize = Number(meta.get('page_size'));
  const arch = String(meta.get('arch')) as ArchName;
  // A file that does not say what walkback writes is left as it is: reading it will say it is damaged.
  if (!(ARCHES as readonly string[]).includes(arch) || geometryOf(arch).pageSize !== pageSize) return;
  const runs = db.prepare('SELECT id, parent, fork_seq AS forkSeq FROM runs_v3 ORDER BY id').all() as RunRow[];
  const chunksOf = db.prepare('SELECT first_seq, data FROM chunks_v3 WHERE run = ? ORDER BY first_seq').raw();

  /** A run's own events, decoded, with the zap's splits turned into zap_split. */
  const ownEvents = (run: number): { events: WalkEvent[]; chunks: { first: number; events: WalkEvent[]; changed: boolean }[] } => {
    const chunks: { first: number; events: WalkEvent[]; changed: boolean }[] = [];
    let afterZap = false;
    for (const [first, data] of chunksOf.all(run) as [number, Buffer][]) {
      let changed = false;
      const events = decodeChunk(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), first, pageSize).map((e) => {
        if (e.type === 'zap') afterZap = true;
        else if (e.type === 'walk') afterZap = false;
        else if (afterZap && (e.type === 'split_pmd' || e.type === 'split_pud')) {
          changed = true;
          return { seq: e.seq, type: 'zap_split', level: e.type === 'split_pmd' ? 'pmd' : 'pud', addr: e.addr, value: e.value } as WalkEvent;
        }
        return e;
      });
      chunks.push({ first, events, changed });
    }
    return { events: chunks.flatMap((c) => c.events), chunks };
  };

  const byId = new Map(runs.map((r) => [r.id, r]));
  /** Every event a run replays, from the start: its parents' up to its fork, then its own. */
  const history = (run: RunRow): WalkEvent[] => {
    const own = ownEvents(run.id).events;
    if (run.parent === null) return own;
    const parent = byId.get(run.parent);
    if (!parent) throw new Error(`run ${run.id} names a parent ${run.parent} that the file does not have`);
    return history(parent).filter((e) => e.seq < run.forkSeq!).concat(own);
  };

  const updateChunk = db.prepare('UPDATE chunks_v3 SET data = ? WHERE run = ? AND first_seq = ?');
  const updateNotable = db.prepare(`UPDATE notable_v3 SET kind = ${KIND('zap_split')} WHERE run = ? AND seq = ? AND kind IN (${KIND('split_pmd')}, ${KIND('split_pud')})`);
  const checkpointsOf = db.prepare('SELECT seq, context FROM checkpoints_v3 WHERE run = ? ORDER BY seq').raw();
  const updateContext = db.prepare('UPDATE checkpoints_v3 SET context = ? WHERE run = ? AND seq = ?');
  const encoder = new ChunkEncoder(pageSize);

  for (const run of runs) {
    const { chunks } = ownEvents(run.id);
    if (!chunks.some((c) => c.changed)) continue;
    for (const chunk of chunks) {
      if (!chunk.changed) continue;
      encoder.reset(chunk.first);
      for (const e of chunk.events) encoder.add(e);
      updateChunk.run(Buffer.from(encoder.finish()), run.id, chunk.first);
      for (const e of chunk.events) if (e.type === 'zap_split') updateNotable.run(run.id, e.seq);
    }
    // The walker's position at each checkpoint of this run, folded again (a checkpoint is the state before its event).
    const events = history(run);
    const builder = new StateBuilder(initialState(geometryOf(arch)), { ownTables: true });
    let next = 0;
    for (const [seq, text] of checkpointsOf.all(run.id) as [number, string][]) {
      while (next < events.length && events[next]!.seq < seq) builder.apply(events[next++]!);
      // Only the walker's position changes; the rest stays as stored (a damaged context stays damaged, and is refused).
      let stored: unknown;
      try {
        stored = JSON.parse(text);
      } catch {
        continue;
      }
      if (!asContext(stored)) continue;
      updateContext.run(JSON.stringify({ ...(stored as object), at: toContext(builder.finish()).at }), run.id, seq);
    }
  }
}
