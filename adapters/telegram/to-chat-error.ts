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
    const seconds: unknown = err.parameters.retry_after;
    return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(1, seconds) * 1_000 : 1_000;
  }
  return undefined;
}

/** The new chat id when the group was upgraded to a supergroup. */
export function migrateToChatIdOf(err: unknown): number | undefined {
  const id: unknown = err instanceof GrammyError ? err.parameters.migrate_to_chat_id : undefined;
  return typeof id === 'number' ? id : undefined;
}

/** True for the 400 Telegram answers when an edit would change nothing. */
export function isNotModified(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    descriptionOf(err).includes('message is not modified')
  );
}

/** True for the 400 Telegram answers when editing the text of a message that has none (a document). */
export function isNoTextToEdit(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    descriptionOf(err).includes('there is no text in the message to edit')
  );
}

/** The error's description, or '' when the server sent none (or not a string). */
function descriptionOf(err: GrammyError): string {
  const description: unknown = err.description;
  return typeof description === 'string' ? description : '';
}

/**
 * Maps any error from a Bot API call `method` to a ChatError; `tokens` are scrubbed from the message.
 * Never throws: an answer that is not the Bot API's shape (no `error_code` or `description`, or not
 * JSON at all, as a proxy or another server may send) still becomes a clear ChatError.
 */
export function toChatError(err: unknown, method: string, tokens: readonly string[] = []): ChatError {
  if (err instanceof ChatError) return err;
  if (err instanceof GrammyError) return fromApiError(err, method, tokens);
  if (err instanceof HttpError) {
    const reason = networkReason(err.error);
    return new ChatError(scrubToken(`Telegram ${method} failed: ${reason.text}`, tokens), {
      permanent: false,
      platformCode: reason.code,
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ChatError(scrubToken(`Telegram ${method} failed: ${text}`, tokens), { permanent: false });
}

/** An answer with `ok: false`: by its `error_code` when it has a number there, else transient. */
function fromApiError(err: GrammyError, method: string, tokens: readonly string[]): ChatError {
  // grammY copies the body's fields unchecked, so any of them may be missing or of another type.
  const code: unknown = err.error_code;
  const description =
    descriptionOf(err).trim() !== ''
      ? scrubToken(descriptionOf(err), tokens)
      : 'no description in the answer';
  if (typeof code !== 'number' || !Number.isInteger(code)) {
    return new ChatError(
      `Telegram ${method} failed: the server's answer is not a Bot API answer (no error_code; ${description}); is apiRoot a Bot API server?`,
      { permanent: false, platformCode: 'malformed_answer' },
    );
  }
  const message = `Telegram ${method} failed (${code}): ${description}`;
  if (code === 429) {
    return new ChatError(message, {
      permanent: false,
      retryAfterMs: retryAfterMsOf(err) ?? 1_000,
      platformCode: code,
    });
  }
  if (code >= 500 || code === 409 || code < 400) {
    return new ChatError(message, { permanent: false, platformCode: code });
  }
  const hint = code === 401 ? ' (the bot token is wrong or was revoked: check it with @BotFather)' : '';
  return new ChatError(message + hint, { permanent: true, platformCode: code });
}

/** What went wrong below the Bot API (DNS, refused, timeout, a body that is not JSON), in words. */
export function networkReason(inner: unknown): { text: string; code: string } {
  const fields = (typeof inner === 'object' && inner !== null ? inner : {}) as {
    code?: unknown;
    type?: unknown;
    message?: unknown;
    name?: unknown;
  };
  const message = typeof fields.message === 'string' ? fields.message : '';
  if (typeof fields.code === 'string' && fields.code !== '') {
    return { text: `${fields.code} (${NETWORK_CODES[fields.code] ?? 'network error'})`, code: fields.code };
  }
  if (fields.type === 'invalid-json' || fields.name === 'SyntaxError') {
    return {
      text: 'the server answered with something that is not JSON (an error page from a proxy?)',
      code: 'invalid_json',
    };
  }
  // grammY's own timeout: "Request to 'getMe' timed out after 15 seconds".
  if (/timed out/i.test(message)) return { text: message, code: 'timeout' };
  if (fields.type === 'aborted' || fields.name === 'AbortError') return { text: 'aborted', code: 'aborted' };
  if (typeof fields.type === 'string' && fields.type !== '') {
    return { text: `network error (${fields.type})`, code: fields.type };
  }
  return { text: 'network error', code: 'network_error' };
}

/** The system error codes a person meets most, said plainly. */
const NETWORK_CODES: Record<string, string> = {
  EAI_AGAIN: 'the name could not be resolved now: DNS or network down',
  ENOTFOUND: 'no such host',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};
