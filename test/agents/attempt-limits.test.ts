import { describe, expect, it } from 'vitest';
import { capText, createAttemptCaps, DefaultAttemptLimits } from '../../src/agents/attempt-limits.ts';
import type { Logger } from '../../src/core/logger.ts';

function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (msg: string): void => {
      lines.push({ level, msg });
    };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

describe('attempt caps', () => {
  it('allows one open question at a time and five per attempt, then refuses and counts', () => {
    const { log, lines } = recordingLog();
    const caps = createAttemptCaps('T-3#1', DefaultAttemptLimits, log, {});
    expect(caps.allowQuestion(true)).toBe(false);
    for (let i = 0; i < 5; i++) expect(caps.allowQuestion(false)).toBe(true);
    expect(caps.allowQuestion(false)).toBe(false);
    expect(caps.allowQuestion(false)).toBe(false);
    expect(caps.notices()).toEqual([
      'T-3#1: 3 further question(s) (::ask) refused: one open at a time, at most 5 per attempt',
    ]);
    // One warning, the rest at debug: a flood does not flood the log either.
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(2);
  });

  it('allows ten artifacts and says nothing when nothing was refused', () => {
    const caps = createAttemptCaps('T-1#2', DefaultAttemptLimits, recordingLog().log, {});
    for (let i = 0; i < 10; i++) expect(caps.allowArtifact()).toBe(true);
    expect(caps.notices()).toEqual([]);
    expect(caps.allowArtifact()).toBe(false);
    expect(caps.notices()).toEqual([
      'T-1#2: 1 further artifact(s) (::artifact) refused: at most 10 per attempt',
    ]);
  });

  it('cuts long texts with a mark', () => {
    expect(capText('abcdef', 4)).toBe('abc…');
    expect(capText('abc', 4)).toBe('abc');
  });
});
