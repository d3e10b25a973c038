import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { budgetCrossed, formatBudget, utcDay, type Budget, type UsageReport } from '../core/usage.ts';
import type { AttemptRef, Ledger } from '../ledger/ledger.ts';

/** Dollars per million tokens, for workers whose CLI reports tokens but no cost (`agents[].pricing`). */
export interface Pricing {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  /** Price of input read from the prompt cache; the input price when not given. */
  cachedInputUsdPerMTok?: number;
}

/** The budgets and prices an agent runs under (from the config). */
export interface UsageBudgets {
  /** This agent's cap per UTC day (`agents[].budget`). */
  agentPerDay?: Budget;
  /** The whole swarm's cap per UTC day (`budgets.swarmPerDay`), counted over every agent. */
  swarmPerDay?: Budget;
  pricing?: Pricing;
}

/** Which budget a step crossed, and the sentence the channel shows. */
export interface BudgetVerdict {
  scope: 'task' | 'agent' | 'swarm';
  text: string;
}

/** The cost of a report: the worker's own figure, else its tokens at the agent's prices, else 0. */
export function priceOf(report: UsageReport, pricing: Pricing | undefined): number {
  if (report.costUsd !== undefined) return report.costUsd;
  if (!pricing) return 0;
  const cached = Math.min(report.cachedInputTokens ?? 0, report.inputTokens);
  const cachedPrice = pricing.cachedInputUsdPerMTok ?? pricing.inputUsdPerMTok;
  return (
    ((report.inputTokens - cached) * pricing.inputUsdPerMTok +
      cached * cachedPrice +
      report.outputTokens * pricing.outputUsdPerMTok) /
    1_000_000
  );
}

/** Whether the agent's or the swarm's budget for the day is used up; the sentence that says so. */
function dailyVerdict(
  ledger: Ledger,
  agentId: string,
  budgets: UsageBudgets,
  now: number,
): BudgetVerdict | undefined {
  const day = utcDay(now);
  if (budgets.agentPerDay) {
    const crossed = budgetCrossed(budgets.agentPerDay, ledger.usage.agentDay(agentId, day));
    if (crossed)
      return {
        scope: 'agent',
        text: `budget exceeded: ${agentId} spent ${crossed} of its daily budget (${day} UTC)`,
      };
  }
  if (budgets.swarmPerDay) {
    const crossed = budgetCrossed(budgets.swarmPerDay, ledger.usage.day(day));
    if (crossed)
      return {
        scope: 'swarm',
        text: `budget exceeded: the swarm spent ${crossed} of its daily budget (${day} UTC)`,
      };
  }
  return undefined;
}

/**
 * Checks every budget that applies to an attempt after it reported usage: the task's own (counted
 * since its last `/retry`), then the agent's and the swarm's for today. Undefined while within all.
 */
export function checkBudgets(
  ledger: Ledger,
  ref: AttemptRef,
  budgets: UsageBudgets,
  now: number,
): BudgetVerdict | undefined {
  const taskBudget = ledger.usage.taskBudget(ref.taskId);
  if (taskBudget) {
    const crossed = budgetCrossed(taskBudget, ledger.usage.taskSinceRetry(ref.taskId));
    if (crossed)
      return {
        scope: 'task',
        text: `budget exceeded: ${ref.taskId} spent ${crossed} (its budget is ${formatBudget(taskBudget)})`,
      };
  }
  return dailyVerdict(ledger, ref.agentId, budgets, now);
}

/**
 * What may still be spent under every budget that applies (the smallest remainder of each unit),
 * or undefined when none applies.
 */
export function budgetLeft(
  ledger: Ledger,
  ref: AttemptRef,
  budgets: UsageBudgets,
  now: number,
): Budget | undefined {
  const day = utcDay(now);
  const pairs: [Budget | undefined, { costUsd: number; inputTokens: number; outputTokens: number }][] = [
    [ledger.usage.taskBudget(ref.taskId), ledger.usage.taskSinceRetry(ref.taskId)],
    [budgets.agentPerDay, ledger.usage.agentDay(ref.agentId, day)],
    [budgets.swarmPerDay, ledger.usage.day(day)],
  ];
  let usd: number | undefined;
  let tokens: number | undefined;
  for (const [budget, spent] of pairs) {
    if (!budget) continue;
    if (budget.usd !== undefined) usd = Math.min(usd ?? Infinity, Math.max(0, budget.usd - spent.costUsd));
    if (budget.tokens !== undefined)
      tokens = Math.min(
        tokens ?? Infinity,
        Math.max(0, budget.tokens - spent.inputTokens - spent.outputTokens),
      );
  }
  if (usd === undefined && tokens === undefined) return undefined;
  return { ...(usd !== undefined ? { usd } : {}), ...(tokens !== undefined ? { tokens } : {}) };
}

/**
 * The agent's claim gate: false (do not claim) while its own or the swarm's daily budget is used up.
 * The first refusal of a day is recorded as a hold (an event and a notice in the channel, and a line
 * in `status`); the gate opens by itself at the next UTC midnight. A failed read is logged and lets
 * the claim through: a budget must not stop the swarm because the ledger was busy once.
 */
export function createBudgetGate(
  ledger: Ledger,
  agentId: string,
  budgets: UsageBudgets,
  log: Logger,
  now: () => number = Date.now,
): () => boolean {
  if (!budgets.agentPerDay && !budgets.swarmPerDay) return () => true;
  return () => {
    try {
      const at = now();
      const verdict = dailyVerdict(ledger, agentId, budgets, at);
      if (!verdict) return true;
      const reason = `${verdict.text}; not claiming until 00:00 UTC`;
      const subject = verdict.scope === 'agent' ? agentId : 'swarm';
      if (
        ledger.usage.hold(
          { scope: verdict.scope === 'agent' ? 'agent' : 'swarm', subject, day: utcDay(at), reason },
          `agent:${agentId}`,
        )
      )
        log.warn('budget: not claiming', { agent: agentId, reason });
      return false;
    } catch (err) {
      log.warn('budget check failed; claiming anyway', { agent: agentId, error: describeError(err) });
      return true;
    }
  };
}
