import { z } from 'zod';
import { envName } from './config-fields.ts';

const CHAT_ID_HINT =
  'the group\'s numeric chat id, like -1001234567890 (docs/telegram.md, "Find the chat id")';

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

/** The console channel: the swarm talks to the terminal it runs in. */
export const consoleChannelSchema = z
  .object({
    platform: z.literal('console'),
    /** The person at the keyboard may run admin commands (default true). */
    admin: z.boolean().default(true),
    pacing: pacingSchema.optional(),
  })
  .strict();

/** A Telegram group (or one topic of it); the token is read from the variable `tokenEnv` names. */
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

/** A Discord text channel; the token is read from the variable `tokenEnv` names. */
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

/** The swarm's chat channel, told apart by `platform`. */
export const channelSchema = z.discriminatedUnion('platform', [
  consoleChannelSchema,
  telegramChannelSchema,
  discordChannelSchema,
]);
