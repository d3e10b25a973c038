/**
 * Splitting and truncating plain text to a platform's message length, counted in UTF-16 code units
 * (what Discord's 2000 and JavaScript's `length` count), without ever cutting a surrogate pair.
 */

const isWhitespace = (ch: string | undefined): boolean => ch !== undefined && /\s/.test(ch);
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** True when cutting `text` before index `at` would separate a surrogate pair. */
function splitsPair(text: string, at: number): boolean {
  return (
    at > 0 &&
    at < text.length &&
    isHighSurrogate(text.charCodeAt(at - 1)) &&
    isLowSurrogate(text.charCodeAt(at))
  );
}

// Break kinds in order of preference; each tests whether a break starts at index `at`.
const BREAKS: ((text: string, at: number) => boolean)[] = [
  (text, at) => text[at] === '\n' && text[at + 1] === '\n',
  (text, at) => text[at] === '\n',
  (text, at) => text[at] === ' ' || text[at] === '\t',
];

/** End index (exclusive) of the next chunk starting at `pos`, at most `pos + maxLength`. */
function chunkEnd(text: string, pos: number, maxLength: number): number {
  const limit = pos + maxLength;
  // A break is only useful after some content, or the chunk would be all whitespace.
  let content = pos;
  while (content < limit && isWhitespace(text[content])) content++;
  // First look for a break that keeps the chunk at least half full (fewer, fuller messages), then anywhere.
  for (const minFill of [Math.floor(maxLength / 2), 1]) {
    for (const isBreak of BREAKS) {
      for (let at = limit; at >= pos + minFill; at--) {
        if (at > content && isBreak(text, at)) return at;
      }
    }
  }
  return splitsPair(text, limit) ? limit - 1 : limit;
}

/**
 * Splits `text` into chunks of at most `maxLength` UTF-16 units, preferring paragraph breaks, then
 * line breaks, then spaces, else cutting hard between code points. The whitespace run at each split
 * point is dropped (as is any whitespace run longer than maxLength), so `text` is exactly the chunks
 * interleaved with whitespace-only runs, possibly empty. Returns [] for '' and [text] when it fits.
 */
export function splitText(text: string, maxLength: number): string[] {
  if (!Number.isInteger(maxLength) || maxLength < 2)
    throw new RangeError(`maxLength must be an integer >= 2, got ${maxLength}`);
  const chunks: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (text.length - pos <= maxLength) {
      chunks.push(text.slice(pos));
      break;
    }
    if (/^\s*$/.test(text.slice(pos, pos + maxLength))) {
      // A whitespace run longer than a message carries nothing: drop it like any split point.
      while (isWhitespace(text[pos])) pos++;
      continue;
    }
    const end = chunkEnd(text, pos, maxLength);
    const chunk = text.slice(pos, end);
    const isSoftBreak = isWhitespace(text[end]);
    chunks.push(isSoftBreak ? chunk.trimEnd() : chunk);
    pos = end;
    if (isSoftBreak) while (isWhitespace(text[pos])) pos++;
  }
  return chunks;
}

/**
 * Shortens `text` to at most `maxLength` UTF-16 units, ending with `marker` when anything was cut.
 * Never cuts a surrogate pair.
 */
export function truncateText(text: string, maxLength: number, marker = '…'): string {
  if (text.length <= maxLength) return text;
  if (marker.length > maxLength) throw new RangeError(`marker is longer than maxLength ${maxLength}`);
  let cut = maxLength - marker.length;
  if (splitsPair(text, cut)) cut -= 1;
  return text.slice(0, cut) + marker;
}
