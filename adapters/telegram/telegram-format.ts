/**
 * Plain text to Telegram HTML: every piece of user and worker text is escaped and its `@username`s
 * defused, the speaker label (an agent speaking through the orchestrator's bot) is italic on its own
 * line, the heading bold on its own line. Lengths are counted on the rendered text, as Telegram counts them.
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

/**
 * Telegram turns `@name` (2–32 of `[A-Za-z0-9_]`, not preceded by a letter, digit or `_`) into a
 * mention that notifies that member. A WORD JOINER (U+2060, invisible, not a word character) after
 * the `@` stops the match while the text reads the same. Where a letter, digit or `_` comes before
 * the `@` (an email address, `/cmd@bot`), Telegram makes no mention and the text is left as it is.
 * Idempotent. @see https://core.telegram.org/bots/api#messageentity
 */
export function neutraliseMentions(text: string): string {
  return text.replace(MENTION_START, '@\u2060');
}

// Only ASCII word characters count as "before": any other letter gets the joiner too, which is
// harmless, so a difference between Unicode tables here and on Telegram's side cannot open a gap.
const MENTION_START = /(?<![A-Za-z0-9_])@(?=[A-Za-z0-9_])/g;

/** The parts with every `@username` defused; lengths measured after this are what Telegram counts. */
export function neutraliseParts(parts: TelegramTextParts): TelegramTextParts {
  const out: TelegramTextParts = { text: neutraliseMentions(parts.text) };
  if (parts.speaker !== undefined) out.speaker = neutraliseMentions(parts.speaker);
  if (parts.heading !== undefined) out.heading = neutraliseMentions(parts.heading);
  return out;
}

function prefixLines(parts: TelegramTextParts): { html: string[]; plainLength: number } {
  const html: string[] = [];
  let plainLength = 0;
  if (parts.speaker !== undefined && parts.speaker !== '') {
    const label = truncateText(neutraliseMentions(parts.speaker), MAX_SPEAKER_LABEL);
    html.push(`<i>${escapeHtml(label)}</i>`);
    plainLength += label.length + 1;
  }
  if (parts.heading !== undefined && parts.heading !== '') {
    const heading = truncateText(neutraliseMentions(parts.heading), TELEGRAM_CAPTION_LIMIT);
    html.push(`<b>${escapeHtml(heading)}</b>`);
    plainLength += heading.length + 1;
  }
  return { html, plainLength };
}

/** One message's HTML; the caller keeps the rendered length within the limit (see `toTelegramChunks`). */
export function toTelegramHtml(parts: TelegramTextParts): string {
  const { html } = prefixLines(parts);
  const text = neutraliseMentions(parts.text);
  if (text !== '' || html.length === 0) html.push(escapeHtml(text === '' ? '…' : text));
  return html.join('\n');
}

/**
 * Renders a message as one or more HTML messages that each fit `limit` rendered characters: the
 * first carries the speaker and heading, the text is split at paragraph, line or word breaks.
 */
export function toTelegramChunks(parts: TelegramTextParts, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const { plainLength } = prefixLines(parts);
  const text = neutraliseMentions(parts.text);
  if (plainLength + text.length <= limit) return [toTelegramHtml({ ...parts, text })];
  // A hard cut inside a word can start a chunk with `@name` (from `bob@name`); such a chunk gets a
  // joiner too, so one unit of each chunk is kept free for it.
  const [first = '', ...rest] = splitText(text, Math.max(2, limit - plainLength - 1));
  return [
    toTelegramHtml({ ...parts, text: first }),
    ...rest.map((chunk) => escapeHtml(neutraliseMentions(chunk))),
  ];
}

/** A caption for a document: the speaker and heading, then as much text as fits, with a marker when cut. */
export function toTelegramCaption(parts: TelegramTextParts, limit = TELEGRAM_CAPTION_LIMIT): string {
  const { plainLength } = prefixLines(parts);
  const room = Math.max(1, limit - plainLength);
  return toTelegramHtml({ ...parts, text: truncateText(neutraliseMentions(parts.text), room) });
}

/** Rendered length of `parts` as one message. */
export function renderedLength(parts: TelegramTextParts): number {
  return prefixLines(parts).plainLength + Math.max(neutraliseMentions(parts.text).length, 1);
}
