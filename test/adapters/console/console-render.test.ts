import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatClockTime,
  renderConsoleMessage,
  sanitizeTerminalText,
  toConsoleToken,
} from '../../../adapters/console/console-render.ts';
import { parseConsoleOutput } from './parse-console-output.ts';

const plain = { color: false };

describe('sanitizeTerminalText', () => {
  it('shows escape sequences and C0/C1 controls as harmless characters, keeping tab and newline', () => {
    expect(sanitizeTerminalText('a\x1b[2Jb\rc\x07d\te\nf\x7fg\x9bh')).toBe('a␛[2Jb␍c␇d\te\nf␡g\ufffdh');
    expect(sanitizeTerminalText('x\u202eevil')).toBe('x\ufffdevil');
  });

  it('never leaves a control character other than tab and newline', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = sanitizeTerminalText(s);
        expect(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(out)).toBe(false);
        expect(out.length).toBe(s.length);
      }),
    );
  });
});

describe('renderConsoleMessage', () => {
  it('prints a heading on the header line and the text below', () => {
    const out = renderConsoleMessage(
      {
        messageId: '7',
        time: '12:03:04',
        kind: 'sent',
        who: 'designer-001',
        heading: 'T-3 claimed',
        text: 'line one\nline two',
      },
      plain,
    );
    expect(out).toBe(
      '[12:03:04] #7 designer-001 ▸ T-3 claimed\n           │ line one\n           │ line two\n',
    );
  });

  it('prefixes details under a task with the task id and the main message number', () => {
    const out = renderConsoleMessage(
      {
        messageId: '9',
        time: '12:03:05',
        kind: 'sent',
        who: 'swarm',
        text: 'a\nb',
        under: { messageId: '7', taskId: 'T-3' },
        replyToMessageId: '8',
      },
      plain,
    );
    expect(out).toBe('[12:03:05] #9 ↳#7 T-3 ↩#8 swarm: a\n           T-3 │ b\n');
  });

  it('marks edits, shows people in angle brackets and lists attachments', () => {
    expect(
      renderConsoleMessage(
        { messageId: '7', time: 't', kind: 'edit', who: 'swarm', heading: 'T-3 done', text: '' },
        plain,
      ),
    ).toBe('[t] #7 ✎ swarm ▸ T-3 done\n    │ \n');
    expect(
      renderConsoleMessage(
        { messageId: '8', time: 't', kind: 'human', who: 'Jane <x>', text: 'hi', replyToMessageId: '7' },
        plain,
      ),
    ).toBe('[t] #8 ↩#7 <Jane x> hi\n');
    const withFile = renderConsoleMessage(
      {
        messageId: '9',
        time: 't',
        kind: 'sent',
        who: 'swarm',
        text: 'see file',
        attachments: [{ fileName: 'out.txt', path: '/tmp/9-out.txt' }],
      },
      plain,
    );
    expect(withFile).toBe('[t] #9 swarm: see file\n    📎 out.txt → /tmp/9-out.txt\n');
  });

  it('shows a compact edit on one line: heading │ first line', () => {
    const view = {
      messageId: '7',
      time: 't',
      kind: 'edit',
      who: 'swarm',
      heading: 'T-3 done',
      text: 'by coder\nnot shown',
      compact: true,
    } as const;
    expect(renderConsoleMessage(view, plain)).toBe('[t] #7 ✎ swarm ▸ T-3 done │ by coder\n');
    const [entry] = parseConsoleOutput(renderConsoleMessage(view, plain), 'swarm');
    expect(entry).toMatchObject({ heading: 'T-3 done', text: 'by coder' });
  });

  it('uses ANSI colour only when asked', () => {
    const view = { messageId: '1', time: 't', kind: 'sent', who: 'swarm', heading: 'H', text: 'x' } as const;
    expect(renderConsoleMessage(view, { color: true })).toContain('\x1b[1mH\x1b[0m');
    expect(renderConsoleMessage(view, plain)).not.toContain('\x1b');
  });

  it('keeps hostile names and text from breaking the line grammar', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
        (who, text, heading) => {
          const printed = renderConsoleMessage(
            { messageId: '5', time: 't', kind: 'sent', who, text, ...(heading !== undefined && { heading }) },
            plain,
          );
          const [entry, ...rest] = parseConsoleOutput(printed, 'swarm');
          expect(rest).toEqual([]);
          expect(entry!.text).toBe(sanitizeTerminalText(text));
          if (heading !== undefined)
            expect(entry!.heading).toBe(sanitizeTerminalText(heading).replace(/\n/g, ' '));
          if (toConsoleToken(who) !== 'swarm') expect(entry!.speaker).toBe(toConsoleToken(who));
        },
      ),
    );
  });
});

describe('formatClockTime', () => {
  it('formats UTC time as HH:MM:SS', () => {
    expect(formatClockTime(Date.UTC(2024, 0, 2, 3, 4, 5), true)).toBe('03:04:05');
  });
});
