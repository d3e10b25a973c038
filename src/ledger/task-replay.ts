/**
 * Replays the event log into the task state the events imply, the way task-ops, attempt-ops,
 * control-ops and dependents change the `tasks` and `attempts` tables. `audit` compares the result
 * with the stored rows, so a row edited without its event is caught.
 *
 * Fields the events of older ledgers did not record (events written before chat-swarm stored them)
 * stay `UNKNOWN` until a later event sets them; `audit` skips those and says so.
 */

/** A value the events do not determine (written by an older chat-swarm). */
export const UNKNOWN = Symbol('unknown');
export type Known<T> = T | typeof UNKNOWN;

/** What the events say one task row holds. */
export interface ReplayedTask {
  id: string;
  /** Number of the task's `task_created` event. */
  createdSeq: number;
  title: string;
  createdBy: string;
  dependsOn: string[];
  body: Known<string>;
  skills: Known<string[]>;
  priority: Known<number>;
  review: Known<boolean>;
  timeoutMs: Known<number>;
  maxAttempts: Known<number>;
  assignee: Known<string | null>;
  waitingReason: Known<string | null>;
  notBefore: Known<number>;
  status: string;
  attempt: number;
  attemptsBase: number;
  owner: string | null;
  result: string | null;
  lastError: string | null;
  question: string | null;
  progressPct: number | null;
  progressText: string | null;
  notes: string[];
}

/** What the events say one attempts row holds. */
export interface ReplayedAttempt {
  agentId: string;
  outcome: string;
  ended: boolean;
}

/** An event as the replay reads it. */
export interface ReplayEvent {
  seq: number;
  type: string;
  taskId: string | null;
  agentId: string | null;
  actor: string;
  data: Record<string, unknown>;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const has = (d: Record<string, unknown>, key: string): boolean => Object.hasOwn(d, key);

function known<T>(d: Record<string, unknown>, key: string, pick: (v: unknown) => T | undefined): Known<T> {
  if (!has(d, key)) return UNKNOWN;
  const value = pick(d[key]);
  return value === undefined ? UNKNOWN : value;
}
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asNullableString = (v: unknown): string | null | undefined =>
  v === null ? null : typeof v === 'string' ? v : undefined;
const asNumber = (v: unknown): number | undefined => num(v) ?? undefined;
const asBoolean = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;

const LIVE = new Set(['claimed', 'blocked']);

/** Replays events in order; `problems` collects events that make no sense for their task. */
export class TaskReplay {
  readonly tasks = new Map<string, ReplayedTask>();
  /** Keyed by `taskId#attempt`. */
  readonly attempts = new Map<string, ReplayedAttempt>();
  readonly problems: { seq: number; problem: string }[] = [];
  /** The swarm's pause switch as the last swarm_paused/swarm_resumed event left it. */
  swarmPaused: boolean | undefined;

  apply(e: ReplayEvent): void {
    if (e.type === 'swarm_paused' || e.type === 'swarm_resumed') {
      this.swarmPaused = e.type === 'swarm_paused';
      return;
    }
    if (e.taskId === null) return;
    if (e.type === 'task_created') {
      this.create(e, e.taskId);
      return;
    }
    const t = this.tasks.get(e.taskId);
    if (!t) {
      if (TASK_EVENTS.has(e.type))
        this.problems.push({ seq: e.seq, problem: `${e.type} for ${e.taskId} before any task_created` });
      return;
    }
    this.step(t, e);
  }

  private create(e: ReplayEvent, id: string): void {
    if (this.tasks.has(id)) {
      this.problems.push({ seq: e.seq, problem: `${id} is created a second time` });
      return;
    }
    const d = e.data;
    this.tasks.set(id, {
      id,
      createdSeq: e.seq,
      title: text(d.title) ?? '',
      createdBy: e.actor,
      dependsOn: [...(asStrings(d.dependsOn) ?? [])].sort(),
      body: known(d, 'body', asString),
      skills: known(d, 'skills', asStrings),
      priority: known(d, 'priority', asNumber),
      review: known(d, 'review', asBoolean),
      timeoutMs: known(d, 'timeoutMs', asNumber),
      maxAttempts: known(d, 'maxAttempts', asNumber),
      assignee: known(d, 'assignee', asNullableString),
      waitingReason: known(d, 'waitingReason', asNullableString),
      notBefore: 0,
      status: 'queued',
      attempt: 0,
      attemptsBase: 0,
      owner: null,
      result: null,
      lastError: null,
      question: null,
      progressPct: null,
      progressText: null,
      notes: [],
    });
  }

  /** Ends the current attempt the way `endAttempt` does: only one that is still running. */
  private endAttempt(t: ReplayedTask, outcome: string): void {
    const a = this.attempts.get(`${t.id}#${t.attempt}`);
    if (a && !a.ended) {
      a.outcome = outcome;
      a.ended = true;
    }
  }

  /** Back to the queue without spending an attempt (release, reassignment). */
  private requeueFree(t: ReplayedTask): void {
    t.status = 'queued';
    t.owner = null;
    t.question = null;
    t.attemptsBase += 1;
    t.notBefore = 0;
  }

  private step(t: ReplayedTask, e: ReplayEvent): void {
    const d = e.data;
    switch (e.type) {
      case 'task_claimed': {
        t.attempt = num(d.attempt) ?? t.attempt + 1;
        t.status = 'claimed';
        t.owner = e.agentId;
        t.question = null;
        t.progressPct = null;
        t.progressText = null;
        this.attempts.set(`${t.id}#${t.attempt}`, {
          agentId: e.agentId ?? '',
          outcome: 'running',
          ended: false,
        });
        return;
      }
      case 'task_progress':
        t.progressPct = num(d.pct);
        t.progressText = text(d.text);
        return;
      case 'task_asked':
        t.status = 'blocked';
        t.question = text(d.question);
        return;
      case 'task_answered':
        t.status = 'claimed';
        t.question = null;
        return;
      case 'task_review':
      case 'task_done':
        this.endAttempt(t, e.type === 'task_review' ? 'review' : 'done');
        t.status = e.type === 'task_review' ? 'review' : 'done';
        t.result = text(d.result);
        t.owner = null;
        t.question = null;
        t.lastError = null;
        return;
      case 'attempt_failed':
      case 'lease_expired':
        this.endAttempt(t, e.type === 'attempt_failed' ? 'failed' : 'expired');
        if (d.requeued === true) {
          t.status = 'queued';
          t.owner = null;
          t.question = null;
          t.lastError = text(d.error);
          t.notBefore = known(d, 'notBefore', asNumber);
        }
        return;
      case 'task_failed':
        // fail() with no attempts left writes task_failed alone; an expiry wrote lease_expired first.
        this.endAttempt(t, 'failed');
        t.status = 'failed';
        t.owner = null;
        t.question = null;
        t.lastError = text(d.error);
        return;
      case 'task_released':
        this.endAttempt(t, 'requeued');
        this.requeueFree(t);
        return;
      case 'task_cancelled':
        this.endAttempt(t, 'cancelled');
        t.status = 'cancelled';
        t.owner = null;
        t.question = null;
        return;
      case 'task_retried':
        if (t.status === 'failed' || t.status === 'cancelled') {
          t.status = 'queued';
          t.attemptsBase = t.attempt;
        }
        t.notBefore = 0;
        return;
      case 'task_assigned': {
        const assignee = text(d.assignee);
        if (LIVE.has(t.status) && t.owner !== assignee) {
          this.endAttempt(t, 'requeued');
          this.requeueFree(t);
        }
        t.assignee = assignee;
        return;
      }
      case 'task_priority':
        t.priority = num(d.to) ?? UNKNOWN;
        return;
      case 'task_approved': {
        t.status = 'done';
        // approveTask sets the outcome whether or not the attempt had ended.
        const a = this.attempts.get(`${t.id}#${t.attempt}`);
        if (a) a.outcome = 'done';
        return;
      }
      case 'task_rejected':
        t.status = 'queued';
        t.notes.push(`review feedback: ${text(d.feedback) ?? ''}`);
        t.attemptsBase = t.attempt;
        t.notBefore = 0;
        t.result = null;
        return;
      case 'task_note':
        t.notes.push(text(d.note) ?? '');
        return;
      case 'task_waiting':
        t.waitingReason = text(d.reason);
        return;
      case 'task_waiting_cleared':
        t.waitingReason = null;
        return;
      default:
        // stale_write_refused, task_unblocked and event types this replay does not model change no
        // field it checks.
        return;
    }
  }
}

/** Event types that only make sense after their task was created. */
const TASK_EVENTS = new Set([
  'task_claimed',
  'task_progress',
  'task_asked',
  'task_answered',
  'task_review',
  'task_done',
  'attempt_failed',
  'lease_expired',
  'task_failed',
  'task_released',
  'task_cancelled',
  'task_retried',
  'task_assigned',
  'task_priority',
  'task_approved',
  'task_rejected',
  'task_note',
  'task_waiting',
  'task_waiting_cleared',
  'task_unblocked',
]);
