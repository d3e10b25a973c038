import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createProtocolParser,
  parseProtocolLine,
  toAnswerLine,
  type ParsedLine,
} from '../../src/agents/worker-protocol.ts';

/** Feeds `text` to a fresh parser cut at the given offsets and returns everything it yields. */
function parseInChunks(text: string, cuts: number[], maxLineChars?: number): ParsedLine[] {
  const parser = createProtocolParser(maxLineChars);
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: ParsedLine[] = [];
  let from = 0;
  for (const at of [...points, text.length]) {
    out.push(...parser.push(text.slice(from, at)));
    from = at;
  }
  out.push(...parser.end());
  return out;
}

/** Rebuilds result output the way the shell worker does. */
const outputOf = (lines: ParsedLine[]): string =>
  lines.map((l) => (l.kind === 'output' ? l.text + (l.eol ? '\n' : '') : '')).join('');

describe('parseProtocolLine', () => {
  it('reads progress with a percentage, a trailing % sign, or none', () => {
    expect(parseProtocolLine('::progress 40 compiling')).toEqual({
      kind: 'progress',
      pct: 40,
      text: 'compiling',
    });
    expect(parseProtocolLine('::progress 12.5% half a quarter')).toEqual({
      kind: 'progress',
      pct: 12.5,
      text: 'half a quarter',
    });
    expect(parseProtocolLine('::progress fetching sources')).toEqual({
      kind: 'progress',
      pct: null,
      text: 'fetching sources',
    });
    expect(parseProtocolLine('::progress 75')).toEqual({ kind: 'progress', pct: 75, text: '' });
    expect(parseProtocolLine('::progress\t60%\tdone-ish  ')).toEqual({
      kind: 'progress',
      pct: 60,
      text: 'done-ish',
    });
  });

  it('clamps progress to 0–100', () => {
    expect(parseProtocolLine('::progress 250 over')).toMatchObject({ pct: 100 });
    expect(parseProtocolLine('::progress -3 under')).toMatchObject({ pct: 0 });
  });

  it('does not take a number glued to text as a percentage', () => {
    expect(parseProtocolLine('::progress 50%done')).toEqual({ kind: 'progress', pct: null, text: '50%done' });
    expect(parseProtocolLine('::progress 3rd pass')).toEqual({
      kind: 'progress',
      pct: null,
      text: '3rd pass',
    });
  });

  it('reads ask, artifact and log', () => {
    expect(parseProtocolLine('::ask Which branch?')).toEqual({ kind: 'ask', question: 'Which branch?' });
    expect(parseProtocolLine('::artifact out/report.pdf')).toEqual({
      kind: 'artifact',
      path: 'out/report.pdf',
    });
    expect(parseProtocolLine('::log cache miss')).toEqual({ kind: 'log', text: 'cache miss' });
  });

  it('leaves other lines to the result', () => {
    for (const line of [
      'plain text',
      ':: progress 5 spaced',
      '::Progress 5 capital',
      '::progressive 5',
      '::unknown thing',
      ':single colon',
      ' ::ask indented',
      '::ask',
      '::ask   ',
      '::artifact',
      '',
    ]) {
      expect(parseProtocolLine(line), line).toBeNull();
    }
  });
});

describe('createProtocolParser', () => {
  it('joins partial lines across chunks and treats CRLF as LF', () => {
    const parser = createProtocolParser();
    expect(parser.push('hel')).toEqual([]);
    expect(parser.push('lo\r')).toEqual([]);
    expect(parser.push('\n::prog')).toEqual([{ kind: 'output', text: 'hello', eol: true }]);
    expect(parser.push('ress 10 a\r\nlast')).toEqual([{ kind: 'progress', pct: 10, text: 'a' }]);
    expect(parser.end()).toEqual([{ kind: 'output', text: 'last', eol: false }]);
    expect(parser.end()).toEqual([]);
  });

  it('parses a protocol message on a final line without a newline', () => {
    const parser = createProtocolParser();
    expect(parser.push('::artifact a.txt')).toEqual([]);
    expect(parser.end()).toEqual([{ kind: 'artifact', path: 'a.txt' }]);
  });

  it('passes an over-long line on as output, never as a message', () => {
    const parser = createProtocolParser(8);
    const lines = [
      ...parser.push('::ask 12345'),
      ...parser.push('6789 more?\n::ask short?\n'),
      ...parser.end(),
    ];
    expect(outputOf(lines)).toBe('::ask 123456789 more?\n');
    expect(lines.filter((l) => l.kind === 'ask')).toEqual([{ kind: 'ask', question: 'short?' }]);
  });

  it('survives binary junk', () => {
    const junk = Buffer.from([0, 255, 254, 10, 0x1b, 0x5b, 13, 13, 10, 0xc3]).toString('utf8');
    const lines = parseInChunks(junk + '\n::log ok\n', [1, 3, 5]);
    expect(lines.at(-1)).toEqual({ kind: 'log', text: 'ok' });
  });

  it('yields the same lines wherever the chunks are cut', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '::progress ',
        '::ask ',
        '::artifact ',
        '::log ',
        '::',
        ':',
        '42% ',
        '\r',
        '\n',
        '\r\n',
        'é',
        '😀',
      ),
      fc.string({ maxLength: 6 }),
    );
    const text = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (t, cuts) => {
        expect(parseInChunks(t, cuts)).toEqual(parseInChunks(t, []));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every non-protocol byte of the output, even through over-long lines', () => {
    const line = fc
      .string({ maxLength: 40 })
      .filter((s) => !s.includes('\n') && !s.includes('\r') && !s.startsWith('::'));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 10 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (ls, nl, cuts) => {
          const text = ls.join('\n') + (nl && ls.length ? '\n' : '');
          expect(outputOf(parseInChunks(text, cuts, 16))).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('toAnswerLine', () => {
  it('turns every kind of line break into a space and ends with one newline', () => {
    expect(toAnswerLine('yes\nbut\r\nonly\rthis')).toBe('yes but only this\n');
    expect(toAnswerLine('')).toBe('\n');
  });
});
