import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOutputCapture, tailOfText } from '../../src/agents/shell-output-capture.ts';
import {
  toEnvValue,
  toTaskEnv,
  toTaskStdinLine,
  MAX_ENV_VALUE_CHARS,
} from '../../src/agents/shell-task-env.ts';
import type { Task } from '../../src/core/types.ts';

function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    ...{ id: 'T-1', title: 'Title', body: 'Body', skills: [], priority: 0, dependsOn: [], review: false },
    ...{ timeoutMs: 60_000, maxAttempts: 3, status: 'claimed', attempt: 1, owner: 'a1', assignee: null },
    ...{ leaseExpiresAt: null, notBefore: 0, progressPct: null, progressText: null, question: null },
    ...{
      result: null,
      lastError: null,
      waitingReason: null,
      notes: [],
      createdBy: 'u',
      idempotencyKey: null,
    },
    ...{ createdAt: 0, updatedAt: 0 },
    ...overrides,
  };
}

describe('createOutputCapture', () => {
  it('keeps everything under the cap', () => {
    const capture = createOutputCapture(100);
    capture.append('hello ');
    capture.append('wörld\n');
    expect(capture.text()).toBe('hello wörld\n');
    expect(capture.droppedBytes).toBe(0);
  });

  it('keeps the head and the tail and says how much was dropped', () => {
    const capture = createOutputCapture(24);
    for (let i = 0; i < 10; i++) capture.append(`line${i}\n`);
    const text = capture.text();
    expect(text.startsWith('line0\nline1\n')).toBe(true);
    expect(text.endsWith('line8\nline9\n')).toBe(true);
    expect(capture.droppedBytes).toBe(60 - 24);
    expect(text).toContain('[… 36 bytes of output dropped …]');
    expect(text).not.toContain('line5');
  });

  it('never cuts a character in half and accounts for every byte', () => {
    const chunk = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\uFFFD'));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 20 }), fc.integer({ min: 0, max: 64 }), (chunks, max) => {
        const capture = createOutputCapture(max);
        for (const c of chunks) capture.append(c);
        const whole = chunks.join('');
        const text = capture.text();
        expect(text).not.toContain('\uFFFD');
        if (capture.droppedBytes === 0) {
          expect(text).toBe(whole);
        } else {
          const [head, tail] = text.split(/\n\[… \d+ bytes of output dropped …\]\n/);
          expect(whole.startsWith(head!)).toBe(true);
          expect(whole.endsWith(tail!)).toBe(true);
          const kept = Buffer.byteLength(head!) + Buffer.byteLength(tail!);
          expect(kept).toBeLessThanOrEqual(max);
          expect(kept + capture.droppedBytes).toBe(Buffer.byteLength(whole));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('tailOfText', () => {
  it('keeps the last lines, then the last characters', () => {
    const text = Array.from({ length: 30 }, (_, i) => `l${i}`).join('\n') + '\n\n';
    expect(tailOfText(text, 3, 100)).toBe('l27\nl28\nl29');
    expect(tailOfText(text, 3, 6)).toBe('…8\nl29');
  });
});

describe('task environment', () => {
  it('carries the task in SWARM_* variables', () => {
    const task = makeTask({ skills: ['ts', 'sql'], notes: ['first', 'second'], maxAttempts: 4 });
    expect(toTaskEnv({ task, attempt: 2, agentId: 'a1', workDir: '/w' })).toEqual({
      SWARM_TASK_ID: task.id,
      SWARM_TASK_TITLE: task.title,
      SWARM_TASK_BODY: task.body,
      SWARM_TASK_SKILLS: 'ts,sql',
      SWARM_TASK_NOTES: 'first\nsecond',
      SWARM_ATTEMPT: '2',
      SWARM_MAX_ATTEMPTS: '4',
      SWARM_AGENT_ID: 'a1',
      SWARM_WORKDIR: '/w',
    });
  });

  it('drops NUL characters and caps long values', () => {
    expect(toEnvValue('a\0b')).toBe('ab');
    const long = toEnvValue('x'.repeat(MAX_ENV_VALUE_CHARS * 2));
    expect(long.length).toBe(MAX_ENV_VALUE_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  it('writes the whole task as one line of JSON', () => {
    const task = makeTask({ body: 'multi\nline\nbody' });
    const line = toTaskStdinLine({ task, attempt: 1, agentId: 'a1', workDir: '/w' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ task, attempt: 1, agentId: 'a1', workDir: '/w' });
  });
});
