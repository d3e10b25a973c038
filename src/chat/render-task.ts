import { scheduleOriginOf } from '../core/schedule-key.ts';
import type { AgentRecord, Task, TaskStatus } from '../core/types.ts';
import { unstaffedReason, type Staffing } from './staffing.ts';

/** Plain-text rendering of tasks for the channel; adapters escape it for their format. */

const STATUS_MARK: Record<TaskStatus, string> = {
  queued: '⏳',
  claimed: '🔧',
  blocked: '❓',
  review: '📝',
  done: '✅',
  failed: '❌',
  cancelled: '🛑',
};

/**
 * The task's one-line state: who has it, how far along, or why it waits. Given who is online, a
 * queued task that none of them can take says so.
 */
export function statusSummary(task: Task, staffing?: Staffing): string {
  switch (task.status) {
    case 'queued': {
      if (task.waitingReason) return `waiting: ${task.waitingReason}`;
      const parts = ['queued'];
      if (task.assignee) parts.push(`for ${task.assignee}`);
      const unstaffed = staffing ? unstaffedReason(task, staffing) : null;
      if (unstaffed) parts.push(`· ${unstaffed}`);
      if (task.attempt > 0 && task.lastError) parts.push(`(retry after: ${oneLine(task.lastError)})`);
      return parts.join(' ');
    }
    case 'claimed': {
      const pct = task.progressPct !== null ? ` · ${task.progressPct}%` : '';
      const text = task.progressText ? ` ${task.progressText}` : '';
      return `working: ${task.owner ?? '?'} (attempt ${task.attempt})${pct}${text}`;
    }
    case 'blocked':
      return `waiting for an answer: ${task.question ?? ''}`;
    case 'review':
      return `awaiting review: /approve ${task.id} or /reject ${task.id} <feedback>`;
    case 'done':
      return 'done';
    case 'failed':
      return `failed: ${oneLine(task.lastError ?? 'unknown error')} (/retry ${task.id})`;
    case 'cancelled':
      return 'cancelled';
  }
}

/** An error on one line: a worker's error is "exit code; last stderr:" then the stderr lines. */
function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.join(' ⏎ ');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** `schedule nightly-report, slot 2026-10-25 00:30 UTC` for a task a schedule made; undefined otherwise. */
export function scheduleFact(task: Task): string | undefined {
  const origin = scheduleOriginOf(task.idempotencyKey);
  if (!origin) return undefined;
  const iso = new Date(origin.at).toISOString();
  const when = `${iso.slice(0, 10)} ${iso.slice(11, origin.at % 60_000 === 0 ? 16 : 19)} UTC`;
  return `schedule ${origin.scheduleId}, ${origin.manual ? 'run now at' : 'slot'} ${when}`;
}

/** The task's main message: heading and status line, edited in place as the task moves. */
export function renderTaskMessage(task: Task, staffing?: Staffing): { heading: string; text: string } {
  const facts: string[] = [`priority ${task.priority}`];
  if (task.skills.length) facts.push(`skills ${task.skills.join(', ')}`);
  if (task.dependsOn.length) facts.push(`after ${task.dependsOn.join(', ')}`);
  if (task.review) facts.push('needs review');
  const origin = scheduleFact(task);
  if (origin) facts.push(origin);
  const body = task.body ? `\n${task.body.length > 500 ? `${task.body.slice(0, 499)}…` : task.body}` : '';
  return {
    heading: `${STATUS_MARK[task.status]} ${task.id} · ${task.title}`,
    text: `${statusSummary(task, staffing)}\n${facts.join(' · ')}${body}`,
  };
}

/** One line per task, for `/status` and digests. */
export function renderTaskLine(task: Task): string {
  return taskLineRenderer()(task);
}

/** {@link renderTaskLine} for a list, saying on queued tasks when no online agent can take them. */
export function taskLineRenderer(staffing?: Staffing): (task: Task) => string {
  return (task) =>
    `${STATUS_MARK[task.status]} ${task.id} · ${task.title} — ${statusSummary(task, staffing)}`;
}

/** The board: counts by state and the tasks that are not finished. */
export function renderBoard(
  tasks: Task[],
  counts: Record<string, number>,
  paused: boolean,
  staffing?: Staffing,
): string {
  const order: TaskStatus[] = ['queued', 'claimed', 'blocked', 'review', 'done', 'failed', 'cancelled'];
  const summary =
    order
      .filter((s) => counts[s])
      .map((s) => `${s} ${counts[s]}`)
      .join(' · ') || 'no tasks yet';
  const open = tasks.filter((t) => !['done', 'cancelled'].includes(t.status));
  const shown = open.slice(0, 25).map(taskLineRenderer(staffing));
  const more = open.length > shown.length ? `\n… and ${open.length - shown.length} more` : '';
  return `${paused ? '⏸ swarm paused\n' : ''}${summary}${shown.length ? `\n${shown.join('\n')}` : ''}${more}`;
}

/** The agents list for `/agents`. */
export function renderAgents(
  agents: AgentRecord[],
  held: Map<string, string[]>,
  now: number,
  /** Agents on other hosts (joined through the channel): marked, and "heard" rather than "seen". */
  remote: ReadonlySet<string> = new Set(),
): string {
  if (!agents.length) return 'no agents registered yet';
  return agents
    .map((a) => {
      const tasks = held.get(a.id) ?? [];
      const isRemote = remote.has(a.id);
      const seen = a.lastHeartbeatAt
        ? `${isRemote ? 'last heard' : 'seen'} ${Math.max(0, Math.round((now - a.lastHeartbeatAt) / 1000))}s ago`
        : 'never seen';
      const work = tasks.length ? `working on ${tasks.join(', ')}` : 'idle';
      return `${a.id}${isRemote ? ' (remote)' : ''} [${a.status}] skills ${a.skills.join(', ') || '-'} · ${tasks.length}/${a.capacity} · ${work} · ${seen}`;
    })
    .join('\n');
}
