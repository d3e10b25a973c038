/**
 * Escaping plain text for Discord's markdown, so user and worker text shows literally: no bold,
 * links, headers, lists, quotes, code or mention pills. Mentions are also disabled per message with
 * `allowed_mentions`; escaping `<` keeps `<@id>` from even rendering as a mention pill.
 * @see https://support.discord.com/hc/en-us/articles/210298617 (Discord markdown)
 */

/** Characters that start or end inline markup anywhere in a line. */
const INLINE = /[\\*_~`|[\]<]/g;
/** Markup that only counts at the start of a line: headers, subtext, quotes, bullet lists. */
const LINE_START = /^(\s*)([#>\-+])/;
/** A numbered list item (`1. text`) at the start of a line. */
const NUMBERED = /^(\s*\d+)\.(\s)/;

/** Escapes one line's line-start markup (used again when a split puts a line's middle first). */
export function escapeLineStart(line: string): string {
  return line.replace(LINE_START, '$1\\$2').replace(NUMBERED, '$1\\.$2');
}

/** Backslash-escapes every markdown character in `text`; the result renders as `text`. */
export function escapeDiscordMarkdown(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeLineStart(line.replace(INLINE, (ch) => `\\${ch}`)))
    .join('\n');
}

/**
 * The inverse of `escapeDiscordMarkdown`: drops the backslash before each escaped character, left to
 * right, so a doubled backslash becomes one. Text that was never escaped may lose backslashes; use it
 * only on messages this adapter wrote (the swarm's bots).
 */
export function unescapeDiscordMarkdown(text: string): string {
  return text.replace(/\\([\\*_~`|[\]<#>\-+.])/g, '$1');
}
