import type { LedgerCore } from './ledger-core.ts';
import { withEventsQueued } from './outbox-queue.ts';

/** What `prune` removes: rows older than `cutoffMs` (ledger clock) that nothing still needs. */
export interface PruneRequest {
  cutoffMs: number;
  /** Count what would go, change nothing. */
  dryRun: boolean;
  actor: string;
}

export interface PruneReport {
  /** Agents not heard from since the cutoff, holding and assigned no open task, not paused. */
  agents: string[];
  inboxRows: number;
  /** Outbox rows of finished tasks (or none) that were sent, merged into a sent digest, superseded or failed. */
  outboxRows: number;
  /** Highest event whose channel rows went; audit accepts a missing row for events up to it. */
  outboxThroughSeq: number | null;
}

/** The event that records a prune in the hash chain (never mirrored to the channel). */
export const PRUNE_EVENT = 'ledger_pruned';

class DryRun extends Error {
  constructor(readonly report: PruneReport) {
    super('dry run');
  }
}

const OPEN = "('queued','claimed','blocked','review')";

// Rows the poster is done with, of tasks that will not change again (or of no task): a reply to
// them can no longer need the question's message id. Never a pending row.
const PRUNABLE_OUTBOX = `
  FROM outbox o WHERE o.created_at < ?
    AND (o.status IN ('sent','superseded','failed')
      OR (o.status = 'merged' AND NOT EXISTS
        (SELECT 1 FROM outbox d WHERE d.id = o.merged_into AND d.status = 'pending')))
    AND (o.task_id IS NULL OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = o.task_id AND t.status IN ${OPEN}))`;

/**
 * Removes offline agents, handled inbox rows and finished outbox rows older than the cutoff, in one
 * transaction, and records what it removed as an event: the event chain itself is never touched.
 */
export function pruneLedger(core: LedgerCore, request: PruneRequest): PruneReport {
  const { cutoffMs } = request;
  try {
    // Every event's rows exist before any go: an unqueued event would otherwise look pruned.
    return withEventsQueued(
      core,
      () => {
        const agents = (
          core
            .sql(
              `SELECT id FROM agents a WHERE a.status != 'paused'
               AND (a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ?) AND a.registered_at < ?
               AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.status IN ${OPEN} AND (t.owner = a.id OR t.assignee = a.id))
             ORDER BY id`,
            )
            .all(cutoffMs, cutoffMs) as { id: string }[]
        ).map((r) => r.id);
        const through = core.sql(`SELECT MAX(o.event_seq) AS s ${PRUNABLE_OUTBOX}`).get(cutoffMs) as {
          s: number | null;
        };
        const outboxRows = core
          .sql(`DELETE FROM outbox WHERE id IN (SELECT o.id ${PRUNABLE_OUTBOX})`)
          .run(cutoffMs).changes;
        const inboxRows = core
          .sql("DELETE FROM inbox WHERE received_at < ? AND outcome IS NOT NULL AND outcome != 'deferred'")
          .run(cutoffMs).changes;
        const remove = core.sql('DELETE FROM agents WHERE id = ?');
        for (const id of agents) remove.run(id);
        const report: PruneReport = { agents, inboxRows, outboxRows, outboxThroughSeq: through.s };
        if (request.dryRun) throw new DryRun(report);
        if (agents.length || inboxRows || outboxRows) {
          core.appendEvent({ type: PRUNE_EVENT, actor: request.actor, data: { cutoffMs, ...report } });
        }
        return report;
      },
      request.dryRun,
    );
  } catch (err) {
    // A dry run does the same work and rolls it back, so its counts are exactly what a prune removes.
    if (err instanceof DryRun) return err.report;
    throw err;
  }
}
