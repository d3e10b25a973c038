/**
 * Telegram's automatic mention detection, as its servers and tdlib apply it to every message text
 * after entity parsing: `@` not preceded by a word character, then 2–32 of `[A-Za-z0-9_]`, not
 * followed by a word character, is a `mention` (names under 5 characters only when such a short
 * username exists). An inline link to `tg://user?id=N` becomes a `text_mention` of that user. A
 * mentioned member of the chat is notified, even when they muted the group.
 * @see https://core.telegram.org/bots/api#messageentity
 * @see https://core.telegram.org/bots/api#formatting-options
 */
import type { TextEntity } from './telegram-html-parser.ts';

// tdlib's is_word_character: Unicode letters and numbers, and `_`.
const WORD = /[\p{L}\p{N}_]/u;
const NAME_CHAR = /[A-Za-z0-9_]/;
// Entities that no other entity may overlap: nothing inside them is detected.
const OPAQUE = new Set(['code', 'pre', 'text_link', 'text_mention', 'bot_command', 'url', 'email']);

/** One detected mention: the entity, and the username or user id it names. */
export type DetectedMention =
  { entity: TextEntity; username: string } | { entity: TextEntity; userId: number };

const codePointBefore = (text: string, at: number): string => {
  const low = text.charCodeAt(at - 1);
  const isLow = low >= 0xdc00 && low <= 0xdfff && at >= 2;
  return isLow ? text.slice(at - 2, at) : text.slice(at - 1, at);
};

/**
 * Finds what Telegram would turn into mentions in `text`, given the entities the sender's markup
 * already made. `isShortUsername` says whether a 2–4 character name exists (most do not).
 */
export function detectMentions(
  text: string,
  entities: readonly TextEntity[],
  isShortUsername: (name: string) => boolean,
): DetectedMention[] {
  const found: DetectedMention[] = [];
  for (const entity of entities) {
    const userId = /^tg:\/\/user\?id=(\d+)$/.exec(entity.url ?? '')?.[1];
    if (entity.type === 'text_link' && userId !== undefined)
      found.push({
        entity: { type: 'text_mention', offset: entity.offset, length: entity.length },
        userId: Number(userId),
      });
  }
  const inOpaque = (at: number): boolean =>
    entities.some((e) => OPAQUE.has(e.type) && at >= e.offset && at < e.offset + e.length);
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (at > 0 && WORD.test(codePointBefore(text, at))) continue;
    let end = at + 1;
    while (end < text.length && NAME_CHAR.test(text[end]!)) end++;
    const name = text.slice(at + 1, end);
    if (name.length < 2 || name.length > 32) continue;
    if (end < text.length && WORD.test(String.fromCodePoint(text.codePointAt(end)!))) continue;
    if (name.length < 5 && !isShortUsername(name)) continue;
    if (inOpaque(at)) continue;
    found.push({ entity: { type: 'mention', offset: at, length: end - at }, username: name });
  }
  return found.sort((a, b) => a.entity.offset - b.entity.offset);
}
