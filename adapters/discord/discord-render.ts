/**
 * How a swarm message looks in Discord: an optional subtext line naming the speaking agent (when it
 * has no bot of its own), an optional bold heading line, then the body, all escaped. Content longer
 * than Discord's 2000 characters after escaping is split into parts at line breaks, never inside
 * an escape or the heading.
 */
import { escapeDiscordMarkdown, escapeLineStart } from './discord-escape.ts';
import { truncateText } from '../../src/chat/split-text.ts';

/** Discord's limit on message content, in UTF-16 code units. */
export const DISCORD_MAX_CONTENT = 2_000;
/** Headings and speaker names longer than this are shortened; they are labels, not content. */
const MAX_LABEL = 200;

export interface RenderInput {
  heading?: string;
  text: string;
  /** Agent name shown for an agent speaking through the orchestrator's bot. */
  speaker?: string;
}

/** Renders a message to Discord content (may exceed 2000; see `splitDiscordContent`). */
export function renderDiscordContent(input: RenderInput): string {
  const lines: string[] = [];
  if (input.speaker !== undefined)
    lines.push(`-# ${escapeDiscordMarkdown(truncateText(oneLine(input.speaker), MAX_LABEL))}`);
  if (input.heading !== undefined && input.heading !== '') {
    lines.push(`**${escapeDiscordMarkdown(truncateText(oneLine(input.heading), MAX_LABEL))}**`);
  }
  return [...lines, escapeDiscordMarkdown(input.text)].join('\n');
}

/** Length of the label lines (speaker and heading) at the top of rendered content, with their newline. */
function headerLength(content: string, input: RenderInput): number {
  const labelLines = (input.speaker !== undefined ? 1 : 0) + (input.heading ? 1 : 0);
  let at = 0;
  for (let i = 0; i < labelLines; i++) at = content.indexOf('\n', at) + 1;
  return at;
}

/**
 * Splits rendered content into parts of at most `max` characters, keeping the label lines in the
 * first part, preferring to cut after a newline, and never between a backslash and what it escapes.
 */
export function splitDiscordContent(
  content: string,
  input: RenderInput,
  max = DISCORD_MAX_CONTENT,
): string[] {
  const parts: string[] = [];
  let rest = content;
  let minCut = Math.min(headerLength(content, input), max - 1);
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max - 1) + 1;
    if (cut <= Math.max(minCut, max / 2)) cut = safeCut(rest, max);
    parts.push(rest.slice(0, cut));
    // A part that starts mid-line must not turn `-`, `#` or `>` into markup.
    rest = rest[cut - 1] === '\n' ? rest.slice(cut) : escapeLineStart(rest.slice(cut));
    minCut = 0;
  }
  parts.push(rest);
  return parts;
}

/** The largest cut ≤ `max` that leaves no dangling backslash and no split surrogate pair. */
function safeCut(text: string, max: number): number {
  let backslashes = 0;
  for (let i = max - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  let cut = backslashes % 2 === 1 ? max - 1 : max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
