/**
 * What a person sees for a Discord message's content, worked out independently of the adapter:
 * backslash escapes resolve to the character, while unescaped markup (emphasis, code, spoilers,
 * masked links, headers, lists, quotes, mention pills) is consumed, so text the adapter forgot to
 * escape comes out different from what was sent.
 */

export interface RenderedContent {
  speaker?: string;
  heading?: string;
  text: string;
  /** Mention tokens that are live in the content (before allowed_mentions is applied). */
  mentionTokens: string[];
}

const LINE_MARKUP = /^(\s*)(-# |#{1,3} |>>> |> |[-*] |\d+\. )/;
const INLINE_MARKUP = new Set(['*', '_', '~', '|', '`']);

function renderInline(text: string, mentions: string[]): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '\\' && next !== undefined && /[^\p{L}\p{N}\s]/u.test(next)) {
      out += next;
      i++;
    } else if (INLINE_MARKUP.has(ch)) {
      continue;
    } else if (ch === '[') {
      const link = /^\[([^\]]*)\]\(([^)]*)\)/.exec(text.slice(i));
      if (link) {
        out += link[1];
        i += link[0].length - 1;
      } else out += ch;
    } else if (ch === '<') {
      const pill = /^<(@&?|#)(\d+)>/.exec(text.slice(i));
      if (pill) {
        mentions.push(pill[1] === '@&' ? `role:${pill[2]}` : `user:${pill[2]}`);
        out += '@mention';
        i += pill[0].length - 1;
      } else out += ch;
    } else if (ch === '@' && /^@(everyone|here)/.test(text.slice(i))) {
      mentions.push('everyone');
      out += ch;
    } else out += ch;
  }
  return out;
}

function renderLines(lines: string[], mentions: string[]): string {
  return lines.map((line) => renderInline(line.replace(LINE_MARKUP, '$1'), mentions)).join('\n');
}

/** Splits the adapter's layout (subtext speaker line, bold heading line, body) and renders each part. */
export function renderDiscordContent(content: string): RenderedContent {
  const mentionTokens: string[] = [];
  const lines = content.split('\n');
  const result: RenderedContent = { text: '', mentionTokens };
  if (lines[0]?.startsWith('-# ')) result.speaker = renderInline(lines.shift()!.slice(3), mentionTokens);
  const first = lines[0];
  if (first !== undefined && lines.length > 1 && /^\*\*.*\*\*$/.test(first) && !first.endsWith('\\**')) {
    result.heading = renderInline(lines.shift()!.slice(2, -2), mentionTokens);
  }
  result.text = renderLines(lines, mentionTokens);
  return result;
}

/** The mentions Discord would notify, given the allowed_mentions the message was sent with. */
export function resolveMentions(tokens: string[], allowedMentions: unknown): string[] {
  const parse = (allowedMentions as { parse?: string[] } | null)?.parse ?? ['everyone', 'users', 'roles'];
  return tokens.filter((t) =>
    t === 'everyone'
      ? parse.includes('everyone')
      : t.startsWith('role:')
        ? parse.includes('roles')
        : parse.includes('users'),
  );
}
