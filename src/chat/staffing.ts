import type { AgentRecord, Task } from '../core/types.ts';

/**
 * Who could take work now: the agents seen within a lease that are not paused (local agents and
 * remote ones alike, since both register in the agents table). Used to say, on a queued task's
 * status line, that nobody online can take it, rather than leaving it queued without a hint.
 */
export interface Staffing {
  online: readonly { id: string; skills: readonly string[] }[];
}

/** The agents online at `now`: active (not paused or offline) and heard from within `leaseMs`. */
export function staffingOf(agents: readonly AgentRecord[], now: number, leaseMs: number): Staffing {
  return {
    online: agents
      .filter(
        (a) => a.status === 'active' && a.lastHeartbeatAt !== null && now - a.lastHeartbeatAt <= leaseMs,
      )
      .map((a) => ({ id: a.id, skills: a.skills })),
  };
}

/** A key that changes exactly when the answer of {@link unstaffedReason} may change for some task. */
export function staffingKey(staffing: Staffing): string {
  return staffing.online
    .map((a) => `${a.id}:${[...a.skills].sort().join(',')}`)
    .sort()
    .join(' ');
}

/**
 * Why no online agent can take a queued task (`no online agent has skill design`), or null when
 * one can, or when the task is not queued.
 */
export function unstaffedReason(
  task: Pick<Task, 'status' | 'skills' | 'assignee'>,
  staffing: Staffing,
): string | null {
  if (task.status !== 'queued') return null;
  const candidates = task.assignee ? staffing.online.filter((a) => a.id === task.assignee) : staffing.online;
  if (task.assignee && candidates.length === 0) return `its assignee ${task.assignee} is not online`;
  if (candidates.some((a) => task.skills.every((s) => a.skills.includes(s)))) return null;
  if (candidates.length === 0) return 'no agent is online';
  const missing = task.skills.filter((s) => !candidates.some((a) => a.skills.includes(s)));
  if (missing.length === 0) return `no online agent has all of the skills ${task.skills.join(', ')}`;
  return `no online agent has skill${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
}
