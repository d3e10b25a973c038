/**
 * Fetching a message attachment from Discord's CDN. The URL comes from a message, so only Discord's
 * own file hosts are fetched (or, for a local API such as a test server, that API's own host), and
 * a file larger than the caller allows is refused before it is read whole.
 * @see https://discord.com/developers/docs/resources/message#attachment-object
 */
import type { IncomingAttachment } from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';

const DISCORD_FILE_HOSTS = new Set(['cdn.discordapp.com', 'media.discordapp.net']);

/** True when `url` is a file on Discord's CDN, or on the configured API's own origin. */
export function isAllowedAttachmentUrl(url: string, apiBase: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:' && DISCORD_FILE_HOSTS.has(parsed.hostname)) return true;
  return apiBase !== undefined && parsed.origin === new URL(apiBase).origin;
}

/** Downloads one attachment, at most `maxBytes`. */
export async function downloadDiscordAttachment(
  attachment: IncomingAttachment,
  maxBytes: number,
  apiBase: string | undefined,
): Promise<Buffer> {
  if (!isAllowedAttachmentUrl(attachment.ref, apiBase))
    throw new ChatError("attachment is not on Discord's file hosts; not fetched", { permanent: true });
  if (attachment.size > maxBytes)
    throw new ChatError(`file too large: ${attachment.size} bytes (at most ${maxBytes})`, {
      permanent: true,
    });
  let res: Response;
  try {
    res = await fetch(attachment.ref, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new ChatError('could not fetch the attachment (network)', { permanent: false, cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ChatError(`Discord answered ${res.status} for an attachment`, {
      permanent: res.status < 500 && res.status !== 429,
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    total += (chunk as Uint8Array).length;
    if (total > maxBytes) throw new ChatError(`file too large: over ${maxBytes} bytes`, { permanent: true });
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
