import type { Attempt, SwarmEvent, Task } from '../core/types.ts';
import type { EventRow } from '../ledger/audit.ts';
import { eventOfRow } from '../ledger/event-ops.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { artifactRefs, type ArtifactRef } from './artifact-file.ts';
import type { BoardQueries } from './board-queries.ts';
import { taskUsageView, type TaskUsageView } from './board-usage.ts';
import { chatLinkOf, type ChatLinkTarget } from './chat-link.ts';
import type { WaitingReason } from './waiting-reason.ts';

/** A related task (a dependency or a dependent) as a line on the task page. */
export interface RelatedTask {
  id: string;
  title: string;
  status: string;
}

/** An event on a page or in the stream: its fields, with long texts cut. */
export interface EventView {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  agentId: string | null;
  actor: string;
  data: Record<string, unknown>;
}

/** Everything the task page shows. */
export interface TaskDetail {
  task: Task;
  answer: string | null;
  waiting: WaitingReason | null;
  attempts: Attempt[];
  dependsOn: RelatedTask[];
  dependents: RelatedTask[];
  events: EventView[];
  /** True when older events were left out of `events`. */
  eventsCut: boolean;
  artifacts: (Omit<ArtifactRef, 'path' | 'sha256'> & { url: string })[];
  chatLink: string | null;
  /** What the task cost: total, budget, each attempt's usage and CLI session (as `task show`). */
  usage: TaskUsageView;
}

/** Most events a task page lists (the newest); a task that reported progress for days has thousands. */
export const MAX_PAGE_EVENTS = 500;
/** Longest text of one event field on a page or in the stream. */
const EVENT_TEXT_CHARS = 4_000;

/** The event with long strings cut, so one huge result cannot bloat every page that shows it. */
export function toEventView(
  e: Pick<SwarmEvent, 'seq' | 'at' | 'type' | 'taskId' | 'agentId' | 'actor' | 'data'>,
  chars = EVENT_TEXT_CHARS,
): EventView {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.data)) {
    if (k === 'artifacts' && Array.isArray(v))
      data[k] = v.map((a: unknown) =>
        typeof a === 'object' && a !== null && 'name' in a ? String(a.name) : String(a).split('/').pop(),
      );
    else data[k] = typeof v === 'string' && v.length > chars ? `${v.slice(0, chars)}…` : v;
  }
  return { seq: e.seq, at: e.at, type: e.type, taskId: e.taskId, agentId: e.agentId, actor: e.actor, data };
}

interface AttemptRow {
  task_id: string;
  attempt: number;
  agent_id: string;
  started_at: number;
  lease_expires_at: number;
  ended_at: number | null;
  outcome: Attempt['outcome'];
  error: string | null;
}

/** Every event of a task that recorded artifacts (they are never cut off the page's download list). */
export function taskArtifacts(ledger: Ledger, taskId: string): ArtifactRef[] {
  const rows = ledger.core
    .sql("SELECT * FROM events WHERE task_id = ? AND json_type(data, '$.artifacts') = 'array' ORDER BY seq")
    .all(taskId) as EventRow[];
  return artifactRefs(rows.map((r) => eventOfRow(r, true)));
}

/** The task page's data, or undefined for an unknown task. */
export function taskDetail(
  ledger: Ledger,
  queries: BoardQueries,
  id: string,
  link: { target: ChatLinkTarget; channel: string },
): TaskDetail | undefined {
  const core = ledger.core;
  return core.db
    .transaction(() => {
      const task = ledger.getTask(id);
      if (!task) return undefined;
      const row = core.taskRow(id);
      const related = (sql: string): RelatedTask[] =>
        (core.sql(sql).all(id) as { id: string; title: string; status: string }[]).map((r) => ({
          id: r.id,
          title: r.title.slice(0, 300),
          status: r.status,
        }));
      const attempts = (
        core.sql('SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt').all(id) as AttemptRow[]
      ).map((a) => ({
        taskId: a.task_id,
        attempt: a.attempt,
        agentId: a.agent_id,
        startedAt: a.started_at,
        leaseExpiresAt: a.lease_expires_at,
        endedAt: a.ended_at,
        outcome: a.outcome,
        error: a.error,
      }));
      const newest = core
        .sql('SELECT * FROM events WHERE task_id = ? ORDER BY seq DESC LIMIT ?')
        .all(id, MAX_PAGE_EVENTS + 1) as EventRow[];
      const eventsCut = newest.length > MAX_PAGE_EVENTS;
      const events = newest
        .slice(0, MAX_PAGE_EVENTS)
        .reverse()
        .map((r) => eventOfRow(r, true))
        .map((e) => toEventView(e));
      const message = ledger.outbox.taskMessage(id, link.channel);
      const [summary] = queries.summaries([id]);
      return {
        task,
        answer: row?.answer ?? null,
        waiting: summary?.waiting ?? null,
        attempts,
        dependsOn: related(
          'SELECT t.id, t.title, t.status FROM task_deps d JOIN tasks t ON t.id = d.depends_on WHERE d.task_id = ? ORDER BY t.seq',
        ),
        dependents: related(
          'SELECT t.id, t.title, t.status FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? ORDER BY t.seq',
        ),
        events,
        eventsCut,
        artifacts: taskArtifacts(ledger, id).map((a) => ({
          seq: a.seq,
          index: a.index,
          name: a.name,
          bytes: a.bytes,
          url: `/api/tasks/${encodeURIComponent(id)}/artifacts/${a.seq}/${a.index}`,
        })),
        chatLink: message ? chatLinkOf(link.target, message.messageId) : null,
        usage: taskUsageView(ledger, task.id, task.attempt),
      };
    })
    .deferred();
}
