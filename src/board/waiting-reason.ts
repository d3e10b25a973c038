/** Why a queued task is not running, as the board shows it under the card. */
export type WaitingReason =
  | { kind: 'failed-dependency'; text: string }
  | { kind: 'dependency'; text: string; on: string[] }
  | { kind: 'paused'; text: string }
  | { kind: 'backoff'; text: string; until: number }
  | { kind: 'no-agent'; text: string }
  | { kind: 'agent-paused'; text: string }
  | { kind: 'busy'; text: string };

/** What a queued task needs, in the fields the reason depends on. */
export interface WaitingTask {
  status: string;
  skills: string[];
  assignee: string | null;
  notBefore: number;
  /** The stored reason (a failed or cancelled dependency). */
  waitingReason: string | null;
  /** Dependencies not done yet. */
  pendingDeps: string[];
}

/** An agent as far as claiming goes. */
export interface WaitingAgent {
  id: string;
  skills: string[];
  status: 'active' | 'paused' | 'offline';
  /** Heartbeat recent enough to count it as running. */
  online: boolean;
  capacity: number;
  held: number;
}

/** The state of the swarm the reasons are judged against. */
export interface WaitingContext {
  now: number;
  swarmPaused: boolean;
  agents: readonly WaitingAgent[];
}

const list = (xs: readonly string[]): string => xs.join(', ');

/**
 * Why a queued task waits, in the order the claim checks it: a failed dependency, dependencies not
 * done, the swarm paused, a retry backoff, then the agents (none online with the skills, all such
 * paused, all busy). Null for a task that is not queued, or that an agent will take at once.
 */
export function waitingReasonOf(task: WaitingTask, ctx: WaitingContext): WaitingReason | null {
  if (task.status !== 'queued') return null;
  if (task.waitingReason) return { kind: 'failed-dependency', text: task.waitingReason };
  if (task.pendingDeps.length)
    return {
      kind: 'dependency',
      text: `waiting for ${list(task.pendingDeps)}`,
      on: [...task.pendingDeps],
    };
  if (ctx.swarmPaused) return { kind: 'paused', text: 'the swarm is paused (/resume)' };
  if (task.notBefore > ctx.now)
    return { kind: 'backoff', text: 'retry backoff after a failed attempt', until: task.notBefore };
  const fits = ctx.agents.filter(
    (a) =>
      a.status !== 'offline' &&
      a.online &&
      (task.assignee === null || a.id === task.assignee) &&
      task.skills.every((s) => a.skills.includes(s)),
  );
  const who = task.assignee !== null ? `agent ${task.assignee}` : 'agent';
  const withSkills = task.skills.length
    ? ` with skill${task.skills.length > 1 ? 's' : ''} ${list(task.skills)}`
    : '';
  if (fits.length === 0) return { kind: 'no-agent', text: `no online ${who}${withSkills}` };
  const active = fits.filter((a) => a.status === 'active');
  if (active.length === 0) return { kind: 'agent-paused', text: `every ${who}${withSkills} is paused` };
  if (active.every((a) => a.held >= a.capacity))
    return { kind: 'busy', text: `waiting for a free ${who}${withSkills}` };
  return null;
}
