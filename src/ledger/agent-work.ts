import type { LedgerCore } from './ledger-core.ts';
import { OUTBOX_PRIORITY } from './outbox-payload.ts';
import { addOutboxRow } from './outbox-queue.ts';

/** Why an agent still has something to do, naming one task; see {@link workLeftFor}. */
export interface WorkLeft {
  /**
   * `held`: it holds the task; `claimable`: it could claim it now, or once a retry backoff ends;
   * `waiting`: once its dependencies are done; `stalled`: another agent holds it but has gone silent
   * (no heartbeat for a third of its lease), so the lease will likely run out and requeue it.
   */
  kind: 'held' | 'claimable' | 'waiting' | 'stalled';
  taskId: string;
}

// Tasks this agent may take: every skill is one of its skills, and unassigned or assigned to it.
const FITS = `(assignee IS NULL OR assignee = ?)
  AND NOT EXISTS (SELECT 1 FROM json_each(tasks.skills) s WHERE s.value NOT IN (SELECT value FROM json_each(?)))`;
const TAKEABLE = `status = 'queued' AND ${FITS}`;

// Held by another agent whose attempt has missed its heartbeats (they come every third of the lease).
const STALLED_SQL = `SELECT tasks.id FROM tasks JOIN attempts a ON a.task_id = tasks.id AND a.attempt = tasks.attempt
  WHERE tasks.status IN ('claimed', 'blocked') AND tasks.owner <> ? AND ${FITS}
    AND ? - a.last_heartbeat_at > (tasks.lease_expires_at - a.last_heartbeat_at) / 3
  ORDER BY tasks.seq LIMIT 1`;

// A dependency, at any depth through unfinished tasks, that failed or was cancelled: the task cannot
// run until a person retries or cancels something, so it is not work an agent can wait for.
const STUCK_SQL = `WITH RECURSIVE up(id) AS (
    SELECT depends_on FROM task_deps WHERE task_id = ?
    UNION
    SELECT d.depends_on FROM up JOIN tasks t ON t.id = up.id AND t.status <> 'done'
      JOIN task_deps d ON d.task_id = up.id
  )
  SELECT 1 FROM up JOIN tasks t ON t.id = up.id WHERE t.status IN ('failed', 'cancelled') LIMIT 1`;

/**
 * What an agent could still do: a task it holds, a queued task it could claim now or after a retry
 * backoff, or one waiting on dependencies that can still finish. Undefined when nothing remains, so
 * `agent --until-idle` may exit. Tasks that live agents hold, tasks under review and tasks stuck
 * behind a failed or cancelled dependency do not count; a task held by an agent that went silent
 * does (its lease will requeue it); a pause does not end the work (it waits for the resume).
 */
export function workLeftFor(core: LedgerCore, agent: { id: string; skills: string[] }): WorkLeft | undefined {
  const held = core
    .sql("SELECT id FROM tasks WHERE owner = ? AND status IN ('claimed', 'blocked') LIMIT 1")
    .get(agent.id) as { id: string } | undefined;
  if (held) return { kind: 'held', taskId: held.id };
  const skills = JSON.stringify(agent.skills);
  const ready = core
    .sql(`SELECT id FROM tasks WHERE ${TAKEABLE} AND deps_pending = 0 ORDER BY priority DESC, seq LIMIT 1`)
    .get(agent.id, skills) as { id: string } | undefined;
  if (ready) return { kind: 'claimable', taskId: ready.id };
  const waiting = core
    .sql(
      `SELECT id FROM tasks WHERE ${TAKEABLE} AND deps_pending > 0 AND waiting_reason IS NULL ORDER BY seq`,
    )
    .all(agent.id, skills) as { id: string }[];
  const stuck = core.sql(STUCK_SQL);
  const live = waiting.find((row) => stuck.get(row.id) === undefined);
  if (live !== undefined) return { kind: 'waiting', taskId: live.id };
  const stalled = core.sql(STALLED_SQL).get(agent.id, agent.id, skills, core.now()) as
    { id: string } | undefined;
  return stalled === undefined ? undefined : { kind: 'stalled', taskId: stalled.id };
}

/** A queued task as far as staffing goes: what it needs and who it is for. */
export interface QueuedNeeds {
  id: string;
  status: 'queued';
  skills: string[];
  assignee: string | null;
}

/** Every queued task's skills and assignee, read without loading whole rows. */
export function queuedNeeds(core: LedgerCore): QueuedNeeds[] {
  const rows = core
    .sql(
      "SELECT id, skills, assignee FROM tasks WHERE status = 'queued' AND waiting_reason IS NULL ORDER BY seq",
    )
    .all() as { id: string; skills: string; assignee: string | null }[];
  return rows.map((r) => ({
    id: r.id,
    status: 'queued',
    skills: JSON.parse(r.skills) as string[],
    assignee: r.assignee,
  }));
}

/**
 * Queues a refresh of these tasks' status messages on these channels, by default every channel (no
 * event: nothing about the task changed, only what the swarm around it can do, or the chat it is
 * shown in). A pending refresh is replaced, not repeated.
 */
export function refreshStatusMessages(
  core: LedgerCore,
  taskIds: readonly string[],
  channels: readonly string[] = core.channels(),
): void {
  if (taskIds.length === 0) return;
  core.write(() => {
    for (const channel of channels) {
      for (const taskId of taskIds)
        addOutboxRow(core, channel, 'status', OUTBOX_PRIORITY.low, { text: '' }, { taskId });
    }
  });
}
