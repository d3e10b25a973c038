import { utcDay, type Budget, type UsageReport, type UsageTotals } from '../core/usage.ts';
import type { LedgerCore } from './ledger-core.ts';

/** The attempt a usage report belongs to (the same fields as the ledger's AttemptRef). */
type UsageRef = { taskId: string; attempt: number; agentId: string };

/** Usage totals of a group (a task, an agent's day, a day), as the read API returns them. */
export interface UsageRow extends UsageTotals {
  /** Newest model reported in the group, if any. */
  model: string | null;
}

/** What a budget hold stops: one agent, or the whole swarm, for one UTC day. */
export interface BudgetHold {
  scope: 'agent' | 'swarm';
  /** The agent id, or `swarm`. */
  subject: string;
  day: string;
  reason: string;
  at: number;
}

const SUMS = `COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens,
  COALESCE(SUM(cached_input_tokens), 0) AS cachedInputTokens, COALESCE(SUM(cost_usd), 0) AS costUsd,
  COALESCE(SUM(reports), 0) AS reports`;

type SumRow = UsageTotals & { model?: string | null };

const toRow = (r: SumRow | undefined): UsageRow => ({
  inputTokens: r?.inputTokens ?? 0,
  outputTokens: r?.outputTokens ?? 0,
  cachedInputTokens: r?.cachedInputTokens ?? 0,
  costUsd: r?.costUsd ?? 0,
  reports: r?.reports ?? 0,
  model: r?.model ?? null,
});

/** Bounds of a day range for the read API (inclusive, `YYYY-MM-DD`). */
export interface DayRange {
  fromDay?: string;
  toDay?: string;
}

/**
 * Usage and cost per attempt, the attempts' CLI sessions, task budgets and daily budget holds
 * (migration 5). Usage is not written as events (a chatty worker would flood the chain); its total
 * is written into the attempt's outcome event instead, so the chain still records what a result cost.
 */
export class UsageStore {
  constructor(
    private readonly core: LedgerCore,
    private readonly mask: (text: string) => string,
  ) {}

  private tablesSeen = false;
  /**
   * Whether this ledger has the usage tables: a ledger opened read-only is not migrated, so one
   * written by an older chat-swarm has none, and reads then return nothing rather than fail.
   */
  private get ready(): boolean {
    this.tablesSeen ||=
      this.core.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attempt_usage'").get() !==
      undefined;
    return this.tablesSeen;
  }

  /**
   * Adds one report to the attempt's usage for today (UTC). Not fenced: a late report from an
   * attempt that lost its lease still cost money and is counted. False when no such attempt by that
   * agent exists (nothing recorded). `costUsd` is the dollars to record (priced by the caller).
   */
  record(ref: UsageRef, report: UsageReport & { costUsd: number }): boolean {
    return this.core.write(() => {
      const known = this.core
        .sql('SELECT 1 FROM attempts WHERE task_id = ? AND attempt = ? AND agent_id = ?')
        .get(ref.taskId, ref.attempt, ref.agentId);
      if (!known) return false;
      const now = this.core.now();
      const model = report.model === undefined ? null : this.mask(report.model);
      this.core
        .sql(
          `INSERT INTO attempt_usage (task_id, attempt, day, agent_id, input_tokens, output_tokens,
             cached_input_tokens, cost_usd, model, reports, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,1,?)
           ON CONFLICT (task_id, attempt, day) DO UPDATE SET
             input_tokens = input_tokens + excluded.input_tokens,
             output_tokens = output_tokens + excluded.output_tokens,
             cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
             cost_usd = cost_usd + excluded.cost_usd,
             model = COALESCE(excluded.model, model),
             reports = reports + 1,
             updated_at = excluded.updated_at`,
        )
        .run(
          ref.taskId,
          ref.attempt,
          utcDay(now),
          ref.agentId,
          report.inputTokens,
          report.outputTokens,
          report.cachedInputTokens ?? 0,
          report.costUsd,
          model,
          now,
        );
      return true;
    });
  }

  /** Keeps the agent CLI's session id with the attempt (the newest one wins). */
  setSession(ref: UsageRef, sessionId: string): void {
    this.core
      .sql(
        `INSERT INTO attempt_sessions (task_id, attempt, session_id, updated_at) VALUES (?,?,?,?)
         ON CONFLICT (task_id, attempt) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`,
      )
      .run(ref.taskId, ref.attempt, this.mask(sessionId), this.core.now());
  }

  /** The CLI session id an attempt recorded, if any. */
  session(taskId: string, attempt: number): string | undefined {
    if (!this.ready) return undefined;
    const row = this.core
      .sql('SELECT session_id FROM attempt_sessions WHERE task_id = ? AND attempt = ?')
      .get(taskId, attempt) as { session_id: string } | undefined;
    return row?.session_id;
  }

  /** The budget given at creation (`budget=`, `--budget`), if any. */
  taskBudget(taskId: string): Budget | undefined {
    if (!this.ready) return undefined;
    const row = this.core.sql('SELECT usd, tokens FROM task_budgets WHERE task_id = ?').get(taskId) as
      { usd: number | null; tokens: number | null } | undefined;
    if (!row) return undefined;
    return {
      ...(row.usd !== null ? { usd: row.usd } : {}),
      ...(row.tokens !== null ? { tokens: row.tokens } : {}),
    };
  }

  /** One attempt's usage. */
  attempt(taskId: string, attempt: number): UsageRow {
    if (!this.ready) return toRow(undefined);
    return toRow(
      this.core
        .sql(`SELECT ${SUMS}, MAX(model) AS model FROM attempt_usage WHERE task_id = ? AND attempt = ?`)
        .get(taskId, attempt) as SumRow | undefined,
    );
  }

  /** A task's usage over all its attempts. */
  task(taskId: string): UsageRow {
    if (!this.ready) return toRow(undefined);
    return toRow(
      this.core
        .sql(`SELECT ${SUMS}, MAX(model) AS model FROM attempt_usage WHERE task_id = ?`)
        .get(taskId) as SumRow | undefined,
    );
  }

  /**
   * What counts against the task's budget: the usage of attempts started since the task was last
   * retried by a person (`/retry` is the go-ahead to spend the budget again), or all of it.
   */
  taskSinceRetry(taskId: string): UsageRow {
    if (!this.ready) return toRow(undefined);
    const retried = this.core
      .sql("SELECT MAX(at) AS at FROM events WHERE task_id = ? AND type = 'task_retried'")
      .get(taskId) as { at: number | null };
    return toRow(
      this.core
        .sql(
          `SELECT ${SUMS} FROM attempt_usage u JOIN attempts a ON a.task_id = u.task_id AND a.attempt = u.attempt
           WHERE u.task_id = ? AND a.started_at >= ?`,
        )
        .get(taskId, retried.at ?? 0) as SumRow | undefined,
    );
  }

  /** Usage per task for the given tasks (all tasks when none given); tasks without usage are left out. */
  byTask(taskIds?: readonly string[]): Map<string, UsageRow> {
    if (!this.ready) return new Map();
    const rows = this.core
      .sql(`SELECT task_id AS id, ${SUMS}, MAX(model) AS model FROM attempt_usage GROUP BY task_id`)
      .all() as (SumRow & { id: string })[];
    const wanted = taskIds ? new Set(taskIds) : undefined;
    return new Map(rows.filter((r) => !wanted || wanted.has(r.id)).map((r) => [r.id, toRow(r)]));
  }

  /** One agent's usage on one UTC day. */
  agentDay(agentId: string, day: string): UsageRow {
    if (!this.ready) return toRow(undefined);
    return toRow(
      this.core
        .sql(`SELECT ${SUMS}, MAX(model) AS model FROM attempt_usage WHERE agent_id = ? AND day = ?`)
        .get(agentId, day) as SumRow | undefined,
    );
  }

  /** The whole swarm's usage on one UTC day. */
  day(day: string): UsageRow {
    if (!this.ready) return toRow(undefined);
    return toRow(
      this.core.sql(`SELECT ${SUMS}, MAX(model) AS model FROM attempt_usage WHERE day = ?`).get(day) as
        SumRow | undefined,
    );
  }

  /** Usage per agent per day, newest day first, in a day range (inclusive). */
  byAgentDay(range: DayRange = {}): (UsageRow & { agentId: string; day: string })[] {
    if (!this.ready) return [];
    const rows = this.core
      .sql(
        `SELECT agent_id AS agentId, day, ${SUMS}, MAX(model) AS model FROM attempt_usage
         WHERE day >= ? AND day <= ? GROUP BY agent_id, day ORDER BY day DESC, agent_id`,
      )
      .all(range.fromDay ?? '', range.toDay ?? '9999') as (SumRow & { agentId: string; day: string })[];
    return rows.map((r) => ({ ...toRow(r), agentId: r.agentId, day: r.day }));
  }

  /** Usage of the whole swarm per day, newest first, in a day range (inclusive). */
  byDay(range: DayRange = {}): (UsageRow & { day: string })[] {
    if (!this.ready) return [];
    const rows = this.core
      .sql(
        `SELECT day, ${SUMS}, MAX(model) AS model FROM attempt_usage WHERE day >= ? AND day <= ?
         GROUP BY day ORDER BY day DESC`,
      )
      .all(range.fromDay ?? '', range.toDay ?? '9999') as (SumRow & { day: string })[];
    return rows.map((r) => ({ ...toRow(r), day: r.day }));
  }

  /**
   * Records that an agent (or the swarm) reached its daily budget: it claims nothing more that day.
   * Said once a day in the channel (an event with a notice); true when this call recorded it.
   */
  hold(hold: Omit<BudgetHold, 'at'>, actor: string): boolean {
    return this.core.write(() => {
      const reason = this.mask(hold.reason);
      const changed = this.core
        .sql('INSERT OR IGNORE INTO budget_holds (scope, subject, day, reason, at) VALUES (?,?,?,?,?)')
        .run(hold.scope, hold.subject, hold.day, reason, this.core.now()).changes;
      if (changed !== 1) return false;
      this.core.appendEvent({
        type: 'budget_hold',
        agentId: hold.scope === 'agent' ? hold.subject : null,
        actor,
        data: { scope: hold.scope, subject: hold.subject, day: hold.day, reason },
      });
      return true;
    });
  }

  /** The holds of one UTC day (what `status` shows). */
  holds(day: string): BudgetHold[] {
    if (!this.ready) return [];
    return this.core
      .sql('SELECT scope, subject, day, reason, at FROM budget_holds WHERE day = ? ORDER BY at')
      .all(day) as BudgetHold[];
  }
}

/** Stores a task's budget; runs inside the task's creating transaction. */
export function insertTaskBudget(core: LedgerCore, taskId: string, budget: Budget): void {
  core
    .sql('INSERT INTO task_budgets (task_id, usd, tokens) VALUES (?, ?, ?)')
    .run(taskId, budget.usd ?? null, budget.tokens ?? null);
}

/** The usage fields an outcome event records (rounded, so the event stays small and readable). */
export function usageData(u: UsageTotals): Record<string, number> {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    costUsd: Math.round(u.costUsd * 1e6) / 1e6,
    reports: u.reports,
  };
}

/** An attempt's usage inside a write (for its outcome event); nothing when it reported none. */
export function attemptUsageData(
  core: LedgerCore,
  taskId: string,
  attempt: number,
): Record<string, number> | undefined {
  // No row at all for an attempt without reports (most): better-sqlite3 builds a row object slowly.
  const row = core
    .sql(`SELECT ${SUMS} FROM attempt_usage WHERE task_id = ? AND attempt = ? HAVING SUM(reports) > 0`)
    .get(taskId, attempt) as SumRow | undefined;
  return row ? usageData(toRow(row)) : undefined;
}
