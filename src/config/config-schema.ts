import { z } from 'zod';
import { scheduleInputSchema } from '../schedules/schedule-spec.ts';
import { budgetSchema, presetFieldsSchema, pricingSchema } from '../presets/preset-config.ts';

/**
 * The swarm's config file (JSON), validated at start. Tokens are never in the file: it names the
 * environment variable that holds each one (`tokenEnv`).
 */

const envName = z
  .string()
  .regex(
    /^[A-Z_][A-Z0-9_]*$/,
    'must be the NAME of an environment variable (like TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN), not a token',
  );

const CHAT_ID_HINT =
  'the group\'s numeric chat id, like -1001234567890 (docs/telegram.md, "Find the chat id")';

/** A whole number of milliseconds; the message says the unit, since "30s" is the usual mistake. */
const ms = (min: number) =>
  z
    .number({ error: 'a number of milliseconds, like 30000 (not "30s")' })
    .int('a whole number of milliseconds')
    .min(min, `at least ${min} ms`);
const agentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _ (like designer-001)');
const skill = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lowercase letters, digits, - and _');

const adminsSchema = z
  .object({
    userIds: z.array(z.coerce.string()).default([]),
    roleIds: z.array(z.coerce.string()).default([]),
    everyone: z.boolean().default(false),
  })
  .strict()
  .default({ userIds: [], roleIds: [], everyone: false });

const pacingSchema = z
  .object({
    perWindow: z.number().int().positive(),
    perWindowMs: z.number().int().positive(),
    minIntervalMs: z.number().int().nonnegative(),
    digestThreshold: z.number().int().min(2),
    maxRetryDelayMs: z.number().int().positive(),
  })
  .partial()
  .strict();

export const consoleChannelSchema = z
  .object({
    platform: z.literal('console'),
    /** The person at the keyboard may run admin commands (default true). */
    admin: z.boolean().default(true),
    pacing: pacingSchema.optional(),
  })
  .strict();

export const telegramChannelSchema = z
  .object({
    platform: z.literal('telegram'),
    tokenEnv: envName.default('TELEGRAM_BOT_TOKEN'),
    chatId: z.union([z.number().int(), z.string().regex(/^-?\d+$|^@\w+$/, CHAT_ID_HINT)], {
      error: CHAT_ID_HINT,
    }),
    topicId: z.number().int().positive().optional(),
    apiRoot: z.url().optional(),
    admins: adminsSchema,
    pacing: pacingSchema.optional(),
  })
  .strict();

export const discordChannelSchema = z
  .object({
    platform: z.literal('discord'),
    tokenEnv: envName.default('DISCORD_BOT_TOKEN'),
    channelId: z
      .string()
      .regex(
        /^\d{17,20}$/,
        'a channel id: 17-20 digits (Developer Mode → right-click the channel → Copy ID)',
      ),
    guildId: z
      .string()
      .regex(/^\d{17,20}$/)
      .optional(),
    apiBase: z.url().optional(),
    admins: adminsSchema,
    remoteAgentBotIds: z.array(z.string()).default([]),
    pacing: pacingSchema.optional(),
  })
  .strict();

export const channelSchema = z.discriminatedUnion('platform', [
  consoleChannelSchema,
  telegramChannelSchema,
  discordChannelSchema,
]);

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

/** Variables that never reach a worker, whatever the config says: the audit key and the default token names. */
export const ALWAYS_SECRET_ENV = ['SWARM_AUDIT_KEY', 'TELEGRAM_BOT_TOKEN', 'DISCORD_BOT_TOKEN'] as const;

/** Every variable name that holds a secret in this config: each `tokenEnv`, plus {@link ALWAYS_SECRET_ENV}. */
export function secretEnvNames(cfg: {
  channel: { platform: string; tokenEnv?: string };
  agents: { tokenEnv?: string | undefined }[];
}): string[] {
  const names = new Set<string>(ALWAYS_SECRET_ENV);
  if (cfg.channel.tokenEnv) names.add(cfg.channel.tokenEnv);
  for (const a of cfg.agents) if (a.tokenEnv) names.add(a.tokenEnv);
  return [...names];
}

export const configSchema = z
  .object({
    db: z.string().min(1).default('./swarm.db'),
    workDir: z.string().min(1).default('./.swarm-work'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    channel: channelSchema.default({ platform: 'console', admin: true }),
    ledger: z
      .object({
        synchronous: z.enum(['full', 'normal', 'off']).default('full'),
        /** How long a write waits for another process's lock before failing. */
        busyTimeoutMs: ms(100).default(10_000),
        leaseMs: ms(1_000).default(30_000),
        retryBaseMs: ms(0).default(2_000),
        defaultTimeoutMs: ms(1_000).default(30 * 60_000),
        defaultMaxAttempts: z.number().int().min(1).max(20).default(3),
      })
      .strict()
      .default({
        synchronous: 'full',
        busyTimeoutMs: 10_000,
        leaseMs: 30_000,
        retryBaseMs: 2_000,
        defaultTimeoutMs: 1_800_000,
        defaultMaxAttempts: 3,
      }),
    /** What the orchestrator keeps of incoming messages, and how much one person can make it reply. */
    inbox: z
      .object({
        /** Inbox rows (kept to apply a redelivered message once) are deleted after this many days. */
        retentionDays: z
          .number()
          .min(2, 'at least 2 days: Telegram and Discord can redeliver a message up to a day later')
          .max(3_650)
          .default(14),
        /** Replies (refusals, help for a mistyped command, /status) to one person who is not an admin. */
        repliesPerMinute: z.number().int().min(1).max(1_000).default(5),
      })
      .strict()
      .default({ retentionDays: 14, repliesPerMinute: 5 }),
    agents: z.array(agentSchema).default([]),
    /** How often `up` updates the ledger's checkpoint pinned in the channel; 0 keeps none. */
    checkpointIntervalMs: ms(0)
      .refine((v) => v === 0 || v >= 10_000, 'at least 10000 ms (10 s), or 0 to keep no checkpoint')
      .default(300_000),
    /** Caps on the whole swarm's spending per UTC day, over every agent (docs/agents.md). */
    budgets: z.object({ swarmPerDay: budgetSchema.optional() }).strict().default({}),
    /** Recurring tasks (see the README, "Schedules"); the swarm never rewrites this list. */
    schedules: z.array(scheduleInputSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.agents.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id '${a.id}'` });
      seen.add(a.id);
    });
    // A token must never reach a worker: refuse a config that would hand one over.
    const secrets = new Set(secretEnvNames(cfg));
    cfg.agents.forEach((a, i) => {
      (a.passEnv ?? []).forEach((name, j) => {
        if (secrets.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'passEnv', j],
            message: `${name} holds a secret (a tokenEnv or SWARM_AUDIT_KEY) and is never passed to a worker; remove it`,
          });
      });
      for (const name of Object.keys(a.env)) {
        if (secrets.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'env', name],
            message: `${name} holds a secret (a tokenEnv or SWARM_AUDIT_KEY) and is never passed to a worker; remove it`,
          });
      }
    });
    const scheduleIds = new Set<string>();
    cfg.schedules.forEach((sch, i) => {
      if (scheduleIds.has(sch.id))
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', i, 'id'],
          message: `duplicate schedule id '${sch.id}'`,
        });
      scheduleIds.add(sch.id);
    });
  });

export type SwarmConfig = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
