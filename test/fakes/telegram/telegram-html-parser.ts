/**
 * Parses Bot API "HTML" parse mode the way the Telegram server does: a small set of tags, four named
 * entities plus numeric ones, and a 400 "can't parse entities" for anything else. The error texts
 * follow the server's wording so an adapter's error mapping sees what production would send.
 * @see https://core.telegram.org/bots/api#html-style
 */

/** One formatting span in the rendered text, offsets in UTF-16 code units like the Bot API. */
export interface TextEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  /** For `text_mention`: the Bot API `User` mentioned. */
  user?: Record<string, unknown>;
}

export interface ParsedHtml {
  text: string;
  entities: TextEntity[];
}

/** Thrown for markup the server refuses; `message` is the part after "can't parse entities: ". */
export class HtmlParseError extends Error {
  override name = 'HtmlParseError';
}

const TAG_TYPES: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export interface HtmlParseOptions {
  /**
   * The real server keeps an `&` that starts no entity as a literal. Strict mode (the fake's default)
   * refuses it instead, so an adapter that forgets to escape `&` fails loudly in tests.
   */
  strictAmpersand: boolean;
}

interface OpenTag {
  name: string;
  type: string;
  offset: number;
  url?: string;
}

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r';

/** Renders Telegram HTML to plain text plus entities, or throws HtmlParseError. */
export function parseTelegramHtml(
  html: string,
  options: HtmlParseOptions = { strictAmpersand: true },
): ParsedHtml {
  const byteOffset = (index: number): number => Buffer.byteLength(html.slice(0, index));
  let text = '';
  const entities: TextEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '&') {
      const decoded = decodeEntity(html, i);
      if (decoded) {
        text += decoded.value;
        i = decoded.end;
        continue;
      }
      if (options.strictAmpersand) throw new HtmlParseError(`Unescaped "&" at byte offset ${byteOffset(i)}`);
      text += ch;
      i += 1;
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i += 1;
      continue;
    }
    const begin = i;
    if (html[i + 1] === '/') {
      const close = html.indexOf('>', i);
      if (i + 2 >= html.length)
        throw new HtmlParseError(`Unexpected end tag at byte offset ${byteOffset(begin)}`);
      if (close < 0) throw new HtmlParseError(`Unclosed end tag at byte offset ${byteOffset(begin)}`);
      const name = html
        .slice(i + 2, close)
        .trim()
        .toLowerCase();
      const open = stack.pop();
      if (!open) throw new HtmlParseError(`Unexpected end tag at byte offset ${byteOffset(begin)}`);
      if (open.name !== name) {
        throw new HtmlParseError(
          `Unmatched end tag at byte offset ${byteOffset(begin)}, expected "</${open.name}>", found "</${name}>"`,
        );
      }
      if (text.length > open.offset) {
        const entity: TextEntity = {
          type: open.type,
          offset: open.offset,
          length: text.length - open.offset,
        };
        if (open.url !== undefined) entity.url = open.url;
        entities.push(entity);
      }
      i = close + 1;
      continue;
    }
    i += 1;
    while (i < html.length && !isSpace(html[i]) && html[i] !== '>') i += 1;
    if (i >= html.length) throw new HtmlParseError(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
    const name = html.slice(begin + 1, i).toLowerCase();
    const type = TAG_TYPES[name];
    if (type === undefined)
      throw new HtmlParseError(`Unsupported start tag "${name}" at byte offset ${byteOffset(begin)}`);
    const attributes = new Map<string, string>();
    i = readAttributes(html, i, name, attributes, byteOffset(begin));
    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      throw new HtmlParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(begin)}`);
    }
    const open: OpenTag = { name, type, offset: text.length };
    const href = attributes.get('href');
    if (name === 'a' && href !== undefined) open.url = href;
    stack.push(open);
  }
  const unclosed = stack.pop();
  if (unclosed) throw new HtmlParseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((a, b) => a.offset - b.offset);
  return { text, entities };
}

/** Reads `name="value"` pairs up to the closing `>`; returns the index after it. */
function readAttributes(
  html: string,
  start: number,
  tag: string,
  into: Map<string, string>,
  at: number,
): number {
  let i = start;
  for (;;) {
    while (isSpace(html[i])) i += 1;
    if (i >= html.length) throw new HtmlParseError(`Unclosed start tag "${tag}" at byte offset ${at}`);
    if (html[i] === '>') return i + 1;
    const nameStart = i;
    while (i < html.length && !isSpace(html[i]) && html[i] !== '=' && html[i] !== '>') i += 1;
    const name = html.slice(nameStart, i).toLowerCase();
    if (name === '')
      throw new HtmlParseError(`Empty attribute name in the tag "${tag}" at byte offset ${at}`);
    while (isSpace(html[i])) i += 1;
    if (html[i] !== '=') {
      throw new HtmlParseError(
        `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${at}`,
      );
    }
    i += 1;
    while (isSpace(html[i])) i += 1;
    if (i >= html.length) throw new HtmlParseError(`Unclosed start tag "${tag}" at byte offset ${at}`);
    const quote = html[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      const end = html.indexOf(quote, i + 1);
      if (end < 0 || end + 1 >= html.length)
        throw new HtmlParseError(`Unclosed start tag at byte offset ${at}`);
      value = decodeAll(html.slice(i + 1, end));
      i = end + 1;
    } else {
      const valueStart = i;
      while (i < html.length && /[A-Za-z0-9.\-_]/.test(html[i]!)) i += 1;
      value = html.slice(valueStart, i);
    }
    into.set(name, value);
  }
}

function decodeAll(value: string): string {
  let out = '';
  for (let i = 0; i < value.length;) {
    const decoded = value[i] === '&' ? decodeEntity(value, i) : undefined;
    if (decoded) {
      out += decoded.value;
      i = decoded.end;
    } else {
      out += value[i];
      i += 1;
    }
  }
  return out;
}

/** Decodes `&lt;`, `&#60;` or `&#x3c;` at `start`; undefined when no entity starts there. */
function decodeEntity(html: string, start: number): { value: string; end: number } | undefined {
  const match = /^&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/.exec(
    html.slice(start, start + 12),
  );
  if (!match) return undefined;
  const [whole, hex, dec, name] = match;
  if (name !== undefined) {
    const value = NAMED_ENTITIES[name];
    return value === undefined || !whole.endsWith(';') ? undefined : { value, end: start + whole.length };
  }
  const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
  if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff) return undefined;
  return { value: String.fromCodePoint(code), end: start + whole.length };
}
