/**
 * When did each mirrored event become visible? An outbox row is shown when it was sent, when the
 * digest it was merged into was sent, or, for a superseded status row, when the task's next status
 * row was shown (that edit carries the state it would have shown).
 */
import type { Ledger } from '../src/ledger/ledger.ts';

interface Row {
  id: number;
  event_seq: number | null;
  task_id: string | null;
  kind: string;
  status: string;
  merged_into: number | null;
  sent_at: number | null;
}

/** Milliseconds from each mirrored event to the last message that shows it (sent rows only). */
export function eventToMessageDelays(ledger: Ledger): number[] {
  const rows = ledger.db
    .prepare('SELECT id, event_seq, task_id, kind, status, merged_into, sent_at FROM outbox ORDER BY id')
    .all() as Row[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const statusRowsOf = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.kind !== 'status' || r.task_id === null) continue;
    const list = statusRowsOf.get(r.task_id) ?? [];
    list.push(r);
    statusRowsOf.set(r.task_id, list);
  }
  const shownAt = (row: Row): number | undefined => {
    if (row.status === 'sent') return row.sent_at ?? undefined;
    if (row.status === 'merged' && row.merged_into !== null) {
      const digest = byId.get(row.merged_into);
      return digest ? shownAt(digest) : undefined;
    }
    if (row.status === 'superseded' && row.task_id !== null) {
      const next = statusRowsOf.get(row.task_id)?.find((r) => r.id > row.id);
      return next ? shownAt(next) : undefined;
    }
    return undefined;
  };
  const eventAt = new Map(
    (ledger.db.prepare('SELECT seq, at FROM events').all() as { seq: number; at: number }[]).map((e) => [
      e.seq,
      e.at,
    ]),
  );
  const lastShown = new Map<number, number>();
  for (const r of rows) {
    if (r.event_seq === null) continue;
    const t = shownAt(r);
    if (t === undefined) continue;
    lastShown.set(r.event_seq, Math.max(lastShown.get(r.event_seq) ?? 0, t));
  }
  const delays: number[] = [];
  for (const [seq, t] of lastShown) {
    const at = eventAt.get(seq);
    if (at !== undefined) delays.push(t - at);
  }
  return delays;
}
