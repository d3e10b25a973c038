import { LedgerError } from '../core/errors.ts';
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
  return rows.map((r) => eventOfRow(r));
}

/**
 * A stored event row as an event. Data that is not a JSON object (only a hand edit of the file
 * makes it so) throws, naming the event; with `tolerant` the event comes without its data instead
 * (for views that show what is there: `audit` reports the damage).
 */
export function eventOfRow(r: EventRow, tolerant = false): SwarmEvent {
  return {
    seq: r.seq,
    at: r.at,
    type: r.type,
    taskId: r.task_id,
    agentId: r.agent_id,
    actor: r.actor,
    data: eventDataOf(r, tolerant),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function eventDataOf(r: EventRow, tolerant: boolean): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.data);
  } catch (cause) {
    if (tolerant) return {};
    throw damaged(r.seq, cause);
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
    return parsed as Record<string, unknown>;
  if (tolerant) return {};
  throw damaged(r.seq);
}

const damaged = (seq: number, cause?: unknown): LedgerError =>
  new LedgerError(
    'ledger_corrupt',
    `event ${seq}: its data is not a JSON object (the file was edited?); chat-swarm audit reports the damage`,
    cause === undefined ? undefined : { cause },
  );

/** Highest event number; changes with every committed state change, from any connection. */
export function lastEventSeq(core: LedgerCore): number {
  return (core.sql('SELECT MAX(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
}
