import { formatBudget, formatUsage, utcDay, type Budget, type UsageTotals } from '../core/usage.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { BudgetHold, UsageRow } from '../ledger/usage-ops.ts';
import { taskUsage, type AttemptUsage } from '../commands/usage-view.ts';

/** Usage totals with the line people read (`$0.42 · 12.3k in / 2.1k out`), the CLI's and the chat's words. */
export type UsageView = UsageRow & { text: string };

/** A task's spending on its page: total, budget, and each attempt's usage and CLI session. */
export interface TaskUsageView {
  total: UsageView;
  budget: Budget | null;
  /** The budget as people read it (`$2.00 or 500k tokens`). */
  budgetText: string | null;
  attempts: (AttemptUsage & { text: string })[];
}

/** One UTC day of the cost view: the swarm's totals, and each agent's, the most expensive first. */
export interface CostDay extends UsageView {
  day: string;
  agents: (UsageView & { agentId: string })[];
}

/** What `/api/cost` answers: the last `days` UTC days, newest first, and today's budget holds. */
export interface CostHistory {
  /** Today (UTC, by the ledger's clock). */
  today: string;
  days: CostDay[];
  /** Over the days shown. */
  total: UsageView;
  holds: BudgetHold[];
}

/** Days the cost view shows unless asked otherwise; at most `MAX_COST_DAYS`. */
export const COST_DAYS = 14;
export const MAX_COST_DAYS = 92;
const DAY_MS = 86_400_000;

/** Adds the line people read to some totals. */
export function toUsageView(row: UsageRow): UsageView {
  return { ...row, text: formatUsage(row) };
}

/** The card's cost: the task's totals, or null when it reported nothing. */
export function cardUsage(row: UsageRow | undefined): UsageView | null {
  return row && row.reports ? toUsageView(row) : null;
}

/** A task's spending for its page (the same query as `task show`). */
export function taskUsageView(ledger: Ledger, taskId: string, attempts: number): TaskUsageView {
  const u = taskUsage(ledger, taskId, attempts);
  return {
    total: toUsageView(u.total),
    budget: u.budget,
    budgetText: u.budget ? formatBudget(u.budget) : null,
    attempts: u.attempts.map((a) => ({ ...a, text: a.reports ? formatUsage(a) : '' })),
  };
}

function sum(rows: readonly UsageTotals[]): UsageRow {
  const out: UsageRow = {
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    costUsd: 0,
    reports: 0,
    model: null,
  };
  for (const r of rows) {
    out.inputTokens += r.inputTokens;
    out.outputTokens += r.outputTokens;
    out.cachedInputTokens += r.cachedInputTokens;
    out.costUsd += r.costUsd;
    out.reports += r.reports;
  }
  return out;
}

/**
 * The swarm's cost per UTC day for the last `days` days (today included, days without usage too, so
 * a chart has no gaps), each with its agents; two grouped queries whatever the ledger's size.
 */
export function costHistory(ledger: Ledger, now: number, days = COST_DAYS): CostHistory {
  const today = utcDay(now);
  const range = { fromDay: utcDay(now - (days - 1) * DAY_MS), toDay: today };
  const perDay = new Map(ledger.usage.byDay(range).map((r) => [r.day, r]));
  const perAgent = new Map<string, (UsageView & { agentId: string })[]>();
  for (const { day, ...row } of ledger.usage.byAgentDay(range))
    perAgent.set(day, [...(perAgent.get(day) ?? []), { ...toUsageView(row), agentId: row.agentId }]);
  const list: CostDay[] = [];
  for (let i = 0; i < days; i++) {
    const day = utcDay(now - i * DAY_MS);
    const { day: _day, ...totals } = perDay.get(day) ?? { day, ...sum([]) };
    const agents = (perAgent.get(day) ?? []).sort((a, b) => b.costUsd - a.costUsd);
    list.push({ ...toUsageView(totals), day, agents });
  }
  return { today, days: list, total: toUsageView(sum(list)), holds: ledger.usage.holds(today) };
}
