import type Database from 'better-sqlite3';
import { GENESIS_HASH, hashEvent } from './event-hash.ts';

export interface AuditProblem {
  seq: number | null;
  /** chain: the log was altered; mirror: a message failed or is missing; pending: not posted yet. */
  kind: 'chain' | 'mirror' | 'pending';
  problem: string;
}

export interface AuditReport {
  events: number;
  mirroredEvents: number;
  problems: AuditProblem[];
}

/** A row of the events table as better-sqlite3 returns it. */
export interface EventRow {
  seq: number;
  at: number;
  type: string;
  task_id: string | null;
  agent_id: string | null;
  actor: string;
  data: string;
  mirrored: number;
  prev_hash: string;
  hash: string;
}

interface MirrorRow {
  id: number;
  channel: string;
  kind: string;
  task_id: string | null;
  status: string;
  merged_into: number | null;
  last_error: string | null;
}

/**
 * Verifies the ledger: the event chain is unbroken (no event edited, inserted or removed after the
 * fact) and every event meant for the channel reached it (posted, merged into a posted digest, or
 * superseded by a later status message that was posted, alone or in a digest).
 */
export function auditLedger(db: Database.Database): AuditReport {
  const problems: AuditProblem[] = [];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  let mirroredEvents = 0;
  const mirroredSeqs: number[] = [];
  // `prune` deletes old channel rows and records, in the chain, the last event whose rows went.
  let prunedThrough = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY seq').iterate() as IterableIterator<EventRow>) {
    events++;
    if (row.seq !== expectedSeq)
      problems.push({
        seq: row.seq,
        kind: 'chain',
        problem: `expected event ${expectedSeq} here: events are missing`,
      });
    if (row.prev_hash !== prevHash)
      problems.push({ seq: row.seq, kind: 'chain', problem: 'previous-hash link broken' });
    const computed = hashEvent(row.prev_hash, {
      seq: row.seq,
      at: row.at,
      type: row.type,
      taskId: row.task_id,
      agentId: row.agent_id,
      actor: row.actor,
      dataJson: row.data,
    });
    if (computed !== row.hash)
      problems.push({
        seq: row.seq,
        kind: 'chain',
        problem: `contents do not match the hash (edited after the fact?)`,
      });
    if (row.type === 'ledger_pruned') prunedThrough = Math.max(prunedThrough, prunedSeqOf(row.data));
    if (row.mirrored === 1) {
      mirroredEvents++;
      mirroredSeqs.push(row.seq);
    }
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
  }

  const rowsOf = db.prepare(
    'SELECT id, channel, kind, task_id, status, merged_into, last_error FROM outbox WHERE event_seq = ?',
  );
  const digestSent = db.prepare("SELECT 1 FROM outbox WHERE id = ? AND status = 'sent'");
  // A later status row shows the task's live state, whether it went out alone or as a digest line.
  const laterStatusSent = db.prepare(
    `SELECT 1 FROM outbox o WHERE o.channel = ? AND o.task_id = ? AND o.kind = 'status' AND o.id > ?
       AND (o.status = 'sent' OR (o.status = 'merged' AND EXISTS
         (SELECT 1 FROM outbox d WHERE d.id = o.merged_into AND d.status = 'sent'))) LIMIT 1`,
  );
  for (const seq of mirroredSeqs) {
    const rows = rowsOf.all(seq) as MirrorRow[];
    if (rows.length === 0) {
      if (seq <= prunedThrough) continue;
      problems.push({ seq, kind: 'mirror', problem: 'meant for the channel but has no outbox row' });
      continue;
    }
    for (const r of rows) {
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
  return { events, mirroredEvents, problems };
}

/** The `outboxThroughSeq` a prune event recorded (0 when unreadable). */
function prunedSeqOf(dataJson: string): number {
  try {
    const seq = (JSON.parse(dataJson) as { outboxThroughSeq?: unknown }).outboxThroughSeq;
    return typeof seq === 'number' ? seq : 0;
  } catch {
    return 0;
  }
}
