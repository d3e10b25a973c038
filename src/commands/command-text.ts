/**
 * Text clean-up and tokenising for chat commands. Phones and copy-paste bring smart quotes,
 * non-breaking spaces, CRLF, invisible format characters and, rarely, broken UTF-16; the grammar
 * works on a cleaned copy so that none of these change what a command means.
 */

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAK = /\r\n?|[\u0085\u2028\u2029]/g;
const ODD_SPACE = /[\u000B\u000C\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// Controls and invisible format characters (soft hyphen, zero-width space, bidi overrides, BOM).
// Zero-width joiners stay: emoji and some scripts need them.
const INVISIBLE =
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u00AD\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/**
 * Cleans text for reading as a command: well-formed UTF-16, `\n` line ends, plain spaces, no
 * invisible controls. Free text (titles, notes, bodies) is taken from this form.
 */
export function toPlainText(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(LINE_BREAK, '\n')
    .replace(ODD_SPACE, ' ')
    .replace(INVISIBLE, '');
}

const SMART_DOUBLE_QUOTE = /[\u201C\u201D\u201E\u201F\u00AB\u00BB\u2033\uFF02]/g;
const SMART_SINGLE_QUOTE = /[\u2018\u2019\u201A\u201B\u2032\uFF07]/g;
const DASH = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;

/**
 * The form the grammar tokenises: smart quotes become ASCII quotes and every dash a hyphen.
 * Each replacement is one UTF-16 unit for one, so offsets in this view index the plain text too.
 */
export function toTokenView(plain: string): string {
  return plain.replace(SMART_DOUBLE_QUOTE, '"').replace(SMART_SINGLE_QUOTE, "'").replace(DASH, '-');
}

/** One whitespace-separated word of a command; `start`/`end` index both the plain text and the view. */
export interface Token {
  /** The word with its quote marks removed (`a="b c"` gives `a=b c`). */
  text: string;
  start: number;
  end: number;
  /** The whole word was one quoted span, like `"x=y"`. */
  quoted: boolean;
}

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n';

/**
 * Splits `view[from, to)` into words. A `"` opens a quoted span that runs to the next `"` on the same
 * line; a quote with no partner on its line is an ordinary character (`a 12" pizza`).
 */
export function tokenize(view: string, from = 0, to = view.length): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    while (i < to && isBlank(view.charAt(i))) i++;
    if (i >= to) break;
    const start = i;
    let text = '';
    let spans = 0;
    while (i < to && !isBlank(view.charAt(i))) {
      const ch = view.charAt(i);
      const close = ch === '"' ? closingQuote(view, i, to) : -1;
      if (close < 0) {
        text += ch;
        i++;
        continue;
      }
      text += view.slice(i + 1, close);
      spans++;
      i = close + 1;
    }
    const quoted = spans === 1 && view.charAt(start) === '"' && view.charAt(i - 1) === '"';
    tokens.push({ text, start, end: i, quoted });
  }
  return tokens;
}

function closingQuote(view: string, open: number, to: number): number {
  for (let j = open + 1; j < to; j++) {
    const ch = view.charAt(j);
    if (ch === '"') return j;
    if (ch === '\n') return -1;
  }
  return -1;
}

/** Removes one pair of surrounding double quotes (straight or smart) from free text, if that is all it is. */
export function unquoteText(plain: string, view: string): string {
  if (view.length >= 2 && view.startsWith('"') && view.endsWith('"') && !view.slice(1, -1).includes('"')) {
    return plain.slice(1, -1).trim();
  }
  return plain;
}
