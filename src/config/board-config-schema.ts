import { z } from 'zod';
import { envName } from './config-fields.ts';

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
