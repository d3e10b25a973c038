import { usageLineOf } from './usage-text.ts';
import type { OutboxKind, OutboxPayload } from './outbox-payload.ts';
import { OUTBOX_PRIORITY } from './outbox-payload.ts';

/** One message an event should produce in the channel. */
export interface MirrorIntent {
  kind: OutboxKind;
  priority: number;
  payload: OutboxPayload;
}

/** Event data the plan reads; each event type fills what it has. */
export type EventData = Record<string, unknown>;

const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

function detail(text: string, priority: number, extra: Partial<OutboxPayload> = {}): MirrorIntent {
  return { kind: 'detail', priority, payload: { text, ...extra } };
}

/** Refresh of the task's status line (rendered from the live task when sent). */
const status = (priority: number = OUTBOX_PRIORITY.low): MirrorIntent => ({
  kind: 'status',
  priority,
  payload: { text: '' },
});

/** One detail with the file attached per artifact the agent accepted (a checked copy with its hash). */
function artifacts(d: EventData, agentId: string | null): MirrorIntent[] {
  const list: unknown[] = Array.isArray(d.artifacts) ? d.artifacts : [];
  return list.map((a) => {
    const rec = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    if (typeof rec.path !== 'string' || typeof rec.sha256 !== 'string')
      return detail(`📎 ${str(a)}: not attached (recorded without a checksum)`, OUTBOX_PRIORITY.normal, {
        speaker: str(agentId),
      });
    const name = typeof rec.name === 'string' ? rec.name : (rec.path.split('/').pop() ?? rec.path);
    return detail(`📎 ${name}`, OUTBOX_PRIORITY.normal, {
      speaker: str(agentId),
      attachmentPath: rec.path,
      attachmentName: name,
      attachmentSha256: rec.sha256,
      ...(typeof rec.bytes === 'number' ? { attachmentBytes: rec.bytes } : {}),
    });
  });
}

/** The agent's notices (refused artifacts, capped requests), as lines under a result. */
function notices(d: EventData): string {
  const lines = Array.isArray(d.notices) ? d.notices.map((n) => `⚠️ ${str(n)}`) : [];
  return lines.length ? `\n\n${lines.join('\n')}` : '';
}

function seconds(ms: unknown): string {
  const n = Number(ms);
  return n < 10_000 ? `${(n / 1000).toFixed(1)}s` : `${Math.round(n / 1000)}s`;
}

/** Events keep the full actor (`alice [telegram:42]`); the channel shows the name. */
function who(actor: string): string {
  return actor.replace(/ \[[^\]]*\]$/, '');
}

/**
 * Event types whose plan has rows whatever their data: `isMirrored` answers for them without
 * building the messages. A case of `planMirror` that can return no rows must not be listed here.
 */
export const ALWAYS_MIRRORED: ReadonlySet<string> = new Set([
  'task_created',
  'task_claimed',
  'task_progress',
  'task_asked',
  'task_answered',
  'task_done',
  'task_review',
  'attempt_failed',
  'task_failed',
  'lease_expired',
  'task_cancelled',
  'task_retried',
  'task_assigned',
  'task_priority',
  'task_approved',
  'task_rejected',
  'task_released',
  'task_note',
  'task_unblocked',
  'task_waiting_cleared',
  'task_waiting',
  'stale_write_refused',
  'budget_hold',
  'agent_paused',
  'agent_resumed',
  'swarm_paused',
  'swarm_resumed',
]);

/**
 * Whether the event produces any channel message (`planMirror(type, agentId, actor, { ...d, taskId })`
 * has rows), without rendering the messages for the common types: it runs inside the write lock for
 * every event.
 */
export function isMirrored(
  type: string,
  agentId: string | null,
  fullActor: string,
  d: EventData,
  taskId: string | null,
): boolean {
  return ALWAYS_MIRRORED.has(type) || planMirror(type, agentId, fullActor, { ...d, taskId }).length > 0;
}

/**
 * Decides which channel messages an event produces: a status refresh, a detail under the task,
 * or a notice at the top. Pure, so the mapping from ledger to chat is reviewable in one place.
 * Returns an empty list for events that stay in the ledger only.
 */
export function planMirror(
  type: string,
  agentId: string | null,
  fullActor: string,
  d: EventData,
): MirrorIntent[] {
  const actor = who(fullActor);
  const U = OUTBOX_PRIORITY.urgent;
  const N = OUTBOX_PRIORITY.normal;
  switch (type) {
    case 'task_created':
      return [status(N)];
    case 'task_claimed':
      return [
        status(),
        detail(`claimed (try ${str(d.try)} of ${str(d.maxAttempts)})`, N, { speaker: str(agentId) }),
      ];
    case 'task_progress':
      return [status()];
    case 'task_asked':
      return [
        status(U),
        detail(`❓ ${str(d.question)}\n(reply to this message to answer)`, U, {
          speaker: str(agentId),
          awaitsReply: true,
        }),
      ];
    case 'task_answered':
      return [status(), detail(`answer from ${actor}: ${str(d.answer)}`, N)];
    case 'task_done':
      return [
        status(U),
        ...artifacts(d, agentId),
        detail(`✅ result:\n${str(d.result)}${notices(d)}${usageLineOf(d)}`, U, {
          speaker: str(agentId),
          closesDetails: true,
        }),
      ];
    case 'task_review':
      return [
        status(U),
        ...artifacts(d, agentId),
        detail(
          `📝 result for review:\n${str(d.result)}${notices(d)}${usageLineOf(d)}\n\n/approve ${str(d.taskId)} or /reject ${str(d.taskId)} <feedback>`,
          U,
          {
            speaker: str(agentId),
          },
        ),
      ];
    case 'attempt_failed':
      return [
        status(U),
        detail(
          `⚠️ attempt ${str(d.attempt)} failed: ${str(d.error)}\nretrying in ${seconds(d.retryInMs)} (${str(d.attemptsLeft)} left)${usageLineOf(d)}`,
          U,
          {
            speaker: str(agentId),
          },
        ),
      ];
    case 'task_failed':
      return [
        status(U),
        detail(`❌ failed after attempt ${str(d.attempt)}: ${str(d.error)}${usageLineOf(d)}`, U, {
          closesDetails: true,
        }),
      ];
    case 'lease_expired':
      return [
        status(U),
        detail(
          `⏱ lease expired: ${str(agentId)} was silent for ${seconds(d.silentMs)} on attempt ${str(d.attempt)}; ` +
            (d.requeued ? `requeued (${str(d.attemptsLeft)} attempts left)` : 'no attempts left'),
          U,
        ),
      ];
    case 'task_cancelled':
      return [
        status(U),
        detail(`🛑 cancelled by ${actor}${d.reason ? `: ${str(d.reason)}` : ''}`, U, { closesDetails: true }),
      ];
    case 'task_retried':
      return [status(N), detail(`🔁 retry requested by ${actor}`, N)];
    case 'task_assigned':
      return [status(N), detail(`assigned to ${str(d.assignee)} by ${actor}`, N)];
    case 'task_priority':
      return [status(N), detail(`priority ${str(d.from)} → ${str(d.to)} by ${actor}`, N)];
    case 'task_approved':
      return [status(U), detail(`✅ approved by ${actor}`, U, { closesDetails: true })];
    case 'task_rejected':
      return [status(U), detail(`↩️ rejected by ${actor}: ${str(d.feedback)}`, U)];
    case 'task_released':
      return [status(N), detail(`released by ${str(agentId)}: ${str(d.reason)}; back in the queue`, N)];
    case 'task_note':
      return [detail(`📌 note from ${actor}: ${str(d.note)}`, N)];
    case 'task_unblocked':
    case 'task_waiting_cleared':
      return [status()];
    case 'task_waiting':
      return [status(N), detail(`waiting: ${str(d.reason)}`, N)];
    case 'stale_write_refused':
      return [
        detail(
          `ignored a late ${str(d.op)} from ${str(agentId)} (attempt ${str(d.attempt)}; current attempt ${str(d.current)})`,
          N,
        ),
      ];
    case 'schedule_added':
    case 'schedule_updated':
    case 'schedule_removed':
    case 'schedule_paused':
    case 'schedule_resumed':
    case 'schedule_skipped':
    case 'schedule_missed': {
      const text = scheduleNoticeText(type, actor, d);
      return text === undefined ? [] : [{ kind: 'notice', priority: N, payload: { text } }];
    }
    case 'budget_hold':
      return [{ kind: 'notice', priority: U, payload: { text: `⛔ ${str(d.reason)}` } }];
    case 'agent_paused':
    case 'agent_resumed':
    case 'swarm_paused':
    case 'swarm_resumed':
      return [{ kind: 'notice', priority: U, payload: { text: noticeText(type, agentId, actor) } }];
    default:
      return [];
  }
}

function noticeText(type: string, agentId: string | null, actor: string): string {
  switch (type) {
    case 'agent_paused':
      return `⏸ agent ${str(agentId)} paused by ${actor}`;
    case 'agent_resumed':
      return `▶️ agent ${str(agentId)} resumed by ${actor}`;
    case 'swarm_paused':
      return `⏸ swarm paused by ${actor}: no new claims until /resume`;
    default:
      return `▶️ swarm resumed by ${actor}`;
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What people see of a schedule's life: changes, skipped slots and missed slots. A slot that runs
 * shows as its task's message (which names the schedule and slot), so firing itself posts nothing;
 * nor do further overlap skips while the same task stays open (counted in `/schedule list`).
 */
function scheduleNoticeText(type: string, actor: string, d: EventData): string | undefined {
  const id = str(d.scheduleId);
  const what = `${str(d.trigger)} → "${str(d.title)}"; next ${str(d.next)}`;
  switch (type) {
    case 'schedule_added':
      return d.source === 'config'
        ? `🗓 schedule ${id} added from the config: ${what}`
        : `🗓 schedule ${id} added by ${actor}: ${what}`;
    case 'schedule_updated':
      return `🗓 schedule ${id} ${str(d.reason)}: ${what}`;
    case 'schedule_removed':
      return `🗑 schedule ${id} removed: ${str(d.reason)}; its history is kept`;
    case 'schedule_paused':
      return `⏸ schedule ${id} paused by ${actor}: no new tasks until /schedule resume ${id}`;
    case 'schedule_resumed':
      return `▶️ schedule ${id} resumed by ${actor}; next ${str(d.next)} (slots that passed while paused are not run)`;
    case 'schedule_skipped':
      if (d.repeat === true) return undefined;
      return `⏭ ${id}: skipped the ${str(d.slot)} slot: ${str(d.blockedBy)} is still open (overlap=skip); later slots are skipped too while it stays open`;
    default: {
      const count = Number(d.count);
      const more = d.more === true;
      const slots =
        count === 1 && !more
          ? `the ${str(d.oldest)} slot was missed`
          : `${more ? 'more than ' : ''}${plural(count, 'slot')} were missed (${str(d.oldest)} … ${str(d.newest)})`;
      const why = d.whileDown === true ? 'while the swarm was down' : 'while the scheduler was late';
      const ran = Number(d.ranCount);
      let outcome: string;
      if (d.policy === 'skip') outcome = `skipped ${count === 1 && !more ? 'it' : 'them'} (missed=skip)`;
      else if (d.policy === 'latest')
        outcome =
          count === 1 && !more && d.latest === d.oldest
            ? 'ran it now'
            : d.latest
              ? `ran only the latest (${str(d.latest)})`
              : 'none ran (missed=latest)';
      else {
        const left = more ? 'the older ones' : `the ${plural(count - ran, 'oldest slot')}`;
        outcome = `ran ${plural(ran, 'missed slot')}${count - ran > 0 || more ? `, skipped ${left} (cap ${str(d.cap)})` : ''}`;
      }
      return `⏰ ${id}: ${slots} ${why}; ${outcome}`;
    }
  }
}
