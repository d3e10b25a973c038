import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitText, truncateText } from '../../src/chat/split-text.ts';

// Pieces that exercise every break kind, whitespace runs and surrogate pairs.
const piece = fc.constantFrom(
  'a',
  'bc',
  'word',
  ' ',
  '  ',
  '\t',
  '\n',
  '\n\n',
  '\n\n\n',
  '😀',
  '𝒳y',
  'é',
  '\u00a0',
);
const textArb = fc.array(piece, { maxLength: 200 }).map((parts) => parts.join(''));
const maxArb = fc.integer({ min: 2, max: 60 });

/**
 * The documented reconstruction: `text` is the chunks interleaved with whitespace-only runs (each
 * possibly empty), so walking `text` each chunk follows the previous one after whitespace only.
 */
function reconstructs(text: string, chunks: string[]): boolean {
  let at = 0;
  for (const chunk of chunks) {
    while (!text.startsWith(chunk, at)) {
      if (at >= text.length || !/\s/.test(text[at]!)) return false;
      at++;
    }
    at += chunk.length;
  }
  return /^\s*$/.test(text.slice(at));
}

const hasLoneSurrogate = (s: string): boolean =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('splitText', () => {
  it('keeps every chunk non-empty and within maxLength', () => {
    fc.assert(
      fc.property(textArb, maxArb, (text, max) => {
        for (const chunk of splitText(text, max)) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('loses nothing but whitespace at split points', () => {
    fc.assert(fc.property(textArb, maxArb, (text, max) => reconstructs(text, splitText(text, max))));
  });

  it('never splits a surrogate pair', () => {
    fc.assert(
      fc.property(textArb, maxArb, (text, max) =>
        splitText(text, max).every((chunk) => !hasLoneSurrogate(chunk)),
      ),
    );
  });

  it('returns the text unchanged when it fits, and nothing for empty text', () => {
    fc.assert(
      fc.property(
        textArb,
        (text) => text.length === 0 || splitText(text, Math.max(2, text.length))[0] === text,
      ),
    );
    expect(splitText('', 10)).toEqual([]);
    expect(splitText('  indented', 10)).toEqual(['  indented']);
  });

  it('prefers a paragraph break, then a line break, then a space', () => {
    expect(splitText('aaaa bbbb\ncccc\n\ndddd eeee', 18)).toEqual(['aaaa bbbb\ncccc', 'dddd eeee']);
    expect(splitText('aaaa bbbb\ncccc dddd', 16)).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(splitText('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
  });

  it('ignores a break that would leave a chunk less than half full when a later one exists', () => {
    expect(splitText('a\n\nbbbbbbb ccccccc', 12)).toEqual(['a\n\nbbbbbbb', 'ccccccc']);
  });

  it('cuts hard inside a long word, but not between the halves of a pair', () => {
    expect(splitText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(splitText('abc😀def', 4)).toEqual(['abc', '😀de', 'f']);
  });

  it('drops a whitespace run longer than maxLength', () => {
    expect(splitText('ab\n\n\n\n\ncd', 3)).toEqual(['ab', 'cd']);
    expect(splitText('\n\n\n', 2)).toEqual([]);
  });

  it('rejects a maxLength that cannot hold a surrogate pair', () => {
    expect(() => splitText('abc', 1)).toThrow(RangeError);
  });
});

describe('truncateText', () => {
  it('fits maxLength, keeps a prefix and marks the cut', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 1, max: 60 }), (text, max) => {
        const out = truncateText(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(hasLoneSurrogate(out)).toBe(hasLoneSurrogate(text));
        if (text.length <= max) expect(out).toBe(text);
        else {
          expect(out.endsWith('…')).toBe(true);
          expect(text.startsWith(out.slice(0, -1))).toBe(true);
        }
      }),
    );
  });

  it('uses a custom marker', () => {
    expect(truncateText('hello world', 8, ' [...]')).toBe('he [...]');
    expect(truncateText('ab😀cd', 4)).toBe('ab…');
  });
});
