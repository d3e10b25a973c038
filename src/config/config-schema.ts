import { z } from 'zod';
import { scheduleInputSchema } from '../schedules/schedule-spec.ts';
import { budgetSchema } from '../presets/preset-config.ts';
import { agentSchema } from './agent-config-schema.ts';
import { BOARD_DEFAULTS, boardSchema } from './board-config-schema.ts';
import { channelSchema } from './channel-config-schema.ts';
import { ms } from './config-fields.ts';
import { remoteSchema } from './remote-config-schema.ts';
import { secretEnvNames } from './secret-env-names.ts';

/**
 * The swarm's config file (JSON), validated at start. Tokens are never in the file: it names the
 * environment variable that holds each one (`tokenEnv`). Each part's schema has a file of its own;
 * they are re-exported here, where callers look for them.
 */

export { agentSchema } from './agent-config-schema.ts';
export { BOARD_DEFAULTS, boardSchema } from './board-config-schema.ts';
export {
  channelSchema,
  consoleChannelSchema,
  discordChannelSchema,
  telegramChannelSchema,
} from './channel-config-schema.ts';
export { remoteAgentSchema, remoteSchema } from './remote-config-schema.ts';
export { ALWAYS_SECRET_ENV, secretEnvNames } from './secret-env-names.ts';

/** The whole config file; cross-field rules (unique ids, no secret handed to a worker) in its refinement. */
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
