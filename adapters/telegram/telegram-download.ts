/**
 * Fetching a file a message carries: getFile gives its path, then the file is read from
 * `{apiRoot}/file/bot<token>/<path>`, refused when larger than the caller allows. The URL holds the
 * token, so it never appears in an error.
 * @see https://core.telegram.org/bots/api#getfile
 */
import type { Api } from 'grammy';
import type { IncomingAttachment } from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';
import { toChatError } from './to-chat-error.ts';

/** The Bot API serves files up to 20 MB to bots. */
export const TELEGRAM_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** Downloads an attachment (by its file_id) through the Bot API, at most `maxBytes`. */
export async function downloadTelegramFile(
  api: Api,
  apiRoot: string,
  token: string,
  attachment: IncomingAttachment,
  maxBytes: number,
): Promise<Buffer> {
  const limit = Math.min(maxBytes, TELEGRAM_MAX_DOWNLOAD_BYTES);
  if (attachment.size > limit)
    throw new ChatError(`file too large: ${attachment.size} bytes (at most ${limit})`, { permanent: true });
  let path: string | undefined;
  try {
    path = (await api.getFile(attachment.ref)).file_path;
  } catch (err) {
    throw toChatError(err, 'getFile', [token]);
  }
  if (!path) throw new ChatError('Telegram gave no path for the file', { permanent: true });
  let res: Response;
  try {
    res = await fetch(`${apiRoot}/file/bot${token}/${path}`, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new ChatError('could not fetch the file from Telegram (network)', {
      permanent: false,
      cause: scrub(err, token),
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ChatError(`Telegram answered ${res.status} for a file`, {
      permanent: res.status < 500 && res.status !== 429,
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    total += (chunk as Uint8Array).length;
    if (total > limit) throw new ChatError(`file too large: over ${limit} bytes`, { permanent: true });
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

function scrub(err: unknown, token: string): Error {
  const text = err instanceof Error ? err.message : String(err);
  return new Error(text.split(token).join('<token>'));
}
