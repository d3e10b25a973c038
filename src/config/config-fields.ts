import { z } from 'zod';

/** The NAME of an environment variable; the message catches a token pasted where its name belongs. */
export const envName = z
  .string()
  .regex(
    /^[A-Z_][A-Z0-9_]*$/,
    'must be the NAME of an environment variable (like TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN), not a token',
  );

/** A whole number of milliseconds; the message says the unit, since "30s" is the usual mistake. */
export const ms = (min: number) =>
  z
    .number({ error: 'a number of milliseconds, like 30000 (not "30s")' })
    .int('a whole number of milliseconds')
    .min(min, `at least ${min} ms`);

/** An agent's id, as it shows in the chat and the ledger. */
export const agentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _ (like designer-001)');

/** A skill an agent has and a task may need. */
export const skill = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lowercase letters, digits, - and _');

/** A handle: what a bot is addressed as in `/verb@handle` (a Telegram username has this shape too). */
export const handle = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, "letters, digits and _ (on Telegram: the bot's username, without @)");

/** A bot's numeric user id on the chat platform. */
export const botUserId = z.coerce
  .string()
  .regex(
    /^\d{5,20}$/,
    "the bot's numeric user id (Telegram: the digits before ':' in its token; Discord: Copy User ID)",
  );
