import { z } from 'zod';
import { BUDGET_LIMITS, parseBudget } from '../core/usage.ts';

/**
 * The config fields of agent presets, budgets and prices (`agents[]` and `budgets` in the config
 * file). Only schemas live here, so the config module can use them without loading the presets.
 */

/** The built-in presets (one file each in this folder; see preset-registry.ts). */
export const PRESET_NAMES = ['claude-code', 'codex', 'gemini', 'openclaw'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * A cap in dollars and/or tokens: `{"usd": 5}`, `{"tokens": 2000000}`, both, or the text form of
 * `budget=` (`"$5"`, `"2mtok"`, `"$5,2mtok"`).
 */
export const budgetSchema = z.union([
  z
    .object({
      usd: z.number().positive().max(BUDGET_LIMITS.maxUsd).exactOptional(),
      tokens: z.number().int().positive().max(BUDGET_LIMITS.maxTokens).exactOptional(),
    })
    .strict()
    .refine((b) => b.usd !== undefined || b.tokens !== undefined, 'give "usd", "tokens" or both'),
  z.string().transform((raw, ctx) => {
    const parsed = parseBudget(raw);
    if (parsed.ok) return parsed.budget;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  }),
]);

/** Dollars per million tokens (`{"inputUsdPerMTok": 3, "outputUsdPerMTok": 15}`). */
export const pricingSchema = z
  .object({
    inputUsdPerMTok: z.number().min(0).max(10_000),
    outputUsdPerMTok: z.number().min(0).max(10_000),
    cachedInputUsdPerMTok: z.number().min(0).max(10_000).exactOptional(),
  })
  .strict();

/** Runs each attempt in a fresh git worktree of `repo` (branch `swarm/<task>-<attempt>` from `base`). */
export const worktreeSchema = z
  .object({
    /** The repository to add worktrees to (relative to the config file's folder). */
    repo: z.string().min(1),
    /** What the branch starts from (default: the repository's HEAD). */
    base: z.string().min(1).max(200).optional(),
  })
  .strict();

/** The preset fields of an agent; `preset` picks the CLI, the others tune it. */
export const presetFieldsSchema = z.object({
  /** A built-in worker for an agent CLI, instead of `command`. */
  preset: z.enum(PRESET_NAMES, { error: `a preset is one of ${PRESET_NAMES.join(', ')}` }).optional(),
  /** The model the CLI uses (its `--model`/`-m`); the CLI's default when not given. */
  model: z.string().min(1).max(200).optional(),
  /** Path or name of the CLI to run (default: the preset's command, found on PATH). */
  cli: z.string().min(1).max(4_096).optional(),
  /** Extra arguments added to every run of the CLI (e.g. a permission mode). */
  args: z.array(z.string().max(4_096)).max(64).optional(),
  /** A run that prints nothing for this long is stopped and the attempt fails (default 10 minutes). */
  idleTimeoutMs: z.number().int().min(1_000).optional(),
  /** Each attempt in a fresh git worktree, removed after (any agent, preset or command). */
  worktree: worktreeSchema.optional(),
});
export type PresetFields = z.infer<typeof presetFieldsSchema>;
