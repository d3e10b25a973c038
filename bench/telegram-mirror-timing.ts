import type Database from 'better-sqlite3';

interface OutboxTimingRow {
  id: number;
  kind: string;
  event_seq: number | null;
  task_id: string | null;
  status: string;
  merged_into: number | null;
  sent_at: number | null;
}

/** When each mirrored event became visible in the chat, and when each task was fully shown. */
export interface MirrorTiming {
  /** Event seq → (time visible − event time), ms. */
  eventDelays: Map<number, number>;
  /** Task id → time its last event became visible, ms since the epoch. */
  taskShownAt: Map<string, number>;
  /** Mirrored events whose messages never went out (should be none). */
  unseen: number[];
}

/**
 * Reads from the outbox when each event's messages became readable: posted rows at their `sent_at`,
 * rows merged into a digest when the digest went out, superseded status rows when the next status
 * row of the task did (alone or in a digest). An event counts once all its rows are readable.
 */
export function mirrorTiming(db: Database.Database): MirrorTiming {
  const rows = db
    .prepare('SELECT id, kind, event_seq, task_id, status, merged_into, sent_at FROM outbox ORDER BY id')
    .all() as OutboxTimingRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const shown = (r: OutboxTimingRow | undefined): number | undefined => {
    if (!r) return undefined;
    if (r.status === 'sent') return r.sent_at ?? undefined;
    if (r.status === 'merged') return shown(byId.get(r.merged_into ?? -1));
    return undefined;
  };
  const statusRows = new Map<string, OutboxTimingRow[]>();
  for (const r of rows)
    if (r.kind === 'status' && r.task_id)
      statusRows.set(r.task_id, [...(statusRows.get(r.task_id) ?? []), r]);
  const shownAt = (r: OutboxTimingRow): number | undefined => {
    if (r.status !== 'superseded') return shown(r);
    const later = (statusRows.get(r.task_id ?? '') ?? []).filter((s) => s.id > r.id);
    const times = later.map(shown).filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  };

  const events = db.prepare('SELECT seq, at, task_id FROM events WHERE mirrored = 1').all() as {
    seq: number;
    at: number;
    task_id: string | null;
  }[];
  const rowsByEvent = new Map<number, OutboxTimingRow[]>();
  for (const r of rows)
    if (r.event_seq !== null) rowsByEvent.set(r.event_seq, [...(rowsByEvent.get(r.event_seq) ?? []), r]);
  const timing: MirrorTiming = { eventDelays: new Map(), taskShownAt: new Map(), unseen: [] };
  for (const e of events) {
    const times = (rowsByEvent.get(e.seq) ?? []).map(shownAt);
    if (!times.length || times.some((t) => t === undefined)) {
      timing.unseen.push(e.seq);
      continue;
    }
    const at = Math.max(...(times as number[]));
    timing.eventDelays.set(e.seq, at - e.at);
    if (e.task_id) timing.taskShownAt.set(e.task_id, Math.max(at, timing.taskShownAt.get(e.task_id) ?? 0));
  }
  return timing;
}
