import { maskTokenShapes, shapeMasker, type SecretMasker } from './secret-masker.ts';

/** Minimal structured logger the core and adapters share; it masks secrets, but never pass a token into it. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** Masks Telegram- and Discord-shaped tokens and common API keys in a string (see `TOKEN_SHAPES`). */
export function redactSecrets(text: string): string {
  return maskTokenShapes(text);
}

/** Fields as JSON; a field JSON cannot hold (a cycle, a BigInt) must not make logging throw. */
function toJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields);
  } catch {
    return JSON.stringify(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])));
  }
}

/**
 * Logger that writes one line per entry to a stream (stderr by default), at or above `level`. Each
 * line, fields included, goes through `masker` first: known secret values and token shapes never
 * reach the stream.
 */
export function createLogger(
  level: LogLevel = 'info',
  stream: NodeJS.WritableStream = process.stderr,
  scope = 'swarm',
  masker: SecretMasker = shapeMasker,
): Logger {
  const min = LEVELS.indexOf(level);
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(lvl) < min) return;
    const extra = fields && Object.keys(fields).length ? ` ${toJson(fields)}` : '';
    stream.write(masker.mask(`${new Date().toISOString()} ${lvl} [${scope}] ${msg}${extra}`) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
