import { describe, expect, it } from 'vitest';
import { withActionHints } from '../../../adapters/console/console-action-hints.ts';
import { actionsFor } from '../../../src/chat/task-actions.ts';
import type { Task } from '../../../src/core/types.ts';

describe('console action hints', () => {
  it('shows a task’s buttons as the typed commands that do the same', () => {
    const task = { id: 'T-3', status: 'review' } as Task;
    expect(withActionHints('awaiting review', actionsFor(task, '1'))).toBe(
      'awaiting review\n[approve: /approve T-3] [reject: /reject T-3 <feedback>]',
    );
    expect(withActionHints('done', [])).toBe('done');
    expect(withActionHints('done', undefined)).toBe('done');
  });
});
