/**
 * Usage and budgets, the words:
 *
 * - usage report: what a worker says one step of its work used (tokens in and out, cost, model); each
 *   report adds to its attempt's usage (a delta, never a running total).
 * - usage totals: the sum of reports, per attempt, task, agent, day or swarm.
 * - budget: a cap in US dollars and/or tokens (input plus output), per task (`budget=`), per agent per
 *   day or per swarm per day (the config). Days are UTC days (`2026-11-30`).
 */

/** One step's usage, as a worker reports it (`::usage {...}` or `ctx.usage`). Every field adds. */
export interface UsageReport {
  /** Input tokens, including any read from the provider's prompt cache. */
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` read from the cache (informational; already counted in input). */
  cachedInputTokens?: number;
  /** Cost in US dollars, when the worker knows it; otherwise the agent's `pricing` prices the tokens. */
  costUsd?: number;
  model?: string;
}

/** Usage added up (per attempt, task, agent, day…). */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  /** How many reports were added. */
  reports: number;
}

/** A cap on spending; at least one of the two is set. */
export interface Budget {
  usd?: number;
  tokens?: number;
}

/** Totals with nothing in them. */
export const NO_USAGE: Readonly<UsageTotals> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  reports: 0,
});

/** The UTC day of a time, as `YYYY-MM-DD`: the unit of the daily budgets. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Milliseconds from `ms` to the next UTC midnight, when a day's budget starts again. */
export function msToNextUtcDay(ms: number): number {
  const next = new Date(ms);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - ms;
}

/** Tokens that count against a token budget: input plus output. */
export const budgetTokens = (u: Pick<UsageTotals, 'inputTokens' | 'outputTokens'>): number =>
  u.inputTokens + u.outputTokens;

/** Dollars as people read them: `$0.0042`, `$0.42`, `$12.50`. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(2)}`;
}

/** Token counts as people read them: `950`, `12.3k`, `4.1M`. */
export function formatTokens(n: number): string {
  if (n < 1_000) return String(n);
  if (n < 1_000_000) return `${(n / 1_000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** One line for a result or a board: `$0.42 · 12.3k in / 2.1k out`; empty when nothing was reported. */
export function formatUsage(
  u: Pick<UsageTotals, 'inputTokens' | 'outputTokens' | 'costUsd' | 'reports'>,
): string {
  if (u.reports === 0) return '';
  return `${formatUsd(u.costUsd)} · ${formatTokens(u.inputTokens)} in / ${formatTokens(u.outputTokens)} out`;
}

/** A budget as people read it: `$2.00`, `500k tokens`, `$2.00 or 500k tokens`. */
export function formatBudget(b: Budget): string {
  const parts: string[] = [];
  if (b.usd !== undefined) parts.push(formatUsd(b.usd));
  if (b.tokens !== undefined) parts.push(`${formatTokens(b.tokens)} tokens`);
  return parts.join(' or ');
}

/** Largest budget accepted, so a typo cannot make a number that means "unlimited" by accident. */
export const BUDGET_LIMITS = { maxUsd: 1_000_000, maxTokens: 1e12 } as const;

const USD = /^\$?(\d{1,9}(?:\.\d{1,6})?)(?:usd|\$)?$/i;
const TOKENS = /^(\d{1,12}(?:\.\d{1,3})?)(k|m)?(?:tok|tokens?)$/i;

/**
 * Reads a budget as typed in `budget=` or `--budget`: dollars (`2`, `$2.50`, `2.5usd`), tokens
 * (`500000tok`, `500ktok`, `1.5mtok`), or both joined by a comma (`$2,500ktok`: whichever runs out
 * first). Returns the budget, or a problem message saying how to write it.
 */
export function parseBudget(raw: string): { ok: true; budget: Budget } | { ok: false; problem: string } {
  const how = `a budget is dollars (budget=2.50 or budget=$2.50), tokens (budget=500ktok) or both (budget=$2,500ktok), got '${raw.slice(0, 40)}'`;
  const budget: Budget = {};
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 2 || parts.some((p) => p === '')) return { ok: false, problem: how };
  for (const part of parts) {
    const usd = USD.exec(part);
    const tok = usd ? null : TOKENS.exec(part);
    if (usd && budget.usd === undefined) {
      const value = Number(usd[1]);
      if (!(value > 0) || value > BUDGET_LIMITS.maxUsd)
        return { ok: false, problem: `a dollar budget is more than 0 and at most ${BUDGET_LIMITS.maxUsd}` };
      budget.usd = value;
    } else if (tok && budget.tokens === undefined) {
      const scale = tok[2]?.toLowerCase() === 'k' ? 1_000 : tok[2]?.toLowerCase() === 'm' ? 1_000_000 : 1;
      const value = Math.round(Number(tok[1]) * scale);
      if (!(value >= 1) || value > BUDGET_LIMITS.maxTokens)
        return { ok: false, problem: `a token budget is at least 1 and at most ${BUDGET_LIMITS.maxTokens}` };
      budget.tokens = value;
    } else {
      return { ok: false, problem: how };
    }
  }
  return { ok: true, budget };
}

/**
 * Which part of a budget the totals have reached, as a phrase (`$2.04 of $2.00`), or undefined while
 * within it. Reaching the cap exactly counts as crossing it: the next step would go over.
 */
export function budgetCrossed(
  budget: Budget,
  spent: Pick<UsageTotals, 'inputTokens' | 'outputTokens' | 'costUsd'>,
): string | undefined {
  if (budget.usd !== undefined && spent.costUsd >= budget.usd)
    return `${formatUsd(spent.costUsd)} of ${formatUsd(budget.usd)}`;
  const tokens = budgetTokens(spent);
  if (budget.tokens !== undefined && tokens >= budget.tokens)
    return `${formatTokens(tokens)} of ${formatTokens(budget.tokens)} tokens`;
  return undefined;
}
