import { isIP } from 'node:net';
import type { BoardConfig } from '../config/config-schema.ts';
import { ConfigError } from '../core/errors.ts';

/** Who may do what on the board, settled once at start from the config and the environment. */
export interface BoardAccess {
  host: string;
  port: number;
  /** Bound to a loopback address: only this machine can reach it. */
  loopback: boolean;
  /** The access token (from `board.tokenEnv`); when set, every page and call needs it. */
  token: string | undefined;
  /** Name of the variable the token came from, for messages (never the value). */
  tokenEnv: string | undefined;
  /** `token`: token holders may steer; `localhost`: anyone on a tokenless loopback board too; `off`: read-only. */
  controls: BoardConfig['controls'];
}

/** Fewest characters of an access token: anything shorter can be guessed over the network. */
export const MIN_TOKEN_CHARS = 16;

const TOKEN_HOWTO = (name: string): string =>
  `export ${name}=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")`;

/** True for 127.0.0.0/8, ::1 and `localhost`: addresses no other machine can connect to. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Settles the board's access from its config: any host but loopback needs a token from the
 * environment, and a named token variable must hold a long enough value. Throws a ConfigError with
 * the fix otherwise, so `up` and `board` refuse to start rather than serve an open board.
 */
export function resolveBoardAccess(
  config: BoardConfig,
  env: NodeJS.ProcessEnv,
  overrides: { port?: number; readOnly?: boolean } = {},
): BoardAccess {
  const loopback = isLoopbackHost(config.host);
  let token: string | undefined;
  if (config.tokenEnv !== undefined) {
    token = env[config.tokenEnv]?.trim();
    if (!token)
      throw new ConfigError(
        `board.tokenEnv names ${config.tokenEnv}, which is not set; set it to a long random token: ${TOKEN_HOWTO(config.tokenEnv)}`,
      );
    if (token.length < MIN_TOKEN_CHARS)
      throw new ConfigError(
        `the board token in ${config.tokenEnv} is shorter than ${MIN_TOKEN_CHARS} characters; use a long random one: ${TOKEN_HOWTO(config.tokenEnv)}`,
      );
  } else if (!loopback) {
    throw new ConfigError(
      `board.host is ${config.host}, which other machines can reach, and the board has no access token: ` +
        `set board.tokenEnv to the NAME of an environment variable (like "BOARD_TOKEN") and ${TOKEN_HOWTO('BOARD_TOKEN')}, ` +
        'or set board.host to 127.0.0.1',
    );
  }
  return {
    host: config.host,
    port: overrides.port ?? config.port,
    loopback,
    token,
    tokenEnv: config.tokenEnv,
    controls: overrides.readOnly ? 'off' : config.controls,
  };
}
