import { describe, expect, it } from 'vitest';
import { renderBoard, renderTaskMessage } from '../../src/chat/render-task.ts';
import { staffingKey, staffingOf, unstaffedReason } from '../../src/chat/staffing.ts';
import type { AgentRecord, Task } from '../../src/core/types.ts';

const NOW = 1_700_000_000_000;
const agent = (id: string, skills: string[], extra: Partial<AgentRecord> = {}): AgentRecord => ({
  id,
  skills,
  capacity: 1,
  status: 'active',
  lastHeartbeatAt: NOW - 1_000,
  pid: 1,
  instance: null,
  host: null,
  startedAt: null,
  ...extra,
});
const need = (skills: string[], assignee: string | null = null) =>
  ({ status: 'queued', skills, assignee }) as const;

describe('staffing', () => {
  it('counts agents heard from within a lease that are not paused or offline', () => {
    const s = staffingOf(
      [
        agent('live', ['code']),
        agent('silent', ['code'], { lastHeartbeatAt: NOW - 31_000 }),
        agent('paused', ['code'], { status: 'paused' }),
        agent('offline', ['code'], { status: 'offline' }),
        agent('never', ['code'], { lastHeartbeatAt: null }),
      ],
      NOW,
      30_000,
    );
    expect(s.online.map((a) => a.id)).toEqual(['live']);
  });

  it('says why nobody online can take a queued task', () => {
    const s = staffingOf([agent('c', ['code']), agent('d', ['docs'])], NOW, 30_000);
    expect(unstaffedReason(need(['code']), s)).toBeNull();
    expect(unstaffedReason(need([]), s)).toBeNull();
    expect(unstaffedReason(need(['design']), s)).toBe('no online agent has skill design');
    expect(unstaffedReason(need(['design', 'code', 'ops']), s)).toBe(
      'no online agent has skills design, ops',
    );
    expect(unstaffedReason(need(['code', 'docs']), s)).toBe(
      'no online agent has all of the skills code, docs',
    );
    expect(unstaffedReason(need(['code'], 'x-1'), s)).toBe('its assignee x-1 is not online');
    expect(unstaffedReason(need(['docs'], 'c'), s)).toBe('no online agent has skill docs');
    expect(unstaffedReason(need([]), staffingOf([], NOW, 30_000))).toBe('no agent is online');
    expect(unstaffedReason({ status: 'claimed', skills: ['design'], assignee: null }, s)).toBeNull();
  });

  it('keys the online set by ids and skills, whatever their order', () => {
    const a = staffingOf([agent('c', ['code', 'web']), agent('d', ['docs'])], NOW, 30_000);
    const b = staffingOf([agent('d', ['docs']), agent('c', ['web', 'code'])], NOW, 30_000);
    expect(staffingKey(a)).toBe(staffingKey(b));
    expect(staffingKey(a)).not.toBe(staffingKey(staffingOf([agent('c', ['code'])], NOW, 30_000)));
  });

  it('shows the reason on the status line and on the board', () => {
    const task: Task = {
      id: 'T-1',
      title: 'Logo',
      body: '',
      skills: ['design'],
      priority: 5,
      dependsOn: [],
      review: false,
      status: 'queued',
      attempt: 0,
      maxAttempts: 3,
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
      timeoutMs: 60_000,
      createdBy: 'test',
      createdAt: NOW,
      updatedAt: NOW,
    } as unknown as Task;
    const s = staffingOf([agent('c', ['code'])], NOW, 30_000);
    expect(renderTaskMessage(task, s).text.split('\n')[0]).toBe('queued · no online agent has skill design');
    expect(renderTaskMessage(task).text.split('\n')[0]).toBe('queued');
    expect(renderBoard([task], { queued: 1 }, false, s)).toContain(
      'T-1 · Logo — queued · no online agent has skill design',
    );
  });
});
