import { formatBudget, formatUsage, utcDay, type Budget } from '../core/usage.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { BudgetHold, UsageRow } from '../ledger/usage-ops.ts';

/**
 * Spending as `status` and `task show` say it, in the CLI, the chat (`/status`, `/status T-3`) and
 * the board's JSON alike: one query function and one renderer each, so the words are the same.
 */

/** What `status --json` adds about spending: today's totals, per agent, and the budget holds. */
export interface StatusUsage {
  day: string;
  today: UsageRow;
  agentsToday: (UsageRow & { agentId: string })[];
  holds: BudgetHold[];
}

/** Today's (UTC) usage of the swarm and of each agent, and the holds that stop claims today. */
export function statusUsage(ledger: Ledger, now: number): StatusUsage {
  const day = utcDay(now);
  return {
    day,
    today: ledger.usage.day(day),
    agentsToday: ledger.usage.byAgentDay({ fromDay: day, toDay: day }).map(({ day: _day, ...row }) => row),
    holds: ledger.usage.holds(day),
  };
}

/** How much of the spending to list; the chat keeps its reply short. */
export interface StatusUsageOptions {
  /** Agents listed by name, the most expensive first; the rest are counted. All when not given. */
  maxAgents?: number;
}

/** The status lines about spending; nothing when nothing was reported and nothing is held today. */
export function renderStatusUsage(u: StatusUsage, options: StatusUsageOptions = {}): string {
  const lines: string[] = [];
  if (u.today.reports) {
    lines.push(`cost today (${u.day} UTC): ${formatUsage(u.today)}`);
    const max = options.maxAgents ?? u.agentsToday.length;
    const agents =
      max < u.agentsToday.length ? [...u.agentsToday].sort((a, b) => b.costUsd - a.costUsd) : u.agentsToday;
    for (const a of agents.slice(0, max)) lines.push(`  ${a.agentId}: ${formatUsage(a)}`);
    const more = agents.length - max;
    if (more > 0) lines.push(`  … and ${more} more agent${more === 1 ? '' : 's'}`);
  }
  for (const h of u.holds)
    lines.push(`⛔ ${h.subject === 'swarm' ? 'swarm' : h.subject} not claiming: ${h.reason}`);
  return lines.join('\n');
}

/** One attempt's spending, with the agent CLI's session id when it recorded one. */
export type AttemptUsage = UsageRow & { attempt: number; session: string | null };

/** What `task show` says about a task's spending: its total, its budget, each attempt. */
export interface TaskUsage {
  total: UsageRow;
  budget: Budget | null;
  /** Attempts that reported usage or recorded a session, oldest first. */
  attempts: AttemptUsage[];
}

/** A task's spending: its total, each attempt (1…`attempts`), its budget, its sessions. */
export function taskUsage(ledger: Ledger, taskId: string, attempts: number): TaskUsage {
  const perAttempt: AttemptUsage[] = [];
  for (let n = 1; n <= attempts; n++) {
    const row = ledger.usage.attempt(taskId, n);
    const session = ledger.usage.session(taskId, n) ?? null;
    if (row.reports || session) perAttempt.push({ ...row, attempt: n, session });
  }
  return {
    total: ledger.usage.task(taskId),
    budget: ledger.usage.taskBudget(taskId) ?? null,
    attempts: perAttempt,
  };
}

/** The `task show` lines about spending; nothing when the task has no budget and reported nothing. */
export function renderTaskUsage(u: TaskUsage): string {
  const lines: string[] = [];
  if (u.budget) lines.push(`budget: ${formatBudget(u.budget)}`);
  if (u.total.reports)
    lines.push(`cost: ${formatUsage(u.total)}${u.total.model ? ` (${u.total.model})` : ''}`);
  for (const a of u.attempts) {
    const used = a.reports ? formatUsage(a) : 'no usage reported';
    lines.push(`  attempt ${a.attempt}: ${used}${a.session ? `, session ${a.session}` : ''}`);
  }
  return lines.join('\n');
}
