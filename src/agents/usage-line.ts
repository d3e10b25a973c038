import { z } from 'zod';
import type { UsageReport } from '../core/usage.ts';

/**
 * The `::usage` line: one JSON object of what a step used, added to the attempt's usage (a delta,
 * not a running total):
 *
 *   ::usage {"input_tokens": 1200, "output_tokens": 340, "cost_usd": 0.0081, "model": "claude-sonnet-4-5"}
 *
 * `input_tokens` and `output_tokens` are required; `cached_input_tokens` (the part of the input read
 * from a prompt cache), `cost_usd` and `model` are optional; other keys are ignored. Values are
 * bounded per line, so a runaway worker cannot record an absurd number in one go.
 */
export const USAGE_LINE_LIMITS = {
  maxTokens: 1_000_000_000,
  maxCostUsd: 10_000,
  maxModelChars: 100,
} as const;

const tokens = z.number().int().min(0).max(USAGE_LINE_LIMITS.maxTokens);

const usageLineSchema = z.object({
  input_tokens: tokens,
  output_tokens: tokens,
  cached_input_tokens: tokens.optional(),
  cost_usd: z.number().min(0).max(USAGE_LINE_LIMITS.maxCostUsd).optional(),
  model: z.string().min(1).max(USAGE_LINE_LIMITS.maxModelChars).optional(),
});

/** Reads the JSON after `::usage`; a problem message (for the log) when it is not a valid report. */
export function parseUsageJson(
  text: string,
): { ok: true; report: UsageReport } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const parsed = usageLineSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      problem: parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '),
    };
  const u = parsed.data;
  const report: UsageReport = { inputTokens: u.input_tokens, outputTokens: u.output_tokens };
  if (u.cached_input_tokens !== undefined)
    report.cachedInputTokens = Math.min(u.cached_input_tokens, u.input_tokens);
  if (u.cost_usd !== undefined) report.costUsd = u.cost_usd;
  if (u.model !== undefined) report.model = u.model;
  return { ok: true, report };
}

/** The `::usage` line for a report, for workers written in JavaScript that speak the line protocol. */
export function toUsageLine(report: UsageReport): string {
  const body: Record<string, unknown> = {
    input_tokens: report.inputTokens,
    output_tokens: report.outputTokens,
  };
  if (report.cachedInputTokens !== undefined) body.cached_input_tokens = report.cachedInputTokens;
  if (report.costUsd !== undefined) body.cost_usd = report.costUsd;
  if (report.model !== undefined) body.model = report.model;
  return `::usage ${JSON.stringify(body)}\n`;
}
