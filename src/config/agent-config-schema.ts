import { z } from 'zod';
import { budgetSchema, presetFieldsSchema, pricingSchema } from '../presets/preset-config.ts';
import { agentId, envName, ms, skill } from './config-fields.ts';

/** A local agent: its skills and capacity, and the shell command or preset each attempt runs. */
export const agentSchema = z
  .object({
    id: agentId,
    skills: z.array(skill).default([]),
    capacity: z.number().int().min(1).max(64).default(1),
    /** Shell command run per attempt (see the worker protocol in the README); or a `preset`. */
    command: z.string().min(1).optional(),
    /** Environment variable holding this agent's own bot token, so it speaks as its own bot. */
    tokenEnv: envName.optional(),
    /** Fixed variables for the command (see `toShellEnv` for the whole rule). */
    env: z.record(z.string(), z.string()).default({}),
    /** Names of variables copied from the agent's own environment into the command's. */
    passEnv: z.array(envName).optional(),
    leaseMs: ms(1_000).optional(),
    /** This agent's cap per UTC day: over it, it claims nothing more that day (docs/agents.md). */
    budget: budgetSchema.optional(),
    /** Dollars per million tokens, for workers that report tokens without a cost. */
    pricing: pricingSchema.optional(),
    /** A built-in worker for an agent CLI instead of `command`, and its settings (docs/agents.md). */
    ...presetFieldsSchema.shape,
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.command === undefined) === (a.preset === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message:
          a.command === undefined
            ? 'give the agent a "command" (any shell command) or a "preset" (claude-code, codex, gemini or openclaw)'
            : 'give either "command" or "preset", not both',
      });
  });
