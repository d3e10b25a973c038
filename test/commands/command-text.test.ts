import { describe, expect, it } from 'vitest';
import { toPlainText, tokenize, toTokenView, unquoteText } from '../../src/commands/command-text.ts';

describe('toPlainText', () => {
  it('normalises line ends, odd spaces and invisible characters', () => {
    expect(toPlainText('a\r\nb\rc\u2028d')).toBe('a\nb\nc\nd');
    expect(toPlainText('a\u00A0b\u3000c\u2009d')).toBe('a b c d');
    expect(toPlainText('\uFEFFa\u200Bb\u0000c\u202Ed\u00ADe')).toBe('abcde');
  });

  it('keeps emoji joiners and replaces only lone surrogates', () => {
    const family = '👩\u200D👩\u200D👧';
    expect(toPlainText(family)).toBe(family);
    expect(toPlainText('a\uD800b\uDC00c😀')).toBe('a\uFFFDb\uFFFDc😀');
  });
});

describe('toTokenView', () => {
  it('maps smart quotes and dashes one unit for one, so offsets stay valid', () => {
    const plain = '“a” ‘b’ c—d e–f';
    const view = toTokenView(plain);
    expect(view).toBe('"a" \'b\' c-d e-f');
    expect(view).toHaveLength(plain.length);
  });
});

describe('tokenize', () => {
  it('splits on spaces, tabs and line breaks and keeps offsets', () => {
    expect(tokenize('ab  c\td\ne')).toEqual([
      { text: 'ab', start: 0, end: 2, quoted: false },
      { text: 'c', start: 4, end: 5, quoted: false },
      { text: 'd', start: 6, end: 7, quoted: false },
      { text: 'e', start: 8, end: 9, quoted: false },
    ]);
  });

  it('keeps a quoted span together and notes a fully quoted word', () => {
    expect(tokenize('x "a b" k="c d"e')).toEqual([
      { text: 'x', start: 0, end: 1, quoted: false },
      { text: 'a b', start: 2, end: 7, quoted: true },
      { text: 'k=c de', start: 8, end: 16, quoted: false },
    ]);
  });

  it('treats a quote with no partner on its line as an ordinary character', () => {
    expect(tokenize('12" pizza\n"x"').map((t) => t.text)).toEqual(['12"', 'pizza', 'x']);
    expect(tokenize('"a\nb"').map((t) => t.text)).toEqual(['"a', 'b"']);
  });

  it('reads only the given range', () => {
    expect(tokenize('skip a b', 5, 6).map((t) => t.text)).toEqual(['a']);
  });
});

describe('unquoteText', () => {
  it('drops one surrounding pair of quotes, using the view to recognise smart ones', () => {
    expect(unquoteText('“hello there”', '"hello there"')).toBe('hello there');
    expect(unquoteText('"a" and "b"', '"a" and "b"')).toBe('"a" and "b"');
    expect(unquoteText('plain', 'plain')).toBe('plain');
  });
});
