import { describe, expect, it } from 'vitest';
import { TASK_KEY_RULE, taskKeyProblem } from '../../src/core/task-key.ts';

describe('task key rule', () => {
  it('accepts keys that are one safe folder name', () => {
    for (const key of ['ORA-001', 'a', 'X.2', 'build_2024-01', 'v1.2.3', 'T-1a', 'x'.repeat(64)])
      expect(taskKeyProblem(key), key).toBeUndefined();
  });

  it('refuses paths, dot names, odd characters and overlong keys with the rule', () => {
    const bad = [
      '..',
      '.',
      '../x',
      'a/b',
      '/etc',
      'a\\b',
      'a..b',
      '.hidden',
      '-rf',
      '_x',
      'a b',
      'é',
      '',
      'x'.repeat(65),
      'a\n',
    ];
    for (const key of bad) expect(taskKeyProblem(key), JSON.stringify(key)).toBe('rule');
    expect(TASK_KEY_RULE).toMatch(/1 to 64 letters, digits/);
  });

  it('refuses keys that read as task numbers', () => {
    for (const key of ['T-9', 't-12', '12', '007']) expect(taskKeyProblem(key), key).toBe('number');
  });
});
