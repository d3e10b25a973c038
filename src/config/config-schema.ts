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

/**
 * Every variable name that holds a secret in this config: each `tokenEnv` (channel, agents, the
 * board's access token), plus {@link ALWAYS_SECRET_ENV}.
 */
export function secretEnvNames(cfg: {
  channel: { platform: string; tokenEnv?: string };
  agents: { tokenEnv?: string | undefined }[];
  board?: { tokenEnv?: string | undefined };
}): string[] {
  const names = new Set<string>(ALWAYS_SECRET_ENV);
  if (cfg.channel.tokenEnv) names.add(cfg.channel.tokenEnv);
  if (cfg.board?.tokenEnv) names.add(cfg.board.tokenEnv);
  for (const a of cfg.agents) if (a.tokenEnv) names.add(a.tokenEnv);
  return [...names];
}
/** Defaults of the web board (`up` serves it; `chat-swarm board` too, read-only unless told). */
export const BOARD_DEFAULTS = {
  enabled: true,
  host: '127.0.0.1',
  port: 7821,
  controls: 'token',
} as const;

/**
 * The web board. Bound to loopback by default; any other host needs `tokenEnv` (the NAME of an
 * environment variable holding a long random token). `controls`: who may change the swarm from the
 * board: `token` (holders of the token), `localhost` (anyone reaching a loopback board without a
 * token is trusted too), `off` (read-only).
 */
export const boardSchema = z
  .object({
    enabled: z.boolean().default(BOARD_DEFAULTS.enabled),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'an address to listen on, like 127.0.0.1 (loopback) or 0.0.0.0')
      .default(BOARD_DEFAULTS.host),
    port: z
      .number({ error: 'a TCP port number, like 7821 (0 picks a free port)' })
      .int()
      .min(0)
      .max(65_535)
      .default(BOARD_DEFAULTS.port),
    tokenEnv: envName.optional(),
    controls: z.enum(['token', 'localhost', 'off']).default(BOARD_DEFAULTS.controls),
  })
  .strict();

/** A handle: what a bot is addressed as in `/verb@handle` (a Telegram username has this shape too). */
const handle = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, "letters, digits and _ (on Telegram: the bot's username, without @)");
const botUserId = z.coerce
  .string()
  .regex(
    /^\d{5,20}$/,
    "the bot's numeric user id (Telegram: the digits before ':' in its token; Discord: Copy User ID)",
  );

/** An agent on another host, as the orchestrator knows it (see docs/remote-agents.md). */
export const remoteAgentSchema = z
  .object({
    id: agentId,
    /** The agent's bot: only its messages are read as this agent's. */
    botUserId,
    /** What the orchestrator addresses it as; on Telegram its bot's username. Default: the id with _ for -. */
    handle: handle.optional(),
    /** Lease of its attempts; remote heartbeats are edits, so give them room (default: ledger.leaseMs). */
    leaseMs: ms(3_000).optional(),
  })
  .strict();

/** Remote agents: the orchestrator's list and tunables, or (on an agent's host) its orchestrator. */
export const remoteSchema = z
  .object({
    /** The orchestrator's handle on Discord (default `swarm`); on Telegram its bot's username is used. */
    handle: handle.optional(),
    agents: z.array(remoteAgentSchema).default([]),
    offerFanout: z.number().int().min(1).max(10).optional(),
    offerTimeoutMs: ms(1_000).optional(),
    presenceTtlMs: ms(1_000).optional(),
    /** Protocol messages (edits included) per minute: what one agent may send, and what it sends at most. */
    messagesPerMinute: z.number().int().min(3).max(600).optional(),
    maxResultBytes: z
      .number()
      .int()
      .min(1_024)
      .max(50 * 1024 * 1024)
      .optional(),
    /** On a remote agent's host: the orchestrator's bot (its user id, and its handle). */
    orchestrator: z.object({ botUserId, handle: handle.optional() }).strict().optional(),
  })
  .strict()
  .default({ agents: [] });

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
    board: boardSchema.default(BOARD_DEFAULTS),
    remote: remoteSchema,
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
    const bots = new Set<string>();
    cfg.remote.agents.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({
          code: 'custom',
          path: ['remote', 'agents', i, 'id'],
          message: `duplicate agent id '${a.id}'`,
        });
      seen.add(a.id);
      if (bots.has(a.botUserId))
        ctx.addIssue({
          code: 'custom',
          path: ['remote', 'agents', i, 'botUserId'],
          message: 'each remote agent needs its own bot',
        });
      bots.add(a.botUserId);
      if (cfg.channel.platform === 'telegram' && a.handle === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['remote', 'agents', i, 'handle'],
          message: "on Telegram, the agent bot's username (without @): messages reach it as /verb@username",
        });
    });
  });

export type SwarmConfig = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
export type BoardConfig = z.infer<typeof boardSchema>;
export type RemoteConfig = z.infer<typeof remoteSchema>;
