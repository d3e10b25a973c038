import type Database from 'better-sqlite3';
import { storedQueuedCursor } from './outbox-queue.ts';

interface MirrorRow {
  id: number;
  event_seq: number;
  channel: string;
  kind: string;
  task_id: string | null;
  status: string;
  merged_into: number | null;
  last_error: string | null;
}

/** A mirror problem: `mirror` when a message failed or is missing, `pending` when not posted yet. */
export interface MirrorProblem {
  seq: number;
  kind: 'mirror' | 'pending';
  problem: string;
}

/**
 * Checks that every event meant for the channel reached it: posted, merged into a posted digest, or
 * superseded by a later status message that was posted, alone or in a digest.
 */
export function checkMirror(db: Database.Database, mirroredSeqs: readonly number[]): MirrorProblem[] {
  const problems: MirrorProblem[] = [];
  const digestSent = db.prepare("SELECT 1 FROM outbox WHERE id = ? AND status = 'sent'");
  // A later status row shows the task's live state, whether it went out alone or as a digest line.
  const laterStatusSent = db.prepare(
    `SELECT 1 FROM outbox o WHERE o.channel = ? AND o.task_id = ? AND o.kind = 'status' AND o.id > ?
       AND (o.status = 'sent' OR (o.status = 'merged' AND EXISTS
         (SELECT 1 FROM outbox d WHERE d.id = o.merged_into AND d.status = 'sent'))) LIMIT 1`,
  );
  const prunedThrough = prunedOutboxThrough(db);
  const queuedThrough = outboxQueuedThrough(db);
  // One pass over the outbox in event order beside the (ascending) mirrored events: the outbox has
  // no index on event_seq, which every state change would otherwise pay a page write for.
  const rows = db
    .prepare<[], MirrorRow>(
      `SELECT id, event_seq, channel, kind, task_id, status, merged_into, last_error FROM outbox
         WHERE event_seq IS NOT NULL ORDER BY event_seq, id`,
    )
    .iterate();
  let next = rows.next();
  try {
    for (const seq of mirroredSeqs) {
      while (!next.done && next.value.event_seq < seq) next = rows.next();
      const ofSeq: MirrorRow[] = [];
      while (!next.done && next.value.event_seq === seq) {
        ofSeq.push(next.value);
        next = rows.next();
      }
      if (ofSeq.length === 0) {
        if (seq <= prunedThrough) continue;
        if (seq > queuedThrough) {
          problems.push({
            seq,
            kind: 'pending',
            problem: 'not posted yet (not even queued: no poster has looked since)',
          });
          continue;
        }
        problems.push({ seq, kind: 'mirror', problem: 'meant for the channel but has no outbox row' });
        continue;
      }
      for (const r of ofSeq) {
        const where = `${r.kind} message on ${r.channel}`;
        if (r.status === 'sent') continue;
        if (r.status === 'merged' && r.merged_into !== null && digestSent.get(r.merged_into)) continue;
        if (r.status === 'superseded' && laterStatusSent.get(r.channel, r.task_id, r.id)) continue;
        if (r.status === 'failed')
          problems.push({
            seq,
            kind: 'mirror',
            problem: `${where} failed to post: ${r.last_error ?? 'unknown error'}`,
          });
        else problems.push({ seq, kind: 'pending', problem: `${where} not posted yet (${r.status})` });
      }
    }
  } finally {
    // Ends the statement's read if the loop stopped early (an exception).
    rows.return?.();
  }
  return problems;
}

/**
 * The last event whose outbox rows are queued (outbox-queue.ts); later ones have none yet. A ledger
 * from before migration 8 (audited read-only, so not upgraded) wrote every event's rows with it.
 */
function outboxQueuedThrough(db: Database.Database): number {
  const seq = storedQueuedCursor(db);
  if (seq !== undefined) return seq;
  return (db.pragma('user_version', { simple: true }) as number) < 8 ? Infinity : 0;
}

/**
 * `prune` deletes old channel rows and records, in the chain, the last event whose rows went
 * (`outboxThroughSeq` of a `ledger_pruned` event); 0 when there was no prune.
 */
function prunedOutboxThrough(db: Database.Database): number {
  let through = 0;
  const rows = db.prepare("SELECT data FROM events WHERE type = 'ledger_pruned'").all() as { data: string }[];
  for (const { data } of rows) {
    try {
      const seq = (JSON.parse(data) as { outboxThroughSeq?: unknown }).outboxThroughSeq;
      if (typeof seq === 'number') through = Math.max(through, seq);
    } catch {
      // An unreadable event is the chain check's business; it prunes nothing here.
    }
  }
  return through;
}
