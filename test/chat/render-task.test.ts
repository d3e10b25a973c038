import { describe, expect, it } from 'vitest';
import { renderBoard, renderTaskMessage, statusSummary } from '../../src/chat/render-task.ts';
import type { Task } from '../../src/core/types.ts';

const base: Task = {
  id: 'T-3',
  title: 'Import the feed',
  body: '',
  skills: ['code'],
  priority: 5,
  dependsOn: [],
  review: false,
  timeoutMs: 60_000,
  maxAttempts: 3,
  status: 'queued',
  attempt: 0,
  owner: null,
  assignee: null,
  leaseExpiresAt: null,
  notBefore: 0,
  progressPct: null,
  progressText: null,
  question: null,
  result: null,
  lastError: null,
  waitingReason: null,
  notes: [],
  createdBy: 'cli',
  idempotencyKey: null,
  createdAt: 0,
  updatedAt: 0,
};

describe('task rendering', () => {
  it("shows a failed worker's stderr on the status line, not just its exit code", () => {
    const failed = {
      ...base,
      status: 'failed' as const,
      attempt: 3,
      lastError: 'command exited with code 7; last stderr:\nfeed server said 503\n',
    };
    expect(statusSummary(failed)).toBe(
      'failed: command exited with code 7; last stderr: ⏎ feed server said 503 (/retry T-3)',
    );
  });

  it('shows who works on a task and how far along, with skills and dependencies', () => {
    const r = renderTaskMessage({
      ...base,
      status: 'claimed',
      owner: 'coder-001',
      attempt: 2,
      progressPct: 40,
      progressText: 'parsing',
      dependsOn: ['T-1'],
    });
    expect(r.heading).toBe('🔧 T-3 · Import the feed');
    expect(r.text).toMatch(
      /^working: coder-001 \(attempt 2\) · 40% parsing\npriority 5 · skills code · after T-1$/,
    );
  });

  it('shows why a queued task waits', () => {
    expect(statusSummary({ ...base, waitingReason: 'dependency T-1 cancelled' })).toBe(
      'waiting: dependency T-1 cancelled',
    );
  });

  it('counts by state on the board and hides finished tasks from the list', () => {
    const board = renderBoard([base, { ...base, id: 'T-4', status: 'done' }], { queued: 1, done: 1 }, true);
    expect(board).toMatch(/^⏸ swarm paused\nqueued 1 · done 1\n⏳ T-3/);
    expect(board).not.toMatch(/T-4/);
  });
});
