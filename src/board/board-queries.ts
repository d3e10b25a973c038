import { utcDay } from '../core/usage.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { UsageRow } from '../ledger/usage-ops.ts';
import { cardUsage, toUsageView, type UsageView } from './board-usage.ts';
import {
  waitingReasonOf,
  type WaitingAgent,
  type WaitingContext,
  type WaitingReason,
} from './waiting-reason.ts';

/** A task as a card on the board: short texts only, the full task is on its own page. */
export interface TaskSummary {
  id: string;
  seq: number;
  title: string;
  status: string;
  priority: number;
  skills: string[];
  owner: string | null;
  assignee: string | null;
  /** Tries used of `maxAttempts` (retries by a person start the count again). */
  tries: number;
  maxAttempts: number;
  review: boolean;
  progressPct: number | null;
  progressText: string | null;
  question: string | null;
  lastError: string | null;
  key: string | null;
  createdAt: number;
  updatedAt: number;
  waiting: WaitingReason | null;
  /** What the task's attempts reported using, over all of them; null when they reported nothing. */
  usage: UsageView | null;
}

/** An agent on the board. */
export interface AgentView extends WaitingAgent {
  lastHeartbeatAt: number | null;
  pid: number | null;
  /** Registered by a runtime on this host (it recorded a process id); otherwise a remote agent. */
  local: boolean;
  tasks: string[];
  /** Its usage today (UTC, by the ledger's clock); null when it reported none. */
  today: UsageView | null;
  /** Why it claims nothing more today (its daily budget, or the swarm's), or null. */
  hold: string | null;
}

/** Longest text of each kind on a card. */
const CARD_CHARS = { title: 300, progress: 200, question: 300, error: 300 } as const;

/** An agent whose last heartbeat is older than this is shown offline (a killed process says nothing). */
export const AGENT_SILENT_MS = 30_000;

const SUMMARY_COLUMNS = `id, seq, substr(title, 1, ${CARD_CHARS.title}) AS title, status, priority, skills, owner,
  assignee, attempt - attempts_base AS tries, max_attempts, review, progress_pct,
  substr(progress_text, 1, ${CARD_CHARS.progress}) AS progress_text, substr(question, 1, ${CARD_CHARS.question}) AS question,
  substr(last_error, 1, ${CARD_CHARS.error}) AS last_error, waiting_reason, not_before, deps_pending, idempotency_key,
  created_at, updated_at`;

interface SummaryRow {
  id: string;
  seq: number;
  title: string;
  status: string;
  priority: number;
  skills: string;
  owner: string | null;
  assignee: string | null;
  tries: number;
  max_attempts: number;
  review: number;
  progress_pct: number | null;
  progress_text: string | null;
  question: string | null;
  last_error: string | null;
  waiting_reason: string | null;
  not_before: number;
  deps_pending: number;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
}

function parseList(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** Read-only queries behind the board's pages, each a handful of SQL statements whatever the size. */
export class BoardQueries {
  constructor(private readonly ledger: Ledger) {}

  private get core() {
    return this.ledger.core;
  }

  /** The agents with their load, liveness and held tasks. */
  agents(now = this.core.now()): AgentView[] {
    const held = new Map<string, string[]>();
    const rows = this.core
      .sql(
        "SELECT owner, id FROM tasks WHERE status IN ('claimed','blocked') AND owner IS NOT NULL ORDER BY seq",
      )
      .all() as { owner: string; id: string }[];
    for (const r of rows) held.set(r.owner, [...(held.get(r.owner) ?? []), r.id]);
    const day = utcDay(now);
    const spent = new Map(
      this.ledger.usage.byAgentDay({ fromDay: day, toDay: day }).map((r) => [r.agentId, r]),
    );
    const holds = this.ledger.usage.holds(day);
    const swarmHold = holds.find((h) => h.scope === 'swarm');
    return this.ledger.listAgents().map((a) => {
      const today = spent.get(a.id);
      const hold = holds.find((h) => h.scope === 'agent' && h.subject === a.id) ?? swarmHold;
      const tasks = held.get(a.id) ?? [];
      return {
        id: a.id,
        skills: a.skills,
        status: a.status,
        capacity: a.capacity,
        held: tasks.length,
        tasks,
        lastHeartbeatAt: a.lastHeartbeatAt,
        online:
          a.status !== 'offline' && a.lastHeartbeatAt !== null && now - a.lastHeartbeatAt < AGENT_SILENT_MS,
        pid: a.pid,
        local: a.pid !== null,
        today: today && today.reports ? toUsageView(today) : null,
        hold: hold?.reason ?? null,
      };
    });
  }

  /** What waiting reasons are judged against, now. */
  waitingContext(agents: readonly WaitingAgent[] = this.agents()): WaitingContext {
    return { now: this.core.now(), swarmPaused: this.ledger.isSwarmPaused(), agents };
  }

  /** Every task as a card, oldest first. */
  allSummaries(ctx: WaitingContext = this.waitingContext()): TaskSummary[] {
    const rows = this.core.sql(`SELECT ${SUMMARY_COLUMNS} FROM tasks ORDER BY seq`).all() as SummaryRow[];
    const pending = this.pendingDeps();
    const usage = this.ledger.usage.byTask();
    return rows.map((r) => this.toSummary(r, pending, ctx, usage.get(r.id)));
  }

  /** The cards of some tasks (those an event just touched); unknown ids are left out. */
  summaries(ids: readonly string[], ctx: WaitingContext = this.waitingContext()): TaskSummary[] {
    if (!ids.length) return [];
    const out: TaskSummary[] = [];
    const stmt = this.core.sql(`SELECT ${SUMMARY_COLUMNS} FROM tasks WHERE id = ?`);
    for (const id of ids) {
      const row = stmt.get(id) as SummaryRow | undefined;
      if (row) out.push(this.toSummary(row, this.pendingDepsOf(row), ctx, this.ledger.usage.task(id)));
    }
    return out;
  }

  /** Queued tasks' waiting reasons, for the periodic refresh (agents come and go without events). */
  queuedWaiting(ctx: WaitingContext = this.waitingContext()): Map<string, WaitingReason | null> {
    const rows = this.core
      .sql(`SELECT ${SUMMARY_COLUMNS} FROM tasks WHERE status = 'queued' ORDER BY seq`)
      .all() as SummaryRow[];
    const pending = rows.some((r) => r.deps_pending > 0) ? this.pendingDeps() : new Map<string, string[]>();
    return new Map(rows.map((r) => [r.id, this.reason(r, pending.get(r.id) ?? [], ctx)]));
  }

  /** Task id → its dependencies that are not done, for every task that waits on any. */
  private pendingDeps(): Map<string, string[]> {
    const rows = this.core
      .sql(
        `SELECT d.task_id, d.depends_on FROM task_deps d JOIN tasks t ON t.id = d.depends_on
         WHERE t.status != 'done' ORDER BY d.task_id, d.depends_on`,
      )
      .all() as { task_id: string; depends_on: string }[];
    const map = new Map<string, string[]>();
    for (const r of rows) map.set(r.task_id, [...(map.get(r.task_id) ?? []), r.depends_on]);
    return map;
  }

  private pendingDepsOf(row: SummaryRow): Map<string, string[]> {
    if (row.deps_pending === 0) return new Map();
    const deps = this.core
      .sql(
        `SELECT d.depends_on FROM task_deps d JOIN tasks t ON t.id = d.depends_on
         WHERE d.task_id = ? AND t.status != 'done' ORDER BY d.depends_on`,
      )
      .all(row.id) as { depends_on: string }[];
    return new Map([[row.id, deps.map((d) => d.depends_on)]]);
  }

  private reason(r: SummaryRow, pendingDeps: string[], ctx: WaitingContext): WaitingReason | null {
    return waitingReasonOf(
      {
        status: r.status,
        skills: parseList(r.skills),
        assignee: r.assignee,
        notBefore: r.not_before,
        waitingReason: r.waiting_reason,
        pendingDeps: r.deps_pending > 0 ? pendingDeps : [],
      },
      ctx,
    );
  }

  private toSummary(
    r: SummaryRow,
    pending: Map<string, string[]>,
    ctx: WaitingContext,
    usage: UsageRow | undefined,
  ): TaskSummary {
    return {
      id: r.id,
      seq: r.seq,
      title: r.title,
      status: r.status,
      priority: r.priority,
      skills: parseList(r.skills),
      owner: r.owner,
      assignee: r.assignee,
      tries: r.tries,
      maxAttempts: r.max_attempts,
      review: r.review === 1,
      progressPct: r.progress_pct,
      progressText: r.progress_text,
      question: r.question,
      lastError: r.last_error,
      key: r.idempotency_key,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      waiting: this.reason(r, pending.get(r.id) ?? [], ctx),
      usage: cardUsage(usage),
    };
  }
}
