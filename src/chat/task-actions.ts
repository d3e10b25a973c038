/**
 * The buttons a task's main message carries, and the data each button gives back when pressed.
 * Pure: which actions fit a task's state, how a pressed button's data is written and read.
 *
 * Button data is `ts1:<action code>:<task id>:<stamp>`, where the stamp (base 36) names the state
 * the button was shown for (see `task-stamp.ts`), so a press on an out-of-date button is recognised.
 * It comes back from strangers' clients: `parseActionData` accepts only what `encodeActionData` makes.
 */
import { z } from 'zod';
import { TASK_KEY_PATTERN } from '../commands/command-types.ts';
import type { Task, TaskStatus } from '../core/types.ts';
import { MAX_ACTION_DATA_BYTES, type MessageAction } from './chat-port.ts';

export const TASK_ACTION_NAMES = ['approve', 'reject', 'answer', 'retry', 'cancel'] as const;
/** What a task button does (the command of the same name), in the order buttons are shown. */
export type TaskActionName = (typeof TASK_ACTION_NAMES)[number];

interface ActionInfo {
  code: string;
  label: string;
  style: MessageAction['style'];
  /** The states in which the action is offered (and still applies when pressed). */
  statuses: readonly TaskStatus[];
  /** Text the person must give, and how it is asked for. */
  asksText?: { title: string; label: string; placeholder: string };
}

/** Each action's button, in the order buttons are shown. */
export const TASK_ACTIONS: { readonly [A in TaskActionName]: ActionInfo } = {
  approve: { code: 'a', label: '✅ Approve', style: 'success', statuses: ['review'] },
  reject: {
    code: 'j',
    label: '↩️ Reject',
    style: 'danger',
    statuses: ['review'],
    asksText: { title: 'Reject', label: 'Feedback for the next attempt', placeholder: 'What to change' },
  },
  answer: {
    code: 'q',
    label: '💬 Answer',
    style: 'primary',
    statuses: ['blocked'],
    asksText: { title: 'Answer', label: 'Your answer', placeholder: 'Your answer' },
  },
  retry: { code: 'r', label: '🔁 Retry', style: 'primary', statuses: ['failed', 'cancelled'] },
  cancel: { code: 'c', label: '🛑 Cancel', style: 'secondary', statuses: ['queued', 'claimed', 'blocked'] },
};

const BY_CODE = new Map(TASK_ACTION_NAMES.map((name) => [TASK_ACTIONS[name].code, name]));

/** A pressed (or to be shown) button: the action, the task and the state it was shown for. */
export interface ActionRef {
  action: TaskActionName;
  taskId: string;
  /** Base-36 stamp of the task's state when the button was shown. */
  stamp: string;
}

const PREFIX = 'ts1';

/** The button data for an action; may be longer than `MAX_ACTION_DATA_BYTES` for very long keys. */
export function encodeActionData(ref: ActionRef): string {
  return [PREFIX, TASK_ACTIONS[ref.action].code, ref.taskId, ref.stamp].join(':');
}

const ActionDataSchema = z
  .string()
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_ACTION_DATA_BYTES)
  .transform((s) => s.split(':'))
  .pipe(
    z.tuple([
      z.literal(PREFIX),
      z.string().refine((c) => BY_CODE.has(c)),
      z.string().regex(TASK_KEY_PATTERN),
      z.string().regex(/^[0-9a-z]{1,12}$/),
    ]),
  );

/** Reads button data back; undefined for anything `encodeActionData` could not have made. */
export function parseActionData(data: unknown): ActionRef | undefined {
  const parsed = ActionDataSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const [, code, taskId, stamp] = parsed.data;
  const action = BY_CODE.get(code);
  return action === undefined ? undefined : { action, taskId, stamp };
}

/** True when the action still applies: the task is in the state the button was shown for. */
export function isCurrent(ref: ActionRef, task: Task, currentStamp: string): boolean {
  return ref.stamp === currentStamp && TASK_ACTIONS[ref.action].statuses.includes(task.status);
}

/** The typed command that does what the button does (for hints and the inbox record). */
export function commandFor(action: TaskActionName, taskId: string): string {
  const text = TASK_ACTIONS[action].asksText ? ` <${action === 'reject' ? 'feedback' : 'text'}>` : '';
  return `/${action} ${taskId}${text}`;
}

/**
 * The buttons for a task in its current state. Empty when none applies, or when the task's id is so
 * long that a button's data would not fit: the task then works through typed commands only.
 */
export function actionsFor(task: Task, stamp: string): MessageAction[] {
  const out: MessageAction[] = [];
  for (const name of TASK_ACTION_NAMES) {
    const info = TASK_ACTIONS[name];
    if (!info.statuses.includes(task.status)) continue;
    const data = encodeActionData({ action: name, taskId: task.id, stamp });
    if (Buffer.byteLength(data, 'utf8') > MAX_ACTION_DATA_BYTES) return [];
    const action: MessageAction = {
      label: info.label,
      data,
      style: info.style,
      command: commandFor(name, task.id),
    };
    if (info.asksText)
      action.asksText = { title: `${info.asksText.title} ${task.id}`, label: info.asksText.label };
    out.push(action);
  }
  return out;
}
