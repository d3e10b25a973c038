import { formatBudget, formatUsage, utcDay } from '../core/usage.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { BudgetHold, UsageRow } from '../ledger/usage-ops.ts';

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

/** The status lines about spending; nothing when nothing was reported and nothing is held today. */
export function renderStatusUsage(u: StatusUsage): string {
  const lines: string[] = [];
  if (u.today.reports) {
    lines.push(`cost today (${u.day} UTC): ${formatUsage(u.today)}`);
    for (const a of u.agentsToday) lines.push(`  ${a.agentId}: ${formatUsage(a)}`);
  }
  for (const h of u.holds)
    lines.push(`⛔ ${h.subject === 'swarm' ? 'swarm' : h.subject} not claiming: ${h.reason}`);
  return lines.join('\n');
}

/** What `task show` says about a task's spending: its total, each attempt, its budget, its sessions. */
export function taskUsage(ledger: Ledger, taskId: string, attempts: number) {
  const perAttempt: (UsageRow & { attempt: number; session: string | null })[] = [];
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
export function renderTaskUsage(u: ReturnType<typeof taskUsage>): string {
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
