/**
 * The one place Discord failures become the core's ChatError: 4xx answers are permanent (with
 * Discord's code and message), 429s and waits the REST client refused to sit out are transient with
 * retryAfterMs, and 5xx, timeouts and network failures are transient. Tokens never get through.
 */
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { ChatError } from '../../src/core/errors.ts';
import { redactSecrets } from '../../src/core/logger.ts';

/** Removes every known token (and anything token-shaped) from a message. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[redacted]');
  return redactSecrets(out);
}

/** Maps any error from a Discord call (`action` says what was attempted) to a ChatError. */
export function toChatError(err: unknown, action: string, secrets: readonly string[] = []): ChatError {
  if (err instanceof ChatError) return err;
  const say = (text: string): string => scrubSecrets(`Discord ${action} failed: ${text}`, secrets);
  if (err instanceof RateLimitError) {
    return new ChatError(
      say(`rate limited for ${Math.ceil(err.retryAfter)} ms (${err.global ? 'global' : err.route})`),
      {
        permanent: false,
        retryAfterMs: Math.max(1, Math.ceil(err.retryAfter)),
        platformCode: 429,
      },
    );
  }
  if (err instanceof DiscordAPIError) {
    const permanent = err.status !== 429 && err.status < 500;
    const hint = err.status === 401 ? ' (the bot token was rejected: check DISCORD_BOT_TOKEN)' : '';
    // A body without Discord's error code (a proxy's page) has code 0 or none: the status says it.
    const code = err.code as unknown;
    const hasCode = (typeof code === 'number' && code !== 0) || (typeof code === 'string' && code !== '');
    const where = hasCode ? `HTTP ${err.status}, code ${String(code)}` : `HTTP ${err.status}`;
    return new ChatError(say(`${err.message || 'no message'} (${where})${hint}`), {
      permanent,
      platformCode: hasCode ? err.code : err.status,
    });
  }
  if (err instanceof HTTPError) {
    return new ChatError(say(`HTTP ${err.status} ${err.message}`), {
      permanent: err.status < 500 && err.status !== 408,
      platformCode: err.status,
    });
  }
  if (err instanceof Error) {
    const code = networkCode(err);
    const what =
      err.name === 'AbortError' ? 'timed out' : code !== undefined ? `network error ${code}` : err.message;
    return new ChatError(say(what), {
      permanent: false,
      ...(code !== undefined ? { platformCode: code } : {}),
    });
  }
  return new ChatError(say(String(err)), { permanent: false });
}

/** The system error code of a network failure, looking through `cause` (fetch wraps them). */
function networkCode(err: Error): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}
