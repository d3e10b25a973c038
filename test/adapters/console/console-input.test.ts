import { describe, expect, it } from 'vitest';
import { parseConsoleInput } from '../../../adapters/console/console-input.ts';

describe('parseConsoleInput', () => {
  it('reads a reply to a numbered message', () => {
    expect(parseConsoleInput('>#7 blue please')).toEqual({ text: 'blue please', replyToMessageId: '7' });
    expect(parseConsoleInput('> #12 ok')).toEqual({ text: 'ok', replyToMessageId: '12' });
  });

  it('treats everything else, including a reply marker without text, as a plain message', () => {
    expect(parseConsoleInput('/status')).toEqual({ text: '/status' });
    expect(parseConsoleInput('>#7 ')).toEqual({ text: '>#7 ' });
    expect(parseConsoleInput('>#x hi')).toEqual({ text: '>#x hi' });
    expect(parseConsoleInput('a\r')).toEqual({ text: 'a' });
  });

  it('ignores blank lines', () => {
    expect(parseConsoleInput('')).toBeUndefined();
    expect(parseConsoleInput('  \t')).toBeUndefined();
  });
});
