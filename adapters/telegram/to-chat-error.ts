/**
 * The one place Telegram failures become the core's ChatError: 429, 5xx and network trouble are
 * transient (429 with `retryAfterMs` from `retry_after`), 400/401/403/404 are permanent with the
 * server's description. grammY's network errors can carry the request URL, which holds the bot
 * token, so no vendor error is kept as `cause` and every text is scrubbed.
 * @see https://core.telegram.org/bots/api#making-requests
 */
import { GrammyError, HttpError } from 'grammy';
import { ChatError } from '../../src/core/errors.ts';
import { redactSecrets } from '../../src/core/logger.ts';

/** Removes anything token-shaped, and the `/bot<token>/` segment of any URL, from `text`. */
export function scrubToken(text: string, tokens: readonly string[] = []): string {
  let out = text.replace(/\/bot[^/\s]+\//g, '/bot<token>/');
  for (const token of tokens) if (token !== '') out = out.split(token).join('<token>');
  return redactSecrets(out);
}

/** The `retry_after` (seconds) of a 429, in ms, if the error is one. */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (err instanceof GrammyError && err.error_code === 429) {
    return Math.max(1, err.parameters.retry_after ?? 1) * 1_000;
  }
  return undefined;
}

/** The new chat id when the group was upgraded to a supergroup. */
export function migrateToChatIdOf(err: unknown): number | undefined {
  return err instanceof GrammyError ? err.parameters.migrate_to_chat_id : undefined;
}

/** True for the 400 Telegram answers when an edit would change nothing. */
export function isNotModified(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    err.description.includes('message is not modified')
  );
}

/** True for the 400 Telegram answers when editing the text of a message that has none (a document). */
export function isNoTextToEdit(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    err.description.includes('there is no text in the message to edit')
  );
}

/** Maps any error from a Bot API call `method` to a ChatError; `tokens` are scrubbed from the message. */
export function toChatError(err: unknown, method: string, tokens: readonly string[] = []): ChatError {
  if (err instanceof ChatError) return err;
  if (err instanceof GrammyError) {
    const code = err.error_code;
    const description = scrubToken(err.description, tokens);
    const message = `Telegram ${method} failed (${code}): ${description}`;
    if (code === 429) {
      return new ChatError(message, {
        permanent: false,
        retryAfterMs: retryAfterMsOf(err) ?? 1_000,
        platformCode: code,
      });
    }
    if (code >= 500 || code === 409) return new ChatError(message, { permanent: false, platformCode: code });
    const hint = code === 401 ? ' (the bot token is wrong or was revoked: check it with @BotFather)' : '';
    return new ChatError(message + hint, { permanent: true, platformCode: code });
  }
  if (err instanceof HttpError) {
    const inner = err.error as { code?: unknown; type?: unknown; message?: unknown } | undefined;
    const reason =
      typeof inner?.code === 'string'
        ? inner.code
        : typeof inner?.type === 'string'
          ? inner.type
          : 'network error';
    return new ChatError(scrubToken(`Telegram ${method} failed: ${reason}`, tokens), {
      permanent: false,
      platformCode: reason,
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ChatError(scrubToken(`Telegram ${method} failed: ${text}`, tokens), { permanent: false });
}
