import { formatUsage } from '../core/usage.ts';

/**
 * The usage line under a result or a failure (`💰 $0.42 · 12.3k in / 2.1k out`), from the `usage`
 * an outcome event records; empty when the attempt reported none (or the field is not usage).
 */
export function usageLineOf(d: Record<string, unknown>): string {
  const u = d.usage as Record<string, unknown> | null | undefined;
  if (typeof u !== 'object' || u === null) return '';
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const line = formatUsage({
    inputTokens: num(u.inputTokens),
    outputTokens: num(u.outputTokens),
    costUsd: num(u.costUsd),
    reports: num(u.reports),
  });
  return line ? `\n💰 ${line}` : '';
}
