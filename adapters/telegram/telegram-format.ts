/**
 * Plain text to Telegram HTML: every piece of user and worker text is escaped, the speaker label
 * (an agent speaking through the orchestrator's bot) is italic on its own line, the heading bold on
 * its own line. Lengths are counted on the rendered text, as Telegram counts them.
 * @see https://core.telegram.org/bots/api#html-style
 */
import { splitText, truncateText } from '../../src/chat/split-text.ts';

/** Longest rendered message text Telegram accepts. */
export const TELEGRAM_TEXT_LIMIT = 4_096;
/** Longest rendered document caption. */
export const TELEGRAM_CAPTION_LIMIT = 1_024;
/** Speaker labels are cut to this many characters, so the core can budget for them. */
export const MAX_SPEAKER_LABEL = 64;

/** The parts of one message before rendering, all plain text. */
export interface TelegramTextParts {
  speaker?: string;
  heading?: string;
  text: string;
}

/** Escapes the three characters Telegram's HTML parser treats specially (and `"` for attributes). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function prefixLines(parts: TelegramTextParts): { html: string[]; plainLength: number } {
  const html: string[] = [];
  let plainLength = 0;
  if (parts.speaker !== undefined && parts.speaker !== '') {
    const label = truncateText(parts.speaker, MAX_SPEAKER_LABEL);
    html.push(`<i>${escapeHtml(label)}</i>`);
    plainLength += label.length + 1;
  }
  if (parts.heading !== undefined && parts.heading !== '') {
    const heading = truncateText(parts.heading, TELEGRAM_CAPTION_LIMIT);
    html.push(`<b>${escapeHtml(heading)}</b>`);
    plainLength += heading.length + 1;
  }
  return { html, plainLength };
}

/** One message's HTML; the caller keeps the rendered length within the limit (see `toTelegramChunks`). */
export function toTelegramHtml(parts: TelegramTextParts): string {
  const { html } = prefixLines(parts);
  if (parts.text !== '' || html.length === 0) html.push(escapeHtml(parts.text === '' ? '…' : parts.text));
  return html.join('\n');
}

/**
 * Renders a message as one or more HTML messages that each fit `limit` rendered characters: the
 * first carries the speaker and heading, the text is split at paragraph, line or word breaks.
 */
export function toTelegramChunks(parts: TelegramTextParts, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const { plainLength } = prefixLines(parts);
  if (plainLength + parts.text.length <= limit) return [toTelegramHtml(parts)];
  const [first = '', ...rest] = splitText(parts.text, Math.max(2, limit - plainLength));
  return [toTelegramHtml({ ...parts, text: first }), ...rest.map((text) => escapeHtml(text))];
}

/** A caption for a document: the speaker and heading, then as much text as fits, with a marker when cut. */
export function toTelegramCaption(parts: TelegramTextParts, limit = TELEGRAM_CAPTION_LIMIT): string {
  const { plainLength } = prefixLines(parts);
  const room = Math.max(1, limit - plainLength);
  return toTelegramHtml({ ...parts, text: truncateText(parts.text, room) });
}

/** Rendered length of `parts` as one message. */
export function renderedLength(parts: TelegramTextParts): number {
  return prefixLines(parts).plainLength + Math.max(parts.text.length, 1);
}
