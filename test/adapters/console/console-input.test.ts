import { describe, expect, it } from 'vitest';
import { createConsoleInputAssembler, parseConsoleInput } from '../../../adapters/console/console-input.ts';

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

describe('createConsoleInputAssembler', () => {
  const typeLines = (lines: string[]) => {
    const assembler = createConsoleInputAssembler();
    const out = lines.flatMap((line) => assembler.push(line));
    const last = assembler.flush();
    return last ? [...out, last] : out;
  };

  it('takes the lines after /task as its body, up to an empty line', () => {
    expect(typeLines(['/task Fix it skills=web', 'Steps:', '  1. open', '', '/status'])).toEqual([
      { text: '/task Fix it skills=web\nSteps:\n  1. open' },
      { text: '/status' },
    ]);
  });

  it('ends the body at a line that is a command, which then counts on its own', () => {
    expect(typeLines(['!new@bot A', 'body', '/cancel T-1', 'hello'])).toEqual([
      { text: '!new@bot A\nbody' },
      { text: '/cancel T-1' },
      { text: 'hello' },
    ]);
    expect(typeLines(['/task A', '/task B', 'b body'])).toEqual([
      { text: '/task A' },
      { text: '/task B\nb body' },
    ]);
  });

  it('keeps body lines that only look like commands or replies', () => {
    expect(typeLines(['/task A', '/usr/bin is slow', '>#3 not a reply here', '\r'])).toEqual([
      { text: '/task A\n/usr/bin is slow\n>#3 not a reply here' },
    ]);
  });

  it('sends an open task at the end of input, and leaves other lines alone', () => {
    expect(typeLines(['hello', '>#7 blue', '/create', 'Title on the next line', 'Body'])).toEqual([
      { text: 'hello' },
      { text: 'blue', replyToMessageId: '7' },
      { text: '/create\nTitle on the next line\nBody' },
    ]);
    const assembler = createConsoleInputAssembler();
    expect(assembler.flush()).toBeUndefined();
    expect(assembler.push('/task A')).toEqual([]);
    expect(assembler.pending).toBe(true);
  });
});
