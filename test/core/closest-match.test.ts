import { describe, expect, it } from 'vitest';
import { closestMatch } from '../../src/core/closest-match.ts';

const OPTIONS = ['skills', 'priority', 'after', 'review', 'key', 'attempts', 'timeout'];

describe('closestMatch', () => {
  it.each<[string, string | undefined]>([
    ['priorty', 'priority'],
    ['PRIORITY', 'priority'],
    ['timout', 'timeout'],
    ['skils', 'skills'],
    ['atempts', 'attempts'],
    ['reveiw', 'review'],
    ['kye', 'key'],
    ['colour', undefined],
    ['x', undefined],
    ['', undefined],
    ['budget', undefined],
  ])('%j → %j', (word, expected) => {
    expect(closestMatch(word, OPTIONS)).toBe(expected);
  });

  it('prefers the nearest candidate, and the earlier one on a tie', () => {
    expect(closestMatch('cat', ['hat', 'cut', 'cart'])).toBe('hat');
    expect(closestMatch('carts', ['cats', 'cart', 'carts'])).toBe('carts');
  });

  it('returns undefined with no candidates', () => {
    expect(closestMatch('anything', [])).toBeUndefined();
  });
});
