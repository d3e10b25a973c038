import type { SwarmEvent } from '../core/types.ts';
import type { EventRow } from './audit-chain.ts';
import type { LedgerCore } from './ledger-core.ts';

/** Events in order, after `afterSeq`, optionally only one task's. */
export function listEvents(core: LedgerCore, options: { taskId?: string; afterSeq?: number }): SwarmEvent[] {
  const rows = (
    options.taskId
      ? core
          .sql('SELECT * FROM events WHERE task_id = ? AND seq > ? ORDER BY seq')
          .all(options.taskId, options.afterSeq ?? 0)
      : core.sql('SELECT * FROM events WHERE seq > ? ORDER BY seq').all(options.afterSeq ?? 0)
  ) as EventRow[];
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at,
    type: r.type,
    taskId: r.task_id,
    agentId: r.agent_id,
    actor: r.actor,
    data: JSON.parse(r.data) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

/** Highest event number; changes with every committed state change, from any connection. */
export function lastEventSeq(core: LedgerCore): number {
  return (core.sql('SELECT MAX(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
}
