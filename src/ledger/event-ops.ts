import { LedgerError } from '../core/errors.ts';
import type { SwarmEvent } from '../core/types.ts';
import type { EventRow } from './audit-chain.ts';
import type { LedgerCore } from './ledger-core.ts';

/**
 * Events in order, after `afterSeq`, optionally only one task's. An event whose stored data is not a
 * JSON object throws (naming it), or with `tolerant` comes with empty data and the stored text.
 */
export function listEvents(
  core: LedgerCore,
  options: { taskId?: string; afterSeq?: number; tolerant?: boolean },
): SwarmEvent[] {
  const rows = (
    options.taskId
      ? core
          .sql('SELECT * FROM events WHERE task_id = ? AND seq > ? ORDER BY seq')
          .all(options.taskId, options.afterSeq ?? 0)
      : core.sql('SELECT * FROM events WHERE seq > ? ORDER BY seq').all(options.afterSeq ?? 0)
  ) as EventRow[];
  return rows.map((r) => eventOfRow(r, options.tolerant));
}

/**
 * A stored event row as an event. Data that is not a JSON object (only a hand edit of the file
 * makes it so) throws, naming the event; with `tolerant` the event comes with empty data and the
 * stored text in `damagedData` instead (for readers that show or keep what is there: `audit`
 * reports the damage).
 */
export function eventOfRow(r: EventRow, tolerant = false): SwarmEvent {
  const event: SwarmEvent = {
    seq: r.seq,
    at: r.at,
    type: r.type,
    taskId: r.task_id,
    agentId: r.agent_id,
    actor: r.actor,
    data: {},
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  const data = eventDataOf(r.data);
  if (data) event.data = data;
  else if (tolerant) event.damagedData = String(r.data);
  else throw damaged(r.seq);
  return event;
}

/** An event's stored data if it is a JSON object, else undefined (damaged: only a hand edit). */
export function eventDataOf(json: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

const damaged = (seq: number): LedgerError =>
  new LedgerError(
    'ledger_corrupt',
    `event ${seq}: its data is not a JSON object (the file was edited?); chat-swarm audit reports the damage, chat-swarm export keeps the stored text`,
  );

/** Highest event number; changes with every committed state change, from any connection. */
export function lastEventSeq(core: LedgerCore): number {
  return (core.sql('SELECT MAX(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
}
